//! `amilint policy test`: each policy against its `.tests.json` cases;
//! `amilint policy new`: a policy and its tests to start from.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::LimitArgs;
use crate::output;
use crate::plan::limits;
use crate::policy;
use crate::status::Status;

pub(super) fn test(paths: &[PathBuf], args: &LimitArgs) -> Result<Status> {
    let outcomes = policy::testing::run(paths, &limits(args))?;
    let mut out = BufWriter::new(io::stdout().lock());
    let failed = output::policy_test::write(&outcomes, &mut out)?;
    out.flush().context("writing to stdout")?;
    Ok(if failed == 0 && !outcomes.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    })
}

/// Writes `DIR/NAME.rhai` and `DIR/NAME.tests.json`: a policy that flags
/// images deprecated within `MIN_DAYS` days, with a passing and a failing
/// case. Refuses a bad name or id, and files that exist (both are checked
/// before either is written).
pub(super) fn new(name: &str, id: &str, dir: &Path) -> Result<Status> {
    let mut script = SCRIPT.replace("{id}", id).replace("{name}", name);
    // The script is checked as `amilint` would load it: id, name, syntax.
    let shown = dir.join(format!("{name}.rhai"));
    let limits = crate::policy::Limits::default();
    if let Err(e) = policy::Policy::compile(
        &script,
        &shown.display().to_string(),
        &limits,
        jiff::Timestamp::now(),
    ) {
        bail!("{e}");
    }
    let tests = dir.join(format!("{name}.tests.json"));
    for path in [&shown, &tests] {
        if path.exists() {
            bail!(
                "{} exists: amilint policy new never replaces a file",
                path.display()
            );
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    if !script.ends_with('\n') {
        script.push('\n');
    }
    for (path, text) in [(&shown, script.as_str()), (&tests, TESTS)] {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| format!("creating {}", path.display()))?;
        file.write_all(text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    writeln!(
        io::stdout().lock(),
        "wrote {} and {}: edit them, then `amilint policy test {}` and `amilint scan … --policy {}`",
        shown.display(),
        tests.display(),
        dir.display(),
        dir.display()
    )
    .context("writing to stdout")?;
    Ok(Status::Clean)
}

const SCRIPT: &str = r#"// {name}: images whose deprecation comes too soon (a starting point: edit it).
// `image` is one describe-images image, keys as AWS writes them; absent keys read as ().
// `amilint policy test` runs the cases in the .tests.json beside this file.

// Top-level constants are seen inside meta() and check().
const MIN_DAYS = 30;

fn meta() {
    #{
        id: "{id}",
        name: "{name}",
        severity: "medium",
        summary: "Image is deprecated within " + MIN_DAYS + " days",
        help: "Explain here why it matters and how to fix it (Markdown)."
    }
}

fn check(image) {
    let days = days_until(image.DeprecationTime);
    if days != () && days >= 0 && days < MIN_DAYS {
        return #{
            message: `deprecated in ${days} days (at ${image.DeprecationTime})`,
            pointer: "/DeprecationTime",
        };
    }
}
"#;

const TESTS: &str = r#"{
  "now": "2026-06-01T00:00:00Z",
  "cases": [
    {"name": "deprecated in a year", "image": {"ImageId": "ami-1", "DeprecationTime": "2027-06-01T00:00:00.000Z"}, "expect": "none"},
    {"name": "no deprecation time", "image": {"ImageId": "ami-2"}, "expect": "none"},
    {"name": "deprecated in ten days", "image": {"ImageId": "ami-3", "DeprecationTime": "2026-06-11T00:00:00.000Z"},
     "expect": [{"message": "deprecated in 10 days (at 2026-06-11T00:00:00.000Z)", "pointer": "/DeprecationTime", "severity": "medium"}]}
  ]
}
"#;
