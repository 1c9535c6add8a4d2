//! Emitters: each presents a `Report` (and the findings it is given) and
//! decides nothing. The output layer is where amilint writes to stderr
//! (`clippy::print_stderr` is on elsewhere): other layers call `say`.
#![allow(clippy::print_stderr)]

pub mod asff;
pub mod catalogue;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
mod line;
pub mod markdown;
pub mod ocsf;
pub mod policy_test;
#[cfg(feature = "aws")]
pub mod progress;
pub mod remedy;
pub mod sarif;
pub mod text;
pub mod v1;

use std::collections::HashMap;
use std::io::{self, Write};

use crate::finding::{Finding, Report};

pub use crate::cli::{Format, StdoutFormat};

/// One line on stderr, for the layers above the emitters (a written file,
/// an interruption, the configuration read).
pub fn say(line: std::fmt::Arguments<'_>) {
    eprintln!("{line}");
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        <Format as clap::ValueEnum>::from_str(s, true).ok()
    }

    /// The name users type (`sarif`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Asff => "asff",
            Format::Ocsf => "ocsf",
            Format::Html => "html",
        }
    }

    /// Written image by image while the scan runs; the others are written
    /// from the whole report at the end (so the scan keeps every finding).
    pub fn streams(self) -> bool {
        !matches!(self, Format::Markdown | Format::Junit)
    }

    /// Needs the list of linted images (JUnit: a test case per image and rule).
    pub fn needs_images(self) -> bool {
        self == Format::Junit
    }

    /// Needs an AWS account and region for every finding (ASFF: the Security
    /// Hub that imports it). A live scan has them; offline, the command line
    /// must give them.
    pub fn needs_account(self) -> bool {
        self == Format::Asff
    }
}

/// Appends `value` as indented JSON whose lines after the first start with
/// `indent` (it sits at that depth of a larger document). Our output types
/// always serialise; JSON strings never hold a raw newline.
fn pretty(out: &mut Vec<u8>, value: &impl serde::Serialize, indent: &str) {
    let text =
        serde_json::to_string_pretty(value).expect("invariant: report values serialise to JSON");
    out.extend_from_slice(text.replace('\n', &format!("\n{indent}")).as_bytes());
}

/// Each rule's remediation text and docs URL, made once per report: the
/// dashboard formats repeat them on every finding.
#[derive(Debug, Clone, Default)]
pub struct RuleTexts(HashMap<&'static str, (String, Option<String>)>);

impl RuleTexts {
    pub fn new(report: &Report) -> Self {
        RuleTexts(
            report
                .rules
                .iter()
                .map(|r| (r.code, (r.remediation(), r.help_uri())))
                .collect(),
        )
    }

    /// (remediation, docs URL) of `rule`.
    pub fn of(&self, rule: &crate::rules::RuleMeta) -> (&str, Option<&str>) {
        match self.0.get(rule.code) {
            Some((text, uri)) => (text, uri.as_deref()),
            None => (rule.summary, None),
        }
    }
}

/// The findings an output could not list one by one within its consumer's
/// limits: a SARIF report's past `--sarif-max-results` (GitHub code
/// scanning), GitHub annotations past 10 a level. The scan keeps them and
/// the tail writes them folded.
#[derive(Debug)]
pub enum Overflow {
    Sarif(Box<sarif::Summary>),
    Github(github::Budget),
}

impl Overflow {
    /// The overflow of `format`, if it has limits.
    pub fn of(
        format: Format,
        sarif_max_results: usize,
        root: Option<crate::input::source::SourceRoot>,
    ) -> Option<Overflow> {
        match format {
            Format::Sarif if sarif_max_results > 0 => Some(Overflow::Sarif(Box::new(
                sarif::Summary::new(sarif_max_results, root),
            ))),
            Format::Github => Some(Overflow::Github(github::Budget::default())),
            _ => None,
        }
    }

    /// Whether an image's findings are written now, one by one (SARIF under
    /// a limit: never, its tail lists the most severe).
    pub fn admit(&mut self, findings: &[Finding]) -> bool {
        match self {
            Overflow::Sarif(_) => false,
            Overflow::Github(budget) => budget.admit(findings),
        }
    }

    /// Takes the image's findings that were not written (`admit`).
    pub fn add(&mut self, findings: &[Finding]) {
        match self {
            Overflow::Sarif(summary) => summary.hold(findings),
            Overflow::Github(budget) => budget.add(findings),
        }
    }

    /// What was folded, for stderr; `None` when nothing was.
    pub fn notice(&self) -> Option<String> {
        match self {
            Overflow::Sarif(summary) => (summary.findings > 0).then(|| summary.notice()),
            Overflow::Github(budget) => (budget.folded() > 0).then(|| budget.notice()),
        }
    }
}

/// How a report looks on a terminal: colour, and (text) the fix commands.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub fixes: bool,
    /// `-q`: the findings and the gate line only.
    pub quiet: bool,
    /// `--statistics`: counts per rule instead of the findings.
    pub statistics: bool,
    /// `--only-new`: findings the baseline did not have.
    pub only_new: bool,
    /// A live scan without `--save`: its images are in no file.
    pub live: bool,
}

