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
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

use crate::error::InputError;
use crate::output::sarif::FINGERPRINT_KEY;
use crate::report::baseline::parse_fingerprint;
use crate::rules::Severity;

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
    /// The merged report up to its list of findings (or results), and after.
    prefix: String,
    suffix: String,
    /// SARIF: the merged rule list's ids, for each result's `ruleIndex`.
    rule_ids: Vec<String>,
    /// A shard was incomplete (an error, or an unsuccessful SARIF run).
    pub incomplete: bool,
    /// A finding that counts is at or above the shards' `fail_on`.
    pub failing: bool,
}

/// The merged report's findings (JSON) or results (SARIF): where they sit.
fn path_of(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Json => &["findings"],
        Kind::Sarif => &["runs", "results"],
    }
}

/// First pass: reads and checks every report; the kind is that of the first.
pub fn plan<'a>(paths: &[&'a Path]) -> Result<Plan<'a>, InputError> {
    let mut kind = None;
    let mut json = JsonParts::default();
    let mut sarif = SarifParts::default();
    for path in paths {
        let shown = path.display().to_string();
        let this = sniff_kind(path)?;
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
    let (prefix, suffix, rule_ids, incomplete, failing) = match kind {
        Kind::Json => json.finish(),
        Kind::Sarif => sarif.finish(),
    };
    Ok(Plan {
        kind,
        paths: paths.to_vec(),
        prefix,
        suffix,
        rule_ids,
        incomplete,
        failing,
    })
}

/// Which kind of amilint report `path` is: checked whole, streaming.
fn sniff_kind(path: &Path) -> Result<Kind, InputError> {
    Ok(
        match crate::report::baseline::read_fingerprints(path, |_| {})? {
            crate::report::baseline::ReportKind::Json => Kind::Json,
            crate::report::baseline::ReportKind::Sarif => Kind::Sarif,
        },
    )
}

