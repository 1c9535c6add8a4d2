use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Needs, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images with `ImageAllowed: false` (DescribeImages) where the account's Allowed
    /// AMIs setting is `enabled` (the image can be neither discovered nor launched there)
    /// or `audit-mode` (it would be, once enabled). The setting is the image's account and
    /// region's (GetAllowedImagesSettings, read by live scans; offline from
    /// `--settings-file`, joined by the export's `AmilintScope`); without it the rule is
    /// not run on the image, and the report says so.
    ///
    /// ## Why is this bad?
    /// An image the account's own criteria reject is one nobody can launch (an outage when
    /// an Auto Scaling group needs it), or one that will break launches the day Allowed
    /// AMIs goes from audit mode to enabled.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "ImageAllowed": false,
    ///   "AmilintScope": { "AccountId": "111122223333", "Region": "eu-west-1",
    ///     "ImageArn": "arn:aws:ec2:eu-west-1::image/ami-0abc" } }
    /// ```
    ///
    /// ## Remediation
    /// Replace the image with one the criteria allow, or add its provider, name or
    /// marketplace code to the criteria
    /// (`aws ec2 replace-image-criteria-in-allowed-images-settings`).
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html
    pub(crate) static IMAGE_NOT_ALLOWED = {
        code: "AMI026",
        name: "image-not-allowed",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Image is outside the account's Allowed AMIs criteria",
        needs: Needs::AllowedImagesState,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    if image.extra.get("ImageAllowed").and_then(|v| v.as_bool()) != Some(false) {
        return;
    }
    let Some(settings) = &image.account_settings else {
        return;
    };
    let message = match settings.allowed_images_settings_state.as_deref() {
        Some("enabled") => format!(
            "ImageAllowed is false and Allowed AMIs is enabled in {} {}: the image cannot be launched there",
            settings.account_id, settings.region
        ),
        Some("audit-mode") => format!(
            "ImageAllowed is false and Allowed AMIs is in audit mode in {} {}: launches will fail once it is enabled",
            settings.account_id, settings.region
        ),
        _ => return,
    };
    cx.report(ptr!["ImageAllowed"], message);
}
