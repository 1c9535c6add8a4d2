//! Issue 30: verdicts that cover their scope, dates that are read or said,
//! policy errors that propagate, inputs no report replaces, reports read back
//! strictly.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::common;

const NOW: &str = "2026-11-30T00:00:00Z";
const ACCOUNT: &str = "111122223333";

/// An image as DescribeImages returns it (fields from the EC2 API
/// Reference's `Image`), owned by `ACCOUNT` in eu-west-1, private, with one
/// encrypted EBS mapping on `snapshot`.
fn image(id: &str, name: &str, created: &str, snapshot: &str) -> Value {
    json!({
        "ImageId": id, "Name": name, "OwnerId": ACCOUNT, "CreationDate": created,
        "State": "available", "Public": false, "ImageType": "machine",
        "Architecture": "x86_64", "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances",
        "RootDeviceName": "/dev/xvda", "RootDeviceType": "ebs", "VirtualizationType": "hvm",
        "EnaSupport": true, "ImdsSupport": "v2.0", "DeprecationTime": "2027-06-01T00:00:00.000Z",
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
            "SnapshotId": snapshot, "VolumeSize": 8, "VolumeType": "gp3",
            "DeleteOnTermination": true, "Encrypted": true}}],
        "AmilintScope": {"AccountId": ACCOUNT, "Region": "eu-west-1",
            "ImageArn": format!("arn:aws:ec2:eu-west-1::image/{id}")}
    })
}

fn write(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).expect("json")).expect("write");
    path.display().to_string()
}

/// The account's guardrails as GetSnapshotBlockPublicAccessState and
/// GetEbsEncryptionByDefault answer them, in `--save-settings`' shape.
fn settings(dir: &Path, snapshot_bpa: &str, encryption: bool) -> String {
    write(
        dir,
        &format!("settings-{snapshot_bpa}-{encryption}.json"),
        &json!({"AccountSettings": [{
            "AccountId": ACCOUNT, "Region": "eu-west-1",
            "SnapshotBlockPublicAccessState": snapshot_bpa,
            "EbsEncryptionByDefault": encryption}]}),
    )
}

