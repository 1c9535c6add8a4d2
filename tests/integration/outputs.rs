//! Reports are complete or absent, and amilint never replaces a file the
//! user did not name as a report (issue 15): devices, FIFOs, `/dev/stdout`,
//! `-` and symlinks; an output on an input or on another output; a later
//! output failing; standard output on a regular file; a closed pipe.

use crate::common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{NOW, run};

use crate::common::EXAMPLE;

fn amilint() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("amilint"));
    cmd.env_clear().current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn scan_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["scan", "--no-config", "--now", NOW];
    args.extend_from_slice(extra);
    args
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn issue_15_dev_null_stays_a_device() {
    let (code, out, err) = run(&scan_args(&[
        EXAMPLE,
        "--format",
        "none",
        "-o",
        "json=/dev/null",
        "-o",
        "sarif=/dev/null",
    ]));
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    let meta = fs::metadata("/dev/null").expect("/dev/null");
    assert!(meta.file_type().is_char_device(), "/dev/null was replaced");
}

#[test]
fn issue_15_a_new_file_under_dev_shm_is_an_ordinary_report() {
    let dir = tempfile::tempdir_in("/dev/shm").expect("tmpfs dir");
    let path = dir.path().join("report.json");
    let spec = format!("json={}", path.display());
    let (code, _, err) = run(&scan_args(&[EXAMPLE, "--format", "none", "-o", &spec]));
    assert_eq!(code, 1, "{err}");
    assert!(fs::metadata(&path).expect("written").is_file());
}

#[test]
fn issue_15_dev_stdout_and_dash_write_to_standard_output() {
    for path in ["/dev/stdout", "/dev/fd/1", "-"] {
        let spec = format!("sarif={path}");
        let (code, out, err) = run(&scan_args(&[EXAMPLE, "--format", "none", "-o", &spec]));
        assert_eq!(code, 1, "{path}: {err}");
        let doc: serde_json::Value = serde_json::from_str(&out).expect("SARIF on stdout");
        assert_eq!(doc["version"], "2.1.0");
    }
    assert!(
        fs::symlink_metadata("/dev/stdout")
            .expect("exists")
            .file_type()
            .is_symlink()
    );
    assert!(!Path::new(env!("CARGO_MANIFEST_DIR")).join("-").exists());
    // Two reports on standard output is a usage error.
    let (code, out, err) = run(&scan_args(&[EXAMPLE, "-o", "json=-"]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("standard output"), "{err}");
}

#[test]
fn issue_15_a_symlink_is_written_through_to_its_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("real.json");
    fs::write(&target, "old").expect("write");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("real.json", &link).expect("symlink");
    let spec = format!("json={}", link.display());
    let (code, _, err) = run(&scan_args(&[EXAMPLE, "--format", "none", "-o", &spec]));
    assert_eq!(code, 1, "{err}");
    assert!(
        fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&target).expect("target")).expect("report");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(entries(dir.path()), ["link.json", "real.json"]);
}

#[test]
fn issue_15_a_fifo_is_written_as_a_stream() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            fs::File::open(&fifo)
                .expect("open fifo")
                .read_to_string(&mut text)
                .expect("read fifo");
            text
        })
    };
    let spec = format!("json={}", fifo.display());
    let (code, _, err) = run(&scan_args(&[EXAMPLE, "--format", "none", "-o", &spec]));
    assert_eq!(code, 1, "{err}");
    let text = reader.join().expect("reader");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("report");
    assert_eq!(doc["schema_version"], 1);
    assert!(
        fs::symlink_metadata(&fifo)
            .expect("fifo")
            .file_type()
            .is_fifo()
    );
}

#[test]
fn issue_15_an_output_on_the_input_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("export.json");
    fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE), &export).expect("copy");
    let before = fs::read(&export).expect("read");
    let input = export.to_str().expect("utf-8");
    let spec = format!("json={input}");
    let (code, out, err) = run(&scan_args(&[input, "-o", &spec]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("is the input"), "{err}");
    assert_eq!(fs::read(&export).expect("read"), before);
    // Through a symlink too.
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&export, &link).expect("symlink");
    let spec = format!("json={}", link.display());
    let (code, _, err) = run(&scan_args(&[input, "-o", &spec]));
    assert_eq!(code, 2, "{err}");
    assert_eq!(fs::read(&export).expect("read"), before);
}

#[test]
fn issue_15_two_outputs_on_one_path_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("a.out");
    let json = format!("json={}", out_path.display());
    let sarif = format!("sarif={}", out_path.display());
    let (code, _, err) = run(&scan_args(&[EXAMPLE, "-o", &json, "-o", &sarif]));
    assert_eq!(code, 2);
    assert!(err.contains("both name"), "{err}");
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn issue_15_a_failing_output_commits_no_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.json");
    let json = format!("json={}", good.display());
    // A directory as a path: refused before the scan, nothing written.
    let sarif = format!("sarif={}", dir.path().display());
    let (code, _, err) = run(&scan_args(&[EXAMPLE, "-o", &json, "-o", &sarif]));
    assert_eq!(code, 2);
    assert!(err.contains("directory"), "{err}");
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    // A full disk on standard output: the -o file is not committed either.
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = amilint()
        .args(scan_args(&[EXAMPLE, "--format", "json", "-o", &json]))
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stdout"), "{err}");
    assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
}

