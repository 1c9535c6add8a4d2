//! The dashboard formats checked against their published models: ASFF against
//! the Security Hub API model botocore ships, OCSF against the OCSF 1.5.0
//! schema with every object closed (tests/schemas/compile_ocsf.py) and the
//! `py-ocsf-models` Compliance Finding (both installed by scripts/test.sh into
//! tests/live/.venv), on every rule fixture plus hostile text.

use crate::common;

use std::path::{Path, PathBuf};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn venv_python() -> PathBuf {
    let path = Path::new(ROOT).join("tests/live/.venv/bin/python");
    assert!(
        path.exists(),
        "{} is missing: run scripts/test.sh (it installs botocore and py-ocsf-models)",
        path.display()
    );
    path
}

/// Runs `tests/schemas/SCRIPT` on `report`; panics with its output on errors.
fn validate(script: &str, report: &Path) -> String {
    let out = std::process::Command::new(venv_python())
        .arg(Path::new(ROOT).join("tests/schemas").join(script))
        .arg(report)
        .output()
        .expect("python runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{script} found errors:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Every rule fixture, the formats fixture, and an export with hostile text,
/// a suppressed finding and an image found by a live scan (`AmilintScope`).
fn inputs(dir: &Path) -> Vec<String> {
    let evil = dir.join("evil.json");
    let long = "x".repeat(2000);
    std::fs::write(
        &evil,
        format!(
            r#"{{"Images": [
  {{"ImageId": "ami-1", "Public": true, "Name": "a\"/><script>alert(1)</script>&\u0001{long}",
    "Tags": [{{"Key": "amilint:ignore", "Value": "AMI002"}}, {{"Key": "amilint:ignore-reason", "Value": "<b>legacy</b>"}}]}},
  {{"ImageId": "ami-2", "Public": true,
    "AmilintScope": {{"AccountId": "444455556666", "Region": "cn-north-1", "ImageArn": "arn:aws-cn:ec2:cn-north-1::image/ami-2"}},
    "AmilintReferences": [
      {{"ResourceType": "ec2:Instance", "Arn": "arn:aws-cn:ec2:cn-north-1:444455556666:instance/i-0123456789abcdef0"}},
      {{"ResourceType": "ec2:LaunchTemplate", "Arn": "arn:aws-cn:ec2:cn-north-1:444455556666:launch-template/lt-0123456789abcdef0"}},
      {{"ResourceType": "ssm:Parameter", "Arn": "arn:aws-cn:ssm:cn-north-1:444455556666:parameter/golden"}}]}}
]}}"#
        ),
    )
    .expect("write");
    let mut paths: Vec<String> = common::image_rule_fixtures()
        .iter()
        .map(|f| format!("{ROOT}/{f}"))
        .collect();
    paths.push(format!("{ROOT}/fixtures/formats/mixed.json"));
    paths.push(evil.display().to_string());
    // The fleet's images; its workloads come with `--fleet-file` (issue 34).
    paths.push(format!("{ROOT}/fixtures/fleet/images.json"));
    paths
}

/// Scans `inputs` with every rule, writing FORMAT and JSON; returns both.
fn scan(dir: &Path, format: &str, extra: &[&str]) -> (Value, Value) {
    let report = dir.join(format!("report.{format}"));
    let json = dir.join("report.json");
    let mut args: Vec<String> = vec!["scan".into()];
    args.extend(inputs(dir));
    for a in [
        "--no-config",
        "--settings-file",
        &format!("{ROOT}/fixtures/formats/settings.json"),
        "--now",
        common::NOW,
        "--fleet-file",
        &format!("{ROOT}/fixtures/fleet/fleet.json"),
        "--select",
        "ALL",
        "--format",
        "none",
    ] {
        args.push(a.into());
    }
    args.push("-o".into());
    args.push(format!("{format}={}", report.display()));
    args.push("-o".into());
    args.push(format!("json={}", json.display()));
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = common::amilint().args(&args).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    validate(&format!("validate_{format}.py"), &report);
    let read = |p: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).expect("report")).expect("JSON")
    };
    (read(&report), read(&json))
}

