//! Issue 18: the snapshots behind each image. Offline (`--snapshots-file`,
//! every shape, past every buffer), live (`--snapshots` against the fixture
//! endpoint and moto), the saved export, and `amilint fix` on snapshots.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use crate::common::servers::{Server, fixture_server, start_moto, venv_bin};
use crate::common::{self, NOW};

use crate::common::EXAMPLE;
const SNAPSHOTS: &str = "fixtures/examples/describe-snapshots.json";
const PERMISSIONS: &str = "fixtures/examples/snapshot-permissions.json";
const GOLDEN: &str = "ami-0a1b2c3d4e5f60718";
const PAYMENTS: &str = "ami-05e6f7a8b9c0d1e2f";
const CI_RUNNER: &str = "ami-09f8e7d6c5b4a3921";
const SNAPSHOT_RULES: &str = "AMI003,AMI018,AMI020,AMI021,AMI022";

fn report(out: &str, err: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("JSON report ({e}): {out}\n{err}"))
}

/// (image, rule, pointer) of every finding.
fn keys(doc: &Value) -> BTreeSet<(String, String, String)> {
    common::findings(doc, ["/image_id", "/rule_id", "/location/pointer"])
        .into_iter()
        .map(|[image, rule, pointer]| (image, rule, pointer))
        .collect()
}

fn without(
    keys: &BTreeSet<(String, String, String)>,
    rule: &str,
) -> BTreeSet<(String, String, String)> {
    keys.iter().filter(|k| k.1 != rule).cloned().collect()
}

/// `[rules.AMI018]` allowing only another account's keys: the golden image's key is flagged.
fn kms_config(dir: &Path) -> String {
    let path = dir.join("amilint.toml");
    std::fs::write(
        &path,
        "[rules.AMI018]\nallowed_kms_keys = [\"arn:aws:kms:*:444455556666:key/*\"]\n",
    )
    .expect("config");
    path.to_string_lossy().into_owned()
}

fn offline(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["scan", "--now", NOW, "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = common::run(&all);
    (code, report(&out, &err), err)
}

/// The example offline with both snapshot files, the snapshot rules and `config`.
fn offline_with_snapshot_files(config: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        EXAMPLE,
        "--snapshots-file",
        SNAPSHOTS,
        "--snapshots-file",
        PERMISSIONS,
        "--select",
        SNAPSHOT_RULES,
        "--config",
        config,
    ];
    args.extend_from_slice(extra);
    offline(&args)
}

fn key(image: &str, rule: &str, pointer: &str) -> (String, String, String) {
    (image.to_string(), rule.to_string(), pointer.to_string())
}

/// What the example's snapshot data shows, offline or live: the golden
/// image's snapshot shared outside the allowlist and on another key
/// (`kms_config`), the payments image's snapshot public.
fn example_findings() -> [(String, String, String); 3] {
    let permission = "/BlockDeviceMappings/0/Ebs/AmilintSnapshot/CreateVolumePermissions/0";
    [
        key(GOLDEN, "AMI021", permission),
        key(
            GOLDEN,
            "AMI018",
            "/BlockDeviceMappings/0/Ebs/AmilintSnapshot/KmsKeyId",
        ),
        key(PAYMENTS, "AMI020", permission),
    ]
}

