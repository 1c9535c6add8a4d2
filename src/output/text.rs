//! Human-readable text: findings grouped by image, then a summary line.

use std::io::{self, Write};

use crate::finding::{Finding, Report};
use crate::rules::Severity;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;35",
            Severity::High => "1;31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.wrap(code, &format!("{:<8}", s.as_str()))
    }
}

/// One image: a header line, a line per finding, a blank line.
pub fn image(findings: &[Finding], style: super::Style, out: &mut Vec<u8>) {
    let paint = Paint { on: style.color };
    // `--only-new`: what the baseline did not have.
    let new: Vec<Finding>;
    let findings = if style.only_new {
        new = findings
            .iter()
            .filter(|f| f.baseline != Some(crate::finding::BaselineState::Unchanged))
            .cloned()
            .collect();
        &new[..]
    } else {
        findings
    };
    let Some(f) = findings.first().filter(|_| !style.statistics) else {
        return;
    };
    // A request has no id yet and goes by its name: no need to say it twice.
    let mut name = f
        .image_name
        .as_deref()
        .filter(|n| *n != &*f.image_id)
        .map(|n| format!(" ({})", clean(n)))
        .unwrap_or_default();
    if let Some(scope) = &f.scope
        && !f.about_account()
    {
        name.push_str(&format!(" [{} {}]", scope.account_id, scope.region));
    }
    // An account's guardrails: `account 111122223333, region eu-west-1`.
    let subject = match f.scope.as_deref().filter(|_| f.about_account()) {
        Some(scope) => format!("account {}, region {}", scope.account_id, scope.region),
        None => match &f.workload {
            Some(link) => format!("{} {}", link.kind.as_str(), clean(&f.image_id)),
            None => clean(&f.image_id),
        },
    };
    if let Some(usage) = f.usage.as_deref().filter(|u| u.total > 0) {
        name.push_str(&format!(" (in use: {})", clean(&usage.summary())));
    }

    // A live scan's images are in no file: no path to show (`[account
    // region]` says where they are).
    let place = if style.live {
        String::new()
    } else {
        format!(
            "{} ",
            paint.wrap(
                "1",
                &format!(
                    "{}:{}:{}",
                    f.location.uri, f.location.line, f.location.column
                )
            )
        )
    };
    let mut text = format!("{place}{}{}\n", paint.wrap("1", &subject), name);
    for f in findings {
        let mut marks = String::new();
        if let Some(state) = f.baseline {
            marks.push_str(&format!(" [{}]", state.as_str()));
        }
        if let Some(s) = &f.suppression {
            marks.push_str(&format!(" (suppressed: {})", clean(&s.justification)));
        }
        if let Some(uri) = &f.location.field_uri {
            // The snapshot file that holds what the finding is about.
            let (_, line) = f.location.best();
            marks.push_str(&format!(" (at {}:{line})", clean(uri)));
        }
        text.push_str(&format!(
            "  {} {}[{}] {}{}\n",
            paint.severity(f.severity),
            f.rule.code,
            f.rule.name,
            clean(&f.message),
            paint.wrap("2", &marks)
        ));
        if let Some(fix) = f.fix.as_ref().filter(|_| style.fixes) {
            for command in &fix.commands {
                text.push_str(&format!("      fix: {}\n", clean(command)));
            }
            if let Some(note) = &fix.note {
                text.push_str(&format!("      note: {}\n", clean(note)));
            }
        }
    }
    text.push('\n');
    out.extend_from_slice(text.as_bytes());
}

/// Errors, warnings and the summary lines.
pub fn tail(report: &Report, style: super::Style, out: &mut Vec<u8>) {
    let paint = Paint { on: style.color };
    // Writing to memory cannot fail.
    if style.statistics {
        let _ = statistics(report, out);
    }
    if style.quiet {
        let gate = report.gate();
        let _ = writeln!(out, "{gate}");
        return;
    }
    let _ = summary(report, &paint, out);
    if report.tally.findings > 0 && !style.fixes && !style.statistics {
        let _ = writeln!(
            out,
            "hint: --show-fixes prints each finding's fix; `amilint explain CODE` says why a rule matters; `amilint fix REPORT.json` plans the fixes of a JSON report"
        );
    }
}

/// `--statistics`: each rule with findings, most first: count, code, name,
/// severity.
fn statistics(report: &Report, out: &mut Vec<u8>) -> io::Result<()> {
    let mut rows: Vec<(usize, &crate::rules::RuleMeta)> = report
        .rules
        .iter()
        .filter_map(|r| report.tally.by_rule.get(r.code).map(|n| (*n, *r)))
        .filter(|(n, _)| *n > 0)
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.code.cmp(b.1.code)));
    let width = rows.first().map_or(1, |(n, _)| n.to_string().len());
    let name_width = rows.iter().map(|(_, r)| r.name.len()).max().unwrap_or(0);
    for (n, rule) in rows {
        writeln!(
            out,
            "{n:>width$}  {:<7} {:<name_width$}  {}",
            rule.code, rule.name, rule.severity
        )?;
    }
    writeln!(out)
}

