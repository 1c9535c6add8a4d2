//! `amilint.toml`: read (`RawConfig`, serde, unknown keys refused), then
//! validated into a `Config` with every error naming the file, key and line.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::GlobMatcher;
use jiff::civil::Date;
use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use crate::error::ConfigError;
use crate::rules::options::{OptionsError, Override};
use crate::rules::{RuleMeta, RuleOptions, Severity};

/// The file name looked for in the working directory and its parents.
pub const FILE_NAME: &str = "amilint.toml";

mod keys;
mod matching;
mod raw;
pub use keys::keys_markdown;
use raw::{COMMON_RULE_KEYS, RawConfig};

/// A validated configuration. Every field is optional: the command line
/// overrides what is set, and defaults fill the rest.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// The file it came from (for messages and relative paths).
    pub path: PathBuf,
    pub fail_on: Option<Option<Severity>>,
    /// Findings on images something references get this severity raise.
    pub raise_in_use: Option<crate::rules::Raise>,
    /// Findings on images known to be unused do not count for the gate.
    pub gate_in_use: bool,
    /// Accounts (or owner aliases) whose images are yours.
    pub owners: Vec<String>,
    /// Owner-only rules run on every image.
    pub all_owners: bool,
    pub select: Option<Vec<String>>,
    /// Rules added to the selection (`extend_select`, and `disable = false`).
    pub extend_select: Vec<String>,
    /// `benchmark`: a compliance framework to scan as.
    pub benchmark: Option<crate::rules::compliance::Framework>,
    pub ignore: Option<Vec<String>>,
    /// Policy paths, resolved against the file's folder.
    pub policies: Vec<PathBuf>,
    pub allow_tag_suppression: bool,
    pub severities: BTreeMap<String, Severity>,
    pub disabled: Vec<String>,
    /// Every rule's options: the file's, the command line's, or the defaults.
    pub options: RuleOptions,
    /// Rules whose options the file sets: configured, so on.
    pub configured: Vec<&'static str>,
    pub scopes: Vec<Scope>,
    pub waivers: Vec<Waiver>,
}

/// Rules that apply only to images matching every given condition.
#[derive(Debug, Clone)]
pub struct Scope {
    pub rules: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub owners: Vec<String>,
    pub names: Vec<GlobMatcher>,
}

/// An accepted exception: these rules on these images, for a reason, until a date.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rules: Vec<String>,
    pub images: Vec<ImageMatch>,
    pub reason: String,
    pub expires: Date,
    /// Line of the `[[waivers]]` entry, for warnings.
    pub line: u64,
}

#[derive(Debug, Clone)]
pub enum ImageMatch {
    Id(String),
    /// `name:GLOB`: images whose `Name` matches.
    Name(GlobMatcher),
}

/// Finds `amilint.toml` in `start` or the nearest parent that has one.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, column)
}

/// The largest `amilint.toml` read: a config is a page of settings.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Reads and validates a config file. `known` is the rule catalogue
/// (built-ins and, when loaded, policies) that codes are checked against.
pub fn load(
    path: &Path,
    known: &[&'static RuleMeta],
    overrides: &[Override],
) -> Result<Config, ConfigError> {
    let text =
        crate::input::read_text(path, MAX_CONFIG_BYTES).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
    parse(&text, path, known, overrides)
}

/// serde's "unknown field `fial_on`, expected one of `fail_on`, …", with
/// the closest expected key said first.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let keys = expected.split('`').skip(1).step_by(2);
    match crate::rules::closest(unknown, keys) {
        Some(key) => format!("unknown field `{unknown}` (did you mean `{key}`?){expected}"),
        None => message.to_string(),
    }
}

