use super::ami012_shared_outside_allowlist::{Options, SHARED_OUTSIDE_ALLOWLIST};
use crate::model::{Image, SnapshotStatus};
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Grant, Needs, Severity, declare_rule, snapshots};

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
        needs: Needs::SnapshotPermissions,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let allowed = &cx
        .options_of::<Options>(&SHARED_OUTSIDE_ALLOWLIST)
        .allowed_accounts;
    let mappings = image.block_device_mappings.as_deref().unwrap_or_default();
    let mut found = Vec::new();
    for (i, facts) in snapshots(image) {
        let Some(facts) = facts.filter(|f| f.status == SnapshotStatus::Found) else {
            continue;
        };
        for (g, grant) in facts.create_volume_permissions.iter().flatten().enumerate() {
            let Some(account) = &grant.user_id else {
                continue;
            };
            if facts.owner_id.as_ref() == Some(account) || allowed.contains(account) {
                continue;
            }
            found.push((i, g, account.clone()));
        }
    }
    for (i, g, account) in found {
        let device = mappings[i].device_name.as_deref().unwrap_or("?");
        let snapshot = mappings[i]
            .ebs
            .as_ref()
            .and_then(|e| e.snapshot_id.clone())
            .unwrap_or_default();
        cx.report(
            ptr![
                "BlockDeviceMappings",
                i,
                "Ebs",
                "AmilintSnapshot",
                "CreateVolumePermissions",
                g
            ],
            format!(
                "{device}: snapshot {snapshot} is shared with account {account}, which is not on the allowlist"
            ),
        );
        cx.fix(Fix::new(
            image,
            vec![Action::RemoveCreateVolumePermission {
                snapshot_id: snapshot,
                grant: Grant::UserId(account),
            }],
            None,
        ));
    }
}
