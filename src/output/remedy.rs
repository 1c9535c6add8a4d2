//! `amilint fix`'s results: as text, each call (its rules and AWS CLI
//! command) with how it ended, then the counts; or as one JSON document.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::Serialize;

use super::text::clean;
use crate::remedy::{CallRecord, Outcome, Plan};

/// What the run did: `plan`, `dry run` or `apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Plan,
    DryRun,
    Apply,
}

/// `amilint fix --format json`.
#[derive(Serialize)]
struct JsonResult<'a> {
    schema_version: u32,
    mode: Mode,
    calls: Vec<CallRecord<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSummary {
    calls: usize,
    images: usize,
    /// Accounts × regions whose settings the calls change.
    account_regions: usize,
    by_outcome: BTreeMap<&'static str, usize>,
    suppressed: usize,
    without_fix: usize,
    not_owned: usize,
    report_errors: usize,
}

/// The distinct subjects of the plan's calls: images, or (`account`)
/// accounts × regions.
fn subjects(plan: &Plan, account: bool) -> BTreeSet<&str> {
    plan.calls
        .iter()
        .filter(|c| c.action.on_account() == account)
        .map(|c| c.image_id.as_str())
        .collect()
}

/// The same as one JSON document.
pub fn write_json(
    mode: Mode,
    plan: &Plan,
    outcomes: &[Outcome],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut by_outcome = BTreeMap::new();
    for o in outcomes {
        *by_outcome.entry(o.word()).or_insert(0) += 1;
    }
    let (images, accounts) = (subjects(plan, false), subjects(plan, true));
    let result = JsonResult {
        schema_version: 1,
        mode,
        calls: plan
            .calls
            .iter()
            .zip(outcomes)
            .map(|(c, o)| CallRecord::new(c, o))
            .collect(),
        summary: JsonSummary {
            calls: plan.calls.len(),
            images: images.len(),
            account_regions: accounts.len(),
            by_outcome,
            suppressed: plan.suppressed,
            without_fix: plan.without_fix,
            not_owned: plan.not_owned,
            report_errors: plan.report_errors,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &result)?;
    writeln!(out)
}

/// The calls and their outcomes (same order), then a summary.
pub fn write(mode: Mode, plan: &Plan, outcomes: &[Outcome], out: &mut dyn Write) -> io::Result<()> {
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
    let (images, accounts) = (subjects(plan, false), subjects(plan, true));
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
        "\n{what}: {} call(s) for {} image(s){}{}{}",
        plan.calls.len(),
        images.len(),
        match accounts.len() {
            0 => String::new(),
            n => format!(" and {n} account-region(s)"),
        },
        if counts.is_empty() { "" } else { ": " },
        counts.join(", ")
    )?;
    if plan.suppressed > 0 || plan.without_fix > 0 || plan.not_owned > 0 {
        writeln!(
            out,
            "left alone: {} suppressed finding(s), {} finding(s) without an exact fix, {} finding(s) on images the report does not show as owned",
            plan.suppressed, plan.without_fix, plan.not_owned
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