/// What an emitter is told besides the report: how it looks, and the
/// settings of some formats. The command makes it from its plan and flags;
/// no output setting travels on `Report`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub style: Style,
    /// `--category`: the SARIF run's category.
    pub category: Option<String>,
    /// `--asff-account`, `--asff-region`: where Security Hub findings go
    /// when a finding has no live-scan scope of its own.
    pub asff_target: Option<(String, String)>,
    /// The report files the run writes (`--output`): the Markdown summary
    /// names the one that lists every finding.
    pub written: Vec<(Format, String)>,
}

/// One output as the scan writes it: the formats that stream (text, JSON,
/// SARIF, GitHub, …) get a head, then each image's findings in input order,
/// then a tail with the counts; Markdown and JUnit need the whole report at
/// the end. Each format holds what it needs made once per report.
#[derive(Clone)]
pub struct Emitter {
    pub format: Format,
    writer: Writer,
}

/// A format with its per-report context.
#[derive(Clone)]
enum Writer {
    Text(Style),
    /// Whether the findings are about requests (a preflight).
    Json(bool),
    /// Rule indexes and the work tree URIs are relative to.
    Sarif(sarif::Context),
    /// SARIF whose results are chosen at the end (`--sarif-max-results`:
    /// the most severe): nothing is written image by image.
    SarifHeld(sarif::Context),
    Github,
    /// The report files the run writes.
    Markdown(Vec<(Format, String)>),
    Junit,
    Asff(asff::Context),
    Ocsf(ocsf::Context),
    Html,
}

impl Emitter {
    pub fn new(format: Format, report: &Report, settings: &Settings) -> Self {
        let writer = match format {
            Format::Text => Writer::Text(settings.style),
            Format::Json => Writer::Json(report.requests),
            Format::Sarif => Writer::Sarif(sarif::Context::new(report, settings.category.clone())),
            Format::Github => Writer::Github,
            Format::Markdown => Writer::Markdown(settings.written.clone()),
            Format::Junit => Writer::Junit,
            Format::Asff => Writer::Asff(asff::Context::new(report, settings.asff_target.clone())),
            Format::Ocsf => Writer::Ocsf(ocsf::Context::new(report)),
            Format::Html => Writer::Html,
        };
        Emitter { format, writer }
    }

    /// This SARIF output lists its results at the end (`Overflow::Sarif`
    /// holds them): its images render to nothing while the scan runs.
    pub fn held(self) -> Self {
        match self.writer {
            Writer::Sarif(cx) => Emitter {
                format: self.format,
                writer: Writer::SarifHeld(cx),
            },
            writer => Emitter {
                format: self.format,
                writer,
            },
        }
    }

    /// Whether the format is written image by image while the scan runs.
    pub fn streams(&self) -> bool {
        self.format.streams()
    }

    pub fn head(&self, report: &Report, out: &mut Vec<u8>) {
        match &self.writer {
            Writer::Json(_) => json::head(report, out),
            Writer::Sarif(cx) | Writer::SarifHeld(cx) => sarif::head(report, cx, out),
            Writer::Asff(_) => asff::head(out),
            Writer::Ocsf(_) => ocsf::head(out),
            Writer::Html => html::head(out),
            Writer::Text(_) | Writer::Github | Writer::Markdown(_) | Writer::Junit => {}
        }
    }

    /// One image's findings, in report order.
    pub fn image(&self, findings: &[Finding], out: &mut Vec<u8>) {
        match &self.writer {
            Writer::Json(requests) => json::image(findings, *requests, out),
            Writer::Sarif(cx) => sarif::image(findings, cx, out),
            Writer::Text(style) => text::image(findings, *style, out),
            Writer::Github => github::image(findings, out),
            Writer::Asff(cx) => asff::image(findings, cx, out),
            Writer::Ocsf(cx) => ocsf::image(findings, cx, out),
            Writer::Html => html::image(findings, out),
            Writer::SarifHeld(_) | Writer::Markdown(_) | Writer::Junit => {}
        }
    }

