//! What some tests need beyond Rust and Python 3, installed by
//! `scripts/test.sh`: the test venv (moto, botocore, zizmor,
//! check-jsonschema, maturin, twine, …), Microsoft's SARIF validator (npm),
//! and Chromium with playwright-core (the HTML report test).
//!
//! `cargo test` on a fresh clone skips those tests, each saying on stderr
//! what it needs. `scripts/test.sh` sets `AMILINT_TEST_EXTERNALS=required`:
//! there a missing one fails its test, so the whole suite never passes with a
//! test skipped.

use std::io::Write;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[derive(Debug, Clone, Copy)]
pub(crate) enum External {
    /// tests/live/.venv (tests/live/requirements.txt).
    Venv,
    /// tests/sarif-validator/node_modules (`npm ci`).
    SarifValidator,
    /// tests/html/node_modules (`npm ci`) and Debian's Chromium.
    Browser,
}

impl External {
    /// What must exist, and how a person gets it.
    fn needs(self) -> (Vec<&'static Path>, &'static str) {
        match self {
            External::Venv => (
                vec![Path::new("tests/live/.venv/bin/python")],
                "the test venv (tests/live/.venv)",
            ),
            External::SarifValidator => (
                vec![Path::new(
                    "tests/sarif-validator/node_modules/.bin/sarif-multitool",
                )],
                "Microsoft's SARIF validator (npm ci in tests/sarif-validator)",
            ),
            External::Browser => (
                vec![
                    Path::new("tests/html/node_modules/playwright-core"),
                    Path::new("/usr/bin/chromium"),
                ],
                "playwright-core (npm ci in tests/html) and Chromium",
            ),
        }
    }
}

/// Whether `what` is installed. If not: under `AMILINT_TEST_EXTERNALS=required`
/// the test fails here; otherwise it is told to skip (`false`), and says so.
pub(crate) fn installed(what: External, test: &str) -> bool {
    let (paths, name) = what.needs();
    let missing: Vec<String> = paths
        .iter()
        .map(|p| Path::new(ROOT).join(p))
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let required = std::env::var("AMILINT_TEST_EXTERNALS").is_ok_and(|v| v == "required");
    assert!(
        !required,
        "{test} needs {name}: missing {missing:?}; scripts/test.sh installs it"
    );
    // Past the harness's capture (it keeps a passing test's `eprintln!`):
    // a skip is seen in every run.
    let _ = writeln!(
        std::io::stderr(),
        "skipped {test}: it needs {name}; scripts/test.sh installs it and runs it"
    );
    false
}

/// Returns from the test unless `External::$what` is installed (see
/// `installed`).
macro_rules! needs {
    ($($what:ident),+) => {
        if $(!$crate::common::externals::installed(
            $crate::common::externals::External::$what,
            concat!(file!(), ":", line!()),
        ))||+ {
            return;
        }
    };
}
pub(crate) use needs;
