use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Needs, Severity, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images outside the account's Allowed AMIs criteria where the setting is
    /// `enabled` (the image can be neither discovered nor launched there) or `audit-mode`
    /// (it would be, once enabled), and, where it is `disabled` but criteria are set, the
    /// images that enabling it would block. EC2's own verdict, DescribeImages'
    /// `ImageAllowed`, decides when the image has it; otherwise amilint judges the criteria
    /// (GetAllowedImagesSettings `ImageCriteria`) as EC2 does: the account's own images are
    /// always allowed, another's when it meets every part of one criterion (providers —
    /// `amazon`, `aws-marketplace`, `aws-backup-vault` by the image's owner alias, account
    /// ids, `none` — names with `*` and `?`, Marketplace product codes, the days since
    /// creation and since deprecation). What the image cannot tell — a public image of an
    /// account without an owner alias may be a verified provider's, which `amazon` allows;
    /// a watermark criterion — is not judged. The setting and criteria are the image's
    /// account and region's (read by live scans; offline from `--settings-file`, joined by
    /// the export's `AmilintScope`); without them the rule does not judge the image, and
    /// an image that says `ImageAllowed: false` is counted as skipped.
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
    let said = image.extra.get("ImageAllowed").and_then(|v| v.as_bool());
    if said == Some(true) {
        return;
    }
    let Some(settings) = &image.account_settings else {
        return;
    };
    let scope = format!("{} {}", settings.account_id, settings.region);
    let Some(why) = crate::rules::allowed::why_not(image, said, settings, cx.settings.now) else {
        return;
    };
    let message = match settings.allowed_images_settings_state.as_deref() {
        Some("enabled") => format!(
            "{why} and Allowed AMIs is enabled in {scope}: the image cannot be launched there"
        ),
        Some("audit-mode") => format!(
            "{why} and Allowed AMIs is in audit mode in {scope}: launches will fail once it is enabled"
        ),
        Some("disabled") if said.is_none() => {
            format!("{why}: enabling Allowed AMIs in {scope} would block its launches")
        }
        _ => return,
    };
    cx.report(ptr!["ImageAllowed"], message);
}
