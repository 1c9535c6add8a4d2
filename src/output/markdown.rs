//! A compact Markdown summary for `$GITHUB_STEP_SUMMARY`: counts by severity
//! and rule, the top findings, and what was not scanned. Image text is
//! escaped: it can neither break the tables nor inject HTML or links.

use std::io::{self, Write};

use super::Format;
use crate::finding::Report;
use crate::rules::Severity;

/// How many findings the summary lists (the most severe first).
const TOP: usize = 20;

/// Escapes text for a Markdown table cell: HTML, Markdown punctuation,
/// pipes and line breaks.
///
/// Nor can a link, an image, a mention or HTML: `[`/`]` and `<`/`>` are
/// escaped, and what GitHub links by itself (`https://…`, `www.…`, `@user`,
/// `name@example.com`) is broken with a zero-width space.
fn cell(text: &str) -> String {
    let out = cell_text(text);
    if !out.contains("://") && !out.contains('@') && !out.to_ascii_lowercase().contains("www.") {
        return out;
    }
    let out = out.replace("://", ":\u{200B}//").replace('@', "@\u{200B}");
    // `www.` in any case.
    let mut broken = String::with_capacity(out.len() + 8);
    let mut rest = out.as_str();
    while let Some(i) = rest.to_ascii_lowercase().find("www.") {
        broken.push_str(&rest[..i + 3]);
        broken.push('\u{200B}');
        rest = &rest[i + 3..];
    }
    broken.push_str(rest);
    broken
}

fn cell_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            // Without `[` and `]` no link can form, so `(` and `)` stay.
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(char::REPLACEMENT_CHARACTER),
            c => out.push(c),
        }
    }
    out
}

/// Where the findings the summary leaves out are: a report this run writes
/// that lists them (JSON, or the SARIF log: its most severe one by one), else
/// how to get one.
fn where_listed(written: &[(Format, String)]) -> String {
    let path_of = |format| {
        written
            .iter()
            .find(|(f, _)| *f == format)
            .map(|(_, path)| cell(path))
    };
    if let Some(path) = path_of(Format::Json) {
        format!("every finding is in the JSON report `{path}`")
    } else if let Some(path) = path_of(Format::Sarif) {
        format!(
            "the SARIF log `{path}` lists them (past its --sarif-max-results, the most severe one by one and the others summarised per rule); `-o json=FILE` lists every finding"
        )
    } else {
        "`-o json=FILE` writes a report that lists every finding".to_string()
    }
}

