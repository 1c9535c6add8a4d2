//! What an account has set in one region that decides whether a bad image can
//! hurt: the guardrails. A live scan reads them (six EC2 `Get…` calls per
//! account × region); `--save-settings` writes them and `--settings-file`
//! reads them back, as `{"AccountSettings": [ … ]}`.
//!
//! Each value is named and spelt as its operation's answer has it (the AWS
//! CLI's output member), with the operation's name where the member alone
//! (`State`, `KmsKeyId`) would be ambiguous. Absent: not read (the rules that
//! need it do not judge).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One account × region's guardrails.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AccountSettings {
    pub account_id: String,
    pub region: String,
    /// GetImageBlockPublicAccessState `ImageBlockPublicAccessState`:
    /// `block-new-sharing` or `unblocked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_block_public_access_state: Option<String>,
    /// GetSnapshotBlockPublicAccessState `State`: `block-all-sharing`,
    /// `block-new-sharing` or `unblocked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_block_public_access_state: Option<String>,
    /// GetEbsEncryptionByDefault `EbsEncryptionByDefault`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ebs_encryption_by_default: Option<bool>,
    /// GetEbsDefaultKmsKeyId `KmsKeyId`: the key new encrypted volumes get.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ebs_default_kms_key_id: Option<String>,
    /// GetAllowedImagesSettings `State`: `enabled`, `audit-mode` or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_images_settings_state: Option<String>,
    /// GetInstanceMetadataDefaults `AccountLevel` (an empty object: no
    /// account default is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_metadata_defaults: Option<InstanceMetadataDefaults>,
    /// Where a settings file holds this entry: file, line, column (not serialized).
    #[serde(skip)]
    pub origin: Option<(Arc<str>, u64, u64)>,
}

/// GetInstanceMetadataDefaults `AccountLevel`
/// (`InstanceMetadataDefaultsResponse`): each member absent when the account
/// sets no default for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct InstanceMetadataDefaults {
    /// `optional` or `required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_tokens: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_put_response_hop_limit: Option<i64>,
    /// `enabled` or `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_metadata_tags: Option<String>,
    /// `enabled` or `disabled`: whether a launch without IMDSv2 required fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_tokens_enforced: Option<String>,
    /// `account` or `declarative-policy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

impl AccountSettings {
    /// The subject's id in findings: `ACCOUNT/REGION`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.account_id, self.region)
    }
}

/// A settings file: `{"AccountSettings": [ … ]}`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SettingsFile {
    pub account_settings: Vec<AccountSettings>,
}
