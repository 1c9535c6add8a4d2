//! Microsoft's SARIF validator (`@microsoft/sarif-multitool`) must report no
//! error for amilint's SARIF. The test command (scripts/test.sh) installs it;
//! there a missing validator fails these tests (`common::externals`).

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn multitool() -> PathBuf {
    if let Some(path) = std::env::var_os("SARIF_MULTITOOL") {
        return PathBuf::from(path);
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sarif-validator/node_modules/.bin/sarif-multitool");
    assert!(
        local.exists(),
        "the SARIF validator is not installed: run scripts/test.sh (it runs `npm ci` in tests/sarif-validator)"
    );
    local
}

/// Scans `inputs` (plus `extra` arguments), expects `code`, and validates the SARIF.
fn validate(inputs: &[&str]) {
    validate_with(inputs, &[], 1);
}

fn validate_with(inputs: &[&str], extra: &[&str], code: i32) {
    run_and_validate("scan", inputs, extra, code);
}

/// Runs `amilint COMMAND` with every rule on `inputs`, expects `code`, and
/// validates the SARIF it wrote.
fn run_and_validate(command: &str, inputs: &[&str], extra: &[&str], code: i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("amilint.sarif");
    let status = Command::new(env!("CARGO_BIN_EXE_amilint"))
        .args([
            command,
            "--now",
            crate::common::NOW,
            "--format",
            "none",
            "--select",
            "ALL",
            "--output",
        ])
        .arg(format!("sarif={}", sarif.display()))
        .args(extra)
        .args(inputs)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("amilint runs");
    assert_eq!(status.code(), Some(code));
    check(&sarif);
}

/// Runs Microsoft's validator on `sarif`; fails on any error-level result.
fn check(sarif: &std::path::Path) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("validation.sarif");
    let out = Command::new(multitool())
        .arg("validate")
        .arg(sarif)
        .arg("-o")
        .arg(&log)
        .output()
        .expect("the validator runs");
    assert!(
        out.status.success(),
        "validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&log).expect("validation log")).expect("log is JSON");
    let results = report["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let errors: Vec<String> = results
        .iter()
        .filter(|r| r["level"] == "error")
        .map(|r| format!("{}: {}", r["ruleId"], r["message"]))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF validation errors:\n{}",
        errors.join("\n")
    );
    // Keep the warnings visible in the test log.
    for r in &results {
        eprintln!(
            "validator {}: {} {}",
            r["level"].as_str().unwrap_or("warning"),
            r["ruleId"],
            r["message"]["id"]
        );
    }
}

#[test]
fn sarif_passes_microsofts_validator() {
    crate::common::externals::needs!(SarifValidator);
    validate(&[
        "fixtures/formats/mixed.json",
        "fixtures/examples/describe-images.json",
    ]);
}

#[test]
fn sarif_of_every_rule_fixture_passes() {
    crate::common::externals::needs!(SarifValidator);
    let fixtures = common::image_rule_fixtures();
    let refs: Vec<&str> = fixtures.iter().map(String::as_str).collect();
    // With account findings (AMI2xx) from a settings file.
    validate_with(
        &refs,
        &["--settings-file", "fixtures/formats/settings.json"],
        1,
    );
}

#[test]
fn sarif_with_policies_and_a_policy_error_passes() {
    crate::common::externals::needs!(SarifValidator);
    // Policy descriptors (no helpUri) and an execution notification with a
    // location in the script.
    validate_with(
        &["fixtures/examples/describe-images.json"],
        &[
            "--policy",
            "policies",
            "--policy",
            "fixtures/policies/runtime-error.rhai",
        ],
        2,
    );
}

#[test]
fn sarif_with_waivers_config_warnings_and_a_baseline_passes() {
    crate::common::externals::needs!(SarifValidator);
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = dir.path().join("baseline.json");
    let status = Command::new(env!("CARGO_BIN_EXE_amilint"))
        .args([
            "scan",
            "fixtures/formats/mixed.json",
            "--format",
            "none",
            "--no-config",
            "-o",
        ])
        .arg(format!("json={}", baseline.display()))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("amilint runs");
    assert_eq!(status.code(), Some(1));
    // Suppressions (external), configuration notifications (expired and stale
    // waivers) and baselineState new/unchanged in one log.
    validate_with(
        &[
            "fixtures/examples/describe-images.json",
            "fixtures/formats/mixed.json",
        ],
        &[
            "--config",
            "fixtures/config/gate.toml",
            "--baseline",
            baseline.to_str().expect("utf-8"),
        ],
        1,
    );
}

#[test]
fn merged_sarif_of_sharded_scans_passes() {
    crate::common::externals::needs!(SarifValidator);
    // Two shards with different rules (policies in one), one incomplete.
    let dir = tempfile::tempdir().expect("tempdir");
    let shard = |name: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        let status = Command::new(env!("CARGO_BIN_EXE_amilint"))
            .args([
                "scan",
                "--now",
                crate::common::NOW,
                "--format",
                "none",
                "--no-config",
            ])
            .arg("--output")
            .arg(format!("sarif={}", path.display()))
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("amilint runs");
        assert!(matches!(status.code(), Some(1 | 2)));
        path
    };
    let a = shard(
        "a.sarif",
        &["fixtures/formats/mixed.json", "--select", "ALL"],
    );
    let b = shard(
        "b.sarif",
        &[
            "fixtures/examples/describe-images.json",
            "fixtures/formats/mixed.json",
            "--policy",
            "policies",
            "--policy",
            "fixtures/policies/runtime-error.rhai",
        ],
    );
    let merged = dir.path().join("merged.sarif");
    let status = Command::new(env!("CARGO_BIN_EXE_amilint"))
        .arg("merge")
        .arg(&a)
        .arg(&b)
        .arg("-o")
        .arg(&merged)
        .status()
        .expect("amilint merge runs");
    assert_eq!(status.code(), Some(2), "a shard was incomplete");
    check(&merged);
    // The shards' rules differ: each result's ruleIndex is its place in the
    // merged tool's rules (rewritten where it moved, kept where it did not).
    let log = crate::common::json(&std::fs::read_to_string(&merged).expect("merged"), "");
    let run = &log["runs"][0];
    let results = run["results"].as_array().expect("results");
    assert!(results.len() > 10);
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["id"], r["ruleId"],
            "{r}"
        );
    }
}

