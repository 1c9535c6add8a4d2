//! `amilint fix` as text: each call (its rules and AWS CLI command) with how it
//! ended, then the counts.

use std::collections::BTreeSet;
use std::io::{self, Write};

use super::text::clean;
use crate::fix::{Outcome, Plan};

/// What the run did: `plan`, `dry run` or `apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plan,
    DryRun,
    Apply,
}

/// The calls and their outcomes (same order), then a summary.
pub fn write(
    mode: Mode,
    plan: &Plan,
    outcomes: &[Outcome],
    out: &mut dyn Write,
) -> io::Result<()> {
    for (call, outcome) in plan.calls.iter().zip(outcomes) {
        writeln!(
            out,
            "{:<9}  {:<15}  {}",
            outcome.word(),
            call.rules.join(","),
            clean(&call.command())
        )?;
        if let Some(detail) = outcome.detail() {
            writeln!(out, "{:<9}  {:<15}  ^ {}", "", "", clean(detail))?;
        }
    }
    let images: BTreeSet<&str> = plan.calls.iter().map(|c| c.image_id.as_str()).collect();
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for outcome in outcomes {
        match counts.iter_mut().find(|(w, _)| *w == outcome.word()) {
            Some((_, n)) => *n += 1,
            None => counts.push((outcome.word(), 1)),
        }
    }
    let counts: Vec<String> = counts.iter().map(|(w, n)| format!("{n} {w}")).collect();
    let what = match mode {
        Mode::Plan => "plan",
        Mode::DryRun => "dry run",
        Mode::Apply => "apply",
    };
    writeln!(
        out,
        "\n{what}: {} call(s) for {} image(s){}{}",
        plan.calls.len(),
        images.len(),
        if counts.is_empty() { "" } else { ": " },
        counts.join(", ")
    )?;
    if plan.suppressed > 0 || plan.without_fix > 0 {
        writeln!(
            out,
            "left alone: {} suppressed finding(s), {} finding(s) without an exact fix",
            plan.suppressed, plan.without_fix
        )?;
    }
    if plan.report_errors > 0 {
        writeln!(
            out,
            "warning: the report lists {} error(s): what it could not scan is not in this plan",
            plan.report_errors
        )?;
    }
    if mode == Mode::Plan && !plan.calls.is_empty() {
        writeln!(
            out,
            "nothing was sent: --dry-run checks the permissions (EC2 DryRun), --apply makes the changes"
        )?;
    }
    Ok(())
}
