use super::ami012_shared_outside_allowlist::{Options, SHARED_OUTSIDE_ALLOWLIST};
use super::ami020_public_snapshot::report_grant;
use crate::model::Image;
use crate::rules::{Cx, Grant, Needs, Severity, declare_rule, snapshots};

declare_rule! {
    /// ## What it does
    /// Flags images with an EBS mapping whose snapshot has a create-volume permission for
    /// an account (`UserId`) other than the snapshot's owner that is not on AMI012's
    /// allowlist (`allowed_accounts` in `[rules.AMI012]`, or `--allow-account`). A snapshot
    /// can be shared only with accounts, so an organization on `allowed_organizations`
    /// (`--allow-org`) does not cover them: list its accounts. Reads the snapshot's
    /// `CreateVolumePermissions`. One finding per account.
    ///
    /// ## Why is this bad?
    /// An account that may create a volume from the snapshot can read the image's whole
    /// disk, even when the image itself is not shared with it.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "OwnerId": "111122223333", "BlockDeviceMappings": [
    ///   { "DeviceName": "/dev/xvda", "Ebs": { "SnapshotId": "snap-0abc",
    ///     "AmilintSnapshot": { "Status": "found", "OwnerId": "111122223333",
    ///       "CreateVolumePermissions": [ { "UserId": "999988887777" } ] } } } ] }
    /// ```
    ///
    /// ## Remediation
    /// Remove exactly that account from the snapshot's create-volume permission:
    /// `aws ec2 modify-snapshot-attribute --snapshot-id snap-0abc --attribute createVolumePermission --operation-type remove --user-ids 999988887777`,
    /// or add the account to the allowlist if the share is intended.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolumePermission.html
    pub(crate) static SNAPSHOT_SHARED_OUTSIDE_ALLOWLIST = {
        code: "AMI021",
        name: "snapshot-shared-outside-allowlist",
        severity: Severity::High,
        default_enabled: true,
        summary: "A snapshot behind the image is shared with an account outside the allowlist",
        owner_only: true,
        needs: Needs::SnapshotPermissions,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let allowed = &cx
        .options_of::<Options>(&SHARED_OUTSIDE_ALLOWLIST)
        .allowed_accounts;
    let mut shared = Vec::new();
    for m in snapshots(image) {
        let Some(facts) = m.found() else { continue };
        for (g, grant) in facts.create_volume_permissions.iter().flatten().enumerate() {
            match &grant.user_id {
                Some(account)
                    if facts.owner_id.as_ref() != Some(account) && !allowed.contains(account) =>
                {
                    shared.push((g, account.clone()));
                }
                _ => {}
            }
        }
        for (g, account) in shared.drain(..) {
            let message = format!(
                "{}: snapshot {} is shared with account {account}, which is not on the allowlist",
                m.device, m.snapshot_id
            );
            report_grant(cx, image, &m, g, message, Grant::UserId(account));
        }
    }
}
