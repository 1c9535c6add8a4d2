//! Helpers shared by the integration tests.
#![allow(dead_code)]

use amilint::app::{ScanPlan, scan_sources};
use amilint::finding::Report;
use amilint::input::InputSource;
use amilint::output::{self, Format};
use amilint::rules::RuleSettings;

/// The fixed "now" of every test scan.
pub const NOW: &str = "2026-06-01T00:00:00Z";

pub fn plan() -> ScanPlan {
    ScanPlan::new(RuleSettings {
        now: NOW.parse().expect("valid time"),
        ..RuleSettings::default()
    })
}

pub fn scan(paths: &[&str], plan: &ScanPlan) -> Report {
    let sources: Vec<InputSource> = paths.iter().map(|p| InputSource::new(p)).collect();
    scan_sources(&sources, plan).expect("fixture scans")
}

/// Renders a report, with the tool version redacted so snapshots survive releases.
pub fn render(report: &Report, format: Format) -> String {
    let mut out = Vec::new();
    output::emit(format, report, false, &mut out).expect("emit to memory");
    String::from_utf8(out)
        .expect("utf-8 output")
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}
