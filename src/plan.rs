//! Arguments + `amilint.toml` → a validated `ScanPlan`: every string of the
//! command line and the config is parsed here, once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

use crate::cli::{FailOn, LimitArgs, MinSeverity, PolicyArgs, ScanArgs};
use crate::config::{self, Config};
use crate::output::Format;
use crate::policy::{self, Limits, Policy};
use crate::rules::compliance::Framework;
use crate::rules::options::Override;
use crate::rules::{self, BUILTIN, RequestKind, RuleMeta, RuleSettings, Severity};

mod inputs;
mod live;
mod ownership;
use inputs::{settings_index, snapshot_index};
use live::check_live_flags;
pub use live::parse_shard;
#[cfg(feature = "aws")]
pub use live::{FetchOptions, OrgOptions, fetch_options, role_arn};
pub use ownership::Ownership;

pub fn limits(args: &LimitArgs) -> Limits {
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
    pub baseline: Option<crate::report::baseline::Baseline>,
    /// Keep the list of linted images (an output, JUnit, needs it).
    pub keep_images: bool,
    /// Images, or requests (preflight).
    pub reading: Reading,
    /// `--category`: the SARIF run's category (checked: one printable line).
    pub category: Option<String>,
    /// `--sarif-max-results`: results a SARIF report holds at most (0: no limit).
    pub sarif_max_results: usize,
    /// A live scan without `--save`: findings point at
    /// `aws/ACCOUNT/REGION/IMAGE_ID.json`, line 1, not into an export.
    pub live_uris: bool,
    /// `--snapshots-file`: the snapshots each EBS mapping is joined to.
    pub snapshots: Option<Arc<crate::input::SnapshotIndex>>,
    /// `--settings-file` (or a `--save` live scan's): accounts × regions to
    /// lint, and to join to their images.
    pub account_settings: Option<Arc<crate::input::SettingsIndex>>,
    /// `--fleet-file`'s scopes; `Some` and empty for `--aws --fleet`.
    pub fleet: Option<Vec<Arc<crate::model::FleetScope>>>,
    /// `--raise-in-use` (or the config's): findings on images in use are raised.
    pub raise_in_use: Option<crate::rules::Raise>,
    /// `--gate-in-use` (or the config's): findings on images known to be
    /// unused do not count for the gate.
    pub gate_in_use: bool,
    /// Which images owner-only rules run on.
    pub ownership: Ownership,
    /// `--min-severity`: findings below it are left out.
    pub min_severity: Option<Severity>,
    /// `--benchmark` / `benchmark`: the framework whose controls are judged.
    pub benchmark: Option<Framework>,
    /// Rules that run without the options they need to check anything.
    pub inert: Vec<&'static str>,
    /// Rules the user asked for: named in `--select`/`--extend-select` (or
    /// the config's), or mapped to the `--benchmark`. One that could not be
    /// assessed (a denied call) makes the scan incomplete; another is a note.
    pub required: Vec<&'static str>,
}

impl ScanPlan {
    /// An empty report of a scan of `inputs` by this plan.
    pub fn report(&self, inputs: Vec<Arc<str>>) -> crate::finding::Report {
        let mut report = crate::finding::Report::new(
            self.settings.now,
            inputs,
            self.rules.clone(),
            self.fail_on,
        );
        report.gate_in_use = self.gate_in_use;
        report
    }

    /// Every report's format: the `--output` files', then standard output's.
    pub fn formats(&self, stdout: Option<Format>) -> impl Iterator<Item = Format> + '_ {
        self.outputs.iter().map(|(format, _)| *format).chain(stdout)
    }

    /// The default plan: rules on by default, default limits, `--fail-on low`.
    pub fn new(settings: RuleSettings) -> Self {
        ScanPlan {
            rules: BUILTIN
                .iter()
                .copied()
                .filter(|r| r.default_enabled && r.subject.scans())
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
            reading: Reading::Images,
            category: None,
            sarif_max_results: 5000,
            live_uris: false,
            snapshots: None,
            account_settings: None,
            fleet: None,
            raise_in_use: None,
            gate_in_use: false,
            ownership: Ownership::default(),
            min_severity: None,
            benchmark: None,
            inert: Vec::new(),
            required: Vec::new(),
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
                None => bail!(
                    "{flag}: unknown rule `{key}`{}",
                    rules::unknown_rule_hint(catalogue, key)
                ),
            }
        }
    }
    Ok(out)
}

/// The config file to use: `--config`, else `amilint.toml` here or in a
/// parent folder, unless `--no-config`.
pub fn config_path(explicit: Option<&Path>, no_config: bool) -> Option<PathBuf> {
    if no_config {
        return None;
    }
    explicit.map(Path::to_path_buf).or_else(|| {
        std::env::current_dir()
            .ok()
            .and_then(|d| config::discover(&d))
    })
}

