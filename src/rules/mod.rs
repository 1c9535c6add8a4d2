//! The built-in rule catalogue. Each rule is declared once, in its own file,
//! with `declare_rule!`; everything else (docs, SARIF descriptors, listings)
//! is derived from its `RuleMeta`.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::{AccountSettings, Image};

pub mod allowed;
mod ami001_imdsv2;
mod ami002_deprecation_time;
mod ami003_ebs_encrypted;
mod ami004_billing_details;
mod ami005_billing_mismatch;
mod ami006_public;
mod ami007_required_tags;
mod ami008_too_old;
mod ami009_past_deprecation;
mod ami010_deprecation_too_far;
mod ami011_not_usable;
mod ami012_shared_outside_allowlist;
mod ami013_unused_image;
mod ami014_deregistration_protection;
mod ami015_paravirtual;
mod ami016_uefi_tpm;
mod ami017_naming_convention;
mod ami018_kms_key_not_allowed;
mod ami019_no_ena_support;
mod ami020_public_snapshot;
mod ami021_snapshot_shared_outside_allowlist;
mod ami022_missing_snapshot;
mod ami023_inspector_fix_overdue;
mod ami024_inspector_scan_stale;
mod ami025_unapproved_ancestry;
mod ami026_image_not_allowed;
mod ami027_disabled_image_in_use;
mod ami028_shared_with_aws_managed_key;
mod ami101_invalid_name;
mod ami102_encrypted_on_snapshot;
mod ami103_no_reboot;
mod ami104_volume_parameters;
mod ami105_deprecation_date;
mod ami106_tag_resource_type;
mod ami201_image_block_public_access_off;
mod ami202_snapshot_block_public_access_off;
mod ami203_ebs_encryption_by_default_off;
mod ami204_ebs_default_key_not_allowed;
mod ami205_allowed_amis_not_enabled;
mod ami206_imds_default_not_required;
mod ami207_recycle_bin_images_off;
mod ami208_recycle_bin_snapshots_off;
mod ami301_fleet_image_missing;
mod ami302_fleet_image_disabled;
mod ami303_fleet_image_deprecated;
mod ami304_fleet_image_not_allowed;
mod ami305_fleet_image_untrusted_owner;
mod ami306_fleet_image_failing;
mod ami307_launch_template_laggard;
pub mod compliance;

mod cx;
mod dates;
pub mod fleet;
mod needs;
pub mod options;

pub use cx::{Cx, Ran, RawFinding};
pub use dates::{Date, days_between, parse_time, read_time};
pub use needs::{Needs, SnapshotMapping, snapshots};

/// Fixes are data of their own (`crate::remedy`); rules state them.
pub use crate::remedy::{Action, Fix, Grant};
pub use options::{OptionsSpec, RuleOptions};

