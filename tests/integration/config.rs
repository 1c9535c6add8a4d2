//! amilint.toml, scopes, waivers, tag suppression and baselines.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{amilint, run};
use serde_json::Value;

use crate::common::EXAMPLE;
const GATE: &str = "fixtures/config/gate.toml";
use crate::common::NOW;

fn json(text: &str) -> Value {
    common::json(text, "")
}

fn scan_json(extra: &[&str]) -> (i32, Value) {
    let (code, doc, _) = common::Scan::of(&[EXAMPLE]).args(extra).json();
    (code, doc)
}

fn rule_ids(doc: &Value) -> BTreeSet<String> {
    common::findings(doc, ["/rule_id"])
        .into_iter()
        .map(|[rule]| rule)
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn a_config_sets_rules_options_severities_scopes_and_the_gate() {
    let (code, doc) = scan_json(&["--config", GATE]);
    assert_eq!(doc["scan"]["fail_on"], "high");
    assert_eq!(code, 1, "unsuppressed critical and high findings remain");
    let ids = rule_ids(&doc);
    assert!(!ids.contains("AMI016"));
    let aged = doc["findings"]
        .as_array()
        .expect("f")
        .iter()
        .find(|f| f["rule_id"] == "AMI008")
        .expect("AMI008");
    assert_eq!(aged["severity"], "medium", "severity override");
    assert!(
        aged["message"]
            .as_str()
            .is_some_and(|m| m.contains("limit 180 days")),
        "max_age_days"
    );
    // AMI007 is on because it is configured, and scoped to Environment=production.
    let tagged: Vec<&str> = doc["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter(|f| f["rule_id"] == "AMI007")
        .filter_map(|f| f["image_id"].as_str())
        .collect();
    assert_eq!(tagged, vec!["ami-0a1b2c3d4e5f60718"]);

    // The command line overrides the file.
    let (code, doc) = scan_json(&[
        "--config",
        GATE,
        "--fail-on",
        "never",
        "--max-age-days",
        "4000",
        "--severity",
        "AMI008=info",
    ]);
    assert_eq!(code, 0);
    assert!(!rule_ids(&doc).contains("AMI008"));
    // --no-config ignores it.
    let (_, doc) = scan_json(&["--no-config"]);
    assert!(!rule_ids(&doc).contains("AMI007"));
}

#[test]
fn the_config_is_found_in_the_working_directory_or_a_parent() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "amilint.toml",
        "fail_on = \"never\"\nselect = [\"AMI006\"]\n",
    );
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).expect("mkdir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let out = amilint()
        .current_dir(&nested)
        .args([
            "scan",
            example.to_str().expect("utf-8"),
            "--format",
            "json",
            "--now",
            NOW,
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(rule_ids(&doc), BTreeSet::from(["AMI006".to_string()]));
}

#[test]
fn bad_config_files_name_the_file_key_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "unknown-key.toml",
            "fail_on = \"low\"\nfial_on = \"high\"\n",
            ":2:1: unknown field `fial_on`",
        ),
        (
            "wrong-type.toml",
            "select = \"AMI001\"\n",
            ":1:10: invalid type: string \"AMI001\", expected a sequence",
        ),
        (
            "unknown-rule.toml",
            "\n[rules.AMI999]\nseverity = \"low\"\n",
            ":2:8: `rules`: unknown rule `AMI999`",
        ),
        (
            "bad-severity.toml",
            "[rules.AMI001]\nseverity = \"urgent\"\n",
            ":2:12: `rules.AMI001.severity`: unknown severity `urgent`",
        ),
        (
            "wrong-rule.toml",
            "[rules.AMI001]\npattern = \"^x$\"\n",
            "`rules.AMI001.pattern`: `pattern` is an option of AMI017, not of AMI001",
        ),
        (
            "bad-regex.toml",
            "[rules.AMI017]\npattern = \"(\"\n",
            ":2:11: `rules.AMI017.pattern`: invalid regex \"(\": unclosed group",
        ),
        (
            "no-reason.toml",
            "[[waivers]]\nrules = [\"AMI002\"]\nimages = [\"ami-1\"]\nreason = \"\"\nexpires = \"2027-01-01\"\n",
            ":4:10: `waivers.reason`: a waiver needs a reason",
        ),
        (
            "missing-expiry.toml",
            "[[waivers]]\nrules = [\"AMI002\"]\nimages = [\"ami-1\"]\nreason = \"x\"\n",
            "missing field `expires`",
        ),
        (
            "bad-date.toml",
            "[[waivers]]\nrules = [\"AMI002\"]\nimages = [\"ami-1\"]\nreason = \"x\"\nexpires = \"next year\"\n",
            ":5:11: `waivers.expires`: `next year` is not a date (YYYY-MM-DD)",
        ),
        (
            "bad-image.toml",
            "[[waivers]]\nrules = [\"AMI002\"]\nimages = [\"legacy\"]\nreason = \"x\"\nexpires = \"2027-01-01\"\n",
            "`waivers.images`: `legacy` is neither an image id",
        ),
        (
            "empty-scope.toml",
            "[[scopes]]\nrules = [\"AMI007\"]\n",
            "a scope needs at least one of tags, owners or names",
        ),
        ("syntax.toml", "fail_on = \n", ":1:"),
    ];
    for (name, text, want) in cases {
        let path = write(dir.path(), name, text);
        let (code, out, err) = run(&["scan", EXAMPLE, "--config", &path]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(out.is_empty(), "{name}: no report");
        assert!(err.contains(&path), "{name}: names the file: {err}");
        assert!(err.contains(want), "{name}: want `{want}` in {err}");
        let (code, _, err2) = run(&["config", "check", "--config", &path]);
        assert_eq!(code, 2, "{name}");
        assert!(
            err2.contains(want),
            "{name}: config check says the same: {err2}"
        );
    }
}

