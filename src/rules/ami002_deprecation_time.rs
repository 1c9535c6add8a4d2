use crate::model::Image;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images that have no `DeprecationTime` (absent or empty).
    ///
    /// ## Why is this bad?
    /// An image without a deprecation date stays discoverable and launchable forever, so
    /// teams keep launching stale, unpatched builds long after a newer image exists.
    /// A deprecation date hides the image from default DescribeImages listings and
    /// signals its end of life to everyone who uses it.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "CreationDate": "2024-05-01T10:00:00.000Z" }
    /// ```
    /// Passes with `"DeprecationTime": "2025-05-01T10:00:00.000Z"`.
    ///
    /// ## Remediation
    /// Set a date when the image is built, or on an existing image:
    /// `aws ec2 enable-image-deprecation --image-id ami-0abc --deprecate-at 2025-05-01T00:00:00Z`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html
    pub(crate) static NO_DEPRECATION_TIME = {
        code: "AMI002",
        name: "no-deprecation-time",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Image has no deprecation time",
        owner_only: true,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let set = image
        .deprecation_time
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty());
    if !set {
        cx.report(
            ptr!["DeprecationTime"],
            "DeprecationTime is not set: the image never reaches end of life",
        );
        let deprecate_at = cx.settings.suggested_deprecation().to_string();
        cx.fix(Fix::new(
            image,
            vec![Action::EnableDeprecation { deprecate_at }],
            Some("pick the date your image lifecycle calls for; one year from now is shown".into()),
        ));
    }
}
