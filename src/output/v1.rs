//! The JSON report, version 1: its one definition. The JSON output writes
//! it (findings through a fast line writer that a test holds equal to
//! `Finding`), the schema (docs/report.schema.json) is generated from it, and
//! every reader of our own reports (`fix`, `merge`, `--baseline`) reads it.
//! Its shape is public API: change it only by adding fields, or by bumping
//! `SCHEMA_VERSION`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rules::Severity;

pub const SCHEMA_VERSION: u32 = 1;

/// Text borrowed when written, owned when read.
pub type Text<'a> = Cow<'a, str>;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Report<'a> {
    pub schema_version: u32,
    pub tool: Tool<'a>,
    /// In input order: by input, then image, then rule.
    pub findings: Vec<Finding<'a>>,
    /// After the findings: a live scan knows its scopes only at the end.
    pub scan: Scan<'a>,
    pub errors: Vec<Error<'a>>,
    /// Configuration warnings (expired or stale waivers); they do not change the exit code.
    pub warnings: Vec<Warning<'a>>,
    /// Rules skipped on images, one entry per rule and cause: the images lack the data it
    /// needs, or a date it reads is not one amilint reads.
    pub notes: Vec<Note<'a>>,
    pub summary: Summary<'a>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tool<'a> {
    pub name: Text<'a>,
    pub version: Text<'a>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scan<'a> {
    pub now: Text<'a>,
    pub inputs: Vec<Text<'a>>,
    pub rules: Vec<Text<'a>>,
    /// A severity, or `never`.
    pub fail_on: Text<'a>,
    /// Whether findings on images known to be unused count for the gate
    /// (`gate_in_use`): `false`, every finding counts.
    #[serde(default)]
    pub gate_in_use: bool,
    /// The configuration file the scan read (`null`: none).
    #[serde(default)]
    pub config: Option<Text<'a>>,
    /// Live scans: every account × region and how it ended (empty offline).
    pub scopes: Vec<Scope<'a>>,
    /// Live scans: API operations called (null offline).
    pub api_calls: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope<'a> {
    pub account_id: Text<'a>,
    pub region: Text<'a>,
    /// `scanned` or `failed`.
    pub status: Text<'a>,
    pub images: Option<u64>,
    pub error: Option<Text<'a>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Summary<'a> {
    pub images_scanned: u64,
    pub images_skipped: u64,
    /// Accounts × regions whose guardrails were linted (live, or `--settings-file`).
    #[serde(default)]
    pub accounts_scanned: u64,
    /// Instances, launch template versions and Auto Scaling groups linted by
    /// the fleet rules (`--fleet`, `--fleet-file`).
    #[serde(default)]
    pub workloads_scanned: u64,
    /// Images of other owners, not linted by owner-only rules (`--owner`).
    #[serde(default)]
    pub images_not_owned: u64,
    /// The same by owner: its alias (`amazon`…), else its account id.
    #[serde(default)]
    pub not_owned_by_owner: BTreeMap<Text<'a>, u64>,
    pub findings: usize,
    pub by_severity: BTreeMap<Text<'a>, usize>,
    pub by_rule: BTreeMap<Text<'a>, usize>,
    /// Findings suppressed by a waiver or an image tag (counted in `findings`).
    pub suppressed: usize,
    /// With `--baseline`: findings new and unchanged, and baseline findings gone.
    pub baseline: Option<Baseline>,
    /// The gate's verdict (what the exit code says).
    #[serde(default)]
    pub gate: Option<crate::finding::Gate>,
    /// `--benchmark`: each control of the framework, judged.
    #[serde(default)]
    pub benchmark: Option<Benchmark<'a>>,
}

/// A `--benchmark` scan's controls.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Benchmark<'a> {
    /// The framework's id (`cis-compute-v1.0.0`).
    pub framework: Text<'a>,
    pub title: Text<'a>,
    pub controls: Vec<BenchmarkControl<'a>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BenchmarkControl<'a> {
    pub control: Text<'a>,
    pub title: Text<'a>,
    /// `passed`, `failed` or `not assessed` (never passed for want of data).
    pub status: Text<'a>,
    /// The rules mapped to the control.
    pub rules: Vec<Text<'a>>,
    /// Their findings.
    pub findings: usize,
    /// The first images (or account/region subjects) they found something on.
    #[serde(default)]
    pub images: Vec<Text<'a>>,
    /// Why it is not assessed, or what limits a pass.
    pub reason: Option<Text<'a>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub new: usize,
    pub unchanged: usize,
    pub absent: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding<'a> {
    pub rule_id: Text<'a>,
    pub rule_name: Text<'a>,
    pub severity: Severity,
    /// What the finding is about: `image` (or a preflight's `request`),
    /// `account` (an account's guardrails in a region), or a fleet rule's
    /// workload: `instance`, `launch-template`, `auto-scaling-group`.
    #[serde(default = "image_subject")]
    pub subject: Text<'a>,
    /// The subject's id: an image id, a request's name, `ACCOUNT/REGION`, or
    /// a workload's id (`i-…`, `lt-…:$Default`, a group's name).
    pub image_id: Text<'a>,
    pub image_name: Option<Text<'a>>,
    /// Live scans: where the image was found.
    pub account_id: Option<Text<'a>>,
    pub region: Option<Text<'a>>,
    pub image_arn: Option<Text<'a>>,
    /// A workload's ARN (a fleet rule's finding only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_arn: Option<Text<'a>>,
    /// The image the workload launches from (a fleet rule's finding only;
    /// `-` when its id could not be told).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses_image_id: Option<Text<'a>>,
    pub message: Text<'a>,
    pub location: Location<'a>,
    pub fingerprint: Text<'a>,
    pub suppression: Option<Suppression<'a>>,
    /// With `--baseline`: `new` or `unchanged`.
    pub baseline_state: Option<Text<'a>>,
    /// The exact fix for this image, when the rule knows one.
    pub remediation: Option<Fix<'a>>,
    /// What uses the image (`scan --aws --references`); `null` when unknown.
    #[serde(default)]
    pub usage: Option<Usage<'a>>,
    /// Whether the image is the user's (`--owner`): `amilint fix` changes
    /// owned images only. `null` for an account's guardrails.
    #[serde(default)]
    pub owned: Option<bool>,
    /// The compliance controls the rule helps meet, as `FRAMEWORK/CONTROL`
    /// (`cis-compute-v1.0.0/2.1.5`; see `amilint rules --format json`).
    #[serde(default)]
    pub compliance: Vec<Text<'a>>,
}

fn image_subject() -> Text<'static> {
    std::borrow::Cow::Borrowed("image")
}

/// The resources that reference the image.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Usage<'a> {
    pub total: u64,
    /// How many of each resource type (`ec2:Instance`, `ec2:LaunchTemplate`,
    /// `ssm:Parameter`, `imagebuilder:ImageRecipe`, `imagebuilder:ContainerRecipe`).
    pub by_type: std::collections::BTreeMap<Text<'a>, u64>,
    /// The first ten resources' ARNs.
    pub resources: Vec<Text<'a>>,
}

