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
    /// fix amilint shows takes one step at a time: `disabled` → `audit-mode` → `enabled`;
    /// `enabled` only when the scan read the region's fleet (`--fleet`, `--fleet-file`) and
    /// the criteria allow every image it uses (AMI304 finds nothing there, nothing left
    /// unjudged). `amilint fix` makes it only with `--rule AMI205`, and reads the criteria
    /// and the fleet again right before the call: anything they would block, and it is not
    /// sent.
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
    let impact = settings.fleet_impact;
    let (message, audit_mode) = match state {
        "enabled" => return,
        "audit-mode" => (
            format!(
                "Allowed AMIs is in audit mode in {}: images outside the criteria are marked, not blocked{}",
                settings.region,
                match impact {
                    Some(i) if i.blocked + i.unknown == 0 =>
                        "; the criteria allow every image the fleet uses: it can be enabled"
                            .to_string(),
                    Some(i) => format!(
                        "; enabling would block {} image use(s) of the fleet ({} not judged): see AMI304",
                        i.blocked, i.unknown
                    ),
                    None => String::new(),
                }
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
    // `enabled` only with an empty impact (re-read right before the call).
    let empty = impact.is_some_and(|i| i.blocked + i.unknown == 0);
    if !audit_mode && !empty {
        return;
    }
    let note = Some(if audit_mode {
        "audit mode first: nothing is blocked yet; enable once AMI026 finds nothing you need".into()
    } else {
        "the criteria allow every image the fleet uses; amilint fix reads the criteria and the fleet again before the call, and does not send it if they would block anything".into()
    });
    cx.fix(Fix::for_account(
        settings,
        vec![Action::EnableAllowedImages { audit_mode }],
        note,
    ));
}
