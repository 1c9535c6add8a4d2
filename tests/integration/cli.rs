//! The command line: exit codes, bad input, input shapes, outputs.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use crate::common::EXAMPLE;
use crate::common::NOW;

use crate::common;
use common::{amilint, finding_keys, run};

#[test]
fn help_is_stable() {
    let (code, out, _) = run(&["scan", "--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn exit_codes_follow_fail_on() {
    let (code, out, _) = run(&["scan", EXAMPLE, "--now", NOW]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("AMI006[public-image]"));
    // Only critical findings count with --fail-on critical: the example has two.
    assert_eq!(
        run(&["scan", EXAMPLE, "--now", NOW, "--fail-on", "critical"]).0,
        1
    );
    assert_eq!(
        run(&[
            "scan",
            EXAMPLE,
            "--now",
            NOW,
            "--fail-on",
            "critical",
            "--ignore",
            "AMI006"
        ])
        .0,
        0
    );
    assert_eq!(
        run(&["scan", EXAMPLE, "--now", NOW, "--fail-on", "never"]).0,
        0
    );
    assert_eq!(run(&["scan", EXAMPLE, "--now", NOW, "--exit-zero"]).0, 0);
    // A clean image passes.
    let (code, out, _) = run(&[
        "scan",
        "fixtures/rules/AMI001.json",
        "--select",
        "AMI006",
        "--now",
        NOW,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Found 0 findings"), "{out}");
}

/// `amilint scan EXAMPLE --now NOW --format json EXTRA…`, returning stdout.
fn scan_example_json(extra: &[&str]) -> String {
    common::Scan::of(&[EXAMPLE]).args(extra).run().1
}

#[test]
fn select_ignore_and_severity_overrides() {
    let out = scan_example_json(&["--select", "AMI003,public-image"]);
    let rules: BTreeSet<String> = finding_keys(&out).into_iter().map(|k| k.1).collect();
    assert_eq!(
        rules,
        BTreeSet::from(["AMI003".to_string(), "AMI006".to_string()])
    );

    let out = scan_example_json(&["--select", "ALL", "--ignore", "AMI016"]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let ran: Vec<&str> = doc["scan"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert!(
        ran.contains(&"AMI014") && !ran.contains(&"AMI016"),
        "{ran:?}"
    );

    let out = scan_example_json(&["--select", "AMI003", "--severity", "AMI003=critical"]);
    assert!(out.contains("\"severity\":\"critical\"") && !out.contains("\"severity\":\"high\""));

    for bad in [
        ["--select", "AMI999"],
        ["--ignore", "nope"],
        ["--severity", "AMI003=urgent"],
        ["--now", "yesterday"],
        ["--output", "pdf=x.pdf"],
        ["--output", "sarif=no/such/folder/x.sarif"],
    ] {
        let (code, _, err) = run(&["scan", EXAMPLE, bad[0], bad[1]]);
        assert_eq!(code, 2, "{bad:?}");
        assert!(err.starts_with("error: "), "{bad:?}: {err}");
    }
}

#[test]
fn bad_input_exits_2_naming_file_line_and_column_and_writes_no_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        ("empty.json", "fixtures/bad/empty.json:1:1: empty input"),
        (
            "describe-instances.json",
            "fixtures/bad/describe-instances.json:1:1: no `Images` array",
        ),
        (
            "no-image-id.json",
            "fixtures/bad/no-image-id.json:58:9: image has no `ImageId`",
        ),
        (
            "images-null.json",
            "fixtures/bad/images-null.json:2:15: `Images` is null",
        ),
        (
            "trailing-comma.json",
            "fixtures/bad/trailing-comma.json:6:9: invalid JSON: trailing comma",
        ),
        (
            "truncated.json",
            "fixtures/bad/truncated.json:54:18: unexpected end of input",
        ),
        (
            "wrong-type.json",
            "fixtures/bad/wrong-type.json:5:27: invalid JSON: invalid type",
        ),
    ];
    for (file, expected) in cases {
        let sarif = dir.path().join("out.sarif");
        let out_arg = format!("sarif={}", sarif.display());
        // A good file first: its findings must not be written either.
        let (code, stdout, err) = run(&[
            "scan",
            EXAMPLE,
            &format!("fixtures/bad/{file}"),
            "--output",
            &out_arg,
        ]);
        assert_eq!(code, 2, "{file}");
        assert!(err.contains(expected), "{file}: {err}");
        assert!(
            stdout.is_empty(),
            "{file}: partial report on stdout: {stdout}"
        );
        assert!(!sarif.exists(), "{file}: a report was written");
    }
    let (code, _, err) = run(&["scan", "fixtures/does-not-exist.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("fixtures/does-not-exist.json"), "{err}");
}

#[test]
fn every_export_shape_gives_the_same_findings() {
    let reference = run(&[
        "scan",
        "fixtures/shapes/cli-v2.json",
        "--now",
        NOW,
        "--format",
        "json",
    ])
    .1;
    let expected = finding_keys(&reference);
    assert!(expected.len() >= 10);
    for shape in [
        "cli-v1.json",
        "boto3-dump.json",
        "bare-array.json",
        "images.jsonl",
        "pages.jsonl",
        "concatenated-pages.json",
    ] {
        let path = format!("fixtures/shapes/{shape}");
        let (code, out, err) = run(&["scan", &path, "--now", NOW, "--format", "json"]);
        assert_eq!(code, 1, "{shape}: {err}");
        assert_eq!(finding_keys(&out), expected, "{shape}");
        let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(doc["summary"]["images_skipped"], 1, "{shape}");
    }
}

#[test]
fn stdin_gzip_and_several_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("export.json.gz");
    let raw = std::fs::read(EXAMPLE).expect("example");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::default(),
    );
    enc.write_all(&raw).expect("gzip");
    enc.finish().expect("gzip finish");

    let expected = finding_keys(&run(&["scan", EXAMPLE, "--now", NOW, "--format", "json"]).1);
    let (_, out, err) = run(&[
        "scan",
        gz.to_str().expect("utf-8 path"),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(finding_keys(&out), expected, "{err}");

    let out = amilint()
        .args(["scan", "-", "--now", NOW, "--format", "json"])
        .write_stdin(raw.clone())
        .output()
        .expect("runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(finding_keys(&stdout), expected);
    assert!(stdout.contains("\"uri\":\"stdin\""));

    // Two files: findings of both, in command-line order.
    let (_, out, _) = run(&[
        "scan",
        "fixtures/rules/AMI006.json",
        EXAMPLE,
        "--now",
        NOW,
        "--format",
        "json",
        "--select",
        "AMI006",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let uris: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["location"]["uri"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(uris, vec!["fixtures/rules/AMI006.json", EXAMPLE]);

    // A truncated gzip stream is an input error, not a silent partial scan.
    let cut = dir.path().join("cut.json.gz");
    let bytes = std::fs::read(&gz).expect("gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let (code, _, err) = run(&["scan", cut.to_str().expect("utf-8 path")]);
    assert_eq!(code, 2);
    assert!(err.contains("cut.json.gz"), "{err}");
}

#[test]
fn several_outputs_in_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("r.sarif");
    let json = dir.path().join("r.json");
    let (code, out, _) = run(&[
        "scan",
        EXAMPLE,
        "--now",
        NOW,
        "--output",
        &format!("sarif={}", sarif.display()),
        "--output",
        &format!("json={}", json.display()),
    ]);
    assert_eq!(code, 1);
    assert!(out.contains("Found 10 findings"), "{out}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif written")).expect("sarif json");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(10)
    );
    assert_eq!(json["summary"]["findings"], 10);
    // No temporary files are left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(left.len(), 2);
}

#[test]
fn color_only_when_asked_and_no_color_wins() {
    let (_, out, _) = run(&["scan", EXAMPLE, "--now", NOW]);
    assert!(!out.contains('\u{1b}'), "colour on a pipe");
    let (_, out, _) = run(&["scan", EXAMPLE, "--now", NOW, "--color", "always"]);
    assert!(out.contains("\u{1b}["));
}

#[test]
fn rules_and_explain() {
    let (code, out, _) = run(&["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(amilint::rules::BUILTIN.len())
    );
    let (code, out, _) = run(&["explain", "AMI003"]);
    assert_eq!(code, 0);
    assert!(out.contains("unencrypted-ebs-mapping") && out.contains("## Remediation"));
    assert_eq!(run(&["explain", "unencrypted-ebs-mapping"]).1, out);
    assert_eq!(run(&["explain", "AMI999"]).0, 2);
}

#[test]
fn kernel_and_ramdisk_images_are_skipped() {
    let (_, out, _) = run(&["scan", EXAMPLE, "--now", NOW, "--format", "json"]);
    assert!(!out.contains("aki-919dcaf8\","), "kernel image was linted");
    assert!(Path::new(EXAMPLE).exists());
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["images_scanned"], 6);
    assert_eq!(doc["summary"]["images_skipped"], 1);
}

#[cfg(unix)]
#[test]
fn report_files_are_ordinary_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("r.json");
    let write_and_mode = || {
        let spec = format!("json={}", path.display());
        run(&["scan", EXAMPLE, "--format", "none", "--output", &spec]);
        std::fs::metadata(&path)
            .expect("written")
            .permissions()
            .mode()
            & 0o777
    };
    let mode = write_and_mode();
    assert_ne!(mode & 0o044, 0, "report is private to its owner: {mode:o}");
    // A report replacing a file keeps that file's mode.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(write_and_mode(), 0o600);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(
            out.contains("amilint") && out.contains("--fail-on"),
            "{shell}"
        );
    }
    let (code, out, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(".ie") && out.contains(".TH amilint 1"),
        "{}",
        &out[..80.min(out.len())]
    );
    assert!(out.contains("scan") && out.contains("policy"));
    // Issue 22: each command has its own page, with its flags.
    let (code, out, _) = run(&["man", "scan"]);
    assert_eq!(code, 0);
    assert!(
        out.contains(".TH amilint-scan 1") && out.contains("fail\\-on"),
        "{out}"
    );
    let (code, out, _) = run(&["man", "fix"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH amilint-fix 1") && out.contains("dry\\-run"));
    let (code, _, err) = run(&["man", "nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no command `nope`: one of scan, preflight"),
        "{err}"
    );
}

#[test]
fn the_github_action_uses_flags_that_exist() {
    crate::common::externals::needs!(Venv);
    let action = std::fs::read_to_string("action.yml").expect("action.yml");
    let python =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/.venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/test.sh: it installs the test venv"
    );
    let parsed = std::process::Command::new(&python)
        .args(["-c", "import sys, yaml; d = yaml.safe_load(open('action.yml')); assert d['runs']['using'] == 'composite'"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("python runs");
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    for command in ["scan", "preflight"] {
        assert!(action.contains(command), "{command}");
        let (_, help, _) = run(&[command, "--help"]);
        for flag in ["--format", "-o"] {
            assert!(
                action.contains(flag) && help.contains(flag),
                "{command} {flag}"
            );
        }
        for format in ["github", "markdown", "sarif"] {
            assert!(help.contains(format), "{command} {format}");
        }
    }
}

/// Exit codes are public API: the whole table, from the one place that has it.
#[test]
fn issue_17_the_exit_code_table_is_one_snapshot() {
    use amilint::status::Status;
    let table: String = Status::ALL
        .iter()
        .map(|s| format!("{:>3}  {s:?}\n", s.code()))
        .collect();
    insta::assert_snapshot!(table);
    // And the table is what the binary does: 0, 1 and 2 here.
    assert_eq!(
        run(&["scan", EXAMPLE, "--now", NOW, "--fail-on", "never"]).0,
        i32::from(Status::Clean.code())
    );
    assert_eq!(
        run(&["scan", EXAMPLE, "--now", NOW]).0,
        i32::from(Status::Findings.code())
    );
    assert_eq!(
        run(&["scan", "no-such-file.json"]).0,
        i32::from(Status::Error.code())
    );
}

/// Issue 22, in part: values are case-insensitive (`--fail-on HIGH`), a folder
/// given as input says to name its files, and one file named twice (however
/// written) is refused rather than counted twice.
#[test]
fn issue_22_case_insensitive_values_folders_and_files_named_twice() {
    let example = "fixtures/examples/describe-images.json";
    let (code, out, err) = crate::common::run(&[
        "scan",
        example,
        "--no-config",
        "--fail-on",
        "HIGH",
        "--format",
        "JSON",
    ]);
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["scan"]["fail_on"], "high");

    let (code, _, err) = crate::common::run(&["scan", "fixtures/examples", "--no-config"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("`fixtures/examples` is a folder: give the export files in it (e.g. `fixtures/examples/*.json`)"),
        "{err}"
    );

    let twice = format!("./{example}");
    let (code, out, err) = crate::common::run(&["scan", example, &twice, "--no-config"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("is the same file as"), "{err}");
}

/// Issue 22: the verdict is said last (text) and as `summary.gate` (JSON),
/// passed or failed with the count that decided it; an image's findings come
/// most severe first; `-q` prints the findings and the verdict only;
/// `--statistics` counts per rule; `--min-severity` leaves out the findings
/// below it (not counted, not gated on); unknown codes and keys get a
/// "did you mean".
#[test]
fn issue_22_verdict_order_quiet_statistics_min_severity_and_suggestions() {
    let (code, out, _) = run(&["scan", EXAMPLE, "--no-config", "--now", NOW]);
    assert_eq!(code, 1);
    let last = out
        .lines()
        .rev()
        .find(|l| !l.starts_with("hint:"))
        .expect("lines");
    assert_eq!(last, "gate: failed (10 findings at or above low)");
    assert!(out.contains("hint: --show-fixes"), "{out}");
    // buildhost-2019: critical first, then high, medium, low.
    let buildhost: Vec<&str> = out
        .split("\n\n")
        .find(|block| block.contains("(buildhost-2019)"))
        .expect("block")
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(buildhost, ["critical", "high", "medium", "low", "low"]);

    let gated = |fail_on: &str, format: &str| {
        run(&[
            "scan",
            EXAMPLE,
            "--no-config",
            "--now",
            NOW,
            "--fail-on",
            fail_on,
            "--format",
            format,
        ])
    };
    let (code, out, _) = gated("critical", "json");
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        doc["summary"]["gate"],
        serde_json::json!({"status": "failed", "fail_on": "critical", "counted": 1})
    );
    let (code, out, _) = run(&[
        "scan",
        "fixtures/rules/AMI016.json",
        "--no-config",
        "--now",
        NOW,
        "--select",
        "AMI001",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.trim_end()
            .ends_with("gate: passed (0 findings at or above low)"),
        "{out}"
    );
    let (_, out, _) = gated("never", "json");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["gate"]["status"], "off");
    // Issue 35: Markdown's verdict says what the gate did, with no count
    // "at or above never".
    let (code, out, _) = gated("never", "markdown");
    assert_eq!(code, 0);
    assert!(
        out.contains("The gate is off (`--fail-on never`): no finding fails the run.")
            && !out.contains("above never"),
        "{out}"
    );

    let (code, out, err) = run(&["scan", EXAMPLE, "--no-config", "--now", NOW, "-q"]);
    assert_eq!(code, 1);
    assert!(
        !out.contains("note:") && !out.contains("Found ") && !out.contains("hint:"),
        "{out}"
    );
    assert!(out.contains("AMI006[public-image]"));
    assert!(
        out.trim_end()
            .ends_with("gate: failed (10 findings at or above low)")
    );
    assert!(!err.contains("note:"), "{err}");

    let (_, out, _) = run(&["scan", EXAMPLE, "--no-config", "--now", NOW, "--statistics"]);
    let table: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(
        table[0].split_whitespace().collect::<Vec<_>>(),
        ["2", "AMI001", "imdsv2-not-required", "high"]
    );
    assert!(!out.contains("buildhost-2019"), "no findings listed: {out}");

    let (code, out, _) = run(&[
        "scan",
        EXAMPLE,
        "--no-config",
        "--now",
        NOW,
        "--min-severity",
        "HIGH",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let severities: BTreeSet<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["severity"].as_str())
        .collect();
    assert_eq!(severities, BTreeSet::from(["critical", "high"]));
    assert_eq!(
        doc["summary"]["findings"],
        doc["findings"].as_array().map(Vec::len).unwrap_or(0)
    );

    let (code, _, err) = run(&["scan", EXAMPLE, "--no-config", "--select", "AMI6"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown rule `AMI6` (did you mean `AMI006` public-image?)"),
        "{err}"
    );
    let (_, _, err) = run(&["explain", "imdsv2-not-requird"]);
    assert!(
        err.contains("did you mean `AMI001` imdsv2-not-required?"),
        "{err}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("amilint.toml");
    std::fs::write(&config, "fial_on = \"high\"\n").expect("write");
    let (code, _, err) = run(&["scan", "--config", config.to_str().expect("utf-8"), EXAMPLE]);
    assert_eq!(code, 2);
    assert!(
        err.contains(":1:1: unknown field `fial_on` (did you mean `fail_on`?)"),
        "{err}"
    );
}

/// Issue 22: GitHub shows 10 error, 10 warning and 10 notice annotations a
/// step and drops the rest in silence. Past that, amilint folds: the first
/// findings one by one, then summaries per rule and file (`×N`), then one
/// annotation a level counting the rest — never more than 10 a level, every
/// finding accounted for, and stderr says so.
#[test]
fn issue_22_github_annotations_stay_within_ten_a_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for file in 0..6 {
        let path = dir.path().join(format!("images-{file}.json"));
        std::fs::write(&path, common::four_finding_export(40, file)).expect("write");
        files.push(path.to_str().expect("utf-8").to_string());
    }
    let mut args = vec!["scan", "--no-config", "--now", NOW, "--format", "github"];
    args.extend(files.iter().map(String::as_str));
    let (code, out, err) = run(&args);
    assert_eq!(code, 1);
    let mut per_level: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    let mut accounted = 0;
    for line in out.lines().filter(|l| l.starts_with("::")) {
        let level = line[2..].split([' ', ':']).next().expect("level");
        *per_level.entry(level).or_default() += 1;
        if line.contains("title=amilint::") && line.contains("more findings") {
            let n: usize = line
                .split("::")
                .nth(2)
                .and_then(|m| m.split(' ').next())
                .and_then(|n| n.parse().ok())
                .expect("count");
            accounted += n;
        } else if let Some(times) = line.split('×').nth(1) {
            accounted += times
                .split("::")
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .expect("×N");
        } else if !line.contains("title=amilint::") {
            accounted += 1;
        }
    }
    for (level, n) in &per_level {
        assert!(*n <= 10, "{n} {level} annotations: {out}");
    }
    // 240 images × 4 findings (public, IMDSv1, no deprecation, no billing details).
    assert_eq!(accounted, 240 * 4, "{out}");
    assert!(
        err.contains("amilint: warning: GitHub shows 10 annotations of each level a step"),
        "{err}"
    );
}

/// Issue 22: with a baseline, `--only-new` lists only the findings it did not
/// have (each marked `[new]`); without a baseline it is a usage error.
#[test]
fn issue_22_only_new_lists_what_the_baseline_did_not_have() {
    let dir = tempfile::tempdir().expect("tempdir");
    let baseline = dir.path().join("baseline.json");
    let (_, out, _) = run(&[
        "scan",
        EXAMPLE,
        "--no-config",
        "--now",
        NOW,
        "--select",
        "AMI001",
        "--format",
        "json",
    ]);
    std::fs::write(&baseline, out).expect("write");
    let base = baseline.to_str().expect("utf-8");
    let (_, all, _) = run(&[
        "scan",
        EXAMPLE,
        "--no-config",
        "--now",
        NOW,
        "--baseline",
        base,
    ]);
    assert!(
        all.contains("AMI001[") && all.contains("[unchanged]"),
        "{all}"
    );
    let (code, new, _) = run(&[
        "scan",
        EXAMPLE,
        "--no-config",
        "--now",
        NOW,
        "--baseline",
        base,
        "--only-new",
    ]);
    assert_eq!(code, 1);
    assert!(
        !new.contains("AMI001[") && !new.contains("[unchanged]"),
        "{new}"
    );
    assert!(
        new.contains("AMI006[public-image]") && new.contains("[new]"),
        "{new}"
    );
    let (code, _, err) = run(&["scan", EXAMPLE, "--only-new"]);
    assert_eq!(code, 2, "{err}");
}
