//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub(crate) mod externals;
pub(crate) mod fixtures;
pub(crate) mod servers;

use amilint::engine::scan_sources;
use amilint::finding::Report;
use amilint::input::InputSource;
use amilint::output::{self, Format};
use amilint::plan::ScanPlan;
use amilint::rules::RuleSettings;

/// The fixed "now" of every test scan.
pub(crate) const NOW: &str = "2026-06-01T00:00:00Z";

/// The bundled example export (the README's first command scans it).
pub(crate) const EXAMPLE: &str = "fixtures/examples/describe-images.json";

pub(crate) fn plan() -> ScanPlan {
    ScanPlan::new(RuleSettings {
        now: NOW.parse().expect("valid time"),
        ..RuleSettings::default()
    })
}

pub(crate) fn scan(paths: &[&str], plan: &ScanPlan) -> Report {
    let sources: Vec<InputSource> = paths.iter().map(|p| InputSource::new(p)).collect();
    scan_sources(&sources, plan).expect("fixture scans")
}

/// Renders a report, with the tool version redacted so snapshots survive releases.
pub(crate) fn render(report: &Report, format: Format) -> String {
    render_with(report, format, &output::Settings::default())
}

/// `render`, with what the emitter is told (`--category`, the ASFF target, …).
pub(crate) fn render_with(report: &Report, format: Format, settings: &output::Settings) -> String {
    let mut out = Vec::new();
    output::emit_with(format, report, settings, &mut out).expect("emit to memory");
    let out = String::from_utf8(out)
        .expect("utf-8 output")
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    // SARIF names the git work tree the scan ran in, if any: wherever the
    // checkout is, or none. Left out of snapshots (sarif_validator.rs tests it).
    let out = out.replace(",\"uriBaseId\":\"%SRCROOT%\"", "");
    match out.find(",\n      \"originalUriBaseIds\": {") {
        Some(start) => {
            let end = out[start..]
                .find("\n      }")
                .map_or(out.len(), |e| start + e + 8);
            format!("{}{}", &out[..start], &out[end..])
        }
        None => out,
    }
}

/// The binary in a scrubbed environment: no colour, AWS or locale settings leak in.
pub(crate) fn amilint() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("amilint").expect("binary built");
    cmd.env_clear().current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Runs the binary: (exit code, stdout, stderr).
