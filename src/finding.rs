//! Findings and the report a scan produces. No formatting here.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use crate::model::{ImageScope, Pointer};
use crate::rules::compliance::FAILING_LISTED;
use crate::rules::{RuleMeta, Severity};

pub mod identity;
mod problems;
pub use identity::{FINGERPRINT_KEY, FINGERPRINT_VERSION, Identity, LEGACY_FINGERPRINT_KEY};
pub use problems::{
    Cause, ErrorKind, NotOwned, Note, ScanError, ScopeStatus, SourceSpan, Unassessed, Warning,
    note_lines, stop_reading,
};

/// Where a finding points: the image's JSON object in an input, plus the
/// offending field as a JSON pointer inside that image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The input as a URI reference (relative path, or `stdin`).
    pub uri: Arc<str>,
    /// 1-based line and column of the image object's opening `{`.
    pub line: u64,
    pub column: u64,
    pub pointer: Pointer,
    /// The line of the offending field itself, when the image has that field
    /// (an absent field, e.g. no `ImdsSupport`, has no line of its own).
    pub field_line: Option<u64>,
    /// The file `field_line` is in when it is not the image's: the
    /// `--snapshots-file` that held the snapshot a finding is about.
    pub field_uri: Option<Arc<str>>,
}

impl Location {
    /// The most precise place: the field's file and line, else the image's.
    pub fn best(&self) -> (&Arc<str>, u64) {
        (
            self.field_uri.as_ref().unwrap_or(&self.uri),
            self.field_line.unwrap_or(self.line),
        )
    }
}

/// One rule violated by one image.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    /// The effective severity (after `--severity` overrides).
    pub severity: Severity,
    pub image_id: Arc<str>,
    pub image_name: Option<Arc<str>>,
    /// Account, region and ARN, for images from a live scan.
    pub scope: Option<Arc<ImageScope>>,
    pub message: String,
    pub location: Location,
    /// Order of the input on the command line, for a deterministic order.
    pub input_index: usize,
    /// Set when a waiver or the image's `amilint:ignore` tag suppresses it:
    /// still reported, not counted by the gate.
    pub suppression: Option<Suppression>,
    /// With `--baseline`: whether the finding was already there.
    pub baseline: Option<BaselineState>,
    /// The finding's identity (`identity::Identity`, docs/fingerprints.md),
    /// computed once.
    pub fingerprint: String,
    /// The exact fix (AWS CLI commands for this image), when the rule knows one.
    pub fix: Option<crate::remedy::Fix>,
    /// What uses the image (`scan --aws --references`); `None` when unknown.
    pub usage: Option<Arc<Usage>>,
    /// `gate_in_use`, and the image is known unused: the gate does not count it.
    pub outside_gate: bool,
    /// Whether the image is the user's (`plan::Ownership`); `None` for an
    /// account's guardrails. `amilint fix` changes owned images only.
    pub owned: Option<bool>,
    /// A fleet rule's finding: the workload's kind and the image it
    /// launches from (`image_id` is then the workload's id, `scope`'s ARN
    /// its ARN).
    pub workload: Option<Arc<InUseLink>>,
}

/// What a fleet finding's workload is and which image it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InUseLink {
    pub kind: crate::model::WorkloadKind,
    /// The image id (`-` when it could not be told).
    pub image_id: String,
}

/// The resources that reference an image, for every finding on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Usage {
    pub total: usize,
    /// How many of each resource type (`ec2:Instance`, …), by type.
    pub by_type: BTreeMap<String, usize>,
    /// The first `USAGE_LISTED` ARNs, in the order EC2 gave them.
    pub resources: Vec<String>,
}

/// How many skipped images the text summary names.
pub const SKIPPED_LISTED: usize = 3;

/// How many referencing resources a finding lists by ARN (the total is always given).
pub const USAGE_LISTED: usize = 10;

impl Usage {
    pub fn of(references: &[crate::model::ImageReference]) -> Usage {
        let mut by_type = BTreeMap::new();
        for r in references {
            *by_type.entry(r.resource_type.clone()).or_insert(0) += 1;
        }
        Usage {
            total: references.len(),
            by_type,
            resources: references
                .iter()
                .take(USAGE_LISTED)
                .map(|r| r.arn.clone())
                .collect(),
        }
    }

