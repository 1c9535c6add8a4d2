use crate::model::Image;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, Subject, declare_rule, shown};

declare_rule! {
    /// ## What it does
    /// Flags images whose `ImdsSupport` is not `v2.0`, including images where it is absent.
    ///
    /// ## Why is this bad?
    /// Instances launched from such an image accept IMDSv1 by default. IMDSv1 answers
    /// unauthenticated GET requests, so a server-side request forgery in any workload on
    /// the instance can read the instance role's credentials. With `ImdsSupport` set to
    /// `v2.0`, every instance launched from the image requires session tokens (IMDSv2).
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "Name": "web-2024-05" }
    /// ```
    /// Passes with `"ImdsSupport": "v2.0"`.
    ///
    /// ## Remediation
    /// Register new images with `--imds-support v2.0` (RegisterImage), or set it on an
    /// existing image: `aws ec2 modify-image-attribute --image-id ami-0abc --imds-support v2.0`.
    /// Check first that the software on the image supports IMDSv2 (current AWS SDKs and CLIs do).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html
    pub(crate) static IMDSV2_NOT_REQUIRED = {
        code: "AMI001",
        name: "imdsv2-not-required",
        severity: Severity::High,
        default_enabled: true,
        summary: "Image does not require IMDSv2",
        subject: Subject::Both,
        owner_only: true,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if image.imds_support.as_deref() != Some("v2.0") {
        cx.report(
            ptr!["ImdsSupport"],
            format!(
                "ImdsSupport is {}, not `v2.0`: instances from this image accept IMDSv1",
                shown(image.imds_support.as_deref())
            ),
        );
        cx.fix(Fix::new(
            image,
            vec![Action::RequireImdsV2],
            Some(
                "cannot be undone; instances launched from the image then require IMDSv2 and get a hop limit of 2"
                    .into(),
            ),
        ));
    }
}
