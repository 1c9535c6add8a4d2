//! The GitHub Action (`action.yml`): it passes GitHub's action schema and
//! zizmor's audit with no finding, and its scan step, run by bash as the
//! runner runs it, gives inputs to amilint as data, never as script.

use std::path::Path;
use std::process::Command;

use crate::common::servers::venv_ok;

const ACTION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml");

/// zizmor (offline, with `extra` flags) and check-jsonschema's vendored
/// GitHub `schema` both pass on `file`.
pub(crate) fn audited(file: &str, extra: &[&str], schema: &str) {
    let mut zizmor = vec!["--offline", "--no-progress"];
    zizmor.extend_from_slice(extra);
    zizmor.push(file);
    venv_ok("zizmor", &zizmor);
    venv_ok("check-jsonschema", &["--builtin-schema", schema, file]);
}

#[test]
fn the_action_passes_zizmor_and_the_github_action_schema() {
    crate::common::externals::needs!(Venv);
    audited(ACTION, &[], "vendor.github-actions");
}

/// Issue 19: the example organisation workflow (discovery → shard matrix →
/// merge, upload, gate) passes zizmor, pedantic persona included, and
/// GitHub's workflow schema. Its three amilint steps run end to end in
/// `org::shards_from_plan_shards_scan_every_account_once_and_merge_into_the_whole_run`.
#[test]
fn the_example_org_workflow_passes_zizmor_and_the_github_workflow_schema() {
    crate::common::externals::needs!(Venv);
    audited(
        concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/org-scan.yml"),
        &["--persona", "pedantic"],
        "vendor.github-workflows",
    );
}

/// The `run:` script of the action's step `name`.
fn step_script(name: &str) -> String {
    let out = venv_ok(
        "python",
        &[
            "-c",
            "import sys, yaml\n\
             steps = yaml.safe_load(open(sys.argv[1]))['runs']['steps']\n\
             print(next(s['run'] for s in steps if s.get('name') == sys.argv[2]))",
            ACTION,
            name,
        ],
    );
    String::from_utf8(out).expect("utf-8")
}

/// Runs the scan step in `dir` with these inputs: (exit code, GITHUB_OUTPUT).
pub(crate) fn scan_step(dir: &Path, command: &str, args: &str) -> (i32, String) {
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
    crate::common::externals::needs!(Venv);
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
    assert!(
        output.lines().any(|l| l == "exit-code=1"),
        "findings: {output}"
    );
    assert!(
        output
            .lines()
            .any(|l| l.starts_with("category=amilint-scan-") && l.len() == 34),
        "a category of its own: {output}"
    );
    let results = |dir: &Path| -> usize {
        let sarif: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("out.sarif")).expect("sarif"))
                .expect("json");
        assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "amilint");
        sarif["runs"][0]["results"].as_array().map_or(0, Vec::len)
    };
    let listed = results(dir.path());
    assert!(dir.path().join("summary.md").exists());

    let first = output.clone();
    // Issue 32: one file or flag a line (a YAML block scalar), tabs too: the
    // same run, nothing dropped after the first line.
    let (code, output) = scan_step(
        dir.path(),
        "scan",
        "fixtures/examples/describe-images.json\n\tfixtures/formats/mixed.json\n--no-config\n",
    );
    assert_eq!(
        (code, output.as_str()),
        (0, first.as_str()),
        "every line read"
    );
    assert_eq!(results(dir.path()), listed, "both files scanned");
    // Other arguments, another category (two uses in one job).
    let (_, other) = scan_step(
        dir.path(),
        "scan",
        "fixtures/formats/mixed.json --no-config",
    );
    let category = |o: &str| {
        o.lines()
            .find(|l| l.starts_with("category="))
            .map(str::to_string)
    };
    assert_ne!(category(&other), category(&first));
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
    assert!(
        output.lines().any(|l| l == "exit-code=2"),
        "no such input files: {output}"
    );
    assert!(!marker.exists(), "an input ran as shell");
}

