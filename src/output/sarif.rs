//! SARIF 2.1.0 for GitHub code scanning and security dashboards.
//!
//! Every rule that ran becomes a `reportingDescriptor`; every finding a
//! `result` with a physical location (the input file, at the offending
//! field's line, or where the image's JSON object starts when the field is
//! absent), a logical location (the image id and the
//! offending field) and `partialFingerprints`.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, LogicalLocation, Message, MultiformatMessageString,
    Notification, PhysicalLocation, PropertyBag, Region, ReportingConfiguration,
    ReportingDescriptor, ReportingDescriptorReference, ReportingDescriptorRelationship, Result,
    ResultLevel, Run, RunAutomationDetails, Sarif, Suppression, Tool, ToolComponent,
    ToolComponentReference,
};

use super::line::Object;
use crate::finding::identity::{self, LINE_HASH_KEY};
use crate::finding::{FINGERPRINT_KEY, Finding, Report, SourceSpan, SuppressionKind};
use crate::input::source::SourceRoot;
use crate::rules::compliance::{Control, Framework};
use crate::rules::{RuleMeta, Severity};

mod lines;
mod summary;
mod taxonomy;
use lines::line;
pub use summary::{SUMMARY_ROOM, Summary};
use taxonomy::{relationships, taxonomies, taxonomy_components};

const INFORMATION_URI: &str = "https://github.com/amilint/amilint";

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn text(t: impl Into<String>) -> Message {
    Message {
        text: Some(t.into()),
        ..Default::default()
    }
}

fn properties(pairs: Vec<(&str, Value)>) -> PropertyBag {
    PropertyBag {
        additional_properties: pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        ..Default::default()
    }
}

fn plain(text: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(text).build()
}

fn descriptor(rule: &RuleMeta) -> ReportingDescriptor {
    let docs = rule.docs();
    let mut descriptor = ReportingDescriptor::builder()
        .id(rule.code)
        .name(rule.name)
        .short_description(plain(rule.summary))
        .full_description(plain(rule.description()))
        .help(
            MultiformatMessageString::builder()
                .text(docs.clone())
                .markdown(docs)
                .build(),
        )
        .default_configuration(ReportingConfiguration {
            level: Some(Value::String(level(rule.severity).to_string())),
            ..Default::default()
        })
        .properties(PropertyBag {
            // GitHub shows tags: the compliance controls among them.
            tags: Some(
                ["security".to_string(), "aws-ami".to_string()]
                    .into_iter()
                    .chain(rule.compliance.iter().map(|c| c.tag()))
                    .collect(),
            ),
            ..properties(vec![
                (
                    "security-severity",
                    Value::String(rule.severity.security_severity().to_string()),
                ),
                ("precision", Value::String("very-high".to_string())),
            ])
        })
        .build();
    // Built-in rules are documented online; a policy's help is its `help`.
    descriptor.help_uri = rule.help_uri();
    descriptor
}

fn result_properties(f: &Finding) -> Vec<(&'static str, Value)> {
    let mut props = vec![
        ("severity", Value::String(f.severity.to_string())),
        ("imageId", Value::String(f.image_id.to_string())),
        ("pointer", Value::String(f.location.pointer.to_string())),
    ];
    if let Some(scope) = &f.scope {
        props.push(("accountId", Value::String(scope.account_id.clone())));
        props.push(("region", Value::String(scope.region.clone())));
        if let Some(arn) = f.image_arn_of(scope) {
            props.push(("imageArn", Value::String(arn.to_string())));
        }
    }
    if let Some(link) = &f.workload {
        props.push(("subject", Value::String(link.kind.as_str().to_string())));
        props.push(("usesImageId", Value::String(link.image_id.clone())));
        if let Some(arn) = f.resource_arn() {
            props.push(("resourceArn", Value::String(arn.to_string())));
        }
    }
    if let Some(fix) = &f.fix {
        props.push((
            "remediation",
            serde_json::json!({
                "commands": fix.commands,
                "note": fix.note,
                "reversible": fix.reversible,
            }),
        ));
    }
    if let Some(usage) = f.usage.as_deref() {
        props.push((
            "usage",
            serde_json::json!({
                "byType": usage.by_type,
                "resources": usage.resources,
                "total": usage.total,
            }),
        ));
    }
    props
}