#[test]
fn issue_18_snapshot_files_join_to_images_and_findings_point_into_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = kms_config(dir.path());
    let sarif = dir.path().join("r.sarif");
    let sarif_arg = format!("sarif={}", sarif.display());
    let (code, doc, err) = offline_with_snapshot_files(&config, &["-o", &sarif_arg]);
    assert_eq!(code, 1, "{err}");
    let found = keys(&doc);
    let permission = "/BlockDeviceMappings/0/Ebs/AmilintSnapshot/CreateVolumePermissions/0";
    let also = key(PAYMENTS, "AMI003", "/BlockDeviceMappings/0/Ebs/Encrypted");
    for expected in example_findings().into_iter().chain([also]) {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    assert!(
        !found.iter().any(|k| k.1 == "AMI022"),
        "a snapshot missing from the files is unknown, not gone: {found:?}"
    );
    // Findings about a snapshot point at its line in its file; the image's place stays.
    let located: Vec<(String, String, u64, String, u64)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["location"]["field_uri"].is_string())
        .map(|f| {
            (
                f["image_id"].as_str().unwrap_or_default().to_string(),
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["location"]["line"].as_u64().unwrap_or_default(),
                f["location"]["field_uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["location"]["field_line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let text = |path: &str| std::fs::read_to_string(path).expect("fixture");
    let line_of = |path: &str, needle: &str| {
        text(path)
            .lines()
            .position(|l| l.contains(needle))
            .expect("needle") as u64
            + 1
    };
    // The image's own line: that of its AMI003 finding, which is about the image.
    let image_line = |id: &str| {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["image_id"] == id && f["rule_id"] == "AMI003")
            .and_then(|f| f["location"]["line"].as_u64())
            .expect("AMI003 on the image")
    };
    // The image's findings most severe first: AMI021 (high), then AMI018 (medium).
    let expected = vec![
        (
            GOLDEN.to_string(),
            "AMI021".to_string(),
            3,
            PERMISSIONS.to_string(),
            line_of(PERMISSIONS, "\"UserId\"") - 1,
        ),
        (
            GOLDEN.to_string(),
            "AMI018".to_string(),
            3,
            SNAPSHOTS.to_string(),
            line_of(SNAPSHOTS, "\"KmsKeyId\""),
        ),
        (
            PAYMENTS.to_string(),
            "AMI020".to_string(),
            image_line(PAYMENTS),
            PERMISSIONS.to_string(),
            line_of(PERMISSIONS, "\"Group\"") - 1,
        ),
    ];
    assert_eq!(located, expected);
    // SARIF: the snapshot file and line are the physical location; the
    // image and pointer, the logical one.
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif")).expect("json");
    let public = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "AMI020")
        .expect("AMI020 in SARIF");
    let location = &public["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        PERMISSIONS
    );
    assert_eq!(
        public["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        line_of(PERMISSIONS, "\"Group\"") - 1
    );
    assert_eq!(
        location["logicalLocations"][0]["fullyQualifiedName"],
        format!("{PAYMENTS}{permission}")
    );
    // Text names the snapshot file beside the finding.
    let (_, out, _) = common::run(&[
        "scan",
        EXAMPLE,
        "--snapshots-file",
        SNAPSHOTS,
        "--snapshots-file",
        PERMISSIONS,
        "--select",
        "AMI020",
        "--now",
        NOW,
        "--show-fixes",
    ]);
    assert!(
        out.contains(&format!("(at {PERMISSIONS}:"))
            && out.contains("fix: aws ec2 modify-snapshot-attribute --snapshot-id snap-04a5b6c7d8e9f0a1b --attribute createVolumePermission --operation-type remove --group-names all"),
        "{out}"
    );
}

/// `n` images on two snapshots each, and a describe-snapshots export of
/// them with attribute answers: every third snapshot public, every fifth
/// shared, every seventh unencrypted; an attribute answer for each.
/// Pretty-printed like the AWS CLI.
fn big_export(dir: &Path, n: usize) -> (String, String) {
    let snap = |i: usize| format!("snap-{i:017x}");
    let images: Vec<Value> = (0..n)
        .map(|i| {
            json!({"ImageId": format!("ami-{i:017x}"), "Name": format!("img-{i}"), "OwnerId": "111122223333",
                "State": "available", "BlockDeviceMappings": [
                    {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snap(2 * i), "VolumeSize": 8}},
                    {"DeviceName": "/dev/xvdb", "Ebs": {"SnapshotId": snap(2 * i + 1), "VolumeSize": 8}}]})
        })
        .collect();
    let snapshots: Vec<Value> = (0..2 * n)
        .map(|i| {
            let mut s = json!({"Description": format!("disk {i} {{\"x\"}}"), "Encrypted": i % 7 != 0,
                "OwnerId": "111122223333", "Progress": "100%", "SnapshotId": snap(i),
                "StartTime": "2026-01-01T00:00:00.000Z", "State": "completed",
                "VolumeId": format!("vol-{i:017x}"), "VolumeSize": 8});
            if i % 7 != 0 {
                s["KmsKeyId"] = json!("arn:aws:kms:eu-west-1:111122223333:key/k");
            }
            s
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({"Snapshots": snapshots})).expect("json");
    text.push('\n');
    // One answer per snapshot, as a loop over describe-snapshot-attribute makes.
    for i in 0..2 * n {
        let grants = if i % 3 == 0 {
            json!([{"Group": "all"}])
        } else if i % 5 == 0 {
            json!([{"UserId": "999988887777"}])
        } else {
            json!([])
        };
        let answer = json!({"CreateVolumePermissions": grants, "SnapshotId": snap(i)});
        text.push_str(&serde_json::to_string_pretty(&answer).expect("json"));
        text.push('\n');
    }
    let images_path = dir.join("images.json");
    let snapshots_path = dir.join("snapshots.json");
    std::fs::write(
        &images_path,
        serde_json::to_string_pretty(&json!({"Images": images})).expect("json"),
    )
    .expect("write");
    std::fs::write(&snapshots_path, text).expect("write");
    (
        images_path.to_string_lossy().into_owned(),
        snapshots_path.to_string_lossy().into_owned(),
    )
}

#[test]
fn issue_18_big_snapshot_exports_give_the_same_findings_from_a_file_a_pipe_and_gzip() {
    let dir = tempfile::tempdir().expect("temp dir");
    let n = 5200;
    let (images, snapshots) = big_export(dir.path(), n);
    let size = std::fs::metadata(&snapshots).expect("size").len();
    assert!(
        size > 4 << 20,
        "past the read buffer and a parse batch: {size}"
    );
    let gz = dir.path().join("snapshots.json.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(&std::fs::read(&snapshots).expect("read"))
        .expect("gzip");
    encoder.finish().expect("gzip");
    let rules = ["--select", "AMI003,AMI020,AMI021"];
    let (_, from_file, err) = offline(
        &[
            &[images.as_str(), "--snapshots-file", &snapshots],
            &rules[..],
        ]
        .concat(),
    );
    let found = keys(&from_file);
    assert_eq!(
        found.iter().filter(|k| k.1 == "AMI020").count(),
        (2 * n).div_ceil(3),
        "{err}"
    );
    assert_eq!(
        found.iter().filter(|k| k.1 == "AMI021").count(),
        (0..2 * n).filter(|i| i % 5 == 0 && i % 3 != 0).count()
    );
    // AMI003: the images say nothing of encryption; the snapshots do.
    let unencrypted_images = (0..n)
        .filter(|i| (2 * i) % 7 == 0 || (2 * i + 1) % 7 == 0)
        .count();
    assert_eq!(
        found.iter().filter(|k| k.1 == "AMI003").count(),
        unencrypted_images
    );
    let (_, from_gzip, _) = offline(
        &[
            &[
                images.as_str(),
                "--snapshots-file",
                gz.to_str().expect("utf-8"),
            ],
            &rules[..],
        ]
        .concat(),
    );
    assert_eq!(keys(&from_gzip), found, "gzip");
    // Through a pipe, a few bytes at a time.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_amilint"));
    cmd.args([
        "scan",
        images.as_str(),
        "--snapshots-file",
        "-",
        "--now",
        NOW,
    ])
    .args(rules)
    .args(["--format", "json"])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let bytes = std::fs::read(&snapshots).expect("read");
    let feeder = std::thread::spawn(move || {
        for piece in bytes.chunks(4093) {
            stdin.write_all(piece).expect("pipe");
        }
    });
    let out = child.wait_with_output().expect("runs");
    feeder.join().expect("feeder");
    let from_pipe: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(keys(&from_pipe), found, "pipe");
}

#[test]
fn issue_18_bad_snapshot_files_and_misuse_fail_before_any_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n    \"Snapshots\": [\n        {\n            \"SnapshotId\": \"snap-0123456789abcdef0\",\n            \"Encrypted\": \"yes\"\n        }\n    ]\n}\n",
    )
    .expect("write");
    let bad = bad.to_string_lossy().into_owned();
    let report = dir.path().join("r.json");
    let report_arg = format!("json={}", report.display());
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["scan", EXAMPLE, "--snapshots-file", &bad, "-o", &report_arg],
            format!("{bad}:5:"),
        ),
        (
            vec![
                "scan",
                EXAMPLE,
                "--snapshots-file",
                EXAMPLE,
                "-o",
                &report_arg,
            ],
            "no `Snapshots` array in this document (is it describe-snapshots output?)".to_string(),
        ),
        (
            vec![
                "scan",
                EXAMPLE,
                "--snapshots-file",
                SNAPSHOTS,
                "--snapshots-file",
                SNAPSHOTS,
            ],
            "has a describe-snapshots item twice".to_string(),
        ),
        (
            vec!["scan", "-", "--snapshots-file", "-"],
            "standard input (`-`) can be read only once".to_string(),
        ),
        (
            vec![
                "scan",
                "--aws",
                "--no-guardrails",
                "--snapshots-file",
                SNAPSHOTS,
            ],
            "cannot be used with".to_string(),
        ),
        (
            vec![
                "preflight",
                "fixtures/requests/register-image.json",
                "--snapshots-file",
                SNAPSHOTS,
            ],
            "a preflight lints requests".to_string(),
        ),
        (
            vec!["scan", EXAMPLE, "--snapshots"],
            "--snapshots is for live scans: it needs --aws".to_string(),
        ),
        (
            vec!["scan", EXAMPLE, "--save", "saved.json"],
            "--save is for live scans: it needs --aws".to_string(),
        ),
    ];
    for (args, expected) in cases {
        let (code, out, err) = common::run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(&expected), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(!report.exists(), "{args:?}: a report was written");
    }
}

