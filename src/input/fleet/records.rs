//! The AWS CLI's export shapes of a fleet, as much of each as amilint reads
//! (PascalCase as `aws ec2 describe-instances` and friends print them;
//! other members are ignored). A live scan fills the same records from the
//! SDK's answers.

use std::sync::Arc;

use serde::Deserialize;

/// A `describe-instances` instance, as much of it as amilint reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceRecord {
    pub instance_id: String,
    pub image_id: Option<String>,
    pub state: Option<StateName>,
    pub placement: Option<Placement>,
    pub tags: Option<Vec<crate::model::Tag>>,
    /// The reservation's `OwnerId` (set from it, not read here).
    #[serde(skip)]
    pub owner_id: Option<String>,
    #[serde(skip)]
    pub origin: Option<(Arc<str>, u64, u64)>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateName {
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Placement {
    pub availability_zone: Option<String>,
}

/// A `describe-launch-template-versions` version.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionRecord {
    pub launch_template_id: String,
    pub launch_template_name: Option<String>,
    pub version_number: i64,
    pub default_version: Option<bool>,
    /// `arn:aws:iam::ACCOUNT:…`: the account, offline.
    pub created_by: Option<String>,
    pub launch_template_data: Option<TemplateData>,
    /// A `resolve:ssm:` image as a live scan resolved it (GetParameters).
    #[serde(skip)]
    pub resolved_image_id: Option<String>,
    #[serde(skip)]
    pub origin: Option<(Arc<str>, u64, u64)>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateData {
    pub image_id: Option<String>,
    pub placement: Option<Placement>,
}

/// A `describe-auto-scaling-groups` group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRecord {
    pub auto_scaling_group_name: String,
    #[serde(rename = "AutoScalingGroupARN")]
    pub auto_scaling_group_arn: Option<String>,
    pub launch_template: Option<TemplateSpec>,
    pub launch_configuration_name: Option<String>,
    pub mixed_instances_policy: Option<MixedInstancesPolicy>,
    #[serde(skip)]
    pub origin: Option<(Arc<str>, u64, u64)>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateSpec {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    /// `$Default` (also when absent), `$Latest`, or a number.
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MixedInstancesPolicy {
    pub launch_template: Option<MixedTemplate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MixedTemplate {
    pub launch_template_specification: Option<TemplateSpec>,
    pub overrides: Option<Vec<Override>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Override {
    pub launch_template_specification: Option<TemplateSpec>,
}

/// A `describe-launch-configurations` configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigurationRecord {
    pub launch_configuration_name: String,
    #[serde(rename = "LaunchConfigurationARN")]
    pub launch_configuration_arn: Option<String>,
    pub image_id: Option<String>,
}
