//! The JSON report, version 1. Its shape is public API: change it only by
//! adding fields, or by bumping `schema_version`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Serialize, Serializer};

use crate::finding::Report;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: Tool<'a>,
    scan: Scan<'a>,
    summary: Summary<'a>,
    findings: Findings<'a>,
    errors: Vec<JsonError<'a>>,
    /// Configuration warnings (expired or stale waivers); they do not change the exit code.
    warnings: Vec<JsonWarning<'a>>,
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

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = JsonReport {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "amilint",
            version: report.tool_version,
        },
        scan: Scan {
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
        },
        summary: Summary {
            images_scanned: report.images_scanned,
            images_skipped: report.images_skipped,
            findings: report.findings.len(),
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
        },
        findings: Findings(report),
        errors: report
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
            .collect(),
        warnings: report
            .warnings
            .iter()
            .map(|w| JsonWarning {
                message: &w.message,
                file: w.source.as_ref().map(|s| &*s.uri),
                line: w.source.as_ref().and_then(|s| s.line),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// Findings are converted and written one at a time, never all held twice.
struct Findings<'a>(&'a Report);

impl JsonSchema for Findings<'_> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Findings".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<Vec<JsonFinding<'static>>>()
    }
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

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.findings.iter().map(|f| JsonFinding {
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
        }))
    }
}
