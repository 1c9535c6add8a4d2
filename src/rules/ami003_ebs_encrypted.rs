use crate::model::{Image, SnapshotStatus};
use crate::ptr;
use crate::rules::{Action, Cx, Fix, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images with any block-device mapping that has `Ebs` whose `Encrypted` is
    /// not `true` (absent included). Mappings without `Ebs` (instance store volumes,
    /// `NoDevice`) are ignored. One finding per image names every offending device.
    /// When the image does not say (`Encrypted` absent) and snapshot data does
    /// (`AmilintSnapshot.Encrypted`, from `--snapshots` or `--snapshots-file`), the
    /// snapshot's answer counts: one problem, one finding, under this rule.
    ///
    /// In a RegisterImage/CreateImage request (`amilint preflight`) only new volumes
    /// count: a mapping that restores a snapshot takes the snapshot's encryption
    /// (and giving `Encrypted` there is AMI102).
    ///
    /// ## Why is this bad?
    /// The snapshot behind an unencrypted mapping is stored in the clear, and every volume
    /// created from it at launch is unencrypted unless the account enforces EBS encryption
    /// by default. Snapshots are also easy to share or copy by mistake.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "BlockDeviceMappings": [
    ///   { "DeviceName": "/dev/xvda", "Ebs": { "SnapshotId": "snap-1", "Encrypted": false } } ] }
    /// ```
    ///
    /// ## Remediation
    /// Copy the image with encryption and retire the original:
    /// `aws ec2 copy-image --source-image-id ami-0abc --source-region us-east-1 --name NAME --encrypted --kms-key-id KEY`.
    /// Turn on EBS encryption by default in every region so new images start encrypted.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html
    /// - https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html
    pub(crate) static UNENCRYPTED_EBS_MAPPING = {
        code: "AMI003",
        name: "unencrypted-ebs-mapping",
        severity: Severity::High,
        default_enabled: true,
        summary: "EBS snapshot of the image is not encrypted",
        subject: Subject::Both,
        owner_only: true,
        compliance: [
            crate::rules::compliance::cis_compute("2.1.2", "Ensure Images (AMI's) are encrypted"),
            crate::rules::compliance::pci("3.5.1", "Primary account number (PAN) is secured wherever it is stored").part("the EBS snapshots behind the scanned images, not every place account data is stored"),
        ],
        check: check,
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let mut first = None;
    let mut devices = Vec::new();
    for (i, mapping) in image.block_device_mappings.iter().flatten().enumerate() {
        let Some(ebs) = &mapping.ebs else { continue };
        let restores_snapshot = cx.request.is_some() && ebs.snapshot_id.is_some();
        // The image's word first; the snapshot's when the image is silent.
        let from_snapshot = ebs
            .snapshot
            .as_ref()
            .filter(|s| s.status == SnapshotStatus::Found)
            .and_then(|s| s.encrypted);
        let encrypted = ebs.encrypted.or(from_snapshot);
        if encrypted == Some(true) || restores_snapshot {
            continue;
        }
        first.get_or_insert(i);
        let device = mapping.device_name.as_deref().unwrap_or("(no device name)");
        let state = match (ebs.encrypted, from_snapshot) {
            (Some(_), _) => "false",
            (None, Some(_)) => "absent; the snapshot is not encrypted",
            (None, None) => "absent",
        };
        devices.push(format!("{device} (Encrypted {state})"));
    }
    if let Some(i) = first {
        cx.report(
            ptr!["BlockDeviceMappings", i, "Ebs", "Encrypted"],
            format!("unencrypted EBS mapping: {}", devices.join(", ")),
        );
        let copy = Action::CopyEncrypted {
            name: format!("{}-encrypted", image.name.as_deref().unwrap_or(image.id())),
            source_region: image.scope.as_ref().map(|s| s.region.clone()),
        };
        let mut note = "makes an encrypted copy (add --kms-key-id for a customer managed key); move launch templates to it, then deprecate and deregister the original".to_string();
        if image.scope.is_none() {
            note.push_str("; add --source-region with the image's region");
        }
        cx.fix(Fix::new(image, vec![copy], Some(note.into())));
    }
}
