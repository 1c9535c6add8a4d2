//! `--baseline`: the fingerprints of a previous amilint JSON or SARIF report.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::error::InputError;
use crate::output::sarif::FINGERPRINT_KEY;

#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub fingerprints: HashSet<String>,
}

/// Reads an amilint JSON report (`findings[].fingerprint`) or SARIF log
/// (`runs[].results[].partialFingerprints["amilint/v1"]`).
pub fn load(path: &Path) -> Result<Baseline, InputError> {
    let shown = path.display().to_string();
    let doc: Value = crate::input::file::read_json_file(path)?;
    let not_a_report = || InputError::Syntax {
        path: shown.clone(),
        line: 1,
        column: 1,
        message: "not an amilint JSON report or SARIF log (no `findings` or `runs`)".to_string(),
    };
    let fingerprints: HashSet<String> = if let Some(findings) = doc.get("findings") {
        findings
            .as_array()
            .ok_or_else(not_a_report)?
            .iter()
            .filter_map(|f| f["fingerprint"].as_str().map(str::to_string))
            .collect()
    } else if let Some(runs) = doc.get("runs").and_then(Value::as_array) {
        runs.iter()
            .filter_map(|run| run["results"].as_array())
            .flatten()
            .filter_map(|r| {
                r["partialFingerprints"][FINGERPRINT_KEY]
                    .as_str()
                    .map(str::to_string)
            })
            .collect()
    } else {
        return Err(not_a_report());
    };
    Ok(Baseline { fingerprints })
}
