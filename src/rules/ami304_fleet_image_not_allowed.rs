use crate::ptr;
use crate::rules::fleet::{InUse, Lookup};
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an instance, launch template version or Auto Scaling group whose image
    /// the Allowed AMIs criteria of its own account and region do not allow
    /// (GetAllowedImagesSettings `ImageCriteria`, judged as AMI026 judges them; EC2's
    /// own `ImageAllowed` when the image was described in that account). With the
    /// setting `enabled` its launches fail now; `audit-mode` or `disabled`: this is
    /// what enabling it would block.
    ///
    /// ## Why is this bad?
    /// Enabling Allowed AMIs without knowing what it blocks stops scale-outs and
    /// replacements; leaving it off leaves any image launchable. This rule is the
    /// impact list: empty, enabling is safe (AMI205's fix then proposes `enabled`).
    ///
    /// ## Example
    /// ```json
    /// { "AllowedImagesSettingsState": "audit-mode",
    ///   "ImageCriteria": [ { "ImageProviders": [ "amazon" ] } ] }
    /// ```
    ///
    /// ## Remediation
    /// Move the workload to an allowed image, or widen the criteria
    /// (`aws ec2 replace-image-criteria-in-allowed-images-settings`) before enabling.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetAllowedImagesSettings.html
    pub(crate) static FLEET_IMAGE_NOT_ALLOWED = {
        code: "AMI304",
        name: "fleet-image-not-allowed",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Workload launches from an image its account's Allowed AMIs criteria do not allow",
        subject: Subject::Fleet,
        fleet_check: check,
    }
}

fn check(in_use: &InUse<'_>, cx: &mut Cx<'_>) {
    let (Lookup::Found(image), Some(settings)) = (&in_use.image, in_use.settings) else {
        return;
    };
    let Some(why) =
        crate::rules::allowed::why_not(image, said_here(in_use), settings, cx.settings.now)
    else {
        return;
    };
    let (subject, scope) = (
        in_use.subject(),
        format!("{} {}", settings.account_id, settings.region),
    );
    let message = match settings.allowed_images_settings_state.as_deref() {
        Some("enabled") => {
            format!(
                "{subject}: {} — {why}; Allowed AMIs is enabled in {scope}: its launches fail",
                in_use.image_id()
            )
        }
        _ => format!(
            "{subject}: {} — {why}; enabling Allowed AMIs in {scope} would block its launches",
            in_use.image_id()
        ),
    };
    cx.report(ptr!["ImageId"], message);
    if settings.allowed_images_settings_state.as_deref() == Some("enabled") {
        cx.severity(Severity::High);
    }
}

/// DescribeImages' `ImageAllowed`, when the image was described in the
/// workload's own account (it answers for the caller's account only).
fn said_here(in_use: &InUse<'_>) -> Option<bool> {
    let Lookup::Found(image) = in_use.image else {
        return None;
    };
    let here = image
        .scope
        .as_ref()
        .is_some_and(|s| s.account_id == in_use.workload.account_id);
    here.then(|| image.extra.get("ImageAllowed").and_then(|v| v.as_bool()))
        .flatten()
}