    /// `3 ec2:Instance, 1 ec2:LaunchTemplate`.
    pub fn summary(&self) -> String {
        self.by_type
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why a finding is suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub justification: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionKind {
    /// A `[[waivers]]` entry of the config file.
    Waiver,
    /// The image's `amilint:ignore` tag.
    Tag,
}

impl SuppressionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::Waiver => "waiver",
            SuppressionKind::Tag => "tag",
        }
    }
}

/// A finding compared with a baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineState {
    New,
    Unchanged,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
        }
    }
}

impl Finding {
    /// Whether the gate counts it: not suppressed, new if there is a
    /// baseline, and (with `gate_in_use`) not on an image known to be unused.
    pub fn counts(&self) -> bool {
        counts(
            self.suppression.is_some(),
            self.baseline == Some(BaselineState::Unchanged),
        ) && !self.outside_gate
    }
}

impl Finding {
    /// Whether two findings are about the same image of the same input.
    pub fn same_image(&self, other: &Finding) -> bool {
        (self.input_index, self.location.line, self.location.column)
            == (
                other.input_index,
                other.location.line,
                other.location.column,
            )
            && self.image_id == other.image_id
    }

    /// The deterministic report order: input, position in it, then rule.
    /// Whether the finding is about an account's guardrails in a region
    /// (its `image_id` is then `ACCOUNT/REGION`), not an image.
    pub fn about_account(&self) -> bool {
        self.rule.subject == crate::rules::Subject::Account
    }

    /// What the finding is about, as reports name it: `account`, `request`
    /// (a preflight's), a workload's kind (`instance`, `launch-template`,
    /// `auto-scaling-group`), or `image`.
    pub fn subject(&self, requests: bool) -> &'static str {
        if self.about_account() {
            "account"
        } else if let Some(link) = &self.workload {
            link.kind.as_str()
        } else if requests {
            "request"
        } else {
            "image"
        }
    }

    /// The image's ARN from `scope`; `None` for an account's or a
    /// workload's finding.
    pub fn image_arn_of<'s>(&self, scope: &'s ImageScope) -> Option<&'s str> {
        (!self.about_account() && self.workload.is_none()).then_some(scope.image_arn.as_str())
    }

    /// A workload's ARN (an instance's, launch template's, group's), for a
    /// fleet rule's finding.
    pub fn resource_arn(&self) -> Option<&str> {
        self.workload.as_ref()?;
        self.scope
            .as_deref()
            .map(|s| s.image_arn.as_str())
            .filter(|a| !a.is_empty())
    }

    /// Input order, then the image's place in it, then the most severe
    /// first, then by code.
    pub fn sort_key(
        &self,
    ) -> (
        usize,
        u64,
        u64,
        std::cmp::Reverse<Severity>,
        &'static str,
        &str,
    ) {
        (
            self.input_index,
            self.location.line,
            self.location.column,
            std::cmp::Reverse(self.severity),
            self.rule.code,
            self.location.pointer.as_str(),
        )
    }
}

