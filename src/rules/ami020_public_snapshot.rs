use crate::model::{Image, SnapshotStatus};
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Grant, Needs, Severity, declare_rule, snapshots};

declare_rule! {
    /// ## What it does
    /// Flags images with an EBS mapping whose snapshot has the create-volume permission
    /// `Group` `all`: the snapshot is public, whatever the image's own `Public` says. Reads
    /// the snapshot's `CreateVolumePermissions` (`scan --aws --snapshots`, or
    /// `--snapshots-file` with `describe-snapshot-attribute` answers).
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
        needs: Needs::SnapshotPermissions,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let mut found = Vec::new();
    for (i, facts) in snapshots(image) {
        let Some(facts) = facts.filter(|f| f.status == SnapshotStatus::Found) else {
            continue;
        };
        let Some(grants) = &facts.create_volume_permissions else {
            continue;
        };
        if let Some(g) = grants
            .iter()
            .position(|g| g.group.as_deref() == Some("all"))
        {
            found.push((i, g));
        }
    }
    for (i, g) in found {
        let mappings = image.block_device_mappings.as_deref().unwrap_or_default();
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
            format!("{device}: snapshot {snapshot} is public: any AWS account can create a volume from it and read the disk"),
        );
        cx.fix(Fix::new(
            image,
            vec![Action::RemoveCreateVolumePermission {
                snapshot_id: snapshot,
                grant: Grant::Group("all".to_string()),
            }],
            None,
        ));
    }
}
