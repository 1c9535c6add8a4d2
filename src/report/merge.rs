//! `amilint merge`: one report from the reports of a sharded scan (one CI job
//! per account or region). Findings are de-duplicated by fingerprint; every
//! scope's status, error and warning is kept; summaries are recomputed.
//!
//! Reports are read as streams (`report::read`), twice: the first pass checks
//! that each is an amilint report of a known schema version (every finding
//! or result with amilint's fingerprint: nothing is dropped silently) and
//! gathers what the merged header needs; the second writes the findings, one
//! at a time. Memory holds one finding at a time plus a number per distinct
//! fingerprint (about 16 bytes a finding), not the reports.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::InputError;
use crate::finding::identity;
use crate::output::v1;
use crate::report::read::{self, Item};
use crate::rules::Severity;

pub use crate::report::read::Kind;

mod sarif;
use sarif::SarifParts;

/// What the first pass learnt: enough to write the merged report's header
/// and to tell its exit code.
pub struct Plan<'a> {
    pub kind: Kind,
    paths: Vec<&'a Path>,
    /// The merged report around its list of findings (or results).
    finished: Finished,
    /// A shard was incomplete (an error, or an unsuccessful SARIF run).
    pub incomplete: bool,
    /// A finding that counts is at or above the shards' `fail_on`.
    pub failing: bool,
    /// How the merged SARIF log had to be written (results summarised).
    pub notice: Option<String>,
}

/// First pass: reads and checks every report; the kind is that of the first.
/// A merged SARIF log lists at most `sarif_max_results` results (0: all).
pub fn plan<'a>(paths: &[&'a Path], sarif_max_results: usize) -> Result<Plan<'a>, InputError> {
    let mut kind = None;
    let mut json = JsonParts::default();
    let mut sarif = SarifParts::new(sarif_max_results);
    let mut versions: Option<(bool, String)> = None;
    for path in paths {
        let shown = path.display().to_string();
        let refuse = |message: String| InputError::Syntax {
            path: shown.clone(),
            line: 1,
            column: 1,
            message,
        };
        // Whether its fingerprints are of version 1 (`None`: it has none).
        let mut legacy = None;
        let members = read::read_file(path, &mut |print, item| {
            let old = identity::is_legacy(print);
            *legacy.get_or_insert(old) |= old;
            match item {
                Item::Finding(finding) => json.finding(print, &finding),
                Item::Result(result) => sarif.result(print, &result),
            }
        })?;
        if let Some(legacy) = legacy {
            match &versions {
                Some((was, first)) if *was != legacy => {
                    return Err(refuse(format!(
                        "its findings have fingerprints of version {}, {first}'s of version {}: the same finding would be listed twice; merge reports of one amilint version (scan again with this one)",
                        if legacy { 1 } else { 2 },
                        if *was { 1 } else { 2 },
                    )));
                }
                Some(_) => {}
                None => versions = Some((legacy, shown.clone())),
            }
        }
        if *kind.get_or_insert(members.kind) != members.kind {
            return Err(refuse(
                "cannot merge JSON reports with SARIF logs: give one kind".to_string(),
            ));
        }
        match members.kind {
            Kind::Json => json.members(members.top).map_err(refuse)?,
            Kind::Sarif => sarif.runs(members.runs).map_err(refuse)?,
        }
    }
    let kind = kind.unwrap_or(Kind::Json);
    let finished = match kind {
        Kind::Json => json.finish(),
        Kind::Sarif => sarif.finish(),
    };
    Ok(Plan {
        kind,
        paths: paths.to_vec(),
        incomplete: finished.incomplete,
        failing: finished.failing,
        notice: finished.notice.clone(),
        finished,
    })
}

/// Second pass: writes the merged report to `out`, each distinct finding once.
pub fn write(plan: &Plan<'_>, out: &mut dyn Write) -> io::Result<()> {
    let finished = &plan.finished;
    out.write_all(&finished.prefix)?;
    let mut seen = HashSet::new();
    let mut first = true;
    let mut line = Vec::new();
    let next = |first: &mut bool, line: &mut Vec<u8>| {
        line.clear();
        (finished.separate)(*first, line);
        *first = false;
    };
    for path in &plan.paths {
        let mut failure = None;
        read::read_file(path, &mut |print, item| {
            let listed = finished
                .listed
                .as_ref()
                .is_none_or(|kept| kept.contains(&print));
            if !seen.insert(print) || !listed {
                return Ok(()); // a duplicate, or in the summaries
            }
            next(&mut first, &mut line);
            match item {
                // As v1 writes it (the scan's line writer is held to it).
                Item::Finding(finding) => serde_json::to_writer(&mut line, &finding),
                // As written when its rule keeps its place in the merged
                // tool (the shards ran the same rules); else with its new place.
                Item::Result(result) => {
                    let index = finished.rule_index(result.rule_id.as_deref());
                    if index == result.rule_index {
                        line.extend_from_slice(result.text().as_bytes());
                        Ok(())
                    } else {
                        let mut typed = result.typed()?;
                        typed.rule_index = index;
                        serde_json::to_writer(&mut line, &typed)
                    }
                }
            }
            .map_err(|e| e.to_string())?;
            out.write_all(&line).map_err(|e| {
                let message = e.to_string();
                failure = Some(e);
                message
            })
        })
        .map_err(|e| {
            failure
                .take()
                .unwrap_or_else(|| io::Error::other(e.to_string()))
        })?;
    }
    for summary in &finished.summaries {
        next(&mut first, &mut line);
        line.extend_from_slice(summary);
        out.write_all(&line)?;
    }
    out.write_all(&finished.suffix[usize::from(!first)])
}

