//! Hostile and malformed input: every bad export is one clear error with a
//! position (or a documented leniency), never a panic, never a partial report.

use crate::common;

use std::io::Write;

use amilint::input::read_from;
use common::run;

/// Each bad fixture and what its error says (file:line:column and why).
const BAD: &[(&str, &str)] = &[
    ("bad-escape.json", ":1:31: invalid JSON: invalid escape"),
    (
        "bdm-object.json",
        ":1:56: invalid JSON: invalid type: map, expected a sequence",
    ),
    (
        "big-number.json",
        ":1:85: invalid JSON: number out of range",
    ),
    (
        "control-char.json",
        ":1:30: invalid JSON: control character",
    ),
    (
        "deep.json",
        ":1:165: invalid JSON: recursion limit exceeded",
    ),
    ("describe-instances.json", "no `Images` array"),
    (
        "dup-images.json",
        ":1:46: duplicate `Images` key in one page",
    ),
    (
        "dup-key.json",
        ":1:42: invalid JSON: duplicate field `ImageId`",
    ),
    ("empty.json", "empty"),
    (
        "garbage-after.json",
        ":1:36: expected a describe-images document",
    ),
    ("gzip-garbage.json", "invalid gzip header"),
    (
        "id-number.json",
        ":1:29: invalid JSON: invalid type: integer `12345`, expected a string",
    ),
    (
        "image-array.json",
        ":1:13: expected an image object in `Images`",
    ),
    ("image-id-empty.json", ":1:13: image has no `ImageId`"),
    ("images-null.json", "Images"),
    (
        "images-string.json",
        ":1:12: expected an array of images after `Images`",
    ),
    ("infinity.json", ":1:42: invalid JSON: expected value"),
    (
        "invalid-utf8.json",
        ":1:43: invalid JSON: invalid unicode code point",
    ),
    ("lone-surrogate.json", ":1:36: invalid JSON"),
    ("nan.json", ":1:48: invalid JSON: expected value"),
    ("no-image-id.json", "image has no `ImageId`"),
    (
        "null-image.json",
        ":1:13: expected an image object in `Images`",
    ),
    (
        "number-top.json",
        ":1:1: expected a describe-images document",
    ),
    (
        "public-string.json",
        ":1:48: invalid JSON: invalid type: string \"yes\", expected a boolean",
    ),
    (
        "tags-object.json",
        ":1:41: invalid JSON: invalid type: map, expected a sequence",
    ),
    ("trailing-comma.json", "trailing comma"),
    ("truncated.json", ":54:18: unexpected end of input"),
    (
        "unterminated-string.json",
        ":1:31: unexpected end of input inside a string",
    ),
    (
        "utf16.json",
        ":1:1: expected a describe-images document (`{` or `[`), found byte 0xff",
    ),
    ("wrong-type.json", "invalid type"),
];

#[test]
fn every_bad_export_is_one_clear_error_and_no_report() {
    let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/bad"))
        .expect("fixtures/bad")
        .count();
    assert_eq!(
        on_disk,
        BAD.len(),
        "every fixture in fixtures/bad is listed here"
    );
    assert!(BAD.len() >= 25);
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    for (file, want) in BAD {
        let path = format!("fixtures/bad/{file}");
        let (code, out, err) = run(&["scan", &path, "--no-config", "-o", &spec]);
        assert_eq!(code, 2, "{file}: {err}");
        assert!(out.is_empty(), "{file}: nothing on stdout");
        assert!(!report.exists(), "{file}: no report file");
        assert_eq!(err.lines().count(), 1, "{file}: one message: {err}");
        assert!(
            err.starts_with(&format!("error: {path}")),
            "{file}: names the file: {err}"
        );
        assert!(err.contains(want), "{file}: want `{want}` in {err}");
        assert!(!err.contains("panicked"), "{file}");
    }
}

