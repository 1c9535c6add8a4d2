//! amilint's own model of an EC2 image, shaped like the DescribeImages `Image`.
//!
//! Keys are PascalCase exactly as in `aws ec2 describe-images` output. Every
//! field is optional, enum-like values stay strings (so new AWS values and the
//! lower-case `"windows"` platform survive), and unknown fields are kept in
//! `extra` rather than rejected.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod fleet;
mod settings;
pub use fleet::{FleetFile, FleetScope, Use, Workload, WorkloadKind, ec2_arn, region_of_zone};
pub use settings::{
    AccountSettings, CreationDateCondition, DeprecationTimeCondition, FleetImpact, ImageCriterion,
    InstanceMetadataDefaults, ResourceTag, RetentionPeriod, RetentionRule, SettingsFile,
};

/// One image as returned by `DescribeImages` (plus the attributes a live scan adds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Image {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<StateReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_owner_alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_details: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecation_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imds_support: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm_support: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtualization_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hypervisor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_device_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_device_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ena_support: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sriov_net_support: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ramdisk_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deregistration_protection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_launched_time: Option<String>,
    /// Who may launch the image: DescribeImageAttribute `launchPermission`,
    /// added by a live scan with `--attributes` (same shape as
    /// `aws ec2 describe-image-attribute --attribute launchPermission`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_permissions: Option<Vec<LaunchPermission>>,
    /// Amazon Inspector's latest scan of the image (DescribeImages `ScanResults`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_results: Option<ScanResults>,
    /// What references the image (DescribeImageReferences, `scan --aws
    /// --references`): instances, launch templates, SSM parameters, Image
    /// Builder recipes. `[]` is known unused; absent is unknown. Not an AWS
    /// field of the image: amilint writes it into `--save` exports.
    #[serde(rename = "AmilintReferences", skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<ImageReference>>,
    /// The images this one was copied or created from, itself first
    /// (GetImageAncestry, `scan --aws --ancestry`). Not an AWS field of the
    /// image: amilint writes it into `--save` exports.
    #[serde(rename = "AmilintAncestry", skip_serializing_if = "Option::is_none")]
    pub ancestry: Option<Vec<AncestryEntry>>,
    /// Where a live scan found the image (account, region, ARN). Not an AWS
    /// field: amilint writes it into `--save` exports.
    #[serde(rename = "AmilintScope", skip_serializing_if = "Option::is_none")]
    pub scope: Option<ImageScope>,
    /// The guardrails of the account and region the image was found in
    /// (live, or joined from `--settings-file` by `AmilintScope`). Not
    /// serialized: a `--save-settings` file holds them.
    #[serde(skip)]
    pub account_settings: Option<std::sync::Arc<AccountSettings>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_codes: Option<Vec<ProductCode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_device_mappings: Option<Vec<BlockDeviceMapping>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// Fields this model does not name, kept verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockDeviceMapping {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtual_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_device: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ebs: Option<Ebs>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ebs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Only in requests (RegisterImage, RunInstances): DescribeImages never
    /// returns it. An image's key is its snapshot's, `AmilintSnapshot.KmsKeyId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_on_termination: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iops: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i64>,
    /// What amilint learnt about the snapshot behind the mapping
    /// (`scan --aws --snapshots`, or `--snapshots-file`). Not an AWS field:
    /// DescribeImages says nothing of the snapshot but its id.
    #[serde(rename = "AmilintSnapshot", skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotFacts>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The snapshot behind an EBS mapping, as DescribeSnapshots and
/// DescribeSnapshotAttribute `createVolumePermission` give it (same keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SnapshotFacts {
    /// Whether the snapshot was seen: `found`, `not-found` (its owner's
    /// account does not have it: deleted, or never readable) or
    /// `not-visible` (another account's snapshot that is not shared with
    /// the scanning account).
    pub status: SnapshotStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// The ARN of the KMS key of an encrypted snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Who manages that key (KMS DescribeKey `KeyMetadata.KeyManager`):
    /// `AWS` (an AWS managed key such as `aws/ebs`, which cannot be shared)
    /// or `CUSTOMER`. Read live for the snapshots of shared images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_manager: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_size: Option<i64>,
    /// `pending`, `completed`, `error`, `recoverable`, `recovering`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Who may create a volume from it; present only when read (the
    /// snapshot's owner can read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_volume_permissions: Option<Vec<CreateVolumePermission>>,
    /// Where a `--snapshots-file` held the snapshot (not serialised).
    #[serde(skip)]
    pub origin: Option<std::sync::Arc<SnapshotOrigin>>,
}

/// Whether a mapping's snapshot was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotStatus {
    #[default]
    Found,
    NotFound,
    NotVisible,
}

/// One create-volume permission: `Group` `all` (public) or a `UserId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateVolumePermission {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// Where the snapshot files held a snapshot: its describe-snapshots item and
/// its describe-snapshot-attribute answer (1-based line and column of each
/// object's `{`, and the line of each permission).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotOrigin {
    pub snapshot: Option<FilePosition>,
    pub permissions: Option<FilePosition>,
    /// The line of each `CreateVolumePermissions` item, in order.
    pub permission_lines: Vec<u64>,
    /// The line of `KmsKeyId` in the snapshot's item.
    pub kms_key_line: Option<u64>,
}

/// A position in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePosition {
    pub uri: std::sync::Arc<str>,
    pub line: u64,
    pub column: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProductCode {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_code_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_code_type: Option<String>,
}

/// The account and region a live scan read an image from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageScope {
    pub account_id: String,
    pub region: String,
    /// `arn:aws:ec2:REGION::image/IMAGE_ID` (partition from the region).
    pub image_arn: String,
}

