//! Issue 31: one count everywhere (every format of one run agrees on the
//! gate's counted findings and the total), and JUnit that GitLab accepts at
//! any size, with skipped rules skipped and account findings in it.

use std::path::Path;

use serde_json::Value;

use crate::common::servers::venv_json;
use crate::common::{four_finding_export, run};

use crate::common::NOW;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What GitLab's JUnit parser takes (a port of its limits: 30 MB, 500,000
/// test cases, well-formed XML), parsed with a real XML parser: (test cases,
/// failed cases, skipped cases, errored cases, the `amilint` suite's
/// properties).
fn gitlab_junit(path: &Path) -> (usize, usize, usize, usize, Value) {
    let size = std::fs::metadata(path).expect("junit").len();
    assert!(
        size <= 30_000_000,
        "GitLab refuses a JUnit report of {size} bytes"
    );
    let script = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
props = {p.get("name"): p.get("value") for p in root.findall(".//properties/property")}
print(json.dumps({
    "cases": len(cases),
    "failed": sum(1 for c in cases if c.find("failure") is not None),
    "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    "errors": sum(1 for c in cases if c.find("error") is not None),
    "declared": [int(root.get(k)) for k in ("tests", "failures", "skipped", "errors")],
    "properties": props,
}))
"#;
    let v = venv_json(script, &[&path.to_string_lossy()]);
    let n = |k: &str| v[k].as_u64().expect("count") as usize;
    assert!(
        n("cases") <= 500_000,
        "GitLab refuses {} test cases",
        n("cases")
    );
    assert_eq!(
        v["declared"],
        serde_json::json!([n("cases"), n("failed"), n("skipped"), n("errors")]),
        "the counts the root declares are its cases'"
    );
    (
        n("cases"),
        n("failed"),
        n("skipped"),
        n("errors"),
        v["properties"].clone(),
    )
}

