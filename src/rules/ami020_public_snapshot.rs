use crate::model::Image;
use crate::rules::{
    Action, Cx, Fix, Grant, Needs, Severity, SnapshotMapping, declare_rule, snapshots,
};

declare_rule! {
    /// ## What it does
    /// Flags images with an EBS mapping whose snapshot has the create-volume permission
    /// `Group` `all`: the snapshot is public, whatever the image's own `Public` says. Reads
    /// the snapshot's `CreateVolumePermissions` (`scan --aws --snapshots`, or
    /// `--snapshots-file` with `describe-snapshot-attribute` answers).
    ///
    /// Where the image's account and region have block public access for snapshots at
    /// `block-all-sharing` (GetSnapshotBlockPublicAccessState, live or `--settings-file`), AWS
    /// treats such a snapshot as private: the finding is then low, and says so.
    ///
    /// ## Why is this bad?
    /// Any AWS account can create a volume from a public snapshot and read the whole disk
    /// of the image: software, configuration, and too often keys and credentials. Making
    /// the image private does not make its snapshots private.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "OwnerId": "111122223333", "BlockDeviceMappings": [
    ///   { "DeviceName": "/dev/xvda", "Ebs": { "SnapshotId": "snap-0abc",
    ///     "AmilintSnapshot": { "Status": "found", "OwnerId": "111122223333",
    ///       "CreateVolumePermissions": [ { "Group": "all" } ] } } } ] }
    /// ```
    ///
    /// ## Remediation
    /// Remove the `all` group from the snapshot's create-volume permission:
    /// `aws ec2 modify-snapshot-attribute --snapshot-id snap-0abc --attribute createVolumePermission --operation-type remove --group-names all`,
    /// and turn on block public access for snapshots in every region:
    /// `aws ec2 enable-snapshot-block-public-access --state block-all-sharing`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/block-public-access-snapshots.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshotAttribute.html
    pub(crate) static PUBLIC_SNAPSHOT = {
        code: "AMI020",
        name: "public-snapshot",
        severity: Severity::Critical,
        default_enabled: true,
        summary: "A snapshot behind the image is public",
        owner_only: true,
        compliance: [
            crate::rules::compliance::cis_compute("2.2.2", "Ensure public access to EBS Snapshots is disabled").part(crate::rules::compliance::IMAGE_SNAPSHOTS),
            crate::rules::compliance::fsbp("EC2.1", "Amazon EBS snapshots should not be public, determined by the ability to be restorable by anyone").part(crate::rules::compliance::IMAGE_SNAPSHOTS),
            crate::rules::compliance::nist("AC-3", "Access Enforcement").part("who can create volumes from the snapshots behind the scanned images, not access enforcement at large"),
        ],
        needs: Needs::SnapshotPermissions,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let public: Vec<_> = snapshots(image)
        .filter_map(|m| {
            let grants = m.found()?.create_volume_permissions.as_ref()?;
            let g = grants
                .iter()
                .position(|g| g.group.as_deref() == Some("all"))?;
            Some((m, g))
        })
        .collect();
    // With `block-all-sharing`, AWS treats a public snapshot as private: the
    // grant is a latent exposure (the day the block is lifted), not an open disk.
    let blocked = image
        .account_settings
        .as_ref()
        .filter(|s| s.snapshot_block_public_access_state.as_deref() == Some("block-all-sharing"));
    for (m, g) in public {
        let message = match blocked {
            None => format!(
                "{}: snapshot {} is public: any AWS account can create a volume from it and read the disk",
                m.device, m.snapshot_id
            ),
            Some(s) => format!(
                "{}: snapshot {} grants create-volume to `all`, but block public access for snapshots is `block-all-sharing` in {} {}: AWS treats it as private; it becomes public if the block is lifted",
                m.device, m.snapshot_id, s.account_id, s.region
            ),
        };
        report_grant(cx, image, &m, g, message, Grant::Group("all".to_string()));
        if blocked.is_some() {
            cx.severity(Severity::Low);
        }
    }
}

/// Reports the create-volume permission `g` of the mapping's snapshot, with
/// the fix that removes exactly that grant (AMI020, AMI021).
pub(super) fn report_grant(
    cx: &mut Cx<'_>,
    image: &Image,
    m: &SnapshotMapping<'_>,
    g: usize,
    message: String,
    grant: Grant,
) {
    cx.report(m.pointer().push("CreateVolumePermissions").push(g), message);
    cx.fix(Fix::new(
        image,
        vec![Action::RemoveCreateVolumePermission {
            snapshot_id: m.snapshot_id.to_string(),
            grant,
        }],
        None,
    ));
}
