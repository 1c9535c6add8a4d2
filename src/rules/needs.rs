//! What a rule needs that not every input has, and the snapshots behind an
//! image's EBS mappings (the data of the snapshot rules).

use crate::model::{Image, Pointer, SnapshotFacts, SnapshotStatus};

/// Data a rule needs that not every input has. An image without it is not
/// checked by the rule (absent data is not a pass), and the report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Everything the rule reads is in what DescribeImages returns (or its
    /// absence means something the rule judges).
    Nothing,
    /// `LaunchPermissions`: DescribeImageAttribute `launchPermission`, which
    /// DescribeImages never returns.
    LaunchPermissions,
    /// `AmilintSnapshot` on every EBS mapping with a `SnapshotId`: what
    /// DescribeSnapshots said of it (DescribeImages gives only the id).
    SnapshotData,
    /// As `SnapshotData`, plus the `CreateVolumePermissions` of every found
    /// snapshot that the image's owner also owns (DescribeSnapshotAttribute,
    /// which only a snapshot's owner can call).
    SnapshotPermissions,
    /// `AmilintAncestry`: GetImageAncestry's chain.
    Ancestry,
    /// The Allowed AMIs state of the account and region the image was found
    /// in (GetAllowedImagesSettings, joined by `AmilintScope`).
    AllowedImagesState,
    /// Who manages the key of every encrypted snapshot behind a shared image
    /// (`AmilintSnapshot.KmsKeyManager`: KMS DescribeKey); whether the image
    /// is shared needs `LaunchPermissions`, unless it is public.
    SharedImageKeys,
    /// What references a disabled image (`AmilintReferences`:
    /// DescribeImageReferences); an image that is not disabled needs nothing.
    DisabledImageReferences,
}

impl Needs {
    /// Whether `image` has the data.
    pub fn met_by(self, image: &Image) -> bool {
        match self {
            Needs::Nothing => true,
            Needs::LaunchPermissions => image.launch_permissions.is_some(),
            Needs::Ancestry => image.ancestry.is_some(),
            // Only an image that says it is not allowed needs the setting.
            Needs::AllowedImagesState => {
                image.extra.get("ImageAllowed").and_then(|v| v.as_bool()) != Some(false)
                    || image
                        .account_settings
                        .as_ref()
                        .is_some_and(|s| s.allowed_images_settings_state.is_some())
            }
            Needs::SharedImageKeys => {
                (image.public == Some(true) || image.launch_permissions.is_some())
                    && (!image.shared()
                        || snapshots(image).all(|m| {
                            m.facts.is_some_and(|f| {
                                f.status != SnapshotStatus::Found
                                    || f.encrypted != Some(true)
                                    || f.kms_key_manager.is_some()
                            })
                        }))
            }
            Needs::DisabledImageReferences => {
                image.state.as_deref() != Some("disabled") || image.references.is_some()
            }
            Needs::SnapshotData => snapshots(image).all(|m| m.facts.is_some()),
            Needs::SnapshotPermissions => snapshots(image).all(|m| {
                m.facts.is_some_and(|f| {
                    let owners_own = f.status == SnapshotStatus::Found
                        && f.owner_id.is_some()
                        && f.owner_id == image.owner_id;
                    !owners_own || f.create_volume_permissions.is_some()
                })
            }),
        }
    }

    /// The data, as the describe-images key that holds it.
    pub fn data(self) -> &'static str {
        match self {
            Needs::Nothing => "",
            Needs::LaunchPermissions => "LaunchPermissions",
            Needs::Ancestry => "the image's ancestry (AmilintAncestry)",
            Needs::AllowedImagesState => {
                "the Allowed AMIs state of the image's account and region (GetAllowedImagesSettings)"
            }
            Needs::SharedImageKeys => {
                "LaunchPermissions, and who manages its snapshots' keys (AmilintSnapshot.KmsKeyManager)"
            }
            Needs::DisabledImageReferences => "what references it (AmilintReferences)",
            Needs::SnapshotData => "snapshot data (AmilintSnapshot)",
            Needs::SnapshotPermissions => {
                "snapshot permissions (AmilintSnapshot.CreateVolumePermissions)"
            }
        }
    }

    /// How to get the data.
    pub fn how(self) -> &'static str {
        match self {
            Needs::Nothing => "",
            Needs::LaunchPermissions => "scan with --aws --attributes",
            Needs::Ancestry => "scan with --aws --ancestry",
            Needs::AllowedImagesState => {
                "scan with --aws, or give --settings-file with a --save export (its AmilintScope)"
            }
            Needs::SharedImageKeys => "scan with --aws --attributes --snapshots",
            Needs::DisabledImageReferences => "scan with --aws --references",
            Needs::SnapshotData => "scan with --aws --snapshots, or give --snapshots-file",
            Needs::SnapshotPermissions => {
                "scan with --aws --snapshots as the owner, or give --snapshots-file with describe-snapshot-attribute answers"
            }
        }
    }
}

/// An EBS mapping that names a snapshot, with what is known of the snapshot.
pub struct SnapshotMapping<'a> {
    /// Its place in `BlockDeviceMappings`.
    pub index: usize,
    /// Its `DeviceName` (`?` when absent), for messages.
    pub device: &'a str,
    pub snapshot_id: &'a str,
    /// `AmilintSnapshot`, when the input has it.
    pub facts: Option<&'a SnapshotFacts>,
}

impl<'a> SnapshotMapping<'a> {
    /// The snapshot's data, when it was found.
    pub fn found(&self) -> Option<&'a SnapshotFacts> {
        self.facts.filter(|f| f.status == SnapshotStatus::Found)
    }

    /// A pointer into the mapping's `AmilintSnapshot`.
    pub fn pointer(&self) -> Pointer {
        crate::ptr!["BlockDeviceMappings", self.index, "Ebs", "AmilintSnapshot"]
    }
}

/// Every EBS mapping of `image` that names a snapshot, in order.
pub fn snapshots(image: &Image) -> impl Iterator<Item = SnapshotMapping<'_>> {
    image
        .block_device_mappings
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(index, m)| {
            let ebs = m.ebs.as_ref()?;
            Some(SnapshotMapping {
                index,
                device: m.device_name.as_deref().unwrap_or("?"),
                snapshot_id: ebs.snapshot_id.as_deref()?,
                facts: ebs.snapshot.as_ref(),
            })
        })
}
