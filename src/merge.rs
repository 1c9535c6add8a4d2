//! `amilint merge`: one report from the reports of a sharded scan (one CI job
//! per account or region). Findings are de-duplicated by fingerprint; every
//! scope's status, error and warning is kept; summaries are recomputed.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{Value, json};

use crate::error::InputError;
use crate::output::sarif::FINGERPRINT_KEY;

/// The kind of the reports being merged (all must be the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Json,
    Sarif,
}

fn kind_of(doc: &Value) -> Option<Kind> {
    if doc.get("schema_version") == Some(&json!(1)) && doc.get("findings").is_some() {
        Some(Kind::Json)
    } else if doc.get("runs").is_some_and(Value::is_array) {
        Some(Kind::Sarif)
    } else {
        None
    }
}

/// Reads and merges `paths`; the kind is that of the first report.
pub fn merge(paths: &[&Path]) -> Result<(Kind, Value), InputError> {
    let mut docs = Vec::new();
    let mut kind = None;
    for path in paths {
        let doc = crate::input::file::read_json_file(path)?;
        let this = kind_of(&doc).ok_or_else(|| InputError::Syntax {
            path: path.display().to_string(),
            line: 1,
            column: 1,
            message: "not an amilint JSON report (schema_version 1) or SARIF log".to_string(),
        })?;
        if *kind.get_or_insert(this) != this {
            return Err(InputError::Syntax {
                path: path.display().to_string(),
                line: 1,
                column: 1,
                message: "cannot merge JSON reports with SARIF logs: give one kind".to_string(),
            });
        }
        docs.push(doc);
    }
    let kind = kind.unwrap_or(Kind::Json);
    let merged = match kind {
        Kind::Json => merge_json(docs),
        Kind::Sarif => merge_sarif(docs),
    };
    Ok((kind, merged))
}

fn array(doc: &Value, pointer: &str) -> Vec<Value> {
    doc.pointer(pointer)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Appends `items` to `out`, skipping exact duplicates.
fn extend_unique(out: &mut Vec<Value>, items: Vec<Value>) {
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
}

fn merge_json(docs: Vec<Value>) -> Value {
    let mut seen = HashSet::new();
    let (mut findings, mut errors, mut warnings, mut scopes, mut inputs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rules: Vec<Value> = Vec::new();
    let (mut scanned, mut skipped, mut api_calls, mut any_calls) = (0, 0, 0, false);
    for doc in &docs {
        for f in array(doc, "/findings") {
            let print = f["fingerprint"].as_str().unwrap_or_default().to_string();
            if seen.insert(print) {
                findings.push(f);
            }
        }
        extend_unique(&mut errors, array(doc, "/errors"));
        extend_unique(&mut warnings, array(doc, "/warnings"));
        extend_unique(&mut scopes, array(doc, "/scan/scopes"));
        extend_unique(&mut inputs, array(doc, "/scan/inputs"));
        extend_unique(&mut rules, array(doc, "/scan/rules"));
        scanned += doc
            .pointer("/summary/images_scanned")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        skipped += doc
            .pointer("/summary/images_skipped")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if let Some(n) = doc.pointer("/scan/api_calls").and_then(Value::as_u64) {
            api_calls += n;
            any_calls = true;
        }
    }
    rules.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    let mut by_severity: BTreeMap<String, u64> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    let mut by_rule: BTreeMap<String, u64> = rules
        .iter()
        .filter_map(|r| r.as_str().map(|r| (r.to_string(), 0)))
        .collect();
    let mut suppressed = 0;
    for f in &findings {
        *by_severity
            .entry(f["severity"].as_str().unwrap_or("info").to_string())
            .or_default() += 1;
        *by_rule
            .entry(f["rule_id"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
        if !f["suppression"].is_null() {
            suppressed += 1;
        }
    }
    let first = docs.first().cloned().unwrap_or(Value::Null);
    json!({
        "schema_version": 1,
        "tool": first["tool"],
        "scan": {
            "now": first["scan"]["now"],
            "inputs": inputs,
            "rules": rules,
            "fail_on": first["scan"]["fail_on"],
            "scopes": scopes,
            "api_calls": if any_calls { json!(api_calls) } else { Value::Null },
        },
        "summary": {
            "images_scanned": scanned,
            "images_skipped": skipped,
            "findings": findings.len(),
            "by_severity": by_severity,
            "by_rule": by_rule,
            "suppressed": suppressed,
            "baseline": Value::Null,
        },
        "findings": findings,
        "errors": errors,
        "warnings": warnings,
    })
}

fn merge_sarif(docs: Vec<Value>) -> Value {
    let mut seen = HashSet::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    let (mut notes, mut config_notes) = (Vec::new(), Vec::new());
    let mut successful = true;
    for doc in &docs {
        for run in array(doc, "/runs") {
            for rule in array(&run, "/tool/driver/rules") {
                if !rules.iter().any(|r| r["id"] == rule["id"]) {
                    rules.push(rule);
                }
            }
            for invocation in array(&run, "/invocations") {
                successful &= invocation["executionSuccessful"].as_bool().unwrap_or(true);
                extend_unique(
                    &mut notes,
                    array(&invocation, "/toolExecutionNotifications"),
                );
                extend_unique(
                    &mut config_notes,
                    array(&invocation, "/toolConfigurationNotifications"),
                );
            }
            for result in array(&run, "/results") {
                let print = result["partialFingerprints"][FINGERPRINT_KEY]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if seen.insert(print) {
                    results.push(result);
                }
            }
        }
    }
    rules.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    // Indexes point into the merged rule list.
    for result in &mut results {
        let index = rules.iter().position(|r| r["id"] == result["ruleId"]);
        result["ruleIndex"] = index.map_or(Value::Null, |i| json!(i));
        if result["ruleIndex"].is_null()
            && let Some(map) = result.as_object_mut()
        {
            map.remove("ruleIndex");
        }
    }
    let first = docs.first().cloned().unwrap_or(Value::Null);
    let mut driver = first["runs"][0]["tool"]["driver"].clone();
    driver["rules"] = json!(rules);
    let mut invocation = json!({ "executionSuccessful": successful });
    if !notes.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notes);
    }
    if !config_notes.is_empty() {
        invocation["toolConfigurationNotifications"] = json!(config_notes);
    }
    json!({
        "$schema": first["$schema"],
        "version": first["version"],
        "runs": [{
            "tool": { "driver": driver },
            "invocations": [invocation],
            "results": results,
        }],
    })
}
