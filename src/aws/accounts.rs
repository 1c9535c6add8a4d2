//! Which accounts and regions a live scan enters, and how: the roles to
//! assume (`--account`, `--role`, `--org`, the shard's share), the base SDK
//! configuration, the credentials checked once, the regions enabled.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::connect::*;
use super::fetch::{FetchOptions, Scope, ScopeResult};
use crate::error::FetchError;

/// `--plan-shards N`: the accounts a run would scan (as `--org`,
/// `--account`, `--role` and `--exclude-account` name them), split as
/// `--shard K/N` splits them: shard K's account ids, for each K.
pub async fn plan_shards(
    opts: &FetchOptions,
    shards: usize,
    progress: Arc<Progress>,
) -> Result<Vec<Vec<String>>, FetchError> {
    let base = base_config(opts).await;
    let region = home_region(&base, opts)?;
    let roles = roles(opts, &base, &region, &progress).await?;
    let mut split = vec![Vec::new(); shards];
    if roles.is_empty() {
        // The base credentials' account: shard 1 (as `fetch` has it).
        split[0].push(caller_account(&base, &progress).await?);
        return Ok(split);
    }
    for (k, accounts) in split.iter_mut().enumerate() {
        let opts = FetchOptions {
            shard: Some((k + 1, shards)),
            ..opts.clone()
        };
        for role in select(roles.clone(), &opts) {
            accounts.push(account_of_role(&role).unwrap_or(role));
        }
    }
    Ok(split)
}

/// The region of calls that need one before any scope: the profile's or
/// environment's, else the first `--region`.
pub(super) fn home_region(
    base: &aws_config::SdkConfig,
    opts: &FetchOptions,
) -> Result<String, FetchError> {
    base.region()
        .map(|r| r.to_string())
        .or_else(|| opts.regions.first().cloned())
        .ok_or_else(|| {
            FetchError::new(
                "",
                "no AWS region: pass --region, or set AWS_REGION or a region in the profile",
            )
        })
}

/// With `--org`, the role it would assume in the caller's own account (the
/// management or delegated administrator account): that account is scanned
/// with the caller's credentials instead, unless `--org-role-in-own-account`.
/// `None` when the caller's account cannot be told (the role is then tried).
pub(super) async fn own_account_role(
    opts: &FetchOptions,
    base: &aws_config::SdkConfig,
    progress: &Progress,
) -> Option<String> {
    let org = opts.org.as_ref().filter(|org| !org.role_in_own_account)?;
    let own = caller_account(base, progress).await.ok()?;
    Some(crate::plan::role_arn(&own, &org.role_name))
}

/// The roles to assume: those named, and one per account `--org` finds
/// (`--role-name` in each). Fails only when the organisation cannot be listed.
pub(super) async fn roles(
    opts: &FetchOptions,
    base: &aws_config::SdkConfig,
    region: &str,
    progress: &Progress,
) -> Result<Vec<String>, FetchError> {
    let mut roles = opts.roles.clone();
    if let Some(org) = &opts.org {
        let accounts = super::org::active_accounts(base, region, &org.units, progress).await?;
        if accounts.is_empty() {
            return Err(FetchError::new(
                "Organizations ListAccounts",
                "no ACTIVE account found: nothing would be scanned",
            ));
        }
        roles.extend(
            accounts
                .iter()
                .map(|id| crate::plan::role_arn(id, &org.role_name)),
        );
    }
    Ok(roles)
}

/// The roles left after `--exclude-account`, each account once (the first
/// role named for it), in account-id order, then the shard's share of them.
pub(super) fn select(roles: Vec<String>, opts: &FetchOptions) -> Vec<String> {
    let mut by_account: BTreeMap<String, String> = BTreeMap::new();
    let mut unparsed = Vec::new();
    for role in roles {
        match account_of_role(&role) {
            Ok(account) if opts.exclude_accounts.contains(&account) => {}
            Ok(account) => {
                by_account.entry(account).or_insert(role);
            }
            // Reported as a failed scope when entered.
            Err(_) => unparsed.push(role),
        }
    }
    unparsed.sort();
    unparsed.dedup();
    let all = by_account.into_values().chain(unparsed);
    match opts.shard {
        Some((k, n)) => all
            .enumerate()
            .filter(|(i, _)| i % n == k - 1)
            .map(|(_, r)| r)
            .collect(),
        None => all.collect(),
    }
}