/// The policies the config (if any) and the command line name.
pub fn load_policies(
    path: Option<&Path>,
    args: &PolicyArgs,
    now: Timestamp,
) -> Result<Vec<Arc<Policy>>> {
    let mut paths = match path {
        Some(p) => config::policy_paths(p)?,
        None => Vec::new(),
    };
    paths.extend(args.paths.iter().cloned());
    Ok(policy::load(&paths, &limits(&args.limits), now)?)
}

/// Loads the config (if any) with the policies it and the command line name.
pub fn config_and_policies(
    path: Option<&Path>,
    args: &PolicyArgs,
    overrides: &[Override],
    now: Timestamp,
) -> Result<(Config, Vec<Arc<Policy>>)> {
    let policies = load_policies(path, args, now)?;
    let config = load_config(path, &policy::catalogue(&policies), overrides)?;
    Ok((config, policies))
}

/// The config (if any), validated against `catalogue`, with `overrides`.
fn load_config(
    path: Option<&Path>,
    catalogue: &[&'static RuleMeta],
    overrides: &[Override],
) -> Result<Config> {
    Ok(match path {
        Some(p) => config::load(p, catalogue, overrides)?,
        None => {
            let (options, configured) = config::options("", Path::new(""), catalogue, overrides)?;
            Config {
                allow_tag_suppression: true,
                options,
                configured,
                ..Config::default()
            }
        }
    })
}

/// The rule options the command line sets; they win over amilint.toml.
fn overrides(args: &ScanArgs) -> Vec<Override> {
    let days = |flag, code, key, days: Option<i64>| {
        days.map(|d| Override {
            code,
            key,
            value: toml::Value::Integer(d),
            flag,
        })
    };
    let list = |flag, code, key, items: &[String]| {
        (!items.is_empty()).then(|| Override {
            code,
            key,
            value: toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect()),
            flag,
        })
    };
    [
        days(
            "--max-age-days",
            "AMI008",
            "max_age_days",
            args.max_age_days,
        ),
        days(
            "--max-deprecation-days",
            "AMI010",
            "max_deprecation_days",
            args.max_deprecation_days,
        ),
        days(
            "--max-unused-days",
            "AMI013",
            "max_unused_days",
            args.max_unused_days,
        ),
        list(
            "--allow-account",
            "AMI012",
            "allowed_accounts",
            &args.allow_accounts,
        ),
        list(
            "--allow-org",
            "AMI012",
            "allowed_organizations",
            &args.allow_orgs,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What a scan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Images (`amilint scan`): exports, stdin, live.
    Images,
    /// RegisterImage / CreateImage requests (`amilint preflight`), of this
    /// kind, or of the kind their content says.
    Requests(Option<RequestKind>),
}

/// `--category`, checked: GitHub keys analyses by it.
fn category(text: Option<&str>) -> Result<Option<String>> {
    let Some(text) = text.map(str::trim) else {
        return Ok(None);
    };
    if text.is_empty() || text.len() > 200 || text.chars().any(char::is_control) {
        bail!("--category: expected a name of 1 to 200 printable characters, got `{text}`");
    }
    Ok(Some(text.trim_end_matches('/').to_string()))
}

/// The validated plan of a scan, or of a preflight: only the rules that apply
/// to what is read run.
pub fn plan(args: &ScanArgs, reading: Reading) -> Result<ScanPlan> {
    let requests = reading != Reading::Images;
    if requests && !args.policies.paths.is_empty() {
        bail!(
            "--policy: policies lint images that exist, not requests (preflight runs the request rules)"
        );
    }
    check_live_flags(&args.live)?;
    let now = match &args.now {
        Some(text) => text.parse::<Timestamp>().with_context(|| {
            format!("--now: `{text}` is not an RFC 3339 time (e.g. 2026-01-01T00:00:00Z)")
        })?,
        None => Timestamp::now(),
    };
    let path = config_path(args.config.as_deref(), args.no_config);
    if args.verbose {
        match &path {
            Some(path) => crate::output::say(format_args!("amilint: config: {}", path.display())),
            None if args.no_config => {
                crate::output::say(format_args!("amilint: config: none (--no-config)"))
            }
            None => crate::output::say(format_args!(
                "amilint: config: none (no amilint.toml here or in a parent folder)"
            )),
        }
    }
    let mut overrides = overrides(args);
    let (mut config, policies) =
        config_and_policies(path.as_deref(), &args.policies, &overrides, now)?;
    let benchmark = match &args.benchmark {
        Some(id) => Some(Framework::parse(id).map_err(|e| anyhow::anyhow!("--benchmark: {e}"))?),
        None => config.benchmark,
    };
    let catalogue = policy::catalogue(&policies);
    // The benchmark's parameters, below the file's and the flags': CIS
    // Compute 2.1.4 wants images at most 90 days old (the config again with
    // it; its policies stay).
    if benchmark == Some(Framework::CisCompute)
        && args.max_age_days.is_none()
        && !config.configured.contains(&"AMI008")
    {
        overrides.push(Override {
            code: "AMI008",
            key: "max_age_days",
            value: toml::Value::Integer(90),
            flag: "--benchmark cis-compute-v1.0.0",
        });
        config = load_config(path.as_deref(), &catalogue, &overrides)?;
    }

    // Command line first, then the config file, then defaults.
    let select: Vec<String> = if args.select.is_empty() {
        config.select.clone().unwrap_or_default()
    } else {
        args.select.clone()
    };
    let mut extend = args.extend_select.clone();
    extend.extend(config.extend_select.iter().cloned());
    let mut ignore = args.ignore.clone();
    ignore.extend(config.ignore.clone().unwrap_or_default());
    ignore.extend(config.disabled.iter().cloned());
    let selected = resolve_rules(&catalogue, &select, "--select")?;
    let extended = resolve_rules(&catalogue, &extend, "--extend-select")?;
    let applies = |r: &RuleMeta| {
        if requests {
            r.subject.requests()
        } else {
            r.subject.scans()
        }
    };
    // Rules off by default whose options the config sets are on.
    let configured = |code: &str| config.configured.contains(&code);
    let explicit = select
        .iter()
        .chain(&extend)
        .filter(|k| !k.trim().eq_ignore_ascii_case("ALL"));
    for key in explicit {
        if let Some(rule) = rules::find(&catalogue, key.trim())
            && rule.requires_options
            && !configured(rule.code)
        {
            bail!(
                "{} ({}) checks nothing without its options: set them in [rules.{}] of amilint.toml (see `amilint explain {}`)",
                rule.code,
                rule.name,
                rule.code,
                rule.code
            );
        }
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
    let required: Vec<&'static str> = select
        .iter()
        .chain(&extend)
        .filter_map(|k| rules::find(&catalogue, k.trim()))
        .map(|r| r.code)
        .chain(catalogue.iter().filter_map(|r| {
            benchmark
                .is_some_and(|f| r.compliance.iter().any(|c| c.framework == f))
                .then_some(r.code)
        }))
        .collect();
    let rules: Vec<&'static RuleMeta> = catalogue
        .iter()
        .copied()
        .filter(|r| {
            extended.iter().any(|s| s.code == r.code)
                || match (select.is_empty(), benchmark) {
                    (true, Some(framework)) => {
                        r.compliance.iter().any(|c| c.framework == framework)
                    }
                    (true, None) => r.default_enabled || configured(r.code),
                    (false, _) => selected.iter().any(|s| s.code == r.code),
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
            bail!(
                "--severity: unknown rule `{rule}`{}",
                rules::unknown_rule_hint(&catalogue, rule.trim())
            );
        };
        let level: Severity = level
            .trim()
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--severity: {e}"))?;
        severities.insert(meta.code, level);
    }

    let settings = RuleSettings {
        now,
        options: config.options,
        ..RuleSettings::default()
    };
    let baseline = match &args.baseline {
        Some(path) => Some(crate::report::baseline::load(path)?),
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

    let inert = rules
        .iter()
        .filter(|r| r.requires_options && !configured(r.code))
        .map(|r| r.code)
        .collect();
    let mut plan = ScanPlan {
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
        keep_images: false,
        reading,
        category: category(args.category.as_deref())?,
        sarif_max_results: match args.sarif_max_results {
            0 => 0,
            n if n <= crate::output::sarif::SUMMARY_ROOM => bail!(
                "--sarif-max-results: at least {} (room for the summaries), or 0 for no limit",
                crate::output::sarif::SUMMARY_ROOM + 1
            ),
            n => n,
        },
        live_uris: args.live.aws && args.live.save.is_none(),
        snapshots: snapshot_index(args, requests)?,
        account_settings: settings_index(args, requests)?,
        fleet: inputs::fleet(args, requests)?,
        raise_in_use: match &args.raise_in_use {
            Some(text) => Some(
                text.parse()
                    .map_err(|e: String| anyhow::anyhow!("--raise-in-use: {e}"))?,
            ),
            None => config.raise_in_use,
        },
        gate_in_use: args.gate_in_use || config.gate_in_use,
        ownership: Ownership {
            owners: args
                .own
                .iter()
                .map(|o| crate::model::owner(o).map_err(|e| anyhow::anyhow!("--owner: {e}")))
                .chain(config.owners.iter().map(|o| Ok(o.clone())))
                .collect::<Result<_>>()?,
            // A request is for an image of the caller's own.
            all: args.all_owners || config.all_owners || requests,
        },
        benchmark,
        inert,
        required,
        min_severity: args.min_severity.map(|level| match level {
            MinSeverity::Info => Severity::Info,
            MinSeverity::Low => Severity::Low,
            MinSeverity::Medium => Severity::Medium,
            MinSeverity::High => Severity::High,
            MinSeverity::Critical => Severity::Critical,
        }),
    };
    let keep_images = plan.formats(args.format.0).any(Format::needs_images);
    plan.keep_images = keep_images;
    Ok(plan)
}