#[test]
fn preflight_sarif_passes() {
    crate::common::externals::needs!(SarifValidator);
    run_and_validate(
        "preflight",
        &[
            "fixtures/requests/register-image.json",
            "fixtures/requests/create-image.json",
            "fixtures/rules/AMI104.json",
        ],
        &["--no-config"],
        1,
    );
}

/// `--category` gives the run its identity (`automationDetails.id`, GitHub's
/// `NAME/` form), and the log still passes; an input path with characters a URI
/// must encode becomes a valid URI reference.
#[test]
fn issue_21_a_categorised_log_with_odd_input_paths_passes() {
    crate::common::externals::needs!(SarifValidator);
    let dir = tempfile::tempdir().expect("tempdir");
    let odd = dir.path().join("exports #1 [eu] 100% é.json");
    std::fs::copy("fixtures/examples/describe-images.json", &odd).expect("copy");
    let sarif = dir.path().join("amilint.sarif");
    let (code, err) = amilint_in(
        dir.path(),
        &[
            "scan",
            "--no-config",
            "--now",
            crate::common::NOW,
            "--format",
            "none",
            "--category",
            "images-prod",
            "--output",
            &format!("sarif={}", sarif.display()),
            "exports #1 [eu] 100% é.json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif")).expect("json");
    assert_eq!(doc["runs"][0]["automationDetails"]["id"], "images-prod/");
    let uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .expect("uri");
    assert_eq!(uri, "exports%20%231%20%5Beu%5D%20100%25%20%C3%A9.json");
    check(&sarif);
}

