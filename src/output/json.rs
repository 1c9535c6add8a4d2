//! The JSON report, version 1. Its shape is public API: change it only by
//! adding fields, or by bumping `schema_version`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::finding::{Finding, Report};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)] // Describes the report for its JSON Schema; `head`, `image` and `tail` write it.
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool<'a>,
    scan: Scan<'a>,
    /// In input order: by input, then image, then rule.
    findings: Vec<JsonFinding<'a>>,
    errors: Vec<JsonError<'a>>,
    /// Configuration warnings (expired or stale waivers); they do not change the exit code.
    warnings: Vec<JsonWarning<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonWarning<'a> {
    message: &'a str,
    file: Option<&'a str>,
    line: Option<u64>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonSuppression<'a> {
    /// `waiver` or `tag`.
    kind: &'a str,
    justification: &'a str,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonBaseline {
    new: usize,
    unchanged: usize,
    absent: usize,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Scan<'a> {
    now: String,
    inputs: Vec<&'a str>,
    rules: Vec<&'a str>,
    fail_on: &'a str,
    /// Live scans: every account × region and how it ended (empty offline).
    scopes: Vec<JsonScope<'a>>,
    /// Live scans: API operations called (null offline).
    api_calls: Option<u64>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonScope<'a> {
    account_id: &'a str,
    region: &'a str,
    /// `scanned` or `failed`.
    status: &'a str,
    images: Option<u64>,
    error: Option<&'a str>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Summary<'a> {
    images_scanned: u64,
    images_skipped: u64,
    findings: usize,
    by_severity: BTreeMap<&'a str, usize>,
    by_rule: BTreeMap<&'a str, usize>,
    /// Findings suppressed by a waiver or an image tag (counted in `findings`).
    suppressed: usize,
    /// With `--baseline`: findings new and unchanged, and baseline findings gone.
    baseline: Option<JsonBaseline>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    severity: &'a str,
    image_id: &'a str,
    image_name: Option<&'a str>,
    /// Live scans: where the image was found.
    account_id: Option<&'a str>,
    region: Option<&'a str>,
    image_arn: Option<&'a str>,
    message: &'a str,
    location: JsonLocation<'a>,
    fingerprint: String,
    suppression: Option<JsonSuppression<'a>>,
    /// With `--baseline`: `new` or `unchanged`.
    baseline_state: Option<&'a str>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonLocation<'a> {
    uri: &'a str,
    line: u64,
    column: u64,
    pointer: &'a str,
    field_line: Option<u64>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonError<'a> {
    /// `policy` (a policy failed on an image) or `fetch` (a live scan could
    /// not read a scope or an image's attributes).
    kind: &'a str,
    message: &'a str,
    rule_id: Option<&'a str>,
    image_id: Option<&'a str>,
    account_id: Option<&'a str>,
    region: Option<&'a str>,
    /// The policy script, with the position of the failure when known.
    script: Option<&'a str>,
    line: Option<u64>,
    column: Option<u64>,
}

fn scan(report: &Report) -> Scan<'_> {
    Scan {
        now: report.now.to_string(),
        inputs: report.inputs.iter().map(|i| &**i).collect(),
        rules: report.rules.iter().map(|r| r.code).collect(),
        fail_on: report.fail_on.map_or("never", |s| s.as_str()),
        scopes: report
            .scopes
            .iter()
            .map(|s| JsonScope {
                account_id: &s.account_id,
                region: &s.region,
                status: if s.outcome.is_ok() {
                    "scanned"
                } else {
                    "failed"
                },
                images: s.outcome.as_ref().ok().copied(),
                error: s.outcome.as_ref().err().map(String::as_str),
            })
            .collect(),
        api_calls: report.api_calls,
    }
}

fn summary(report: &Report) -> Summary<'_> {
    Summary {
        images_scanned: report.images_scanned,
        images_skipped: report.images_skipped,
        findings: report.tally.findings,
        by_severity: report
            .count_by_severity()
            .into_iter()
            .map(|(s, n)| (s.as_str(), n))
            .collect(),
        by_rule: report.count_by_rule(),
        suppressed: report.suppressed(),
        baseline: report
            .baseline_counts()
            .map(|(new, unchanged)| JsonBaseline {
                new,
                unchanged,
                absent: report.baseline_absent.unwrap_or(0),
            }),
    }
}