pub(crate) fn run(args: &[&str]) -> (i32, String, String) {
    let out = amilint().args(args).output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// `amilint scan --no-config --now NOW INPUT -o FORMAT=OUT EXTRA…`, which
/// must not fail (exit 0 or 1): the report's path.
pub(crate) fn scan_to(
    input: &std::path::Path,
    format: &str,
    out: &std::path::Path,
    now: &str,
    extra: &[&str],
) -> std::path::PathBuf {
    let input = input.to_string_lossy();
    let output = format!("{format}={}", out.display());
    let mut args = vec!["scan", "--no-config", "--now", now, &input, "-o", &output];
    args.extend_from_slice(extra);
    let (code, _, err) = run(&args);
    assert!(code < 2, "exit {code}: {err}");
    out.to_path_buf()
}

/// Each finding of a JSON report as the values at `fields` (JSON pointers
/// into a finding: `/rule_id`, `/location/pointer`), strings as they are,
/// numbers as digits, absent or `null` as ""; in report order. The one way
/// the tests read a report's findings.
pub(crate) fn findings<const N: usize>(
    doc: &serde_json::Value,
    fields: [&str; N],
) -> Vec<[String; N]> {
    doc["findings"]
        .as_array()
        .expect("a JSON report's findings")
        .iter()
        .map(|f| {
            fields.map(|field| match f.pointer(field) {
                Some(serde_json::Value::String(s)) => s.clone(),
                None | Some(serde_json::Value::Null) => String::new(),
                Some(other) => other.to_string(),
            })
        })
        .collect()
}

/// (image, rule, pointer) of every finding in a JSON report (its text).
pub(crate) fn finding_keys(json: &str) -> std::collections::BTreeSet<(String, String, String)> {
    let doc = self::json(json, "");
    findings(&doc, ["/image_id", "/rule_id", "/location/pointer"])
        .into_iter()
        .map(|[image, rule, pointer]| (image, rule, pointer))
        .collect()
}

/// Every finding of a JSON report (its text) with its location, in report
/// order: (image, rule, pointer, [line, column, field line]).
pub(crate) fn located_findings(json: &str) -> Vec<(String, String, String, [u64; 3])> {
    let fields = [
        "/image_id",
        "/rule_id",
        "/location/pointer",
        "/location/line",
        "/location/column",
        "/location/field_line",
    ];
    findings(&self::json(json, ""), fields)
        .into_iter()
        .map(|[image, rule, pointer, at @ ..]| {
            (
                image,
                rule,
                pointer,
                at.map(|n| n.parse().unwrap_or_default()),
            )
        })
        .collect()
}

/// `fixtures/rules/<CODE>.json` of every rule that lints images (request
/// rules' fixtures are request documents), relative to the crate, sorted.
pub(crate) fn image_rule_fixtures() -> Vec<String> {
    let mut files: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/rules"))
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter(|p| {
                let code = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
                amilint::rules::lookup(code).is_some_and(|r| r.subject.images())
            })
            .map(|p| {
                format!(
                    "fixtures/rules/{}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                )
            })
            .collect();
    files.sort();
    files
}

/// A describe-images export of `n` images with four findings each by default
/// (public, no ImdsSupport, no DeprecationTime, no PlatformDetails), ids
/// `ami-{prefix:03x}{i:014x}`, one image per line.
pub(crate) fn four_finding_export(n: u64, prefix: u64) -> String {
    let mut text = String::from("{\"Images\": [\n");
    for i in 0..n {
        text.push_str(&format!(
            "{}{{\"ImageId\": \"ami-{prefix:03x}{i:014x}\", \"Name\": \"img-{i}\", \"State\": \"available\", \"ImageType\": \"machine\", \"Public\": true}}\n",
            if i == 0 { "" } else { "," }
        ));
    }
    text.push_str("]}\n");
    text
}

/// `amilint scan` as the tests run it: `scan INPUTS… --now NOW --format
/// json`, then what a test adds. The one builder of scan runs.
pub(crate) struct Scan<'a> {
    args: Vec<&'a str>,
}

impl<'a> Scan<'a> {
    pub(crate) fn of(inputs: &[&'a str]) -> Self {
        let mut args = vec!["scan"];
        args.extend_from_slice(inputs);
        args.extend(["--format", "json"]);
        Scan { args }.now(NOW)
    }

    /// Another "now" than `NOW`.
    pub(crate) fn now(mut self, now: &'a str) -> Self {
        if let Some(at) = self.args.iter().position(|a| *a == "--now") {
            self.args.drain(at..at + 2);
        }
        self.args.extend(["--now", now]);
        self
    }

    /// Another format than JSON (its output read as JSON: SARIF, OCSF, …).
    pub(crate) fn format(mut self, format: &'a str) -> Self {
        if let Some(at) = self.args.iter().position(|a| *a == "--format") {
            self.args[at + 1] = format;
        }
        self
    }

    /// `--no-config`: no amilint.toml found by walking up.
    pub(crate) fn no_config(mut self) -> Self {
        self.args.push("--no-config");
        self
    }

    pub(crate) fn args(mut self, extra: &[&'a str]) -> Self {
        self.args.extend_from_slice(extra);
        self
    }

    /// (exit code, stdout, stderr).
    pub(crate) fn run(&self) -> (i32, String, String) {
        run(&self.args)
    }

    /// (exit code, the JSON report, stderr); a report that is not JSON fails
    /// the test with stderr.
    pub(crate) fn json(&self) -> (i32, serde_json::Value, String) {
        let (code, out, err) = self.run();
        (code, json(&out, &err), err)
    }
}

/// `text` as JSON, or the test fails showing it and `context`.
pub(crate) fn json(text: &str, context: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON ({e}): {text}{context}"))
}

/// `amilint scan INPUT --no-config --now NOW --format json EXTRA…`: (exit
/// code, the JSON report, stderr).
pub(crate) fn scan_example_json(
    input: &str,
    now: &str,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    Scan::of(&[input]).now(now).no_config().args(extra).json()
}
