use crate::ptr;
use crate::rules::fleet::{InUse, Lookup};
use crate::rules::{Cx, Severity, Subject, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an instance, launch template version or Auto Scaling group that launches
    /// from a public image of another account that is not Amazon's or AWS
    /// Marketplace's (`ImageOwnerAlias` `amazon` or `aws-marketplace`) and not in
    /// `trusted_owners`.
    ///
    /// ## Why is this bad?
    /// Anyone can publish a public image, with any name: an image named like a
    /// vendor's can carry a backdoor or a miner. Workloads should launch from the
    /// organisation's own images or from providers it chose.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "OwnerId": "999988887777", "Public": true }
    /// ```
    ///
    /// ## Remediation
    /// Move the workload to an image of your own or of a chosen provider. A verified
    /// provider's images carry no owner alias in DescribeImages: add its account to
    /// `trusted_owners` (`[rules.AMI305]`) once you have chosen it.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/usingsharedamis-finding.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-allowed-amis.html
    pub(crate) static FLEET_IMAGE_UNTRUSTED_OWNER = {
        code: "AMI305",
        name: "fleet-image-untrusted-owner",
        severity: Severity::Medium,
        default_enabled: true,
        summary: "Workload launches from a public image of an owner nobody chose",
        subject: Subject::Fleet,
        options: Options,
        fleet_check: check,
    }
}

/// `[rules.AMI305]`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Accounts whose public images workloads may launch from.
    #[serde(deserialize_with = "crate::rules::options::account_ids")]
    pub trusted_owners: Vec<String>,
}

fn check(in_use: &InUse<'_>, cx: &mut Cx<'_>) {
    let Lookup::Found(image) = in_use.image else {
        return;
    };
    let owner = image.owner_id.as_deref().unwrap_or_default();
    let alias = image.image_owner_alias.as_deref();
    if image.public != Some(true)
        || owner == in_use.workload.account_id
        || matches!(alias, Some("amazon" | "aws-marketplace"))
        || cx
            .options::<Options>()
            .trusted_owners
            .iter()
            .any(|t| t == owner)
    {
        return;
    }
    cx.report(
        ptr!["ImageId"],
        format!(
            "{} launches from {}, a public image of account {owner}, which is not Amazon, AWS Marketplace or a trusted owner",
            in_use.subject(),
            in_use.image_id()
        ),
    );
}