/// DescribeImages `ScanResults`: Inspector's highest finding severity and,
/// per severity, since when a fix has been available (RFC 3339 times).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanResults {
    /// `informational`, `low`, `medium`, `high`, `critical` (present only
    /// when the image has a finding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub highest_finding_severity_label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding_scan_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub informational_fix_available_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_fix_available_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium_fix_available_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high_fix_available_since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub critical_fix_available_since: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One resource that references an image (DescribeImageReferences'
/// `ImageReference` without its `ImageId`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageReference {
    /// `ec2:Instance`, `ec2:LaunchTemplate`, `ssm:Parameter`,
    /// `imagebuilder:ImageRecipe`, `imagebuilder:ContainerRecipe`.
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub arn: String,
}

/// One image of an ancestry (GetImageAncestry's `ImageAncestryEntry`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AncestryEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_image_region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_owner_alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<String>,
    /// The root image's owner and name, which GetImageAncestry does not give:
    /// amilint adds them from DescribeImages when the root is visible to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// One launch permission: exactly one of the fields is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchPermission {
    /// `all` for a public image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organizational_unit_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateReason {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Image {
    /// The image id; an image without one never leaves the reader.
    pub fn id(&self) -> &str {
        self.image_id.as_deref().unwrap_or("")
    }

    /// Whether other accounts may launch it: public, or a launch permission
    /// (known only when `LaunchPermissions` was read).
    pub fn shared(&self) -> bool {
        self.public == Some(true)
            || self
                .launch_permissions
                .as_ref()
                .is_some_and(|p| !p.is_empty())
    }

    /// The value of tag `key`, if the image carries it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .as_deref()?
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_str())
    }

    /// Kernel and ramdisk images are not machine images and are not linted.
    pub fn is_linted_type(&self) -> bool {
        !matches!(self.image_type.as_deref(), Some("kernel" | "ramdisk"))
    }
}

/// The AWS partition a region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// An image's ARN: `arn:PARTITION:ec2:REGION::image/ID`.
pub fn image_arn(region: &str, id: &str) -> String {
    format!("arn:{}:ec2:{region}::image/{id}", partition(region))
}

/// An `--owner` / `owners` value: a 12-digit account id or an owner alias.
pub fn owner(text: &str) -> Result<String, String> {
    const ALIASES: [&str; 3] = ["amazon", "aws-marketplace", "aws-backup-vault"];
    if is_account_id(text) || ALIASES.contains(&text) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not an account id (12 digits) or an owner alias ({})",
            ALIASES.join(", ")
        ))
    }
}

/// Whether `text` is an AWS account id: exactly 12 digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A JSON pointer (RFC 6901) into one image, e.g. `/BlockDeviceMappings/0/Ebs/Encrypted`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pointer(String);

impl Pointer {
    /// The pointer to the whole image.
    pub fn root() -> Self {
        Pointer(String::new())
    }

    /// Appends one reference token, escaping `~` and `/`.
    pub fn push(mut self, token: impl std::fmt::Display) -> Self {
        let token = token.to_string();
        self.0.push('/');
        if token.contains(['~', '/']) {
            self.0
                .push_str(&token.replace('~', "~0").replace('/', "~1"));
        } else {
            self.0.push_str(&token);
        }
        self
    }

    /// Reads an RFC 6901 pointer: empty, or `/`-separated tokens in which
    /// `~` is only ever `~0` or `~1`.
    pub fn parse(text: &str) -> Option<Self> {
        let escapes_ok = text
            .split('~')
            .skip(1)
            .all(|rest| rest.starts_with('0') || rest.starts_with('1'));
        (escapes_ok && (text.is_empty() || text.starts_with('/')))
            .then(|| Pointer(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unescaped reference tokens.
    pub fn tokens(&self) -> Vec<String> {
        self.0
            .split('/')
            .skip(1)
            .map(|t| {
                if t.contains('~') {
                    t.replace("~1", "/").replace("~0", "~")
                } else {
                    t.to_string()
                }
            })
            .collect()
    }
}

impl std::fmt::Display for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Builds a pointer from literal tokens: `ptr!["BlockDeviceMappings", 0, "Ebs"]`.
#[macro_export]
macro_rules! ptr {
    ($($token:expr),* $(,)?) => {
        $crate::model::Pointer::root()$(.push($token))*
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_new_values_survive() {
        let text = r#"{"ImageId": "ami-1", "Platform": "windows", "BootMode": "uefi-next",
            "SomeFutureField": {"a": [1, 2]}, "BlockDeviceMappings": [{"DeviceName": "/dev/sda1",
            "Ebs": {"Encrypted": true, "AvailabilityZone": "x"}}]}"#;
        let image: Image = serde_json::from_str(text).expect("parses");
        assert_eq!(image.platform.as_deref(), Some("windows"));
        assert_eq!(image.boot_mode.as_deref(), Some("uefi-next"));
        assert_eq!(image.extra["SomeFutureField"]["a"][1], 2);
        let back = serde_json::to_value(&image).expect("serialises");
        let orig: Value = serde_json::from_str(text).expect("json");
        assert_eq!(back, orig, "a round trip keeps every field");
    }

    #[test]
    fn pointers_escape_tokens() {
        assert_eq!(ptr!["Tags", 0, "a/b~c"].as_str(), "/Tags/0/a~1b~0c");
        assert_eq!(Pointer::root().as_str(), "");
        assert_eq!(
            ptr!["Tags", 0, "a/b~c"].tokens(),
            vec!["Tags", "0", "a/b~c"]
        );
        assert!(Pointer::root().tokens().is_empty());
    }
}