/// Issue 21: a 100,000-image scan (over 400,000 findings) gives SARIF that
/// GitHub code scanning accepts by its documented limits — one run, at most
/// 5,000 results (it keeps 5,000, refuses over 25,000), at most 1,000
/// locations a result (it shows 100), under 10 MB gzipped — with nothing
/// lost: the findings past the limit are summarised per rule and file with
/// their counts, and the run says so on stderr and in a notification. The
/// log passes Microsoft's validator. `--sarif-max-results 0` lists all.
#[test]
fn issue_21_sarif_of_a_100k_image_scan_stays_within_githubs_limits() {
    crate::common::externals::needs!(SarifValidator);
    use std::io::Write;

    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("images.json");
    // Public, no ImdsSupport, no DeprecationTime, no PlatformDetails: four findings.
    let text = crate::common::four_finding_export(100_000, 0);
    std::fs::write(&export, text).expect("write");
    let sarif = dir.path().join("amilint.sarif");
    let json = dir.path().join("amilint.json");
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--no-config",
            "--now",
            crate::common::NOW,
            "--format",
            "none",
            export.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        amilint_in(dir.path(), &args)
    };
    let (code, err) = scan(&[
        "-o",
        &format!("sarif={}", sarif.display()),
        "-o",
        &format!("json={}", json.display()),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("amilint: warning: this SARIF report lists") && err.contains("summarised"),
        "{err}"
    );
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif")).expect("SARIF");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("JSON");
    let total = report["summary"]["findings"].as_u64().expect("count");
    assert!(total >= 400_000, "{total}");

    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "GitHub takes 20 runs a file");
    let results = runs[0]["results"].as_array().expect("results");
    assert!(results.len() <= 5_000, "{} results", results.len());
    let mut listed = 0;
    let mut summarised = 0;
    for r in results {
        let locations = r["locations"].as_array().map_or(0, Vec::len)
            + r["relatedLocations"].as_array().map_or(0, Vec::len);
        assert!(locations <= 1_000, "{r}");
        match r["properties"]["summarised"].as_bool() {
            Some(true) => {
                let count = r["properties"]["count"].as_u64().expect("count");
                assert!(r["relatedLocations"].as_array().map_or(0, Vec::len) <= 100);
                summarised += count;
            }
            _ => listed += 1,
        }
    }
    assert_eq!(
        listed + summarised,
        total,
        "every finding listed or counted"
    );
    let notes = runs[0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert!(notes.iter().any(|n| {
        n["message"]["text"]
            .as_str()
            .is_some_and(|t| t.contains(&format!("the other {summarised} findings are summarised")))
    }));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(&sarif).expect("sarif"))
        .expect("gzip");
    let gzipped = gz.finish().expect("gzip").len();
    assert!(gzipped < 10 * 1024 * 1024, "{gzipped} bytes gzipped");
    check(&sarif);

    // No limit: every finding one by one.
    let all = dir.path().join("all.sarif");
    let (code, err) = scan(&[
        "--sarif-max-results",
        "0",
        "-o",
        &format!("sarif={}", all.display()),
    ]);
    assert_eq!(code, 1, "{err}");
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&all).expect("sarif")).expect("SARIF");
    assert_eq!(
        log["runs"][0]["results"].as_array().map(|r| r.len() as u64),
        Some(total)
    );
}