#[test]
fn init_writes_a_valid_commented_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let init = |args: &[&str]| {
        amilint()
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("runs")
    };
    assert_eq!(init(&["init"]).status.code(), Some(0));
    let text = std::fs::read_to_string(dir.path().join("amilint.toml")).expect("written");
    assert!(text.contains("# [[waivers]]") && text.contains("fail_on = \"low\""));
    let again = init(&["init"]);
    assert_eq!(again.status.code(), Some(2), "never overwrites silently");
    assert_eq!(init(&["init", "--force"]).status.code(), Some(0));
    let check = init(&["config", "check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("amilint.toml: ok"));
    // Uncommenting every example gives a valid file too.
    let all: String = text
        .lines()
        .map(|l| {
            l.strip_prefix("# ")
                .filter(|rest| {
                    (rest.starts_with('[') || rest.contains(" = ")) && !rest.starts_with("policies")
                })
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("amilint.toml"), all).expect("write");
    let check = init(&["config", "check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn waivers_suppress_expire_and_go_stale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sarif = dir.path().join("out.sarif");
    let spec = format!("sarif={}", sarif.display());
    // Every owner's images: the waived finding is on Amazon's image.
    let (_, doc) = scan_json(&["--config", GATE, "--all-owners", "-o", &spec]);
    let findings = doc["findings"].as_array().expect("findings");
    let waived = findings
        .iter()
        .find(|f| f["rule_id"] == "AMI006" && f["image_id"] == "ami-0d4c3b2a190817263")
        .expect("the waived finding is still reported");
    assert_eq!(waived["suppression"]["kind"], "waiver");
    assert!(
        waived["suppression"]["justification"]
            .as_str()
            .is_some_and(|j| j.starts_with("Amazon's public Windows image"))
    );
    assert_eq!(doc["summary"]["suppressed"], 1);
    // The expired waiver no longer suppresses, and says so.
    let expired = findings
        .iter()
        .find(|f| f["rule_id"] == "AMI002" && f["image_id"] == "ami-0123456789abcdef0")
        .expect("finding");
    assert!(expired["suppression"].is_null());
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .expect("w")
        .iter()
        .filter_map(|w| w["message"].as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("waiver expired on 2026-01-31"));
    assert!(warnings[1].starts_with("stale waiver"));
    assert_eq!(doc["warnings"][1]["line"], 28);
    assert!(
        doc["errors"].as_array().is_some_and(Vec::is_empty),
        "warnings are not errors"
    );

    let sarif: Value = json(&std::fs::read_to_string(&sarif).expect("sarif"));
    let result = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["properties"]["imageId"] == "ami-0d4c3b2a190817263" && r["ruleId"] == "AMI006")
        .expect("result");
    assert_eq!(result["suppressions"][0]["kind"], "external");
    assert_eq!(result["suppressions"][0]["status"], "accepted");
    let notes = &sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"];
    assert_eq!(notes.as_array().map(Vec::len), Some(2));
    assert_eq!(notes[0]["level"], "warning");

    // Waived findings do not count for the gate.
    let config = write(
        dir.path(),
        "all.toml",
        "[[waivers]]\nrules = [\"ALL\"]\nimages = [\"name:*\"]\nreason = \"accepted for the audit\"\nexpires = \"2099-01-01\"\n",
    );
    let (code, doc) = scan_json(&["--config", &config]);
    assert_eq!(code, 0, "{}", doc["summary"]);
    assert_eq!(doc["summary"]["suppressed"], doc["summary"]["findings"]);
}

#[test]
fn an_image_tag_can_suppress_unless_the_config_forbids_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = write(
        dir.path(),
        "tagged.json",
        r#"{"Images": [{"ImageId": "ami-1", "Name": "x", "Public": true,
        "Tags": [{"Key": "amilint:ignore", "Value": "AMI006, imdsv2-not-required"},
                 {"Key": "amilint:ignore-reason", "Value": "demo image, public on purpose"}]}]}"#,
    );
    let (code, out, _) = run(&[
        "scan",
        &input,
        "--format",
        "json",
        "--select",
        "AMI001,AMI006",
        "--no-config",
    ]);
    assert_eq!(code, 0);
    let doc = json(&out);
    assert_eq!(doc["summary"]["suppressed"], 2);
    assert_eq!(doc["findings"][0]["suppression"]["kind"], "tag");
    assert_eq!(
        doc["findings"][0]["suppression"]["justification"],
        "demo image, public on purpose"
    );
    let config = write(dir.path(), "strict.toml", "allow_tag_suppression = false\n");
    let (code, out, _) = run(&[
        "scan",
        &input,
        "--format",
        "json",
        "--select",
        "AMI001,AMI006",
        "--config",
        &config,
    ]);
    assert_eq!(code, 1);
    assert_eq!(json(&out)["summary"]["suppressed"], 0);
}

