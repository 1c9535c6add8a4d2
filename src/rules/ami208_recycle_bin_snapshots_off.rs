use crate::model::AccountSettings;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an account × region where no Recycle Bin retention rule keeps every deleted
    /// EBS snapshot: no available Region-level rule for `EBS_SNAPSHOT` (a rule without
    /// resource tags; Recycle Bin ListRules and GetRule).
    ///
    /// ## Why is this bad?
    /// An image is its snapshots: deleting them — a snapshot clean-up that does not know
    /// an image still uses them, or a deregistration that takes them along — leaves the
    /// image unlaunchable (AMI022), and a restored image whose snapshots are gone cannot
    /// launch either. With a Region-level rule, a deleted snapshot waits in the Recycle
    /// Bin for the retention period and can be restored.
    ///
    /// ## Example
    /// ```json
    /// { "AccountId": "111122223333", "Region": "eu-west-1",
    ///   "RecycleBinSnapshotRules": [] }
    /// ```
    ///
    /// ## Remediation
    /// `aws rbin create-rule --resource-type EBS_SNAPSHOT --retention-period
    /// RetentionPeriodValue=30,RetentionPeriodUnit=DAYS --description "every snapshot, 30
    /// days" --region eu-west-1` (no `--resource-tags`: a Region-level rule), locked with
    /// `--lock-configuration`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/recycle-bin.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/recycle-bin-working-with-rules.html
    /// - https://docs.aws.amazon.com/recyclebin/latest/APIReference/API_ListRules.html
    /// - https://docs.aws.amazon.com/recyclebin/latest/APIReference/API_GetRule.html
    pub(crate) static RECYCLE_BIN_SNAPSHOTS_OFF = {
        code: "AMI208",
        name: "recycle-bin-snapshots-off",
        severity: Severity::Low,
        default_enabled: true,
        summary: "No Recycle Bin rule keeps every deleted EBS snapshot in the region",
        subject: Subject::Account,
        account_check: check,
    }
}

fn check(settings: &AccountSettings, cx: &mut Cx<'_>) {
    super::ami207_recycle_bin_images_off::judge(
        settings,
        settings.recycle_bin_snapshot_rules.as_deref(),
        "RecycleBinSnapshotRules",
        "deleted EBS snapshots",
        "a snapshot deleted by mistake, and the images that use it, are gone at once",
        cx,
    );
}