#[test]
fn a_document_cut_anywhere_is_an_error_with_a_position_inside_it() {
    let whole = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/shapes/cli-v2.json"
    ))
    .expect("fixture");
    let end = whole
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .expect("content")
        + 1;
    let mut checked = 0;
    for cut in 0..end {
        let prefix = &whole[..cut];
        let mut images = 0;
        let result = read_from(prefix, "cut.json", |_| images += 1);
        let err = result.expect_err(&format!(
            "a document cut at byte {cut} was accepted ({images} images)"
        ));
        let text = err.to_string();
        assert!(text.starts_with("cut.json"), "{text}");
        if let amilint::error::InputError::Syntax { line, .. } = err {
            let lines = prefix.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            assert!(
                line <= lines,
                "cut at {cut}: line {line} is past the end ({lines})"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, end);
}

#[test]
fn documented_leniencies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path.to_str().expect("utf-8").to_string()
    };
    let scanned = |path: &str| -> u64 {
        let (code, out, err) = run(&[
            "scan",
            path,
            "--no-config",
            "--format",
            "json",
            "--fail-on",
            "never",
        ]);
        assert_eq!(code, 0, "{err}");
        let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
        doc["summary"]["images_scanned"].as_u64().expect("count")
    };
    // A UTF-8 byte order mark is skipped.
    assert_eq!(
        scanned(&write(
            "bom.json",
            "\u{feff}{\"Images\": [{\"ImageId\": \"ami-1\"}]}".as_bytes()
        )),
        1
    );
    // JSON Lines cut exactly at a line end is a valid, shorter file: undetectable.
    assert_eq!(
        scanned(&write(
            "lines.jsonl",
            b"{\"ImageId\": \"ami-1\"}\n{\"ImageId\": \"ami-2\"}\n"
        )),
        2
    );
    // Fields and values that do not exist yet scan cleanly.
    let future = write(
        "future.json",
        br#"{"Images": [{"ImageId": "ami-1", "BootMode": "uefi-2030", "State": "hibernating",
            "Platform": "fuchsia", "QuantumSupport": {"Qubits": 7}, "ImdsSupport": "v3.0"}], "NextToken": null}"#,
    );
    let (code, out, err) = run(&[
        "scan",
        &future,
        "--no-config",
        "--format",
        "json",
        "--select",
        "ALL",
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["images_scanned"], 1);
    assert!(doc["errors"].as_array().is_some_and(Vec::is_empty));
}

/// An export with a string of `mb` MiB in its first image.
fn export_with_big_string(dir: &std::path::Path, mb: usize) -> String {
    let path = dir.join(format!("big-{mb}.json"));
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(br#"{"Images": [{"ImageId": "ami-1", "ImdsSupport": "v2.0", "Description": ""#)
        .expect("write");
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..mb {
        file.write_all(&chunk).expect("write");
    }
    file.write_all(br#""}, {"ImageId": "ami-2"}]}"#)
        .expect("write");
    path.to_str().expect("utf-8").to_string()
}

#[test]
fn a_twenty_megabyte_string_is_read_and_a_hundred_megabyte_image_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = export_with_big_string(dir.path(), 20);
    let args = ["--no-config", "--format", "json", "--select", "AMI001"];
    let (code, out, err) = run(&[&["scan", &path][..], &args].concat());
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["images_scanned"], 2);
    assert_eq!(doc["findings"][0]["image_id"], "ami-2");
    assert_eq!(doc["findings"][0]["location"]["line"], 1);
    // Issue 15: memory is bounded by the image limit (32 MiB), not the input.
    let path = export_with_big_string(dir.path(), 100);
    let (code, out, err) = run(&[&["scan", &path][..], &args].concat());
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("a JSON value of more than 32 MiB"), "{err}");
}

#[test]
fn terminal_escapes_in_image_text_never_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("escape.json");
    std::fs::write(
        &path,
        r#"{"Images": [{"ImageId": "ami-1", "Name": "evil\u001b]0;owned\u0007\u001b[2J", "Public": true}]}"#,
    )
    .expect("write");
    let (code, out, _) = run(&[
        "scan",
        path.to_str().expect("utf-8"),
        "--no-config",
        "--select",
        "AMI006",
        "--color",
        "never",
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("evil"), "{out}");
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{7}'),
        "raw escapes in: {out:?}"
    );
}

/// An export big enough that a debug build scans it for a while.
fn many_images(dir: &std::path::Path) -> std::path::PathBuf {
    let input = dir.join("many.json");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).expect("create"));
    file.write_all(b"{\"Images\": [").expect("write");
    for i in 0..300_000 {
        if i > 0 {
            file.write_all(b",").expect("write");
        }
        write!(file, "{{\"ImageId\": \"ami-{i:017x}\", \"Public\": true}}").expect("write");
    }
    file.write_all(b"]}").expect("write");
    drop(file);
    input
}

#[test]
fn an_interrupted_scan_leaves_no_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = many_images(dir.path());
    let report = dir.path().join("report.sarif");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_amilint"))
        .args([
            "scan",
            input.to_str().expect("utf-8"),
            "--no-config",
            "--format",
            "none",
            "-o",
        ])
        .arg(format!("sarif={}", report.display()))
        .spawn()
        .expect("starts");
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(
        !report.exists(),
        "a killed scan must not leave a report behind"
    );
}

