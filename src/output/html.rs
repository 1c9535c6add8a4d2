//! One self-contained HTML report for people: a summary with charts of
//! findings by severity and rule, a filterable and sortable findings table,
//! and each image's findings with their remediation. No network, no external
//! asset (a Content-Security-Policy forbids loading any).
//!
//! The page (`html/report.html`) carries the data as two JSON blocks that its
//! script renders with `textContent` only: findings stream into the first as
//! the scan goes, the counts go into the second at the end. In those blocks
//! `<`, `>` and `&` are written as `\u003c`, `\u003e`, `\u0026`, so no text
//! from an image can close the block or become markup.

use serde::Serialize;

use crate::finding::{Finding, Report};

const PAGE: &str = include_str!("html/report.html");
const FINDINGS: &str = "/*FINDINGS*/";
const REPORT: &str = "/*REPORT*/";

#[derive(Serialize)]
struct HtmlFinding<'a> {
    severity: &'a str,
    rule: &'a str,
    image: &'a str,
    name: Option<&'a str>,
    message: &'a str,
    uri: &'a str,
    line: u64,
    pointer: &'a str,
    suppressed: Option<&'a str>,
    baseline: Option<&'a str>,
    /// The exact fix commands for this image.
    fix: Option<&'a [String]>,
    /// What uses the image (`--references`); `null` when unknown.
    usage: Option<HtmlUsage<'a>>,
    /// Live scans: where the image was found.
    account: Option<&'a str>,
    region: Option<&'a str>,
    /// A fleet rule's finding: the workload's kind, and the image it
    /// launches from (the fleet view groups by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uses: Option<&'a str>,
}

#[derive(Serialize)]
struct HtmlUsage<'a> {
    total: usize,
    /// `3 ec2:Instance, 1 ec2:LaunchTemplate`.
    summary: String,
    resources: &'a [String],
}

#[derive(Serialize)]
struct HtmlReport<'a> {
    tool_version: &'a str,
    now: String,
    inputs: Vec<&'a str>,
    images_scanned: u64,
    images_skipped: u64,
    findings: usize,
    suppressed: usize,
    fails: bool,
    /// The gate's verdict line (`gate: failed (3 findings at or above low)`).
    gate: String,
    fail_on: &'a str,
    by_severity: std::collections::BTreeMap<&'a str, usize>,
    by_rule: std::collections::BTreeMap<&'a str, usize>,
    rules: Vec<HtmlRule>,
    errors: Vec<String>,
    warnings: Vec<String>,
    notes: Vec<String>,
    /// `--benchmark`: each control with its status.
    benchmark: Option<HtmlBenchmark<'a>>,
}

#[derive(Serialize)]
struct HtmlBenchmark<'a> {
    title: &'static str,
    controls: Vec<HtmlControl<'a>>,
}

#[derive(Serialize)]
struct HtmlControl<'a> {
    id: &'static str,
    title: &'static str,
    status: &'static str,
    rules: &'a [&'static str],
    findings: usize,
    images: Vec<&'a str>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct HtmlRule {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    summary: &'static str,
    remediation: String,
    help_uri: Option<String>,
}

/// Appends `value` as JSON that is safe inside a `<script>` block.
fn script_json(out: &mut Vec<u8>, value: &impl Serialize) {
    let json = serde_json::to_vec(value).expect("invariant: report values serialise");
    for b in json {
        match b {
            b'<' => out.extend_from_slice(b"\\u003c"),
            b'>' => out.extend_from_slice(b"\\u003e"),
            b'&' => out.extend_from_slice(b"\\u0026"),
            _ => out.push(b),
        }
    }
}

pub fn head(out: &mut Vec<u8>) {
    let end = PAGE
        .find(FINDINGS)
        .expect("invariant: the page has a findings slot");
    out.extend_from_slice(&PAGE.as_bytes()[..end]);
}

