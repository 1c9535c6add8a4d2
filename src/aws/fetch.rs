//! Live scans: images fetched through aws-sdk-ec2 (DescribeImages,
//! DescribeImageAttribute, DescribeRegions), each leaving as our `Image`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Filter;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use super::accounts::plan_shards;
use super::accounts::{base_config, enter, home_region, own_account_role, roles, select};
use super::connect::*;
use super::convert::to_model;
use super::sources::Gathered;
use super::sources::{self, Cx};
use crate::error::FetchError;
use crate::model::Image;
use crate::output::text::plural;
pub use crate::plan::{FetchOptions, OrgOptions};

/// One account × region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scope {
    pub account_id: String,
    pub region: String,
}

/// How a scope ended: its images, or why it failed.
#[derive(Debug)]
pub struct ScopeResult {
    pub scope: Scope,
    pub outcome: Result<Vec<Image>, FetchError>,
    /// What its sources gathered besides the images: their failures and
    /// refusals, the account's guardrails.
    pub gathered: Gathered,
}

/// The most DescribeImages pages one scope may take (1,000 images a page on
/// AWS): past it the scope fails rather than page forever.
const MAX_PAGES: usize = 100_000;

/// Fetches every scope, handing each to `each` as soon as it and the scopes
/// before it in (account, region) order are done: a scope's images are held
/// only until `each` has taken them. `each` returns `false` to stop (the
/// scopes still in flight are dropped). Returns the API operations called
/// (each page and each attribute call counts once; the SDK's retries do not).
/// Fails as a whole only when not even the base configuration can be set up
/// (no region, say); a scope that fails is reported in its `ScopeResult`.
pub async fn fetch(
    opts: &FetchOptions,
    progress: Arc<Progress>,
    mut each: impl FnMut(ScopeResult) -> bool,
) -> Result<u64, FetchError> {
    let base = base_config(opts).await;
    let default_region = home_region(&base, opts)?;

    let mut failed: Vec<ScopeResult> = Vec::new();
    let roles = match roles(opts, &base, &default_region, &progress).await {
        Ok(roles) => roles,
        Err(reason) => {
            // The organisation could not be listed: a failed scope (exit 2),
            // and the accounts named otherwise are still scanned.
            let scope = Scope {
                account_id: "organization".to_string(),
                region: default_region.clone(),
            };
            failed.push(ScopeResult::failed(scope, reason));
            opts.roles.clone()
        }
    };
    let roles = select(roles, opts);
    let entries: Vec<Option<String>> = if opts.roles.is_empty() && opts.org.is_none() {
        // The base credentials' account: shard 1 of any N (as --plan-shards has it).
        match opts.shard {
            Some((k, _)) if k != 1 => Vec::new(),
            _ => vec![None],
        }
    } else {
        let own = own_account_role(opts, &base, &progress).await;
        roles
            .into_iter()
            .map(|role| (Some(&role) != own.as_ref()).then_some(role))
            .collect()
    };
    if opts.org.is_some() || opts.shard.is_some() {
        announce(entries.len(), opts);
    }
    // The progress's fixed totals: the accounts, and (regions named) the scopes.
    progress
        .accounts_total
        .store(entries.len() as u64, Ordering::Relaxed);
    if !opts.all_regions {
        let mut named = opts.regions.clone();
        named.sort();
        named.dedup();
        let per_account = named.len().max(1) as u64;
        progress
            .scopes_total
            .store(entries.len() as u64 * per_account, Ordering::Relaxed);
    }
    for result in failed {
        if !each(result) {
            return Ok(progress.api_calls.load(Ordering::Relaxed));
        }
    }

    // Accounts are entered and scanned a window at a time, handed on in
    // order: at most --concurrency accounts in flight, and no more than
    // WINDOW × --concurrency ahead of the first not yet handed on, so memory
    // stays flat however many accounts the organisation has.
    let concurrency = opts.concurrency.max(1);
    let limits = Limits {
        scopes: Arc::new(Semaphore::new(concurrency)),
        attributes: Arc::new(Semaphore::new(opts.attribute_concurrency.max(1))),
    };
    let mut running = JoinSet::new();
    let mut done: BTreeMap<usize, Vec<ScopeResult>> = BTreeMap::new();
    let (mut next, mut handed) = (0, 0);
    let mut entries = entries.into_iter();
    loop {
        while running.len() < concurrency && next < handed + WINDOW * concurrency {
            let Some(role) = entries.next() else { break };
            let (base, opts, progress) = (base.clone(), opts.clone(), progress.clone());
            let (default_region, limits) = (default_region.clone(), limits.clone());
            let index = next;
            running.spawn(async move {
                let scanned =
                    scan_account(role, &base, &opts, &default_region, &progress, &limits).await;
                (index, scanned)
            });
            next += 1;
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (index, scanned) =
            joined.map_err(|e| FetchError::new("", format!("a fetch task failed: {e}")))?;
        done.insert(index, scanned);
        while let Some(results) = done.remove(&handed) {
            handed += 1;
            progress.accounts_done.fetch_add(1, Ordering::Relaxed);
            for result in results {
                if !each(result) {
                    return Ok(progress.api_calls.load(Ordering::Relaxed));
                }
            }
        }
    }
    Ok(progress.api_calls.load(Ordering::Relaxed))
}

/// How many times --concurrency accounts may be done ahead of the first one
/// not yet handed on (a slow account holds the others' results until then).
const WINDOW: usize = 4;

/// The semaphores every account's scopes share.
#[derive(Clone)]
struct Limits {
    /// Scopes fetched at once (--concurrency); an AssumeRole takes one too.
    scopes: Arc<Semaphore>,
    /// DescribeImageAttribute and other per-image calls at once.
    attributes: Arc<Semaphore>,
}

/// Tells the user, once, what the run covers.
fn announce(accounts: usize, opts: &FetchOptions) {
    let shard = opts
        .shard
        .map(|(k, n)| format!(" (shard {k}/{n})"))
        .unwrap_or_default();
    let scopes = if opts.all_regions {
        "each in every region enabled for it".to_string()
    } else {
        let mut regions = opts.regions.clone();
        regions.sort();
        regions.dedup();
        let n = accounts * regions.len().max(1);
        format!("{} (account × region)", plural(n, "scope"))
    };
    crate::output::say(format_args!(
        "amilint: scanning {}{shard}: {scopes}",
        plural(accounts, "account")
    ));
}

/// One account: entered (`role` assumed, or the base credentials), then its
/// regions scanned, up to --account-concurrency at once; its scopes in
/// region order. An account that cannot be entered is one failed scope.
async fn scan_account(
    role: Option<String>,
    base: &aws_config::SdkConfig,
    opts: &FetchOptions,
    default_region: &str,
    progress: &Arc<Progress>,
    limits: &Limits,
) -> Vec<ScopeResult> {
    let entered = {
        let _slot = limits.scopes.acquire().await;
        enter(role.as_deref(), base, opts, default_region, progress).await
    };
    let (account_id, config, regions) = match entered {
        Ok(entered) => entered,
        Err(failure) => return vec![*failure],
    };
    if opts.all_regions {
        // Each account's regions are known only once it is entered.
        progress
            .scopes_total
            .fetch_add(regions.len() as u64, Ordering::Relaxed);
    }
    let per_account = Arc::new(Semaphore::new(opts.account_concurrency.max(1)));
    let mut scopes = JoinSet::new();
    for (index, region) in regions.into_iter().enumerate() {
        let scope = Scope {
            account_id: account_id.clone(),
            region,
        };
        let (config, opts, progress) = (config.clone(), opts.clone(), progress.clone());
        let (limits, per_account) = (limits.clone(), per_account.clone());
        scopes.spawn(async move {
            let _account_slot = per_account.acquire_owned().await;
            let _slot = limits.scopes.acquire_owned().await;
            // The client is made when the scope starts: none waits built.
            let client = ec2_client(&config, &scope.region);
            let result = fetch_scope(
                scope,
                &config,
                &client,
                &opts,
                &progress,
                &limits.attributes,
            )
            .await;
            progress.scopes_done.fetch_add(1, Ordering::Relaxed);
            if result.outcome.is_err() {
                progress.scopes_failed.fetch_add(1, Ordering::Relaxed);
            }
            (index, result)
        });
    }
    let mut results: Vec<(usize, ScopeResult)> = Vec::new();
    while let Some(joined) = scopes.join_next().await {
        match joined {
            Ok(done) => results.push(done),
            Err(e) => {
                let scope = Scope {
                    account_id: account_id.clone(),
                    region: default_region.to_string(),
                };
                let why = FetchError::new("", format!("a fetch task failed: {e}"));
                results.push((usize::MAX, ScopeResult::failed(scope, why)));
            }
        }
    }
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, r)| r).collect()
}

