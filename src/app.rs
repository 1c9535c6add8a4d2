//! The one place that decides: arguments → images → rules → filter → emit → status.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

use rayon::prelude::*;

use crate::cli::{
    AwsArgs, Cli, ColorArg, Command, ConfigCommand, FailOn, FormatArg, KindArg, LimitArgs,
    PolicyArgs, PolicyCommand, PreflightArgs, RulesFormat, ScanArgs, ShellArg,
};
use crate::config::{self, Config};
use crate::error::InputError;
use crate::finding::{
    BaselineState, ErrorKind, Finding, Location, Report, ScanError, ScannedImage, SourceSpan,
    Suppression, SuppressionKind, Warning,
};
use crate::input::{FieldLines, InputSource, read_raw};
use crate::model::Image;
use crate::output::{self, Format};
use crate::policy::{self, Limits, Policy};
use crate::rules::{self, BUILTIN, Cx, RawFinding, RequestKind, RuleMeta, RuleSettings, Severity};

mod fix;
mod sink;

use sink::{Target, commit_all, write_atomically};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => scan(&args),
        Command::Preflight(args) => preflight(&args),
        Command::Fix(args) => fix::fix(&args),
        Command::Rules(args) => {
            let policies = load_policies(&args.policies, Timestamp::now())?;
            list_rules(args.format, &policy::catalogue(&policies))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule, policies } => {
            let policies = load_policies(&policies, Timestamp::now())?;
            let Some(meta) = rules::find(&policy::catalogue(&policies), &rule) else {
                bail!("unknown rule `{rule}` (see `amilint rules`)");
            };
            let mut out = io::stdout().lock();
            write!(out, "{}", explain(meta)).context("writing to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Policy(PolicyCommand::Test { paths, limits }) => policy_test(&paths, &limits),
        Command::Completions { shell } => {
            use clap_complete::Shell;
            let shell = match shell {
                ShellArg::Bash => Shell::Bash,
                ShellArg::Zsh => Shell::Zsh,
                ShellArg::Fish => Shell::Fish,
                ShellArg::Powershell => Shell::PowerShell,
                ShellArg::Elvish => Shell::Elvish,
            };
            let mut command = <Cli as clap::CommandFactory>::command();
            // Into memory first: clap_complete panics on a write error (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "amilint", &mut script);
            io::stdout()
                .lock()
                .write_all(&script)
                .context("writing to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Merge { reports, output } => {
            let paths: Vec<&Path> = reports.iter().map(PathBuf::as_path).collect();
            // Read twice, as streams: checked and summed, then written.
            let plan = crate::merge::plan(&paths)?;
            let write = |out: &mut dyn Write| crate::merge::write(&plan, out);
            match &output {
                Some(path) => write_atomically(path, write)?,
                None => {
                    let mut out = BufWriter::new(io::stdout().lock());
                    write(&mut out)
                        .and_then(|()| out.flush())
                        .context("writing to stdout")?;
                }
            }
            // The merged gate: incomplete wins, then any counting finding at or above fail_on.
            Ok(if plan.incomplete {
                ExitCode::from(2)
            } else if plan.failing {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Schema => {
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &output::json::schema())?;
            writeln!(out).context("writing to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let page = include_bytes!(concat!(env!("OUT_DIR"), "/amilint.1"));
            io::stdout()
                .lock()
                .write_all(page)
                .context("writing to stdout")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { force } => {
            let path = Path::new(config::FILE_NAME);
            if path.exists() && !force {
                bail!(
                    "{} exists already (use --force to overwrite)",
                    path.display()
                );
            }
            write_atomically(path, |out| out.write_all(config::STARTER.as_bytes()))?;
            eprintln!("wrote {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(ConfigCommand::Check { config, policies }) => {
            let Some(path) = config_path(config.as_deref(), false) else {
                bail!(
                    "no {} here or in a parent folder (see `amilint init`)",
                    config::FILE_NAME
                );
            };
            let (config, policies) = config_and_policies(Some(&path), &policies, Timestamp::now())?;
            let mut out = io::stdout().lock();
            writeln!(
                out,
                "{}: ok ({} scope(s), {} waiver(s), {} policy(ies))",
                path.display(),
                config.scopes.len(),
                config.waivers.len(),
                policies.len()
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn limits(args: &LimitArgs) -> Limits {
    let default = Limits::default();
    Limits {
        max_operations: args.policy_max_operations.unwrap_or(default.max_operations),
        timeout: args
            .policy_timeout_ms
            .map_or(default.timeout, Duration::from_millis),
        max_call_depth: args.policy_max_call_depth.unwrap_or(default.max_call_depth),
        max_string_size: args
            .policy_max_string_size
            .unwrap_or(default.max_string_size),
        max_array_size: args.policy_max_array_size.unwrap_or(default.max_array_size),
        max_map_size: args.policy_max_map_size.unwrap_or(default.max_map_size),
    }
}

fn load_policies(args: &PolicyArgs, now: Timestamp) -> Result<Vec<Arc<Policy>>> {
    Ok(policy::load(&args.paths, &limits(&args.limits), now)?)
}

/// `amilint policy test`: PASS/FAIL per case, then a count.
fn policy_test(paths: &[PathBuf], args: &LimitArgs) -> Result<ExitCode> {
    let outcomes = policy::testing::run(paths, &limits(args))?;
    let mut out = BufWriter::new(io::stdout().lock());
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    for o in &outcomes {
        match &o.failure {
            None => writeln!(out, "PASS  {} {}: {}", o.script, o.policy, o.case)?,
            Some(why) => writeln!(
                out,
                "FAIL  {} {}: {}\n      {why}",
                o.script, o.policy, o.case
            )?,
        }
    }
    writeln!(out, "{} passed, {failed} failed", outcomes.len() - failed)?;
    out.flush().context("writing to stdout")?;
    Ok(if failed == 0 && !outcomes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
    /// The policies to run (those of `rules` that are policies).
    pub policies: Vec<Arc<Policy>>,
    /// `[[scopes]]`: rules that apply only to matching images.
    pub scopes: Vec<config::Scope>,
    /// `[[waivers]]`: accepted exceptions.
    pub waivers: Vec<config::Waiver>,
    /// Whether an image's `amilint:ignore` tag may suppress findings.
    pub allow_tag_suppression: bool,
    /// The config file, for warnings that point into it.
    pub config_uri: Option<Arc<str>>,
    /// `--baseline`: the fingerprints of a previous report.
    pub baseline: Option<crate::baseline::Baseline>,
    /// Keep the list of linted images (an output, JUnit, needs it).
    pub keep_images: bool,
    /// A live scan without `--save`: findings point at
    /// `aws/ACCOUNT/REGION/IMAGE_ID.json`, line 1, not into an export.
    pub live_uris: bool,
}

impl ScanPlan {
    /// The default plan: rules on by default, default limits, `--fail-on low`.
    pub fn new(settings: RuleSettings) -> Self {
        ScanPlan {
            rules: BUILTIN
                .iter()
                .copied()
                .filter(|r| r.default_enabled && r.subject.images())
                .collect(),
            severities: BTreeMap::new(),
            settings,
            outputs: Vec::new(),
            fail_on: Some(Severity::Low),
            policies: Vec::new(),
            scopes: Vec::new(),
            waivers: Vec::new(),
            allow_tag_suppression: true,
            config_uri: None,
            baseline: None,
            keep_images: false,
            live_uris: false,
        }
    }
}

fn resolve_rules(
    catalogue: &[&'static RuleMeta],
    keys: &[String],
    flag: &str,
) -> Result<Vec<&'static RuleMeta>> {
    let mut out = Vec::new();
    for key in keys.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        if key.eq_ignore_ascii_case("ALL") {
            out.extend(catalogue.iter().copied());
        } else {
            match rules::find(catalogue, key) {
                Some(rule) => out.push(rule),
                None => bail!("{flag}: unknown rule `{key}` (see `amilint rules`)"),
            }
        }
    }
    Ok(out)
}

/// The config file to use: `--config`, else `amilint.toml` here or in a
/// parent folder, unless `--no-config`.
fn config_path(explicit: Option<&Path>, no_config: bool) -> Option<PathBuf> {
    if no_config {
        return None;
    }
    explicit.map(Path::to_path_buf).or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|d| config::discover(&d))
    })
}

/// Loads the config (if any) with the policies it and the command line name.
fn config_and_policies(
    path: Option<&Path>,
    args: &PolicyArgs,
    now: Timestamp,
) -> Result<(Config, Vec<Arc<Policy>>)> {
    let mut paths = match path {
        Some(p) => config::policy_paths(p)?,
        None => Vec::new(),
    };
    paths.extend(args.paths.iter().cloned());
    let policies = policy::load(&paths, &limits(&args.limits), now)?;
    let config = match path {
        Some(p) => config::load(p, &policy::catalogue(&policies))?,
        None => Config {
            allow_tag_suppression: true,
            ..Config::default()
        },
    };
    Ok((config, policies))
}

/// The validated plan of a scan, or with `requests` of a preflight: only the
/// rules that apply to images (or to requests) run.
fn plan(args: &ScanArgs, requests: bool) -> Result<ScanPlan> {
    let now = match &args.now {
        Some(text) => text.parse::<Timestamp>().with_context(|| {
            format!("--now: `{text}` is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)")
        })?,
        None => Timestamp::now(),
    };
    let path = config_path(args.config.as_deref(), args.no_config);
    let (config, policies) = config_and_policies(path.as_deref(), &args.policies, now)?;
    let catalogue = policy::catalogue(&policies);
    let options = &config.options;

    // Command line first, then the config file, then defaults.
    let select: Vec<String> = if args.select.is_empty() {
        config.select.clone().unwrap_or_default()
    } else {
        args.select.clone()
    };
    let mut ignore = args.ignore.clone();
    ignore.extend(config.ignore.clone().unwrap_or_default());
    ignore.extend(config.disabled.iter().cloned());
    let selected = resolve_rules(&catalogue, &select, "--select")?;
    let applies = |r: &RuleMeta| {
        if requests {
            r.subject.requests()
        } else {
            r.subject.images()
        }
    };
    let explicit = select
        .iter()
        .filter(|k| !k.trim().eq_ignore_ascii_case("ALL"));
    for key in explicit {
        if let Some(rule) = rules::find(&catalogue, key.trim())
            && !applies(rule)
        {
            bail!(
                "--select: {} ({}) {}",
                rule.code,
                rule.name,
                if requests {
                    "lints images that exist: use `amilint scan`"
                } else {
                    "lints image requests: use `amilint preflight`"
                }
            );
        }
    }
    let ignored = resolve_rules(&catalogue, &ignore, "--ignore")?;
    // Rules off by default that the config configured are on.
    let configured = |code: &str| match code {
        "AMI007" => options.required_tags.is_some() || options.tag_values.is_some(),
        "AMI017" => options.name_pattern.is_some(),
        "AMI018" => options.allowed_kms_keys.is_some(),
        _ => false,
    };
    let rules: Vec<&'static RuleMeta> = catalogue
        .iter()
        .copied()
        .filter(|r| {
            if select.is_empty() {
                r.default_enabled || configured(r.code)
            } else {
                selected.iter().any(|s| s.code == r.code)
            }
        })
        .filter(|r| !ignored.iter().any(|i| i.code == r.code))
        .filter(|r| applies(r))
        .collect();
    let policies = policies
        .into_iter()
        .filter(|p| rules.iter().any(|r| r.code == p.meta.code))
        .collect();

    let mut severities: BTreeMap<&'static str, Severity> = BTreeMap::new();
    for (code, level) in &config.severities {
        if let Some(meta) = rules::find(&catalogue, code) {
            severities.insert(meta.code, *level);
        }
    }
    for pair in &args.severities {
        let Some((rule, level)) = pair.split_once('=') else {
            bail!("--severity: expected RULE=LEVEL, got `{pair}`");
        };
        let Some(meta) = rules::find(&catalogue, rule.trim()) else {
            bail!("--severity: unknown rule `{rule}` (see `amilint rules`)");
        };
        let level: Severity = level
            .trim()
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--severity: {e}"))?;
        severities.insert(meta.code, level);
    }

    let mut settings = RuleSettings {
        now,
        ..RuleSettings::default()
    };
    options.apply(&mut settings);
    if let Some(days) = args.max_age_days {
        settings.max_age_days = days;
    }
    if let Some(days) = args.max_deprecation_days {
        settings.max_deprecation_days = days;
    }
    if let Some(days) = args.max_unused_days {
        settings.max_unused_days = days;
    }
    if !args.allow_accounts.is_empty() {
        settings.allowed_accounts = args.allow_accounts.clone();
    }
    if !args.allow_orgs.is_empty() {
        settings.allowed_organizations = args.allow_orgs.clone();
    }
    if settings.max_age_days < 0
        || settings.max_deprecation_days < 0
        || settings.max_unused_days < 0
    {
        bail!("--max-age-days, --max-deprecation-days and --max-unused-days must not be negative");
    }
    for account in &args.allow_accounts {
        if !crate::model::is_account_id(account) {
            bail!("--allow-account: `{account}` is not a 12-digit AWS account id");
        }
    }
    for arn in &args.allow_orgs {
        if !arn.starts_with("arn:") || !(arn.contains(":organization/") || arn.contains(":ou/")) {
            bail!(
                "--allow-org: `{arn}` is not an organization or OU ARN \
                 (arn:aws:organizations::111122223333:organization/o-abc123)"
            );
        }
    }
    let baseline = match &args.baseline {
        Some(path) => Some(crate::baseline::load(path)?),
        None => None,
    };

    let mut outputs = Vec::new();
    for spec in &args.outputs {
        let Some((format, path)) = spec.split_once('=') else {
            bail!("--output: expected FORMAT=PATH (e.g. sarif=amilint.sarif), got `{spec}`");
        };
        let Some(format) = Format::parse(format.trim()) else {
            let names: Vec<&str> = <Format as clap::ValueEnum>::value_variants()
                .iter()
                .map(|f| f.name())
                .collect();
            bail!(
                "--output: unknown format `{format}` (expected one of: {})",
                names.join(", ")
            );
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
        Some(FailOn::Info) => Some(Severity::Info),
        Some(FailOn::Low) => Some(Severity::Low),
        Some(FailOn::Medium) => Some(Severity::Medium),
        Some(FailOn::High) => Some(Severity::High),
        Some(FailOn::Critical) => Some(Severity::Critical),
        Some(FailOn::Never) => None,
        None => config.fail_on.unwrap_or(Some(Severity::Low)),
    };

    let keep_images = args.format == FormatArg::Junit
        || outputs.iter().any(|(format, _)| *format == Format::Junit);
    Ok(ScanPlan {
        rules,
        severities,
        settings,
        outputs,
        fail_on,
        policies,
        scopes: config.scopes,
        waivers: config.waivers,
        allow_tag_suppression: config.allow_tag_suppression,
        config_uri: path.map(|p| Arc::from(p.display().to_string())),
        baseline,
        keep_images,
        live_uris: args.live.aws && args.live.save.is_none(),
    })
}

fn scan(args: &ScanArgs) -> Result<ExitCode> {
    let plan = plan(args, false)?;
    let (targets, asff_target) = outputs(args, &plan)?;
    let report = if args.live.aws {
        live_scan(&args.live, &plan, targets, asff_target)?
    } else {
        let sources: Vec<InputSource> = args.inputs.iter().map(|a| InputSource::new(a)).collect();
        if sources.iter().filter(|s| s.arg == "-").count() > 1 {
            bail!("stdin (`-`) can be read only once");
        }
        let mut report = Report::new(
            plan.settings.now,
            sources.iter().map(|s| s.uri.clone()).collect(),
            plan.rules.clone(),
            plan.fail_on,
        );
        report.asff_target = asff_target;
        run_scan(&sources, &plan, report, targets, false)?
    };
    problems_to_stderr(&report);
    Ok(exit_code(&report, args.exit_zero))
}

/// Every error and warning of a run, one line each on standard error, whatever
/// the format: a red CI job always says why in its log.
fn problems_to_stderr(report: &Report) {
    let one_line = |text: String| output::text::clean(&text.replace(['\n', '\r'], " "));
    for e in &report.errors {
        eprintln!("amilint: error: {}", one_line(e.to_string()));
    }
    for w in &report.warnings {
        eprintln!("amilint: warning: {}", one_line(w.to_string()));
    }
}

fn exit_code(report: &Report, exit_zero: bool) -> ExitCode {
    if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if report.fails() && !exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The reports to write (`--output` files, then stdout's), and the ASFF
/// account and region.
#[allow(clippy::type_complexity)]
fn outputs(
    args: &ScanArgs,
    plan: &ScanPlan,
) -> Result<(
    Vec<(Format, output::Style, Target)>,
    Option<(String, String)>,
)> {
    let stdout_format = match args.format {
        FormatArg::Text => Some(Format::Text),
        FormatArg::Json => Some(Format::Json),
        FormatArg::Sarif => Some(Format::Sarif),
        FormatArg::Github => Some(Format::Github),
        FormatArg::Markdown => Some(Format::Markdown),
        FormatArg::Junit => Some(Format::Junit),
        FormatArg::Asff => Some(Format::Asff),
        FormatArg::Ocsf => Some(Format::Ocsf),
        FormatArg::Html => Some(Format::Html),
        FormatArg::None => None,
    };
    let asff_wanted = stdout_format == Some(Format::Asff)
        || plan
            .outputs
            .iter()
            .any(|(format, _)| *format == Format::Asff);
    let asff_target = match (&args.asff_account, &args.asff_region) {
        (Some(account), Some(region)) => {
            if !crate::model::is_account_id(account) {
                bail!("--asff-account: `{account}` is not a 12-digit AWS account id");
            }
            Some((account.clone(), region.clone()))
        }
        _ => None,
    };
    if asff_wanted && asff_target.is_none() && !args.live.aws {
        bail!(
            "the asff format needs --asff-account and --asff-region: the account and region \
             whose Security Hub imports the findings (a live scan takes them from each image)"
        );
    }
    // Before anything is read or opened: no report may land on an input, the
    // config, the `--save` export, or another report.
    let mut named: Vec<(String, &Path)> = plan
        .outputs
        .iter()
        .map(|(format, path)| (format!("--output {}", format.name()), path.as_path()))
        .collect();
    if let Some(save) = &args.live.save {
        named.insert(0, ("--save".to_string(), save.as_path()));
    }
    let mut inputs: Vec<&Path> = args
        .inputs
        .iter()
        .filter(|a| *a != "-")
        .map(Path::new)
        .collect();
    // Not `--baseline`: it is read whole before the scan, and replacing the
    // last report with the new one is the usual ratchet.
    inputs.extend(args.config.as_deref());
    let stdin_input = args.inputs.iter().any(|a| a == "-");
    sink::check_paths(&named, &inputs, stdin_input, stdout_format.is_some())?;
    let mut targets = Vec::new();
    for (format, path) in &plan.outputs {
        targets.push((*format, output::Style::default(), Target::file(path)?));
    }
    if let Some(format) = stdout_format {
        let style = output::Style {
            color: use_color(args.color),
            fixes: args.show_fixes,
        };
        targets.push((format, style, Target::stdout()));
    }
    Ok((targets, asff_target))
}

/// `amilint preflight`: each request document is read into our image model
/// (its tags from `TagSpecifications` with `ResourceType: image`) and checked
/// like an image, by the rules that apply to requests, with the request's
/// kind in the settings. Findings point at the request file's lines.
fn preflight(args: &PreflightArgs) -> Result<ExitCode> {
    let scan_args = &args.scan;
    if scan_args.live.aws {
        bail!("--aws: preflight lints request files; live images are for `amilint scan --aws`");
    }
    let plan = plan(scan_args, true)?;
    let (targets, asff_target) = outputs(scan_args, &plan)?;
    let sources: Vec<InputSource> = scan_args
        .inputs
        .iter()
        .map(|a| InputSource::new(a))
        .collect();
    if sources.iter().filter(|s| s.arg == "-").count() > 1 {
        bail!("stdin (`-`) can be read only once");
    }
    let kind = args.kind.map(|k| match k {
        KindArg::Create => RequestKind::Create,
        KindArg::Register => RequestKind::Register,
    });
    let mut report = preflight_sources(&sources, &plan, kind)?;
    report.asff_target = asff_target;
    let mut written = Vec::new();
    for (format, color, mut target) in targets {
        output::emit_styled(format, &report, color, target.writer())
            .with_context(|| format!("writing the report to {}", target.describe()))?;
        written.push(target);
    }
    commit_all(written)?;
    problems_to_stderr(&report);
    Ok(exit_code(&report, scan_args.exit_zero))
}

/// Reads every request of `sources` and checks it with the plan's request
/// rules; `kind` overrides telling RegisterImage from CreateImage by content.
/// Every finding is kept in the report.
pub fn preflight_sources(
    sources: &[InputSource],
    plan: &ScanPlan,
    kind: Option<RequestKind>,
) -> Result<Report> {
    let mut report = Report::new(
        plan.settings.now,
        sources.iter().map(|s| s.uri.clone()).collect(),
        plan.rules.clone(),
        plan.fail_on,
    );
    report.requests = true;
    // The request's kind goes to the rules through the settings: one plan
    // per kind, made once.
    let plan_for = |kind: RequestKind| {
        let mut p = plan.clone();
        p.settings.request = Some(kind);
        p
    };
    let (register, create) = (
        plan_for(RequestKind::Register),
        plan_for(RequestKind::Create),
    );
    for (input_index, source) in sources.iter().enumerate() {
        for request in crate::input::read_requests(source)? {
            let crate::input::file::Request {
                mut image,
                raw,
                line,
                column,
            } = request;
            let kind = kind.unwrap_or(if image.extra.contains_key("InstanceId") {
                RequestKind::Create
            } else {
                RequestKind::Register
            });
            image.tags = Some(request_tags(&image));
            // A RegisterImage/CreateImage request has no image id yet: findings
            // name the image to be (an EnableImageDeprecation request has one).
            if image.image_id.is_none() {
                image.image_id = Some(match &image.name {
                    Some(name) => name.clone(),
                    None => format!("request at {}:{line}", source.uri),
                });
            }
            let request_plan = match kind {
                RequestKind::Register => &register,
                RequestKind::Create => &create,
            };
            let at = At {
                raw: &raw,
                keys: None,
                line,
                column,
                uri: &source.uri,
                input_index,
            };
            let linted = check_image(&image, &at, request_plan);
            report.images_scanned += 1;
            for f in linted.findings {
                report.tally.add(&f);
                report.findings.push(f);
            }
        }
    }
    Ok(report)
}

/// The tags a request gives the image: `TagSpecifications` entries with
/// `ResourceType: image`.
fn request_tags(request: &Image) -> Vec<crate::model::Tag> {
    request
        .extra
        .get("TagSpecifications")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter(|spec| spec.get("ResourceType").and_then(|v| v.as_str()) == Some("image"))
        .filter_map(|spec| spec.get("Tags").cloned())
        .filter_map(|tags| serde_json::from_value::<Vec<crate::model::Tag>>(tags).ok())
        .flatten()
        .collect()
}

/// One output of a running scan.
struct Sink {
    emitter: output::Emitter,
    target: Target,
    /// Whether an image's findings have been written (separators go between).
    wrote: bool,
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.target
            .writer()
            .write_all(bytes)
            .with_context(|| format!("writing the report to {}", self.target.describe()))
    }
}

/// Images are checked in batches, in parallel; findings keep input order.
const BATCH: usize = 512;

/// A batch is also sent once its images reach this many bytes, so memory is
/// bounded by bytes in flight, not by image size times `BATCH`.
const BATCH_BYTES: usize = 4 << 20;

/// A policy that fails on many images is listed this many times, then counted.
const MAX_ERRORS_PER_POLICY: usize = 100;

/// An image of a batch: its end in `bytes`, line, column, and range in
/// `keys` (`None` when the reader did not record its keys).
type ImageSpan = (usize, u64, u64, Option<(usize, usize)>);

/// Image objects found by the reader, not yet parsed.
struct Batch {
    input_index: usize,
    bytes: Vec<u8>,
    images: Vec<ImageSpan>,
    /// The offsets of the images' top-level keys, back to back.
    keys: Vec<u32>,
}

/// What checking one image gave.
enum Checked {
    /// Not a machine image (kernel, ramdisk): not linted.
    Skipped,
    /// The image's JSON is invalid: the scan stops.
    Invalid(InputError),
    Linted(Box<Linted>),
}

#[derive(Default)]
struct Linted {
    image: Option<ScannedImage>,
    findings: Vec<Finding>,
    errors: Vec<ScanError>,
    /// Waivers that covered a finding: (index, whether still active).
    waivers: Vec<(usize, bool)>,
    /// Fingerprints of findings that the baseline has.
    in_baseline: Vec<u64>,
    /// Each streaming output's text for this image.
    rendered: Vec<Vec<u8>>,
}

/// Reads every source and runs the plan's rules and policies on each image,
/// keeping every finding in the report (no outputs written).
pub fn scan_sources(sources: &[InputSource], plan: &ScanPlan) -> Result<Report> {
    let report = Report::new(
        plan.settings.now,
        sources.iter().map(|s| s.uri.clone()).collect(),
        plan.rules.clone(),
        plan.fail_on,
    );
    run_scan(sources, plan, report, Vec::new(), true)
}

/// The scan: one thread finds the image objects of each source; rayon's
/// threads parse and check batches of them and render their findings for each
/// streaming output; the outputs are written in input order as batches finish
/// (each batch is written while the next one is checked), then committed.
/// Findings are kept when asked or when an output needs them all at the end.
/// An input error stops the scan and leaves no report.
fn run_scan(
    sources: &[InputSource],
    plan: &ScanPlan,
    mut report: Report,
    targets: Vec<(Format, output::Style, Target)>,
    keep_findings: bool,
) -> Result<Report> {
    let mut sinks: Vec<Sink> = targets
        .into_iter()
        .map(|(format, color, target)| Sink {
            emitter: output::Emitter::new(format, &report, color),
            target,
            wrote: false,
        })
        .collect();
    let keep_findings = keep_findings || sinks.iter().any(|s| !s.emitter.streams());
    // The rendering side's copy of the streaming outputs, in `sinks` order.
    let streaming: Vec<output::Emitter> = sinks
        .iter()
        .filter(|s| s.emitter.streams())
        .map(|s| s.emitter.clone())
        .collect();
    for sink in &mut sinks {
        let mut head = Vec::new();
        sink.emitter.head(&report, &mut head);
        sink.write(&head)?;
    }

    let mut state = ScanState {
        report: &mut report,
        sinks: &mut sinks,
        keep_findings,
        keep_images: plan.keep_images,
        errors: ErrorLog::default(),
        waiver_used: vec![0; plan.waivers.len()],
        waiver_expired: vec![0; plan.waivers.len()],
        in_baseline: std::collections::HashSet::new(),
    };
    let outcome: Result<()> = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        let reader = scope.spawn(move || read_batches(sources, tx));
        let mut done: Option<Vec<Checked>> = None;
        let mut result = Ok(());
        for batch in rx.iter() {
            let (checked, written) = rayon::join(
                || check_batch(&batch, sources, plan, &streaming),
                || done.take().map_or(Ok(()), |c| state.absorb(c)),
            );
            done = Some(checked);
            if let Err(e) = written {
                result = Err(e);
                break;
            }
        }
        if result.is_ok()
            && let Some(checked) = done.take()
        {
            result = state.absorb(checked);
        }
        // Dropping the receiver stops a reader that is still going.
        drop(rx);
        let read = reader
            .join()
            .expect("invariant: the reader thread does not panic");
        // An image the reader passed but that failed to parse comes first.
        result?;
        read?;
        Ok(())
    });
    outcome?;
    let ScanState {
        errors,
        waiver_used,
        waiver_expired,
        in_baseline,
        ..
    } = state;
    report.errors.extend(errors.finish());
    report
        .warnings
        .extend(waiver_warnings(plan, &waiver_used, &waiver_expired));
    if let Some(baseline) = &plan.baseline {
        report.baseline_absent = Some(baseline.fingerprints.len() - in_baseline.len());
    }
    let mut targets = Vec::new();
    for mut sink in sinks {
        let mut tail = Vec::new();
        sink.emitter
            .tail(&report, &mut tail)
            .context("writing the report")?;
        sink.write(&tail)?;
        targets.push(sink.target);
    }
    commit_all(targets)?;
    Ok(report)
}

/// What the writing side of a scan accumulates, batch after batch.
struct ScanState<'a> {
    report: &'a mut Report,
    sinks: &'a mut [Sink],
    keep_findings: bool,
    keep_images: bool,
    errors: ErrorLog,
    waiver_used: Vec<usize>,
    waiver_expired: Vec<usize>,
    in_baseline: std::collections::HashSet<u64>,
}

impl ScanState<'_> {
    /// Counts, writes and keeps (as needed) one checked batch, in input order.
    fn absorb(&mut self, checked: Vec<Checked>) -> Result<()> {
        for c in checked {
            let linted = match c {
                Checked::Skipped => {
                    self.report.images_skipped += 1;
                    continue;
                }
                Checked::Invalid(e) => return Err(e.into()),
                Checked::Linted(linted) => *linted,
            };
            self.report.images_scanned += 1;
            if self.keep_images {
                self.report.images.extend(linted.image);
            }
            for f in &linted.findings {
                self.report.tally.add(f);
            }
            for (i, active) in linted.waivers {
                if active {
                    self.waiver_used[i] += 1;
                } else {
                    self.waiver_expired[i] += 1;
                }
            }
            self.in_baseline.extend(linted.in_baseline);
            self.errors.extend(linted.errors);
            let mut rendered = linted.rendered.iter();
            for sink in self.sinks.iter_mut().filter(|s| s.emitter.streams()) {
                let text = rendered.next().map_or(&[][..], Vec::as_slice);
                if text.is_empty() {
                    continue;
                }
                if sink.wrote {
                    sink.write(sink.emitter.separator())?;
                }
                sink.write(text)?;
                sink.wrote = true;
            }
            if self.keep_findings {
                self.report.findings.extend(linted.findings);
            }
        }
        Ok(())
    }
}

/// Finds the image objects of every source in order and sends them in
/// batches. Stops early (quietly) when the scan has stopped listening.
fn read_batches(
    sources: &[InputSource],
    tx: std::sync::mpsc::SyncSender<Batch>,
) -> Result<(), InputError> {
    for (input_index, source) in sources.iter().enumerate() {
        let new_batch = || Batch {
            input_index,
            bytes: Vec::with_capacity(BATCH * 2048),
            images: Vec::with_capacity(BATCH),
            keys: Vec::with_capacity(BATCH * 32),
        };
        let mut batch = new_batch();
        let stopped = || InputError::Io {
            path: source.name(),
            source: io::Error::other("the scan stopped"),
        };
        read_raw(source, |bytes, line, column, keys| {
            batch.bytes.extend_from_slice(bytes);
            let key_range = keys.map(|keys| {
                let start = batch.keys.len();
                batch.keys.extend_from_slice(keys);
                (start, batch.keys.len())
            });
            batch
                .images
                .push((batch.bytes.len(), line, column, key_range));
            if batch.images.len() == BATCH || batch.bytes.len() >= BATCH_BYTES {
                let full = std::mem::replace(&mut batch, new_batch());
                tx.send(full).map_err(|_| stopped())?;
            }
            Ok(())
        })
        .inspect_err(|_| {
            // The images before the error still count (and may hold an
            // earlier error of their own).
            let _ = tx.send(std::mem::replace(&mut batch, new_batch()));
        })?;
        if !batch.images.is_empty() {
            tx.send(batch).map_err(|_| stopped())?;
        }
    }
    Ok(())
}

/// Parses and checks one batch in parallel, in order.
fn check_batch(
    batch: &Batch,
    sources: &[InputSource],
    plan: &ScanPlan,
    streaming: &[output::Emitter],
) -> Vec<Checked> {
    let source = &sources[batch.input_index];
    let name = source.name();
    (0..batch.images.len())
        .into_par_iter()
        .map(|i| {
            let start = i.checked_sub(1).map_or(0, |p| batch.images[p].0);
            let (end, line, column, key_range) = batch.images[i];
            let raw = &batch.bytes[start..end];
            let keys = key_range.map(|(from, to)| &batch.keys[from..to]);
            let image = match crate::input::parse_image(raw, line, column, &name) {
                Ok(image) => image,
                Err(e) => return Checked::Invalid(e),
            };
            if !image.is_linted_type() {
                return Checked::Skipped;
            }
            let at = At {
                raw,
                keys,
                line,
                column,
                uri: &source.uri,
                input_index: batch.input_index,
            };
            let mut linted = check_image(&image, &at, plan);
            linted.rendered = streaming
                .iter()
                .map(|emitter| {
                    let mut out = Vec::with_capacity(linted.findings.len() * 768);
                    if !linted.findings.is_empty() {
                        emitter.image(&linted.findings, &mut out);
                    }
                    out
                })
                .collect();
            Checked::Linted(Box::new(linted))
        })
        .collect()
}

/// Where an image is in its input.
struct At<'a> {
    raw: &'a [u8],
    /// Its top-level keys' offsets, when the reader recorded them.
    keys: Option<&'a [u32]>,
    line: u64,
    column: u64,
    uri: &'a Arc<str>,
    input_index: usize,
}

/// Runs every rule and policy of the plan on one image, then applies scopes,
/// suppressions (tag, waivers) and the baseline to its findings.
fn check_image(image: &Image, at: &At<'_>, plan: &ScanPlan) -> Linted {
    let mut cx = Cx::new(&plan.settings);
    for rule in &plan.rules {
        if let Some(check) = rule.builtin_check() {
            check(image, &mut cx);
        }
    }
    let mut raws = cx.take();
    let image_id: Arc<str> = image.id().into();
    let mut linted = Linted::default();
    if plan.keep_images {
        linted.image = Some(ScannedImage {
            id: image_id.clone(),
            name: image.name.as_deref().map(Into::into),
        });
    }
    if !plan.policies.is_empty() {
        run_policies(image, plan, &image_id, &mut raws, &mut linted.errors);
    }
    if !plan.scopes.is_empty() {
        // A rule listed by scopes applies only to images in one of them.
        raws.retain(|raw| {
            let mut listing = plan
                .scopes
                .iter()
                .filter(|s| s.lists(raw.rule.code))
                .peekable();
            listing.peek().is_none() || listing.any(|s| s.matches(image))
        });
    }
    if raws.is_empty() {
        return linted;
    }
    let tag_suppression = tag_suppression(image, plan);
    // One shared copy of the name and scope for all of the image's findings.
    let image_name: Option<Arc<str>> = image.name.as_deref().map(Into::into);
    let scope = image.scope.clone().map(Arc::new);
    let field_lines = (!plan.live_uris).then(|| FieldLines::new(at.raw, at.line, at.keys));
    // A live scan without `--save` has no file to point at: each image gets
    // a stable path of its own.
    let (uri, line, column) = match (&scope, plan.live_uris) {
        (Some(s), true) => (
            Arc::from(format!(
                "aws/{}/{}/{}.json",
                s.account_id, s.region, image_id
            )),
            1,
            1,
        ),
        (None, true) => (Arc::from(format!("aws/{image_id}.json")), 1, 1),
        (_, false) => (at.uri.clone(), at.line, at.column),
    };
    linted.findings = raws
        .into_iter()
        .map(|raw| Finding {
            fingerprint: Finding::fingerprint(raw.rule.code, &image_id, &raw.pointer),
            fix: raw.fix,
            rule: raw.rule,
            severity: plan
                .severities
                .get(raw.rule.code)
                .copied()
                .or(raw.severity)
                .unwrap_or(raw.rule.severity),
            image_id: image_id.clone(),
            image_name: image_name.clone(),
            scope: scope.clone(),
            message: raw.message,
            location: Location {
                uri: uri.clone(),
                line,
                column,
                field_line: field_lines.as_ref().and_then(|l| l.of(&raw.pointer)),
                pointer: raw.pointer,
            },
            input_index: at.input_index,
            suppression: tag_suppression.as_ref().and_then(|(codes, why)| {
                codes
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(raw.rule.code) || c == raw.rule.name)
                    .then(|| Suppression {
                        kind: SuppressionKind::Tag,
                        justification: why.clone(),
                    })
            }),
            baseline: None,
        })
        .collect();
    linted
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    judge(&mut linted, plan);
    linted
}

/// The image's `amilint:ignore` tag (codes or names, comma-separated) and its
/// justification, when the config allows tag suppression.
fn tag_suppression(image: &Image, plan: &ScanPlan) -> Option<(Vec<String>, String)> {
    if !plan.allow_tag_suppression {
        return None;
    }
    let codes: Vec<String> = image
        .tag("amilint:ignore")?
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let why = match image.tag("amilint:ignore-reason") {
        Some(reason) if !reason.trim().is_empty() => reason.trim().to_string(),
        _ => "suppressed by the image's amilint:ignore tag".to_string(),
    };
    Some((codes, why))
}

/// Waivers, then the baseline, for one image's findings. The gate then counts
/// only what is neither suppressed nor old.
fn judge(linted: &mut Linted, plan: &ScanPlan) {
    let today = plan.settings.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    for f in &mut linted.findings {
        if f.suppression.is_some() {
            continue;
        }
        // An active waiver wins over an expired one that covers the same finding.
        let covering = |active: bool| {
            plan.waivers.iter().enumerate().find(|(_, w)| {
                (w.expires >= today) == active
                    && w.covers(f.rule.code, &f.image_id, f.image_name.as_deref())
            })
        };
        if let Some((i, waiver)) = covering(true).or_else(|| covering(false)) {
            let active = waiver.expires >= today;
            linted.waivers.push((i, active));
            if active {
                f.suppression = Some(Suppression {
                    kind: SuppressionKind::Waiver,
                    justification: format!("{} (waiver until {})", waiver.reason, waiver.expires),
                });
            }
        }
    }
    if let Some(baseline) = &plan.baseline {
        for f in &mut linted.findings {
            let print = crate::baseline::parse_fingerprint(&f.fingerprint);
            f.baseline = Some(
                if let Some(print) = print.filter(|p| baseline.fingerprints.contains(p)) {
                    linted.in_baseline.push(print);
                    BaselineState::Unchanged
                } else {
                    BaselineState::New
                },
            );
        }
    }
}

/// After the scan: a warning for each expired waiver and each waiver that
/// matched nothing, pointing at its entry in the config file.
fn waiver_warnings(plan: &ScanPlan, used: &[usize], expired_hits: &[usize]) -> Vec<Warning> {
    let today = plan.settings.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut warnings = Vec::new();
    for (i, waiver) in plan.waivers.iter().enumerate() {
        let source = plan.config_uri.as_ref().map(|uri| SourceSpan {
            uri: uri.clone(),
            line: Some(waiver.line),
            column: None,
        });
        let message = if waiver.expires < today {
            Some(format!(
                "waiver expired on {} (\"{}\"): its {} finding(s) count again",
                waiver.expires, waiver.reason, expired_hits[i]
            ))
        } else if used[i] == 0 {
            Some(format!(
                "stale waiver (\"{}\", until {}): it matches no finding; remove it",
                waiver.reason, waiver.expires
            ))
        } else {
            None
        };
        if let Some(message) = message {
            warnings.push(Warning { message, source });
        }
    }
    warnings
}

/// Converts the image for Rhai once, then runs every policy on it.
fn run_policies(
    image: &Image,
    plan: &ScanPlan,
    image_id: &Arc<str>,
    raws: &mut Vec<RawFinding>,
    errors: &mut Vec<ScanError>,
) {
    let value = match policy::image_value(image) {
        Ok(value) => value,
        Err(message) => {
            errors.push(ScanError {
                kind: ErrorKind::Policy,
                message: format!("cannot hand the image to policies: {message}"),
                rule: None,
                image_id: Some(image_id.clone()),
                source: None,
                scope: None,
            });
            return;
        }
    };
    for policy in &plan.policies {
        match policy.check(&value) {
            Ok(found) => raws.extend(found.into_iter().map(|f| RawFinding {
                fix: None,
                rule: policy.meta,
                pointer: f.pointer,
                message: f.message,
                severity: f.severity,
            })),
            Err(e) => errors.push(ScanError {
                kind: ErrorKind::Policy,
                message: e.message,
                rule: Some(policy.meta),
                image_id: Some(image_id.clone()),
                source: policy.meta.script().map(|script| SourceSpan {
                    uri: script.into(),
                    line: e.line,
                    column: e.column,
                }),
                scope: None,
            }),
        }
    }
}

/// Keeps the first `MAX_ERRORS_PER_POLICY` errors of each policy and counts
/// the rest, so a policy broken on every image does not drown the report.
#[derive(Default)]
struct ErrorLog {
    kept: Vec<ScanError>,
    per_rule: BTreeMap<&'static str, (usize, &'static RuleMeta)>,
}

impl ErrorLog {
    fn extend(&mut self, errors: Vec<ScanError>) {
        for e in errors {
            if let Some(rule) = e.rule {
                let (count, _) = self.per_rule.entry(rule.code).or_insert((0, rule));
                *count += 1;
                if *count > MAX_ERRORS_PER_POLICY {
                    continue;
                }
            }
            self.kept.push(e);
        }
    }

    fn finish(mut self) -> Vec<ScanError> {
        for (count, rule) in self.per_rule.into_values() {
            if count > MAX_ERRORS_PER_POLICY {
                self.kept.push(ScanError {
                    kind: ErrorKind::Policy,
                    message: format!(
                        "failed on {count} images in all; only the first {MAX_ERRORS_PER_POLICY} are listed"
                    ),
                    rule: Some(rule),
                    image_id: None,
                    source: rule.script().map(|script| SourceSpan {
                        uri: script.into(),
                        line: None,
                        column: None,
                    }),
                    scope: None,
                });
            }
        }
        self.kept
    }
}

#[cfg(not(feature = "aws"))]
fn live_scan(
    _: &AwsArgs,
    _: &ScanPlan,
    _: Vec<(Format, output::Style, Target)>,
    _: Option<(String, String)>,
) -> Result<Report> {
    bail!("--aws: this amilint was built without live scanning (cargo feature `aws`)")
}

/// `scan --aws`: fetch, write the fetched images as a describe-images export
/// (the `--save` file, or a temporary one), then scan that exactly like an
/// offline export, with the scopes' statuses in the report.
#[cfg(feature = "aws")]
fn live_scan(
    args: &AwsArgs,
    plan: &ScanPlan,
    targets: Vec<(Format, output::Style, Target)>,
    asff_target: Option<(String, String)>,
) -> Result<Report> {
    use crate::input::fetch::{self, Progress};

    let opts = fetch_options(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let progress = Arc::new(Progress::default());
    let display = crate::output::progress::start(progress.clone());
    let fetched = runtime.block_on(fetch::fetch(&opts, progress));
    display.finish();
    let fetched = fetched.map_err(|e| anyhow::anyhow!("--aws: {e}"))?;
    // A gate that scanned nothing must not pass.
    if fetched.scopes.is_empty() {
        bail!("--aws: no account and region to scan: nothing was scanned");
    }

    let images: Vec<&Image> = fetched
        .scopes
        .iter()
        .filter_map(|s| s.outcome.as_ref().ok())
        .flatten()
        .collect();
    let mut temp = None;
    let export_path = match &args.save {
        Some(path) => {
            write_atomically(path, |out| write_export(&images, out))?;
            path.clone()
        }
        None => {
            let mut file = tempfile::NamedTempFile::new().context("creating a temporary file")?;
            sink::remove_on_interrupt(file.path());
            {
                let mut out = BufWriter::new(file.as_file_mut());
                write_export(&images, &mut out)
                    .and_then(|()| out.flush())
                    .context("writing the temporary export")?;
            }
            let path = file.path().to_path_buf();
            temp = Some(file);
            path
        }
    };
    let source = InputSource::new(&export_path.to_string_lossy());
    // Without `--save` there is no file to point at (see `ScanPlan::live_uris`).
    let inputs = if args.save.is_some() {
        vec![source.uri.clone()]
    } else {
        vec![Arc::from("aws")]
    };
    let mut report = Report::new(plan.settings.now, inputs, plan.rules.clone(), plan.fail_on);
    report.asff_target = asff_target;
    for scope in &fetched.scopes {
        let (account, region) = (&scope.scope.account_id, &scope.scope.region);
        let fetch_error = |message: String, image_id: Option<Arc<str>>| ScanError {
            kind: ErrorKind::Fetch,
            message,
            rule: None,
            image_id,
            source: None,
            scope: Some((account.clone(), region.clone())),
        };
        match &scope.outcome {
            Ok(images) => report.scopes.push(crate::finding::ScopeStatus {
                account_id: account.clone(),
                region: region.clone(),
                outcome: Ok(images.len() as u64),
            }),
            Err(reason) => {
                report.scopes.push(crate::finding::ScopeStatus {
                    account_id: account.clone(),
                    region: region.clone(),
                    outcome: Err(reason.clone()),
                });
                report.errors.push(fetch_error(reason.clone(), None));
            }
        }
        for (id, reason) in &scope.attribute_errors {
            report
                .errors
                .push(fetch_error(reason.clone(), Some(Arc::from(id.as_str()))));
        }
    }
    report.api_calls = Some(fetched.api_calls);
    let report = run_scan(std::slice::from_ref(&source), plan, report, targets, false)?;
    drop(temp);
    Ok(report)
}

/// Writes images as `{"Images": [...]}`, indented like the AWS CLI.
#[cfg(feature = "aws")]
fn write_export(images: &[&Image], out: &mut dyn Write) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Export<'a> {
        #[serde(rename = "Images")]
        images: &'a [&'a Image],
    }
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, formatter);
    serde::Serialize::serialize(&Export { images }, &mut ser)?;
    writeln!(out)
}

