//! `amilint fix` against real local EC2 endpoints over the real wire
//! protocol: the project's fixture endpoint (deprecation, deregistration
//! protection, IMDS, DryRun answers, permission errors) and moto's server
//! (launch-permission removal). Loopback only.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::servers::{Server, amilint_live, fixture_server, live_command, seed_moto, start_moto};
use serde_json::{Value, json};

use crate::common::NOW;

/// One image with everything fixable wrong, and one clean image.
fn images() -> Value {
    let image = |id: &str, extra: Value| {
        let mut image = json!({
            "ImageId": id, "Name": id, "OwnerId": "111122223333", "State": "available",
            "CreationDate": "2026-10-01T00:00:00.000Z", "PlatformDetails": "Linux/UNIX",
            "UsageOperation": "RunInstances", "RootDeviceName": "/dev/xvda", "RootDeviceType": "ebs",
            "VirtualizationType": "hvm", "Architecture": "x86_64", "BootMode": "uefi", "TpmSupport": "v2.0",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                "Ebs": {"SnapshotId": "snap-1", "VolumeSize": 8, "VolumeType": "gp3", "Encrypted": false}}],
        });
        for (k, v) in extra.as_object().expect("object") {
            image[k] = v.clone();
        }
        image
    };
    json!({"Images": [
        image("ami-0bad0000000000001", json!({
            "Public": true,
            "LaunchPermissions": [{"Group": "all"}, {"UserId": "999988887777"}],
        })),
        image("ami-0c1ea000000000002", json!({
            "Public": false, "ImdsSupport": "v2.0", "DeprecationTime": "2027-05-01T00:00:00.000Z",
            "DeregistrationProtection": "enabled-with-cooldown",
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda",
                "Ebs": {"SnapshotId": "snap-2", "VolumeSize": 8, "VolumeType": "gp3", "Encrypted": true}}],
        })),
    ]})
}

/// A temp folder with the images, and a fixture endpoint serving them.
fn serve(extra: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("images.json");
    std::fs::write(&path, images().to_string()).expect("write images");
    let server = fixture_server(path.to_str().expect("utf-8"), extra);
    (dir, server)
}

/// A live scan with attributes and every rule (unless `extra` selects): its JSON report is written
/// to `dir/report.json`; returns its (image, rule) pairs. moto answers some
/// attributes with errors (`errors_expected`): the scan then exits 2.
fn scan(
    server: &Server,
    dir: &Path,
    extra: &[&str],
    errors_expected: bool,
) -> BTreeSet<(String, String)> {
    let url = server.url();
    let report = dir.join("report.json");
    let mut args = vec![
        "scan",
        "--aws",
        "--no-guardrails",
        "--attributes",
        "--endpoint-url",
        &url,
        "--region",
        "eu-west-1",
        "--now",
        NOW,
        "--format",
        "none",
        "-o",
    ];
    let output = format!("json={}", report.display());
    args.push(&output);
    if !extra.contains(&"--select") {
        args.extend(["--select", "ALL"]);
    }
    args.extend_from_slice(extra);
    let (code, _, err) = amilint_live(&args);
    let expected: &[i32] = if errors_expected { &[2] } else { &[0, 1] };
    assert!(expected.contains(&code), "scan exit {code}: {err}");
    let text = std::fs::read_to_string(&report).expect("read the report");
    common::finding_keys(&text)
        .into_iter()
        .map(|(image, rule, _)| (image, rule))
        .collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON")
}

/// `amilint fix REPORT ARGS…` against `server`, run in `dir` (the change log's home).
pub(crate) fn fix(server: &Server, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let url = server.url();
    let report = dir.join("report.json");
    let log = dir.join("amilint-fix.log");
    let mut all = vec![
        "fix",
        report.to_str().expect("utf-8"),
        "--endpoint-url",
        &url,
        "--log",
        log.to_str().expect("utf-8"),
    ];
    all.extend_from_slice(args);
    amilint_live(&all)
}

/// The changes the fixture endpoint made, as (action, image) pairs.
fn changes(server: &Server) -> Vec<(String, String)> {
    server
        .get("/__changes")
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap_or_default().to_string(),
                c["image"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Each output line's first word (the outcome) with its rules column.
fn outcomes(stdout: &str) -> BTreeSet<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let outcome = words.next()?;
            let rules = words.next()?;
            rules
                .starts_with("AMI")
                .then(|| (outcome.to_string(), rules.to_string()))
        })
        .collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const BAD: &str = "ami-0bad0000000000001";