// ---- live: the fixture endpoint --------------------------------------------

fn serve(extra: &[&str]) -> Server {
    let mut args = vec![
        "--snapshots",
        SNAPSHOTS,
        "--snapshot-permissions",
        PERMISSIONS,
    ];
    args.extend_from_slice(extra);
    fixture_server(EXAMPLE, &args)
}

/// `scan --aws --snapshots` in eu-west-1, one attempt a call, as JSON.
fn live(server: &Server, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--snapshots", "--max-attempts", "1"];
    args.extend_from_slice(extra);
    crate::live::live_json(server, "eu-west-1", &args)
}

#[test]
fn issue_18_live_snapshots_equal_the_saved_export_and_the_snapshot_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = kms_config(dir.path());
    let saved = dir.path().join("saved.json");
    let saved_arg = saved.to_string_lossy().into_owned();
    let server = serve(&["--page-size", "1"]);
    let (code, doc, err) = live(
        &server,
        &[
            "--select",
            SNAPSHOT_RULES,
            "--config",
            &config,
            "--save",
            &saved_arg,
        ],
    );
    assert_eq!(code, 1, "{err}");
    let found = keys(&doc);
    let gone = key(
        CI_RUNNER,
        "AMI022",
        "/BlockDeviceMappings/0/Ebs/AmilintSnapshot/Status",
    );
    for expected in example_findings().into_iter().chain([gone]) {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    // Calls: one page per visible snapshot (page size 1) plus the last, and
    // one attribute call per snapshot the account owns; counted in the report.
    let describe = server.calls("DescribeSnapshots");
    let attribute = server.calls("DescribeSnapshotAttribute");
    assert_eq!((describe, attribute), (2, 2), "{}", server.stats());
    let all: u64 = server
        .stats()
        .as_object()
        .expect("stats")
        .values()
        .map(|v| v.as_u64().unwrap_or_default())
        .sum();
    assert_eq!(doc["scan"]["api_calls"], all, "{}", doc["scan"]);
    // The saved export keeps what was learnt, statuses included; its
    // offline scan gives the same findings.
    let export: Value =
        serde_json::from_slice(&std::fs::read(&saved).expect("saved")).expect("json");
    let statuses: BTreeSet<String> = export["Images"]
        .as_array()
        .expect("images")
        .iter()
        .flat_map(|i| {
            i["BlockDeviceMappings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|m| {
            m["Ebs"]["AmilintSnapshot"]["Status"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        statuses,
        ["found", "not-found", "not-visible"]
            .map(str::to_string)
            .into(),
        "{export}"
    );
    let (_, from_save, _) = offline(&[&saved_arg, "--select", SNAPSHOT_RULES, "--config", &config]);
    assert_eq!(keys(&from_save), found, "the saved export");
    // The snapshot files say the same, but for what only the owner's live
    // account can say: a snapshot that is gone.
    let (_, from_files, _) = offline_with_snapshot_files(&config, &[]);
    assert_eq!(keys(&from_files), without(&found, "AMI022"));
}

#[test]
fn issue_18_a_failing_snapshot_call_is_an_error_and_its_snapshots_stay_unknown() {
    let server = serve(&["--fail-action", "DescribeSnapshots"]);
    // AMI018 needs its allowlist (issue 22: named without it is an error).
    let (code, doc, err) = live(&server, &["--select", "AMI003,AMI020,AMI021,AMI022"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("DescribeSnapshots") && err.contains("UnauthorizedOperation"),
        "{err}"
    );
    let found = keys(&doc);
    assert!(
        !found
            .iter()
            .any(|k| ["AMI020", "AMI021", "AMI022"].contains(&k.1.as_str())),
        "no finding from data that was not read: {found:?}"
    );
    assert!(
        err.contains("AMI022 skipped on"),
        "the rules say they did not run: {err}"
    );
}

#[test]
fn issue_18_snapshot_fixes_are_planned_dry_run_and_applied_on_the_fixture_endpoint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = serve(&[]);
    // The report where `fix::fix` reads it.
    let report_arg = format!("json={}", dir.path().join("report.json").display());
    let (code, _, err) = live(&server, &["--select", "AMI020,AMI021", "-o", &report_arg]);
    assert_eq!(code, 1, "{err}");
    let fix = |args: &[&str]| crate::fix::fix(&server, dir.path(), args);
    let (code, out, err) = fix(&["--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("permitted")).count(),
        2,
        "{out}"
    );
    assert!(
        server
            .get("/__changes")
            .as_array()
            .expect("changes")
            .is_empty()
    );
    let (code, out, err) = fix(&["--apply", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let changes = server.get("/__changes");
    let changed: BTreeSet<(String, String)> = changes
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap_or_default().to_string(),
                c["image"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("ModifySnapshotAttribute", "snap-04a5b6c7d8e9f0a1b"),
            ("ModifySnapshotAttribute", "snap-0f1e2d3c4b5a69788"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .into()
    );
    let log = std::fs::read_to_string(dir.path().join("amilint-fix.log")).expect("log");
    assert!(
        log.contains("--operation-type add --group-names all"),
        "the log says how to undo: {log}"
    );
    let (code, doc, err) = live(&server, &["--select", "AMI020,AMI021"]);
    assert_eq!(code, 0, "{err}");
    assert!(keys(&doc).is_empty());
}

// ---- live: moto --------------------------------------------------------------

#[test]
fn issue_18_snapshot_permissions_are_found_and_removed_on_moto() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    let seed = std::process::Command::new(venv_bin("python"))
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/live/seed_moto_snapshots.py"
        ))
        .arg(moto.url())
        .output()
        .expect("the seed script runs");
    assert!(
        seed.status.success(),
        "{}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let made: Value = serde_json::from_slice(&seed.stdout).expect("seed output");
    let image = |case: &str| made["images"][case].as_str().expect("id").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let report_arg = format!("json={}", dir.path().join("report.json").display());
    let scan = || {
        let (code, doc, err) = live(
            &moto,
            &["--select", "AMI020,AMI021,AMI022", "-o", &report_arg],
        );
        assert!([0, 1].contains(&code), "{err}");
        keys(&doc)
            .into_iter()
            .map(|(image, rule, _)| (image, rule))
            .collect::<BTreeSet<_>>()
    };
    let before = scan();
    assert_eq!(
        before,
        [(image("public"), "AMI020"), (image("shared"), "AMI021")]
            .map(|(i, r)| (i, r.to_string()))
            .into()
    );
    let fix = |args: &[&str]| crate::fix::fix(&moto, dir.path(), args);
    let (code, out, err) = fix(&["--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("permitted")).count(),
        2,
        "{out}"
    );
    assert_eq!(scan(), before, "a dry run changes nothing");
    let (code, out, err) = fix(&["--apply", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(scan(), BTreeSet::new(), "moto's snapshots are private now");
}

/// Issue 34: who manages the keys of shared images' snapshots is read live
/// (KMS DescribeKey, once per key of a shared image's encrypted snapshot) and
/// AMI028 finds the shared images whose snapshots use an AWS managed key,
/// the same live as offline from the rule's fixture; a denied DescribeKey
/// leaves AMI028 not assessed, with a note, not an error.
#[test]
fn issue_34_shared_images_on_aws_managed_keys_are_found_live_as_offline() {
    const FIXTURE: &str = "fixtures/rules/AMI028.json";
    let flagged = |doc: &Value| -> BTreeSet<String> {
        common::findings(doc, ["/image_id"])
            .into_iter()
            .map(|[id]| id)
            .collect()
    };
    let (_, offline, err) = common::Scan::of(&[FIXTURE])
        .no_config()
        .args(&["--select", "AMI028"])
        .json();
    let expected = flagged(&offline);
    assert_eq!(expected.len(), 2, "{err}");

    let server = fixture_server(FIXTURE, &[]);
    let args = ["--attributes", "--snapshots", "--select", "AMI028"];
    let (code, doc, err) = crate::live::live_json(&server, "eu-west-1", &args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(flagged(&doc), expected, "{err}");
    // One call per distinct key of a shared image's encrypted snapshot (an
    // AWS managed one and a customer's), not one per snapshot.
    assert_eq!(server.calls("DescribeKey"), 2);

    let denied = fixture_server(FIXTURE, &["--fail-action", "DescribeKey"]);
    let (code, doc, err) = crate::live::live_json(&denied, "eu-west-1", &args);
    assert_eq!(code, 2, "asked for by name: {err}");
    assert!(flagged(&doc).is_empty(), "{doc}");
    assert!(
        err.contains(
            "AMI028 not assessed in 1 of 1 scopes: kms:DescribeKey denied (AccessDeniedException)"
        ),
        "{err}"
    );
    let (code, _, err) =
        crate::live::live_json(&denied, "eu-west-1", &["--attributes", "--snapshots"]);
    assert!(code < 2, "not named: a note, not an error: {err}");
    assert!(err.contains("AMI028 not assessed"), "{err}");
}