fn summary(report: &Report, paint: &Paint, out: &mut Vec<u8>) -> io::Result<()> {
    for e in &report.errors {
        writeln!(
            out,
            "{} {}",
            paint.wrap("1;31", "error:"),
            clean(&e.to_string())
        )?;
    }
    for w in &report.warnings {
        writeln!(
            out,
            "{} {}",
            paint.wrap("1;33", "warning:"),
            clean(&w.to_string())
        )?;
    }
    for n in crate::finding::note_lines(&report.notes) {
        writeln!(out, "{} {}", paint.wrap("1;36", "note:"), clean(&n))?;
    }
    if report.not_owned.images() > 0 {
        writeln!(
            out,
            "{} {}",
            paint.wrap("1;36", "note:"),
            clean(&report.not_owned.to_string())
        )?;
    }
    if let Some((new, unchanged)) = report.baseline_counts() {
        writeln!(
            out,
            "Baseline: {new} new, {unchanged} unchanged, {} absent",
            report.baseline_absent.unwrap_or(0)
        )?;
    }
    if !report.scopes.is_empty() {
        let failed = report.scopes.iter().filter(|s| s.outcome.is_err()).count();
        let images: u64 = report
            .scopes
            .iter()
            .filter_map(|s| s.outcome.as_ref().ok())
            .sum();
        writeln!(
            out,
            "Scopes: {} scanned ({images} images fetched), {failed} failed{}",
            report.scopes.len() - failed,
            report
                .api_calls
                .map(|n| format!("; {}", plural(n as usize, "API call")))
                .unwrap_or_default()
        )?;
    }
    let counts = report.count_by_severity();
    let by_sev: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|s| format!("{} {}", counts.get(s).copied().unwrap_or(0), s))
        .collect();
    let n = report.tally.findings;
    writeln!(
        out,
        "{} {} ({}) in {}{} scanned, {}{}",
        paint.wrap("1", "Found"),
        plural(n, "finding"),
        by_sev.join(", "),
        plural(
            report.images_scanned as usize,
            if report.requests { "request" } else { "image" }
        ),
        match (report.accounts_scanned, report.workloads_scanned) {
            (0, 0) => String::new(),
            (k, 0) => format!(" and {}", plural(k as usize, "account-region")),
            (0, w) => format!(" and {}", plural(w as usize, "workload")),
            (k, w) => format!(
                ", {} and {}",
                plural(k as usize, "account-region"),
                plural(w as usize, "workload")
            ),
        },
        skipped(report),
        match report.suppressed() {
            0 => String::new(),
            k => format!("; {k} suppressed"),
        }
    )?;
    if let Some((framework, controls)) = &report.benchmark {
        benchmark(*framework, controls, paint, out)?;
    }
    let gate = report.gate();
    let color = match gate.status.as_str() {
        "passed" => "1;32",
        "off" => "1",
        _ => "1;31",
    };
    writeln!(out, "{}", paint.wrap(color, &gate.to_string()))
}

/// `1 skipped (aki-919dcaf8: not a machine image)`, or `0 skipped`.
fn skipped(report: &Report) -> String {
    if report.skipped_first.is_empty() {
        return format!("{} skipped", report.images_skipped);
    }
    let ids: Vec<String> = report.skipped_first.iter().map(|id| clean(id)).collect();
    let more = (report.images_skipped as usize).saturating_sub(ids.len());
    format!(
        "{} skipped ({}{}: not {})",
        report.images_skipped,
        ids.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        },
        if report.images_skipped == 1 {
            "a machine image"
        } else {
            "machine images"
        }
    )
}

/// `--benchmark`: a line per control, then the counts.
fn benchmark(
    framework: crate::rules::compliance::Framework,
    controls: &[crate::rules::compliance::Assessed],
    paint: &Paint,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    use crate::rules::compliance::Status;
    let count = |s: Status| controls.iter().filter(|c| c.status == s).count();
    writeln!(
        out,
        "{} ({}): {} failed, {} passed, {} not assessed",
        paint.wrap("1", framework.title()),
        framework.id(),
        count(Status::Failed),
        count(Status::Passed),
        count(Status::NotAssessed)
    )?;
    let width = controls.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in controls {
        let status = format!("{:<12}", c.status.as_str());
        let color = match c.status {
            Status::Failed => "1;31",
            Status::Passed => "32",
            Status::NotAssessed => "33",
        };
        let detail = match (c.findings, &c.reason) {
            (0, None) => c.rules.join(", "),
            (0, Some(reason)) => reason.clone(),
            (n, reason) => format!(
                "{}: {}{}",
                c.rules.join(", "),
                plural(n, "finding"),
                reason
                    .as_ref()
                    .map(|r| format!("; {r}"))
                    .unwrap_or_default()
            ),
        };
        writeln!(
            out,
            "  {} {:<width$}  {}  ({detail})",
            paint.wrap(color, &status),
            c.id,
            c.title
        )?;
    }
    Ok(())
}

/// `1 finding`, `2 findings`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Other people's text, made safe for a terminal and a CI log.
pub(crate) use crate::untrusted::clean;