fn result(f: &Finding, rule_index: Option<usize>, root: Option<&SourceRoot>) -> Result {
    // The file only: a primary location with a line is one GitHub's upload
    // step re-hashes (a rolling hash of the file, every line handed to every
    // result of the file) and whose hash it compares with ours, warning on
    // each; the line is the related location's.
    let physical = PhysicalLocation {
        artifact_location: Some(artifact(root, f.location.best().0)),
        ..Default::default()
    };
    let at_line = Location {
        id: Some(1),
        physical_location: Some(PhysicalLocation {
            artifact_location: Some(artifact(root, f.location.best().0)),
            region: Some(Region {
                start_line: Some(f.location.best().1 as i64),
                ..Default::default()
            }),
            ..Default::default()
        }),
        message: Some(text(format!("{}{}", f.image_id, f.location.pointer))),
        ..Default::default()
    };
    let logical = LogicalLocation {
        name: Some(f.image_id.to_string()),
        fully_qualified_name: Some(format!("{}{}", f.image_id, f.location.pointer)),
        kind: Some("resource".to_string()),
        ..Default::default()
    };
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());
    fingerprints.insert(
        LINE_HASH_KEY.to_string(),
        identity::line_hash(&f.fingerprint),
    );
    let mut result = Result::builder()
        .rule_id(f.rule.code)
        .level(level(f.severity))
        .message(text(message_text(f)))
        .locations(vec![Location {
            physical_location: Some(physical),
            logical_locations: Some(vec![logical]),
            ..Default::default()
        }])
        .partial_fingerprints(fingerprints)
        .properties(properties(result_properties(f)))
        .related_locations(vec![at_line])
        .build();
    result.rule_index = rule_index.map(|i| i as i64);
    if let Some(s) = &f.suppression {
        result.suppressions = Some(vec![Suppression {
            kind: Value::String(
                match s.kind {
                    SuppressionKind::Waiver => "external",
                    SuppressionKind::Tag => "inSource",
                }
                .to_string(),
            ),
            justification: Some(s.justification.clone()),
            status: Some(Value::String("accepted".to_string())),
            guid: None,
            location: None,
            properties: None,
        }]);
    }
    result.baseline_state = f.baseline.map(|b| Value::String(b.as_str().to_string()));
    result
}

