use crate::model::AccountSettings;
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an account × region whose block public access for EBS snapshots is not
    /// `block-all-sharing` (GetSnapshotBlockPublicAccessState `State`: `unblocked`, or
    /// `block-new-sharing`, which leaves snapshots already public so).
    ///
    /// ## Why is this bad?
    /// The snapshots behind an image hold its whole disk. A public snapshot can be copied
    /// by any AWS account, whatever the image's own launch permissions say (AMI020 finds
    /// public snapshots behind images). `block-all-sharing` also hides snapshots that are
    /// public today.
    ///
    /// ## Example
    /// ```json
    /// { "AccountId": "111122223333", "Region": "eu-west-1",
    ///   "SnapshotBlockPublicAccessState": "unblocked" }
    /// ```
    ///
    /// ## Remediation
    /// `aws ec2 enable-snapshot-block-public-access --state block-all-sharing --region eu-west-1`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetSnapshotBlockPublicAccessState.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableSnapshotBlockPublicAccess.html
    pub(crate) static SNAPSHOT_BLOCK_PUBLIC_ACCESS_OFF = {
        code: "AMI202",
        name: "snapshot-block-public-access-off",
        severity: Severity::High,
        default_enabled: true,
        summary: "Block public access for EBS snapshots is not block-all-sharing in the region",
        subject: Subject::Account,
        compliance: [
            crate::rules::compliance::cis_compute("2.2.2", "Ensure public access to EBS Snapshots is disabled").from(crate::rules::compliance::AWS_SNAPSHOT_BPA),
            crate::rules::compliance::fsbp("EC2.1", "Amazon EBS snapshots should not be public, determined by the ability to be restorable by anyone").from(crate::rules::compliance::AWS_SNAPSHOT_BPA),
        ],
        account_check: check,
    }
}

fn check(settings: &AccountSettings, cx: &mut Cx<'_>) {
    let Some(state) = settings.snapshot_block_public_access_state.as_deref() else {
        return;
    };
    let message = match state {
        "block-all-sharing" => return,
        "block-new-sharing" => format!(
            "block public access for snapshots is `block-new-sharing` in {}: snapshots public today stay public",
            settings.region
        ),
        other => format!(
            "block public access for snapshots is `{other}` in {}: any snapshot can be made public",
            settings.region
        ),
    };
    cx.report(ptr!["SnapshotBlockPublicAccessState"], message);
    cx.fix(Fix::for_account(
        settings,
        vec![Action::EnableSnapshotBlockPublicAccess],
        None,
    ));
}
