use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, days_between, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose `CreationDate` is older than the age limit
    /// (365 days by default; `--max-age-days` changes it). Images without a
    /// parsable `CreationDate` are not flagged.
    ///
    /// ## Why is this bad?
    /// An old image carries old packages: every instance launched from it starts with a
    /// year of missing security patches, and relies on boot-time updates that may fail.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "CreationDate": "2021-01-15T08:00:00.000Z" }
    /// ```
    ///
    /// ## Remediation
    /// Rebuild the image regularly from an up-to-date base (EC2 Image Builder or Packer on a
    /// schedule), deprecate the old one, and point launch templates at the new image.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/imagebuilder/latest/userguide/what-is-image-builder.html
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html
    pub(crate) static IMAGE_TOO_OLD = {
        code: "AMI008",
        name: "image-too-old",
        severity: Severity::Low,
        default_enabled: true,
        summary: "Image is older than the age limit",
        compliance: [
            crate::rules::compliance::cis_compute("2.1.4", "Ensure Images (AMI) are not older than 90 days"),
        ],
        options: Options,
        check: check,
    }
}

/// `[rules.AMI008]` (and `--max-age-days`, which wins).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Images older than this many days are flagged.
    #[serde(deserialize_with = "crate::rules::options::days")]
    pub max_age_days: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options { max_age_days: 365 }
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(created) = cx.required_date("CreationDate", image.creation_date.as_deref()) else {
        return;
    };
    let age = days_between(created, cx.settings.now);
    let limit = cx.options::<Options>().max_age_days;
    if age > limit {
        cx.report(
            ptr!["CreationDate"],
            format!("image is {age} days old (limit {limit} days)"),
        );
    }
}
