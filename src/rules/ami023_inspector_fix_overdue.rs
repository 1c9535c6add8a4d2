use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, days_between, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images whose Amazon Inspector scan results (`ScanResults`, returned by
    /// DescribeImages and kept by live scans and exports alike) show that a fix has been
    /// available for a finding of some severity for longer than that severity's limit:
    /// `critical_days` (default 15), `high_days` (30), `medium_days` (90); `low_days` and
    /// `informational_days` are unset by default (not judged). One finding per severity,
    /// naming the date. An image without `ScanResults` gives no finding (see AMI024).
    ///
    /// ## Why is this bad?
    /// Every instance launched from the image starts with a vulnerability that has a fix:
    /// the image should have been rebuilt. Inspector's dates say how long that has been true.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "ScanResults": { "HighestFindingSeverityLabel": "critical",
    ///   "FindingScanDate": "2026-05-30T00:00:00Z",
    ///   "CriticalFixAvailableSince": "2026-04-01T00:00:00Z" } }
    /// ```
    ///
    /// ## Remediation
    /// Rebuild the image from patched sources (your image pipeline, or EC2 Image Builder),
    /// move launch templates to it, then deprecate the old one. The Inspector console lists
    /// the findings and the packages to update.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ScanResults.html
    /// - https://docs.aws.amazon.com/inspector/latest/user/findings-understanding-severity.html
    pub(crate) static INSPECTOR_FIX_OVERDUE = {
        code: "AMI023",
        name: "inspector-fix-overdue",
        severity: Severity::High,
        default_enabled: true,
        summary: "Amazon Inspector found a vulnerability in the image whose fix is overdue",
        options: Options,
        check: check,
    }
}

/// `[rules.AMI023]`: days a fix may stay available before the image is flagged.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    #[serde(deserialize_with = "crate::rules::options::some_days")]
    pub critical_days: Option<i64>,
    #[serde(deserialize_with = "crate::rules::options::some_days")]
    pub high_days: Option<i64>,
    #[serde(deserialize_with = "crate::rules::options::some_days")]
    pub medium_days: Option<i64>,
    #[serde(deserialize_with = "crate::rules::options::some_days")]
    pub low_days: Option<i64>,
    #[serde(deserialize_with = "crate::rules::options::some_days")]
    pub informational_days: Option<i64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            critical_days: Some(15),
            high_days: Some(30),
            medium_days: Some(90),
            low_days: None,
            informational_days: None,
        }
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let Some(results) = &image.scan_results else {
        return;
    };
    let limits = cx.options::<Options>();
    let now = cx.settings.now;
    let levels = [
        (
            "critical",
            "CriticalFixAvailableSince",
            &results.critical_fix_available_since,
            limits.critical_days,
        ),
        (
            "high",
            "HighFixAvailableSince",
            &results.high_fix_available_since,
            limits.high_days,
        ),
        (
            "medium",
            "MediumFixAvailableSince",
            &results.medium_fix_available_since,
            limits.medium_days,
        ),
        (
            "low",
            "LowFixAvailableSince",
            &results.low_fix_available_since,
            limits.low_days,
        ),
        (
            "informational",
            "InformationalFixAvailableSince",
            &results.informational_fix_available_since,
            limits.informational_days,
        ),
    ];
    for (level, key, since, limit) in levels {
        let (Some(limit), Some(text)) = (limit, since.as_deref()) else {
            continue;
        };
        let Some(at) = cx.date(key, Some(text)) else {
            continue;
        };
        let days = days_between(at, now);
        if days > limit {
            cx.report(
                ptr!["ScanResults", key],
                format!(
                    "Inspector: a fix for a {level} finding has been available since {text} ({days} days; limit {limit})"
                ),
            );
        }
    }
}
