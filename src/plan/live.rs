//! The live scan's flags (`--aws` and what goes with it), checked, and the
//! fetch options made from them.

#[cfg(feature = "aws")]
use std::time::Duration;

use anyhow::{Result, bail};

/// Live-scan flags without `--aws` would be ignored in silence (clap counts
/// the default of `--aws` as given, so `requires = "aws"` lets them through).
pub(super) fn check_live_flags(live: &crate::cli::AwsArgs) -> Result<()> {
    if live.aws {
        return Ok(());
    }
    let given = [
        ("--region", !live.regions.is_empty()),
        ("--all-regions", live.all_regions),
        ("--profile", live.profile.is_some()),
        ("--image-ids", !live.image_ids.is_empty()),
        ("--filter", !live.filters.is_empty()),
        ("--endpoint-url", live.endpoint_url.is_some()),
        ("--role", !live.roles.is_empty()),
        ("--account", !live.accounts.is_empty()),
        ("--role-name", live.role_name.is_some()),
        ("--org", live.org),
        ("--org-unit", !live.org_units.is_empty()),
        ("--exclude-account", !live.exclude_accounts.is_empty()),
        ("--shard", live.shard.is_some()),
        ("--plan-shards", live.plan_shards.is_some()),
        ("--attributes", live.attributes),
        ("--snapshots", live.snapshots),
        ("--references", live.references),
        ("--ancestry", live.ancestry),
        ("--save", live.save.is_some()),
        ("--save-settings", live.save_settings.is_some()),
        ("--no-guardrails", live.no_guardrails),
    ];
    match given.iter().find(|(_, given)| *given) {
        Some((flag, _)) => bail!("{flag} is for live scans: it needs --aws"),
        None => Ok(()),
    }
}

/// What to fetch, and how hard to try.
#[cfg(feature = "aws")]
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Regions to scan; empty: the profile's or environment's region.
    pub regions: Vec<String>,
    /// Every region enabled for the account (DescribeRegions).
    pub all_regions: bool,
    pub profile: Option<String>,
    /// DescribeImages `Owners` (`self`, `amazon`, account ids); empty: all the caller can see.
    pub owners: Vec<String>,
    pub image_ids: Vec<String>,
    /// DescribeImages filters: (name, values).
    pub filters: Vec<(String, Vec<String>)>,
    pub endpoint_url: Option<String>,
    /// Roles to assume (one scope set per account); empty: the base credentials.
    pub roles: Vec<String>,
    /// `--org`: also every ACTIVE account of the organisation.
    pub org: Option<OrgOptions>,
    /// Accounts left out, however they were named.
    pub exclude_accounts: Vec<String>,
    /// `--shard K/N`: only the accounts at positions ≡ K − 1 (mod N).
    pub shard: Option<(usize, usize)>,
    /// Scopes (account × region) fetched at once.
    pub concurrency: usize,
    /// Scopes of one account fetched at once.
    pub account_concurrency: usize,
    /// Also call DescribeImageAttribute for each image.
    pub attributes: bool,
    /// Also read the snapshot behind each EBS mapping (DescribeSnapshots, and
    /// DescribeSnapshotAttribute for the scanned account's snapshots).
    pub snapshots: bool,
    /// Also read each scope's account settings (the guardrails: six EC2
    /// `Get…` calls).
    pub guardrails: bool,
    /// Also call DescribeImageReferences for the images (who uses them).
    pub references: bool,
    /// Also call GetImageAncestry for each image (where it comes from).
    pub ancestry: bool,
    /// Also read the fleet behind the images (`--fleet`).
    pub fleet: bool,
    /// Which images are linted as owned (AMI025, the rule that reads the
    /// ancestry, is owner-only): GetImageAncestry is asked for those only.
    /// `None`: every image.
    pub linted: Option<super::Ownership>,
    /// DescribeImageAttribute calls in flight at once, across all scopes.
    pub attribute_concurrency: usize,
    /// Attempts per API call (retries on throttling, 5xx, timeouts).
    pub max_attempts: u32,
    /// Time limit of one attempt of one API call.
    pub attempt_timeout: Duration,
}

