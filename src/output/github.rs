//! GitHub Actions workflow commands: one annotation per finding on the
//! export's line (`::error file=…,line=…,title=…::message`), and one per
//! problem that left the scan incomplete. Suppressed findings, and with a
//! baseline unchanged ones, are not annotated.

use std::io::{self, Write};

use crate::finding::Report;
use crate::rules::Severity;

/// Escapes a command's message (GitHub's `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
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

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for f in report.findings.iter().filter(|f| f.counts()) {
        writeln!(
            out,
            "::{} file={},line={},title={}::{}",
            command(f.severity),
            property(&f.location.uri),
            f.location.best_line(),
            property(&format!("{} {} ({})", f.rule.code, f.rule.name, f.severity)),
            data(&format!("{}: {}", f.image_id, f.message))
        )?;
    }
    for e in &report.errors {
        writeln!(out, "::error title=amilint::{}", data(&e.to_string()))?;
    }
    for w in &report.warnings {
        writeln!(out, "::warning title=amilint::{}", data(&w.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attacker_text_cannot_start_a_new_command() {
        assert_eq!(data("a\n::error::x%"), "a%0A::error::x%25");
        assert_eq!(property("a,b:c\r"), "a%2Cb%3Ac%0D");
    }
}