/// Every built-in rule, in code order. Codes are public API: never renumber.
pub static BUILTIN: &[&RuleMeta] = &[
    &ami001_imdsv2::IMDSV2_NOT_REQUIRED,
    &ami002_deprecation_time::NO_DEPRECATION_TIME,
    &ami003_ebs_encrypted::UNENCRYPTED_EBS_MAPPING,
    &ami004_billing_details::MISSING_BILLING_DETAILS,
    &ami005_billing_mismatch::BILLING_PLATFORM_MISMATCH,
    &ami006_public::PUBLIC_IMAGE,
    &ami007_required_tags::MISSING_REQUIRED_TAGS,
    &ami008_too_old::IMAGE_TOO_OLD,
    &ami009_past_deprecation::PAST_DEPRECATION_DATE,
    &ami010_deprecation_too_far::DEPRECATION_TOO_FAR,
    &ami011_not_usable::IMAGE_NOT_USABLE,
    &ami012_shared_outside_allowlist::SHARED_OUTSIDE_ALLOWLIST,
    &ami013_unused_image::UNUSED_IMAGE,
    &ami014_deregistration_protection::NO_DEREGISTRATION_PROTECTION,
    &ami015_paravirtual::PARAVIRTUAL_IMAGE,
    &ami016_uefi_tpm::NO_UEFI_TPM,
    &ami017_naming_convention::NAMING_CONVENTION,
    &ami018_kms_key_not_allowed::KMS_KEY_NOT_ALLOWED,
    &ami019_no_ena_support::NO_ENA_SUPPORT,
    &ami020_public_snapshot::PUBLIC_SNAPSHOT,
    &ami021_snapshot_shared_outside_allowlist::SNAPSHOT_SHARED_OUTSIDE_ALLOWLIST,
    &ami022_missing_snapshot::MISSING_SNAPSHOT,
    &ami023_inspector_fix_overdue::INSPECTOR_FIX_OVERDUE,
    &ami024_inspector_scan_stale::INSPECTOR_SCAN_STALE,
    &ami025_unapproved_ancestry::UNAPPROVED_ANCESTRY,
    &ami026_image_not_allowed::IMAGE_NOT_ALLOWED,
    &ami027_disabled_image_in_use::DISABLED_IMAGE_IN_USE,
    &ami028_shared_with_aws_managed_key::SHARED_WITH_AWS_MANAGED_KEY,
    &ami101_invalid_name::INVALID_IMAGE_NAME,
    &ami102_encrypted_on_snapshot::ENCRYPTED_ON_SNAPSHOT_MAPPING,
    &ami103_no_reboot::NO_REBOOT,
    &ami104_volume_parameters::VOLUME_PARAMETERS,
    &ami105_deprecation_date::DEPRECATION_DATE_OUT_OF_RANGE,
    &ami106_tag_resource_type::TAG_RESOURCE_TYPE,
    &ami201_image_block_public_access_off::IMAGE_BLOCK_PUBLIC_ACCESS_OFF,
    &ami202_snapshot_block_public_access_off::SNAPSHOT_BLOCK_PUBLIC_ACCESS_OFF,
    &ami203_ebs_encryption_by_default_off::EBS_ENCRYPTION_BY_DEFAULT_OFF,
    &ami204_ebs_default_key_not_allowed::EBS_DEFAULT_KEY_NOT_ALLOWED,
    &ami205_allowed_amis_not_enabled::ALLOWED_AMIS_NOT_ENABLED,
    &ami206_imds_default_not_required::IMDS_DEFAULT_NOT_REQUIRED,
    &ami207_recycle_bin_images_off::RECYCLE_BIN_IMAGES_OFF,
    &ami208_recycle_bin_snapshots_off::RECYCLE_BIN_SNAPSHOTS_OFF,
    &ami301_fleet_image_missing::FLEET_IMAGE_MISSING,
    &ami302_fleet_image_disabled::FLEET_IMAGE_DISABLED,
    &ami303_fleet_image_deprecated::FLEET_IMAGE_DEPRECATED,
    &ami304_fleet_image_not_allowed::FLEET_IMAGE_NOT_ALLOWED,
    &ami305_fleet_image_untrusted_owner::FLEET_IMAGE_UNTRUSTED_OWNER,
    &ami306_fleet_image_failing::FLEET_IMAGE_FAILING,
    &ami307_launch_template_laggard::LAUNCH_TEMPLATE_LAGGARD,
];

/// Codes reserved for rules that later work adds; never give them to another rule.
pub static RESERVED: &[&str] = &[];

/// Finds a built-in rule by code (`AMI003`) or name (`unencrypted-ebs-mapping`).
pub fn lookup(key: &str) -> Option<&'static RuleMeta> {
    find(BUILTIN, key)
}

/// Finds a rule of `catalogue` (built-ins plus policies) by code or name.
pub fn find(catalogue: &[&'static RuleMeta], key: &str) -> Option<&'static RuleMeta> {
    catalogue
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// The closest of `candidates` to `unknown` when it is close enough to be a
/// typo (ruff's and cargo's "did you mean").
pub fn closest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let unknown = unknown.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&unknown, &c.to_ascii_lowercase()), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// What to say after "unknown rule `KEY`": the closest code or name, or
/// where the list is.
pub fn unknown_rule_hint(catalogue: &[&'static RuleMeta], key: &str) -> String {
    // `AMI6`, `ami06`: the code with its number padded.
    let padded = key
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("AMI"))
        .and_then(|_| key[3..].parse::<u32>().ok())
        .and_then(|n| find(catalogue, &format!("AMI{n:03}")));
    let names = catalogue.iter().flat_map(|r| [r.code, r.name]);
    match padded.or_else(|| closest(key, names).and_then(|c| find(catalogue, c))) {
        Some(rule) => format!(" (did you mean `{}` {}?)", rule.code, rule.name),
        None => " (see `amilint rules`)".to_string(),
    }
}

/// How serious a finding is. Ordered, so thresholds are plain comparisons.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub code scanning reads this CVSS-like score (0.0–10.0) to rank alerts.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Info => "1.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// How the severity of findings on images in use is raised (`raise_in_use`
/// in amilint.toml, `--raise-in-use`): by one level, or to at least a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raise {
    OneLevel,
    AtLeast(Severity),
}

impl Raise {
    pub fn apply(self, severity: Severity) -> Severity {
        match self {
            Raise::OneLevel => Severity::ALL
                .into_iter()
                .find(|s| *s > severity)
                .unwrap_or(severity),
            Raise::AtLeast(level) => severity.max(level),
        }
    }
}

impl FromStr for Raise {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("one-level") {
            return Ok(Raise::OneLevel);
        }
        s.parse::<Severity>()
            .map(Raise::AtLeast)
            .map_err(|e| format!("{e}, or one-level"))
    }
}