/// Validates config text (see `load`).
pub fn parse(
    text: &str,
    path: &Path,
    known: &[&'static RuleMeta],
    overrides: &[Override],
) -> Result<Config, ConfigError> {
    let shown = path.display().to_string();
    let at = |span: Range<usize>, key: &str, message: String| {
        let (line, column) = line_col(text, span.start);
        ConfigError::Invalid {
            path: shown.clone(),
            line,
            column,
            key: key.to_string(),
            message,
        }
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let (line, column) = line_col(text, e.span().map_or(0, |s| s.start));
        ConfigError::Invalid {
            path: shown.clone(),
            line,
            column,
            key: String::new(),
            message: with_suggestion(e.message().trim()),
        }
    })?;
    let rule_code = |name: &Spanned<String>, key: &str| -> Result<String, ConfigError> {
        known
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(name.get_ref()) || r.name == *name.get_ref())
            .map(|r| r.code.to_string())
            .ok_or_else(|| {
                at(
                    name.span(),
                    key,
                    format!(
                        "unknown rule `{}`{}",
                        name.get_ref(),
                        crate::rules::unknown_rule_hint(known, name.get_ref())
                    ),
                )
            })
    };
    let rule_list = |list: &[Spanned<String>], key: &str| -> Result<Vec<String>, ConfigError> {
        list.iter()
            .map(|n| {
                if n.get_ref().eq_ignore_ascii_case("ALL") {
                    Ok("ALL".to_string())
                } else {
                    rule_code(n, key)
                }
            })
            .collect()
    };

    let mut config = Config {
        path: path.to_path_buf(),
        allow_tag_suppression: raw.allow_tag_suppression.unwrap_or(true),
        gate_in_use: raw.gate_in_use.unwrap_or(false),
        all_owners: raw.all_owners.unwrap_or(false),
        ..Config::default()
    };
    for owner in raw.owners.iter().flatten() {
        config
            .owners
            .push(crate::model::owner(owner.get_ref()).map_err(|e| at(owner.span(), "owners", e))?);
    }
    if let Some(fail_on) = &raw.fail_on {
        config.fail_on = Some(if fail_on.get_ref() == "never" {
            None
        } else {
            Some(
                fail_on
                    .get_ref()
                    .parse::<Severity>()
                    .map_err(|e| at(fail_on.span(), "fail_on", format!("{e}, or never")))?,
            )
        });
    }
    if let Some(raise) = &raw.raise_in_use {
        config.raise_in_use = Some(
            raise
                .get_ref()
                .parse()
                .map_err(|e: String| at(raise.span(), "raise_in_use", e))?,
        );
    }
    if let Some(select) = &raw.select {
        config.select = Some(rule_list(select, "select")?);
    }
    if let Some(extend) = &raw.extend_select {
        config.extend_select = rule_list(extend, "extend_select")?;
    }
    if let Some(benchmark) = &raw.benchmark {
        config.benchmark = Some(
            crate::rules::compliance::Framework::parse(benchmark.get_ref())
                .map_err(|e| at(benchmark.span(), "benchmark", e))?,
        );
    }
    if let Some(ignore) = &raw.ignore {
        config.ignore = Some(rule_list(ignore, "ignore")?);
    }
    let base = path.parent().unwrap_or(Path::new("."));
    config.policies = raw
        .policies
        .unwrap_or_default()
        .iter()
        .map(|p| base.join(p))
        .collect();

    for (name, table) in &raw.rules {
        let code = rule_code(name, "rules")?;
        let key = format!("rules.{}", name.get_ref());
        let rule = table.get_ref();
        if let Some(severity) = &rule.severity {
            let level = severity
                .get_ref()
                .parse::<Severity>()
                .map_err(|e| at(severity.span(), &format!("{key}.severity"), e))?;
            config.severities.insert(code.clone(), level);
        }
        match rule.disable {
            Some(true) => config.disabled.push(code.clone()),
            // `disable = false`: on, as if selected.
            Some(false) => config.extend_select.push(code.clone()),
            None => {}
        }
    }
    (config.options, config.configured) = options(text, path, known, overrides)?;

    for scope in &raw.scopes {
        let s = scope.get_ref();
        if s.tags.is_empty() && s.owners.is_empty() && s.names.is_empty() {
            return Err(at(
                scope.span(),
                "scopes",
                "a scope needs at least one of tags, owners or names".to_string(),
            ));
        }
        let mut names = Vec::new();
        for n in &s.names {
            names.push(
                crate::pattern::glob(n.get_ref()).map_err(|e| at(n.span(), "scopes.names", e))?,
            );
        }
        config.scopes.push(Scope {
            rules: rule_list(&s.rules, "scopes.rules")?,
            tags: s.tags.clone(),
            owners: s.owners.clone(),
            names,
        });
    }

    let mut lines = crate::input::Lines::default();
    for waiver in &raw.waivers {
        let w = waiver.get_ref();
        if w.reason.get_ref().trim().is_empty() {
            return Err(at(
                w.reason.span(),
                "waivers.reason",
                "a waiver needs a reason".to_string(),
            ));
        }
        let expires: Date = w.expires.get_ref().parse().map_err(|_| {
            at(
                w.expires.span(),
                "waivers.expires",
                format!("`{}` is not a date (YYYY-MM-DD)", w.expires.get_ref()),
            )
        })?;
        if w.images.is_empty() || w.rules.is_empty() {
            return Err(at(
                waiver.span(),
                "waivers",
                "a waiver names at least one rule and one image".to_string(),
            ));
        }
        let mut images = Vec::new();
        for image in &w.images {
            let text = image.get_ref();
            images.push(match text.strip_prefix("name:") {
                Some(glob) => ImageMatch::Name(
                    crate::pattern::glob(glob)
                        .map_err(|e| at(image.span(), "waivers.images", e))?,
                ),
                None if text.starts_with("ami-") => ImageMatch::Id(text.clone()),
                None => {
                    return Err(at(
                        image.span(),
                        "waivers.images",
                        format!("`{text}` is neither an image id (ami-…) nor name:GLOB"),
                    ));
                }
            });
        }
        config.waivers.push(Waiver {
            rules: rule_list(&w.rules, "waivers.rules")?,
            images,
            reason: w.reason.get_ref().trim().to_string(),
            expires,
            // Waivers come in file order: their lines are counted forward.
            line: lines.at(text.as_bytes(), waiver.span().start).0,
        });
    }
    Ok(config)
}

