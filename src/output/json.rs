//! The JSON report, version 1. Its shape is public API: change it only by
//! adding fields, or by bumping `schema_version`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::line::Object;
use crate::finding::{Finding, Report};
use crate::remedy::Input;

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
    /// Rules skipped on images that lack the data they need, one entry per rule.
    notes: Vec<JsonNote<'a>>,
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
struct JsonNote<'a> {
    rule_id: &'a str,
    /// Images the rule was skipped on.
    skipped: u64,
    /// Images scanned in all.
    images: u64,
    /// The data the rule needs, as the describe-images key that holds it.
    needs: &'a str,
    /// The whole note, with how to get the data.
    message: String,
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
    fingerprint: &'a str,
    suppression: Option<JsonSuppression<'a>>,
    /// With `--baseline`: `new` or `unchanged`.
    baseline_state: Option<&'a str>,
    /// The exact fix for this image, when the rule knows one.
    remediation: Option<JsonFix<'a>>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonFix<'a> {
    /// AWS CLI commands, shell-quoted, to run in order.
    commands: &'a [String],
    /// The same calls as data, what `amilint fix` reads: the EC2 operation and
    /// its input document (the API's, as `aws ec2 … --cli-input-json` takes it).
    actions: Vec<JsonAction<'a>>,
    /// What to know before running them.
    note: Option<&'a str>,
    /// Whether the change can be undone (`false` for IMDSv2).
    reversible: bool,
}

#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct JsonAction<'a> {
    /// `ModifyImageAttribute`, `EnableImageDeprecation`,
    /// `EnableImageDeregistrationProtection` or `CopyImage`.
    operation: &'a str,
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    input: Input<'a>,
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

fn notes(report: &Report) -> Vec<JsonNote<'_>> {
    report
        .notes
        .iter()
        .map(|n| JsonNote {
            rule_id: n.rule.code,
            skipped: n.skipped,
            images: n.images,
            needs: n.rule.needs.data(),
            message: n.to_string(),
        })
        .collect()
}

/// The typed finding, for the tests that hold `line` to it.
#[cfg(test)]
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
        fingerprint: &f.fingerprint,
        suppression: f.suppression.as_ref().map(|s| JsonSuppression {
            kind: s.kind.as_str(),
            justification: &s.justification,
        }),
        baseline_state: f.baseline.map(|b| b.as_str()),
        remediation: f.fix.as_ref().map(|x| JsonFix {
            commands: &x.commands,
            actions: x
                .actions
                .iter()
                .map(|a| JsonAction {
                    operation: a.operation(),
                    input: a.input(&f.image_id),
                })
                .collect(),
            note: x.note.as_deref(),
            reversible: x.reversible,
        }),
    }
}

/// One `"key": value` member of the top-level object.
fn entry(out: &mut Vec<u8>, key: &str, value: &impl Serialize, last: bool) {
    out.extend_from_slice(format!("  \"{key}\": ").as_bytes());
    super::pretty(out, value, "  ");
    out.extend_from_slice(if last { b"\n" } else { b",\n" });
}

// The report is written in three parts so that findings stream: the head, the
// findings one per line (compact) as the scan produces them, and the tail with
// the counts. Everything else is indented as usual.

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
        line(f, out);
    }
}

/// One finding as compact JSON, exactly `JsonFinding` serialised (a test
/// holds them together), written directly because a large scan writes
/// millions of them.
fn line(f: &Finding, out: &mut Vec<u8>) {
    Object::write(out, |o| {
        o.str("rule_id", f.rule.code);
        o.str("rule_name", f.rule.name);
        o.str("severity", f.severity.as_str());
        o.str("image_id", &f.image_id);
        o.opt_str("image_name", f.image_name.as_deref());
        let scope = f.scope.as_deref();
        o.opt_str("account_id", scope.map(|s| s.account_id.as_str()));
        o.opt_str("region", scope.map(|s| s.region.as_str()));
        o.opt_str("image_arn", scope.map(|s| s.image_arn.as_str()));
        o.str("message", &f.message);
        o.object("location", |o| {
            o.str("uri", &f.location.uri);
            o.num("line", f.location.line);
            o.num("column", f.location.column);
            o.str("pointer", f.location.pointer.as_str());
            o.opt_num("field_line", f.location.field_line);
        });
        o.str("fingerprint", &f.fingerprint);
        o.opt_object("suppression", f.suppression.as_ref(), |o, s| {
            o.str("kind", s.kind.as_str());
            o.str("justification", &s.justification);
        });
        o.opt_str("baseline_state", f.baseline.map(|b| b.as_str()));
        o.opt_object("remediation", f.fix.as_ref(), |o, x| {
            o.strings("commands", &x.commands);
            o.array("actions", &x.actions, |o, a| {
                o.str("operation", a.operation());
                o.serialized("input", &a.input(&f.image_id));
            });
            o.opt_str("note", x.note.as_deref());
            o.bool("reversible", x.reversible);
        });
    });
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
    entry(out, "notes", &notes(report), false);
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::finding::{BaselineState, Location, Suppression, SuppressionKind};
    use crate::model::ImageScope;
    use std::sync::Arc;

    /// Findings with every optional part, and text that needs escaping.
    pub(crate) fn samples() -> Vec<Finding> {
        let plain = Finding {
            rule: crate::rules::BUILTIN[0],
            severity: crate::rules::Severity::High,
            image_id: "ami-0abc".into(),
            image_name: None,
            scope: None,
            message: "ImdsSupport is absent".to_string(),
            location: Location {
                uri: "exports/a b.json".into(),
                line: 3,
                column: 9,
                pointer: crate::ptr!["ImdsSupport"],
                field_line: None,
            },
            input_index: 0,
            suppression: None,
            baseline: None,
            fingerprint: "0123456789abcdef".to_string(),
            fix: None,
        };
        let mut full = plain.clone();
        full.image_name = Some("n\"a\\me\n\u{1}é☃".into());
        full.scope = Some(Arc::new(ImageScope {
            account_id: "111122223333".to_string(),
            region: "eu-west-1".to_string(),
            image_arn: "arn:aws:ec2:eu-west-1::image/ami-0abc".to_string(),
        }));
        full.message = "tab\there \"quoted\" </script>".to_string();
        full.location.pointer = crate::ptr!["Tags", 0, "a/b~c"];
        full.location.field_line = Some(12);
        full.suppression = Some(Suppression {
            kind: SuppressionKind::Waiver,
            justification: "accepted \\ until 2027".to_string(),
        });
        full.baseline = Some(BaselineState::New);
        let image = crate::model::Image {
            image_id: Some("ami-0abc; rm".to_string()),
            ..Default::default()
        };
        full.fix = Some(crate::remedy::Fix::new(
            &image,
            vec![
                crate::remedy::Action::RequireImdsV2,
                crate::remedy::Action::RemoveLaunchPermission(crate::remedy::Grant::UserId(
                    "1\"2".to_string(),
                )),
            ],
            Some("cannot \"be\" undone".into()),
        ));
        vec![plain, full]
    }

    #[test]
    fn lines_are_the_typed_finding() {
        for f in samples() {
            let mut out = Vec::new();
            line(&f, &mut out);
            let expected = serde_json::to_string(&finding(&f)).expect("serialises");
            assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
        }
    }
}
