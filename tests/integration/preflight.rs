//! `amilint preflight`: RegisterImage / CreateImage request documents.

use crate::common;

use serde_json::Value;

fn preflight(args: &[&str]) -> (i32, String, String) {
    let out = common::amilint()
        .arg("preflight")
        .args(["--no-config", "--now", common::NOW])
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

/// (rule, pointer, field line) of each finding of a JSON report (its text).
fn findings(json: &str) -> Vec<(String, String, Option<u64>)> {
    let fields = ["/rule_id", "/location/pointer", "/location/field_line"];
    common::findings(&common::json(json, ""), fields)
        .into_iter()
        .map(|[rule, pointer, line]| (rule, pointer, line.parse().ok()))
        .collect()
}

#[test]
fn register_image_request_findings_point_at_their_lines() {
    let (code, out, err) =
        preflight(&["fixtures/requests/register-image.json", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        findings(&out),
        vec![
            ("AMI001".into(), "/ImdsSupport".into(), None),
            (
                "AMI003".into(),
                "/BlockDeviceMappings/1/Ebs/Encrypted".into(),
                None
            ),
            ("AMI101".into(), "/Name".into(), Some(2)),
            (
                "AMI102".into(),
                "/BlockDeviceMappings/0/Ebs/Encrypted".into(),
                Some(14)
            ),
            (
                "AMI104".into(),
                "/BlockDeviceMappings/1/Ebs/Iops".into(),
                None
            ),
        ]
    );
}

#[test]
fn the_kind_comes_from_the_content_or_the_flag() {
    // InstanceId: a CreateImage request, so NoReboot counts.
    let (code, out, _) = preflight(&["fixtures/requests/create-image.json", "--format", "json"]);
    assert_eq!(code, 1);
    let rules: Vec<String> = findings(&out).into_iter().map(|f| f.0).collect();
    assert_eq!(rules, ["AMI001", "AMI106", "AMI103"]);
    let (_, out, _) = preflight(&[
        "fixtures/requests/create-image.json",
        "--kind",
        "register",
        "--format",
        "json",
    ]);
    let rules: Vec<String> = findings(&out).into_iter().map(|f| f.0).collect();
    assert_eq!(rules, ["AMI001", "AMI106"]);
}

#[test]
fn a_good_request_passes_and_its_image_tags_count() {
    let (code, out, err) = preflight(&["fixtures/requests/good-register-image.json"]);
    assert_eq!(code, 0, "{out}{err}");
    // AMI007 sees the tags of `ResourceType: image`.
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("amilint.toml");
    std::fs::write(
        &config,
        "[rules.AMI007]\nrequired_tags = [\"Owner\", \"CostCenter\"]\n",
    )
    .expect("write");
    let out = common::amilint()
        .args([
            "preflight",
            "fixtures/requests/good-register-image.json",
            "--format",
            "json",
        ])
        .arg("--config")
        .arg(&config)
        .output()
        .expect("runs");
    let json = String::from_utf8(out.stdout).expect("utf-8");
    let doc: Value = serde_json::from_str(&json).expect("JSON");
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("CostCenter") && !messages[0].contains("Owner,"),
        "{messages:?}"
    );
}

#[test]
fn rules_stay_on_their_side() {
    let (code, _, err) = preflight(&[
        "fixtures/requests/register-image.json",
        "--select",
        "AMI002",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("AMI002") && err.contains("amilint scan"),
        "{err}"
    );
    let out = common::amilint()
        .args([
            "scan",
            "fixtures/formats/mixed.json",
            "--no-config",
            "--select",
            "AMI104",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("amilint preflight"));
    // `--select ALL` on a scan runs image rules only.
    let out = common::amilint()
        .args([
            "scan",
            "fixtures/formats/mixed.json",
            "--no-config",
            "--select",
            "ALL",
        ])
        .args(["--now", common::NOW, "--format", "json"])
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rules = doc["scan"]["rules"].as_array().expect("rules");
    assert!(
        rules
            .iter()
            .all(|r| !r.as_str().unwrap_or_default().starts_with("AMI1"))
    );
    let (code, _, err) = preflight(&["--aws"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn a_broken_request_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("register-image.json");
    std::fs::write(
        &file,
        "{\n  \"Name\": \"web\",\n  \"BlockDeviceMappings\": {}\n}\n",
    )
    .expect("write");
    let (code, out, err) = preflight(&[file.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("register-image.json:3:"), "{err}");
}

#[test]
fn the_pre_commit_hook_runs_preflight() {
    let hooks = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .expect("hooks file");
    let entry = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("entry: "))
        .expect("an entry");
    let mut words = entry.split_whitespace();
    assert_eq!(words.next(), Some("amilint"));
    let args: Vec<&str> = words.collect();
    // pre-commit appends the matching files.
    let out = common::amilint()
        .args(&args)
        .args(["--no-config", "fixtures/requests/register-image.json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("AMI102"));
}

#[test]
fn arrays_of_requests_and_stdin() {
    // A non-object element is an error at its own position.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("requests.json");
    std::fs::write(&file, "[\n  {\"Name\": \"web-1\"},\n  7\n]\n").expect("write");
    let (code, out, err) = preflight(&[file.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("requests.json:3:3"), "{err}");
    // stdin, with the requests' positions in it.
    let out = common::amilint()
        .args(["preflight", "-", "--no-config", "--now", common::NOW, "--format", "json"])
        .write_stdin("[{\"Name\": \"a:b\"},\n {\"Name\": \"web-2\", \"NoReboot\": true, \"InstanceId\": \"i-1\"}]")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let found: Vec<(String, u64)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] != "AMI001")
        .map(|f| {
            (
                f["rule_id"].as_str().expect("rule").to_string(),
                f["location"]["line"].as_u64().expect("line"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("AMI101".to_string(), 1), ("AMI103".to_string(), 2)]
    );
    assert_eq!(doc["findings"][0]["location"]["uri"], "stdin");
}

/// Issue 16: members EC2 would refuse for their type are errors with a
/// position, not ignored with 0 findings.
#[test]
fn issue_16_wrong_typed_request_members_are_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text, want) in [
        (
            "tagspec-object.json",
            r#"{"InstanceId": "i-0abc", "Name": "web", "TagSpecifications": {"ResourceType": "image"}}"#,
            "expected a sequence",
        ),
        (
            "tags-string.json",
            r#"{"InstanceId": "i-0abc", "Name": "web", "TagSpecifications": [{"ResourceType": "image", "Tags": "x"}]}"#,
            "expected a sequence",
        ),
        (
            "noreboot-string.json",
            "[\n  {\"InstanceId\": \"i-0abc\", \"Name\": \"ok\"},\n  {\"InstanceId\": \"i-0abc\", \"Name\": \"web\", \"NoReboot\": \"yes\"}\n]",
            "expected a boolean",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        let (code, out, err) = preflight(&[path.to_str().expect("utf-8")]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains(want), "{name}: {err}");
        if name == "noreboot-string.json" {
            assert!(err.contains(&format!("{name}:3:")), "{name}: {err}");
        }
    }
}

/// Issue 16: each request of a large array is found at its own line (counted
/// once, forward: the count is no longer quadratic; BENCHMARKS.md has the
/// timing).
#[test]
fn issue_16_every_request_of_a_large_array_is_located() {
    let dir = tempfile::tempdir().expect("temp dir");
    let n = 5_000;
    let mut text = String::from("[\n");
    for i in 0..n {
        let sep = if i + 1 < n { "," } else { "" };
        text.push_str(&format!(
            "  {{\"InstanceId\": \"i-0abc\", \"Name\": \"web-{i}\",\n   \"NoReboot\": true}}{sep}\n"
        ));
    }
    text.push_str("]\n");
    let path = dir.path().join("many.json");
    std::fs::write(&path, &text).expect("write");
    let (code, out, err) = preflight(&[
        path.to_str().expect("utf-8"),
        "--format",
        "json",
        "--select",
        "AMI103",
    ]);
    assert_eq!(code, 1, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let lines: Vec<u64> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["location"]["line"].as_u64().expect("line"))
        .collect();
    let expected: Vec<u64> = (0..n as u64).map(|i| 2 + 2 * i).collect();
    assert_eq!(lines, expected);
}

/// Preflight runs through the scan engine: waivers are judged and counted
/// (a stale one is a warning), gzip and stdin read like any export, and the
/// report streams like a scan's.
#[test]
fn issue_17_preflight_goes_through_the_engine_waivers_gzip_and_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("amilint.toml");
    std::fs::write(
        &config,
        "[[waivers]]\nrules = [\"AMI101\"]\nimages = [\"name:web*\"]\nreason = \"renamed at build\"\nexpires = \"2099-01-01\"\n\
         [[waivers]]\nrules = [\"AMI104\"]\nimages = [\"name:nothing-*\"]\nreason = \"old\"\nexpires = \"2099-01-01\"\n",
    )
    .expect("write");
    let out = common::amilint()
        .args([
            "preflight",
            "--now",
            common::NOW,
            "--format",
            "json",
            "--config",
        ])
        .arg(&config)
        .arg("fixtures/requests/register-image.json")
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let waived: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "AMI101")
        .collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["suppression"]["kind"], "waiver");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stale waiver (\"old\""),
        "the unused waiver is reported: {err}"
    );
    assert_eq!(doc["warnings"].as_array().map(Vec::len), Some(1));

    // gzip, from stdin, gives the same findings as the plain file.
    let plain = std::fs::read("fixtures/requests/register-image.json").expect("read");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &plain).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let (_, from_file, _) =
        preflight(&["--format", "json", "fixtures/requests/register-image.json"]);
    let from_stdin = common::amilint()
        .args([
            "preflight",
            "--no-config",
            "--now",
            common::NOW,
            "--format",
            "json",
            "-",
        ])
        .write_stdin(gz)
        .output()
        .expect("runs");
    let strip = |v: &Value| findings(&v.to_string());
    let file_doc: Value = serde_json::from_str(&from_file).expect("json");
    let stdin_doc: Value = serde_json::from_slice(&from_stdin.stdout).expect("json");
    assert_eq!(strip(&file_doc), strip(&stdin_doc));
    assert!(!strip(&file_doc).is_empty());
}

/// Issue 22: preflight's help describes request files and leaves out what
/// only a scan reads (live flags, policies, snapshot and settings files,
/// owners); `--policy` is refused instead of ignored; a describe-images
/// export is refused instead of linted as one bogus request.
#[test]
fn issue_22_preflight_says_what_it_takes() {
    let (code, help, _) = common::run(&["preflight", "--help"]);
    assert_eq!(code, 0);
    assert!(
        help.contains("[REQUEST]...") && help.contains("register-image --generate-cli-skeleton"),
        "{help}"
    );
    for scan_only in [
        "--aws",
        "--region",
        "--policy",
        "--snapshots-file",
        "--settings-file",
        "--owner",
        "describe-images JSON exports",
    ] {
        assert!(!help.contains(scan_only), "{scan_only} in preflight --help");
    }
    let (code, _, err) = common::run(&[
        "preflight",
        "fixtures/requests/register-image.json",
        "--policy",
        "policies/",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--policy: policies lint images that exist, not requests"),
        "{err}"
    );
    let (code, _, err) = common::run(&["preflight", "fixtures/examples/describe-images.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("describe-images.json:1:1: a describe-images export"),
        "{err}"
    );
    assert!(err.contains("lint it with `amilint scan`"), "{err}");
}
