use crate::model::{AccountSettings, RetentionRule};
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an account × region where no Recycle Bin retention rule keeps every
    /// deregistered AMI: no available Region-level rule for `EC2_IMAGE` (a rule without
    /// resource tags; Recycle Bin ListRules and GetRule). Tag-level rules keep only the
    /// images that carry their tags; a `pending` rule keeps nothing yet.
    ///
    /// ## Why is this bad?
    /// Without a rule, an image deregistered by mistake — by a clean-up job, a script with
    /// the wrong filter, an attacker — is gone at once, and every launch template, Auto
    /// Scaling group and pipeline that names it fails. With a Region-level rule, it waits
    /// in the Recycle Bin for the retention period and can be restored as it was.
    ///
    /// ## Example
    /// ```json
    /// { "AccountId": "111122223333", "Region": "eu-west-1",
    ///   "RecycleBinImageRules": [] }
    /// ```
    ///
    /// ## Remediation
    /// `aws rbin create-rule --resource-type EC2_IMAGE --retention-period
    /// RetentionPeriodValue=30,RetentionPeriodUnit=DAYS --description "every AMI, 30 days"
    /// --region eu-west-1` (no `--resource-tags`: a Region-level rule); lock it
    /// (`--lock-configuration`) so that it cannot be deleted with the images. Keep the
    /// images' snapshots too (AMI208): an image restored without them cannot launch.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/recycle-bin.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/recycle-bin-working-with-rules.html
    /// - https://docs.aws.amazon.com/recyclebin/latest/APIReference/API_ListRules.html
    /// - https://docs.aws.amazon.com/recyclebin/latest/APIReference/API_GetRule.html
    pub(crate) static RECYCLE_BIN_IMAGES_OFF = {
        code: "AMI207",
        name: "recycle-bin-images-off",
        severity: Severity::Low,
        default_enabled: true,
        summary: "No Recycle Bin rule keeps every deregistered AMI in the region",
        subject: Subject::Account,
        account_check: check,
    }
}

fn check(settings: &AccountSettings, cx: &mut Cx<'_>) {
    judge(
        settings,
        settings.recycle_bin_image_rules.as_deref(),
        "RecycleBinImageRules",
        "deregistered AMIs",
        "an image deregistered by mistake is gone at once",
        cx,
    );
}

/// The check of AMI207 and AMI208: `rules` (`None`: not read) keep every
/// resource of their type unless none covers the region.
pub(super) fn judge(
    settings: &AccountSettings,
    rules: Option<&[RetentionRule]>,
    key: &'static str,
    what: &str,
    why: &str,
    cx: &mut Cx<'_>,
) {
    let Some(rules) = rules else {
        return;
    };
    if rules.iter().any(RetentionRule::covers_region) {
        return;
    }
    // None covers the region: any Region-level rule is still pending.
    let tagged = rules.iter().filter(|r| !r.resource_tags.is_empty()).count();
    let region = &settings.region;
    let how = match (tagged, rules.len() - tagged) {
        (0, 0) => format!("no Recycle Bin retention rule keeps {what} in {region}"),
        (_, 0) => format!(
            "only tag-level Recycle Bin rules ({tagged}) keep {what} in {region}, and only those with their tags"
        ),
        _ => format!("the Region-level Recycle Bin rule for {what} in {region} is still pending"),
    };
    cx.report(ptr![key], format!("{how}: {why}"));
}