/// Each control's (status, reason) in a `--benchmark cis-compute-v1` scan.
fn controls(args: &[&str]) -> BTreeMap<String, (String, String)> {
    let mut all = vec![
        "scan",
        "--no-config",
        "--now",
        NOW,
        "--format",
        "json",
        "--benchmark",
        "cis-compute-v1",
    ];
    all.extend_from_slice(args);
    let (code, out, err) = common::run(&all);
    assert_ne!(code, 2, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("json report");
    doc["summary"]["benchmark"]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .map(|c| {
            (
                c["control"].as_str().expect("id").to_string(),
                (
                    c["status"].as_str().expect("status").to_string(),
                    c["reason"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

/// Item 1: a control passes only on evidence for its whole scope, one case
/// per CIS control (docs/compliance.md is the table).
#[test]
fn issue_30_a_control_passes_only_on_evidence_for_its_scope() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let export = write(
        d,
        "images.json",
        &json!({"Images": [image("ami-0aaaaaaaaaaaaaaa1", "web-20261101", "2026-11-01T00:00:00.000Z", "snap-0aaaaaaaaaaaaaaa1")]}),
    );
    // DescribeSnapshotAttribute's answer: one private snapshot.
    let private = write(
        d,
        "permissions.json",
        &json!({"SnapshotId": "snap-0aaaaaaaaaaaaaaa1", "CreateVolumePermissions": []}),
    );
    let snapshot = write(
        d,
        "snapshots.json",
        &json!({"Snapshots": [{"SnapshotId": "snap-0aaaaaaaaaaaaaaa1", "OwnerId": ACCOUNT,
            "Encrypted": true, "State": "completed", "VolumeSize": 8,
            "StartTime": "2026-11-01T00:00:00.000Z", "Progress": "100%",
            "VolumeId": "vol-0aaaaaaaaaaaaaaa1", "StorageTier": "standard"}]}),
    );

    // The issue's case: one private AMI snapshot is no evidence about every
    // snapshot of the account.
    let got = controls(&[
        &export,
        "--snapshots-file",
        &snapshot,
        "--snapshots-file",
        &private,
    ]);
    assert_eq!(got["2.2.2"].0, "not assessed", "{:?}", got["2.2.2"]);
    assert!(
        got["2.2.2"].1.contains("AMI020 judges only"),
        "{:?}",
        got["2.2.2"]
    );
    // Image controls judged on every image: passed.
    for id in ["2.1.2", "2.1.4", "2.1.5"] {
        assert_eq!(got[id].0, "passed", "{id}: {:?}", got[id]);
    }
    // 2.1.1 and 2.1.3 need options; 2.2.1 needs the account's settings.
    for id in ["2.1.1", "2.1.3", "2.2.1"] {
        assert_eq!(got[id].0, "not assessed", "{id}: {:?}", got[id]);
    }

    // Block public access at block-all-sharing covers every snapshot: 2.2.2
    // passes even without snapshot data; EBS encryption by default on: 2.2.1.
    let all = settings(d, "block-all-sharing", true);
    let got = controls(&[&export, "--settings-file", &all]);
    assert_eq!(got["2.2.2"].0, "passed", "{:?}", got["2.2.2"]);
    assert_eq!(got["2.2.1"].0, "passed", "{:?}", got["2.2.1"]);
    // block-new-sharing leaves public snapshots public: failed (AMI202).
    let new = settings(d, "block-new-sharing", false);
    let got = controls(&[&export, "--settings-file", &new]);
    assert_eq!(got["2.2.2"].0, "failed", "{:?}", got["2.2.2"]);
    assert_eq!(got["2.2.1"].0, "failed", "{:?}", got["2.2.1"]);

    // 2.1.1 with its options: judged on every image.
    let config = d.join("naming.toml");
    std::fs::write(&config, "[rules.AMI017]\npattern = \"^[a-z]+-\\\\d{8}$\"\n").expect("config");
    let config = config.display().to_string();
    let (code, out, err) = common::run(&[
        "scan",
        "--config",
        &config,
        "--now",
        NOW,
        "--format",
        "json",
        "--benchmark",
        "cis-compute-v1",
        &export,
    ]);
    assert_ne!(code, 2, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    let naming = doc["summary"]["benchmark"]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["control"] == "2.1.1")
        .expect("2.1.1")
        .clone();
    assert_eq!(naming["status"], "passed", "{naming}");

    // 2.1.3 (approved AMIs are *used*): AMI025 judges image ancestry only,
    // never which images instances launch: not passed however it ends
    // (the unit test `a_rule_judging_part_of_the_scope_never_passes_a_control`
    // judges it with full evidence).
}

/// Item 1, the table: every mapped control has its scope stated, and
/// docs/compliance.md is generated from the code.
#[test]
fn issue_30_every_mapped_control_states_its_scope_and_evidence() {
    use amilint::rules::compliance::{Covers, scope};
    for rule in amilint::rules::BUILTIN {
        for c in rule.compliance {
            assert!(
                scope(c.framework, c.id).is_some(),
                "{} {}: no scope stated",
                c.framework.id(),
                c.id
            );
            if let Covers::Part(part) = c.covers {
                assert!(!part.is_empty());
            }
        }
    }
    let on_disk = std::fs::read_to_string("docs/compliance.md").expect("docs/compliance.md");
    assert!(
        on_disk == amilint::output::catalogue::controls_markdown(amilint::rules::BUILTIN),
        "docs/compliance.md is stale: run `cargo run -- rules --framework all --format markdown > docs/compliance.md`"
    );
    let (code, text, err) = common::run(&["rules", "--framework", "all", "--format", "markdown"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(text, on_disk);
}

/// Item 2: with block public access for snapshots at block-all-sharing, a
/// snapshot granted to `all` is private to AWS: the finding says so, low.
#[test]
fn issue_30_a_public_snapshot_under_block_all_sharing_is_said_as_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let export = write(
        d,
        "images.json",
        &json!({"Images": [image("ami-0aaaaaaaaaaaaaaa2", "web-20261101", "2026-11-01T00:00:00.000Z", "snap-0aaaaaaaaaaaaaaa2")]}),
    );
    let public = write(
        d,
        "permissions.json",
        &json!({"SnapshotId": "snap-0aaaaaaaaaaaaaaa2", "CreateVolumePermissions": [{"Group": "all"}]}),
    );
    let ami020 = |extra: &[&str]| -> Value {
        let mut args = vec![
            "scan",
            "--no-config",
            "--now",
            NOW,
            "--format",
            "json",
            "--select",
            "AMI020",
            &export,
            "--snapshots-file",
            &public,
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = common::run(&args);
        assert_eq!(code, 1, "{err}");
        let doc: Value = serde_json::from_str(&out).expect("json");
        doc["findings"][0].clone()
    };
    let open = ami020(&[]);
    assert_eq!(open["severity"], "critical");
    assert!(
        open["message"]
            .as_str()
            .expect("message")
            .contains("any AWS account can")
    );
    for (state, severity) in [
        ("block-new-sharing", "critical"),
        ("unblocked", "critical"),
        ("block-all-sharing", "low"),
    ] {
        let path = settings(d, state, true);
        let f = ami020(&["--settings-file", &path]);
        assert_eq!(f["severity"], severity, "{state}: {f}");
        let message = f["message"].as_str().expect("message");
        if state == "block-all-sharing" {
            assert!(!message.contains("any AWS account can"), "{message}");
            assert!(message.contains("treats it as private"), "{message}");
        }
    }
    // A user's --severity still wins.
    let path = settings(d, "block-all-sharing", true);
    let f = ami020(&["--settings-file", &path, "--severity", "AMI020=high"]);
    assert_eq!(f["severity"], "high");
}

/// Item 3: every rule that reads a date reads what is unambiguous and says
/// what it cannot read, per rule, never a silent pass.
#[test]
fn issue_30_unreadable_dates_are_said_per_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Old enough for AMI008 (365 days) in every readable form.
    let forms = [
        ("2019-01-02T03:04:05.000Z", true),
        ("2019-01-02 03:04:05+00:00", true), // boto3 str() of an aware datetime
        ("Wed, 02 Jan 2019 03:04:05 GMT", true), // RFC 1123
        ("/Date(1546398245000)/", true),     // PowerShell ConvertTo-Json
        ("2019-01-02", false),               // a date alone: which zone?
        ("2019-01-02T03:04:05", false),      // boto3 str() of a naive datetime
        ("last Tuesday", false),
    ];
    let images: Vec<Value> = forms
        .iter()
        .enumerate()
        .map(|(i, (created, _))| {
            let mut img = image(
                &format!("ami-0ccccccccccccccc{i}"),
                &format!("img{i}"),
                created,
                &format!("snap-0ccccccccccccccc{i}"),
            );
            // AMI009/AMI010 read DeprecationTime, AMI013 LastLaunchedTime.
            img["DeprecationTime"] = json!(created);
            img["LastLaunchedTime"] = json!(created);
            img
        })
        .collect();
    let export = write(d, "dates.json", &json!({"Images": images}));
    let (code, out, err) = common::run(&[
        "scan",
        "--no-config",
        "--now",
        NOW,
        "--format",
        "json",
        "--select",
        "AMI008,AMI009,AMI010,AMI013",
        &export,
    ]);
    assert_eq!(code, 1, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    let flagged = |rule: &str| -> Vec<String> {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| f["image_name"].as_str().expect("name").to_string())
            .collect()
    };
    let readable: Vec<String> = (0..4).map(|i| format!("img{i}")).collect();
    assert_eq!(
        flagged("AMI008"),
        readable,
        "each readable form, none of the others"
    );
    assert_eq!(flagged("AMI009"), readable);
    assert_eq!(flagged("AMI013"), readable);
    let notes: BTreeMap<String, u64> = doc["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| {
            (
                n["rule_id"].as_str().expect("id").to_string(),
                n["skipped"].as_u64().expect("n"),
            )
        })
        .collect();
    for rule in ["AMI008", "AMI009", "AMI010", "AMI013"] {
        assert_eq!(notes.get(rule), Some(&3), "{rule}: {notes:?}");
    }
    assert!(
        err.contains("AMI008 skipped on 3 of 7 images: CreationDate is not a date amilint reads"),
        "{err}"
    );

    // A benchmark control whose rule could not read a date is not passed.
    let young = write(
        d,
        "young.json",
        &json!({"Images": [
            image("ami-0dddddddddddddd01", "a", "2026-11-01T00:00:00.000Z", "snap-0dddddddddddddd01"),
            image("ami-0dddddddddddddd02", "b", "2026-11-01", "snap-0dddddddddddddd02")]}),
    );
    let got = controls(&[&young]);
    assert_eq!(got["2.1.4"].0, "not assessed", "{:?}", got["2.1.4"]);
    assert!(
        got["2.1.4"].1.contains("CreationDate"),
        "{:?}",
        got["2.1.4"]
    );
}

/// Item 5: an error in a closure given to sort or dedup stops the policy on
/// that image, as any other error does (Rhai's own swallow it).
#[test]
fn issue_30_an_error_in_a_policy_closure_is_a_policy_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let export = write(
        d,
        "images.json",
        &json!({"Images": [image("ami-0eeeeeeeeeeeeeee1", "web-20261101", "2026-11-01T00:00:00.000Z", "snap-0eeeeeeeeeeeeeee1")]}),
    );
    let policy = |name: &str, body: &str| -> String {
        let path = d.join(format!("{name}.rhai"));
        std::fs::write(
            &path,
            format!(
                "fn meta() {{ #{{ id: \"ORG{name}\", name: \"closure-{name}\", severity: \"low\", summary: \"s\" }} }}\nfn check(image) {{\n{body}\n}}\n"
            ),
        )
        .expect("policy");
        path.display().to_string()
    };
    let cases = [
        (
            "901",
            "let xs = [3, 1, 2]; xs.sort(|a, b| a.nope() - b); if xs[0] == 1 { return #{ message: \"sorted\", pointer: \"\" }; }",
        ),
        (
            "902",
            "let xs = [3, 1, 2]; xs.sort_by(|a, b| a.nope()); return #{ message: \"x\", pointer: \"\" };",
        ),
        (
            "903",
            "let xs = [1, 1, 2]; xs.dedup(|a, b| a.nope(b)); return #{ message: `${xs.len()}`, pointer: \"\" };",
        ),
        (
            "904",
            "let xs = [3, 1, 2]; xs.sort(|a, b| \"not a number\"); return #{ message: \"x\", pointer: \"\" };",
        ),
    ];
    for (name, body) in cases {
        let path = policy(name, body);
        let (code, out, err) = common::run(&[
            "scan",
            "--no-config",
            "--now",
            NOW,
            "--format",
            "json",
            "--select",
            &format!("ORG{name}"),
            "--policy",
            &path,
            &export,
        ]);
        assert_eq!(
            code, 2,
            "ORG{name}: a policy error is an incomplete scan: {out} {err}"
        );
        let doc: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(
            doc["findings"].as_array().map(Vec::len),
            Some(0),
            "ORG{name}: no answer from a failed closure"
        );
        assert_eq!(
            doc["errors"].as_array().map(Vec::len),
            Some(1),
            "ORG{name}: {}",
            doc["errors"]
        );
        assert!(err.contains(&format!("{name}.rhai")), "{err}");
    }
    // Closures that work still sort and de-duplicate as Rhai's do.
    let path = policy(
        "905",
        "let xs = [3, 1, 2, 2]; xs.sort(|a, b| a - b); xs.dedup(|a, b| a == b); let ys = [1, 3, 2]; ys.sort_by(|a, b| a > b); return #{ message: `${xs} ${ys}`, pointer: \"\" };",
    );
    let (code, out, err) = common::run(&[
        "scan",
        "--no-config",
        "--now",
        NOW,
        "--format",
        "json",
        "--select",
        "ORG905",
        "--policy",
        &path,
        &export,
    ]);
    assert_eq!(code, 1, "{err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["findings"][0]["message"], "[1, 2, 3] [3, 2, 1]");
}

/// Item 11: no report replaces a file the run reads, of any kind.
#[test]
fn issue_30_no_output_replaces_a_file_the_run_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let export = write(
        d,
        "images.json",
        &json!({"Images": [image("ami-0fffffffffffffff1", "web-20261101", "2026-11-01T00:00:00.000Z", "snap-0fffffffffffffff1")]}),
    );
    let policy = d.join("p.rhai");
    std::fs::write(&policy, "fn meta() { #{ id: \"ORG1\", name: \"n\", severity: \"low\", summary: \"s\" } }\nfn check(image) { }\n").expect("policy");
    let policy = policy.display().to_string();
    let snapshots = write(d, "snaps.json", &json!({"Snapshots": []}));
    let settings = settings(d, "block-all-sharing", true);
    let config = d.join("amilint.toml");
    std::fs::write(&config, "fail_on = \"high\"\n").expect("config");
    let config = config.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--policy", &policy, "-o"], &policy),
        (vec!["--snapshots-file", &snapshots, "-o"], &snapshots),
        (vec!["--settings-file", &settings, "-o"], &settings),
        (vec!["--config", &config, "-o"], &config),
    ];
    for (args, victim) in cases {
        let before = std::fs::read(victim).expect("read");
        for format in ["json", "sarif", "text"] {
            let target = format!("{format}={victim}");
            let mut all = vec!["scan", "--now", NOW, &export];
            if !args.contains(&"--config") {
                all.push("--no-config");
            }
            all.extend(args.iter().copied());
            all.push(&target);
            let (code, _, err) = common::run(&all);
            assert_eq!(code, 2, "{all:?}: {err}");
            assert!(err.contains("would replace a file the run reads"), "{err}");
            assert_eq!(
                std::fs::read(victim).expect("read"),
                before,
                "{victim} untouched"
            );
        }
    }
    // The discovered config too (amilint.toml in the working folder).
    let out = common::amilint()
        .current_dir(d)
        .args([
            "scan",
            "--now",
            NOW,
            "images.json",
            "-o",
            "json=amilint.toml",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(d.join("amilint.toml")).expect("config"),
        "fail_on = \"high\"\n"
    );
    // merge: its output is none of its inputs.
    let (code, report, err) = common::run(&[
        "scan",
        "--no-config",
        "--now",
        NOW,
        "--format",
        "json",
        "--exit-zero",
        &export,
    ]);
    assert_eq!(code, 0, "{err}");
    let shard = d.join("shard.json");
    std::fs::write(&shard, &report).expect("shard");
    let shard = shard.display().to_string();
    let (code, _, err) = common::run(&["merge", &shard, &shard, "-o", &shard]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_to_string(&shard).expect("shard"), report);
}

/// Item 13: a report read back with a key twice is refused with its line
/// and column, by fix, merge and --baseline alike.
#[test]
fn issue_30_a_report_with_a_repeated_key_is_refused_where_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // No ImdsSupport: AMI001, whose fix is a ModifyImageAttribute call.
    let mut legacy = image(
        "ami-0aaaaaaaaaaaaaab1",
        "web-20261101",
        "2026-11-01T00:00:00.000Z",
        "snap-0aaaaaaaaaaaaaab1",
    );
    legacy
        .as_object_mut()
        .expect("object")
        .remove("ImdsSupport");
    let export = write(d, "images.json", &json!({"Images": [legacy]}));
    let (_, report, err) = common::run(&[
        "scan",
        "--no-config",
        "--now",
        NOW,
        "--format",
        "json",
        "--exit-zero",
        &export,
    ]);
    assert!(report.starts_with('{'), "{err}");
    // A second `findings` at the end, hidden from jq and Python (the last wins there).
    let twice = format!(
        "{},\n\"findings\": []}}",
        report.trim_end().trim_end_matches('}')
    );
    let path = d.join("twice.json");
    std::fs::write(&path, &twice).expect("write");
    let path = path.display().to_string();
    let line = twice.lines().count();
    for args in [
        vec!["fix", path.as_str()],
        vec!["merge", path.as_str()],
        vec![
            "scan",
            "--no-config",
            "--now",
            NOW,
            "--baseline",
            path.as_str(),
            export.as_str(),
        ],
    ] {
        let (code, _, err) = common::run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("`findings` appears twice"), "{args:?}: {err}");
        assert!(
            err.contains(&format!("{path}:{line}:")),
            "{args:?}: line {line}: {err}"
        );
    }
    // An action's input with a key twice: `fix` acts on neither.
    let input = "\"input\":{\"ImageId\":\"ami-0aaaaaaaaaaaaaab1\"";
    assert!(report.contains(input), "{report}");
    let hidden = report.replacen(
        input,
        "\"input\":{\"ImageId\":\"ami-0aaaaaaaaaaaaaab1\",\"ImageId\":\"ami-0aaaaaaaaaaaaaab1\"",
        1,
    );
    let path = d.join("input-twice.json");
    std::fs::write(&path, &hidden).expect("write");
    let (code, _, err) = common::run(&["fix", &path.display().to_string()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`ImageId` appears twice"), "{err}");
}

/// Item 14: a summarised SARIF log is no baseline: refused, pointing at the
/// JSON report.
#[test]
fn issue_30_a_summarised_sarif_log_is_no_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // More findings than --sarif-max-results' smallest limit lists.
    let images: Vec<Value> = (0..250)
        .map(|i| {
            let mut img = image(
                &format!("ami-0abcabcabcabc{i:03}"),
                &format!("i{i}"),
                "2026-11-01T00:00:00.000Z",
                &format!("snap-0abcabcabcabc{i:03}"),
            );
            img.as_object_mut().expect("object").remove("ImdsSupport");
            img
        })
        .collect();
    let export = write(d, "images.json", &json!({"Images": images}));
    let sarif = d.join("all.sarif").display().to_string();
    let summarised = d.join("summarised.sarif").display().to_string();
    for (path, max) in [(&sarif, "0"), (&summarised, "201")] {
        let (code, _, err) = common::run(&[
            "scan",
            "--no-config",
            "--now",
            NOW,
            "--exit-zero",
            "-o",
            &format!("sarif={path}"),
            "--sarif-max-results",
            max,
            &export,
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let baseline = |path: &str| {
        common::run(&[
            "scan",
            "--no-config",
            "--now",
            NOW,
            "--format",
            "json",
            "--baseline",
            path,
            &export,
        ])
    };
    let (code, out, err) = baseline(&sarif);
    assert_eq!(code, 0, "every finding unchanged: {err}");
    let doc: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["baseline"]["new"], 0);
    let (code, _, err) = baseline(&summarised);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be a baseline"), "{err}");
    assert!(err.contains("-o json="), "{err}");
}

/// Item 15: nothing from an image reaches a log as a workflow command, nor
/// forms a link, a mention or HTML in Markdown.
#[test]
fn issue_30_image_text_never_becomes_a_command_or_markup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let hostile = "x ##[error]pwned ##[add-mask]x https://evil.example/a www.evil.example @octocat a@b.example <b>bold</b>";
    let mut img = image(
        "ami-0abcdef0123456789",
        hostile,
        "2026-11-01T00:00:00.000Z",
        "snap-0abcdef0123456789",
    );
    img.as_object_mut().expect("object").remove("ImdsSupport");
    img["Description"] = json!(hostile);
    let export = write(d, "images.json", &json!({"Images": [img]}));
    let policy = d.join("loud.rhai");
    std::fs::write(
        &policy,
        "fn meta() { #{ id: \"ORG7\", name: \"loud\", severity: \"low\", summary: \"s\" } }\n\
         fn check(image) { print(`name: ${image.Name}\\n::error file=x::pwned\\n##[warning]pwned`); \
         debug(`a\\n::warning::b`); return #{ message: image.Name, pointer: \"/Name\" }; }\n",
    )
    .expect("policy");
    let policy = policy.display().to_string();
    for format in ["text", "markdown"] {
        let (code, out, err) = common::run(&[
            "scan",
            "--no-config",
            "--now",
            NOW,
            "--format",
            format,
            "--policy",
            &policy,
            &export,
        ]);
        assert_eq!(code, 1, "{err}");
        for stream in [&out, &err] {
            assert!(!stream.contains("##["), "{format}: {stream}");
            for line in stream.lines() {
                assert!(!line.trim_start().starts_with("::"), "{format}: {line}");
            }
        }
        assert!(err.contains("[policy"), "{err}");
        if format == "markdown" {
            for formed in ["https://evil", "www.evil", "@octocat", "a@b", "<b>"] {
                assert!(!out.contains(formed), "{formed}: {out}");
            }
        }
    }
}

/// Item 17: `/dev/zero` as any file input is refused at once, with an error
/// (exit 2), never read up to a size limit first.
#[test]
fn issue_30_dev_zero_is_refused_as_any_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let export = write(
        d,
        "images.json",
        &json!({"Images": [image("ami-0abcdef0123456781", "web-20261101", "2026-11-01T00:00:00.000Z", "snap-0abcdef0123456781")]}),
    );
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "--no-config", "--now", NOW];
        args.extend_from_slice(extra);
        common::run(&args)
    };
    let cases: Vec<(&str, (i32, String, String))> = vec![
        ("input", scan(&["/dev/zero"])),
        (
            "--settings-file",
            scan(&[&export, "--settings-file", "/dev/zero"]),
        ),
        (
            "--snapshots-file",
            scan(&[&export, "--snapshots-file", "/dev/zero"]),
        ),
        ("--baseline", scan(&[&export, "--baseline", "/dev/zero"])),
        ("--policy", scan(&[&export, "--policy", "/dev/zero"])),
        (
            "--config",
            common::run(&["scan", "--config", "/dev/zero", &export]),
        ),
        ("fix", common::run(&["fix", "/dev/zero"])),
        ("merge", common::run(&["merge", "/dev/zero"])),
    ];
    for (what, (code, _, err)) in cases {
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains("/dev/zero"), "{what}: {err}");
    }
}
