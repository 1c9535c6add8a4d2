//! JUnit XML, so CI test tabs (GitLab, Jenkins, …) show what failed: one
//! test suite per rule that ran, one test case per subject (image, or
//! account × region for AMI2xx) and rule. A case fails when one of its
//! findings fails the gate (counts, at or above `--fail-on`); a suppressed or
//! baseline-unchanged finding, or a rule that did not run on the subject (no
//! data, an unreadable date), is `<skipped>` with why; a policy that failed
//! on it is an `<error>`; findings below the gate pass, listed in
//! `<system-out>`. Problems that left the scan incomplete are errors of an
//! `amilint` suite.
//!
//! GitLab refuses a report over 30 MB or 500,000 test cases: past either,
//! the report has one case per rule and input (or live-scan scope) instead,
//! its failures listed inside, and says so in an `amilint` suite case.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::finding::{Finding, Report};
use crate::rules::Subject;

/// GitLab's limits on a JUnit report (`junit` artifacts): its size and its
/// number of test cases.
pub const MAX_BYTES: usize = 30_000_000;
pub const MAX_CASES: usize = 500_000;

/// In the compact form, the findings listed in a case's failure at most.
const LISTED: usize = 100;

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

/// Whether a finding fails the gate (the findings the text's gate line counts).
fn fails_gate(f: &Finding, report: &Report) -> bool {
    f.counts() && report.fail_on.is_some_and(|t| f.severity >= t)
}

/// `SEVERITY message at file:line`.
fn line(f: &Finding) -> String {
    let (uri, line) = f.location.best();
    format!(
        "{} {}: {} at {uri}:{line}",
        f.severity, f.image_id, f.message
    )
}

pub fn emit(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let count = |subject| report.rules.iter().filter(|r| r.subject == subject).count();
    let (account_rules, fleet_rules) = (count(Subject::Account), count(Subject::Fleet));
    let image_rules = report.rules.len() - account_rules - fleet_rules;
    let cases = image_rules * report.images.len()
        + account_rules * report.accounts.len()
        + fleet_rules * report.workloads.len();
    if cases <= MAX_CASES {
        let mut buf = Vec::new();
        per_subject(report, &mut buf)?;
        if buf.len() <= MAX_BYTES {
            return out.write_all(&buf);
        }
    }
    per_rule(report, cases, out)
}

/// The findings of the report by (rule, subject).
fn by_case(report: &Report) -> BTreeMap<(&str, &str), Vec<&Finding>> {
    let mut by_case: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_case
            .entry((f.rule.code, &*f.image_id))
            .or_default()
            .push(f);
    }
    by_case
}

/// One case's body, from its findings and what kept the rule from running.
struct Case {
    failures: Vec<String>,
    skipped: Option<String>,
    error: Option<String>,
    passed_with: Vec<String>,
}

impl Case {
    fn of(
        findings: &[&Finding],
        not_run: Option<&crate::finding::NotRun>,
        report: &Report,
    ) -> Case {
        let failures = findings
            .iter()
            .filter(|f| fails_gate(f, report))
            .map(|f| line(f))
            .collect();
        let skipped = findings
            .iter()
            .find(|f| !f.counts())
            .map(|f| match &f.suppression {
                Some(s) => format!("suppressed: {}", s.justification),
                None if f.outside_gate => {
                    "the image is known to be unused (gate_in_use)".to_string()
                }
                None => "unchanged since the baseline".to_string(),
            })
            .or_else(|| {
                not_run
                    .filter(|n| !n.error())
                    .map(crate::finding::NotRun::why)
            });
        Case {
            failures,
            skipped,
            error: not_run
                .filter(|n| n.error())
                .map(crate::finding::NotRun::why),
            passed_with: findings
                .iter()
                .filter(|f| f.counts() && !fails_gate(f, report))
                .map(|f| line(f))
                .collect(),
        }
    }