/// Second pass: writes the merged report to `out`, each distinct finding once.
pub fn write(plan: &Plan<'_>, out: &mut dyn Write) -> io::Result<()> {
    let items = path_of(plan.kind);
    out.write_all(plan.prefix.as_bytes())?;
    let mut seen = HashSet::new();
    let mut first = true;
    for path in &plan.paths {
        let mut failure = None;
        stream(path, items, &mut |mut item| {
            let print = fingerprint(plan.kind, &item);
            if !print.is_some_and(|p| seen.insert(p)) {
                return Ok(());
            }
            if plan.kind == Kind::Sarif
                && let Some(map) = item.as_object_mut()
            {
                let index = plan
                    .rule_ids
                    .iter()
                    .position(|id| Some(id.as_str()) == map.get("ruleId").and_then(Value::as_str));
                match index {
                    Some(i) => map.insert("ruleIndex".to_string(), json!(i)),
                    None => map.remove("ruleIndex"),
                };
            }
            let written = out
                .write_all(if first { b"\n    " } else { b",\n    " })
                .and_then(|()| serde_json::to_writer(&mut *out, &item).map_err(io::Error::from));
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
    if !first {
        out.write_all(b"\n  ")?;
    }
    out.write_all(plan.suffix.as_bytes())
}

/// A finding's (or result's) amilint fingerprint.
fn fingerprint(kind: Kind, item: &Value) -> Option<u64> {
    let text = match kind {
        Kind::Json => item.get("fingerprint"),
        Kind::Sarif => item
            .get("partialFingerprints")
            .and_then(|p| p.get(FINGERPRINT_KEY)),
    };
    text.and_then(Value::as_str).and_then(parse_fingerprint)
}

/// What a JSON report's header contributes, summed over the shards.
#[derive(Default)]
struct JsonParts {
    first: Option<Map<String, Value>>,
    seen: HashSet<u64>,
    inputs: Vec<Value>,
    rules: Vec<Value>,
    scopes: Vec<Value>,
    errors: Vec<Value>,
    warnings: Vec<Value>,
    notes: Vec<Value>,
    scanned: u64,
    skipped: u64,
    api_calls: Option<u64>,
    by_severity: BTreeMap<String, u64>,
    by_rule: BTreeMap<String, u64>,
    findings: u64,
    suppressed: u64,
    /// The highest severity among findings that count for the gate.
    worst_counting: Option<Severity>,
}

impl JsonParts {
    fn add(&mut self, path: &Path) -> Result<(), InputError> {
        let mut members = stream(path, &["findings"], &mut |f| {
            let Some(print) = fingerprint(Kind::Json, &f) else {
                return Err("a finding without an amilint fingerprint".to_string());
            };
            if !self.seen.insert(print) {
                return Ok(());
            }
            let severity = f["severity"].as_str().unwrap_or("info");
            *self.by_severity.entry(severity.to_string()).or_default() += 1;
            *self
                .by_rule
                .entry(f["rule_id"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
            self.findings += 1;
            if !f["suppression"].is_null() {
                self.suppressed += 1;
            } else if f["baseline_state"] != "unchanged"
                && let Ok(s) = severity.parse::<Severity>()
            {
                self.worst_counting = self.worst_counting.max(Some(s));
            }
            Ok(())
        })?;
        let doc = Value::Object(members.top.clone());
        extend_unique(&mut self.inputs, array_at(&doc, "/scan/inputs"));
        extend_unique(&mut self.rules, array_at(&doc, "/scan/rules"));
        extend_unique(&mut self.scopes, array_at(&doc, "/scan/scopes"));
        extend_unique(&mut self.errors, array_at(&doc, "/errors"));
        extend_unique(&mut self.warnings, array_at(&doc, "/warnings"));
        extend_unique(&mut self.notes, array_at(&doc, "/notes"));
        let count = |pointer: &str| doc.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
        self.scanned += count("/summary/images_scanned");
        self.skipped += count("/summary/images_skipped");
        if let Some(n) = doc.pointer("/scan/api_calls").and_then(Value::as_u64) {
            *self.api_calls.get_or_insert(0) += n;
        }
        self.first
            .get_or_insert_with(|| std::mem::take(&mut members.top));
        Ok(())
    }

    fn finish(mut self) -> (String, String, Vec<String>, bool, bool) {
        let first = Value::Object(self.first.take().unwrap_or_default());
        self.rules.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        let mut by_severity: BTreeMap<String, u64> = ["critical", "high", "medium", "low", "info"]
            .iter()
            .map(|s| (s.to_string(), 0))
            .collect();
        by_severity.extend(self.by_severity);
        let mut by_rule: BTreeMap<String, u64> = self
            .rules
            .iter()
            .filter_map(|r| r.as_str().map(|r| (r.to_string(), 0)))
            .collect();
        by_rule.extend(self.by_rule);
        let fail_on = first["scan"]["fail_on"]
            .as_str()
            .and_then(|s| s.parse::<Severity>().ok());
        let failing = fail_on.is_some_and(|t| self.worst_counting >= Some(t));
        let incomplete = !self.errors.is_empty();
        let header = json!({
            "schema_version": 1,
            "tool": first["tool"],
            "scan": {
                "now": first["scan"]["now"],
                "inputs": self.inputs,
                "rules": self.rules,
                "fail_on": first["scan"]["fail_on"],
                "scopes": self.scopes,
                "api_calls": self.api_calls,
            },
            "summary": {
                "images_scanned": self.scanned,
                "images_skipped": self.skipped,
                "findings": self.findings,
                "by_severity": by_severity,
                "by_rule": by_rule,
                "suppressed": self.suppressed,
                "baseline": Value::Null,
            },
            "errors": self.errors,
            "warnings": self.warnings,
            "notes": self.notes,
        });
        // The findings go last, written one at a time (see `write`).
        let text = pretty(&header);
        let prefix = format!(
            "{},\n  \"findings\": [",
            text.trim_end().trim_end_matches('}').trim_end()
        );
        (
            prefix,
            "]\n}\n".to_string(),
            Vec::new(),
            incomplete,
            failing,
        )
    }
}

/// What SARIF logs contribute: one run, rules and notifications merged.
#[derive(Default)]
struct SarifParts {
    first: Option<(Value, Value, Value)>,
    rules: Vec<Value>,
    notes: Vec<Value>,
    config_notes: Vec<Value>,
    successful: bool,
    any: bool,
}

impl SarifParts {
    fn add(&mut self, path: &Path) -> Result<(), InputError> {
        let members = stream(path, &["runs", "results"], &mut |_| Ok(()))?;
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

    fn finish(mut self) -> (String, String, Vec<String>, bool, bool) {
        self.rules
            .sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        let (schema, version, mut driver) = self.first.unwrap_or_default();
        let rule_ids = self
            .rules
            .iter()
            .map(|r| r["id"].as_str().unwrap_or_default().to_string())
            .collect();
        driver["rules"] = json!(self.rules);
        let mut invocation = json!({ "executionSuccessful": self.successful || !self.any });
        if !self.notes.is_empty() {
            invocation["toolExecutionNotifications"] = json!(self.notes);
        }
        if !self.config_notes.is_empty() {
            invocation["toolConfigurationNotifications"] = json!(self.config_notes);
        }
        // One run, its results last, written one at a time (see `write`).
        let prefix = format!(
            "{{\n  \"$schema\": {},\n  \"version\": {},\n  \"runs\": [{{\n  \"tool\": {},\n  \"invocations\": {},\n  \"results\": [",
            pretty(&schema),
            pretty(&version),
            pretty(&json!({ "driver": driver })),
            pretty(&json!([invocation])),
        );
        let incomplete = self.any && !self.successful;
        (prefix, "]}]\n}\n".to_string(), rule_ids, incomplete, false)
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
fn extend_unique(out: &mut Vec<Value>, items: Vec<Value>) {
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
}

/// The members of a report other than its streamed list: the top level's,
/// and for SARIF each run's.
#[derive(Default)]
struct Members {
    top: Map<String, Value>,
    children: Vec<Map<String, Value>>,
}

type Each<'a> = dyn FnMut(Value) -> Result<(), String> + 'a;

/// Reads the report at `path`, passing each element of the list at `path`
/// (`["findings"]`, or `["runs", "results"]`: each run's results) to `each`
/// one at a time, and returns every other member. An error `each` returns
/// stops the read, with the file's line and column.
fn stream(path: &Path, items: &[&str], each: &mut Each<'_>) -> Result<Members, InputError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| InputError::Io {
        path: shown.clone(),
        source,
    })?;
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let mut members = Members::default();
    Object {
        items,
        each,
        members: &mut members,
        depth: 0,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| match e.io_error_kind() {
        Some(kind) => InputError::Io {
            path: shown.clone(),
            source: io::Error::new(kind, e.to_string()),
        },
        None => InputError::Syntax {
            path: shown.clone(),
            line: e.line() as u64,
            column: e.column() as u64,
            message: crate::error::json_message(&e),
        },
    })?;
    Ok(members)
}

/// An object whose member `items[0]` is streamed (see `stream`).
struct Object<'a, 'b> {
    items: &'a [&'a str],
    each: &'a mut Each<'b>,
    members: &'a mut Members,
    /// 0 at the top level, 1 inside a SARIF run.
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Object<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Object<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut mine = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == self.items[0] {
                map.next_value_seed(List {
                    items: &self.items[1..],
                    each: &mut *self.each,
                    members: &mut *self.members,
                })?;
            } else {
                mine.insert(key, map.next_value()?);
            }
        }
        if self.depth == 0 {
            self.members.top = mine;
        } else {
            self.members.children.push(mine);
        }
        Ok(())
    }
}

/// The streamed list: its elements go to `each`, or, when `items` goes on,
/// are objects whose member `items[0]` is streamed in turn.
struct List<'a, 'b> {
    items: &'a [&'a str],
    each: &'a mut Each<'b>,
    members: &'a mut Members,
}

impl<'de> DeserializeSeed<'de> for List<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for List<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.items.is_empty() {
            while let Some(item) = seq.next_element::<Value>()? {
                (self.each)(item).map_err(de::Error::custom)?;
            }
        } else {
            while seq
                .next_element_seed(Object {
                    items: self.items,
                    each: &mut *self.each,
                    members: &mut *self.members,
                    depth: 1,
                })?
                .is_some()
            {}
        }
        Ok(())
    }
}