/// Runs the Action's install step with `env` (version, release URL, runner OS
/// and arch): (exit code, GITHUB_OUTPUT, stdout and stderr).
fn install_step(dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let output = dir.join("github-output");
    let _ = std::fs::remove_file(&output);
    let out = Command::new("bash")
        .args(["-e", "-c", &step_script("Install amilint")])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("RUNNER_TOOL_CACHE", dir.join("tool-cache"))
        .env("GITHUB_OUTPUT", &output)
        .env("AMILINT_FROM_SOURCE", "false")
        .envs(env.iter().copied())
        .output()
        .expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        std::fs::read_to_string(&output).unwrap_or_default(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A release folder as GitHub serves it: `VERSION/amilint-VERSION-TARGET.tar.gz`
/// (this build's binary) and its `.sha256` (as `sha256sum` writes it, or `sum`).
fn fake_release(root: &Path, version: &str, target: &str, sum: Option<&str>) {
    let folder = root.join(version);
    let stage = root.join(format!("stage-{version}"));
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::create_dir_all(&stage).expect("mkdir");
    std::fs::copy(env!("CARGO_BIN_EXE_amilint"), stage.join("amilint")).expect("copy");
    let archive = format!("amilint-{version}-{target}.tar.gz");
    let tar = Command::new("tar")
        .args(["-czf"])
        .arg(folder.join(&archive))
        .args(["-C"])
        .arg(&stage)
        .arg("amilint")
        .status()
        .expect("tar runs");
    assert!(tar.success());
    let line = match sum {
        Some(sum) => format!("{sum}  {archive}\n"),
        None => {
            let out = Command::new("sha256sum")
                .arg(&archive)
                .current_dir(&folder)
                .output()
                .expect("sha256sum runs");
            String::from_utf8(out.stdout).expect("utf-8")
        }
    };
    std::fs::write(folder.join(format!("{archive}.sha256")), line).expect("write");
}

/// Issue 21: the Action installs a released binary for the runner, checks its
/// SHA-256 against the release's checksum file (a tampered archive is refused
/// and nothing is installed), keeps it in the tool cache, and refuses a
/// version that is not a release tag or a runner it has no binary for.
#[test]
fn the_install_step_downloads_checks_and_caches_a_release() {
    crate::common::externals::needs!(Venv);
    let dir = tempfile::tempdir().expect("tempdir");
    let releases = dir.path().join("releases");
    let target = "x86_64-unknown-linux-musl";
    fake_release(&releases, "v9.9.9", target, None);
    let url = format!("file://{}", releases.display());
    let linux = [
        ("AMILINT_RELEASES", url.as_str()),
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
    ];
    let with = |version: &'static str| {
        let mut env = linux.to_vec();
        env.push(("AMILINT_VERSION", version));
        env
    };
    let (code, output, log) = install_step(dir.path(), &with("v9.9.9"));
    assert_eq!(code, 0, "{log}");
    let bin = output
        .trim()
        .strip_prefix("bin=")
        .unwrap_or_else(|| panic!("{output}"))
        .to_string();
    assert!(
        bin.ends_with(&format!("tool-cache/amilint/v9.9.9/{target}/bin/amilint")),
        "{bin}"
    );
    let version = Command::new(&bin).arg("--version").output().expect("runs");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("amilint "));

    // From the tool cache the second time: the archive is not downloaded
    // again, but checked against the release's checksum and unpacked again.
    let archive = format!("amilint-v9.9.9-{target}.tar.gz");
    std::fs::remove_file(releases.join("v9.9.9").join(&archive)).expect("rm");
    std::fs::write(&bin, "#!/bin/sh\necho planted\n").expect("plant a binary");
    let (code, output, log) = install_step(dir.path(), &with("v9.9.9"));
    assert_eq!(code, 0, "{log}");
    assert_eq!(output.trim(), format!("bin={bin}"));
    let version = Command::new(&bin).arg("--version").output().expect("runs");
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("amilint "),
        "a planted binary is replaced from the checked archive"
    );
    // A planted archive in the cache: refused, and the cache emptied.
    let cached = dir
        .path()
        .join(format!("tool-cache/amilint/v9.9.9/{target}/{archive}"));
    std::fs::write(&cached, "not the release").expect("plant an archive");
    let (code, output, log) = install_step(dir.path(), &with("v9.9.9"));
    assert_eq!(code, 2, "{log}");
    assert!(log.contains("SHA-256"), "{log}");
    assert!(output.is_empty());
    assert!(!cached.exists());

    // A checksum that does not match: refused, nothing installed.
    fake_release(&releases, "v9.9.8", target, Some(&"0".repeat(64)));
    let (code, output, log) = install_step(dir.path(), &with("v9.9.8"));
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains("SHA-256") && log.contains("not installed"),
        "{log}"
    );
    assert!(output.is_empty());
    assert!(
        !dir.path()
            .join(format!("tool-cache/amilint/v9.9.8/{target}/bin"))
            .exists()
    );

    // Not a release tag (a branch, a SHA, a shell word): refused before any download.
    for version in ["main", "v1.0.0;touch${IFS}pwned", ""] {
        let (code, _, log) = install_step(dir.path(), &with(version));
        assert_eq!(code, 2, "{version}: {log}");
    }
    assert!(!dir.path().join("pwned").exists());
    // A runner there is no binary for.
    let mut env = with("v9.9.9");
    env[2] = ("RUNNER_ARCH", "ARM");
    let (code, _, log) = install_step(dir.path(), &env);
    assert_eq!(code, 2);
    assert!(log.contains("install-from-source"), "{log}");
}