#[test]
fn issue_31_every_format_gives_the_gate_s_count_and_the_total() {
    crate::common::externals::needs!(Venv);
    let dir = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| dir.path().join(name);
    let mut args: Vec<String> = [
        "scan",
        "--no-config",
        "--now",
        NOW,
        "fixtures/formats/mixed.json",
        "--fail-on",
        "high",
        "--sarif-max-results",
        "0",
        "--asff-account",
        "111122223333",
        "--asff-region",
        "eu-west-1",
    ]
    .map(String::from)
    .to_vec();
    for format in [
        "json", "sarif", "markdown", "junit", "asff", "ocsf", "github",
    ] {
        args.push("-o".to_string());
        args.push(format!("{format}={}", at(format).display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, text, err) = run(&args);
    assert_eq!(code, 1, "{err}");
    let json: Value = serde_json::from_str(&read(&at("json"))).expect("json");
    let counted = json["summary"]["gate"]["counted"]
        .as_u64()
        .expect("counted") as usize;
    let total = json["summary"]["findings"].as_u64().expect("total") as usize;
    assert!(
        counted > 0 && counted < total,
        "a gate that counts some: {counted} of {total}"
    );
    let gate = format!("gate: failed ({counted} findings at or above high)");
    assert!(text.contains(&gate), "text: {text}");
    assert!(text.contains(&format!("Found {total} findings")), "{text}");

    let md = read(&at("markdown"));
    assert!(md.contains(&format!("{total} finding(s) in")), "{md}");
    assert!(
        md.contains(&format!(
            "**Failed** the gate: {counted} finding(s) at or above high."
        )),
        "{md}"
    );

    let sarif: Value = serde_json::from_str(&read(&at("sarif"))).expect("sarif");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(total)
    );
    let props = &sarif["runs"][0]["invocations"][0]["properties"];
    assert_eq!(props["gate"]["counted"], counted);
    assert_eq!(props["findings"], total);

    let asff: Value = serde_json::from_str(&read(&at("asff"))).expect("asff");
    assert_eq!(asff["Findings"].as_array().map(Vec::len), Some(total));
    let ocsf: Value = serde_json::from_str(&read(&at("ocsf"))).expect("ocsf");
    assert_eq!(ocsf.as_array().map(Vec::len), Some(total));

    let github = read(&at("github"));
    assert!(
        github.contains(&format!("amilint: {total} finding(s) in all; {gate}")),
        "{github}"
    );
    let annotated = github
        .lines()
        .filter(|l| l.starts_with("::error file="))
        .count();
    assert_eq!(
        annotated, counted,
        "one error annotation per finding at or above high"
    );

    let (_, failed, skipped, _, props) = gitlab_junit(&at("junit"));
    assert_eq!(props["gate.counted"], counted.to_string());
    assert_eq!(props["findings"], total.to_string());
    let xml = read(&at("junit"));
    let failing_lines: usize = xml
        .split("<failure type=\"gate\"")
        .skip(1)
        .filter(|f| !f.contains("gate: failed"))
        .map(|f| f.split("</failure>").next().unwrap_or("").lines().count())
        .sum();
    assert_eq!(
        failing_lines, counted,
        "the failures list the counted findings"
    );
    assert_eq!(
        failed,
        counted + 1,
        "one case per failing image and rule, and the gate"
    );
    // Rules skipped for want of data are skipped cases, never passes.
    let notes = json["notes"].as_array().expect("notes");
    let skipped_cases: u64 = notes
        .iter()
        .map(|n| n["skipped"].as_u64().unwrap_or(0))
        .sum();
    assert!(skipped_cases > 0);
    assert_eq!(skipped as u64, skipped_cases);
}

#[test]
fn issue_31_junit_includes_account_findings_and_policy_errors() {
    crate::common::externals::needs!(Venv);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.xml");
    let policy = dir.path().join("fails.rhai");
    std::fs::write(
        &policy,
        r#"fn meta() { #{ id: "ORG777", name: "fails", severity: "low", summary: "Fails on one image" } }
fn check(image) { if image.Name == "img-1" { throw "broken on purpose"; } () }
"#,
    )
    .expect("policy");
    let export = dir.path().join("in.json");
    std::fs::write(&export, four_finding_export(3, 2)).expect("export");
    let (code, _, err) = run(&[
        "scan",
        "--no-config",
        "--now",
        NOW,
        &export.to_string_lossy(),
        "--settings-file",
        "fixtures/rules/AMI201.json",
        "--policy",
        &policy.to_string_lossy(),
        "-o",
        &format!("junit={}", out.display()),
    ]);
    assert_eq!(code, 2, "a policy error leaves the scan incomplete: {err}");
    let (_, _, _, errors, _) = gitlab_junit(&out);
    let xml = read(&out);
    assert!(
        xml.contains(r#"<testsuite name="AMI201"#),
        "account rules have suites"
    );
    assert!(
        xml.contains(r#"classname="AMI201" name="999999999999/eu-west-1"#),
        "{xml}"
    );
    assert!(xml.contains("broken on purpose"));
    // The image's ORG777 case and the scan's error.
    assert_eq!(errors, 2, "{xml}");
}

#[test]
fn issue_31_junit_of_100k_images_stays_within_gitlab_s_limits() {
    crate::common::externals::needs!(Venv);
    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("100k.json");
    std::fs::write(&export, four_finding_export(100_000, 3)).expect("export");
    let out = dir.path().join("r.xml");
    let json = dir.path().join("r.json");
    let (code, _, err) = run(&[
        "scan",
        "--no-config",
        "--now",
        NOW,
        &export.to_string_lossy(),
        "--format",
        "none",
        "-o",
        &format!("junit={}", out.display()),
        "-o",
        &format!("json={}", json.display()),
    ]);
    assert_eq!(code, 1, "{err}");
    let (cases, failed, _, _, props) = gitlab_junit(&out);
    assert!(cases < 1_000, "one case per rule and input: {cases}");
    let report: Value = serde_json::from_str(&read(&json)).expect("json");
    assert_eq!(
        props["gate.counted"],
        report["summary"]["gate"]["counted"].to_string()
    );
    assert!(failed >= 2, "{failed}");
    let xml = read(&out);
    assert!(xml.contains("one test case per rule and input"), "says so");
    assert!(
        xml.contains("more (the JSON report"),
        "past the listed failures"
    );
}

#[test]
fn issue_31_in_github_actions_a_summarised_sarif_log_is_an_annotation_and_the_summary_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("in.json");
    std::fs::write(&export, four_finding_export(200, 4)).expect("export");
    let sarif = dir.path().join("amilint.sarif");
    let summary = dir.path().join("summary.md");
    let out = crate::common::amilint()
        .env("GITHUB_ACTIONS", "true")
        .args([
            "scan",
            "--no-config",
            "--now",
            NOW,
            &export.to_string_lossy(),
            "--format",
            "none",
            "--sarif-max-results",
            "300",
            "-o",
            &format!("sarif={}", sarif.display()),
            "-o",
            &format!("markdown={}", summary.display()),
        ])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("::warning title=amilint::this SARIF report lists 100 results")),
        "{err}"
    );
    let md = read(&summary);
    assert!(
        md.contains(&format!("the SARIF log `{}` lists them", sarif.display())),
        "{md}"
    );
}