#[test]
fn a_baseline_makes_the_gate_count_only_new_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before.json");
    let before_sarif = dir.path().join("before.sarif");
    let (_, _, _) = run(&[
        "scan",
        EXAMPLE,
        "--now",
        NOW,
        "--format",
        "none",
        "--no-config",
        "-o",
        &format!("json={}", before.display()),
        "-o",
        &format!("sarif={}", before_sarif.display()),
    ]);
    // Same export: everything unchanged, nothing new, the gate passes.
    for baseline in [&before, &before_sarif] {
        let (code, doc) = scan_json(&[
            "--no-config",
            "--baseline",
            baseline.to_str().expect("utf-8"),
        ]);
        assert_eq!(code, 0, "{}", baseline.display());
        assert_eq!(doc["summary"]["baseline"]["new"], 0);
        assert_eq!(doc["summary"]["baseline"]["absent"], 0);
        assert_eq!(doc["findings"][0]["baseline_state"], "unchanged");
    }
    // A reordered export with one image gone and one new bad image.
    let mut export = json(&std::fs::read_to_string(EXAMPLE).expect("example"));
    let images = export["Images"].as_array_mut().expect("Images");
    let at = images
        .iter()
        .position(|i| i["ImageId"] == "ami-0f0e0d0c0b0a09080")
        .expect("FortiGate image");
    let removed = images.remove(at);
    images.reverse();
    images.push(serde_json::json!({"ImageId": "ami-0feed000000000000", "Name": "new", "Public": true,
        "ImdsSupport": "v2.0", "DeprecationTime": "2027-01-01T00:00:00Z", "PlatformDetails": "Linux/UNIX"}));
    let changed = write(
        dir.path(),
        "changed.json",
        &serde_json::to_string_pretty(&export).expect("json"),
    );
    let (code, out, _) = run(&[
        "scan",
        &changed,
        "--now",
        NOW,
        "--format",
        "json",
        "--no-config",
        "--baseline",
        before.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "the new public image fails the gate");
    let doc = json(&out);
    let new: Vec<&str> = doc["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .filter_map(|f| f["image_id"].as_str())
        .collect();
    assert!(
        !new.is_empty() && new.iter().all(|id| *id == "ami-0feed000000000000"),
        "{new:?}"
    );
    let absent = doc["summary"]["baseline"]["absent"]
        .as_u64()
        .expect("absent");
    assert!(
        absent > 0,
        "the removed image {}'s findings are absent",
        removed["ImageId"]
    );
    let (_, text, _) = run(&[
        "scan",
        &changed,
        "--now",
        NOW,
        "--no-config",
        "--baseline",
        before.to_str().expect("utf-8"),
    ]);
    assert!(
        text.contains(&format!("Baseline: {} new, ", new.len())),
        "{text}"
    );
    // SARIF carries baselineState.
    let (_, sarif, _) = run(&[
        "scan",
        &changed,
        "--now",
        NOW,
        "--format",
        "sarif",
        "--no-config",
        "--baseline",
        before.to_str().expect("utf-8"),
    ]);
    let sarif = json(&sarif);
    let states: BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("r")
        .iter()
        .filter_map(|r| r["baselineState"].as_str())
        .collect();
    assert_eq!(states, BTreeSet::from(["new", "unchanged"]));

    let not_report = write(dir.path(), "x.json", "{\"Images\": []}");
    let (code, _, err) = run(&["scan", EXAMPLE, "--baseline", &not_report]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not an amilint JSON report or SARIF log"),
        "{err}"
    );
}

#[test]
fn the_guides_config_example_is_valid() {
    let readme = std::fs::read_to_string("docs/configuration.md").expect("the guide's page");
    let section = readme
        .split("# Configuration (`amilint.toml`)")
        .nth(1)
        .expect("a Configuration section");
    let block = section
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml example");
    // Written beside the README, so that `policies = ["policies/"]` resolves.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/readme-example.toml");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    std::fs::write(&path, block.replace("\"policies/\"", "\"../policies/\"")).expect("write");
    let (code, out, err) = run(&["config", "check", "--config", path.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("ok (1 scope(s), 1 waiver(s), 6 policy(ies))"),
        "{out}"
    );
}

#[test]
fn an_active_waiver_wins_over_an_expired_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write(
        dir.path(),
        "two.toml",
        "[[waivers]]\nrules = [\"AMI006\"]\nimages = [\"ami-0d4c3b2a190817263\"]\nreason = \"old\"\nexpires = \"2020-01-01\"\n\n\
         [[waivers]]\nrules = [\"AMI006\"]\nimages = [\"name:Windows_*\"]\nreason = \"renewed\"\nexpires = \"2099-01-01\"\n",
    );
    let (_, doc) = scan_json(&["--config", &config, "--all-owners", "--select", "AMI006"]);
    let windows = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["image_id"] == "ami-0d4c3b2a190817263")
        .expect("finding");
    assert_eq!(
        windows["suppression"]["justification"],
        "renewed (waiver until 2099-01-01)"
    );
    assert!(
        doc["warnings"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("waiver expired on 2020-01-01"))
    );
}