#[test]
fn issue_15_stdout_on_a_file_is_written_in_place_and_cut_back_on_failure() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let stdout = fs::File::create(&report).expect("create");
    let out = amilint()
        .args(scan_args(&[EXAMPLE, "--format", "json"]))
        .stdout(stdout)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("read")).expect("report");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(
        entries(dir.path()),
        ["report.json"],
        "no spool or temp file"
    );

    // Appending (`>>`) to a log, then the second input fails: the log is
    // cut back to what it held.
    let log = dir.path().join("log.txt");
    fs::write(&log, "earlier\n").expect("write");
    let append = fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open");
    let out = amilint()
        .args(scan_args(&[
            EXAMPLE,
            "fixtures/bad/truncated.json",
            "--format",
            "json",
        ]))
        .stdout(append)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read_to_string(&log).expect("read"), "earlier\n");
}

#[test]
fn issue_15_a_closed_pipe_ends_with_0_for_every_command() {
    for args in [
        &["schema"][..],
        &["rules", "--format", "json"],
        &["rules"],
        &["man"],
        &["explain", "AMI001"],
        &["completions", "bash"],
        &["scan", "--no-config", EXAMPLE, "--format", "json"],
        &["scan", "--no-config", EXAMPLE],
    ] {
        let mut child = amilint()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        // Close the read end at once: the first write meets a closed pipe.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn issue_15_policy_errors_reach_stderr_whatever_the_format() {
    for format in ["json", "sarif", "none"] {
        let (code, _, err) = run(&scan_args(&[
            EXAMPLE,
            "--format",
            format,
            "--policy",
            "fixtures/policies/runtime-error.rhai",
        ]));
        assert_eq!(code, 2, "{format}");
        assert!(err.contains("amilint: error:"), "{format}: {err}");
        assert!(err.contains("runtime-error.rhai"), "{format}: {err}");
    }
}

#[test]
fn issue_15_an_output_on_the_file_stdin_reads_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("export.json");
    fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE), &export).expect("copy");
    let before = fs::read(&export).expect("read");
    for spec in ["json=/dev/stdin", "json=/dev/fd/0"] {
        let out = amilint()
            .args(scan_args(&["-", "--format", "none", "-o", spec]))
            .stdin(fs::File::open(&export).expect("open"))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{spec}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("standard input reads"), "{spec}: {err}");
        assert_eq!(fs::read(&export).expect("read"), before, "{spec}");
    }
}

/// The ratchet: the last report is the baseline, and the new one replaces it.
#[test]
fn a_report_may_replace_its_own_baseline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let spec = format!("json={}", report.display());
    let (code, _, err) = run(&scan_args(&[EXAMPLE, "--format", "none", "-o", &spec]));
    assert_eq!(code, 1, "{err}");
    let path = report.to_str().expect("utf-8");
    let (code, _, err) = run(&scan_args(&[
        EXAMPLE,
        "--format",
        "none",
        "--baseline",
        path,
        "-o",
        &spec,
    ]));
    assert_eq!(code, 0, "nothing new: {err}");
    let doc: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("read")).expect("report");
    assert_eq!(doc["findings"][0]["baseline_state"], "unchanged");
}

/// Issue 30: standard output redirected to a regular file is left as it was
/// found, or holds one complete report — with its file offset (shared with
/// the shell) back where it started, so the next writer leaves no NUL hole:
/// a scan that fails after megabytes were written in place, and one stopped
/// by SIGTERM mid-write.
#[test]
fn issue_30_stdout_on_a_file_is_left_as_found_after_a_failure_or_a_signal() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Megabytes of findings, past the writer's 1 MiB buffer.
    let big = dir.path().join("big.json");
    fs::write(&big, common::four_finding_export(20_000, 0x30)).expect("export");
    let big = big.display().to_string();
    let out_path = dir.path().join("out.json");
    let shell = |script: &str| {
        let out = fs::File::create(&out_path).expect("create");
        let status = Command::new("/bin/sh")
            .env_clear()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .arg("-c")
            .arg(script)
            .arg(assert_cmd::cargo::cargo_bin("amilint"))
            .arg(&big)
            .arg(NOW)
            .stdout(out)
            .stderr(Stdio::null())
            .status()
            .expect("sh runs");
        assert!(status.success());
        fs::read(&out_path).expect("read")
    };
    // The second input is bad: the scan fails after the first one's report
    // was written in place; `echo` then writes where the file was found.
    let got = shell(
        "\"$0\" scan --no-config --now \"$2\" \"$1\" fixtures/bad/truncated.json --format json; echo next",
    );
    assert!(
        !got.contains(&0),
        "a NUL hole of {} bytes",
        got.iter().filter(|b| **b == 0).count()
    );
    assert_eq!(got, b"next\n");

    // SIGTERM mid-write (a cancelled CI job): as found, or one whole report.
    for delay in ["0.05", "0.2", "0.5"] {
        let got = shell(&format!(
            "\"$0\" scan --no-config --now \"$2\" \"$1\" --format json & pid=$!; sleep {delay}; kill -TERM $pid; wait $pid; echo next"
        ));
        assert!(!got.contains(&0), "{delay}: a NUL hole");
        let text = String::from_utf8(got).expect("utf-8");
        let report = text.strip_suffix("next\n").expect("next last");
        if !report.is_empty() {
            let doc: serde_json::Value = serde_json::from_str(report).expect("one whole report");
            assert_eq!(doc["summary"]["images_scanned"], 20_000, "{delay}");
        }
    }
}
