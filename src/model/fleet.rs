//! The fleet behind the images: instances, launch template versions and Auto
//! Scaling groups, each with the images it launches from. A live scan reads
//! them (`scan --aws --fleet`), `--save-fleet` writes them as
//! `{"Fleet": [ … ]}` (one entry per account × region, `FleetScope`), and
//! `--fleet-file` reads that file back or the AWS CLI's own exports
//! (`describe-instances`, `describe-launch-template-versions`,
//! `describe-auto-scaling-groups`), which `input::fleet` turns into the same
//! model.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Image;

/// What kind of resource launches from an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WorkloadKind {
    #[serde(rename = "instance")]
    Instance,
    #[serde(rename = "launch-template")]
    LaunchTemplate,
    #[serde(rename = "auto-scaling-group")]
    AutoScalingGroup,
}

impl WorkloadKind {
    /// As reports name the subject: `instance`, `launch-template`,
    /// `auto-scaling-group`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Instance => "instance",
            WorkloadKind::LaunchTemplate => "launch-template",
            WorkloadKind::AutoScalingGroup => "auto-scaling-group",
        }
    }

    /// The resource type as AWS CloudFormation (and OCSF) names it.
    pub fn cloudformation_type(self) -> &'static str {
        match self {
            WorkloadKind::Instance => "AWS::EC2::Instance",
            WorkloadKind::LaunchTemplate => "AWS::EC2::LaunchTemplate",
            WorkloadKind::AutoScalingGroup => "AWS::AutoScaling::AutoScalingGroup",
        }
    }

    /// The resource type as Security Hub's ASFF names it.
    pub fn asff_type(self) -> &'static str {
        match self {
            WorkloadKind::Instance => "AwsEc2Instance",
            WorkloadKind::LaunchTemplate => "AwsEc2LaunchTemplate",
            WorkloadKind::AutoScalingGroup => "AwsAutoScalingAutoScalingGroup",
        }
    }
}

/// One instance, launch template version or Auto Scaling group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Workload {
    pub kind: WorkloadKind,
    /// `i-…`; `lt-…:$Default` or `lt-…:$Latest` (one per version: `$Default`
    /// when both name the same version); the group's name.
    pub id: String,
    /// The `Name` tag of an instance, the template's or group's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arn: String,
    pub account_id: String,
    /// Empty when the export does not say (a launch template version
    /// exported without `--region` context).
    pub region: String,
    /// An instance's state (`running`, `stopped`, …); a template version's
    /// number and labels (`$Default, version 3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// A launch template's `$Default` version (AMI307 looks at those only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default_version: bool,
    /// The images it launches from: one for an instance or a template
    /// version, one per launch template (and override) for a group.
    pub uses: Vec<Use>,
    /// Where an export had it: (file, line, column). Not saved.
    #[serde(skip)]
    pub origin: Option<(Arc<str>, u64, u64)>,
}

/// One image a workload launches from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Use {
    /// The image id; absent when it could not be told (see `unresolved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// Through what: `launch template lt-… version $Default`, `override …`,
    /// `resolve:ssm:/path`; absent for an instance's own image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// Why the image id is not known (an SSM parameter not resolved, a
    /// launch template version not in the fleet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
}

/// One account × region's fleet, and the images it uses that the scan's own
/// images do not hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FleetScope {
    pub account_id: String,
    pub region: String,
    pub workloads: Vec<Workload>,
    /// The images the fleet uses, described by id whoever owns them
    /// (DescribeImages `ImageIds`, deprecated and disabled included).
    #[serde(default)]
    pub images: Vec<Image>,
    /// Ids DescribeImages does not know: deregistered (or never visible to
    /// the account). Known only live; an export leaves it empty.
    #[serde(default)]
    pub missing_image_ids: Vec<String>,
    /// Whether `missing_image_ids` is known: every image the fleet uses was
    /// described (a live scan, or its saved fleet).
    #[serde(default)]
    pub described: bool,
    /// A live read of the fleet failed in part (a refused or failed call):
    /// what enabling Allowed AMIs would block is then not known.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
}

impl FleetScope {
    /// Every image id the fleet uses, once each.
    pub fn image_ids(&self) -> impl Iterator<Item = &str> {
        let mut seen = std::collections::HashSet::new();
        self.workloads
            .iter()
            .flat_map(|w| w.uses.iter())
            .filter_map(|u| u.image_id.as_deref())
            .filter(move |id| seen.insert(*id))
    }
}

/// A `--save-fleet` file: `{"Fleet": [ … ]}`.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FleetFile {
    pub fleet: Vec<FleetScope>,
}

/// An ARN of the EC2 resource `kind/id` (`instance/i-…`,
/// `launch-template/lt-…`) in `account` and `region`.
pub fn ec2_arn(region: &str, account: &str, resource: &str) -> String {
    format!(
        "arn:{}:ec2:{region}:{account}:{resource}",
        super::partition(region)
    )
}

/// The region of an Availability Zone (`eu-west-1a` → `eu-west-1`, a Local
/// Zone `us-west-2-lax-1a` → `us-west-2`): its name up to the first
/// `-DIGITS` part.
pub fn region_of_zone(zone: &str) -> Option<String> {
    let mut end = 0;
    for (i, part) in zone.split('-').enumerate() {
        end += part.len() + usize::from(i > 0);
        let digits = part.trim_end_matches(|c: char| c.is_ascii_lowercase());
        if i >= 2 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let cut = end - (part.len() - digits.len());
            return Some(zone[..cut].to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_give_their_region() {
        assert_eq!(region_of_zone("eu-west-1a").as_deref(), Some("eu-west-1"));
        assert_eq!(
            region_of_zone("us-gov-west-1b").as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(
            region_of_zone("us-west-2-lax-1a").as_deref(),
            Some("us-west-2")
        );
        assert_eq!(
            region_of_zone("ap-southeast-4c").as_deref(),
            Some("ap-southeast-4")
        );
        assert_eq!(region_of_zone("nowhere"), None);
    }
}
