use crate::model::Image;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Grant, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose `Public` is `true`: anyone with an AWS account can launch them.
    ///
    /// ## Why is this bad?
    /// A public image exposes everything baked into it — software, configuration, and too
    /// often credentials, keys and internal hostnames — to every AWS account. Public AMIs
    /// are routinely scanned for secrets.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "Public": true }
    /// ```
    ///
    /// ## Remediation
    /// Remove the public launch permission:
    /// `aws ec2 modify-image-attribute --image-id ami-0abc --launch-permission "Remove=[{Group=all}]"`,
    /// and turn on block public access for AMIs in every region:
    /// `aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/block-public-access-to-amis.html
    pub(crate) static PUBLIC_IMAGE = {
        code: "AMI006",
        name: "public-image",
        severity: Severity::Critical,
        default_enabled: true,
        summary: "Image is public",
        owner_only: true,
        compliance: [
            crate::rules::compliance::cis_compute("2.1.5", "Ensure Images are not Publicly Available"),
        ],
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if image.public == Some(true) {
        cx.report(
            ptr!["Public"],
            "image is public: any AWS account can launch it",
        );
        cx.fix(Fix::new(
            image,
            vec![Action::RemoveLaunchPermission(Grant::Group(
                "all".to_string(),
            ))],
            None,
        ));
    }
}