/// What JSON reports contribute, read as `v1` defines them and summed over
/// the shards; the gate counts like a scan (`finding::counts`, `finding::fails`).
#[derive(Default)]
struct JsonParts {
    /// The merged report but its findings, the first shard's tool, time and
    /// threshold.
    merged: Option<v1::Report<'static>>,
    seen: HashSet<u128>,
    by_severity: BTreeMap<Severity, usize>,
    by_rule: BTreeMap<String, usize>,
    findings: usize,
    suppressed: usize,
    /// Findings that count for the gate, by severity.
    counting: BTreeMap<Severity, usize>,
    /// The same, leaving out images known to be unused (for `gate_in_use`).
    counting_in_use: BTreeMap<Severity, usize>,
}

impl JsonParts {
    /// A shard's finding: counted once, whichever shards hold it.
    fn finding(&mut self, print: u128, f: &v1::Finding<'_>) -> Result<(), String> {
        if !self.seen.insert(print) {
            return Ok(());
        }
        *self.by_severity.entry(f.severity).or_default() += 1;
        *self.by_rule.entry(f.rule_id.to_string()).or_default() += 1;
        self.findings += 1;
        self.suppressed += usize::from(f.suppression.is_some());
        if f.counts() {
            *self.counting.entry(f.severity).or_default() += 1;
            if !f.known_unused() {
                *self.counting_in_use.entry(f.severity).or_default() += 1;
            }
        }
        Ok(())
    }

    /// A shard's members but its findings, read as v1 defines them.
    fn members(&mut self, mut top: Map<String, Value>) -> Result<(), String> {
        top.insert("findings".to_string(), Value::Array(Vec::new()));
        let shard: v1::Report<'static> = serde_json::from_value(Value::Object(top))
            .map_err(|e| format!("not an amilint JSON report of schema version 1: {e}"))?;
        let Some(merged) = &mut self.merged else {
            self.merged = Some(shard);
            return Ok(());
        };
        let scan = &mut merged.scan;
        extend_unique(&mut scan.inputs, shard.scan.inputs);
        extend_unique(&mut scan.rules, shard.scan.rules);
        extend_unique(&mut scan.scopes, shard.scan.scopes);
        if let Some(n) = shard.scan.api_calls {
            *scan.api_calls.get_or_insert(0) += n;
        }
        extend_unique(&mut merged.errors, shard.errors);
        extend_unique(&mut merged.warnings, shard.warnings);
        for note in shard.notes {
            add_note(&mut merged.notes, note);
        }
        merged.summary.images_scanned += shard.summary.images_scanned;
        merged.summary.images_skipped += shard.summary.images_skipped;
        merged.summary.images_not_owned += shard.summary.images_not_owned;
        for (owner, n) in shard.summary.not_owned_by_owner {
            *merged.summary.not_owned_by_owner.entry(owner).or_default() += n;
        }
        merged.summary.accounts_scanned += shard.summary.accounts_scanned;
        merged.summary.workloads_scanned += shard.summary.workloads_scanned;
        Ok(())
    }

    fn finish(self) -> Finished {
        let Some(mut merged) = self.merged else {
            return Finished::default();
        };
        merged.scan.rules.sort();
        let mut by_rule: BTreeMap<v1::Text<'static>, usize> =
            merged.scan.rules.iter().map(|r| (r.clone(), 0)).collect();
        by_rule.extend(self.by_rule.into_iter().map(|(r, n)| (r.into(), n)));
        let summary = &mut merged.summary;
        summary.findings = self.findings;
        summary.by_severity = Severity::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().into(),
                    self.by_severity.get(s).copied().unwrap_or(0),
                )
            })
            .collect();
        summary.by_rule = by_rule;
        summary.suppressed = self.suppressed;
        summary.baseline = None;
        // A control's status needs every shard's evidence: not merged.
        summary.benchmark = None;
        let fail_on = merged.scan.fail_on.parse::<Severity>().ok();
        let counting = if merged.scan.gate_in_use {
            &self.counting_in_use
        } else {
            &self.counting
        };
        summary.gate = Some(crate::finding::Gate::new(
            counting,
            fail_on,
            merged.errors.len(),
        ));
        let mut prefix = Vec::new();
        v1::head(&merged.tool, &mut prefix);
        let tail = |any| {
            let mut out = Vec::new();
            v1::tail(&merged, any, &mut out);
            out
        };
        Finished {
            prefix,
            separate: v1::separate,
            suffix: [tail(false), tail(true)],
            rule_ids: Vec::new(),
            incomplete: !merged.errors.is_empty(),
            failing: crate::finding::fails(counting, fail_on),
            ..Finished::default()
        }
    }
}

