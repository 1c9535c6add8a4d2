//! The one place that decides: arguments → images → rules → filter → emit → status.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

use crate::cli::{Cli, ColorArg, Command, FailOn, FormatArg, RulesFormat, ScanArgs};
use crate::error::{InputError, OutputError};
use crate::finding::{Finding, Location, Report};
use crate::input::{InputSource, read_images};
use crate::output::{self, Format};
use crate::rules::{self, BUILTIN, Cx, RuleMeta, RuleSettings, Severity};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Rules(args) => {
            list_rules(args.format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => {
            let Some(meta) = rules::lookup(&rule) else {
                bail!("unknown rule `{rule}` (see `amilint rules`)");
            };
            let mut out = io::stdout().lock();
            write!(out, "{}", explain(meta)).context("writing to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The validated scan configuration.
#[derive(Debug, Clone)]
pub struct ScanPlan {
    /// The rules to run, in code order.
    pub rules: Vec<&'static RuleMeta>,
    /// `--severity` overrides by rule code.
    pub severities: BTreeMap<&'static str, Severity>,
    pub settings: RuleSettings,
    /// `--output FORMAT=PATH` files.
    pub outputs: Vec<(Format, PathBuf)>,
    pub fail_on: Option<Severity>,
}

impl ScanPlan {
    /// The default plan: rules on by default, default limits, `--fail-on low`.
    pub fn new(settings: RuleSettings) -> Self {
        ScanPlan {
            rules: BUILTIN
                .iter()
                .copied()
                .filter(|r| r.default_enabled)
                .collect(),
            severities: BTreeMap::new(),
            settings,
            outputs: Vec::new(),
            fail_on: Some(Severity::Low),
        }
    }
}

fn resolve_rules(keys: &[String], flag: &str) -> Result<Vec<&'static RuleMeta>> {
    let mut out = Vec::new();
    for key in keys.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        if key.eq_ignore_ascii_case("ALL") {
            out.extend(BUILTIN.iter().copied());
        } else {
            match rules::lookup(key) {
                Some(rule) => out.push(rule),
                None => bail!("{flag}: unknown rule `{key}` (see `amilint rules`)"),
            }
        }
    }
    Ok(out)
}

fn plan(args: &ScanArgs) -> Result<ScanPlan> {
    let selected = resolve_rules(&args.select, "--select")?;
    let ignored = resolve_rules(&args.ignore, "--ignore")?;
    let rules: Vec<&'static RuleMeta> = BUILTIN
        .iter()
        .copied()
        .filter(|r| {
            if args.select.is_empty() {
                r.default_enabled
            } else {
                selected.iter().any(|s| s.code == r.code)
            }
        })
        .filter(|r| !ignored.iter().any(|i| i.code == r.code))
        .collect();

    let mut severities = BTreeMap::new();
    for pair in &args.severities {
        let Some((rule, level)) = pair.split_once('=') else {
            bail!("--severity: expected RULE=LEVEL, got `{pair}`");
        };
        let Some(meta) = rules::lookup(rule.trim()) else {
            bail!("--severity: unknown rule `{rule}` (see `amilint rules`)");
        };
        let level: Severity = level
            .trim()
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--severity: {e}"))?;
        severities.insert(meta.code, level);
    }

    let now = match &args.now {
        Some(text) => text.parse::<Timestamp>().with_context(|| {
            format!("--now: `{text}` is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)")
        })?,
        None => Timestamp::now(),
    };
    if args.max_age_days < 0 || args.max_deprecation_days < 0 {
        bail!("--max-age-days and --max-deprecation-days must not be negative");
    }

    let mut outputs = Vec::new();
    for spec in &args.outputs {
        let Some((format, path)) = spec.split_once('=') else {
            bail!("--output: expected FORMAT=PATH (e.g. sarif=amilint.sarif), got `{spec}`");
        };
        let Some(format) = Format::parse(format.trim()) else {
            bail!("--output: unknown format `{format}` (expected text, json or sarif)");
        };
        if path.is_empty() {
            bail!("--output: no path given in `{spec}`");
        }
        // Fail before scanning, not after: the folder must exist.
        if let Some(dir) = Path::new(path).parent()
            && !dir.as_os_str().is_empty()
            && !dir.is_dir()
        {
            bail!("--output: folder `{}` does not exist", dir.display());
        }
        outputs.push((format, PathBuf::from(path)));
    }

    let fail_on = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    };

    Ok(ScanPlan {
        rules,
        severities,
        settings: RuleSettings {
            now,
            max_age_days: args.max_age_days,
            max_deprecation_days: args.max_deprecation_days,
        },
        outputs,
        fail_on,
    })
}

fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let plan = plan(args)?;
    let sources: Vec<InputSource> = args.inputs.iter().map(|a| InputSource::new(a)).collect();
    if sources.iter().filter(|s| s.arg == "-").count() > 1 {
        bail!("stdin (`-`) can be read only once");
    }

    let report = scan_sources(&sources, &plan)?;

    for (format, path) in &plan.outputs {
        write_atomically(path, |out| output::emit(*format, &report, false, out))?;
    }
    let stdout_format = match args.format {
        FormatArg::Text => Some(Format::Text),
        FormatArg::Json => Some(Format::Json),
        FormatArg::Sarif => Some(Format::Sarif),
        FormatArg::None => None,
    };
    if let Some(format) = stdout_format {
        let color = use_color(args.color);
        let mut out = BufWriter::new(io::stdout().lock());
        output::emit(format, &report, color, &mut out)
            .and_then(|()| out.flush())
            .context("writing the report to stdout")?;
    }

    Ok(if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if report.fails() && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads every source and runs the plan's rules on each image. The scanner
/// keeps findings, not images. An input error stops the scan: no report.
pub fn scan_sources(sources: &[InputSource], plan: &ScanPlan) -> Result<Report, InputError> {
    let mut report = Report {
        tool_version: env!("CARGO_PKG_VERSION"),
        now: plan.settings.now,
        inputs: sources.iter().map(|s| s.uri.clone()).collect(),
        rules: plan.rules.clone(),
        images_scanned: 0,
        images_skipped: 0,
        findings: Vec::new(),
        errors: Vec::new(),
        fail_on: plan.fail_on,
    };
    let mut cx = Cx::new(&plan.settings);
    for (input_index, source) in sources.iter().enumerate() {
        read_images(source, |located| {
            let image = &located.image;
            if !image.is_linted_type() {
                report.images_skipped += 1;
                return;
            }
            report.images_scanned += 1;
            for rule in &plan.rules {
                (rule.check)(image, &mut cx);
            }
            let raws = cx.take();
            if raws.is_empty() {
                return;
            }
            // One shared copy of the id and name for all of the image's findings.
            let image_id: Arc<str> = image.id().into();
            let image_name: Option<Arc<str>> = image.name.as_deref().map(Into::into);
            for raw in raws {
                report.findings.push(Finding {
                    rule: raw.rule,
                    severity: plan
                        .severities
                        .get(raw.rule.code)
                        .copied()
                        .unwrap_or(raw.rule.severity),
                    image_id: image_id.clone(),
                    image_name: image_name.clone(),
                    message: raw.message,
                    location: Location {
                        uri: source.uri.clone(),
                        line: located.line,
                        column: located.column,
                        field_line: located.line_of(&raw.pointer),
                        pointer: raw.pointer,
                    },
                    input_index,
                });
            }
        })?;
    }
    report
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(report)
}

fn use_color(arg: ColorArg) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}

/// Writes a report to a temporary file beside `path`, then renames it into
/// place: readers see the whole report or none.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), OutputError> {
    let err = |source| OutputError {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".amilint-");
    // A report is an ordinary file: rw for all, less the umask (not 0600).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(err)?;
    {
        let mut out = BufWriter::new(tmp.as_file_mut());
        write(&mut out).and_then(|()| out.flush()).map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// `amilint explain`: the rule's header and its docs.
pub fn explain(rule: &RuleMeta) -> String {
    format!(
        "# {} {}\n\n{}\n\nDefault severity: {}. On by default: {}.\n\n{}",
        rule.code,
        rule.name,
        rule.summary,
        rule.severity,
        if rule.default_enabled { "yes" } else { "no" },
        rule.docs()
    )
}

/// The Markdown rule reference (`amilint rules --format markdown`, docs/rules.md).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# amilint rules\n\nGenerated by `amilint rules --format markdown`; do not edit.\n\n",
    );
    out.push_str("| code | name | severity | on by default | summary |\n|---|---|---|---|---|\n");
    for r in BUILTIN {
        out.push_str(&format!(
            "| [{}](#{}) | {} | {} | {} | {} |\n",
            r.code,
            r.code.to_ascii_lowercase(),
            r.name,
            r.severity,
            if r.default_enabled { "yes" } else { "no" },
            r.summary
        ));
    }
    for r in BUILTIN {
        let docs = r.docs().replace("\n## ", "\n### ");
        let docs = docs
            .strip_prefix("## ")
            .map_or(docs.clone(), |d| format!("### {d}"));
        out.push_str(&format!(
            "\n## {}\n\n`{}` · default severity **{}** · on by default: {}\n\n{}",
            r.code,
            r.name,
            r.severity,
            if r.default_enabled { "yes" } else { "no" },
            docs
        ));
    }
    out
}

#[derive(serde::Serialize)]
struct RuleJson {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    default_enabled: bool,
    summary: &'static str,
    description: String,
    docs: String,
}

fn list_rules(format: RulesFormat) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    match format {
        RulesFormat::Text => {
            for r in BUILTIN {
                writeln!(
                    out,
                    "{}  {:<30} {:<8} {:<4} {}",
                    r.code,
                    r.name,
                    r.severity,
                    if r.default_enabled { "on" } else { "off" },
                    r.summary
                )?;
            }
        }
        RulesFormat::Json => {
            let list: Vec<RuleJson> = BUILTIN
                .iter()
                .map(|r| RuleJson {
                    code: r.code,
                    name: r.name,
                    severity: r.severity,
                    default_enabled: r.default_enabled,
                    summary: r.summary,
                    description: r.description(),
                    docs: r.docs(),
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        RulesFormat::Markdown => write!(out, "{}", rules_markdown())?,
    }
    out.flush().context("writing to stdout")?;
    Ok(())
}