/// Every rule of the fixture's findings named: the launch-blocking fixes
/// (AMI006, AMI012) are made only for rules named with --rule.
const NAMED: [&str; 2] = ["--rule", "AMI001,AMI002,AMI003,AMI006,AMI012,AMI014"];

#[test]
fn plan_dry_run_and_apply_against_the_fixture_endpoint() {
    let (dir, server) = serve(&[]);
    let before = scan(&server, dir.path(), &[], false);
    for rule in ["AMI001", "AMI002", "AMI003", "AMI006", "AMI012", "AMI014"] {
        assert!(
            before.contains(&(BAD.to_string(), rule.to_string())),
            "{rule}: {before:?}"
        );
    }
    // The report carries each call as data.
    let report = read_json(&dir.path().join("report.json"));
    let public = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "AMI006")
        .expect("AMI006");
    assert_eq!(
        public["remediation"]["actions"],
        json!([{"operation": "ModifyImageAttribute",
                "input": {"ImageId": BAD, "LaunchPermission": {"Remove": [{"Group": "all"}]}}}])
    );

    std::fs::copy(
        dir.path().join("report.json"),
        dir.path().join("first.json"),
    )
    .expect("copy");

    // The plan sends nothing.
    let (code, out, err) = fix(&server, dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        outcomes(&out),
        set(&[
            ("skipped", "AMI001"),
            ("planned", "AMI002"),
            ("skipped", "AMI003"),
            ("skipped", "AMI006"),
            ("skipped", "AMI012"),
            ("planned", "AMI014"),
        ]),
        "{out}"
    );
    assert!(out.contains("--allow-irreversible"), "{out}");
    assert!(out.contains("can block launches"), "{out}");
    assert!(
        out.contains(&format!(
            "aws ec2 modify-image-attribute --image-id {BAD} --launch-permission 'Remove=[{{UserId=999988887777}}]' --region eu-west-1"
        )),
        "{out}"
    );
    let stats = server.stats();
    assert!(
        !stats
            .as_object()
            .expect("stats")
            .keys()
            .any(|k| k.starts_with("Modify") || k.starts_with("Enable")),
        "the plan sent calls: {stats}"
    );

    // DryRun: every call permitted, nothing changed.
    let (code, out, err) = fix(&server, dir.path(), &["--dry-run", NAMED[0], NAMED[1]]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        outcomes(&out)
            .into_iter()
            .filter(|(o, _)| o == "permitted")
            .count(),
        4,
        "{out}"
    );
    assert_eq!(server.stats()["ModifyImageAttribute eu-west-1"], 2);
    assert_eq!(changes(&server), vec![]);
    assert!(
        !dir.path().join("amilint-fix.log").exists(),
        "a dry run writes no log"
    );

    // --apply without a terminal and without --yes changes nothing.
    let (code, _, err) = fix(&server, dir.path(), &["--apply"]);
    assert_eq!(code, 2);
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(changes(&server), vec![]);

    // --apply --yes alone: the reversible fixes that cannot block a launch
    // are made, each logged ahead and after, with its undo.
    let (code, out, err) = fix(&server, dir.path(), &["--apply", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let made: BTreeSet<(String, String)> = changes(&server).into_iter().collect();
    assert_eq!(
        made,
        set(&[
            ("EnableImageDeprecation", BAD),
            ("EnableImageDeregistrationProtection", BAD),
        ]),
        "no launch permission removed without its rule named"
    );
    // Named: the launch permissions too.
    let (code, out, err) = fix(
        &server,
        dir.path(),
        &["--apply", "--yes", "--rule", "AMI006,AMI012"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(changes(&server).len(), 4, "two launch permissions removed");
    let log = std::fs::read_to_string(dir.path().join("amilint-fix.log")).expect("change log");
    let entries: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    // Each run's first line, written before any change, then per call its
    // intent (written ahead) and its outcome.
    assert_eq!(entries.len(), 10);
    for run in [&entries[..5], &entries[5..]] {
        assert_eq!(run[0]["event"], "start");
        assert_eq!(run[0]["calls"], 2);
        let outcomes: Vec<&str> = run[1..]
            .iter()
            .map(|e| e["outcome"].as_str().expect("outcome"))
            .collect();
        assert_eq!(
            outcomes.iter().filter(|o| **o == "sending").count(),
            2,
            "{run:?}"
        );
        assert_eq!(
            outcomes.iter().filter(|o| **o == "applied").count(),
            2,
            "{run:?}"
        );
    }
    for e in entries.iter().filter(|e| e["outcome"] == "applied") {
        assert!(e["request_id"].is_string(), "{e}");
        assert!(
            e["undo"]
                .as_str()
                .is_some_and(|u| u.starts_with("aws ec2 ")),
            "{e}"
        );
    }
    // Every applied call was announced before it: its `sending` line comes first.
    for (i, e) in entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e["outcome"] == "applied")
    {
        assert!(
            entries[..i].iter().any(|s| s["outcome"] == "sending"
                && s["operation"] == e["operation"]
                && s["input"] == e["input"]),
            "{e}"
        );
    }
    assert!(entries.iter().any(|e| e["undo"]
        == format!("aws ec2 disable-image-deprecation --image-id {BAD} --region eu-west-1")));

    // A new scan: only AMI001 (held back) and AMI003 (a copy, by hand) are left.
    let after = scan(&server, dir.path(), &[], false);
    let left: BTreeSet<&str> = after
        .iter()
        .filter(|(image, _)| image == BAD)
        .map(|(_, rule)| rule.as_str())
        .filter(|r| ["AMI001", "AMI002", "AMI003", "AMI006", "AMI012", "AMI014"].contains(r))
        .collect();
    assert_eq!(left, BTreeSet::from(["AMI001", "AMI003"]));

    // The first, now stale, report again: the deprecation set meanwhile is left alone.
    std::fs::copy(
        dir.path().join("first.json"),
        dir.path().join("report.json"),
    )
    .expect("copy");
    let (code, out, err) = fix(
        &server,
        dir.path(),
        &["--apply", "--yes", "--rule", "AMI002"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(outcomes(&out), set(&[("skipped", "AMI002")]), "{out}");
    assert!(out.contains("set since the report"), "{out}");
    assert_eq!(changes(&server).len(), 4);

    // The irreversible change needs its own opt-in; the log is appended to.
    let (code, out, err) = fix(
        &server,
        dir.path(),
        &[
            "--apply",
            "--yes",
            "--allow-irreversible",
            "--rule",
            "AMI001",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(outcomes(&out), set(&[("applied", "AMI001")]), "{out}");
    let log = std::fs::read_to_string(dir.path().join("amilint-fix.log")).expect("change log");
    let last: Value = serde_json::from_str(log.lines().last().expect("a line")).expect("JSON");
    // Four runs with a start line each: 2 and 2 calls, 1 held back after its
    // state was read again (not a change, not logged), 1; two lines a call.
    assert_eq!(log.lines().count(), 4 + 2 * (2 + 2 + 1));
    assert_eq!(
        last["input"],
        json!({"ImageId": BAD, "ImdsSupport": {"Value": "v2.0"}})
    );
    assert!(last["undo"].is_null(), "IMDSv2 cannot be undone");
    let after = scan(&server, dir.path(), &[], false);
    assert!(!after.contains(&(BAD.to_string(), "AMI001".to_string())));
}

#[test]
fn permission_errors_are_reported_per_call() {
    let (dir, server) = serve(&["--deny-action", "ModifyImageAttribute"]);
    scan(&server, dir.path(), &[], false);

    let (code, out, _) = fix(&server, dir.path(), &["--dry-run", NAMED[0], NAMED[1]]);
    assert_eq!(code, 1, "a denied call exits 1: {out}");
    assert_eq!(
        outcomes(&out),
        set(&[
            ("skipped", "AMI001"),
            ("permitted", "AMI002"),
            ("skipped", "AMI003"),
            ("denied", "AMI006"),
            ("denied", "AMI012"),
            ("permitted", "AMI014"),
        ]),
        "{out}"
    );
    assert!(
        out.contains("UnauthorizedOperation: You are not authorized to perform this operation"),
        "{out}"
    );

    // The same as JSON, for CI.
    let (code, out, _) = fix(
        &server,
        dir.path(),
        &["--dry-run", "--format", "json", NAMED[0], NAMED[1]],
    );
    assert_eq!(code, 1);
    let result: Value = serde_json::from_str(&out).expect("JSON result");
    assert_eq!(result["mode"], "dry-run");
    assert_eq!(
        result["summary"]["by_outcome"],
        json!({"denied": 2, "permitted": 2, "skipped": 2})
    );
    let denied = result["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .find(|c| c["outcome"] == "denied")
        .expect("a denied call");
    assert_eq!(denied["operation"], "ModifyImageAttribute");
    assert!(
        denied["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("UnauthorizedOperation"))
    );

    let (code, out, _) = fix(
        &server,
        dir.path(),
        &["--apply", "--yes", NAMED[0], NAMED[1]],
    );
    assert_eq!(code, 1, "{out}");
    let made: BTreeSet<String> = changes(&server).into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        made,
        BTreeSet::from([
            "EnableImageDeprecation".to_string(),
            "EnableImageDeregistrationProtection".to_string()
        ])
    );
    let log = std::fs::read_to_string(dir.path().join("amilint-fix.log")).expect("change log");
    let denied: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
        .filter(|e| e["outcome"] == "denied")
        .collect();
    assert_eq!(denied.len(), 2, "{log}");
    assert!(
        denied[0]["detail"]
            .as_str()
            .is_some_and(|e| e.starts_with("UnauthorizedOperation"))
    );

    // An image the endpoint does not know: the call fails (exit 2), the others still run.
    let path = dir.path().join("report.json");
    let text = std::fs::read_to_string(&path)
        .expect("report")
        .replace(BAD, "ami-0000000000000dead");
    std::fs::write(&path, text).expect("write");
    let (code, out, _) = fix(&server, dir.path(), &["--dry-run", "--rule", "AMI002"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("InvalidAMIID.NotFound"), "{out}");
}

#[test]
fn an_offline_report_needs_a_region_and_a_tampered_one_is_refused() {
    let (dir, server) = serve(&[]);
    let images = dir.path().join("images.json");
    let report = dir.path().join("report.json");
    let (code, out, _) = common::run(&[
        "scan",
        images.to_str().expect("utf-8"),
        "--now",
        NOW,
        "--select",
        "AMI002,AMI006",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    std::fs::write(&report, &out).expect("write report");

    // No region anywhere: refused before any call.
    let (code, _, err) = fix(&server, dir.path(), &["--dry-run"]);
    assert_eq!(code, 2);
    assert!(err.contains("--region"), "{err}");
    // The plan needs none; with --region the commands carry it.
    let (code, out, _) = fix(&server, dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(!out.contains("--region"), "{out}");
    let (code, out, err) = fix(
        &server,
        dir.path(),
        &[
            "--dry-run",
            "--region",
            "eu-west-1",
            "--rule",
            "AMI002,AMI006",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        outcomes(&out),
        set(&[("permitted", "AMI002"), ("permitted", "AMI006")])
    );

    // Stdin works too.
    let out = common::amilint()
        .args(["fix", "-"])
        .write_stdin(std::fs::read(&report).expect("report"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    // AMI006's fix can block launches: planned only with its rule named.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 planned") && stdout.contains("1 skipped"),
        "{stdout}"
    );

    // A report whose action is not one amilint makes: nothing at all is sent.
    let mut doc = read_json(&report);
    doc["findings"][0]["remediation"]["actions"][0] = json!({"operation": "DeregisterImage", "input": {"ImageId": doc["findings"][0]["image_id"]}});
    std::fs::write(&report, doc.to_string()).expect("write");
    let before = server.stats();
    let (code, _, err) = fix(
        &server,
        dir.path(),
        &["--apply", "--yes", "--region", "eu-west-1"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("never deregisters"), "{err}");
    assert_eq!(server.stats(), before, "no call was made");
    assert!(!dir.path().join("amilint-fix.log").exists());

    // Not JSON: the position is named.
    std::fs::write(&report, "{\"schema_version\": 1,\n  \"findings\": [}").expect("write");
    let (code, _, err) = fix(&server, dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("report.json:2:16"), "{err}");
}

/// A multi-account report: `--role-name` assumes the role in each image's
/// account, and a refused AssumeRole fails those calls (exit 2).
#[test]
fn other_accounts_are_reached_through_an_assumed_role() {
    let (dir, server) = serve(&["--deny-account", "999900001111"]);
    scan(
        &server,
        dir.path(),
        &[
            "--select",
            "AMI002",
            "--role",
            "arn:aws:iam::444455556666:role/Audit",
        ],
        false,
    );
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["findings"][0]["account_id"], "444455556666");
    let assumed = |s: &Value| s["AssumeRole eu-west-1"].as_u64().unwrap_or(0);
    let before = assumed(&server.stats());

    let (code, out, err) = fix(&server, dir.path(), &["--dry-run", "--role-name", "Audit"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(outcomes(&out), set(&[("permitted", "AMI002")]), "{out}");
    assert!(assumed(&server.stats()) > before, "the role was assumed");

    // Issue 16: without --role-name the base credentials (another account)
    // are never used for this account's image.
    let sent_before = server.stats();
    let (code, out, _) = fix(&server, dir.path(), &["--dry-run"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        outcomes(&out).contains(&("failed".to_string(), "AMI002".to_string())),
        "{out}"
    );
    assert!(
        out.contains("not sent: the finding is in account 444455556666"),
        "{out}"
    );
    let deprecations = |s: &Value| s["EnableImageDeprecation eu-west-1"].as_u64().unwrap_or(0);
    assert_eq!(deprecations(&server.stats()), deprecations(&sent_before));

    // The same image said to be in an account whose role is refused.
    let path = dir.path().join("report.json");
    let text = std::fs::read_to_string(&path)
        .expect("report")
        .replace("444455556666", "999900001111");
    std::fs::write(&path, text).expect("write");
    let (code, out, _) = fix(&server, dir.path(), &["--dry-run", "--role-name", "Audit"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        outcomes(&out).contains(&("failed".to_string(), "AMI002".to_string())),
        "{out}"
    );
    assert!(
        out.contains("could not get credentials") && out.contains("AccessDenied"),
        "{out}"
    );
}

/// Ctrl-C in the middle of `--apply`: the calls in flight finish, no new one
/// starts, and every change made is in the log (exit 130).
#[test]
fn an_interrupted_apply_logs_every_change_it_made() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut doc = images();
    let template = doc["Images"][0].clone();
    let many: Vec<Value> = (0..30)
        .map(|i| {
            let mut image = template.clone();
            image["ImageId"] = json!(format!("ami-0bad{i:013}"));
            image
        })
        .collect();
    doc["Images"] = json!(many);
    let path = dir.path().join("images.json");
    std::fs::write(&path, doc.to_string()).expect("write images");
    let fast = fixture_server(path.to_str().expect("utf-8"), &[]);
    scan(&fast, dir.path(), &["--select", "AMI002,AMI006"], false);
    drop(fast);
    // The same images, each answer 100 ms late.
    let server = fixture_server(path.to_str().expect("utf-8"), &["--latency-ms", "100"]);

    let home = tempfile::tempdir().expect("temp home");
    let log = dir.path().join("amilint-fix.log");
    let url = server.url();
    let child = live_command(home.path())
        .args([
            "fix",
            dir.path().join("report.json").to_str().expect("utf-8"),
        ])
        .args([
            "--apply",
            "--yes",
            "--concurrency",
            "2",
            "--endpoint-url",
            &url,
        ])
        .arg("--log")
        .arg(&log)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    // Wait until some changes are made, then interrupt.
    let started = std::time::Instant::now();
    while changes(&server).len() < 4 {
        assert!(started.elapsed().as_secs() < 30, "no change was made");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = child.wait_with_output().expect("waits");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    let made = changes(&server);
    assert!(made.len() < 60, "it stopped early: {} changes", made.len());
    let logged: Vec<Value> = std::fs::read_to_string(&log)
        .expect("change log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let logged: BTreeSet<(String, String)> = logged
        .iter()
        .filter(|e| e["outcome"] == "applied")
        .map(|e| {
            (
                e["operation"].as_str().unwrap_or_default().to_string(),
                e["image_id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let made: BTreeSet<(String, String)> = made.into_iter().collect();
    assert_eq!(logged, made, "every change made is logged");
    assert!(stdout.contains("not sent: interrupted"), "{stdout}");
}

/// Issue 16: a change log that cannot take a line (`/dev/full`: a full disk)
/// stops `--apply` before its first change.
#[test]
fn issue_16_an_unwritable_change_log_stops_before_any_change() {
    let (dir, server) = serve(&[]);
    scan(&server, dir.path(), &[], false);
    let report = dir.path().join("report.json");
    let url = server.url();
    let (code, out, err) = amilint_live(&[
        "fix",
        report.to_str().expect("utf-8"),
        "--endpoint-url",
        &url,
        "--log",
        "/dev/full",
        "--apply",
        "--yes",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(changes(&server).is_empty(), "{:?}", changes(&server));
}

/// moto implements launch-permission changes and EC2's DryRun answer for them.
#[test]
fn launch_permissions_are_removed_on_moto() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    let made = seed_moto(&moto, 3);
    let (public, shared) = (
        made["eu-west-1"][0].as_str().expect("id"),
        made["eu-west-1"][1].as_str().expect("id"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = ["--select", "AMI006,AMI012", "--max-attempts", "1"];
    let before = scan(&moto, dir.path(), &rules, true);
    assert_eq!(
        before,
        set(&[(public, "AMI006"), (shared, "AMI012")]),
        "moto's findings"
    );

    let named = ["--rule", "AMI006,AMI012"];
    let first = std::fs::read(dir.path().join("report.json")).expect("report");
    let (code, out, err) = fix(&moto, dir.path(), &["--dry-run", named[0], named[1]]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        outcomes(&out),
        set(&[("permitted", "AMI006"), ("permitted", "AMI012")]),
        "{out}"
    );
    assert_eq!(
        scan(&moto, dir.path(), &rules, true),
        before,
        "a dry run changes nothing"
    );

    // `--apply --yes` alone cannot block a launch: nothing is removed.
    let (code, out, err) = fix(&moto, dir.path(), &["--apply", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        outcomes(&out),
        set(&[("skipped", "AMI006"), ("skipped", "AMI012")]),
        "{out}"
    );
    assert_eq!(scan(&moto, dir.path(), &rules, true), before);
    let (code, out, err) = fix(&moto, dir.path(), &["--apply", "--yes", named[0], named[1]]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(scan(&moto, dir.path(), &rules, true), BTreeSet::new());
    // The report again, now stale: the grants are gone, nothing is sent.
    std::fs::write(dir.path().join("report.json"), &first).expect("write");
    let (code, out, err) = fix(&moto, dir.path(), &["--apply", "--yes", named[0], named[1]]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        outcomes(&out),
        set(&[("skipped", "AMI006"), ("skipped", "AMI012")]),
        "{out}"
    );
    assert!(out.contains("no longer there"), "{out}");
}

/// Issue 30: the change log is written ahead. A log that stops taking lines
/// mid-run (here the file-size limit, as a disk that fills up after the
/// run's first line) stops the run before the change it could not announce:
/// nothing is made that the log does not hold.
#[test]
fn issue_30_a_change_the_log_cannot_announce_is_not_made() {
    let (dir, server) = serve(&[]);
    scan(&server, dir.path(), &[], false);
    let report = dir.path().join("report.json");
    let log = dir.path().join("fix.log");
    // Earlier runs' lines: 824 bytes. `ulimit -f 2` allows 1,024: room for
    // the run's first line (~90 bytes), not for a call's (~400).
    std::fs::write(&log, format!("{}\n", "x".repeat(823))).expect("log");
    let home = tempfile::tempdir().expect("home");
    let url = server.url();
    let mut cmd = live_command(home.path());
    let amilint = cmd.get_program().to_owned();
    let out = cmd
        .env("PATH", "/usr/bin:/bin")
        .args([
            "fix",
            report.to_str().expect("utf-8"),
            "--endpoint-url",
            &url,
            "--log",
            log.to_str().expect("utf-8"),
            "--apply",
            "--yes",
        ])
        .output_with_limit(&amilint);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("writing the change log"), "{stderr}");
    assert!(stderr.contains("2 call(s) were not sent"), "{stderr}");
    assert!(changes(&server).is_empty(), "{:?}", changes(&server));
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("\"event\":\"start\""), "{text}");
}

/// Runs `cmd`'s program and arguments under `sh` with the file-size limit
/// at 1,024 bytes (`ulimit -f 2`) and SIGXFSZ ignored, so that a write past
/// it fails (EFBIG) instead of killing the process.
trait WithLimit {
    fn output_with_limit(&mut self, program: &std::ffi::OsStr) -> std::process::Output;
}

impl WithLimit for Command {
    fn output_with_limit(&mut self, program: &std::ffi::OsStr) -> std::process::Output {
        let args: Vec<std::ffi::OsString> = self.get_args().map(|a| a.to_owned()).collect();
        let mut sh = Command::new("/bin/sh");
        sh.env_clear();
        for (key, value) in self.get_envs() {
            if let Some(value) = value {
                sh.env(key, value);
            }
        }
        if let Some(dir) = self.get_current_dir() {
            sh.current_dir(dir);
        }
        sh.arg("-c")
            .arg("trap '' XFSZ; ulimit -f 2; exec \"$0\" \"$@\"")
            .arg(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("sh runs")
    }
}

/// Issue 34, safe retirement: an image past its deprecation that nothing
/// references and nobody is shared with gets DisableImage as its fix (undo:
/// EnableImage, in the change log), made only with AMI009 named; one that is
/// referenced, or shared, gets none; and the references are read again right
/// before the call.
#[test]
fn a_deprecated_image_nothing_uses_is_disabled_never_one_in_use() {
    let dir = tempfile::tempdir().expect("temp dir");
    const IDLE: &str = "ami-0d1e00000000000a1";
    const USED: &str = "ami-0d1e00000000000a2";
    const SHARED: &str = "ami-0d1e00000000000a3";
    let image = |id: &str, extra: Value| {
        let mut image = json!({
            "ImageId": id, "Name": id, "OwnerId": "111122223333", "State": "available",
            "Public": false, "LaunchPermissions": [],
            "CreationDate": "2025-01-01T00:00:00.000Z",
            "DeprecationTime": "2026-01-01T00:00:00.000Z",
            "RootDeviceType": "ebs", "VirtualizationType": "hvm",
            "AmilintReferences": [],
        });
        for (k, v) in extra.as_object().expect("object") {
            image[k] = v.clone();
        }
        image
    };
    let images = json!({"Images": [
        image(IDLE, json!({})),
        image(USED, json!({"AmilintReferences": [{"ResourceType": "ec2:LaunchTemplate",
            "Arn": "arn:aws:ec2:eu-west-1:111122223333:launch-template/lt-0123456789abcdef0"}]})),
        image(SHARED, json!({"LaunchPermissions": [{"UserId": "999988887777"}]})),
    ]});
    let path = dir.path().join("images.json");
    std::fs::write(&path, images.to_string()).expect("write images");
    let server = fixture_server(path.to_str().expect("utf-8"), &[]);
    scan(
        &server,
        dir.path(),
        &["--references", "--select", "AMI009"],
        false,
    );
    let report = read_json(&dir.path().join("report.json"));
    let fixes: BTreeSet<[String; 2]> =
        common::findings(&report, ["/image_id", "/remediation/actions/0/operation"])
            .into_iter()
            .collect();
    assert_eq!(
        fixes,
        BTreeSet::from([
            [IDLE.to_string(), "DisableImage".to_string()],
            [USED.to_string(), String::new()],
            [SHARED.to_string(), String::new()],
        ]),
        "{report}"
    );

    // Not named: planned, not made (a launch by the image's id would fail).
    let (code, out, err) = fix(&server, dir.path(), &["--apply", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("can block launches"), "{out}");
    assert_eq!(changes(&server), vec![]);
    // Something started using it since the scan (here: an endpoint whose
    // image has a reference now): read again before the call, not sent.
    let mut now_used = images.clone();
    now_used["Images"][0]["AmilintReferences"] = images["Images"][1]["AmilintReferences"].clone();
    let path = dir.path().join("images-now.json");
    std::fs::write(&path, now_used.to_string()).expect("write images");
    let later = fixture_server(path.to_str().expect("utf-8"), &[]);
    let (code, out, err) = fix(
        &later,
        dir.path(),
        &["--apply", "--yes", "--rule", "AMI009"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("something references the image now"), "{out}");
    assert_eq!(changes(&later), vec![]);
    std::fs::remove_file(dir.path().join("amilint-fix.log")).ok();
    // Named: DryRun first, then made, with its undo in the change log.
    let (code, out, err) = fix(&server, dir.path(), &["--dry-run", "--rule", "AMI009"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(changes(&server), vec![]);
    let (code, out, err) = fix(
        &server,
        dir.path(),
        &["--apply", "--yes", "--rule", "AMI009"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        changes(&server),
        vec![("DisableImage".to_string(), IDLE.to_string())]
    );
    let log = std::fs::read_to_string(dir.path().join("amilint-fix.log")).expect("change log");
    assert!(
        log.contains(&format!(
            "aws ec2 enable-image --image-id {IDLE} --region eu-west-1"
        )),
        "{log}"
    );
    // Again: the image is disabled now, nothing is sent.
    let (code, out, err) = fix(
        &server,
        dir.path(),
        &["--apply", "--yes", "--rule", "AMI009"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no longer available"), "{out}");
    assert_eq!(changes(&server).len(), 1);
}
