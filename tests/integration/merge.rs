//! `amilint merge`: the reports of a sharded scan become one.

use crate::common;

use std::collections::BTreeSet;

use common::run;
use serde_json::Value;

use crate::common::NOW;

fn fingerprints(doc: &Value) -> BTreeSet<String> {
    common::findings(doc, ["/fingerprint"])
        .into_iter()
        .map(|[print]| print)
        .collect()
}

/// The bundled example's images.
fn example_images() -> Vec<Value> {
    let example: Value =
        serde_json::from_str(&std::fs::read_to_string(common::EXAMPLE).expect("example"))
            .expect("json");
    example["Images"].as_array().expect("Images").clone()
}

#[test]
fn shards_merge_into_the_whole_scan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = example_images();
    // Two overlapping shards: images 0..5 and 3..7.
    let mut shard_reports = Vec::new();
    let mut sarif_reports = Vec::new();
    for (i, range) in [(0, 5), (3, images.len())].iter().enumerate() {
        let input = dir.path().join(format!("shard-{i}.json"));
        std::fs::write(
            &input,
            serde_json::json!({ "Images": &images[range.0..range.1] }).to_string(),
        )
        .expect("write");
        let json = dir.path().join(format!("shard-{i}.report.json"));
        let sarif = dir.path().join(format!("shard-{i}.sarif"));
        let (code, _, err) = run(&[
            "scan",
            input.to_str().expect("utf-8"),
            "--now",
            NOW,
            "--no-config",
            "--format",
            "none",
            "-o",
            &format!("json={}", json.display()),
            "-o",
            &format!("sarif={}", sarif.display()),
        ]);
        assert_eq!(code, 1, "{err}");
        shard_reports.push(json.to_str().expect("utf-8").to_string());
        sarif_reports.push(sarif.to_str().expect("utf-8").to_string());
    }
    let (_, whole, _) = common::Scan::of(&[common::EXAMPLE]).no_config().json();

    let mut args = vec!["merge"];
    args.extend(shard_reports.iter().map(String::as_str));
    let (code, merged, err) = run(&args);
    assert_eq!(code, 1, "findings at or above fail_on: {err}");
    let merged: Value = serde_json::from_str(&merged).expect("merged JSON");
    assert_eq!(
        fingerprints(&merged),
        fingerprints(&whole),
        "no finding lost or doubled"
    );
    assert_eq!(merged["summary"]["findings"], whole["summary"]["findings"]);
    assert_eq!(
        merged["summary"]["by_severity"],
        whole["summary"]["by_severity"]
    );
    assert_eq!(merged["scan"]["inputs"].as_array().map(Vec::len), Some(2));

    let mut args = vec!["merge"];
    args.extend(sarif_reports.iter().map(String::as_str));
    let (code, merged, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let merged: Value = serde_json::from_str(&merged).expect("merged SARIF");
    let results = merged["runs"][0]["results"].as_array().expect("results");
    assert_eq!(
        results.len() as u64,
        whole["summary"]["findings"].as_u64().expect("count")
    );
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("index") as usize;
        assert_eq!(
            merged["runs"][0]["tool"]["driver"]["rules"][index]["id"],
            r["ruleId"]
        );
    }
    // Issue 33: the merged run is built from typed values and keeps what the
    // whole scan's run has: its rules, and the compliance taxonomies their
    // relationships point into.
    let (_, whole_sarif, _) = common::Scan::of(&[common::EXAMPLE])
        .no_config()
        .format("sarif")
        .json();
    let (run_of, whole_run) = (&merged["runs"][0], &whole_sarif["runs"][0]);
    assert!(
        run_of["taxonomies"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    assert_eq!(run_of["taxonomies"], whole_run["taxonomies"]);
    assert_eq!(
        run_of["tool"]["driver"]["rules"],
        whole_run["tool"]["driver"]["rules"]
    );
    for rule in run_of["tool"]["driver"]["rules"].as_array().expect("rules") {
        for target in rule["relationships"].as_array().into_iter().flatten() {
            let target = &target["target"];
            let component = &run_of["taxonomies"][target["toolComponent"]["index"]
                .as_u64()
                .expect("component index")
                as usize];
            assert_eq!(component["name"], target["toolComponent"]["name"]);
            let taxon = &component["taxa"][target["index"].as_u64().expect("index") as usize];
            assert_eq!(taxon["id"], target["id"], "{rule}");
        }
    }

    let (code, _, err) = run(&["merge", &shard_reports[0], &sarif_reports[1]]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot merge JSON reports with SARIF logs"),
        "{err}"
    );
    // `-o sarif=PATH`, as scan's --output writes it (issue 22); the kind must match.
    let out = dir.path().join("merged.sarif");
    let mut args = vec![
        "merge".to_string(),
        "-o".to_string(),
        format!("sarif={}", out.display()),
    ];
    args.extend(sarif_reports.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_file());
    let mut args = vec![
        "merge".to_string(),
        "-o".to_string(),
        format!("json={}", out.display()),
    ];
    args.extend(sarif_reports.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = run(&args);
    assert_eq!(code, 2);
    assert!(err.contains("the reports are SARIF"), "{err}");
}

#[test]
fn an_incomplete_shard_makes_the_merge_incomplete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ok = dir.path().join("ok.json");
    let broken = dir.path().join("broken.json");
    let (_, out, _) = run(&[
        "scan",
        "fixtures/formats/mixed.json",
        "--no-config",
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    std::fs::write(&ok, out).expect("write");
    let (code, out, _) = run(&[
        "scan",
        "fixtures/examples/describe-images.json",
        "--no-config",
        "--format",
        "json",
        "--policy",
        "fixtures/policies/runtime-error.rhai",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 2);
    std::fs::write(&broken, out).expect("write");
    let (code, merged, _) = run(&[
        "merge",
        ok.to_str().expect("utf-8"),
        broken.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    let merged: Value = serde_json::from_str(&merged).expect("json");
    assert_eq!(merged["errors"].as_array().map(Vec::len), Some(1));
}

/// Issue 16: nothing is dropped silently — a report whose findings lack
/// amilint's fingerprint, `"findings": {}`, another tool's SARIF log — each
/// is refused with file:line:column; nothing is written.
#[test]
fn issue_16_reports_that_are_not_amilints_are_refused_not_dropped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, good, _) = run(&[
        "scan",
        "fixtures/examples/describe-images.json",
        "--no-config",
        "--format",
        "json",
    ]);
    let good_path = dir.path().join("good.json");
    std::fs::write(&good_path, &good).expect("write");
    let mut doc: Value = serde_json::from_str(&good).expect("json");
    let findings = doc["findings"].as_array_mut().expect("findings");
    assert!(findings.len() > 2);
    for f in findings.iter_mut().skip(1) {
        f.as_object_mut().expect("object").remove("fingerprint");
    }
    let no_prints = doc.to_string();
    doc["findings"] = serde_json::json!({});
    let object = doc.to_string();
    let codeql = r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "CodeQL"}},
        "results": [{"ruleId": "js/x", "partialFingerprints": {"primaryLocationLineHash": "a"}},
                    {"ruleId": "js/y"}, {"ruleId": "js/z"}]}]}"#;
    for (name, text, want) in [
        (
            "no-prints.json",
            no_prints.as_str(),
            // Read as v1 defines a finding: the fingerprint is required.
            "missing field `fingerprint`",
        ),
        ("object.json", object.as_str(), "expected an array"),
        ("codeql.sarif", codeql, "amilint fingerprint"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let out_path = dir.path().join("merged.json");
        let (code, out, err) = run(&[
            "merge",
            good_path.to_str().expect("utf-8"),
            path.to_str().expect("utf-8"),
            "--output",
            out_path.to_str().expect("utf-8"),
        ]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains(name) && err.contains(want), "{name}: {err}");
        let position = err.split(name).nth(1).unwrap_or_default();
        assert!(
            position.starts_with(':')
                && position[1..]
                    .split(':')
                    .take(2)
                    .all(|n| n.parse::<u64>().is_ok()),
            "{name}: a line and column: {err}"
        );
        assert!(!out_path.exists(), "{name}");
    }
}