/// Ctrl-C, or the SIGTERM of a cancelled CI job: the reports' temporary files
/// are removed too, and the exit code is 130.
#[test]
fn a_signalled_scan_cleans_up_after_itself() {
    for signal in ["-INT", "-TERM"] {
        let dir = tempfile::tempdir().expect("temp dir");
        let input = many_images(dir.path());
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).expect("mkdir");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_amilint"))
            .args([
                "scan",
                input.to_str().expect("utf-8"),
                "--no-config",
                "--format",
                "none",
            ])
            .arg("-o")
            .arg(format!("sarif={}", out_dir.join("r.sarif").display()))
            .arg("-o")
            .arg(format!("json={}", out_dir.join("r.json").display()))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("starts");
        // Wait until both temporary reports exist: the scan is under way.
        let started = std::time::Instant::now();
        while std::fs::read_dir(&out_dir).expect("ls").count() < 2 {
            assert!(
                started.elapsed().as_secs() < 30,
                "the scan never started writing"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let status = std::process::Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
        let out = child.wait_with_output().expect("waits");
        assert_eq!(out.status.code(), Some(130), "{signal}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
        let left: Vec<_> = std::fs::read_dir(&out_dir)
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(left.is_empty(), "{signal} left {left:?}");
    }
}

#[test]
fn issue_15_dev_zero_as_policy_config_or_baseline_is_an_error_not_memory() {
    for args in [
        &["--policy", "/dev/zero"][..],
        &["--config", "/dev/zero"],
        &["--baseline", "/dev/zero"],
    ] {
        let started = std::time::Instant::now();
        let mut all = vec!["scan", "fixtures/examples/describe-images.json"];
        all.extend_from_slice(args);
        let (code, out, err) = run(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains("/dev/zero"), "{args:?}: {err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
}

#[test]
fn issue_15_a_policy_folder_with_symlink_loops_is_walked_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("policies");
    std::fs::create_dir(&root).expect("dir");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/policies/naming-convention.rhai"
        ),
        root.join("p.rhai"),
    )
    .expect("copy");
    std::os::unix::fs::symlink(&root, root.join("a")).expect("symlink");
    std::os::unix::fs::symlink(&root, root.join("b")).expect("symlink");
    let path = root.to_str().expect("utf-8");
    let config = dir.path().join("amilint.toml");
    std::fs::write(&config, "").expect("write");
    let config = config.to_str().expect("utf-8");
    for args in [
        &["config", "check", "--config", config, "--policy", path][..],
        &[
            "scan",
            "fixtures/examples/describe-images.json",
            "--no-config",
            "--policy",
            path,
        ],
    ] {
        let started = std::time::Instant::now();
        let (code, _, err) = run(args);
        assert!(code == 0 || code == 1, "{args:?}: {err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
}

#[test]
fn issue_15_a_deeply_nested_glob_in_the_config_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("amilint.toml");
    let glob = format!("{}a{}", "{".repeat(400), "}".repeat(400));
    std::fs::write(
        &config,
        format!(
            "[[waivers]]\nrules = [\"AMI001\"]\nimages = [\"name:{glob}\"]\nreason = \"x\"\nexpires = \"2099-01-01\"\n"
        ),
    )
    .expect("write");
    let (code, out, err) = run(&[
        "scan",
        "fixtures/examples/describe-images.json",
        "--config",
        config.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("nests braces"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Issue 16: a grantee crafted to close the CLI shorthand and open an `Add`
/// never reaches a command, a report's actions or `amilint fix`: the finding
/// stays, without a fix.
#[test]
fn issue_16_a_crafted_grantee_never_turns_a_fix_into_a_grant() {
    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("export.json");
    std::fs::write(
        &export,
        r#"{"Images": [{"ImageId": "ami-0123456789abcdef0", "Name": "web", "Public": false,
            "OwnerId": "111122223333",
            "LaunchPermissions": [{"UserId": "999988887777}],Add=[{Group=all"}]}]}"#,
    )
    .expect("write");
    let path = export.to_str().expect("utf-8");
    let (code, text, err) = run(&[
        "scan",
        path,
        "--no-config",
        "--select",
        "AMI012",
        "--show-fixes",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(!text.contains("aws ec2"), "{text}");
    assert!(text.contains("no fix shown"), "{text}");
    let (code, json, _) = run(&[
        "scan",
        path,
        "--no-config",
        "--select",
        "AMI012",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    let finding = &doc["findings"][0];
    assert_eq!(finding["rule_id"], "AMI012");
    assert_eq!(finding["remediation"]["actions"], serde_json::json!([]));
    assert_eq!(finding["remediation"]["commands"], serde_json::json!([]));
    let report = dir.path().join("report.json");
    std::fs::write(&report, &json).expect("write");
    let (code, plan, err) = run(&["fix", report.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    assert!(!plan.contains("aws ec2"), "{plan}");
    // A report tampered to carry the value as an action is refused whole.
    let tampered = json.replacen(
        "\"actions\":[]",
        r#""actions":[{"operation":"ModifyImageAttribute","input":{"ImageId":"ami-0123456789abcdef0","LaunchPermission":{"Remove":[{"UserId":"1}],Add=[{Group=all"}]}}}]"#,
        1,
    );
    assert_ne!(tampered, json);
    std::fs::write(&report, &tampered).expect("write");
    let (code, _, err) = run(&["fix", report.to_str().expect("utf-8")]);
    assert_eq!(code, 2);
    assert!(err.contains("account id"), "{err}");
}
