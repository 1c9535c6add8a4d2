//! `amilint policy test` output: PASS/FAIL per case, then a count.

use std::io::{self, Write};

use crate::policy::testing::Outcome;

/// Writes every outcome and the count; returns how many failed.
pub fn write(outcomes: &[Outcome], out: &mut dyn Write) -> io::Result<usize> {
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    for o in outcomes {
        match &o.failure {
            None => writeln!(out, "PASS  {} {}: {}", o.script, o.policy, o.case)?,
            Some(why) => writeln!(
                out,
                "FAIL  {} {}: {}\n      {why}",
                o.script, o.policy, o.case
            )?,
        }
    }
    writeln!(out, "{} passed, {failed} failed", outcomes.len() - failed)?;
    Ok(failed)
}