impl ScopeResult {
    /// A scope that failed before any of its images was read.
    pub(super) fn failed(scope: Scope, reason: FetchError) -> ScopeResult {
        ScopeResult {
            outcome: Err(reason.in_scope(&scope.account_id, &scope.region)),
            scope,
            gathered: Gathered::default(),
        }
    }
}

async fn fetch_scope(
    scope: Scope,
    config: &aws_config::SdkConfig,
    client: &Client,
    opts: &FetchOptions,
    progress: &Progress,
    attribute_limit: &Arc<Semaphore>,
) -> ScopeResult {
    let mut images = Vec::new();
    let mut next_token: Option<String> = None;
    // A server that hands back a token it gave before would page forever.
    let mut seen_tokens = std::collections::HashSet::new();
    // DescribeImages lists an image once: a second time means a server that
    // pages in circles with fresh tokens.
    let mut seen_ids = std::collections::HashSet::new();
    let mut pages = 0usize;
    let fail = ScopeResult::failed;
    let cx = Cx {
        scope: &scope,
        config,
        client,
        opts,
        progress,
        limit: attribute_limit,
    };
    let mut sources = sources::wanted(opts);
    loop {
        pages += 1;
        if pages > MAX_PAGES {
            return fail(
                scope,
                FetchError::new(
                    "DescribeImages",
                    format!("more than {MAX_PAGES} pages: stopped (a list that never ends)"),
                ),
            );
        }
        let mut request = client
            .describe_images()
            .include_deprecated(true)
            .include_disabled(true)
            .set_next_token(next_token.take());
        if opts.image_ids.is_empty() {
            // MaxResults cannot be combined with ImageIds.
            request = request.max_results(1000);
        }
        for owner in &opts.owners {
            request = request.owners(owner);
        }
        for id in &opts.image_ids {
            request = request.image_ids(id);
        }
        for (name, values) in &opts.filters {
            request = request.filters(
                Filter::builder()
                    .name(name)
                    .set_values(Some(values.clone()))
                    .build(),
            );
        }
        progress.api_calls.fetch_add(1, Ordering::Relaxed);
        let page = match request.send().await {
            Ok(page) => page,
            Err(e) => return fail(scope, failure("DescribeImages", &e)),
        };
        match page.next_token() {
            Some(token) if !token.is_empty() => {
                if !seen_tokens.insert(token.to_string()) {
                    return fail(
                        scope,
                        FetchError::new(
                            "DescribeImages",
                            format!(
                                "page {pages} returned a NextToken already seen: stopped (the list would never end)"
                            ),
                        ),
                    );
                }
                next_token = Some(token.to_string());
            }
            _ => next_token = None,
        }
        for (item, sdk_image) in page.images().iter().enumerate() {
            // An image without an id cannot be linted, fixed or reported: the
            // scope fails (the others go on), never the run.
            if sdk_image.image_id().is_none_or(|id| id.trim().is_empty()) {
                return fail(
                    scope,
                    FetchError::new(
                        "DescribeImages",
                        format!("page {pages}, item {}: an image without imageId", item + 1),
                    ),
                );
            }
            let id = sdk_image.image_id().unwrap_or_default();
            if !seen_ids.insert(id.to_string()) {
                return fail(
                    scope,
                    FetchError::new(
                        "DescribeImages",
                        format!(
                            "page {pages} lists {id} again: stopped (a list that goes in circles)"
                        ),
                    ),
                );
            }
            images.push(to_model(sdk_image, &scope.account_id, &scope.region));
        }
        progress
            .images
            .fetch_add(page.images().len() as u64, Ordering::Relaxed);
        let new = &images[images.len() - page.images().len()..];
        for source in &mut sources {
            source.page(new, &cx);
        }
        if next_token.is_none() {
            break;
        }
    }

    let mut gathered = Gathered::default();
    for source in sources {
        source.finish(&mut images, &mut gathered, &cx).await;
    }
    ScopeResult {
        scope,
        outcome: Ok(images),
        gathered,
    }
}