    /// What goes between two images' (non-empty) findings.
    pub fn separator(&self) -> &'static [u8] {
        match self.writer {
            Writer::Json(_)
            | Writer::Sarif(_)
            | Writer::SarifHeld(_)
            | Writer::Asff(_)
            | Writer::Ocsf(_)
            | Writer::Html => b",",
            Writer::Text(_) | Writer::Github | Writer::Markdown(_) | Writer::Junit => b"",
        }
    }

    /// The rest of the report, once every finding has been written;
    /// `overflow` holds the findings past the format's limit.
    pub fn tail(
        &self,
        report: &Report,
        overflow: Option<&Overflow>,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut buf = Vec::new();
        match &self.writer {
            Writer::Json(_) => json::tail(report, &mut buf),
            Writer::Sarif(cx) | Writer::SarifHeld(cx) => {
                let summary = match overflow {
                    Some(Overflow::Sarif(summary)) => Some(&**summary),
                    _ => None,
                };
                sarif::tail(report, summary, cx, &mut buf);
            }
            Writer::Text(style) => text::tail(report, *style, &mut buf),
            Writer::Github => {
                let budget = match overflow {
                    Some(Overflow::Github(budget)) => Some(budget),
                    _ => None,
                };
                github::tail(report, budget, &mut buf);
            }
            Writer::Asff(_) => asff::tail(report, &mut buf),
            Writer::Ocsf(_) => ocsf::tail(report, &mut buf),
            Writer::Html => html::tail(report, &mut buf),
            Writer::Markdown(written) => markdown::emit(report, written, &mut buf)?,
            Writer::Junit => junit::emit(report, &mut buf)?,
        }
        out.write_all(&buf)
    }
}

/// Writes a whole `report` (its kept findings) in `format`. `color` only
/// matters for text.
pub fn emit(format: Format, report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let settings = Settings {
        style: Style {
            color,
            ..Style::default()
        },
        ..Settings::default()
    };
    emit_with(format, report, &settings, out)
}

/// `emit`, with these settings.
pub fn emit_with(
    format: Format,
    report: &Report,
    settings: &Settings,
    out: &mut dyn Write,
) -> io::Result<()> {
    let emitter = Emitter::new(format, report, settings);
    let mut buf = Vec::new();
    emitter.head(report, &mut buf);
    if emitter.streams() {
        let mut wrote = false;
        for image in report.findings.chunk_by(Finding::same_image) {
            let start = buf.len();
            emitter.image(image, &mut buf);
            if buf.len() > start {
                if wrote {
                    buf.splice(start..start, emitter.separator().iter().copied());
                }
                wrote = true;
            }
            if buf.len() >= 1 << 16 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
    }
    out.write_all(&buf)?;
    emitter.tail(report, None, out)
}

/// Every error, warning and note of a run, one line each on standard error,
/// whatever the format: a red CI job always says why in its log. Not when the
/// text report, which has the same lines, is on the same terminal; and the
/// notes not when the text report is on standard output at all (a CI log
/// shows them once). `quiet` (`-q`): errors and warnings only. In a GitHub Actions job
/// (`GITHUB_ACTIONS=true`), what an output left out (a SARIF log's
/// summarised findings) is a `::warning` annotation, unless the github
/// format on standard output already made it one.
pub fn problems_to_stderr(
    report: &Report,
    text_on_terminal: bool,
    quiet: bool,
    stdout: Option<Format>,
) {
    let annotate = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
        && stdout != Some(Format::Github);
    if text_on_terminal {
        return;
    }
    let one_line = |text: String| text::clean(&text.replace(['\n', '\r'], " "));
    for e in &report.errors {
        eprintln!("amilint: error: {}", one_line(e.to_string()));
    }
    for w in &report.warnings {
        eprintln!("amilint: warning: {}", one_line(w.to_string()));
    }
    // The text report on standard output has the notes already.
    let notes = !quiet && stdout != Some(Format::Text);
    for n in crate::finding::note_lines(&report.notes)
        .into_iter()
        .filter(|_| notes)
    {
        eprintln!("amilint: note: {}", one_line(n));
    }
    if report.not_owned.images() > 0 && notes {
        eprintln!("amilint: note: {}", one_line(report.not_owned.to_string()));
    }
    for n in &report.notices {
        if annotate {
            eprintln!("::warning title=amilint::{}", github::data(n));
        } else {
            eprintln!("amilint: warning: {}", one_line(n.clone()));
        }
    }
}
