use crate::ptr;
use crate::rules::fleet::{InUse, Lookup};
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an instance, launch template version or Auto Scaling group whose image is
    /// disabled (DescribeImages `State` `disabled`).
    ///
    /// ## Why is this bad?
    /// A disabled image cannot be launched: the launch template or group fails every
    /// launch until the image is enabled again or replaced. Running instances keep
    /// running, and cannot be replaced like for like.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "State": "disabled" }
    /// ```
    ///
    /// ## Remediation
    /// Move the workload to a current image, or re-enable the image
    /// (`aws ec2 enable-image --image-id ami-…`) if it was disabled too early.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/disable-an-ami.html
    pub(crate) static FLEET_IMAGE_DISABLED = {
        code: "AMI302",
        name: "fleet-image-disabled",
        severity: Severity::High,
        default_enabled: true,
        summary: "Workload launches from a disabled image",
        subject: Subject::Fleet,
        fleet_check: check,
    }
}

fn check(in_use: &InUse<'_>, cx: &mut Cx<'_>) {
    if let Lookup::Found(image) = in_use.image
        && image.state.as_deref() == Some("disabled")
    {
        cx.report(
            ptr!["ImageId"],
            format!(
                "{} launches from {}, which is disabled: it cannot be launched",
                in_use.subject(),
                in_use.image_id()
            ),
        );
    }
}
