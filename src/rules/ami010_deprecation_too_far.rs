use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, days_between, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose `DeprecationTime` is more than the limit after their
    /// `CreationDate` (730 days by default; `--max-deprecation-days` changes it).
    /// Images without both dates parsable are not flagged.
    ///
    /// ## Why is this bad?
    /// A deprecation date years away is a deprecation date in name only: the image stays
    /// in use long after it stopped receiving fixes.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "CreationDate": "2024-01-01T00:00:00.000Z",
    ///   "DeprecationTime": "2034-01-01T00:00:00.000Z" }
    /// ```
    ///
    /// ## Remediation
    /// Set a nearer date: `aws ec2 enable-image-deprecation --image-id ami-0abc --deprecate-at DATE`,
    /// and have the build pipeline set it at creation time.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html
    pub(crate) static DEPRECATION_TOO_FAR = {
        code: "AMI010",
        name: "deprecation-too-far",
        severity: Severity::Low,
        default_enabled: true,
        summary: "Deprecation time is too far after creation",
        owner_only: true,
        options: Options,
        check: check,
    }
}

/// `[rules.AMI010]` (and `--max-deprecation-days`, which wins).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Deprecation more than this many days after creation is flagged.
    #[serde(deserialize_with = "crate::rules::options::days")]
    pub max_deprecation_days: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_deprecation_days: 730,
        }
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(deprecated) = cx.date("DeprecationTime", image.deprecation_time.as_deref()) else {
        return;
    };
    let Some(created) = cx.required_date("CreationDate", image.creation_date.as_deref()) else {
        return;
    };
    let window = days_between(created, deprecated);
    let limit = cx.options::<Options>().max_deprecation_days;
    if window > limit {
        cx.report(
            ptr!["DeprecationTime"],
            format!("deprecation is {window} days after creation (limit {limit} days)"),
        );
    }
}
