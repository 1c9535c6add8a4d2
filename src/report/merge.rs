//! `amilint merge`: one report from the reports of a sharded scan (one CI job
//! per account or region). Findings are de-duplicated by fingerprint; every
//! scope's status, error and warning is kept; summaries are recomputed.
//!
//! Reports are read as streams, twice: the first pass checks that each is an
//! amilint report of a known schema version (every finding or result with
//! amilint's fingerprint: nothing is dropped silently) and gathers what the
//! merged header needs; the second writes the findings, one at a time. Memory
//! holds one finding at a time plus a 64-bit number per distinct fingerprint
//! (about 16 bytes a finding), not the reports.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::InputError;
use crate::finding::{FINGERPRINT_KEY, LEGACY_FINGERPRINT_KEY};
use crate::output::v1;
use crate::report::baseline::parse_fingerprint;
use crate::rules::Severity;

mod stream;
use stream::stream;

/// The kind of the reports being merged (all must be the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Json,
    Sarif,
}

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

/// The merged report's findings (JSON) or results (SARIF): where they sit.
fn path_of(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Json => &["findings"],
        Kind::Sarif => &["runs", "results"],
    }
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
        let (this, legacy) = sniff_kind(path)?;
        if let Some(legacy) = legacy {
            match &versions {
                Some((was, first)) if *was != legacy => {
                    return Err(InputError::Syntax {
                        path: shown,
                        line: 1,
                        column: 1,
                        message: format!(
                            "its findings have fingerprints of version {}, {first}'s of version {}: the same finding would be listed twice; merge reports of one amilint version (scan again with this one)",
                            if legacy { 1 } else { 2 },
                            if *was { 1 } else { 2 },
                        ),
                    });
                }
                Some(_) => {}
                None => versions = Some((legacy, shown.clone())),
            }
        }
        if *kind.get_or_insert(this) != this {
            return Err(InputError::Syntax {
                path: shown,
                line: 1,
                column: 1,
                message: "cannot merge JSON reports with SARIF logs: give one kind".to_string(),
            });
        }
        match this {
            Kind::Json => json.add(path)?,
            Kind::Sarif => sarif.add(path)?,
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

/// Which kind of amilint report `path` is (checked whole, streaming), and
/// whether its fingerprints are of version 1 (`None`: it has none).
fn sniff_kind(path: &Path) -> Result<(Kind, Option<bool>), InputError> {
    let mut legacy = None;
    let kind = crate::report::baseline::read_fingerprints(path, |p| {
        let old = crate::finding::identity::is_legacy(p);
        *legacy.get_or_insert(old) |= old;
    })?;
    let kind = match kind {
        crate::report::baseline::ReportKind::Json => Kind::Json,
        crate::report::baseline::ReportKind::Sarif => Kind::Sarif,
    };
    Ok((kind, legacy))
}

/// Second pass: writes the merged report to `out`, each distinct finding once.
pub fn write(plan: &Plan<'_>, out: &mut dyn Write) -> io::Result<()> {
    let items = path_of(plan.kind);
    out.write_all(plan.finished.prefix.as_bytes())?;
    let mut seen = HashSet::new();
    let mut first = true;
    for path in &plan.paths {
        let mut failure = None;
        stream(path, items, &mut |raw| {
            let (print, line) = match plan.kind {
                // As v1 writes it (the scan's line writer is held to it).
                Kind::Json => {
                    let f: v1::Finding =
                        serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
                    (parse_fingerprint(&f.fingerprint), serde_json::to_vec(&f))
                }
                Kind::Sarif => {
                    let mut result: Value =
                        serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
                    let print = fingerprint(&result);
                    if let Some(map) = result.as_object_mut() {
                        let rule = map.get("ruleId").and_then(Value::as_str);
                        match plan
                            .finished
                            .rule_ids
                            .iter()
                            .position(|id| Some(id.as_str()) == rule)
                        {
                            Some(i) => map.insert("ruleIndex".to_string(), json!(i)),
                            None => map.remove("ruleIndex"),
                        };
                    }
                    (print, serde_json::to_vec(&result))
                }
            };
            if !print.is_some_and(|p| seen.insert(p)) {
                return Ok(());
            }
            if plan
                .finished
                .listed
                .as_ref()
                .is_some_and(|kept| !print.is_some_and(|p| kept.contains(&p)))
            {
                return Ok(()); // in the summaries
            }
            let written = line.map_err(io::Error::from).and_then(|line| {
                out.write_all(if first { b"\n    " } else { b",\n    " })?;
                out.write_all(&line)
            });
            first = false;
            written.map_err(|e| {
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
    for summary in &plan.finished.summaries {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        out.write_all(summary.as_bytes())?;
        first = false;
    }
    out.write_all(plan.finished.suffix[usize::from(!first)].as_bytes())
}

/// A SARIF result read for its fingerprints only (the rest is skipped).
#[derive(serde::Deserialize)]
struct Printed<'a> {
    #[serde(rename = "partialFingerprints", borrow, default)]
    prints: Option<BTreeMap<std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>>>,
}

/// A SARIF result's amilint fingerprint.
fn fingerprint(result: &Value) -> Option<u128> {
    let prints = result.get("partialFingerprints")?;
    prints
        .get(FINGERPRINT_KEY)
        .or_else(|| prints.get(LEGACY_FINGERPRINT_KEY))
        .and_then(Value::as_str)
        .and_then(parse_fingerprint)
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
    fn add(&mut self, path: &Path) -> Result<(), InputError> {
        let members = stream(path, &["findings"], &mut |f| {
            let f: v1::Finding = serde_json::from_str(f.get()).map_err(|e| e.to_string())?;
            let Some(print) = parse_fingerprint(&f.fingerprint) else {
                return Err(format!("`{}` is not an amilint fingerprint", f.fingerprint));
            };
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
        })?;
        let mut top = members.top;
        top.insert("findings".to_string(), Value::Array(Vec::new()));
        let shard: v1::Report<'static> =
            serde_json::from_value(Value::Object(top)).map_err(|e| InputError::Syntax {
                path: path.display().to_string(),
                line: 1,
                column: 1,
                message: format!("not an amilint JSON report of schema version 1: {e}"),
            })?;
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
        extend_unique(&mut merged.notes, shard.notes);
        merged.summary.images_scanned += shard.summary.images_scanned;
        merged.summary.images_skipped += shard.summary.images_skipped;
        merged.summary.images_not_owned += shard.summary.images_not_owned;
        for (owner, n) in shard.summary.not_owned_by_owner {
            *merged.summary.not_owned_by_owner.entry(owner).or_default() += n;
        }
        merged.summary.accounts_scanned += shard.summary.accounts_scanned;
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
        let mut head = Vec::new();
        v1::head(&merged.tool, &mut head);
        let tail = |any| {
            let mut out = Vec::new();
            v1::tail(&merged, any, &mut out);
            String::from_utf8(out).expect("invariant: JSON is UTF-8")
        };
        Finished {
            prefix: String::from_utf8(head).expect("invariant: JSON is UTF-8"),
            suffix: [tail(false), tail(true)],
            rule_ids: Vec::new(),
            incomplete: !merged.errors.is_empty(),
            failing: crate::finding::fails(counting, fail_on),
            ..Finished::default()
        }
    }
}

/// What a first pass gives the second: the merged report around its list.
#[derive(Default)]
struct Finished {
    prefix: String,
    /// After the list: when it is empty, and when it is not.
    suffix: [String; 2],
    rule_ids: Vec<String>,
    incomplete: bool,
    failing: bool,
    /// SARIF past its limit: the results listed one by one (the most
    /// severe, then by fingerprint: the same whatever the shards' order),
    /// the summaries of the others (written last), and the notice saying so.
    listed: Option<HashSet<u128>>,
    summaries: Vec<String>,
    notice: Option<String>,
}

/// What SARIF logs contribute: one run, rules and notifications merged.
struct SarifParts {
    /// The first run's `$schema`, `version` and tool driver.
    first: Option<(Value, Value, Value)>,
    /// The first run's `automationDetails` and `originalUriBaseIds`.
    run_members: Map<String, Value>,
    rules: Vec<Value>,
    notes: Vec<Value>,
    config_notes: Vec<Value>,
    successful: bool,
    any: bool,
    /// Distinct results (by fingerprint) so far.
    seen: HashSet<u128>,
    /// `--sarif-max-results` (0: no limit).
    max_results: usize,
    /// The distinct results past the listing budget, in case the merged log
    /// turns out to exceed `max_results`.
    past: crate::output::sarif::Summary,
    /// The listing budget's results so far: the most severe, then lowest
    /// fingerprint (`Summary::hold` for a scan's findings).
    kept: BTreeMap<(std::cmp::Reverse<Severity>, u128), serde_sarif::sarif::Result>,
}

impl SarifParts {
    fn new(max_results: usize) -> SarifParts {
        SarifParts {
            first: None,
            run_members: Map::new(),
            rules: Vec::new(),
            notes: Vec::new(),
            config_notes: Vec::new(),
            successful: false,
            any: false,
            seen: HashSet::new(),
            max_results,
            past: crate::output::sarif::Summary::new(max_results, None),
            kept: BTreeMap::new(),
        }
    }

    fn add(&mut self, path: &Path) -> Result<(), InputError> {
        let (seen, past, kept, max) = (
            &mut self.seen,
            &mut self.past,
            &mut self.kept,
            self.max_results,
        );
        let members = stream(path, &["runs", "results"], &mut |raw| {
            // Only the fingerprint, unless the result goes into a summary.
            let printed: Printed<'_> =
                serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
            let print = printed
                .prints
                .as_ref()
                .and_then(|p| {
                    p.get(FINGERPRINT_KEY)
                        .or_else(|| p.get(LEGACY_FINGERPRINT_KEY))
                })
                .and_then(|p| parse_fingerprint(p));
            let Some(print) = print.filter(|p| seen.insert(*p)) else {
                return Ok(());
            };
            if max == 0 {
                return Ok(());
            }
            let value: serde_sarif::sarif::Result =
                serde_json::from_str(raw.get()).map_err(|e| e.to_string())?;
            let property = |key: &str| {
                value
                    .properties
                    .as_ref()
                    .and_then(|p| p.additional_properties.get(key))
            };
            if property("summarised") == Some(&Value::Bool(true)) {
                past.add_result(&value);
                return Ok(());
            }
            let severity = property("severity")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .unwrap_or(Severity::Info);
            let key = (std::cmp::Reverse(severity), print);
            let fits = kept.len() < past.limit
                || kept.last_key_value().is_some_and(|(last, _)| key < *last);
            if !fits {
                past.add_result(&value);
                return Ok(());
            }
            kept.insert(key, value);
            if kept.len() > past.limit
                && let Some((_, out)) = kept.pop_last()
            {
                past.add_result(&out);
            }
            Ok(())
        })?;
        if !self.any {
            self.successful = true;
            self.any = true;
        }
        for run in &members.children {
            let run = Value::Object(run.clone());
            for rule in array_at(&run, "/tool/driver/rules") {
                if !self.rules.iter().any(|r| r["id"] == rule["id"]) {
                    self.rules.push(rule);
                }
            }
            for invocation in array_at(&run, "/invocations") {
                self.successful &= invocation["executionSuccessful"].as_bool().unwrap_or(true);
                extend_unique(
                    &mut self.notes,
                    array_at(&invocation, "/toolExecutionNotifications"),
                );
                extend_unique(
                    &mut self.config_notes,
                    array_at(&invocation, "/toolConfigurationNotifications"),
                );
            }
            if self.first.is_none() {
                for key in ["automationDetails", "originalUriBaseIds"] {
                    if let Some(value) = run.get(key) {
                        self.run_members.insert(key.to_string(), value.clone());
                    }
                }
                let top = Value::Object(members.top.clone());
                self.first = Some((
                    top["$schema"].clone(),
                    top["version"].clone(),
                    run["tool"]["driver"].clone(),
                ));
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Finished {
        self.rules
            .sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        let (schema, version, mut driver) = self.first.unwrap_or_default();
        let rule_ids: Vec<String> = self
            .rules
            .iter()
            .map(|r| r["id"].as_str().unwrap_or_default().to_string())
            .collect();
        driver["rules"] = json!(self.rules);
        // Past the limit: the most severe results listed, the others summarised.
        let mut summaries = Vec::new();
        let (mut listed, mut notice) = (None, None);
        if self.max_results > 0 && self.seen.len() > self.max_results {
            self.past.written = self.past.limit;
            let text = self.past.notice();
            self.notes
                .push(json!({ "level": "warning", "message": { "text": text } }));
            summaries = self
                .past
                .results(|id| rule_ids.iter().position(|r| r == id))
                .iter()
                .map(|r| serde_json::to_string(r).unwrap_or_default())
                .collect();
            listed = Some(self.kept.keys().map(|(_, print)| *print).collect());
            notice = Some(text);
        }
        let mut invocation = json!({ "executionSuccessful": self.successful || !self.any });
        if !self.notes.is_empty() {
            invocation["toolExecutionNotifications"] = json!(self.notes);
        }
        if !self.config_notes.is_empty() {
            invocation["toolConfigurationNotifications"] = json!(self.config_notes);
        }
        // One run, its results last, written one at a time (see `write`).
        let run_members: String = self
            .run_members
            .iter()
            .map(|(key, value)| format!("\n  \"{key}\": {},", pretty(value)))
            .collect();
        let prefix = format!(
            "{{\n  \"$schema\": {},\n  \"version\": {},\n  \"runs\": [{{\n  \"tool\": {},{run_members}\n  \"invocations\": {},\n  \"results\": [",
            pretty(&schema),
            pretty(&version),
            pretty(&json!({ "driver": driver })),
            pretty(&json!([invocation])),
        );
        Finished {
            prefix,
            suffix: ["]}]\n}\n".to_string(), "\n  ]}]\n}\n".to_string()],
            rule_ids,
            incomplete: self.any && !self.successful,
            failing: false,
            listed,
            summaries,
            notice,
        }
    }
}

/// The array at `pointer` in `v` (empty when absent).
fn array_at(v: &Value, pointer: &str) -> Vec<Value> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// A value as indented JSON (our values always serialise).
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_string())
}

/// Appends `items` to `out`, skipping exact duplicates.
fn extend_unique<T: PartialEq>(out: &mut Vec<T>, items: Vec<T>) {
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
}
