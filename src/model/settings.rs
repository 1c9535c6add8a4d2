//! What an account has set in one region that decides whether a bad image can
//! hurt: the guardrails. A live scan reads them (six EC2 `Get…` calls per
//! account × region, and the Recycle Bin's retention rules); `--save-settings`
//! writes them and `--settings-file` reads them back, as
//! `{"AccountSettings": [ … ]}`.
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
    /// GetAllowedImagesSettings `ImageCriteria`: an image is allowed when it
    /// meets one of them (`[]`: none set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_criteria: Option<Vec<ImageCriterion>>,
    /// GetInstanceMetadataDefaults `AccountLevel` (an empty object: no
    /// account default is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_metadata_defaults: Option<InstanceMetadataDefaults>,
    /// Recycle Bin: the region's retention rules for AMIs (ListRules
    /// `ResourceType` `EC2_IMAGE`), each as GetRule answers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recycle_bin_image_rules: Option<Vec<RetentionRule>>,
    /// The same for EBS snapshots (`EBS_SNAPSHOT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recycle_bin_snapshot_rules: Option<Vec<RetentionRule>>,
    /// Where a settings file holds this entry: file, line, column (not serialized).
    #[serde(skip)]
    pub origin: Option<(Arc<str>, u64, u64)>,
    /// What enabling Allowed AMIs would block in the account × region: known
    /// when its fleet was read whole (`--fleet`, `--fleet-file`). Not
    /// serialized: the fleet rules' run computes it.
    #[serde(skip)]
    pub fleet_impact: Option<FleetImpact>,
}

/// The fleet's images that the Allowed AMIs criteria would not allow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetImpact {
    /// Images in use (by workload) the criteria do not allow.
    pub blocked: u64,
    /// Images in use that could not be judged (not described, a possible
    /// verified provider, an id not resolved).
    pub unknown: u64,
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

/// One Allowed AMIs criterion (`ImageCriterion`): an image meets it when it
/// meets every part it sets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ImageCriterion {
    /// `amazon` (Amazon or a verified provider), `aws-marketplace`,
    /// `aws-backup-vault`, an account id, or `none` (the account's own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_providers: Vec<String>,
    /// Image names, with `*` and `?` wildcards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marketplace_product_codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date_condition: Option<CreationDateCondition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecation_time_condition: Option<DeprecationTimeCondition>,
    /// `ImageWatermarks`, as answered: kept, not evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_watermarks: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CreationDateCondition {
    pub maximum_days_since_created: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct DeprecationTimeCondition {
    pub maximum_days_since_deprecated: i64,
}

/// A Recycle Bin retention rule as GetRule answers it (`GetRuleResponse`;
/// `ResourceType` is the list it is in). A rule without `ResourceTags` is a
/// Region-level rule: it keeps every resource of its type in the region
/// but those with its `ExcludeResourceTags`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RetentionRule {
    pub identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_period: Option<RetentionPeriod>,
    /// Tag-level rules: the tags of the resources it keeps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_tags: Vec<ResourceTag>,
    /// Region-level rules: the tags of the resources it does not keep.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_resource_tags: Vec<ResourceTag>,
    /// `pending` or `available`: only an available rule keeps resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `locked`, `pending_unlock` or `unlocked`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_state: Option<String>,
    /// When a `pending_unlock` rule unlocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_end_time: Option<String>,
    /// The unlock delay of a locked rule, as GetRule answers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_configuration: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_arn: Option<String>,
}

/// How long a rule keeps what it keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RetentionPeriod {
    pub retention_period_value: i64,
    /// `DAYS`.
    pub retention_period_unit: String,
}

/// A tag a retention rule matches: a key, and a value when it names one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ResourceTag {
    pub resource_tag_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_tag_value: Option<String>,
}

impl RetentionRule {
    /// Whether it keeps every resource of its type in the region (but its
    /// exclusions): a Region-level rule that is available.
    pub fn covers_region(&self) -> bool {
        self.resource_tags.is_empty() && self.status.as_deref() != Some("pending")
    }
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