/// The tool, its rules related to the run's `taxonomies`.
fn tool(report: &Report, taxonomies: &[(Framework, Vec<&'static Control>)]) -> Tool {
    let rules: Vec<ReportingDescriptor> = report
        .rules
        .iter()
        .map(|r| {
            let mut descriptor = descriptor(r);
            descriptor.relationships = relationships(r, taxonomies);
            descriptor
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("amilint")
        .version(report.tool_version)
        .semantic_version(report.tool_version)
        .information_uri(INFORMATION_URI)
        .rules(rules)
        .build();
    Tool::builder().driver(driver).build()
}

/// The base of the URIs of files in the git work tree (`SourceRoot`).
const SOURCE_ROOT: &str = "%SRCROOT%";

/// A file as an artifact: relative to `%SRCROOT%` when it is in the work
/// tree, else as the input named it.
fn artifact(root: Option<&SourceRoot>, uri: &str) -> ArtifactLocation {
    match root.and_then(|root| root.relative(uri)) {
        Some(relative) => ArtifactLocation {
            uri: Some(relative),
            uri_base_id: Some(SOURCE_ROOT.to_string()),
            ..Default::default()
        },
        None => ArtifactLocation {
            uri: Some(uri.to_string()),
            ..Default::default()
        },
    }
}

/// `run.originalUriBaseIds`: where `%SRCROOT%` is.
fn base_ids(root: &SourceRoot) -> BTreeMap<String, ArtifactLocation> {
    let mut ids = BTreeMap::new();
    ids.insert(
        SOURCE_ROOT.to_string(),
        ArtifactLocation {
            uri: Some(root.uri.clone()),
            ..Default::default()
        },
    );
    ids
}

/// A location in a file that is not an input: a policy script, the config file.
fn script_location(span: &SourceSpan, root: Option<&SourceRoot>) -> Location {
    Location {
        physical_location: Some(PhysicalLocation {
            artifact_location: Some(artifact(root, &span.uri)),
            region: span.line.map(|line| Region {
                start_line: Some(line as i64),
                start_column: span.column.map(|c| c as i64),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn invocation(report: &Report) -> Invocation {
    let root = report.source_root.as_ref();
    let mut invocation = Invocation::builder()
        .execution_successful(report.errors.is_empty())
        .build();
    // The gate and the totals, as every format gives them.
    let gate = report.gate();
    invocation.properties = Some(properties(vec![
        (
            "gate",
            serde_json::json!({
                "status": gate.status,
                "failOn": gate.fail_on,
                "counted": gate.counted,
            }),
        ),
        ("findings", Value::from(report.tally.findings)),
    ]));
    let warnings: Vec<Notification> = report
        .warnings
        .iter()
        .map(|w| {
            let mut note = Notification::builder()
                .message(text(w.to_string()))
                .level(Value::String("warning".to_string()))
                .build();
            note.locations = w
                .source
                .as_ref()
                .map(|span| vec![script_location(span, root)]);
            note
        })
        .collect();
    if !warnings.is_empty() {
        invocation.tool_configuration_notifications = Some(warnings);
    }
    let mut execution: Vec<Notification> = report
        .notes
        .iter()
        .map(|n| {
            let mut note = Notification::builder()
                .message(text(n.to_string()))
                .level(Value::String("note".to_string()))
                .build();
            note.associated_rule = Some(ReportingDescriptorReference {
                id: Some(n.rule.code.to_string()),
                ..Default::default()
            });
            note
        })
        .collect();
    if !report.errors.is_empty() {
        let notes: Vec<Notification> = report
            .errors
            .iter()
            .map(|e| {
                let mut note = Notification::builder()
                    .message(text(e.to_string()))
                    .level(Value::String("error".to_string()))
                    .build();
                note.associated_rule = e.rule.map(|r| ReportingDescriptorReference {
                    id: Some(r.code.to_string()),
                    ..Default::default()
                });
                note.locations = e
                    .source
                    .as_ref()
                    .map(|span| vec![script_location(span, root)]);
                let mut props = vec![("kind", Value::String(e.kind.as_str().to_string()))];
                if let Some(id) = &e.image_id {
                    props.push(("imageId", Value::String(id.to_string())));
                }
                if let Some((account, region)) = &e.scope {
                    props.push(("accountId", Value::String(account.clone())));
                    props.push(("region", Value::String(region.clone())));
                }
                note.properties = Some(properties(props));
                note
            })
            .collect();
        execution.extend(notes);
    }
    if !execution.is_empty() {
        invocation.tool_execution_notifications = Some(execution);
    }
    invocation
}

/// The whole log as serde-sarif's typed model (for callers that want it in
/// memory), with the run's `category`.
pub fn build(report: &Report, category: Option<String>) -> Sarif {
    let cx = Context::new(report, category);
    let root = report.source_root.as_ref();
    let results: Vec<Result> = report
        .findings
        .iter()
        .map(|f| result(f, cx.index(f.rule), root))
        .collect();
    let envelope = Envelope::of(report, &cx);
    let mut run = Run::builder()
        .tool(envelope.tool)
        .invocations(vec![invocation(report)])
        .results(results)
        .build();
    run.automation_details = envelope.automation;
    run.original_uri_base_ids = envelope.base_ids;
    run.taxonomies = envelope.taxonomies;
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(Value::String(VERSION.to_string()))
        .runs(vec![run])
        .build()
}

/// `--category` as the run's identity: `NAME/` (GitHub's form for a category).
fn automation(cx: &Context) -> Option<RunAutomationDetails> {
    cx.category.as_ref().map(|name| {
        RunAutomationDetails::builder()
            .id(format!("{name}/"))
            .build()
    })
}

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const VERSION: &str = "2.1.0";

// The log is written in three parts so that results stream: the head (up to
// the opening of `results`), the results one per line as the scan produces
// them, and the tail (the invocation, which knows how the scan ended). The
// tool and invocation are serde-sarif's typed model, indented; each result is
// one compact line.

/// Everything before the first result.
pub fn head(report: &Report, cx: &Context, out: &mut Vec<u8>) {
    open(&Envelope::of(report, cx), out);
}

/// A run of amilint's but its results and invocation: what `open` writes
/// before the results. A scan makes it from its report (`Envelope::of`),
/// `amilint merge` from the logs it merges.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub tool: Tool,
    pub taxonomies: Option<Vec<ToolComponent>>,
    pub automation: Option<RunAutomationDetails>,
    pub base_ids: Option<BTreeMap<String, ArtifactLocation>>,
}

impl Envelope {
    fn of(report: &Report, cx: &Context) -> Envelope {
        let taxonomies = taxonomies(&report.rules);
        Envelope {
            tool: tool(report, &taxonomies),
            taxonomies: (!taxonomies.is_empty()).then(|| taxonomy_components(&taxonomies)),
            automation: automation(cx),
            base_ids: report.source_root.as_ref().map(base_ids),
        }
    }
}

/// The log up to its run's first result: the run's members but its results
/// and invocations, indented.
pub fn open(envelope: &Envelope, out: &mut Vec<u8>) {
    out.extend_from_slice(
        format!("{{\n  \"$schema\": \"{SCHEMA_URI}\",\n  \"version\": \"{VERSION}\",\n  \"runs\": [\n    {{\n      \"tool\": ")
            .as_bytes(),
    );
    super::pretty(out, &envelope.tool, "      ");
    if let Some(taxonomies) = &envelope.taxonomies {
        out.extend_from_slice(b",\n      \"taxonomies\": ");
        super::pretty(out, taxonomies, "      ");
    }
    if let Some(details) = &envelope.automation {
        out.extend_from_slice(b",\n      \"automationDetails\": ");
        super::pretty(out, details, "      ");
    }
    if let Some(ids) = &envelope.base_ids {
        out.extend_from_slice(b",\n      \"originalUriBaseIds\": ");
        super::pretty(out, ids, "      ");
    }
    out.extend_from_slice(b",\n      \"results\": [");
}

/// Before each result: a new line, and a comma after the first.
pub fn separate(first: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if first { b"\n        " } else { b",\n        " });
}

/// The log after its last result (`any`: there was one): the invocation.
pub fn close(any: bool, invocation: &Invocation, out: &mut Vec<u8>) {
    out.extend_from_slice(if any {
        b"\n      ],\n      \"invocations\": [\n        "
    } else {
        b"],\n      \"invocations\": [\n        "
    });
    super::pretty(out, invocation, "        ");
    out.extend_from_slice(b"\n      ]\n    }\n  ]\n}\n");
}

/// What the log of a report needs: each rule's place in the tool's `rules`
/// (results' `ruleIndex`), the work tree URIs are relative to, and the run's
/// category (`--category`).
#[derive(Debug, Clone)]
pub struct Context {
    rule_index: HashMap<&'static str, usize>,
    root: Option<SourceRoot>,
    category: Option<String>,
}

impl Context {
    pub fn new(report: &Report, category: Option<String>) -> Context {
        Context {
            rule_index: report
                .rules
                .iter()
                .enumerate()
                .map(|(i, r)| (r.code, i))
                .collect(),
            root: report.source_root.clone(),
            category,
        }
    }

    fn index(&self, rule: &RuleMeta) -> Option<usize> {
        self.rule_index.get(rule.code).copied()
    }
}

/// One image's results, one per line; `,` separates images.
pub fn image(findings: &[Finding], cx: &Context, out: &mut Vec<u8>) {
    for (i, f) in findings.iter().enumerate() {
        separate(i == 0, out);
        line(f, cx.index(f.rule), cx.root.as_ref(), out);
    }
}

/// Everything after the last result: the summaries of the findings past the
/// limit (`summary`), then the invocation.
pub fn tail(report: &Report, summary: Option<&Summary>, cx: &Context, out: &mut Vec<u8>) {
    if let Some(held) = summary {
        let kept = held.kept();
        let results = match held.findings {
            0 => Vec::new(),
            _ => held.results(|id| cx.rule_index.get(id).copied()),
        };
        let mut first = true;
        let mut next = |out: &mut Vec<u8>| {
            separate(first, out);
            first = false;
        };
        for f in kept {
            next(out);
            line(f, cx.index(f.rule), cx.root.as_ref(), out);
        }
        for result in &results {
            next(out);
            out.extend_from_slice(&serde_json::to_vec(&result).unwrap_or_default());
        }
    }
    let summary = summary.filter(|s| s.findings > 0);
    let mut invocation = invocation(report);
    if let Some(summary) = summary {
        let note = Notification::builder()
            .message(text(summary.notice()))
            .level(Value::String("warning".to_string()))
            .build();
        invocation
            .tool_execution_notifications
            .get_or_insert_with(Vec::new)
            .push(note);
    }
    close(report.tally.findings > 0, &invocation, out);
}

/// The most characters of a result's message: `IMAGE: message` from an
/// export or a policy can be any length, and a log of 5,000 results must stay
/// under GitHub's 10 MB (gzipped).
const MAX_MESSAGE_CHARS: usize = 2_000;

/// A result's message, `IMAGE: message`, at most `MAX_MESSAGE_CHARS`.
fn message_text(f: &Finding) -> String {
    cut_message(f).unwrap_or_else(|| format!("{}: {}", f.image_id, f.message))
}

/// `IMAGE: message` cut to `MAX_MESSAGE_CHARS` characters (the last one
/// `…`); `None` when it fits (the line writer then writes the pieces
/// without a copy).
fn cut_message(f: &Finding) -> Option<String> {
    // Bytes ≥ characters: under the limit in bytes, it fits.
    if f.image_id.len() + 2 + f.message.len() <= MAX_MESSAGE_CHARS {
        return None;
    }
    let whole = format!("{}: {}", f.image_id, f.message);
    let (end, _) = whole.char_indices().nth(MAX_MESSAGE_CHARS - 1)?;
    Some(format!("{}…", &whole[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_21_long_messages_are_cut_alike_in_both_writers() {
        let mut f = crate::output::json::tests::samples().remove(0);
        f.message = "é".repeat(5_000);
        let cut = message_text(&f);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS);
        assert!(cut.ends_with('…'));
        let mut out = Vec::new();
        line(&f, None, None, &mut out);
        let written: Value = serde_json::from_slice(&out).expect("parses");
        assert_eq!(written["message"]["text"], cut);
        let short = crate::output::json::tests::samples().remove(0);
        assert_eq!(
            message_text(&short),
            format!("{}: {}", short.image_id, short.message)
        );
    }

    #[test]
    fn lines_are_the_typed_result() {
        let root = SourceRoot {
            uri: "file:///work/repo/".to_string(),
            prefix: "infra/".to_string(),
        };
        for f in crate::output::json::tests::samples() {
            for (index, root) in [(None, None), (Some(3), Some(root.clone()))] {
                let mut out = Vec::new();
                line(&f, index, root.as_ref(), &mut out);
                let written: Value = serde_json::from_slice(&out).expect("parses");
                let typed =
                    serde_json::to_value(result(&f, index, root.as_ref())).expect("serialises");
                assert_eq!(written, typed);
            }
        }
    }
}
