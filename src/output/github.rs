//! GitHub Actions workflow commands: one annotation per finding on the
//! export's line (`::error file=…,line=…,title=…::message`), and one per
//! problem that left the scan incomplete. Suppressed findings, and with a
//! baseline unchanged ones, are not annotated.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::finding::{Finding, Report};
use crate::rules::{RuleMeta, Severity};

/// GitHub shows 10 error, 10 warning and 10 notice annotations a step and
/// drops the rest in silence. Of each level's 10: findings one by one, then
/// summaries per rule and file, then one that counts what is left.
const ONE_BY_ONE: usize = 5;
const SUMMARIES: usize = 4;

/// The annotations of a scan past GitHub's limits: the first images'
/// findings one by one, the others folded per rule and file (levels by
/// `command`).
#[derive(Debug, Default)]
pub struct Budget {
    /// Annotations written one by one, per level.
    written: BTreeMap<&'static str, usize>,
    /// Once an image did not fit, every later one is folded (the listed are
    /// the first).
    folding: bool,
    folded: BTreeMap<(&'static str, Arc<str>), Fold>,
}

#[derive(Debug)]
struct Fold {
    rule: &'static RuleMeta,
    severity: Severity,
    count: usize,
    /// The first finding's line.
    line: u64,
    /// The first images.
    images: Vec<Arc<str>>,
}

impl Budget {
    /// Whether an image's annotations go out one by one.
    pub fn admit(&mut self, findings: &[Finding]) -> bool {
        let mut wanted: BTreeMap<&'static str, usize> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.counts()) {
            *wanted.entry(command(f.severity)).or_default() += 1;
        }
        if wanted.is_empty() {
            return true; // nothing of it is annotated
        }
        let fits = wanted
            .iter()
            .all(|(level, n)| self.written.get(level).copied().unwrap_or(0) + n <= ONE_BY_ONE);
        if self.folding || !fits {
            self.folding = true;
            return false;
        }
        for (level, n) in wanted {
            *self.written.entry(level).or_default() += n;
        }
        true
    }

    /// Folds an image's findings into the summaries.
    pub fn add(&mut self, findings: &[Finding]) {
        for f in findings.iter().filter(|f| f.counts()) {
            let (uri, line) = f.location.best();
            let fold = self
                .folded
                .entry((f.rule.code, uri.clone()))
                .or_insert_with(|| Fold {
                    rule: f.rule,
                    severity: f.severity,
                    count: 0,
                    line,
                    images: Vec::new(),
                });
            fold.count += 1;
            fold.severity = fold.severity.max(f.severity);
            if fold.images.len() < 3 {
                fold.images.push(f.image_id.clone());
            }
        }
    }

    /// Findings folded in all.
    pub fn folded(&self) -> usize {
        self.folded.values().map(|f| f.count).sum()
    }

    /// What the annotations left out, for stderr.
    pub fn notice(&self) -> String {
        format!(
            "GitHub shows 10 annotations of each level a step: {} findings are annotated as summaries per rule and file instead of one by one; the report lists them all",
            self.folded()
        )
    }

    /// The summaries, most findings first, at most `SUMMARIES` a level, then
    /// one annotation a level for the rest.
    fn write(&self, out: &mut Vec<u8>) {
        let mut folds: Vec<(&(&'static str, Arc<str>), &Fold)> = self.folded.iter().collect();
        folds.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        let mut shown: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut rest: BTreeMap<&'static str, (usize, usize)> = BTreeMap::new();
        for ((_, file), fold) in folds {
            let level = command(fold.severity);
            let n = shown.entry(level).or_default();
            if *n < SUMMARIES {
                *n += 1;
                let line = format!(
                    "::{level} file={},line={},title={}::{}\n",
                    property(file),
                    fold.line,
                    property(&format!(
                        "{} {} ({}) ×{}",
                        fold.rule.code, fold.rule.name, fold.severity, fold.count
                    )),
                    data(&format!(
                        "{} findings of {} in this file, e.g. {} (GitHub shows 10 annotations of a level a step: see the report for all)",
                        fold.count,
                        fold.rule.code,
                        fold.images
                            .iter()
                            .map(|i| &**i)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                );
                out.extend_from_slice(line.as_bytes());
            } else {
                let (groups, findings) = rest.entry(level).or_default();
                *groups += 1;
                *findings += fold.count;
            }
        }
        for (level, (groups, findings)) in rest {
            out.extend_from_slice(
                format!(
                    "::{level} title=amilint::{findings} more findings ({groups} rules × files) not annotated: GitHub shows 10 annotations of a level a step; the report lists them all\n"
                )
                .as_bytes(),
            );
        }
    }
}

/// Escapes a command's message (GitHub's `escapeData`); other control
/// characters (terminal escapes, BEL) from image text never reach the log raw.
pub(crate) fn data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => out.push(char::REPLACEMENT_CHARACTER),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command property (`escapeProperty`): also `:` and `,`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

/// An annotation per finding the gate counts.
pub fn image(findings: &[Finding], out: &mut Vec<u8>) {
    for f in findings.iter().filter(|f| f.counts()) {
        let line = format!(
            "::{} file={},line={},title={}::{}\n",
            command(f.severity),
            property(f.location.best().0),
            f.location.best().1,
            property(&format!("{} {} ({})", f.rule.code, f.rule.name, f.severity)),
            data(&format!("{}: {}", f.image_id, f.message))
        );
        out.extend_from_slice(line.as_bytes());
    }
}

/// The folded findings' summaries (`budget`), then an annotation per error,
/// warning and note.
pub fn tail(report: &Report, budget: Option<&Budget>, out: &mut Vec<u8>) {
    if let Some(budget) = budget {
        budget.write(out);
    }
    for e in &report.errors {
        out.extend_from_slice(
            format!("::error title=amilint::{}\n", data(&e.to_string())).as_bytes(),
        );
    }
    for w in &report.warnings {
        out.extend_from_slice(
            format!("::warning title=amilint::{}\n", data(&w.to_string())).as_bytes(),
        );
    }
    for n in &report.notes {
        out.extend_from_slice(
            format!("::notice title=amilint::{}\n", data(&n.to_string())).as_bytes(),
        );
    }
    if report.not_owned.images() > 0 {
        out.extend_from_slice(
            format!(
                "::notice title=amilint::{}\n",
                data(&report.not_owned.to_string())
            )
            .as_bytes(),
        );
    }
    // What an output left out (the SARIF log's summarised findings): an
    // annotation, not a log line one has to look for.
    for n in &report.notices {
        out.extend_from_slice(format!("::warning title=amilint::{}\n", data(n)).as_bytes());
    }
    // The gate, in the log, with the count every format gives.
    out.extend_from_slice(
        format!(
            "amilint: {} finding(s) in all; {}\n",
            report.tally.findings,
            report.gate()
        )
        .as_bytes(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacker_text_cannot_start_a_new_command() {
        assert_eq!(data("a\n::error::x%"), "a%0A::error::x%25");
        assert_eq!(property("a,b:c\r"), "a%2Cb%3Ac%0D");
    }

    #[test]
    fn issue_15_terminal_escapes_never_reach_the_log() {
        assert_eq!(data("ami-\u{1b}[31mx\u{7}"), "ami-\u{fffd}[31mx\u{fffd}");
    }
}
