use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags HVM images whose `EnaSupport` is `false`: instances launched from them get no
    /// Elastic Network Adapter. (Paravirtual images are AMI015's; an image that does not
    /// say is not flagged.)
    ///
    /// ## Why is this bad?
    /// Every current-generation (Nitro) instance type networks through ENA: an image without
    /// it launches only on previous-generation types, or not at all, and never gets the
    /// bandwidth the instance type is bought for.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "VirtualizationType": "hvm", "EnaSupport": false }
    /// ```
    ///
    /// ## Remediation
    /// `EnaSupport` cannot be changed on a registered image. Install the ENA driver on an
    /// instance of it, stop the instance, `aws ec2 modify-instance-attribute --instance-id
    /// i-… --ena-support`, then create a new image from it (or register one with
    /// `--ena-support`), and deprecate the old image.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/enhanced-networking-ena.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html
    pub(crate) static NO_ENA_SUPPORT = {
        code: "AMI019",
        name: "no-ena-support",
        severity: Severity::Low,
        default_enabled: true,
        summary: "Image does not support ENA networking",
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if image.ena_support == Some(false)
        && image.virtualization_type.as_deref() != Some("paravirtual")
    {
        cx.report(
            ptr!["EnaSupport"],
            "EnaSupport is false: current-generation (Nitro) instance types cannot launch it",
        );
    }
}
