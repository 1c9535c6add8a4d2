use crate::ptr;
use crate::rules::fleet::InUse;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an instance, launch template version or Auto Scaling group whose image is
    /// past its deprecation time (DescribeImages `DeprecationTime` before the scan's
    /// now).
    ///
    /// ## Why is this bad?
    /// Its owner has said the image should no longer be used: it gets no more fixes,
    /// and it is the next to be disabled or deregistered, which breaks the launches
    /// that still name it.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "DeprecationTime": "2025-01-01T00:00:00.000Z" }
    /// ```
    ///
    /// ## Remediation
    /// Move the workload to the image that replaced it (AMI307 names a newer image of
    /// the same family when the scan has one).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html
    pub(crate) static FLEET_IMAGE_DEPRECATED = {
        code: "AMI303",
        name: "fleet-image-deprecated",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Workload launches from an image past its deprecation time",
        subject: Subject::Fleet,
        fleet_check: check,
    }
}

fn check(in_use: &InUse<'_>, cx: &mut Cx<'_>) {
    if let Some(since) = in_use.deprecated_since(cx) {
        let message = format!(
            "{} launches from {}, deprecated since {since}",
            in_use.subject(),
            in_use.image_id(),
        );
        cx.report(ptr!["ImageId"], message);
    }
}
