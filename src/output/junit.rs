//! JUnit XML, so CI test tabs show failures: one test suite per rule that
//! ran, one test case per (image, rule). A finding that counts is a failure;
//! a suppressed or baseline-unchanged one is skipped; problems that left the
//! scan incomplete are errors of an `amilint` suite.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::finding::{Finding, Report};

/// Escapes text for XML attributes and content; drops characters XML 1.0 forbids.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push(char::REPLACEMENT_CHARACTER)
            }
            c => out.push(c),
        }
    }
    out
}

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut by_case: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_case
            .entry((f.rule.code, &*f.image_id))
            .or_default()
            .push(f);
    }
    let tests = report.rules.len() * report.images.len();
    let failures = by_case
        .values()
        .filter(|fs| fs.iter().any(|f| f.counts()))
        .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="amilint" tests="{tests}" failures="{failures}" errors="{}">"#,
        report.errors.len()
    )?;
    for rule in &report.rules {
        let failed = report
            .images
            .iter()
            .filter(|i| {
                by_case
                    .get(&(rule.code, &*i.id))
                    .is_some_and(|fs| fs.iter().any(|f| f.counts()))
            })
            .count();
        writeln!(
            out,
            r#"  <testsuite name="{} {}" tests="{}" failures="{failed}">"#,
            rule.code,
            rule.name,
            report.images.len()
        )?;
        for image in &report.images {
            let name = match &image.name {
                Some(n) => format!("{} ({})", image.id, n),
                None => image.id.to_string(),
            };
            let case = format!(
                r#"    <testcase classname="{}" name="{}""#,
                rule.code,
                xml(&name)
            );
            match by_case.get(&(rule.code, &*image.id)) {
                None => writeln!(out, "{case}/>")?,
                Some(findings) => {
                    writeln!(out, "{case}>")?;
                    let counting: Vec<&&Finding> = findings.iter().filter(|f| f.counts()).collect();
                    if counting.is_empty() {
                        let why = findings[0]
                            .suppression
                            .as_ref()
                            .map_or("unchanged since the baseline".to_string(), |s| {
                                format!("suppressed: {}", s.justification)
                            });
                        writeln!(out, r#"      <skipped message="{}"/>"#, xml(&why))?;
                    } else {
                        let messages: Vec<String> = counting
                            .iter()
                            .map(|f| {
                                format!(
                                    "{} {} at {}:{}",
                                    f.severity,
                                    f.message,
                                    f.location.best().0,
                                    f.location.best().1
                                )
                            })
                            .collect();
                        writeln!(
                            out,
                            r#"      <failure type="{}" message="{}">{}</failure>"#,
                            counting[0].severity,
                            xml(&counting[0].message),
                            xml(&messages.join("\n"))
                        )?;
                    }
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !report.errors.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="amilint" tests="{0}" errors="{0}">"#,
            report.errors.len()
        )?;
        for (i, e) in report.errors.iter().enumerate() {
            writeln!(
                out,
                r#"    <testcase classname="amilint" name="incomplete scan {}"><error message="{}"/></testcase>"#,
                i + 1,
                xml(&e.to_string())
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
