//! Rhai policies: the shipped examples, the contract, load and runtime
//! errors, and the sandbox.

use crate::common;

use std::collections::BTreeSet;

use common::{amilint, finding_keys, run};
use serde_json::Value;

use crate::common::EXAMPLE;
use crate::common::NOW;

fn json(text: &str) -> Value {
    common::json(text, "")
}

/// Scans the example with only the given policies' rules selected.
fn scan_policy(policy: &str, select: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        "scan", EXAMPLE, "--now", NOW, "--format", "json", "--policy", policy, "--select", select,
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    (code, json(&out), err)
}

#[test]
fn shipped_policies_pass_their_tests() {
    let (code, out, err) = run(&["policy", "test", "policies"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("FAIL"), "{out}");
    let scripts: BTreeSet<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("PASS  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        scripts.len() >= 6,
        "six example policies, each tested: {scripts:?}"
    );
    let closing = out.lines().last().expect("a summary line");
    assert!(closing.ends_with("passed, 0 failed"), "{closing}");
}

#[test]
fn helpers_behave_as_documented() {
    let (code, out, err) = run(&["policy", "test", "fixtures/policies/testing/helpers"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 passed, 0 failed"), "{out}");
}

#[test]
fn policy_test_reports_failures_and_load_errors() {
    let (code, out, _) = run(&["policy", "test", "fixtures/policies/testing/fails"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  fixtures/policies/testing/fails/wrong.rhai TEST200: wrong expectation"),
        "{out}"
    );
    assert!(
        out.contains(r#"expected no finding, got ["found ami-2"]"#),
        "{out}"
    );
    assert!(
        out.contains("no test file: add fixtures/policies/testing/fails/untested.tests.json"),
        "{out}"
    );
    assert!(
        out.contains("PASS  fixtures/policies/testing/fails/wrong.rhai TEST200: right message"),
        "{out}"
    );
    assert!(out.ends_with("2 passed, 2 failed\n"), "{out}");

    let (code, out, err) = run(&["policy", "test", "fixtures/policies/testing/broken"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("fixtures/policies/testing/broken/broken.tests.json:3:1: trailing comma"),
        "{err}"
    );

    let (code, _, err) = run(&["policy", "test", "fixtures/policies/bad/syntax.rhai"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("fixtures/policies/bad/syntax.rhai:3:13: syntax error"),
        "{err}"
    );
}

#[test]
fn policy_findings_look_like_builtin_findings() {
    let (code, doc, err) = scan_policy("policies", "ALL", &["--fail-on", "never"]);
    assert_eq!(code, 0, "{err}");
    let findings = doc["findings"].as_array().expect("findings");
    let builtin = findings
        .iter()
        .find(|f| f["rule_id"] == "AMI006")
        .expect("a built-in finding");
    let owners = findings
        .iter()
        .find(|f| f["rule_id"] == "ORG002" && f["image_id"] == "ami-0f0e0d0c0b0a09080")
        .expect("approved-owners flags the Marketplace image");
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object().expect("object").keys().cloned().collect()
    };
    assert_eq!(keys(builtin), keys(owners), "same shape");
    assert_eq!(keys(&builtin["location"]), keys(&owners["location"]));
    assert_eq!(owners["rule_name"], "unapproved-image-owner");
    assert_eq!(owners["severity"], "critical");
    assert_eq!(owners["location"]["pointer"], "/OwnerId");
    assert!(
        owners["location"]["field_line"].as_u64().is_some(),
        "the pointer gives a line"
    );
    assert_eq!(owners["fingerprint"].as_str().map(str::len), Some(32));
    let scanned: Vec<&str> = doc["scan"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for id in ["ORG001", "ORG002", "ORG003", "ORG004", "ORG005", "ORG006"] {
        assert!(scanned.contains(&id), "{id} ran: {scanned:?}");
    }
    assert!(doc["summary"]["by_rule"]["ORG003"].as_u64() > Some(0));
}

#[test]
fn a_finding_may_set_its_severity_and_cli_overrides_win() {
    let (code, doc, err) = scan_policy("fixtures/policies/runtime-error.rhai", "TEST001", &[]);
    assert_eq!(code, 2, "{err}");
    let sev: BTreeSet<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["severity"].as_str())
        .collect();
    assert_eq!(
        sev,
        BTreeSet::from(["critical"]),
        "the script's per-finding severity"
    );

    let (_, doc, _) = scan_policy(
        "fixtures/policies/runtime-error.rhai",
        "TEST001",
        &["--severity", "TEST001=low"],
    );
    assert!(
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["severity"] == "low")
    );
}

#[test]
fn select_and_ignore_accept_policy_ids_and_names() {
    let (_, doc, _) = scan_policy("policies", "ORG003,unapproved-image-owner", &[]);
    let rules: BTreeSet<String> = finding_keys(&doc.to_string())
        .into_iter()
        .map(|k| k.1)
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from(["ORG002".to_string(), "ORG003".to_string()])
    );

    let (_, out, _) = run(&[
        "scan", EXAMPLE, "--now", NOW, "--format", "json", "--policy", "policies", "--ignore",
        "ORG003",
    ]);
    let rules: BTreeSet<String> = finding_keys(&out).into_iter().map(|k| k.1).collect();
    assert!(
        !rules.contains("ORG003") && rules.contains("ORG002") && rules.contains("AMI006"),
        "{rules:?}"
    );

    let (code, _, err) = run(&["scan", EXAMPLE, "--select", "ORG003"]);
    assert_eq!(code, 2, "without --policy the id is unknown");
    assert!(err.contains("unknown rule `ORG003`"), "{err}");
}

#[test]
fn rules_and_explain_show_policies() {
    let (code, out, _) = run(&["rules", "--policy", "policies"]);
    assert_eq!(code, 0);
    assert!(out.contains("AMI003"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("ORG004") && l.ends_with("(policies/kms-key-allowlist.rhai)")),
        "{out}"
    );

    let (code, out, _) = run(&[
        "rules",
        "--format",
        "json",
        "--policy",
        "policies/naming-convention.rhai",
    ]);
    assert_eq!(code, 0);
    let list = json(&out);
    let org = list
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["code"] == "ORG003")
        .expect("listed");
    assert_eq!(org["script"], "policies/naming-convention.rhai");
    assert_eq!(org["severity"], "low");

    let (code, out, _) = run(&["explain", "ORG001", "--policy", "policies"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("# ORG001 prod-missing-required-tags\n"),
        "{out}"
    );
    assert!(
        out.contains("Policy defined in policies/prod-required-tags.rhai."),
        "{out}"
    );
    assert!(out.contains("**Fix:**"), "the help is shown: {out}");
}

#[test]
fn load_errors_stop_the_run_before_scanning() {
    let cases = [
        (
            "syntax.rhai",
            "fixtures/policies/bad/syntax.rhai:3:13: syntax error: Unexpected ';'",
        ),
        (
            "eval.rhai",
            "fixtures/policies/bad/eval.rhai:3:5: syntax error: reserved keyword 'eval' is disabled",
        ),
        (
            "import.rhai",
            "fixtures/policies/bad/import.rhai:1:1: syntax error",
        ),
        (
            "undefined-variable.rhai",
            "fixtures/policies/bad/undefined-variable.rhai:3:5: syntax error: Undefined variable: imgae",
        ),
        ("ami-prefix.rhai", "uses the `AMI` prefix"),
        ("bad-severity.rhai", "unknown severity `urgent`"),
        ("unknown-key.rhai", "unknown field `sevrity`"),
        ("no-summary.rhai", "missing field `summary`"),
        ("no-check.rhai", "a policy must define `fn check(image)`"),
        ("bad-name.rhai", "name `Bad_Name` must be kebab-case"),
        (
            "name-clash.rhai",
            "name `unencrypted-ebs-mapping` is already used by built-in rule AMI003",
        ),
        (
            "meta-loops.rhai",
            "meta() failed: exceeded the operations budget",
        ),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("out.json");
    let spec = format!("json={}", report.display());
    for (file, want) in cases {
        let path = format!("fixtures/policies/bad/{file}");
        let (code, out, err) = run(&["scan", EXAMPLE, "--policy", &path, "-o", &spec]);
        assert_eq!(code, 2, "{file}: {err}");
        assert!(out.is_empty(), "{file}: no report on stdout");
        assert!(!report.exists(), "{file}: no report file");
        assert!(err.starts_with("error: "), "{file}: {err}");
        assert!(err.contains(want), "{file}: want `{want}` in {err}");
        if !want.starts_with("fixtures/") {
            assert!(err.contains(&path), "{file}: names the script: {err}");
        }
    }
}

#[test]
fn an_empty_policy_folder_is_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, out, err) = run(&[
        "scan",
        EXAMPLE,
        "--policy",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("no *.rhai policy in this folder"), "{err}");
}

#[test]
fn duplicate_ids_across_scripts_are_a_load_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string("policies/naming-convention.rhai").expect("policy");
    std::fs::write(dir.path().join("a.rhai"), &text).expect("write");
    std::fs::write(
        dir.path().join("b.rhai"),
        text.replace("image-name-off-convention", "other-name"),
    )
    .expect("write");
    let (code, _, err) = run(&[
        "scan",
        EXAMPLE,
        "--policy",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("b.rhai: meta(): id `ORG003` is already used by the policy in"),
        "{err}"
    );
    assert!(err.contains("a.rhai"), "{err}");
}

#[test]
fn a_runtime_error_is_reported_in_every_format_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sarif_path = dir.path().join("out.sarif");
    let sarif_spec = format!("sarif={}", sarif_path.display());
    let (code, doc, _) = scan_policy(
        "fixtures/policies/runtime-error.rhai",
        "TEST001,AMI006",
        &["-o", &sarif_spec],
    );
    assert_eq!(code, 2, "a policy error makes the exit code 2");
    let errors = doc["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(e["kind"], "policy");
    assert_eq!(e["rule_id"], "TEST001");
    assert_eq!(e["image_id"], "ami-0d4c3b2a190817263");
    assert_eq!(e["script"], "fixtures/policies/runtime-error.rhai");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(8), Some(9))
    );
    assert_eq!(e["message"], "cannot judge Windows images");
    // The other images were still checked, by the policy and the built-ins.
    let keys = finding_keys(&doc.to_string());
    assert_eq!(
        keys.iter().filter(|k| k.1 == "TEST001").count(),
        5,
        "{keys:?}"
    );
    assert!(keys.iter().any(|k| k.1 == "AMI006"));

    let sarif = json(&std::fs::read_to_string(&sarif_path).expect("sarif written"));
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "error");
    assert_eq!(note["associatedRule"]["id"], "TEST001");
    assert_eq!(note["properties"]["imageId"], "ami-0d4c3b2a190817263");
    let region = &note["locations"][0]["physicalLocation"];
    assert_eq!(
        region["artifactLocation"]["uri"],
        "fixtures/policies/runtime-error.rhai"
    );
    assert_eq!(region["region"]["startLine"], 8);
    let rule = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "TEST001")
        .expect("the policy's descriptor");
    assert_eq!(rule["name"], "fails-on-windows");
    assert_eq!(
        rule["shortDescription"]["text"],
        "Test policy: throws on Windows images"
    );
    assert_eq!(rule["help"]["markdown"], "Used by tests/policies.rs.");

    let (code, out, _) = run(&[
        "scan",
        EXAMPLE,
        "--now",
        NOW,
        "--policy",
        "fixtures/policies/runtime-error.rhai",
        "--select",
        "TEST001",
    ]);
    assert_eq!(code, 2);
    assert!(out.contains(
        "error: fixtures/policies/runtime-error.rhai:8:9: TEST001 on ami-0d4c3b2a190817263: cannot judge Windows images"
    ), "{out}");
}