/// Every rule's options: from its `[rules.CODE]` table in `text` (the config
/// file at `path`; empty when there is none), with the command line's
/// `overrides` winning, through the rule's own options type. Also the rules
/// whose options the file sets (configured, so on).
pub fn options(
    text: &str,
    path: &Path,
    known: &[&'static RuleMeta],
    overrides: &[Override],
) -> Result<(RuleOptions, Vec<&'static str>), ConfigError> {
    let shown = path.display().to_string();
    let invalid = |span: Range<usize>, key: String, message: String| {
        let (line, column) = line_col(text, span.start);
        ConfigError::Invalid {
            path: shown.clone(),
            line,
            column,
            key,
            message,
        }
    };
    let doc = DeTable::parse(text).map_err(|e| {
        invalid(
            e.span().unwrap_or(0..0),
            String::new(),
            e.message().to_string(),
        )
    })?;
    // Each rule's table without the keys every rule has: its options.
    let mut tables: Vec<(&'static RuleMeta, Spanned<DeTable<'_>>)> = Vec::new();
    if let Some(rules) = doc
        .get_ref()
        .get("rules")
        .and_then(|r| r.get_ref().as_table())
    {
        for (name, table) in rules {
            let Some(rule) = crate::rules::find(known, name.get_ref()) else {
                continue; // `parse` has said so.
            };
            let Some(entries) = table.get_ref().as_table() else {
                continue;
            };
            let mut own = entries.clone();
            for key in COMMON_RULE_KEYS {
                own.remove(key);
            }
            tables.push((rule, Spanned::new(table.span(), own)));
        }
    }
    let mut options = RuleOptions::default();
    let mut configured = Vec::new();
    for rule in known {
        let table = tables
            .iter()
            .find(|(r, _)| r.code == rule.code)
            .map(|(_, t)| t);
        let resolved =
            crate::rules::options::resolve(rule, table, overrides).map_err(|e| match e {
                OptionsError::Config { span, key, message } => invalid(span, key, message),
                OptionsError::Flag { flag, message } => ConfigError::Flag {
                    flag: flag.to_string(),
                    message,
                },
            })?;
        if let Some(resolved) = resolved {
            options.set(rule.code, resolved);
        }
        if table.is_some_and(|t| !t.get_ref().is_empty()) {
            configured.push(rule.code);
        }
    }
    Ok((options, configured))
}

/// The file `amilint init` writes: every key, commented.
pub const STARTER: &str = r#"# amilint configuration. Command-line flags override these settings.
# Docs: https://github.com/amilint/amilint#configuration-amilinttoml

# Exit 1 when a finding (not waived, not in the baseline) is at or above this severity:
# info, low, medium, high, critical or never.
fail_on = "low"

# The accounts whose images are yours (or aliases: amazon, aws-marketplace): owner-only
# rules (public, sharing, deprecation, IMDS, encryption…) lint only their images.
# Default: the scanned account (live), else every image without an ImageOwnerAlias.
# owners = ["111122223333"]

# Rules to run (codes or names); default: the rules that are on by default.
# select = ["AMI001", "AMI002", "AMI003"]
# Rules to run besides those.
# extend_select = ["AMI014"]
# Rules not to run.
# ignore = ["AMI016"]

# Rhai policies (files or folders), relative to this file.
# policies = ["policies/"]

# Whether an image's `amilint:ignore` tag (its value lists codes: AMI002,AMI005) may
# suppress findings; its `amilint:ignore-reason` tag gives the justification.
allow_tag_suppression = true

# [rules.AMI008]
# severity = "medium"            # override the rule's severity
# max_age_days = 180

# [rules.AMI007]                 # required tags (off until configured)
# required_tags = ["Owner", "CostCenter"]
# tag_values = { Environment = "^(prod|staging|dev)$" }

# [rules.AMI017]                 # naming convention (off until configured)
# pattern = "^[a-z0-9-]+-\\d{8}$"

# [rules.AMI018]                 # KMS key allowlist (off until configured)
# allowed_kms_keys = ["arn:aws:kms:*:111122223333:key/*"]

# [rules.AMI012]
# allowed_accounts = ["111122223333"]
# allowed_organizations = ["arn:aws:organizations::111122223333:organization/o-exampleorgid"]

# A rule applies only to images matching a scope that lists it.
# [[scopes]]
# rules = ["AMI007", "AMI013"]
# tags = { Environment = "prod" }
# owners = ["111122223333"]
# names = ["golden-*"]

# Accepted exceptions: kept in reports as suppressed, not counted by the gate.
# [[waivers]]
# rules = ["AMI002"]
# images = ["ami-0123456789abcdef0", "name:legacy-*"]
# reason = "legacy fleet, replaced by the Q1 migration"
# expires = "2027-03-31"
"#;

/// The `policies` of a config file, resolved against its folder; read before
/// the full validation, which needs the policies' ids.
pub fn policy_paths(path: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let text =
        crate::input::read_text(path, MAX_CONFIG_BYTES).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
    #[derive(Deserialize)]
    struct OnlyPolicies {
        policies: Option<Vec<String>>,
    }
    match toml::from_str::<OnlyPolicies>(&text) {
        Ok(only) => {
            let base = path.parent().unwrap_or(Path::new("."));
            Ok(only
                .policies
                .unwrap_or_default()
                .iter()
                .map(|p| base.join(p))
                .collect())
        }
        // Let the full validation describe what is wrong.
        Err(_) => parse(&text, path, crate::rules::BUILTIN, &[]).map(|_| Vec::new()),
    }
}