/// Runs `amilint ARGS` in `dir`; returns the exit code and stderr.
fn amilint_in(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_amilint"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("amilint runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue 21: run from a folder deep in a git work tree, a SARIF log names
/// each input relative to the root (`uriBaseId` `%SRCROOT%`, defined in
/// `originalUriBaseIds`), as GitHub resolves them against the checkout:
/// relative to the working directory instead, GitHub found no file and
/// fingerprinted none. An absolute path inside the tree is made relative
/// too; stdin and paths outside the tree keep their URI, without a base.
#[test]
fn issue_21_sarif_uris_are_relative_to_the_git_work_tree() {
    crate::common::externals::needs!(SarifValidator);
    let root = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(root.path().join(".git")).expect(".git");
    let deep = root.path().join("infra/images dir");
    std::fs::create_dir_all(&deep).expect("mkdir");
    let name = "export #1 [prod] é.json";
    std::fs::copy("fixtures/examples/describe-images.json", deep.join(name)).expect("copy");
    let outside = tempfile::tempdir().expect("tempdir");
    let elsewhere = outside.path().join("elsewhere.json");
    std::fs::copy("fixtures/rules/AMI001.json", &elsewhere).expect("copy");
    // An absolute path inside the tree but outside the working directory.
    std::fs::create_dir(root.path().join("other")).expect("mkdir");
    let absolute = root.path().join("other/abs.json");
    std::fs::copy("fixtures/rules/AMI003.json", &absolute).expect("copy");
    let sarif = root.path().join("amilint.sarif");
    let (code, err) = amilint_in(
        &root.path().join("infra"),
        &[
            "scan",
            "--no-config",
            "--now",
            crate::common::NOW,
            "--format",
            "none",
            "-o",
            &format!("sarif={}", sarif.display()),
            &format!("images dir/{name}"),
            absolute.to_str().expect("utf-8"),
            elsewhere.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif")).expect("json");
    let run = &doc["runs"][0];
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("%SRCROOT% defined");
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let root_path = std::path::PathBuf::from(
        percent_encoding::percent_decode_str(&base["file://".len()..])
            .decode_utf8()
            .expect("utf-8")
            .into_owned(),
    );
    assert_eq!(
        root_path.canonicalize().expect("root exists"),
        root.path().canonicalize().expect("root")
    );
    let mut inside = BTreeSet::new();
    for result in run["results"].as_array().expect("results") {
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        let uri = artifact["uri"].as_str().expect("uri");
        if artifact["uriBaseId"] == "%SRCROOT%" {
            // Resolved as GitHub does: decoded, joined to the checkout.
            let path = percent_encoding::percent_decode_str(uri)
                .decode_utf8()
                .expect("utf-8");
            assert!(root_path.join(&*path).is_file(), "{path}");
            inside.insert(path.into_owned());
        } else {
            assert!(
                uri.starts_with("file:///") && uri.ends_with("elsewhere.json"),
                "{uri}"
            );
        }
    }
    assert_eq!(
        inside,
        BTreeSet::from([
            format!("infra/images dir/{name}"),
            "other/abs.json".to_string()
        ])
    );
    check(&sarif);
}

/// Issue 21: `amilint merge` of SARIF shards keeps the merged log within
/// `--sarif-max-results` (8 shards of 5,000 results each would be 40,000,
/// over GitHub's 25,000): the first results listed, the others summarised
/// per rule and file with their counts (the shards' own summaries counted
/// in), said on stderr and in a notification; nothing lost; the first
/// shard's category and source root kept. The log passes the validator.
#[test]
fn issue_21_merged_sarif_stays_within_the_result_limit() {
    crate::common::externals::needs!(SarifValidator);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut sarifs = Vec::new();
    let mut jsons = Vec::new();
    for shard in 0..3u64 {
        let text = crate::common::four_finding_export(300, shard);
        let export = format!("shard-{shard}.json");
        std::fs::write(dir.path().join(&export), text).expect("write");
        let (sarif, json) = (
            format!("shard-{shard}.sarif"),
            format!("shard-{shard}.report.json"),
        );
        let (code, err) = amilint_in(
            dir.path(),
            &[
                "scan",
                "--no-config",
                "--now",
                crate::common::NOW,
                "--format",
                "none",
                "--category",
                "org",
                "--sarif-max-results",
                "1000",
                "-o",
                &format!("sarif={sarif}"),
                "-o",
                &format!("json={json}"),
                &export,
            ],
        );
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("summarised"),
            "each shard is over its limit: {err}"
        );
        sarifs.push(sarif);
        jsons.push(json);
    }
    let mut args = vec!["merge", "-o", "all.json"];
    args.extend(jsons.iter().map(String::as_str));
    assert_eq!(amilint_in(dir.path(), &args).0, 1);
    let all: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("all.json")).expect("json"))
            .expect("JSON");
    let total = all["summary"]["findings"].as_u64().expect("findings");
    assert_eq!(total, 3 * 300 * 4);

    let mut args = vec!["merge", "--sarif-max-results", "1500", "-o", "all.sarif"];
    args.extend(sarifs.iter().map(String::as_str));
    let (code, err) = amilint_in(dir.path(), &args);
    assert_eq!(code, 0, "a SARIF merge has no gate: {err}");
    assert!(
        err.contains("amilint: warning: this SARIF report lists 1300 results one by one"),
        "{err}"
    );
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("all.sarif")).expect("sarif"))
            .expect("SARIF");
    let run = &log["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "org/");
    let results = run["results"].as_array().expect("results");
    assert!(results.len() <= 1500, "{}", results.len());
    let counted: u64 = results
        .iter()
        .map(|r| r["properties"]["count"].as_u64().unwrap_or(1))
        .sum();
    assert_eq!(counted, total, "every finding listed or counted");
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert!(notes.iter().any(|n| {
        n["message"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("this SARIF report lists 1300 results"))
    }));
    check(&dir.path().join("all.sarif"));

    // Within the limit, or with none, every result passes through as it was.
    let mut args = vec!["merge", "--sarif-max-results", "0", "-o", "whole.sarif"];
    args.extend(sarifs.iter().map(String::as_str));
    let (code, err) = amilint_in(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("summarised"), "{err}");
    let whole: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("whole.sarif")).expect("sarif"))
            .expect("SARIF");
    let shard_results: usize = sarifs
        .iter()
        .map(|s| {
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.path().join(s)).expect("shard"))
                    .expect("SARIF");
            doc["runs"][0]["results"].as_array().map_or(0, Vec::len)
        })
        .sum();
    assert_eq!(
        whole["runs"][0]["results"].as_array().map(Vec::len),
        Some(shard_results)
    );
}
