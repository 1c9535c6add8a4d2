use crate::ptr;
use crate::rules::fleet::{InUse, Lookup};
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an instance, launch template version or Auto Scaling group whose image
    /// EC2 no longer knows: DescribeImages by id, deprecated and disabled images
    /// included, returns nothing for it (it was deregistered, or is no longer shared
    /// with the account).
    ///
    /// ## Why is this bad?
    /// A running instance keeps running, but it cannot be relaunched from its image:
    /// a launch template or Auto Scaling group naming the image fails every launch
    /// (scale-out, instance refresh, replacement of an unhealthy instance) with
    /// `InvalidAMIID.NotFound`, often at the worst moment.
    ///
    /// ## Example
    /// ```json
    /// { "InstanceId": "i-0abc", "ImageId": "ami-0deregistered", "State": { "Name": "running" } }
    /// ```
    ///
    /// ## Remediation
    /// Point the launch template (a new version, made `$Default`) or the group at a
    /// current image; rebuild the instance from one. Restore the image from the
    /// Recycle Bin if a retention rule still holds it (`aws rbin list-rules`).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html
    pub(crate) static FLEET_IMAGE_MISSING = {
        code: "AMI301",
        name: "fleet-image-missing",
        severity: Severity::High,
        default_enabled: true,
        summary: "Workload launches from an image that no longer exists",
        subject: Subject::Fleet,
        fleet_check: check,
    }
}

fn check(in_use: &InUse<'_>, cx: &mut Cx<'_>) {
    if let Lookup::Missing = in_use.image {
        cx.report(
            ptr!["ImageId"],
            format!(
                "{} launches from {}, which EC2 no longer knows (deregistered, or not shared with the account any more)",
                in_use.subject(),
                in_use.image_id()
            ),
        );
    }
}