/// A rule's check: pure, no I/O; absent data it needs means no finding.
pub type CheckFn = fn(&Image, &mut Cx<'_>);

/// An account rule's check, on one account × region's guardrails.
pub type AccountCheckFn = fn(&AccountSettings, &mut Cx<'_>);

/// A fleet rule's check, on one image a workload launches from.
pub type FleetCheckFn = fn(&fleet::InUse<'_>, &mut Cx<'_>);

/// A built-in rule's check, by what it looks at.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    Image(CheckFn),
    Account(AccountCheckFn),
    Fleet(FleetCheckFn),
}

/// Everything amilint knows about a rule. Declared once per rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub default_enabled: bool,
    pub summary: &'static str,
    /// Markdown with the sections What it does, Why is this bad?, Example,
    /// Remediation, References (from the rule's `///` lines).
    pub docs: &'static str,
    pub origin: Origin,
    /// What the rule lints: saved or live images (`scan`), image requests
    /// (`preflight`), or both.
    pub subject: Subject,
    /// The data the check reads that an input may lack; without it the rule
    /// is skipped on the image, and the report says so.
    pub needs: Needs,
    /// The rule's typed options (`[rules.CODE]` in amilint.toml), if it has any.
    pub options: Option<&'static OptionsSpec>,
    /// Whether the rule judges what only an image's owner controls (sharing,
    /// deprecation, IMDS, encryption, tags…): it runs only on images the
    /// scan counts as owned (`plan::Ownership`).
    pub owner_only: bool,
    /// Whether the rule checks nothing until its options are set (a
    /// required-tags list, a naming pattern…): selecting it by name without
    /// them is an error, not a green gate that checks nothing.
    pub requires_options: bool,
    /// Controls of compliance frameworks the rule helps meet, with the
    /// source of each mapping (`compliance.rs`).
    pub compliance: &'static [compliance::Control],
}

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Images that exist (`amilint scan`).
    Image,
    /// RegisterImage / CreateImage requests (`amilint preflight`).
    Request,
    /// Both: the request decides the image's property.
    Both,
    /// An account's guardrails in one region (`amilint scan`, live or
    /// `--settings-file`).
    Account,
    /// The instances, launch templates and Auto Scaling groups that launch
    /// from images (`scan --aws --fleet`, `--fleet-file`).
    Fleet,
}

impl Subject {
    pub fn images(self) -> bool {
        matches!(self, Subject::Image | Subject::Both)
    }

    /// Whether `amilint scan` runs the rule (on images or on accounts).
    pub fn scans(self) -> bool {
        !matches!(self, Subject::Request)
    }

    pub fn requests(self) -> bool {
        matches!(self, Subject::Request | Subject::Both)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Image => "images",
            Subject::Request => "requests",
            Subject::Both => "both",
            Subject::Account => "accounts",
            Subject::Fleet => "fleet",
        }
    }
}

/// Where a rule comes from, and so how it is run.
#[derive(Debug, Clone, Copy)]
pub enum Origin {
    /// Compiled into amilint; its check is a plain function.
    Builtin(Check),
    /// A Rhai policy (`--policy`), run by `policy::PolicySet`. The path is
    /// the script as the user gave it.
    Policy { script: &'static str },
}

impl RuleMeta {
    /// Which images the rule lints: `owned` (owner-only), `all`, or `-`
    /// (it lints requests or accounts).
    pub fn images_linted(&self) -> &'static str {
        match (self.subject.images(), self.owner_only) {
            (false, _) => "-",
            (true, true) => "owned",
            (true, false) => "all",
        }
    }