/// One JSON v1 definition: a merged report is what a scan writes, member
/// for member and line for line (findings as the scan's line writer has them),
/// and its gate counts like the scan's.
#[test]
fn issue_17_a_merged_report_reads_and_writes_as_v1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, whole, _) = run(&[
        "scan",
        "fixtures/formats/mixed.json",
        "--no-config",
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    let path = dir.path().join("whole.json");
    std::fs::write(&path, &whole).expect("write");
    let (merged_code, merged, err) = run(&["merge", path.to_str().expect("utf-8")]);
    assert_eq!(merged_code, code, "the same gate: {err}");
    let lines = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("    {\"rule_id\""))
            .map(|l| l.trim_end_matches(',').to_string())
            .collect()
    };
    assert!(!lines(&whole).is_empty());
    assert_eq!(lines(&merged), lines(&whole), "findings byte for byte");
    let (a, b): (Value, Value) = (
        serde_json::from_str(&whole).expect("json"),
        serde_json::from_str(&merged).expect("json"),
    );
    for key in [
        "schema_version",
        "tool",
        "findings",
        "errors",
        "warnings",
        "notes",
        "summary",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

/// Issue 35: "merge equals one whole run" was false — two shards' notes that
/// read alike ("AMI012 skipped on 2 of 3 images") were kept once, and the
/// others twice with each shard's counts. Disjoint shards now merge into
/// exactly the whole run's report, notes and all (its time and inputs aside).
#[test]
fn disjoint_shards_merge_into_the_whole_runs_report_notes_and_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = example_images();
    let mut inputs = Vec::new();
    for (i, part) in [&images[..3], &images[3..]].iter().enumerate() {
        let input = dir.path().join(format!("part-{i}.json"));
        std::fs::write(&input, serde_json::json!({ "Images": part }).to_string()).expect("write");
        inputs.push(input.to_str().expect("utf-8").to_string());
    }
    let scan = |files: &[String], format: &str, out: &str| {
        let mut args = vec![
            "scan",
            "--now",
            NOW,
            "--no-config",
            "--format",
            "none",
            "-o",
        ];
        let target = format!("{format}={out}");
        args.push(&target);
        args.extend(files.iter().map(String::as_str));
        let (code, _, err) = run(&args);
        assert_eq!(code, 1, "{err}");
    };
    for format in ["json", "sarif"] {
        let path = |name: &str| {
            dir.path()
                .join(format!("{name}.{format}"))
                .to_str()
                .expect("utf-8")
                .to_string()
        };
        scan(&inputs, format, &path("whole"));
        scan(&inputs[..1], format, &path("shard-1"));
        scan(&inputs[1..], format, &path("shard-2"));
        let (_, merged, err) = run(&["merge", &path("shard-1"), &path("shard-2")]);
        let merged: Value = serde_json::from_str(&merged).expect(&err);
        let whole: Value =
            serde_json::from_str(&std::fs::read_to_string(path("whole")).expect("whole"))
                .expect("whole");
        if format == "json" {
            assert!(
                whole["notes"].as_array().is_some_and(|n| n.len() > 1),
                "the example has notes: {whole}"
            );
            for key in ["findings", "errors", "warnings", "notes", "summary"] {
                assert_eq!(merged[key], whole[key], "{key}");
            }
        } else {
            let notes = "/runs/0/invocations/0/toolExecutionNotifications";
            assert!(whole.pointer(notes).is_some());
            assert_eq!(merged.pointer(notes), whole.pointer(notes));
        }
    }
}