/// Everything the emitters present. Built by `app`, then only read.
///
/// A scan streams its findings to the outputs as it goes, so `findings` holds
/// them only when an output needs them all at the end (Markdown, JUnit) or the
/// caller asked for them; `tally` always counts every one.
#[derive(Debug, Clone)]
pub struct Report {
    pub tool_version: &'static str,
    /// The scan's "now" (time-based rules compare against it).
    pub now: Timestamp,
    /// Inputs in command-line order, as URIs.
    pub inputs: Vec<Arc<str>>,
    /// Every rule that ran, in code order.
    pub rules: Vec<&'static RuleMeta>,
    pub images_scanned: u64,
    pub images_skipped: u64,
    /// The first `SKIPPED_LISTED` of them, by id (the text summary names them).
    pub skipped_first: Vec<Arc<str>>,
    /// Accounts × regions whose guardrails were linted.
    pub accounts_scanned: u64,
    /// Instances, launch template versions and Auto Scaling groups linted
    /// by the fleet rules.
    pub workloads_scanned: u64,
    /// In report order (`Finding::sort_key`), when kept (see above).
    pub findings: Vec<Finding>,
    /// Counts over every finding of the scan, kept or not.
    pub tally: Tally,
    /// Problems that did not stop the scan but mean it is incomplete.
    pub errors: Vec<ScanError>,
    /// Live scans: every account × region, scanned or failed. Empty offline.
    pub scopes: Vec<ScopeStatus>,
    /// Live scans: API operations called (pages and attribute calls).
    pub api_calls: Option<u64>,
    /// Things worth knowing that do not make the scan incomplete (an expired
    /// or stale waiver).
    pub warnings: Vec<Warning>,
    /// Rules skipped on images that lack the data they need.
    pub notes: Vec<Note>,
    /// Live scans: rules whose data a call that was refused should have
    /// read (turned into notes, or errors for required rules, at the end).
    pub unassessed: Vec<Unassessed>,
    /// Images owner-only rules did not run on.
    pub not_owned: NotOwned,
    /// `--benchmark`: the framework, and each of its controls judged.
    pub benchmark: Option<(
        crate::rules::compliance::Framework,
        Vec<crate::rules::compliance::Assessed>,
    )>,
    /// With `--baseline`: findings of the baseline no longer present.
    pub baseline_absent: Option<usize>,
    /// Every linted image, in input order — kept only when an output needs
    /// it (JUnit's test case per image and rule); empty otherwise.
    pub images: Vec<ScannedImage>,
    /// Every account × region whose guardrails were linted (`ACCOUNT/REGION`),
    /// kept as `images` is.
    pub accounts: Vec<Arc<str>>,
    /// The workloads linted, with what did not judge each (when
    /// `keep_images`).
    pub workloads: Vec<ScannedImage>,
    /// The `--fail-on` threshold (`None` for `never`).
    pub fail_on: Option<Severity>,
    /// `gate_in_use`: findings on images known to be unused do not count.
    pub gate_in_use: bool,
    /// A preflight: what was linted were requests, not images.
    pub requests: bool,
    /// The configuration file the scan read.
    pub config: Option<Arc<str>>,
    /// The git work tree SARIF's URIs are relative to (`None` outside one,
    /// and for live scans, whose URIs name no file).
    pub source_root: Option<crate::input::source::SourceRoot>,
    /// How a report had to be written, for the user's attention (a SARIF
    /// report that summarised findings past its limit): printed on stderr.
    pub notices: Vec<String>,
}

/// Counts over all findings, updated as each is reported.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub findings: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    pub by_rule: BTreeMap<&'static str, usize>,
    /// The first images each rule found something on (`FAILING_LISTED` at
    /// most): a benchmark's failing images per control.
    pub images_by_rule: BTreeMap<&'static str, Vec<Arc<str>>>,
    pub suppressed: usize,
    /// With a baseline: findings not in it.
    pub new: usize,
    /// Findings the gate counts (`Finding::counts`), by severity.
    pub counting: BTreeMap<Severity, usize>,
}

impl Tally {
    pub fn add(&mut self, f: &Finding) {
        self.findings += 1;
        *self.by_severity.entry(f.severity).or_default() += 1;
        *self.by_rule.entry(f.rule.code).or_default() += 1;
        let images = self.images_by_rule.entry(f.rule.code).or_default();
        if images.len() < FAILING_LISTED && !images.contains(&f.image_id) {
            images.push(f.image_id.clone());
        }
        self.suppressed += usize::from(f.suppression.is_some());
        self.new += usize::from(f.baseline == Some(BaselineState::New));
        if f.counts() {
            *self.counting.entry(f.severity).or_default() += 1;
        }
    }
}

impl Report {
    /// An empty report of a scan about to run.
    pub fn new(
        now: Timestamp,
        inputs: Vec<Arc<str>>,
        rules: Vec<&'static RuleMeta>,
        fail_on: Option<Severity>,
    ) -> Self {
        Report {
            tool_version: env!("CARGO_PKG_VERSION"),
            now,
            inputs,
            rules,
            images_scanned: 0,
            accounts_scanned: 0,
            workloads_scanned: 0,
            images_skipped: 0,
            skipped_first: Vec::new(),
            findings: Vec::new(),
            tally: Tally::default(),
            errors: Vec::new(),
            scopes: Vec::new(),
            api_calls: None,
            warnings: Vec::new(),
            notes: Vec::new(),
            unassessed: Vec::new(),
            not_owned: NotOwned::default(),
            benchmark: None,
            baseline_absent: None,
            images: Vec::new(),
            accounts: Vec::new(),
            workloads: Vec::new(),
            fail_on,
            gate_in_use: false,
            requests: false,
            config: None,
            source_root: None,
            notices: Vec::new(),
        }
    }

    /// Every severity, with zeros.
    pub fn count_by_severity(&self) -> BTreeMap<Severity, usize> {
        let mut counts: BTreeMap<Severity, usize> = Severity::ALL.iter().map(|s| (*s, 0)).collect();
        counts.extend(&self.tally.by_severity);
        counts
    }