#[test]
fn a_policy_failing_everywhere_is_listed_a_hundred_times_then_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("many.json");
    let images: Vec<Value> = (0..150)
        .map(|i| serde_json::json!({"ImageId": format!("ami-{i:017x}"), "Platform": "windows"}))
        .collect();
    std::fs::write(&input, serde_json::json!({ "Images": images }).to_string()).expect("write");
    let (code, out, _) = run(&[
        "scan",
        input.to_str().expect("utf-8"),
        "--format",
        "json",
        "--policy",
        "fixtures/policies/runtime-error.rhai",
        "--select",
        "TEST001",
    ]);
    assert_eq!(code, 2);
    let doc = json(&out);
    let errors = doc["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 101);
    assert_eq!(
        errors[0]["image_id"], "ami-00000000000000000",
        "input order"
    );
    assert_eq!(
        errors[100]["message"],
        "failed on 150 images in all; only the first 100 are listed"
    );
}

#[test]
fn each_policy_gets_its_own_copy_of_the_image() {
    // mutates.rhai runs first (policies run in the order they are given).
    let (code, doc, err) = scan_policy(
        "fixtures/policies/mutates.rhai",
        "TEST002,TEST003",
        &["--policy", "fixtures/policies/reads-image.rhai"],
    );
    assert_eq!(code, 0, "info findings do not fail the default gate: {err}");
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"sees ami-0a1b2c3d4e5f60718 with 3 tags"),
        "{messages:?}"
    );
    assert!(
        !messages.iter().any(|m| m.contains("ami-changed")),
        "{messages:?}"
    );
}

