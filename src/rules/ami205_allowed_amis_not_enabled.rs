use crate::model::AccountSettings;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an account × region where Allowed AMIs is not `enabled`
    /// (GetAllowedImagesSettings `State`): `disabled`, or `audit-mode`, which only marks
    /// images outside the criteria (`ImageAllowed: false`, AMI026) and blocks none.
    ///
    /// ## Why is this bad?
    /// Allowed AMIs is the account's own allowlist of image providers, names, ages and
    /// more: with it enabled, an image outside the criteria can be neither discovered nor
    /// launched, whatever an engineer or a launch template asks for. Without it, any
    /// shared or public image can be launched.
    ///
    /// ## Example
    /// ```json
    /// { "AccountId": "111122223333", "Region": "eu-west-1",
    ///   "AllowedImagesSettingsState": "disabled" }
    /// ```
    ///
    /// ## Remediation
    /// Set the criteria (`aws ec2 replace-image-criteria-in-allowed-images-settings`),
    /// turn on audit mode and watch AMI026 (`aws ec2 enable-allowed-images-settings
    /// --allowed-images-settings-state audit-mode`), then enable it (`… enabled`). The
    /// fix amilint shows takes one step at a time: `disabled` → `audit-mode` → `enabled`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetAllowedImagesSettings.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableAllowedImagesSettings.html
    pub(crate) static ALLOWED_AMIS_NOT_ENABLED = {
        code: "AMI205",
        name: "allowed-amis-not-enabled",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Allowed AMIs is not enabled in the region",
        subject: Subject::Account,
        account_check: check,
    }
}

fn check(settings: &AccountSettings, cx: &mut Cx<'_>) {
    let Some(state) = settings.allowed_images_settings_state.as_deref() else {
        return;
    };
    let (message, audit_mode) = match state {
        "enabled" => return,
        "audit-mode" => (
            format!(
                "Allowed AMIs is in audit mode in {}: images outside the criteria are marked, not blocked",
                settings.region
            ),
            false,
        ),
        other => (
            format!(
                "Allowed AMIs is `{other}` in {}: any image can be launched",
                settings.region
            ),
            true,
        ),
    };
    cx.report(ptr!["AllowedImagesSettingsState"], message);
    let note = audit_mode.then_some(
        "audit mode first: nothing is blocked yet; enable once AMI026 finds nothing you need"
            .into(),
    );
    cx.fix(Fix::for_account(
        settings,
        vec![Action::EnableAllowedImages { audit_mode }],
        note,
    ));
}
