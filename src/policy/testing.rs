//! `amilint policy test`: every policy against the cases in its
//! `NAME.tests.json`. Computes outcomes; `app` prints them.
//!
//! ```json
//! { "now": "2026-06-01T00:00:00Z",
//!   "cases": [ { "name": "…", "image": { "ImageId": "ami-1", … }, "expect": "none" },
//!              { "name": "…", "image": { … }, "expect": 2 },
//!              { "name": "…", "image": { … }, "expect": ["message", …] },
//!              { "name": "…", "image": { … },
//!                "expect": [{ "message": "…", "pointer": "/Name", "severity": "high" }] } ] }
//! ```

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Deserialize;

use super::{Limits, Policy, image_value, script_files, shown_path};
use crate::error::PolicyError;

/// The largest `<policy>.tests.json` read (its images are test data).
const MAX_TESTS_BYTES: u64 = 64 << 20;
use crate::model::Image;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    /// The "now" the cases run at (RFC 3339); default: the current time.
    #[serde(default)]
    now: Option<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    image: serde_json::Value,
    expect: Expect,
}

/// What a case expects: `"none"`, a number of findings, their messages in
/// order, or the findings in order with their pointer and severity.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expect {
    Word(String),
    Count(usize),
    Messages(Vec<String>),
    Findings(Vec<Expected>),
}

/// One expected finding: its message, and when given its JSON pointer and
/// its severity (the policy's own when the finding sets none).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    message: String,
    #[serde(default)]
    pointer: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

/// The result of one case (or of a policy that has no test file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub script: String,
    pub policy: &'static str,
    pub case: String,
    /// `None` when the case passed; otherwise what went wrong.
    pub failure: Option<String>,
}

/// The test file beside a script: `x.rhai` → `x.tests.json`.
pub fn tests_path(script: &Path) -> PathBuf {
    script.with_extension("tests.json")
}

/// Runs every policy under `paths` against its tests. A script that does not
/// load, or a test file that is not valid, is an error (exit 2); a missing
/// test file is a failed outcome.
pub fn run(paths: &[PathBuf], limits: &Limits) -> Result<Vec<Outcome>, PolicyError> {
    let mut outcomes = Vec::new();
    for script in script_files(paths)? {
        let shown = shown_path(&script);
        let tests = tests_path(&script);
        let tests_shown = shown_path(&tests);
        let file = match crate::input::read_text(&tests, MAX_TESTS_BYTES) {
            Ok(text) => Some(parse_tests(&text, &tests_shown)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(PolicyError::Io {
                    path: tests_shown,
                    source,
                });
            }
        };
        let now = match file.as_ref().and_then(|f| f.now.as_deref()) {
            Some(text) => text.parse::<Timestamp>().map_err(|e| PolicyError::Script {
                script: tests_shown.clone(),
                line: None,
                column: None,
                message: format!("now: `{text}` is not an RFC 3339 time: {e}"),
            })?,
            None => Timestamp::now(),
        };
        let policy = Policy::load(&script, &shown, limits, now)?;
        let Some(file) = file else {
            outcomes.push(Outcome {
                script: shown,
                policy: policy.meta.code,
                case: "(no tests)".to_string(),
                failure: Some(format!("no test file: add {tests_shown}")),
            });
            continue;
        };
        for case in file.cases {
            let failure = run_case(&policy, &case, &tests_shown);
            outcomes.push(Outcome {
                script: shown.clone(),
                policy: policy.meta.code,
                case: case.name,
                failure,
            });
        }
    }
    Ok(outcomes)
}

fn parse_tests(text: &str, shown: &str) -> Result<TestFile, PolicyError> {
    serde_json::from_str(text).map_err(|e| PolicyError::Script {
        script: shown.to_string(),
        line: Some(e.line() as u64),
        column: Some(e.column() as u64),
        message: crate::error::json_message(&e),
    })
}

fn run_case(policy: &Policy, case: &Case, tests_shown: &str) -> Option<String> {
    let image: Image = match serde_json::from_value(case.image.clone()) {
        Ok(image) => image,
        Err(e) => {
            return Some(format!(
                "{tests_shown}: the image is not a describe-images image: {e}"
            ));
        }
    };
    let value = match image_value(&image) {
        Ok(v) => v,
        Err(e) => return Some(format!("cannot convert the image: {e}")),
    };
    let found = match policy.check(&value) {
        Ok(found) => found,
        Err(e) => return Some(format!("check() failed: {e}")),
    };
    let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
    match &case.expect {
        Expect::Word(word) if word == "none" => {
            (!found.is_empty()).then(|| format!("expected no finding, got {messages:?}"))
        }
        Expect::Word(word) => Some(format!(
            "{tests_shown}: expect `{word}` is not valid: use \"none\", a count, or a list of messages"
        )),
        Expect::Count(n) => (found.len() != *n)
            .then(|| format!("expected {n} finding(s), got {}: {messages:?}", found.len())),
        Expect::Messages(want) => {
            (messages != *want).then(|| format!("expected {want:?}, got {messages:?}"))
        }
        Expect::Findings(want) => {
            let got: Vec<(String, String, String)> = found
                .iter()
                .map(|f| {
                    (
                        f.message.clone(),
                        f.pointer.as_str().to_string(),
                        f.severity.unwrap_or(policy.meta.severity).to_string(),
                    )
                })
                .collect();
            let matches = got.len() == want.len()
                && got
                    .iter()
                    .zip(want)
                    .all(|((message, pointer, severity), w)| {
                        *message == w.message
                            && w.pointer.as_ref().is_none_or(|p| p == pointer)
                            && w.severity
                                .as_ref()
                                .is_none_or(|s| s.eq_ignore_ascii_case(severity))
                    });
            (!matches).then(|| {
                let want: Vec<String> = want
                    .iter()
                    .map(|w| {
                        format!(
                            "{:?} at {} ({})",
                            w.message,
                            w.pointer.as_deref().unwrap_or("any pointer"),
                            w.severity.as_deref().unwrap_or("any severity")
                        )
                    })
                    .collect();
                let got: Vec<String> = got
                    .iter()
                    .map(|(m, p, s)| {
                        format!("{m:?} at {} ({s})", if p.is_empty() { "/" } else { p })
                    })
                    .collect();
                format!("expected {want:?}, got {got:?}")
            })
        }
    }
}
