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
    audited(
        concat!(env!("CARGO_MANIFEST_DIR"), "/.github/workflows/release.yml"),
        &["--persona", "pedantic"],
        "vendor.github-workflows",
    );
}

#[test]
fn the_pypi_package_metadata_passes_twine_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(venv_bin("maturin"))
        .args(["sdist", "--out"])
        .arg(dir.path())
        .current_dir(ROOT)
        .output()
        .expect("maturin runs");
    assert!(
        out.status.success(),
        "maturin sdist: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sdist: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(sdist.len(), 1, "{sdist:?}");
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
    ] {
        assert!(
            files.lines().any(|l| l.ends_with(&format!("/{file}"))),
            "{file} in the sdist"
        );
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