/// What a first pass gives the second: the merged report around its list.
struct Finished {
    prefix: Vec<u8>,
    /// Writes what goes before each item of the list (`v1::separate`,
    /// `sarif::separate`).
    separate: fn(bool, &mut Vec<u8>),
    /// After the list: when it is empty, and when it is not.
    suffix: [Vec<u8>; 2],
    /// SARIF: the merged tool's rules, for each result's `ruleIndex`.
    rule_ids: Vec<String>,
    incomplete: bool,
    failing: bool,
    /// SARIF past its limit: the results listed one by one (the most
    /// severe, then by fingerprint: the same whatever the shards' order),
    /// the summaries of the others (written last), and the notice saying so.
    listed: Option<HashSet<u128>>,
    summaries: Vec<Vec<u8>>,
    notice: Option<String>,
}

impl Default for Finished {
    fn default() -> Self {
        Finished {
            prefix: Vec::new(),
            separate: v1::separate,
            suffix: Default::default(),
            rule_ids: Vec::new(),
            incomplete: false,
            failing: false,
            listed: None,
            summaries: Vec::new(),
            notice: None,
        }
    }
}

impl Finished {
    fn rule_index(&self, rule: Option<&str>) -> Option<i64> {
        let i = self
            .rule_ids
            .iter()
            .position(|id| Some(id.as_str()) == rule)?;
        Some(i as i64)
    }
}

/// Appends `items` to `out`, skipping exact duplicates.
fn extend_unique<T: PartialEq>(out: &mut Vec<T>, items: Vec<T>) {
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
}

/// Adds a shard's note to the merged ones. A note of the same rule, the same
/// need and the same words but for its counts ("AMI012 skipped on 2 of 3
/// images") is one note with the counts summed — the note one whole run would
/// have written — even when two shards' notes are alike to the letter.
fn add_note(notes: &mut Vec<v1::Note<'static>>, note: v1::Note<'static>) {
    for merged in notes.iter_mut() {
        if merged.rule_id != note.rule_id || merged.needs != note.needs {
            continue;
        }
        if let Some(message) = sum_counts(&merged.message, &note.message) {
            merged.skipped += note.skipped;
            merged.images += note.images;
            merged.message = message.into();
            return;
        }
    }
    notes.push(note);
}

/// Two messages that say the same but for their first count phrase ("2 of
/// 3"): the message with the phrases' numbers summed ("4 of 6").
fn sum_counts(a: &str, b: &str) -> Option<String> {
    let (at, a1, a2) = count_phrase(a)?;
    let (bt, b1, b2) = count_phrase(b)?;
    (a[..at.start] == b[..bt.start] && a[at.end..] == b[bt.end..]).then(|| {
        format!(
            "{}{} of {}{}",
            &a[..at.start],
            a1 + b1,
            a2 + b2,
            &a[at.end..]
        )
    })
}

/// The first "N of M" in a message: where it is and its two numbers.
fn count_phrase(message: &str) -> Option<(std::ops::Range<usize>, u64, u64)> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let mut from = 0;
    while let Some(i) = message[from..].find(" of ").map(|i| i + from) {
        let before = message[..i]
            .bytes()
            .rev()
            .take_while(u8::is_ascii_digit)
            .count();
        let after = digits(&message[i + 4..]);
        if before > 0 && after > 0 {
            let start = i - before;
            let end = i + 4 + after;
            let first = message[start..i].parse().ok()?;
            let second = message[i + 4..end].parse().ok()?;
            return Some((start..end, first, second));
        }
        from = i + 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::sum_counts;

    #[test]
    fn counts_are_summed_only_between_notes_alike_but_for_them() {
        assert_eq!(
            sum_counts(
                "AMI012 skipped on 2 of 3 images: needs LaunchPermissions",
                "AMI012 skipped on 2 of 3 images: needs LaunchPermissions"
            )
            .as_deref(),
            Some("AMI012 skipped on 4 of 6 images: needs LaunchPermissions")
        );
        assert_eq!(
            sum_counts(
                "AMI201 not assessed in 1 of 17 scopes: ec2:X denied",
                "AMI201 not assessed in 3 of 34 scopes: ec2:X denied"
            )
            .as_deref(),
            Some("AMI201 not assessed in 4 of 51 scopes: ec2:X denied")
        );
        assert_eq!(
            sum_counts(
                "AMI012 skipped on 2 of 3 images",
                "AMI013 skipped on 2 of 3 images"
            ),
            None
        );
        assert_eq!(sum_counts("no counts here", "no counts here"), None);
    }
}
