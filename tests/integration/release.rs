//! Issue 21: the release pipeline. `.github/workflows/release.yml` passes
//! zizmor (pedantic) and GitHub's workflow schema; the PyPI package's
//! metadata (maturin, `bindings = "bin"`) builds into an sdist that
//! `twine check --strict` accepts, without a release build; the release's
//! archive name is the one the Action and cargo-binstall download.

use std::process::Command;

use crate::action::audited;
use crate::common::servers::venv_bin;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn the_release_workflow_passes_zizmor_and_the_github_workflow_schema() {
    crate::common::externals::needs!(Venv);
    audited(
        concat!(env!("CARGO_MANIFEST_DIR"), "/.github/workflows/release.yml"),
        &["--persona", "pedantic"],
        "vendor.github-workflows",
    );
}

/// `maturin sdist` into `dir`: the sdist's path.
fn sdist(dir: &std::path::Path) -> std::path::PathBuf {
    let out = Command::new(venv_bin("maturin"))
        .args(["sdist", "--out"])
        .arg(dir)
        .current_dir(ROOT)
        .output()
        .expect("maturin runs");
    assert!(
        out.status.success(),
        "maturin sdist: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// The sdist's PKG-INFO.
fn pkg_info(sdist: &std::path::Path) -> String {
    let out = Command::new("tar")
        .arg("-xzOf")
        .arg(sdist)
        .args(["--wildcards", "*/PKG-INFO"])
        .output()
        .expect("tar runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_pypi_package_metadata_passes_twine_check() {
    crate::common::externals::needs!(Venv);
    let dir = tempfile::tempdir().expect("tempdir");
    let sdist = [sdist(dir.path())];
    let name = sdist[0].file_name().and_then(|n| n.to_str()).unwrap_or("");
    assert_eq!(
        name,
        format!("amilint-{}.tar.gz", env!("CARGO_PKG_VERSION"))
    );
    let check = Command::new(venv_bin("twine"))
        .args(["check", "--strict"])
        .arg(&sdist[0])
        .output()
        .expect("twine runs");
    assert!(
        check.status.success(),
        "twine check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    // The sdist builds the binary the wheel ships: its pyproject says so.
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(&sdist[0])
        .output()
        .expect("tar runs");
    let files = String::from_utf8_lossy(&listing.stdout);
    for file in [
        "pyproject.toml",
        "Cargo.toml",
        "Cargo.lock",
        "src/main.rs",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        assert!(
            files.lines().any(|l| l.ends_with(&format!("/{file}"))),
            "{file} in the sdist"
        );
    }
}

/// Issue 32: the licence texts `license = "MIT OR Apache-2.0"` names, in the
/// repository, the crate (`cargo package --list`) and the sdist's metadata
/// (PEP 639 `License-File`; the sdist's files are checked above).
#[test]
fn the_licence_files_ship_with_the_crate_and_the_python_package() {
    crate::common::externals::needs!(Venv);
    for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
        let text = std::fs::read_to_string(std::path::Path::new(ROOT).join(file)).expect(file);
        assert!(text.len() > 900, "{file} holds the licence text");
    }
    let listed = Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(ROOT)
        .output()
        .expect("cargo runs");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let files = String::from_utf8_lossy(&listed.stdout);
    for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(files.lines().any(|l| l == file), "{file} in the crate");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let meta = pkg_info(&sdist(dir.path()));

    assert!(
        meta.contains("License-Expression: MIT OR Apache-2.0"),
        "{meta}"
    );
    for file in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert!(meta.contains(&format!("License-File: {file}")), "{meta}");
    }
}

#[test]
fn the_release_archive_is_what_the_action_and_binstall_download() {
    let workflow =
        std::fs::read_to_string(format!("{ROOT}/.github/workflows/release.yml")).expect("workflow");
    let action = std::fs::read_to_string(format!("{ROOT}/action.yml")).expect("action");
    let cargo = std::fs::read_to_string(format!("{ROOT}/Cargo.toml")).expect("Cargo.toml");
    assert!(workflow.contains(r#"archive="amilint-${TAG}-${TARGET}.tar.gz""#));
    assert!(action.contains(r#"archive="amilint-${AMILINT_VERSION}-${target}.tar.gz""#));
    assert!(cargo.contains(
        r#"pkg-url = "{ repo }/releases/download/v{ version }/{ name }-v{ version }-{ target }.tar.gz""#
    ));
    // Every target the Action installs is one the release builds.
    for target in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(
            action.contains(&format!("={target} ;;")),
            "{target} in the Action"
        );
        assert!(
            workflow.contains(&format!("target: {target}, os:")),
            "{target} released"
        );
    }
}

/// Issue 32: every runner a workflow (or the example workflow) asks for is on
/// GitHub's current list (.github/runner-labels.txt, with its source and
/// date): a retired label (macos-13) fails every job of its matrix.
#[test]
fn every_runner_label_is_one_github_still_has() {
    crate::common::externals::needs!(Venv);
    let script = r##"
import json, sys, yaml
labels = {l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")}
used = []
for path in sys.argv[2:]:
    doc = yaml.safe_load(open(path))
    for name, job in (doc.get("jobs") or {}).items():
        runs_on = job.get("runs-on")
        matrix = (job.get("strategy") or {}).get("matrix") or {}
        if isinstance(runs_on, str) and "matrix.os" in runs_on:
            values = [i.get("os") for i in matrix.get("include", [])] + list(matrix.get("os", []))
        else:
            values = runs_on if isinstance(runs_on, list) else [runs_on]
        used.extend((path, name, v) for v in values)
print(json.dumps({"unknown": [u for u in used if u[2] not in labels], "used": len(used)}))
"##;
    let workflows: Vec<String> =
        std::fs::read_dir(std::path::Path::new(ROOT).join(".github/workflows"))
            .expect("workflows")
            .map(|e| e.expect("entry").path().to_string_lossy().into_owned())
            .chain([format!("{ROOT}/docs/examples/org-scan.yml")])
            .collect();
    let list = format!("{ROOT}/.github/runner-labels.txt");
    let mut args: Vec<&str> = vec![&list];
    args.extend(workflows.iter().map(String::as_str));
    let found = crate::common::servers::venv_json(script, &args);
    assert!(found["used"].as_u64() > Some(5), "{found}");
    assert_eq!(
        found["unknown"],
        serde_json::json!([]),
        "labels GitHub does not have"
    );
}

/// Issue 32: the release's PyPI job checks the metadata with the twine the
/// suite runs (`the_pypi_package_metadata_passes_twine_check`: tests/live/
/// requirements.txt), a twine that reads the Metadata-Version 2.4 maturin
/// writes (the retired publisher's twine 5.0.0 refused it), then publishes
/// with uv pinned by version and hash.
#[test]
fn the_release_checks_metadata_with_the_twine_the_suite_runs() {
    crate::common::externals::needs!(Venv);
    let workflow = std::fs::read_to_string(format!("{ROOT}/.github/workflows/release.yml"))
        .expect("release.yml");
    let requirements = std::fs::read_to_string(format!("{ROOT}/tests/live/requirements.txt"))
        .expect("requirements");
    let pinned = |text: &str, package: &str| -> Option<String> {
        let at = text.find(&format!("{package}=="))? + package.len() + 2;
        Some(
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect(),
        )
    };
    let twine = pinned(&workflow, "twine").expect("the workflow pins twine");
    assert_eq!(
        Some(twine.clone()),
        pinned(&requirements, "twine"),
        "the suite's twine"
    );
    let major: u32 = twine
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .expect("version");
    assert!(major >= 6, "twine {twine} reads Metadata 2.4 from 6.1 on");
    assert!(
        workflow.contains("uv==") && workflow.contains("--hash=sha256:"),
        "uv pinned by hash"
    );
    assert!(
        !workflow.contains("uses: pypa/gh-action-pypi-publish"),
        "its twine 5.0.0 is gone"
    );
    assert!(workflow.contains("--trusted-publishing always"));
    assert!(
        workflow.contains("actions/attest-build-provenance@"),
        "provenance attested"
    );
    // What that twine checked: maturin's sdist metadata is version 2.4.
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(pkg_info(&sdist(dir.path())).starts_with("Metadata-Version: 2.4"));
}