/// The summary of `report`; `written`: the report files the run writes.
pub fn emit(report: &Report, written: &[(Format, String)], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## amilint")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} finding(s) in {} image(s) scanned ({} skipped){}{}.",
        report.tally.findings,
        report.images_scanned,
        report.images_skipped,
        match report.suppressed() {
            0 => String::new(),
            n => format!(", {n} suppressed"),
        },
        match report.baseline_counts() {
            Some((new, unchanged)) => format!(
                ", {new} new and {unchanged} unchanged against the baseline ({} gone)",
                report.baseline_absent.unwrap_or(0)
            ),
            None => String::new(),
        }
    )?;
    // The gate's own count, as every format gives it.
    let gate = report.gate();
    let counted = format!("{} finding(s) at or above {}", gate.counted, gate.fail_on);
    match gate.status.as_str() {
        "incomplete" => writeln!(
            out,
            "**Incomplete**: the scan had errors (see below); {counted} would count for the gate."
        )?,
        "failed" => writeln!(out, "**Failed** the gate: {counted}.")?,
        "off" => writeln!(
            out,
            "The gate is off (`--fail-on never`): no finding fails the run."
        )?,
        _ => writeln!(out, "**Passed** the gate: {counted}.")?,
    }
    writeln!(out)?;
    if let Some((framework, controls)) = &report.benchmark {
        // For auditors: each control, its status, the rules and findings.
        writeln!(out, "### {} ({})", framework.title(), framework.id())?;
        writeln!(out)?;
        writeln!(
            out,
            "| control | status | title | rules | findings | failing images | note |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
        for c in controls {
            let images: Vec<&str> = c.images.iter().map(|i| &**i).collect();
            writeln!(
                out,
                "| {} | **{}** | {} | {} | {} | {} | {} |",
                c.id,
                c.status.as_str(),
                cell(c.title),
                c.rules.join(", "),
                c.findings,
                cell(&images.join(", ")),
                cell(c.reason.as_deref().unwrap_or(""))
            )?;
        }
        writeln!(out)?;
    }

    writeln!(out, "| severity | findings |")?;
    writeln!(out, "|---|---:|")?;
    let by_severity = report.count_by_severity();
    for s in Severity::ALL.iter().rev() {
        writeln!(
            out,
            "| {s} | {} |",
            by_severity.get(s).copied().unwrap_or(0)
        )?;
    }
    writeln!(out)?;

    let by_rule: Vec<_> = report
        .count_by_rule()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    if !by_rule.is_empty() {
        writeln!(out, "| rule | name | findings |")?;
        writeln!(out, "|---|---|---:|")?;
        for (code, n) in by_rule {
            let name = report
                .rules
                .iter()
                .find(|r| r.code == code)
                .map_or("", |r| r.name);
            writeln!(out, "| {code} | {name} | {n} |")?;
        }
        writeln!(out)?;
    }

    let mut top: Vec<_> = report.findings.iter().filter(|f| f.counts()).collect();
    // Most severe first; among equals, images more in use first.
    top.sort_by_key(|f| {
        (
            std::cmp::Reverse(f.severity),
            std::cmp::Reverse(f.usage.as_ref().map_or(0, |u| u.total)),
        )
    });
    if !top.is_empty() {
        writeln!(out, "### Top findings")?;
        writeln!(out)?;
        writeln!(out, "| severity | rule | image | message |")?;
        writeln!(out, "|---|---|---|---|")?;
        for f in top.iter().take(TOP) {
            let mut image = match &f.image_name {
                Some(name) => format!("{} ({})", cell(&f.image_id), cell(name)),
                None => cell(&f.image_id),
            };
            if let Some(usage) = f.usage.as_deref().filter(|u| u.total > 0) {
                image.push_str(&format!(" — in use: {}", cell(&usage.summary())));
            }
            writeln!(
                out,
                "| {} | {} | {image} | {} |",
                f.severity,
                f.rule.code,
                cell(&f.message)
            )?;
        }
        if top.len() > TOP {
            writeln!(out)?;
            writeln!(
                out,
                "… and {} more: {}.",
                top.len() - TOP,
                where_listed(written)
            )?;
        }
        writeln!(out)?;
    }

    let failed: Vec<_> = report
        .scopes
        .iter()
        .filter(|s| s.outcome.is_err())
        .collect();
    if !report.errors.is_empty() || !failed.is_empty() || !report.warnings.is_empty() {
        writeln!(out, "### Not scanned, or incomplete")?;
        writeln!(out)?;
        for e in &report.errors {
            writeln!(out, "- {}", cell(&e.to_string()))?;
        }
        for w in &report.warnings {
            writeln!(out, "- warning: {}", cell(&w.to_string()))?;
        }
        writeln!(out)?;
    }
    if !report.notes.is_empty() {
        writeln!(out, "### Rules skipped for lack of data")?;
        writeln!(out)?;
        for n in &report.notes {
            writeln!(out, "- {}", cell(&n.to_string()))?;
        }
        writeln!(out)?;
    }
    if report.not_owned.images() > 0 {
        writeln!(out, "### Images of other owners")?;
        writeln!(out)?;
        writeln!(out, "- {}", cell(&report.not_owned.to_string()))?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_text_cannot_break_out() {
        assert_eq!(
            cell("<img src=x onerror=alert(1)>|[a](http://x)\n**b**"),
            "&lt;img src=x onerror=alert(1)&gt;\\|\\[a\\](http:\u{200B}//x) \\*\\*b\\*\\*"
        );
        // What GitHub links by itself is broken too (issue 30).
        assert_eq!(
            cell("see https://a.example WWW.b.example @octocat c@d.example"),
            "see https:\u{200B}//a.example WWW\u{200B}.b.example @\u{200B}octocat c@\u{200B}d.example"
        );
    }
}