#[test]
fn the_sandbox_stops_hostile_policies() {
    let cases = [
        (
            "loop.rhai",
            "TEST005",
            vec![],
            "exceeded the operations budget of 1000000",
        ),
        (
            "slow.rhai",
            "TEST006",
            vec![
                "--policy-max-operations",
                "100000000000",
                "--policy-timeout-ms",
                "50",
            ],
            "exceeded the wall-clock limit of 50 ms",
        ),
        (
            "string-bomb.rhai",
            "TEST007",
            vec![],
            "Length of string too large",
        ),
        (
            "array-bomb.rhai",
            "TEST008",
            vec![],
            "Size of array/BLOB too large",
        ),
        (
            "recursion.rhai",
            "TEST009",
            vec![],
            "exceeded the call depth of 32",
        ),
        (
            "bad-return.rhai",
            "TEST010",
            vec![],
            "check() returned i64 where a finding was expected",
        ),
        (
            "bad-pointer.rhai",
            "TEST011",
            vec![],
            "`Name` is not a JSON pointer",
        ),
        // Issue 15: limits that a native swallowed, what a call returns, and
        // patterns that cost time, memory or a panic to build.
        (
            "sort-loop.rhai",
            "TEST012",
            vec![],
            "exceeded the operations budget of 1000000",
        ),
        (
            "findings-flood.rhai",
            "TEST013",
            vec![],
            "check() returned 99999 findings for one image (at most 100)",
        ),
        ("regex-flood.rhai", "TEST014", vec![], "invalid regex"),
        (
            "glob-bomb.rhai",
            "TEST015",
            vec![],
            "nests braces more than 8 deep",
        ),
    ];
    for (file, id, extra, want) in cases {
        let path = format!("fixtures/policies/sandbox/{file}");
        let (code, doc, err) = scan_policy(&path, id, &extra);
        assert_eq!(code, 2, "{file}: {err}");
        let errors = doc["errors"].as_array().expect("errors");
        assert_eq!(
            errors.len(),
            6,
            "{file}: one error per linted image: {errors:?}"
        );
        for e in errors {
            let message = e["message"].as_str().expect("message");
            assert!(
                message.contains(want),
                "{file}: want `{want}`, got `{message}`"
            );
            assert_eq!(e["script"], path.as_str());
        }
    }
}

