use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a block-device mapping of a RegisterImage or CreateImage request that restores
    /// a snapshot (`Ebs.SnapshotId`) and also gives `Ebs.Encrypted`.
    ///
    /// ## Why is this bad?
    /// A volume restored from a snapshot takes the snapshot's encryption; EC2 refuses the
    /// request when `Encrypted` is set on such a mapping (`InvalidParameterCombination`).
    ///
    /// ## Example
    /// ```json
    /// { "Name": "web", "BlockDeviceMappings": [
    ///   { "DeviceName": "/dev/xvda", "Ebs": { "SnapshotId": "snap-1", "Encrypted": true } } ] }
    /// ```
    ///
    /// ## Remediation
    /// Drop `Encrypted` from mappings with a `SnapshotId`. To get an encrypted image from an
    /// unencrypted snapshot, copy the snapshot with encryption first:
    /// `aws ec2 copy-snapshot --source-snapshot-id snap-1 --source-region REGION --encrypted --kms-key-id KEY`.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html
    pub(crate) static ENCRYPTED_ON_SNAPSHOT_MAPPING = {
        code: "AMI102",
        name: "encrypted-on-snapshot-mapping",
        severity: Severity::High,
        default_enabled: true,
        summary: "Request sets Encrypted on a mapping that restores a snapshot",
        subject: Subject::Request,
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    for (i, mapping) in image.block_device_mappings.iter().flatten().enumerate() {
        let Some(ebs) = &mapping.ebs else { continue };
        if let (Some(snapshot), Some(encrypted)) = (&ebs.snapshot_id, ebs.encrypted) {
            cx.report(ptr!["BlockDeviceMappings", i, "Ebs", "Encrypted"],
                format!(
                    "{} restores {snapshot} and sets Encrypted {encrypted}: EC2 refuses the request",
                    mapping.device_name.as_deref().unwrap_or("(no device name)")
                ),
            );
        }
    }
}