/// `--org`: where in the organisation to look, and the role to assume.
#[cfg(feature = "aws")]
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// OUs (or roots) whose accounts to scan, sub-OUs included; empty: all.
    pub units: Vec<String>,
    pub role_name: String,
    /// Assume `role_name` in the caller's own account too (else its own
    /// credentials scan it).
    pub role_in_own_account: bool,
}

/// The fetch options from the command line, checked.
#[cfg(feature = "aws")]
pub fn fetch_options(args: &crate::cli::AwsArgs) -> Result<FetchOptions> {
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
    if !args.accounts.is_empty() && args.role_name.is_none() {
        bail!("--account needs --role-name: the role to assume in each account");
    }
    if args.role_name.is_some() && args.accounts.is_empty() && !args.org {
        bail!(
            "--role-name is the role assumed in each --account or --org account: give one of them"
        );
    }
    if let Some(name) = &args.role_name {
        check_role_name(name)?;
        for account in &args.accounts {
            if !crate::model::is_account_id(account) {
                bail!("--account: `{account}` is not a 12-digit AWS account id");
            }
            roles.push(role_arn(account, name));
        }
    }
    for account in &args.exclude_accounts {
        if !crate::model::is_account_id(account) {
            bail!("--exclude-account: `{account}` is not a 12-digit AWS account id");
        }
    }
    for unit in &args.org_units {
        if !is_org_parent_id(unit) {
            bail!(
                "--org-unit: `{unit}` is not an organizational unit id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)"
            );
        }
    }
    let shard = match &args.shard {
        Some(text) => Some(parse_shard(text).map_err(|e| anyhow::anyhow!("--shard: {e}"))?),
        None => None,
    };
    if args.concurrency == 0 || args.attribute_concurrency == 0 || args.max_attempts == 0 {
        bail!("--concurrency, --attribute-concurrency and --max-attempts must be at least 1");
    }
    Ok(FetchOptions {
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
        org: args.org.then(|| OrgOptions {
            units: args.org_units.clone(),
            role_name: args.role_name.clone().unwrap_or_default(),
            role_in_own_account: args.org_role_in_own_account,
        }),
        exclude_accounts: args.exclude_accounts.clone(),
        shard,
        concurrency: args.concurrency,
        account_concurrency: args.account_concurrency,
        attributes: args.attributes,
        snapshots: args.snapshots,
        guardrails: !args.no_guardrails,
        references: args.references,
        ancestry: args.ancestry,
        fleet: args.fleet,
        linted: None,
        attribute_concurrency: args.attribute_concurrency,
        max_attempts: args.max_attempts,
        attempt_timeout: Duration::from_secs(args.api_timeout.max(1)),
    })
}

/// The ARN of role `name` in `account`.
#[cfg(feature = "aws")]
pub fn role_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{name}")
}

/// A role name (or `path/name`) as IAM allows it: 1–64 characters of
/// `[\w+=,.@-]`, with `/`-separated path parts.
#[cfg(feature = "aws")]
fn check_role_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 512
        && name.split('/').all(|part| {
            !part.is_empty()
                && part.len() <= 64
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
        });
    if ok {
        Ok(())
    } else {
        bail!("--role-name: `{name}` is not an IAM role name (letters, digits and _+=,.@-)")
    }
}

/// An Organizations parent id: a root (`r-` and 4–32 lowercase letters or
/// digits) or an OU (`ou-`, 4–32, `-`, 8–32).
#[cfg(feature = "aws")]
fn is_org_parent_id(id: &str) -> bool {
    let lower = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    if let Some(rest) = id.strip_prefix("r-") {
        return lower(rest, 4, 32);
    }
    match id.strip_prefix("ou-").and_then(|rest| rest.split_once('-')) {
        Some((root, unit)) => lower(root, 4, 32) && lower(unit, 8, 32),
        None => false,
    }
}

/// `K/N` with 1 ≤ K ≤ N ≤ 256: (K, N).
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let parsed = text.split_once('/').and_then(|(k, n)| {
        Some((
            k.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    match parsed {
        Some((k, n)) if (1..=256).contains(&n) && (1..=n).contains(&k) => Ok((k, n)),
        _ => Err(format!(
            "`{text}` is not a shard: expected K/N with 1 ≤ K ≤ N ≤ 256, e.g. 2/8"
        )),
    }
}
