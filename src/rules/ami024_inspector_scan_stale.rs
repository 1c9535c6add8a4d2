use crate::model::Image;
use crate::ptr;
use crate::rules::{Cx, Severity, days_between, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags images that Amazon Inspector has not scanned within `max_scan_age_days`
    /// (default 30): `ScanResults.FindingScanDate` older than that, or no `ScanResults` at
    /// all (DescribeImages returns it only for images Inspector has scanned). Off by default:
    /// turn it on where Inspector's EC2 image scanning is enabled, so that a silent gap in
    /// scanning is found (an export made before AWS added `ScanResults` has none).
    ///
    /// ## Why is this bad?
    /// Findings are only as fresh as the last scan: an image Inspector stopped scanning looks
    /// clean while new vulnerabilities are published against its packages.
    ///
    /// ## Example
    /// ```json
    /// { "ImageId": "ami-0abc", "ScanResults": { "FindingScanDate": "2026-01-01T00:00:00Z" } }
    /// ```
    ///
    /// ## Remediation
    /// Check that Amazon Inspector scans EC2 images in the account and region (Inspector
    /// console, Account management → EC2 scanning), and that the image is within its scope.
    ///
    /// ## References
    /// - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ScanResults.html
    /// - https://docs.aws.amazon.com/inspector/latest/user/scanning-ec2.html
    pub(crate) static INSPECTOR_SCAN_STALE = {
        code: "AMI024",
        name: "inspector-scan-stale",
        severity: Severity::Low,
        default_enabled: false,
        summary: "Amazon Inspector has not scanned the image recently",
        owner_only: true,
        options: Options,
        check: check,
    }
}

/// `[rules.AMI024]`: configuring it switches the rule on.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct Options {
    /// Scans older than this many days are stale.
    #[serde(deserialize_with = "crate::rules::options::days")]
    pub max_scan_age_days: i64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_scan_age_days: 30,
        }
    }
}

fn check(image: &Image, cx: &mut Cx<'_>) {
    let limit = cx.options::<Options>().max_scan_age_days;
    let Some(results) = &image.scan_results else {
        cx.report(
            ptr!["ScanResults"],
            "no Amazon Inspector scan result for the image",
        );
        return;
    };
    let scanned = results.finding_scan_date.as_deref();
    match cx.date("FindingScanDate", scanned) {
        Some(at) => {
            let days = days_between(at, cx.settings.now);
            if days > limit {
                cx.report(
                    ptr!["ScanResults", "FindingScanDate"],
                    format!("Inspector last scanned the image {days} days ago (limit {limit})"),
                );
            }
        }
        None if scanned.is_some() => {}
        None => cx.report(
            ptr!["ScanResults", "FindingScanDate"],
            "ScanResults has no FindingScanDate: when Inspector last scanned is unknown",
        ),
    }
}