impl Finding<'_> {
    /// Whether the gate counts it: the same rule as a scan's (`finding::counts`).
    pub fn counts(&self) -> bool {
        crate::finding::counts(
            self.suppression.is_some(),
            self.baseline_state.as_deref() == Some("unchanged"),
        )
    }

    /// Whether its image is known to be unused (`gate_in_use` leaves it out).
    pub fn known_unused(&self) -> bool {
        self.usage.as_ref().is_some_and(|u| u.total == 0)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location<'a> {
    pub uri: Text<'a>,
    pub line: u64,
    pub column: u64,
    pub pointer: Text<'a>,
    /// The line of the offending field, when it has one.
    pub field_line: Option<u64>,
    /// The file of `field_line` when it is not `uri`: the `--snapshots-file`
    /// that held the snapshot the finding is about. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_uri: Option<Text<'a>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppression<'a> {
    /// `waiver` or `tag`.
    pub kind: Text<'a>,
    pub justification: Text<'a>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Fix<'a> {
    /// AWS CLI commands, shell-quoted, to run in order.
    pub commands: Vec<Text<'a>>,
    /// The same calls as data, what `amilint fix` reads: the EC2 operation and
    /// its input document (the API's, as `aws ec2 … --cli-input-json` takes it).
    pub actions: Vec<Action<'a>>,
    /// What to know before running them.
    pub note: Option<Text<'a>>,
    /// Whether the change can be undone (`false` for IMDSv2).
    pub reversible: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Action<'a> {
    /// The EC2 operation: `ModifyImageAttribute`, `EnableImageDeprecation`,
    /// `EnableImageDeregistrationProtection`, `DisableImage`,
    /// `ModifySnapshotAttribute`, `CopyImage`, or an account guardrail's
    /// `Enable…`/`ModifyInstanceMetadataDefaults` call.
    pub operation: Text<'a>,
    /// Kept as written (its members in the API's order) when read back.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub input: Box<serde_json::value::RawValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Error<'a> {
    /// `policy` (a policy failed on an image) or `fetch` (a live scan could
    /// not read a scope or an image's attributes).
    pub kind: Text<'a>,
    pub message: Text<'a>,
    pub rule_id: Option<Text<'a>>,
    pub image_id: Option<Text<'a>>,
    pub account_id: Option<Text<'a>>,
    pub region: Option<Text<'a>>,
    /// The policy script, with the position of the failure when known.
    pub script: Option<Text<'a>>,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Warning<'a> {
    pub message: Text<'a>,
    pub file: Option<Text<'a>>,
    pub line: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note<'a> {
    pub rule_id: Text<'a>,
    /// Images the rule was skipped on.
    pub skipped: u64,
    /// Images scanned in all.
    pub images: u64,
    /// The data the rule needs, as the describe-images key that holds it; for a date
    /// the rule could not read, `a CreationDate amilint reads` (the field's name).
    pub needs: Text<'a>,
    /// The whole note, with how to get the data.
    pub message: Text<'a>,
}

// The report is written in two parts around its findings, so that they
// stream: `head`, the findings one per line (compact), then `tail`. The rest
// is indented as usual. The JSON output and `merge` both write it so.

/// Everything before the first finding.
pub fn head(tool: &Tool<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\n");
    entry(out, "schema_version", &SCHEMA_VERSION, false);
    entry(out, "tool", tool, false);
    out.extend_from_slice(b"  \"findings\": [");
}

/// Before each finding's line: a new line, and a comma after the first.
pub fn separate(first: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if first { b"\n    " } else { b",\n    " });
}

/// Everything after the last finding: `report`'s members but its findings
/// (`any` says whether a finding was written).
pub fn tail(report: &Report<'_>, any: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if any { b"\n  ],\n" } else { b"],\n" });
    entry(out, "scan", &report.scan, false);
    entry(out, "errors", &report.errors, false);
    entry(out, "warnings", &report.warnings, false);
    entry(out, "notes", &report.notes, false);
    entry(out, "summary", &report.summary, true);
    out.extend_from_slice(b"}\n");
}

fn entry(out: &mut Vec<u8>, key: &str, value: &impl Serialize, last: bool) {
    out.extend_from_slice(format!("  \"{key}\": ").as_bytes());
    let text =
        serde_json::to_string_pretty(value).expect("invariant: report values serialise to JSON");
    out.extend_from_slice(text.replace('\n', "\n  ").as_bytes());
    out.extend_from_slice(if last { b"\n" } else { b",\n" });
}

/// The JSON Schema of the report (docs/report.schema.json is generated from it).
pub fn schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Report<'static>);
    schema.insert(
        "title".into(),
        "amilint JSON report, schema_version 1".into(),
    );
    serde_json::to_value(schema).unwrap_or_default()
}
