//! `amilint.toml` as written, read by serde with unknown keys refused.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// `amilint.toml` as written. Its doc comments are the configuration keys'
/// reference (`amilint config keys`, docs/reference/config.md).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    /// Exit 1 when a finding that counts (not waived; new, with a baseline) is at or
    /// above this severity: `info`, `low`, `medium`, `high`, `critical`, or `never`
    /// (the gate is off). Default `low`; `--fail-on` wins.
    #[schemars(with = "Option<String>")]
    pub(super) fail_on: Option<Spanned<String>>,
    /// Raise the severity of findings on images something uses (`--references`):
    /// `one-level`, or a severity such as `high`. `--raise-in-use` wins.
    #[schemars(with = "Option<String>")]
    pub(super) raise_in_use: Option<Spanned<String>>,
    /// `true`: findings on images known to be unused (`--references`) do not fail the gate.
    pub(super) gate_in_use: Option<bool>,
    /// The accounts (or aliases: `amazon`, `aws-marketplace`) whose images are yours:
    /// owner-only rules (public, sharing, deprecation, IMDS, encryption…) lint only
    /// their images. Default: the scanned account (live), else every image without an
    /// `ImageOwnerAlias`. `--owner` adds to it.
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) owners: Option<Vec<Spanned<String>>>,
    /// `true`: owner-only rules lint every image, whoever owns it (`--all-owners`).
    pub(super) all_owners: Option<bool>,
    /// The rules to run (codes or names); default: the rules on by default, plus every
    /// rule whose table sets an option. `--select` replaces it.
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) select: Option<Vec<Spanned<String>>>,
    /// Rules to run besides the selection (`--extend-select` adds more).
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) extend_select: Option<Vec<Spanned<String>>>,
    /// Scan as a benchmark (`cis-compute-v1`, `aws-fsbp`, `nist-800-53-r5`,
    /// `pci-dss-v4.0`): its rules and parameters, and a result per control.
    #[schemars(with = "Option<String>")]
    pub(super) benchmark: Option<Spanned<String>>,
    /// Rules not to run (`--ignore` adds to it).
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) ignore: Option<Vec<Spanned<String>>>,
    /// Rhai policies (files or folders), relative to this file; `--policy` adds more.
    pub(super) policies: Option<Vec<String>>,
    /// Whether an image's `amilint:ignore` tag (codes or names: `AMI002,AMI005`) may
    /// suppress its findings, with its `amilint:ignore-reason` tag as the
    /// justification. Default `true`.
    pub(super) allow_tag_suppression: Option<bool>,
    /// `[rules.CODE]`: one table per rule (code or name), with `severity`, `disable`
    /// and the rule's own options (docs/rules.md). A table that sets an option turns
    /// its rule on.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawRule>")]
    pub(super) rules: BTreeMap<Spanned<String>, Spanned<RawRule>>,
    /// `[[scopes]]`: the rules listed apply only to images matching every condition given.
    #[serde(default)]
    #[schemars(with = "Vec<RawScope>")]
    pub(super) scopes: Vec<Spanned<RawScope>>,
    /// `[[waivers]]`: accepted exceptions. A waived finding stays in every report,
    /// marked suppressed with the reason, and does not count for the gate.
    #[serde(default)]
    #[schemars(with = "Vec<RawWaiver>")]
    pub(super) waivers: Vec<Spanned<RawWaiver>>,
}

/// What every rule's table has; the rest of it is the rule's options
/// (`rules::options`), checked by the rule's own type.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub(super) struct RawRule {
    /// Override the rule's severity.
    #[schemars(with = "Option<String>")]
    pub(super) severity: Option<Spanned<String>>,
    /// `true`: do not run the rule; `false`: run it (as `extend_select`).
    pub(super) disable: Option<bool>,
}

/// The keys every `[rules.CODE]` table may have besides the rule's options.
pub(super) const COMMON_RULE_KEYS: [&str; 2] = ["severity", "disable"];

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScope {
    /// The rules the scope limits (codes or names).
    #[schemars(with = "Vec<String>")]
    pub(super) rules: Vec<Spanned<String>>,
    /// All these tags, with these values.
    #[serde(default)]
    pub(super) tags: BTreeMap<String, String>,
    /// Any of these owner accounts.
    #[serde(default)]
    pub(super) owners: Vec<String>,
    /// Any of these image-name globs (`golden-*`).
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub(super) names: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWaiver {
    /// The rules waived: codes, names or `ALL`.
    #[schemars(with = "Vec<String>")]
    pub(super) rules: Vec<Spanned<String>>,
    /// Image ids, or `name:GLOB`.
    #[schemars(with = "Vec<String>")]
    pub(super) images: Vec<Spanned<String>>,
    /// Why: the justification every report shows.
    #[schemars(with = "String")]
    pub(super) reason: Spanned<String>,
    /// `YYYY-MM-DD`: after this date the waiver stops suppressing and is
    /// reported as a warning.
    #[schemars(with = "String")]
    pub(super) expires: Spanned<String>,
}
