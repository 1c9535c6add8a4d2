//! The GitHub Action (`action.yml`): it passes GitHub's action schema and
//! zizmor's audit with no finding, and its scan step, run by bash as the
//! runner runs it, gives inputs to amilint as data, never as script.

use std::path::Path;
use std::process::Command;

use crate::common::servers::venv_bin;

const ACTION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml");

/// zizmor (offline, with `extra` flags) and check-jsonschema's vendored
/// GitHub `schema` both pass on `file`.
fn audited(file: &str, extra: &[&str], schema: &str) {
    let zizmor = Command::new(venv_bin("zizmor"))
        .args(["--offline", "--no-progress"])
        .args(extra)
        .arg(file)
        .output()
        .expect("zizmor runs");
    assert!(
        zizmor.status.success(),
        "zizmor: {}{}",
        String::from_utf8_lossy(&zizmor.stdout),
        String::from_utf8_lossy(&zizmor.stderr)
    );
    let checked = Command::new(venv_bin("check-jsonschema"))
        .args(["--builtin-schema", schema, file])
        .output()
        .expect("check-jsonschema runs");
    assert!(
        checked.status.success(),
        "schema: {}",
        String::from_utf8_lossy(&checked.stdout)
    );
}

#[test]
fn the_action_passes_zizmor_and_the_github_action_schema() {
    audited(ACTION, &[], "vendor.github-actions");
}

/// Issue 19: the example organisation workflow (discovery → shard matrix →
/// merge, upload, gate) passes zizmor, pedantic persona included, and
/// GitHub's workflow schema. Its three amilint steps run end to end in
/// `org::shards_from_plan_shards_scan_every_account_once_and_merge_into_the_whole_run`.
#[test]
fn the_example_org_workflow_passes_zizmor_and_the_github_workflow_schema() {
    audited(
        concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/org-scan.yml"),
        &["--persona", "pedantic"],
        "vendor.github-workflows",
    );
}

/// The `run:` script of the action's step `name`.
fn step_script(name: &str) -> String {
    let out = Command::new(venv_bin("python"))
        .args([
            "-c",
            "import sys, yaml\n\
             steps = yaml.safe_load(open(sys.argv[1]))['runs']['steps']\n\
             print(next(s['run'] for s in steps if s.get('name') == sys.argv[2]))",
            ACTION,
            name,
        ])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs the scan step in `dir` with these inputs: (exit code, GITHUB_OUTPUT).
fn scan_step(dir: &Path, command: &str, args: &str) -> (i32, String) {
    let bin = Path::new(env!("CARGO_BIN_EXE_amilint"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let output = dir.join("github-output");
    let _ = std::fs::remove_file(&output);
    let status = Command::new("bash")
        .args(["-e", "-c", &step_script("Scan")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("RUNNER_TEMP", dir)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .env("AMILINT_COMMAND", command)
        .env("AMILINT_ARGS", args)
        .env("AMILINT_SARIF", dir.join("out.sarif"))
        .env("AMILINT_ANNOTATE", "true")
        .status()
        .expect("bash runs");
    (
        status.code().unwrap_or(-1),
        std::fs::read_to_string(&output).unwrap_or_default(),
    )
}

#[test]
fn the_scan_step_takes_its_inputs_as_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Several files and flags, separated by whitespace.
    let (code, output) = scan_step(
        dir.path(),
        "scan",
        "fixtures/examples/describe-images.json  fixtures/formats/mixed.json --no-config",
    );
    assert_eq!(
        code, 0,
        "the step records the code; the Gate step fails with it"
    );
    assert_eq!(output.trim(), "exit-code=1", "findings");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out.sarif")).expect("sarif"))
            .expect("json");
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "amilint");
    assert!(dir.path().join("summary.md").exists());

    // A command that is not scan or preflight is refused before anything runs.
    let marker = dir.path().join("pwned");
    let hostile = format!("scan; touch {}", marker.display());
    let (code, _) = scan_step(
        dir.path(),
        &hostile,
        "fixtures/examples/describe-images.json",
    );
    assert_eq!(code, 2);
    // Arguments are words, never shell: no substitution, no glob.
    let (_, output) = scan_step(
        dir.path(),
        "scan",
        &format!(
            "$(touch {}) `touch {}` fixtures/*.json",
            marker.display(),
            marker.display()
        ),
    );
    assert_eq!(output.trim(), "exit-code=2", "no such input files");
    assert!(!marker.exists(), "an input ran as shell");
}