/// Issue 32: the checksums committed in the Action's own tree
/// (`checksums/VERSION.txt`, written by the release workflow) pin the binary:
/// a release whose archive and checksum file were both replaced is refused;
/// without the file, the step says the binary is pinned by the release only.
#[test]
fn the_checksums_in_the_action_s_tree_pin_the_binary() {
    crate::common::externals::needs!(Venv);
    let dir = tempfile::tempdir().expect("tempdir");
    let releases = dir.path().join("releases");
    let checksums = dir.path().join("checksums");
    std::fs::create_dir_all(&checksums).expect("mkdir");
    let target = "x86_64-unknown-linux-musl";
    fake_release(&releases, "v9.9.7", target, None);
    let archive = format!("amilint-v9.9.7-{target}.tar.gz");
    let published =
        std::fs::read_to_string(releases.join("v9.9.7").join(format!("{archive}.sha256")))
            .expect("sha256");
    // As the release workflow commits it: every archive's line, one file.
    std::fs::write(
        checksums.join("v9.9.7.txt"),
        format!(
            "{}  amilint-v9.9.7-aarch64-apple-darwin.tar.gz\n{published}",
            "1".repeat(64)
        ),
    )
    .expect("write");
    let url = format!("file://{}", releases.display());
    let list = checksums.to_string_lossy().into_owned();
    let env = [
        ("AMILINT_RELEASES", url.as_str()),
        ("AMILINT_CHECKSUMS", list.as_str()),
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
        ("AMILINT_VERSION", "v9.9.7"),
    ];
    let (code, output, log) = install_step(dir.path(), &env);
    assert_eq!(code, 0, "{log}");
    assert!(output.starts_with("bin="), "{output}");
    assert!(!log.contains("::warning"), "{log}");

    // The release replaced (another archive, its own matching checksum file):
    // not what the Action's tree pins.
    std::fs::remove_dir_all(dir.path().join("tool-cache")).expect("rm cache");
    let stage = releases.join("stage-v9.9.7");
    std::fs::write(stage.join("amilint"), "#!/bin/sh\necho swapped\n").expect("swap");
    let folder = releases.join("v9.9.7");
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(folder.join(&archive))
        .arg("-C")
        .arg(&stage)
        .arg("amilint")
        .status()
        .expect("tar");
    assert!(tar.success());
    let sum = Command::new("sha256sum")
        .arg(&archive)
        .current_dir(&folder)
        .output()
        .expect("sha256sum");
    std::fs::write(folder.join(format!("{archive}.sha256")), sum.stdout).expect("write");
    let (code, output, log) = install_step(dir.path(), &env);
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains("checksums/v9.9.7.txt") && log.contains("not installed"),
        "{log}"
    );
    assert!(output.is_empty());

    // No checksums for the version in the tree: installed, and said.
    let mut bare = env.to_vec();
    bare[1] = ("AMILINT_CHECKSUMS", "/nonexistent");
    let (code, _, log) = install_step(dir.path(), &bare);
    assert_eq!(code, 0, "{log}");
    assert!(
        log.contains("::warning") && log.contains("has no checksums/v9.9.7.txt"),
        "{log}"
    );
    // Where the two ends meet: the release commits the file the Action reads.
    let release = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.github/workflows/release.yml"
    ))
    .expect("release.yml");
    assert!(release.contains("contents/checksums/${TAG}.txt"));
    let action = std::fs::read_to_string(ACTION).expect("action.yml");
    assert!(action.contains("AMILINT_CHECKSUMS: ${{ github.action_path }}/checksums"));
}
