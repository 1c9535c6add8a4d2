//! `amilint policy test`: each policy against its `.tests.json` cases.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};

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