    /// Every rule that ran, with zeros.
    pub fn count_by_rule(&self) -> BTreeMap<&'static str, usize> {
        let mut counts: BTreeMap<&'static str, usize> =
            self.rules.iter().map(|r| (r.code, 0)).collect();
        counts.extend(&self.tally.by_rule);
        counts
    }

    /// The gate's verdict on this report.
    pub fn gate(&self) -> Gate {
        Gate::new(&self.tally.counting, self.fail_on, self.errors.len())
    }

    /// Whether any finding the gate counts is at or above the `--fail-on` threshold.
    pub fn fails(&self) -> bool {
        fails(&self.tally.counting, self.fail_on)
    }

    pub fn suppressed(&self) -> usize {
        self.tally.suppressed
    }

    /// (new, unchanged) with a baseline.
    pub fn baseline_counts(&self) -> Option<(usize, usize)> {
        self.baseline_absent?;
        Some((self.tally.new, self.tally.findings - self.tally.new))
    }
}

/// An image that was linted (for outputs that list passing images too).
#[derive(Debug, Clone)]
pub struct ScannedImage {
    pub id: Arc<str>,
    pub name: Option<Arc<str>>,
    /// Rules that did not run on it to the end, and why.
    pub not_run: Vec<NotRun>,
}

/// A rule that did not judge an image: skipped (no data, an unreadable
/// date: the cause, said as a note is), or failed on it (a policy error).
#[derive(Debug, Clone)]
pub struct NotRun {
    pub rule: &'static RuleMeta,
    pub failed: Option<String>,
    pub cause: Cause,
}

impl NotRun {
    /// Whether the rule failed on the image (an error, not a skip).
    pub fn error(&self) -> bool {
        self.failed.is_some()
    }

    /// Why, in words.
    pub fn why(&self) -> String {
        match &self.failed {
            Some(message) => message.clone(),
            None => Note {
                rule: self.rule,
                skipped: 1,
                images: 1,
                cause: self.cause,
            }
            .to_string(),
        }
    }
}

/// Whether the gate counts a finding: neither suppressed (waiver, tag) nor
/// unchanged since the baseline. A scan and `merge` count with this.
pub fn counts(suppressed: bool, unchanged: bool) -> bool {
    !suppressed && !unchanged
}

/// The gate's verdict, as the exit code gives it (`--exit-zero` changes the
/// exit code, not the verdict): said last in text, and as `summary.gate` in JSON.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// `passed`, `failed` (findings at or above `fail_on`: exit 1),
    /// `incomplete` (the scan had errors: exit 2) or `off` (`fail_on` never).
    pub status: String,
    /// The threshold: a severity, or `never`.
    pub fail_on: String,
    /// Findings the gate counts (not suppressed, not unchanged since the
    /// baseline) at or above `fail_on`.
    pub counted: usize,
}

impl Gate {
    pub fn new(
        counting: &BTreeMap<Severity, usize>,
        fail_on: Option<Severity>,
        errors: usize,
    ) -> Gate {
        let counted = fail_on.map_or(0, |t| counting.range(t..).map(|(_, n)| n).sum());
        let status = if errors > 0 {
            "incomplete"
        } else if fail_on.is_none() {
            "off"
        } else if counted > 0 {
            "failed"
        } else {
            "passed"
        };
        Gate {
            status: status.to_string(),
            fail_on: fail_on.map_or("never".to_string(), |s| s.to_string()),
            counted,
        }
    }
}

impl std::fmt::Display for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let findings = if self.counted == 1 {
            "finding"
        } else {
            "findings"
        };
        match self.status.as_str() {
            "off" => write!(f, "gate: off (--fail-on never)"),
            "incomplete" => write!(
                f,
                "gate: incomplete (the scan had errors, see above; {} {findings} at or above {})",
                self.counted, self.fail_on
            ),
            status => write!(
                f,
                "gate: {status} ({} {findings} at or above {})",
                self.counted, self.fail_on
            ),
        }
    }
}

/// Whether counting findings (by severity) fail the gate at `fail_on`.
pub fn fails(counting: &BTreeMap<Severity, usize>, fail_on: Option<Severity>) -> bool {
    fail_on.is_some_and(|threshold| counting.range(threshold..).any(|(_, n)| *n > 0))
}