/// Real reports (findings, suppressions, baseline, warnings, policy errors)
/// validate against the committed JSON Schema (Python's jsonschema, from the
/// test venv that scripts/test.sh installs).
#[test]
fn json_reports_match_the_committed_schema() {
    crate::common::externals::needs!(Venv);
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/.venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/test.sh: it installs the test venv"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline.json");
    let (_, out, _) = run(&[
        "scan",
        "fixtures/formats/mixed.json",
        "--format",
        "json",
        "--no-config",
    ]);
    std::fs::write(&baseline, &out).expect("write");
    let mut reports = vec![out];
    for extra in [
        vec![
            "--config",
            GATE,
            "--baseline",
            baseline.to_str().expect("utf-8"),
        ],
        vec![
            "--no-config",
            "--policy",
            "fixtures/policies/runtime-error.rhai",
            "--select",
            "ALL",
        ],
    ] {
        let mut args = vec!["scan", EXAMPLE, "--now", NOW, "--format", "json"];
        args.extend(extra);
        reports.push(run(&args).1);
    }
    // A merge of two shards' reports too.
    let second = dir.path().join("second.json");
    std::fs::write(&second, &reports[2]).expect("write");
    reports.push(
        run(&[
            "merge",
            baseline.to_str().expect("utf-8"),
            second.to_str().expect("utf-8"),
        ])
        .1,
    );
    for (i, report) in reports.iter().enumerate() {
        let path = dir.path().join(format!("report-{i}.json"));
        std::fs::write(&path, report).expect("write");
        let check = std::process::Command::new(&python)
            .args([
                "-c",
                "import json, sys, jsonschema\n\
                 schema = json.load(open(sys.argv[1]))\n\
                 jsonschema.Draft202012Validator.check_schema(schema)\n\
                 jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))",
                concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json"),
                path.to_str().expect("utf-8"),
            ])
            .output()
            .expect("python runs");
        assert!(
            check.status.success(),
            "report {i}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

/// A rule owns its options: its own type reads its table (unknown keys and bad
/// values are errors at their line and column), configuring a rule switches
/// it on, and the flags that set options win over the file.
#[test]
fn issue_17_rule_options_are_the_rules_own_typed_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "[rules.AMI008]\nmax_age = 30\n",
            ":2:1: `rules.AMI008.max_age`: unknown field `max_age`, expected `max_age_days`",
        ),
        (
            "[rules.AMI008]\nmax_age_days = -1\n",
            ":2:16: `rules.AMI008.max_age_days`: must not be negative",
        ),
        (
            "[rules.AMI008]\nmax_age_days = \"a year\"\n",
            ":2:16: `rules.AMI008.max_age_days`: invalid type: string \"a year\", expected i64",
        ),
        (
            "[rules.AMI012]\nallowed_accounts = [\"123\"]\n",
            ":2:20: `rules.AMI012.allowed_accounts`: `123` is not a 12-digit AWS account id",
        ),
        (
            "[rules.AMI008]\nallowed_kms_keys = [\"*\"]\n",
            ":2:1: `rules.AMI008.allowed_kms_keys`: `allowed_kms_keys` is an option of AMI018, not of AMI008",
        ),
    ];
    for (i, (text, want)) in cases.iter().enumerate() {
        let path = write(dir.path(), &format!("c{i}.toml"), text);
        let (code, out, err) = run(&["scan", EXAMPLE, "--config", &path]);
        assert_eq!(code, 2, "{text}: {err}");
        assert!(out.is_empty(), "{text}");
        assert!(
            err.contains(&format!("{path}{want}")),
            "{text}: want {want} in {err}"
        );
    }

    // Configured ⇒ on: AMI013 is off by default; its options switch it on.
    let config = write(
        dir.path(),
        "on.toml",
        "[rules.AMI013]\nmax_unused_days = 30\n",
    );
    let (_, doc) = scan_json(&["--config", &config]);
    assert!(rule_ids(&doc).contains("AMI013"), "{doc}");
    let (_, doc) = scan_json(&["--no-config"]);
    assert!(!rule_ids(&doc).contains("AMI013"));

    // The flag wins over the file: a limit no image reaches, then one all do.
    let config = write(dir.path(), "age.toml", "[rules.AMI008]\nmax_age_days = 1\n");
    let (_, doc) = scan_json(&["--config", &config]);
    let flagged = |doc: &Value| {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule_id"] == "AMI008")
            .count()
    };
    assert!(flagged(&doc) > 0);
    let (_, doc) = scan_json(&["--config", &config, "--max-age-days", "100000"]);
    assert_eq!(flagged(&doc), 0);

    // A flag's bad value names the flag.
    let (code, _, err) = run(&["scan", EXAMPLE, "--allow-account", "12"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--allow-account: `12` is not a 12-digit AWS account id"),
        "{err}"
    );
}