    /// The docs as written, without the one leading space `///` leaves.
    pub fn docs(&self) -> String {
        if let Origin::Policy { .. } = self.origin {
            return self.docs.to_string();
        }
        let mut out = String::new();
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// The first paragraph of "What it does" (of the docs, for a policy
    /// without that section), as one line; the summary if there is none.
    pub fn description(&self) -> String {
        let docs = self.docs();
        let body: Vec<&str> = if docs.contains("## What it does") {
            docs.lines()
                .skip_while(|l| !l.starts_with("## What it does"))
                .skip(1)
                .collect()
        } else {
            docs.lines().skip_while(|l| l.trim().is_empty()).collect()
        };
        let mut out: Vec<&str> = Vec::new();
        for line in body {
            if line.trim().is_empty() || line.starts_with('#') {
                break;
            }
            out.push(line.trim());
        }
        if out.is_empty() {
            self.summary.to_string()
        } else {
            out.join(" ")
        }
    }

    /// How to fix what the rule finds, as plain text: the "Remediation"
    /// section of a built-in rule's docs, a policy's `help`.
    pub fn remediation(&self) -> String {
        let docs = self.docs();
        if self.script().is_some() || !docs.contains("## Remediation") {
            return docs.trim().to_string();
        }
        let lines: Vec<&str> = docs
            .lines()
            .skip_while(|l| !l.starts_with("## Remediation"))
            .skip(1)
            .take_while(|l| !l.starts_with("## "))
            .map(str::trim)
            .collect();
        lines
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Where a built-in rule is documented online; `None` for a policy.
    pub fn help_uri(&self) -> Option<String> {
        self.script().is_none().then(|| {
            format!(
                "https://github.com/amilint/amilint/blob/main/docs/rules.md#{}",
                self.code.to_ascii_lowercase()
            )
        })
    }

    /// The check of a built-in rule; `None` for a policy.
    pub fn builtin_check(&self) -> Option<CheckFn> {
        match self.origin {
            Origin::Builtin(Check::Image(check)) => Some(check),
            _ => None,
        }
    }

    /// The check of a built-in account rule; `None` otherwise.
    pub fn account_check(&self) -> Option<AccountCheckFn> {
        match self.origin {
            Origin::Builtin(Check::Account(check)) => Some(check),
            _ => None,
        }
    }

    /// The check of a built-in fleet rule; `None` otherwise.
    pub fn fleet_check(&self) -> Option<FleetCheckFn> {
        match self.origin {
            Origin::Builtin(Check::Fleet(check)) => Some(check),
            _ => None,
        }
    }

    /// The script a policy was loaded from; `None` for a built-in rule.
    pub fn script(&self) -> Option<&'static str> {
        match self.origin {
            Origin::Builtin(_) => None,
            Origin::Policy { script } => Some(script),
        }
    }
}

mod declare;
pub(crate) use declare::declare_rule;

/// What rules read besides the image, fixed for one scan.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    /// The scan's "now" (`--now`), so time-based rules are reproducible.
    pub now: Timestamp,
    /// Every rule's options (`cx.options()`).
    pub options: RuleOptions,
    /// AMI002's suggested deprecation date, made once per scan.
    pub deprecate_at: std::sync::OnceLock<String>,
}

impl RuleSettings {
    /// The deprecation date AMI002's fix suggests: a year after `now`, at
    /// midnight UTC.
    pub fn suggested_deprecation(&self) -> &str {
        self.deprecate_at.get_or_init(|| {
            self.now
                .checked_add(jiff::SignedDuration::from_hours(24 * 365))
                .unwrap_or(self.now)
                .strftime("%Y-%m-%dT00:00:00Z")
                .to_string()
        })
    }
}

/// The request a preflight lints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// `RegisterImage`: an image from snapshots (or an S3 manifest).
    Register,
    /// `CreateImage`: an image from an instance (`InstanceId`).
    Create,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            now: Timestamp::now(),
            options: RuleOptions::default(),
            deprecate_at: std::sync::OnceLock::new(),
        }
    }
}

/// Shows an optional field's value for messages: `"v1.0"` or `absent`.
pub fn shown(value: Option<&str>) -> String {
    match value {
        Some(v) => format!("`{v}`"),
        None => "absent".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_20_raise_in_use_goes_one_level_up_or_to_at_least_a_level() {
        let one: Raise = "one-level".parse().expect("parses");
        assert_eq!(one.apply(Severity::Info), Severity::Low);
        assert_eq!(one.apply(Severity::High), Severity::Critical);
        assert_eq!(one.apply(Severity::Critical), Severity::Critical);
        let high: Raise = "HIGH".parse().expect("parses");
        assert_eq!(high.apply(Severity::Low), Severity::High);
        assert_eq!(high.apply(Severity::Critical), Severity::Critical);
        assert!("two-levels".parse::<Raise>().is_err());
    }
}