/// One image's findings; `,` separates images.
pub fn image(findings: &[Finding], out: &mut Vec<u8>) {
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'\n');
        script_json(
            out,
            &HtmlFinding {
                severity: f.severity.as_str(),
                rule: f.rule.code,
                image: &f.image_id,
                name: f.image_name.as_deref(),
                message: &f.message,
                uri: f.location.best().0,
                line: f.location.best().1,
                pointer: f.location.pointer.as_str(),
                suppressed: f.suppression.as_ref().map(|s| s.justification.as_str()),
                baseline: f.baseline.map(|b| b.as_str()),
                fix: f.fix.as_ref().map(|x| x.commands.as_slice()),
                usage: f.usage.as_deref().map(|u| HtmlUsage {
                    total: u.total,
                    summary: u.summary(),
                    resources: &u.resources,
                }),
                account: f.scope.as_deref().map(|s| s.account_id.as_str()),
                region: f.scope.as_deref().map(|s| s.region.as_str()),
                subject: f.workload.as_ref().map(|l| l.kind.as_str()),
                uses: f.workload.as_ref().map(|l| l.image_id.as_str()),
            },
        );
    }
}

pub fn tail(report: &Report, out: &mut Vec<u8>) {
    let findings_end = PAGE.find(FINDINGS).expect("invariant: findings slot") + FINDINGS.len();
    let report_at = PAGE
        .find(REPORT)
        .expect("invariant: the page has a report slot");
    out.extend_from_slice(&PAGE.as_bytes()[findings_end..report_at]);
    script_json(
        out,
        &HtmlReport {
            tool_version: report.tool_version,
            // To the second: a report is read by people.
            now: report
                .now
                .round(jiff::Unit::Second)
                .unwrap_or(report.now)
                .to_string(),
            inputs: report.inputs.iter().map(|i| &**i).collect(),
            images_scanned: report.images_scanned,
            images_skipped: report.images_skipped,
            findings: report.tally.findings,
            suppressed: report.suppressed(),
            fails: report.fails(),
            gate: report.gate().to_string(),
            fail_on: report.fail_on.map_or("never", |s| s.as_str()),
            by_severity: report
                .count_by_severity()
                .into_iter()
                .map(|(s, n)| (s.as_str(), n))
                .collect(),
            by_rule: report.count_by_rule(),
            rules: report
                .rules
                .iter()
                .map(|r| HtmlRule {
                    code: r.code,
                    name: r.name,
                    severity: r.severity.as_str(),
                    summary: r.summary,
                    remediation: r.remediation(),
                    help_uri: r.help_uri(),
                })
                .collect(),
            benchmark: report
                .benchmark
                .as_ref()
                .map(|(framework, controls)| HtmlBenchmark {
                    title: framework.title(),
                    controls: controls
                        .iter()
                        .map(|c| HtmlControl {
                            id: c.id,
                            title: c.title,
                            status: c.status.as_str(),
                            rules: &c.rules,
                            findings: c.findings,
                            images: c.images.iter().map(|i| &**i).collect(),
                            reason: c.reason.as_deref(),
                        })
                        .collect(),
                }),
            errors: report.errors.iter().map(ToString::to_string).collect(),
            warnings: report.warnings.iter().map(ToString::to_string).collect(),
            notes: report
                .notes
                .iter()
                .map(ToString::to_string)
                .chain((report.not_owned.images() > 0).then(|| report.not_owned.to_string()))
                .collect(),
        },
    );
    out.extend_from_slice(&PAGE.as_bytes()[report_at + REPORT.len()..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_cannot_close_its_script_block() {
        let mut out = Vec::new();
        script_json(&mut out, &"</script><img src=x onerror=alert(1)>&amp;");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: String = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back, "</script><img src=x onerror=alert(1)>&amp;");
    }

    #[test]
    fn the_page_has_both_slots_once() {
        assert_eq!(PAGE.matches(FINDINGS).count(), 1);
        assert_eq!(PAGE.matches(REPORT).count(), 1);
    }
}