    fn write(&self, open: &str, out: &mut dyn Write) -> io::Result<()> {
        let plain = self.failures.is_empty()
            && self.skipped.is_none()
            && self.error.is_none()
            && self.passed_with.is_empty();
        if plain {
            return writeln!(out, "{open}/>");
        }
        writeln!(out, "{open}>")?;
        if let Some(why) = &self.error {
            writeln!(out, r#"      <error message="{}"/>"#, xml(why))?;
        } else if let Some(first) = self.failures.first() {
            writeln!(
                out,
                r#"      <failure type="gate" message="{}">{}</failure>"#,
                xml(first),
                xml(&self.failures.join("\n"))
            )?;
        } else if let Some(why) = &self.skipped {
            writeln!(out, r#"      <skipped message="{}"/>"#, xml(why))?;
        }
        if !self.passed_with.is_empty() {
            writeln!(
                out,
                "      <system-out>below the gate: {}</system-out>",
                xml(&self.passed_with.join("\n"))
            )?;
        }
        writeln!(out, "    </testcase>")
    }

    /// The case as counts: one test, and what it is.
    fn counts(&self) -> Counts {
        Counts {
            tests: 1,
            failures: usize::from(self.error.is_none() && !self.failures.is_empty()),
            skipped: usize::from(
                self.error.is_none() && self.failures.is_empty() && self.skipped.is_some(),
            ),
            errors: usize::from(self.error.is_some()),
        }
    }
}

/// What a suite (or the whole report) declares.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
    errors: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.skipped += other.skipped;
        self.errors += other.errors;
    }
}

/// The subjects a rule runs on: (id, name shown, what did not run on it).
fn subjects<'r>(
    report: &'r Report,
    rule: &crate::rules::RuleMeta,
) -> Vec<(&'r str, String, &'r [crate::finding::NotRun])> {
    if rule.subject == Subject::Account {
        return report
            .accounts
            .iter()
            .map(|a| (&**a, a.to_string(), &[][..]))
            .collect();
    }
    let listed = match rule.subject {
        Subject::Fleet => &report.workloads,
        _ => &report.images,
    };
    listed
        .iter()
        .map(|i| {
            let name = match &i.name {
                Some(n) => format!("{} ({})", i.id, n),
                None => i.id.to_string(),
            };
            (&*i.id, name, i.not_run.as_slice())
        })
        .collect()
}

/// One case per subject and rule.
fn per_subject(report: &Report, out: &mut Vec<u8>) -> io::Result<()> {
    let by_case = by_case(report);
    let mut suites = Vec::new();
    for rule in &report.rules {
        let mut body = Vec::new();
        let mut counts = Counts::default();
        for (id, name, not_run) in subjects(report, rule) {
            let findings = by_case.get(&(rule.code, id)).map_or(&[][..], Vec::as_slice);
            let case = Case::of(
                findings,
                not_run.iter().find(|n| n.rule.code == rule.code),
                report,
            );
            let print = findings
                .first()
                .map_or(String::new(), |f| format!(" [{}]", f.fingerprint));
            case.write(
                &format!(
                    r#"    <testcase classname="{}" name="{}{}""#,
                    rule.code,
                    xml(&name),
                    print
                ),
                &mut body,
            )?;
            counts.add(case.counts());
        }
        suites.push((rule, counts, body));
    }
    write_all(report, suites, None, out)
}

