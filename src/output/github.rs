//! GitHub Actions workflow commands: one annotation per finding on the
//! export's line (`::error file=…,line=…,title=…::message`), and one per
//! problem that left the scan incomplete. Suppressed findings, and with a
//! baseline unchanged ones, are not annotated.

use crate::finding::{Finding, Report};
use crate::rules::Severity;

/// Escapes a command's message (GitHub's `escapeData`); other control
/// characters (terminal escapes, BEL) from image text never reach the log raw.
fn data(text: &str) -> String {
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

/// An annotation per error, warning and note.
pub fn tail(report: &Report, out: &mut Vec<u8>) {
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