/// Issue 22: rule selection says what it does. `--extend-select` and
/// `extend_select` add to the default rules; `disable = false` turns a rule
/// on (it was accepted and did nothing); naming a rule that checks nothing
/// without its options, without them, is an error instead of a green gate;
/// `rules` and `explain` show the policies the nearest amilint.toml names.
#[test]
fn issue_22_rule_selection_extends_enables_and_refuses_inert_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ran = |doc: &Value| -> BTreeSet<String> {
        doc["scan"]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r.as_str().map(str::to_string))
            .collect()
    };
    let (_, doc) = scan_json(&["--no-config", "--extend-select", "AMI014,AMI016"]);
    let rules = ran(&doc);
    assert!(
        rules.contains("AMI014") && rules.contains("AMI016") && rules.contains("AMI001"),
        "{rules:?}"
    );
    let config = write(
        dir.path(),
        "on.toml",
        "extend_select = [\"AMI016\"]\n\n[rules.AMI014]\ndisable = false\n",
    );
    let (_, doc) = scan_json(&["--config", &config]);
    let rules = ran(&doc);
    assert!(
        rules.contains("AMI014") && rules.contains("AMI016") && rules.contains("AMI001"),
        "{rules:?}"
    );
    let (_, doc) = scan_json(&["--config", &config, "--select", "AMI001"]);
    assert_eq!(
        ran(&doc),
        BTreeSet::from([
            "AMI001".to_string(),
            "AMI014".to_string(),
            "AMI016".to_string()
        ])
    );

    for args in [
        vec!["--no-config", "--select", "AMI017"],
        vec!["--no-config", "--extend-select", "naming-convention"],
    ] {
        let mut all = vec!["scan", EXAMPLE];
        all.extend(args);
        let (code, _, err) = run(&all);
        assert_eq!(code, 2);
        assert!(
            err.contains("AMI017 (naming-convention) checks nothing without its options"),
            "{err}"
        );
    }
    let config = write(
        dir.path(),
        "named.toml",
        "[rules.AMI017]\npattern = \"^[a-z]+-[0-9-]+$\"\n",
    );
    let (code, _, err) = run(&[
        "scan",
        EXAMPLE,
        "--config",
        &config,
        "--select",
        "AMI017",
        "--all-owners",
    ]);
    assert_eq!(code, 1, "with its options it runs: {err}");

    // A config's policies are in the catalogue, as a scan here would run them.
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    std::fs::write(
        dir.path().join("amilint.toml"),
        format!("policies = [{:?}]\n", policies.display().to_string()),
    )
    .expect("write");
    let out = common::amilint()
        .arg("rules")
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        listing.contains(".rhai)"),
        "the config's policies are listed: {listing}"
    );
}

/// Issue 22: which amilint.toml was read (found in a parent folder) is said
/// with `-v` and in the JSON report's `scan.config`.
#[test]
fn issue_22_the_config_read_is_said() {
    let dir = tempfile::tempdir().expect("temp dir");
    let deep = dir.path().join("a/b");
    std::fs::create_dir_all(&deep).expect("mkdir");
    std::fs::write(dir.path().join("amilint.toml"), "fail_on = \"never\"\n").expect("write");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE);
    let out = amilint()
        .args(["scan", "-v", "--format", "json"])
        .arg(&example)
        .current_dir(&deep)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "fail_on never from the parent's file"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("amilint: config: ") && err.contains("amilint.toml"),
        "{err}"
    );
    let doc = json(&String::from_utf8_lossy(&out.stdout));
    assert!(
        doc["scan"]["config"]
            .as_str()
            .is_some_and(|c| c.ends_with("amilint.toml"))
    );
    let (_, doc) = scan_json(&["--no-config"]);
    assert!(doc["scan"]["config"].is_null());
}