fn errors(report: &Report) -> Vec<JsonError<'_>> {
    report
        .errors
        .iter()
        .map(|e| JsonError {
            kind: e.kind.as_str(),
            message: &e.message,
            rule_id: e.rule.map(|r| r.code),
            image_id: e.image_id.as_deref(),
            account_id: e.scope.as_ref().map(|s| s.0.as_str()),
            region: e.scope.as_ref().map(|s| s.1.as_str()),
            script: e.source.as_ref().map(|s| &*s.uri),
            line: e.source.as_ref().and_then(|s| s.line),
            column: e.source.as_ref().and_then(|s| s.column),
        })
        .collect()
}

fn warnings(report: &Report) -> Vec<JsonWarning<'_>> {
    report
        .warnings
        .iter()
        .map(|w| JsonWarning {
            message: &w.message,
            file: w.source.as_ref().map(|s| &*s.uri),
            line: w.source.as_ref().and_then(|s| s.line),
        })
        .collect()
}

fn finding(f: &Finding) -> JsonFinding<'_> {
    JsonFinding {
        rule_id: f.rule.code,
        rule_name: f.rule.name,
        severity: f.severity.as_str(),
        image_id: &f.image_id,
        image_name: f.image_name.as_deref(),
        account_id: f.scope.as_ref().map(|s| s.account_id.as_str()),
        region: f.scope.as_ref().map(|s| s.region.as_str()),
        image_arn: f.scope.as_ref().map(|s| s.image_arn.as_str()),
        message: &f.message,
        location: JsonLocation {
            uri: &f.location.uri,
            line: f.location.line,
            column: f.location.column,
            pointer: f.location.pointer.as_str(),
            field_line: f.location.field_line,
        },
        fingerprint: f.fingerprint(),
        suppression: f.suppression.as_ref().map(|s| JsonSuppression {
            kind: s.kind.as_str(),
            justification: &s.justification,
        }),
        baseline_state: f.baseline.map(|b| b.as_str()),
    }
}

/// One `"key": value` line of the top-level object, the value on one line.
fn entry(out: &mut Vec<u8>, key: &str, value: &impl Serialize, last: bool) {
    out.extend_from_slice(format!("  \"{key}\": ").as_bytes());
    super::compact(out, value);
    out.extend_from_slice(if last { b"\n" } else { b",\n" });
}

// The report is written in three parts so that findings stream: the head, the
// findings one per line as the scan produces them, and the tail with the
// counts. Every value is one compact line; the layout is JSON all the same.

/// Everything before the first finding.
pub fn head(report: &Report, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\n");
    entry(out, "schema_version", &SCHEMA_VERSION, false);
    entry(
        out,
        "tool",
        &Tool {
            name: "amilint",
            version: report.tool_version,
        },
        false,
    );
    entry(out, "scan", &scan(report), false);
    out.extend_from_slice(b"  \"findings\": [");
}

/// One image's findings, one per line; `,` separates images.
pub fn image(findings: &[Finding], out: &mut Vec<u8>) {
    for (i, f) in findings.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        super::compact(out, &finding(f));
    }
}

/// Everything after the last finding.
pub fn tail(report: &Report, out: &mut Vec<u8>) {
    out.extend_from_slice(if report.tally.findings > 0 {
        b"\n  ],\n"
    } else {
        b"],\n"
    });
    entry(out, "errors", &errors(report), false);
    entry(out, "warnings", &warnings(report), false);
    entry(out, "summary", &summary(report), true);
    out.extend_from_slice(b"}\n");
}

/// The JSON Schema of the report (docs/report.schema.json is generated from it).
pub fn schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(JsonReport<'static>);
    schema.insert(
        "title".into(),
        "amilint JSON report, schema_version 1".into(),
    );
    serde_json::to_value(schema).unwrap_or_default()
}
