use crate::model::{Image, SnapshotStatus};
use crate::rules::{Cx, Needs, Severity, declare_rule, snapshots};

declare_rule! {
    /// ## What it does
    /// Flags images with an EBS mapping whose snapshot its owner's account does not have:
    /// `AmilintSnapshot.Status` is `not-found` (a live scan of the image owner's account
    /// asked DescribeSnapshots for it and got nothing). A snapshot of another account that
    /// is merely not shared with the scanning account is `not-visible`, and not flagged;
    /// neither is a snapshot that `--snapshots-file` does not list (the files may not cover
    /// its account or region).
    ///
    /// ## Why is this bad?
    /// An image whose snapshot is gone (deleted, or never readable) cannot be launched:
    /// RunInstances fails, and so does every Auto Scaling group or launch template that
    /// names the image.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "BlockDeviceMappings": [ { "DeviceName": "/dev/xvda",
    ///   "Ebs": { "SnapshotId": "snap-0abc", "AmilintSnapshot": { "Status": "not-found" } } } ] }
    /// ```
    ///
    /// ## Remediation
    /// Deregister the image (`aws ec2 deregister-image --image-id ami-0abc`) after moving
    /// its users to a working image, or restore the snapshot from the Recycle Bin
    /// (`aws ec2 restore-snapshot-from-recycle-bin --snapshot-id snap-0abc`) if it is there.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/recycle-bin-working-with-snaps.html
    pub(crate) static MISSING_SNAPSHOT = {
        code: "AMI022",
        name: "missing-snapshot",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "A snapshot behind the image is missing",
        owner_only: true,
        needs: Needs::SnapshotData,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let missing: Vec<_> = snapshots(image)
        .filter(|m| {
            m.facts
                .is_some_and(|f| f.status == SnapshotStatus::NotFound)
        })
        .collect();
    for m in missing {
        cx.report(
            m.pointer().push("Status"),
            format!(
                "{}: snapshot {} does not exist in the image owner's account: the image cannot be launched",
                m.device, m.snapshot_id
            ),
        );
    }
}