#[test]
fn print_and_debug_go_to_stderr_with_the_policy_name() {
    let (code, doc, err) = scan_policy("fixtures/policies/sandbox/prints.rhai", "TEST004", &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        doc["summary"]["findings"], 0,
        "stdout is still a clean report"
    );
    assert!(
        err.contains(
            "[policy fixtures/policies/sandbox/prints.rhai] hello from ami-0a1b2c3d4e5f60718"
        ),
        "{err}"
    );
    assert!(
        err.contains("[policy fixtures/policies/sandbox/prints.rhai:2] \"dbg\""),
        "{err}"
    );
}

#[test]
fn policies_see_the_image_as_exported() {
    // Unknown fields (e.g. a live scan's attributes) reach policies under their own keys.
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("one.json");
    std::fs::write(
        &input,
        r#"{"Images": [{"ImageId": "ami-1", "LaunchPermissions": [{"UserId": "123"}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": true}}]}]}"#,
    )
    .expect("write");
    let policy = dir.path().join("shape.rhai");
    std::fs::write(
        &policy,
        r#"fn meta() { #{ id: "T1", name: "shape", severity: "low", summary: "s" } }
fn check(image) {
    `${image.LaunchPermissions[0].UserId} ${image.BlockDeviceMappings[0].Ebs.Encrypted} ${type_of(image.Description)}`
}"#,
    )
    .expect("write");
    let (code, out, err) = run(&[
        "scan",
        input.to_str().expect("utf-8"),
        "--format",
        "json",
        "--select",
        "T1",
        "--policy",
        policy.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(json(&out)["findings"][0]["message"], "123 true ()");
}

#[test]
fn amilint_binary_has_policy_help() {
    let out = amilint()
        .args(["policy", "test", "--help"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("NAME.tests.json"));
}

#[test]
fn scripts_that_would_be_slow_to_compile_are_refused_fast() {
    let dir = tempfile::tempdir().expect("temp dir");
    let meta = r#"fn meta() { #{ id: "T9", name: "big", severity: "low", summary: "s" } }
fn check(image) { }
"#;
    // 400 KB of statements: over the size limit, refused before parsing.
    let big = dir.path().join("big.rhai");
    std::fs::write(
        &big,
        format!(
            "{meta}{}",
            "fn f() { let x = 1 + 2 * 3; x }\n".repeat(13_000)
        ),
    )
    .expect("write");
    // 20,000 nested parentheses: the parser's depth limit stops it.
    let deep = dir.path().join("deep.rhai");
    std::fs::write(
        &deep,
        format!(
            "{meta}fn g() {{ {}1{} }}\n",
            "(".repeat(20_000),
            ")".repeat(20_000)
        ),
    )
    .expect("write");
    for (path, want) in [
        (&big, "a policy may have at most 262144"),
        (&deep, "syntax error"),
    ] {
        let started = std::time::Instant::now();
        let (code, out, err) = run(&["scan", EXAMPLE, "--policy", path.to_str().expect("utf-8")]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{}",
            path.display()
        );
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.contains(want), "{err}");
    }
}

/// Issue 22: `amilint policy new` writes a working policy and its tests
/// (top-level `const`, `days_until`, a test asserting message, pointer and
/// severity) that `policy test` passes and a scan runs; it never replaces a
/// file; a test that expects another severity or pointer fails and says so.
#[test]
fn issue_22_policy_new_scaffolds_a_policy_that_passes_its_tests() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run_in = |args: &[&str]| {
        let out = common::amilint()
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run_in(&["policy", "new", "deprecation-too-soon", "--id", "ORG042"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("wrote policies/deprecation-too-soon.rhai"),
        "{out}"
    );
    let (code, out, err) = run_in(&["policy", "test", "policies"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 passed, 0 failed"), "{out}");

    // The scaffold runs in a scan: an image deprecated in 5 days.
    std::fs::write(
        dir.path().join("images.json"),
        r#"{"Images": [{"ImageId": "ami-0123", "Name": "soon", "DeprecationTime": "2026-06-06T00:00:00.000Z"}]}"#,
    )
    .expect("write");
    let (code, out, _) = run_in(&[
        "scan",
        "images.json",
        "--policy",
        "policies",
        "--select",
        "ORG042",
        "--now",
        "2026-06-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        doc["findings"][0]["message"],
        "deprecated in 5 days (at 2026-06-06T00:00:00.000Z)"
    );
    assert_eq!(
        doc["findings"][0]["location"]["pointer"],
        "/DeprecationTime"
    );

    let (code, _, err) = run_in(&["policy", "new", "deprecation-too-soon"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("exists: amilint policy new never replaces a file"),
        "{err}"
    );
    let (code, _, err) = run_in(&["policy", "new", "Bad_Name"]);
    assert_eq!(code, 2);
    assert!(err.contains("must be kebab-case"), "{err}");

    let tests = dir.path().join("policies/deprecation-too-soon.tests.json");
    let text = std::fs::read_to_string(&tests).expect("tests");
    std::fs::write(
        &tests,
        text.replace("\"severity\": \"medium\"", "\"severity\": \"high\""),
    )
    .expect("write");
    let (code, out, _) = run_in(&["policy", "test", "policies"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("at /DeprecationTime (high)\"], got [") && out.contains("(medium)"),
        "{out}"
    );
}

/// Issue 23: a policy maps itself to controls in `meta()`: shown by explain
/// and `rules --framework`, judged by `--benchmark`; an unknown framework is
/// a load error.
#[test]
fn issue_23_a_policy_declares_its_controls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("owner-tag.rhai");
    std::fs::write(
        &script,
        r#"fn meta() { #{ id: "ORG077", name: "no-owner-tag", severity: "low", summary: "Image has no Owner tag",
  compliance: [#{ framework: "cis-compute-v1.0.0", control: "2.4", title: "Ensure an Organizational EC2 Tag Policy has been created", source: "the team's reading of CIS Compute 2.4" }] } }
fn check(image) { if !has_tag(image, "Owner") { return "no Owner tag"; } }
"#,
    )
    .expect("write");
    let policy = script.to_str().expect("utf-8");
    let (code, out, _) = run(&["explain", "ORG077", "--policy", policy]);
    assert_eq!(code, 0);
    assert!(out.contains("**2.4** Ensure an Organizational EC2 Tag Policy has been created — mapping: the team's reading"), "{out}");
    let (_, out, _) = run(&["rules", "--framework", "cis-compute", "--policy", policy]);
    assert!(out.contains("2.4  Ensure an Organizational EC2 Tag Policy has been created\n    ORG077  no-owner-tag"), "{out}");
    let (_, out, err) = run(&[
        "scan",
        "fixtures/examples/describe-images.json",
        "--no-config",
        "--policy",
        policy,
        "--benchmark",
        "cis-compute-v1",
        "--extend-select",
        "ORG077",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let control = doc["summary"]["benchmark"]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["control"] == "2.4")
        .cloned()
        .expect("2.4 judged");
    assert_eq!(control["status"], "failed");
    assert_eq!(control["rules"], serde_json::json!(["ORG077"]));

    std::fs::write(
        &script,
        std::fs::read_to_string(&script)
            .expect("read")
            .replace("cis-compute-v1.0.0", "iso-27001"),
    )
    .expect("write");
    let (code, _, err) = run(&["explain", "ORG077", "--policy", policy]);
    assert_eq!(code, 2);
    assert!(
        err.contains("compliance: unknown framework `iso-27001`"),
        "{err}"
    );
}