/// An account ready to scan: its id, its SDK configuration (the role
/// assumed, checked once) and its regions. `role` `None`: the base
/// credentials. A failure is the account's failed scope.
pub(super) type Entered = Result<(String, aws_config::SdkConfig, Vec<String>), Box<ScopeResult>>;

pub(super) async fn enter(
    role: Option<&str>,
    base: &aws_config::SdkConfig,
    opts: &FetchOptions,
    default_region: &str,
    progress: &Progress,
) -> Entered {
    let failed = |account: &str, reason: FetchError| {
        let scope = Scope {
            account_id: account.to_string(),
            region: default_region.to_string(),
        };
        Box::new(ScopeResult::failed(scope, reason))
    };
    let (account_id, config) = match role {
        None => match caller_account(base, progress).await {
            Ok(id) => (id, base.clone()),
            Err(reason) => return Err(failed("unknown", reason)),
        },
        Some(role) => {
            let id = account_of_role(role).map_err(|reason| failed("unknown", reason))?;
            let config = assume_role(base, role).await;
            // The role is assumed here, once, so that a refusal or a stall is
            // reported as AssumeRole's, not as the first DescribeImages'.
            progress.api_calls.fetch_add(1, Ordering::Relaxed);
            if let Err(why) = check_credentials(&config, opts).await {
                return Err(failed(
                    &id,
                    FetchError::new(format!("AssumeRole {role}"), why),
                ));
            }
            (id, config)
        }
    };
    let regions = if opts.all_regions {
        match enabled_regions(&config, default_region, progress).await {
            Ok(regions) => regions,
            Err(reason) => return Err(failed(&account_id, reason)),
        }
    } else if opts.regions.is_empty() {
        vec![default_region.to_string()]
    } else {
        // A region named twice is scanned once.
        let mut regions = opts.regions.clone();
        regions.sort();
        regions.dedup();
        regions
    };
    Ok((account_id, config, regions))
}

/// The shared SDK configuration: profile, endpoint, retries, timeouts.
pub(super) async fn base_config(opts: &FetchOptions) -> aws_config::SdkConfig {
    sdk_config(&Connection {
        profile: opts.profile.as_deref(),
        endpoint_url: opts.endpoint_url.as_deref(),
        region: opts.regions.first().map(String::as_str),
        max_attempts: opts.max_attempts,
        attempt_timeout: opts.attempt_timeout,
    })
    .await
}

/// Loads the credentials of `config` once, within the API time limits.
pub(super) async fn check_credentials(
    config: &aws_config::SdkConfig,
    opts: &FetchOptions,
) -> Result<(), String> {
    use aws_sdk_ec2::config::ProvideCredentials;
    let Some(provider) = config.credentials_provider() else {
        return Err("no credentials".to_string());
    };
    let limit = opts.attempt_timeout * opts.max_attempts.max(1);
    match tokio::time::timeout(limit, provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("could not get credentials: {}", causes(&e))),
        Err(_) => Err(format!(
            "timed out after {} s (see --api-timeout)",
            limit.as_secs()
        )),
    }
}

pub(super) async fn enabled_regions(
    config: &aws_config::SdkConfig,
    region: &str,
    progress: &Progress,
) -> Result<Vec<String>, FetchError> {
    let client = ec2_client(config, region);
    progress.api_calls.fetch_add(1, Ordering::Relaxed);
    let out = client
        .describe_regions()
        .send()
        .await
        .map_err(|e| failure("DescribeRegions", &e))?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Err(FetchError::new(
            "DescribeRegions",
            "no region in the answer: nothing would be scanned",
        ));
    }
    Ok(regions)
}