/// One case per rule and input (or live-scan scope), for reports past
/// GitLab's limits.
fn per_rule(report: &Report, cases: usize, out: &mut dyn Write) -> io::Result<()> {
    let group = |f: &Finding| match f.scope.as_deref() {
        Some(s) => format!("{}/{}", s.account_id, s.region),
        None => f.location.uri.to_string(),
    };
    let groups: Vec<String> = if report.scopes.is_empty() {
        report.inputs.iter().map(|i| i.to_string()).collect()
    } else {
        report
            .scopes
            .iter()
            .map(|s| format!("{}/{}", s.account_id, s.region))
            .collect()
    };
    let mut by_group: BTreeMap<(&str, String), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_group.entry((f.rule.code, group(f))).or_default().push(f);
    }
    let mut skipped_by_rule: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    for image in &report.images {
        for n in &image.not_run {
            let entry = skipped_by_rule
                .entry(n.rule.code)
                .or_insert_with(|| (0, n.why()));
            entry.0 += 1;
        }
    }
    let mut suites = Vec::new();
    for rule in &report.rules {
        let mut body = Vec::new();
        let mut counts = Counts::default();
        // The inputs (or scopes), then any other file a finding points into.
        let mut names = groups.clone();
        let known: std::collections::HashSet<&String> = groups.iter().collect();
        names.extend(
            by_group
                .keys()
                .filter(|(code, g)| *code == rule.code && !known.contains(g))
                .map(|(_, g)| g.clone()),
        );
        for g in names {
            let findings = by_group
                .get(&(rule.code, g.clone()))
                .map_or(&[][..], Vec::as_slice);
            let failing: Vec<&&Finding> =
                findings.iter().filter(|f| fails_gate(f, report)).collect();
            let open = format!(
                r#"    <testcase classname="{}" name="{}""#,
                rule.code,
                xml(&g)
            );
            if failing.is_empty() {
                writeln!(body, "{open}/>")?;
            } else {
                let mut listed: Vec<String> =
                    failing.iter().take(LISTED).map(|f| line(f)).collect();
                if failing.len() > LISTED {
                    listed.push(format!(
                        "… and {} more (the JSON report, -o json=FILE, lists every finding)",
                        failing.len() - LISTED
                    ));
                }
                writeln!(
                    body,
                    r#"{open}>
      <failure type="gate" message="{} findings fail the gate">{}</failure>
    </testcase>"#,
                    failing.len(),
                    xml(&listed.join("\n"))
                )?;
                counts.failures += 1;
            }
            counts.tests += 1;
        }
        if let Some((n, why)) = skipped_by_rule.get(rule.code) {
            writeln!(
                body,
                r#"    <testcase classname="{}" name="not run on {n} images"><skipped message="{}"/></testcase>"#,
                rule.code,
                xml(why)
            )?;
            counts.tests += 1;
            counts.skipped += 1;
        }
        suites.push((rule, counts, body));
    }
    let why = format!(
        "one test case per rule and input: one per image and rule ({cases} cases) would be past what GitLab accepts ({MAX_CASES} cases, {} MB); the JSON report lists every finding",
        MAX_BYTES / 1_000_000
    );
    let mut buf = Vec::new();
    write_all(report, suites, Some(&why), &mut buf)?;
    out.write_all(&buf)
}

type Suite<'a> = (&'a &'static crate::rules::RuleMeta, Counts, Vec<u8>);

/// The document: the suites, then the `amilint` suite (the scan's errors, the
/// gate, and the compact form's notice).
fn write_all(
    report: &Report,
    suites: Vec<Suite<'_>>,
    compact: Option<&str>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut totals = Counts::default();
    for (_, counts, _) in &suites {
        totals.add(*counts);
    }
    let gate = report.gate();
    let extra = report.errors.len() + 1 + usize::from(compact.is_some());
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="amilint" tests="{}" failures="{}" skipped="{}" errors="{}">"#,
        totals.tests + extra,
        totals.failures + usize::from(gate.status == "failed"),
        totals.skipped,
        totals.errors + report.errors.len()
    )?;
    for (rule, c, body) in suites {
        writeln!(
            out,
            r#"  <testsuite name="{} {}" tests="{}" failures="{}" skipped="{}" errors="{}">"#,
            rule.code, rule.name, c.tests, c.failures, c.skipped, c.errors,
        )?;
        out.write_all(&body)?;
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(
        out,
        r#"  <testsuite name="amilint" tests="{extra}" failures="{}" errors="{}">"#,
        usize::from(gate.status == "failed"),
        report.errors.len()
    )?;
    writeln!(out, "    <properties>")?;
    for (name, value) in [
        ("gate.status", gate.status.clone()),
        ("gate.fail_on", gate.fail_on.clone()),
        ("gate.counted", gate.counted.to_string()),
        ("findings", report.tally.findings.to_string()),
    ] {
        writeln!(
            out,
            r#"      <property name="{name}" value="{}"/>"#,
            xml(&value)
        )?;
    }
    writeln!(out, "    </properties>")?;
    let verdict = xml(&gate.to_string());
    if gate.status == "failed" {
        writeln!(
            out,
            r#"    <testcase classname="amilint" name="gate"><failure type="gate" message="{verdict}"/></testcase>"#
        )?;
    } else {
        writeln!(
            out,
            r#"    <testcase classname="amilint" name="gate"><system-out>{verdict}</system-out></testcase>"#
        )?;
    }
    if let Some(why) = compact {
        writeln!(
            out,
            r#"    <testcase classname="amilint" name="report form"><system-out>{}</system-out></testcase>"#,
            xml(why)
        )?;
    }
    for (i, e) in report.errors.iter().enumerate() {
        writeln!(
            out,
            r#"    <testcase classname="amilint" name="incomplete scan {}"><error message="{}"/></testcase>"#,
            i + 1,
            xml(&e.to_string())
        )?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}