/// The fetch options from the command line, checked.
#[cfg(feature = "aws")]
fn fetch_options(args: &AwsArgs) -> Result<crate::input::fetch::FetchOptions> {
    let mut filters = Vec::new();
    for spec in &args.filters {
        let parsed = spec
            .strip_prefix("Name=")
            .and_then(|rest| rest.split_once(",Values="))
            .filter(|(name, values)| !name.is_empty() && !values.is_empty());
        let Some((name, values)) = parsed else {
            bail!(
                "--filter: expected Name=NAME,Values=V1,V2 (e.g. Name=tag:Environment,Values=prod), got `{spec}`"
            );
        };
        filters.push((
            name.to_string(),
            values.split(',').map(str::to_string).collect(),
        ));
    }
    let mut roles = args.roles.clone();
    if let Some(name) = &args.role_name {
        for account in &args.accounts {
            if !crate::model::is_account_id(account) {
                bail!("--account: `{account}` is not a 12-digit AWS account id");
            }
            roles.push(format!("arn:aws:iam::{account}:role/{name}"));
        }
    }
    if args.concurrency == 0 || args.attribute_concurrency == 0 || args.max_attempts == 0 {
        bail!("--concurrency, --attribute-concurrency and --max-attempts must be at least 1");
    }
    Ok(crate::input::fetch::FetchOptions {
        regions: args.regions.clone(),
        all_regions: args.all_regions,
        profile: args.profile.clone(),
        owners: args
            .owners
            .iter()
            .filter(|o| !o.is_empty())
            .cloned()
            .collect(),
        image_ids: args.image_ids.clone(),
        filters,
        endpoint_url: args.endpoint_url.clone(),
        roles,
        concurrency: args.concurrency,
        attributes: args.attributes,
        attribute_concurrency: args.attribute_concurrency,
        max_attempts: args.max_attempts,
        attempt_timeout: Duration::from_secs(args.api_timeout.max(1)),
    })
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

/// `amilint explain`: the rule's header and its docs.
pub fn explain(rule: &RuleMeta) -> String {
    let origin = match rule.script() {
        Some(script) => format!(" Policy defined in {script}."),
        None => String::new(),
    };
    let mut docs = rule.docs();
    if !docs.is_empty() && !docs.ends_with('\n') {
        docs.push('\n');
    }
    format!(
        "# {} {}\n\n{}\n\nDefault severity: {}. On by default: {}.{origin}\n\n{docs}",
        rule.code,
        rule.name,
        rule.summary,
        rule.severity,
        if rule.default_enabled { "yes" } else { "no" },
    )
}

/// The Markdown rule reference (`amilint rules --format markdown`, docs/rules.md).
pub fn rules_markdown(rules: &[&'static RuleMeta]) -> String {
    let mut out = String::from(
        "# amilint rules\n\nGenerated by `amilint rules --format markdown`; do not edit.\n\n",
    );
    out.push_str(
        "| code | name | severity | on by default | lints | summary |\n|---|---|---|---|---|---|\n",
    );
    for r in rules {
        out.push_str(&format!(
            "| [{}](#{}) | {} | {} | {} | {} | {} |\n",
            r.code,
            r.code.to_ascii_lowercase(),
            r.name,
            r.severity,
            if r.default_enabled { "yes" } else { "no" },
            r.subject.as_str(),
            r.summary
        ));
    }
    for r in rules {
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
    /// `images` (`scan`), `requests` (`preflight`) or `both`.
    lints: &'static str,
    description: String,
    docs: String,
    /// The policy's script; absent for built-in rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    script: Option<&'static str>,
}

fn list_rules(format: RulesFormat, rules: &[&'static RuleMeta]) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    match format {
        RulesFormat::Text => {
            for r in rules {
                writeln!(
                    out,
                    "{}  {:<30} {:<8} {:<4} {}{}",
                    r.code,
                    r.name,
                    r.severity,
                    if r.default_enabled { "on" } else { "off" },
                    r.summary,
                    r.script().map(|s| format!(" ({s})")).unwrap_or_default()
                )?;
            }
        }
        RulesFormat::Json => {
            let list: Vec<RuleJson> = rules
                .iter()
                .map(|r| RuleJson {
                    code: r.code,
                    name: r.name,
                    severity: r.severity,
                    default_enabled: r.default_enabled,
                    summary: r.summary,
                    lints: r.subject.as_str(),
                    description: r.description(),
                    docs: r.docs(),
                    script: r.script(),
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        RulesFormat::Markdown => write!(out, "{}", rules_markdown(rules))?,
    }
    out.flush().context("writing to stdout")?;
    Ok(())
}