#[test]
fn asff_is_what_security_hub_accepts() {
    crate::common::externals::needs!(Venv);
    let dir = tempfile::tempdir().expect("temp dir");
    let (asff, json) = scan(
        dir.path(),
        "asff",
        &[
            "--asff-account",
            "111122223333",
            "--asff-region",
            "eu-west-1",
        ],
    );
    let findings = asff["Findings"].as_array().expect("Findings");
    let all = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), all.len(), "one ASFF finding per finding");
    // Accounts: the live scope's when the image has one, else the flags'.
    let scoped = findings
        .iter()
        .find(|f| f["Resources"][0]["Details"]["Other"]["ImageId"] == "ami-2")
        .expect("ami-2");
    assert_eq!(scoped["AwsAccountId"], "444455556666");
    assert_eq!(scoped["Resources"][0]["Partition"], "aws-cn");
    // Issue 20: the resources that use the image follow it.
    let kinds: Vec<&str> = scoped["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .filter_map(|r| r["Type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["Other", "AwsEc2Instance", "AwsEc2LaunchTemplate", "Other"]
    );
    assert_eq!(
        scoped["ProductArn"],
        "arn:aws-cn:securityhub:cn-north-1:444455556666:product/444455556666/default"
    );
    let evil: Vec<&Value> = findings
        .iter()
        .filter(|f| f["Resources"][0]["Details"]["Other"]["ImageId"] == "ami-1")
        .collect();
    assert!(evil.iter().all(|f| f["AwsAccountId"] == "111122223333"));
    // Suppressed by the image's tag: still there, marked SUPPRESSED.
    let suppressed = evil
        .iter()
        .find(|f| f["GeneratorId"] == "amilint/AMI002")
        .expect("AMI002 on ami-1");
    assert_eq!(suppressed["Workflow"]["Status"], "SUPPRESSED");
    assert_eq!(
        suppressed["ProductFields"]["amilint/Suppression"],
        "<b>legacy</b>"
    );
    // An account's guardrails: the account is the resource, in its region.
    let account = findings
        .iter()
        .find(|f| {
            f["GeneratorId"] == "amilint/AMI202" && f["Resources"][0]["Region"] == "cn-north-1"
        })
        .expect("AMI202 in cn-north-1");
    assert_eq!(account["AwsAccountId"], "444455556666");
    assert_eq!(account["Resources"][0]["Type"], "AwsAccount");
    assert_eq!(account["Resources"][0]["Id"], "AWS::::Account:444455556666");
    assert_eq!(account["Resources"][0]["Partition"], "aws-cn");
    // The 2,000-character name is cut to Security Hub's limits, on a character.
    assert!(evil.iter().all(|f| {
        f["Description"]
            .as_str()
            .is_some_and(|d| d.chars().count() <= 1024)
    }));
}

#[test]
fn asff_offline_needs_the_importing_account() {
    let out = common::amilint()
        .args([
            "scan",
            "fixtures/formats/mixed.json",
            "--no-config",
            "--format",
            "asff",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--asff-account and --asff-region"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn ocsf_is_a_valid_compliance_finding() {
    crate::common::externals::needs!(Venv);
    let dir = tempfile::tempdir().expect("temp dir");
    let (events, json) = scan(dir.path(), "ocsf", &[]);
    let events = events.as_array().expect("array");
    let all = json["findings"].as_array().expect("findings");
    assert_eq!(events.len(), all.len(), "one event per finding");
    for (event, finding) in events.iter().zip(all) {
        assert_eq!(event["finding_info"]["uid"], finding["fingerprint"]);
        assert_eq!(event["compliance"]["control"], finding["rule_id"]);
        let suppressed = !finding["suppression"].is_null();
        assert_eq!(event["status_id"], if suppressed { 3 } else { 1 });
    }
    let scoped = events
        .iter()
        .find(|e| e["resources"][0]["uid"] == "arn:aws-cn:ec2:cn-north-1::image/ami-2")
        .expect("ami-2 by its ARN");
    assert_eq!(scoped["cloud"]["account"]["uid"], "444455556666");
    // Issue 31: the profiles whose attributes it uses; an event id of its own.
    assert_eq!(
        scoped["metadata"]["profiles"],
        serde_json::json!(["cloud", "datetime"])
    );
    assert_ne!(scoped["metadata"]["uid"], scoped["finding_info"]["uid"]);
    assert_eq!(scoped["resources"][0]["cloud_partition"], "aws-cn");
    // An account's guardrails: the account is the resource.
    let account = events
        .iter()
        .find(|e| e["compliance"]["control"] == "AMI201")
        .expect("AMI201");
    assert_eq!(account["resources"][0]["uid"], "444455556666");
    assert_eq!(account["resources"][0]["type"], "AWS::::Account");
    assert_eq!(account["cloud"]["region"], "eu-west-1");
    // Issue 20: the resources that use the image follow it.
    let kinds: Vec<&str> = scoped["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["type"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "AWS::EC2::Image",
            "AWS::EC2::Instance",
            "AWS::EC2::LaunchTemplate",
            "AWS::SSM::Parameter"
        ]
    );
}
