//! Live scans: images fetched through aws-sdk-ec2 (DescribeImages,
//! DescribeImageAttribute, DescribeRegions) and STS; everything leaves as our
//! `Image`. Also the SDK set-up (credentials, retries, timeouts, roles,
//! clients) that `fix::send`, the only other file with SDK types, shares.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_ec2::config::{ConfigBag, Intercept, Region, RuntimeComponents};
use aws_sdk_ec2::error::BoxError;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, ImageAttributeName};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::model::{
    BlockDeviceMapping, Ebs, Image, ImageScope, LaunchPermission, ProductCode, StateReason, Tag,
    image_arn,
};

/// What to fetch, and how hard to try.
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
    /// Scopes (account × region) fetched at once.
    pub concurrency: usize,
    /// Also call DescribeImageAttribute for each image.
    pub attributes: bool,
    /// DescribeImageAttribute calls in flight at once, across all scopes.
    pub attribute_concurrency: usize,
    /// Attempts per API call (retries on throttling, 5xx, timeouts).
    pub max_attempts: u32,
    /// Time limit of one attempt of one API call.
    pub attempt_timeout: Duration,
}

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
    pub outcome: Result<Vec<Image>, String>,
    /// Images whose attributes could not all be read: (image id, reason).
    /// The image is still linted, without those attributes.
    pub attribute_errors: Vec<(String, String)>,
}

/// Everything a live scan fetched, scopes in (account, region) order.
#[derive(Debug)]
pub struct Fetched {
    pub scopes: Vec<ScopeResult>,
    /// API operations called (each page and each attribute call counts once;
    /// the SDK's retries are not counted).
    pub api_calls: u64,
}

/// Counters a progress display can read while fetching.
#[derive(Debug, Default)]
pub struct Progress {
    pub scopes_total: AtomicU64,
    pub scopes_done: AtomicU64,
    pub images: AtomicU64,
    pub attribute_calls: AtomicU64,
    pub api_calls: AtomicU64,
}

/// The most DescribeImages pages one scope may take (1,000 images a page on
/// AWS): past it the scope fails rather than page forever.
const MAX_PAGES: usize = 100_000;

/// The attributes `--attributes` reads for every image.
const ATTRIBUTES: [ImageAttributeName; 4] = [
    ImageAttributeName::LaunchPermission,
    ImageAttributeName::LastLaunchedTime,
    ImageAttributeName::ImdsSupport,
    ImageAttributeName::DeregistrationProtection,
];

/// Fetches every scope. Fails as a whole only when not even the base
/// configuration can be set up (no region, say); a scope that fails is
/// reported in its `ScopeResult`.
pub async fn fetch(opts: &FetchOptions, progress: Arc<Progress>) -> Result<Fetched, String> {
    let base = base_config(opts).await;
    let default_region = base
        .region()
        .map(|r| r.to_string())
        .or_else(|| opts.regions.first().cloned())
        .ok_or_else(|| {
            "no AWS region: pass --region, or set AWS_REGION or a region in the profile".to_string()
        })?;

    // Accounts: (account id, config) per role, or the base credentials.
    let mut failed: Vec<ScopeResult> = Vec::new();
    let mut accounts: Vec<(Result<String, String>, aws_config::SdkConfig)> = Vec::new();
    if opts.roles.is_empty() {
        let account = caller_account(&base, &progress).await;
        accounts.push((account, base.clone()));
    } else {
        // A role (an account) named twice is scanned once.
        let mut roles = opts.roles.clone();
        roles.sort();
        roles.dedup();
        for role in &roles {
            let config = assume_role(&base, role).await;
            let account = match account_of_role(role) {
                Ok(id) => {
                    // The role is assumed here, once, so that a refusal or a
                    // stall is reported as AssumeRole's, not as the first
                    // DescribeImages'.
                    if let Err(why) = check_credentials(&config, opts).await {
                        failed.push(ScopeResult {
                            scope: Scope {
                                account_id: id,
                                region: default_region.clone(),
                            },
                            outcome: Err(format!("AssumeRole {role}: {why}")),
                            attribute_errors: Vec::new(),
                        });
                        continue;
                    }
                    Ok(id)
                }
                Err(e) => Err(e),
            };
            accounts.push((account, config));
        }
    }

    let attribute_limit = Arc::new(Semaphore::new(opts.attribute_concurrency.max(1)));
    let scope_limit = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut results: Vec<ScopeResult> = failed;
    let mut tasks = JoinSet::new();
    for (account, config) in accounts {
        let account_id = match account {
            Ok(id) => id,
            Err(reason) => {
                results.push(ScopeResult {
                    scope: Scope {
                        account_id: "unknown".to_string(),
                        region: default_region.clone(),
                    },
                    outcome: Err(reason),
                    attribute_errors: Vec::new(),
                });
                continue;
            }
        };
        let regions = if opts.all_regions {
            match enabled_regions(&config, &default_region, &progress).await {
                Ok(regions) => regions,
                Err(reason) => {
                    results.push(ScopeResult {
                        scope: Scope {
                            account_id,
                            region: default_region.clone(),
                        },
                        outcome: Err(format!("DescribeRegions: {reason}")),
                        attribute_errors: Vec::new(),
                    });
                    continue;
                }
            }
        } else if opts.regions.is_empty() {
            vec![default_region.clone()]
        } else {
            // A region named twice is scanned once.
            let mut regions = opts.regions.clone();
            regions.sort();
            regions.dedup();
            regions
        };
        for region in regions {
            progress.scopes_total.fetch_add(1, Ordering::Relaxed);
            let scope = Scope {
                account_id: account_id.clone(),
                region: region.clone(),
            };
            let client = ec2_client(&config, &region);
            let opts = opts.clone();
            let progress = progress.clone();
            let attribute_limit = attribute_limit.clone();
            let scope_limit = scope_limit.clone();
            tasks.spawn(async move {
                let _slot = scope_limit.acquire_owned().await;
                let result = fetch_scope(scope, &client, &opts, &progress, &attribute_limit).await;
                progress.scopes_done.fetch_add(1, Ordering::Relaxed);
                result
            });
        }
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => results.push(result),
            Err(e) => return Err(format!("a fetch task failed: {e}")),
        }
    }
    results.sort_by(|a, b| a.scope.cmp(&b.scope));
    Ok(Fetched {
        scopes: results,
        api_calls: progress.api_calls.load(Ordering::Relaxed),
    })
}

/// The shared SDK configuration: profile, endpoint, retries, timeouts.
async fn base_config(opts: &FetchOptions) -> aws_config::SdkConfig {
    sdk_config(&Connection {
        profile: opts.profile.as_deref(),
        endpoint_url: opts.endpoint_url.as_deref(),
        region: opts.regions.first().map(String::as_str),
        max_attempts: opts.max_attempts,
        attempt_timeout: opts.attempt_timeout,
    })
    .await
}

/// How to reach the API (for scans and fixes alike).
pub struct Connection<'a> {
    pub profile: Option<&'a str>,
    pub endpoint_url: Option<&'a str>,
    /// The region when none is set elsewhere; `None`: the profile's or AWS_REGION.
    pub region: Option<&'a str>,
    /// Attempts per API call (retries on throttling, 5xx, timeouts).
    pub max_attempts: u32,
    /// Time limit of one attempt of one API call.
    pub attempt_timeout: Duration,
}

/// The SDK configuration: the standard credential chain, retries with
/// adaptive backoff, and explicit timeouts (the SDK's default waits forever
/// on a server that accepts and never answers).
pub async fn sdk_config(c: &Connection<'_>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(
            RetryConfig::adaptive()
                .with_max_attempts(c.max_attempts.max(1))
                .with_initial_backoff(Duration::from_millis(100)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .read_timeout(c.attempt_timeout)
                .operation_attempt_timeout(c.attempt_timeout)
                .operation_timeout(c.attempt_timeout * c.max_attempts.max(1) * 2)
                .build(),
        );
    if let Some(profile) = c.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = c.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = c.region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

/// Loads the credentials of `config` once, within the API time limits.
async fn check_credentials(
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

/// `base` with the credentials of `role`, assumed through STS.
pub async fn assume_role(base: &aws_config::SdkConfig, role: &str) -> aws_config::SdkConfig {
    let provider = aws_config::sts::AssumeRoleProvider::builder(role.to_string())
        .session_name("amilint")
        .configure(base)
        .build()
        .await;
    base.to_builder()
        .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build()
}

/// An EC2 client for one region, refusing truncated answers.
pub fn ec2_client(config: &aws_config::SdkConfig, region: &str) -> Client {
    Client::from_conf(
        aws_sdk_ec2::config::Builder::from(config)
            .region(Region::new(region.to_string()))
            .interceptor(CompleteXml)
            .build(),
    )
}

/// The account of the base credentials (STS GetCallerIdentity).
pub async fn caller_account(
    config: &aws_config::SdkConfig,
    progress: &Progress,
) -> Result<String, String> {
    progress.api_calls.fetch_add(1, Ordering::Relaxed);
    let out = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| format!("STS GetCallerIdentity: {}", describe(&e)))?;
    out.account()
        .map(str::to_string)
        .ok_or_else(|| "STS GetCallerIdentity returned no account".to_string())
}

/// `111122223333` from `arn:aws:iam::111122223333:role/Name`.
fn account_of_role(arn: &str) -> Result<String, String> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, resource]
            if crate::model::is_account_id(account) && resource.starts_with("role/") =>
        {
            Ok(account.to_string())
        }
        _ => Err(format!(
            "`{arn}` is not an IAM role ARN (arn:aws:iam::111122223333:role/Name)"
        )),
    }
}

async fn enabled_regions(
    config: &aws_config::SdkConfig,
    region: &str,
    progress: &Progress,
) -> Result<Vec<String>, String> {
    let client = ec2_client(config, region);
    progress.api_calls.fetch_add(1, Ordering::Relaxed);
    let out = client
        .describe_regions()
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Err("no region in the answer: nothing would be scanned".to_string());
    }
    Ok(regions)
}

/// Refuses an EC2 answer whose XML document is not complete. The SDK's XML
/// reader accepts a document cut short (unclosed elements at the end), which
/// would make a truncated DescribeImages page look like a shorter list.
#[derive(Debug)]
struct CompleteXml;

impl Intercept for CompleteXml {
    fn name(&self) -> &'static str {
        "amilint::CompleteXml"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !context.response().status().is_success() {
            return Ok(()); // error answers are the SDK's to read
        }
        let Some(body) = context.response().body().bytes() else {
            return Ok(());
        };
        if !xml_is_complete(body) {
            return Err(format!(
                "truncated response: the XML document ends before its root element closes ({} bytes)",
                body.len()
            )
            .into());
        }
        // The SDK's reader takes any root: another operation's answer would
        // read as an empty list.
        let operation = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.name().to_string());
        if let (Some(operation), Some(root)) = (operation, xml_root(body))
            && root != format!("{operation}Response")
        {
            return Err(format!("not a {operation} answer: its root element is <{root}>").into());
        }
        Ok(())
    }
}

/// The name of the root element of a complete XML document.
fn xml_root(body: &[u8]) -> Option<String> {
    let mut rest = body.trim_ascii();
    while let Some(after) = rest.strip_prefix(b"<?") {
        let end = memchr::memmem::find(after, b"?>")?;
        rest = after[end + 2..].trim_ascii_start();
    }
    let name = rest.strip_prefix(b"<")?;
    let end = name
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')?;
    String::from_utf8(name[..end].to_vec()).ok()
}

/// Whether `body` is one complete XML element: every tag closed, in order,
/// and nothing after the root. A page cut inside an item, with the closing
/// root tag added back, is not complete: the SDK's reader would take it as a
/// shorter list.
fn xml_is_complete(body: &[u8]) -> bool {
    let text = body.trim_ascii();
    if text.is_empty() {
        return true; // no body at all is the SDK's to judge
    }
    let mut open: Vec<&[u8]> = Vec::new();
    let mut roots = 0;
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'<', &text[i..]) {
        let tag = &text[i + at..];
        let skip_to = |end: &[u8]| memchr::memmem::find(tag, end).map(|j| i + at + j + end.len());
        let next = if tag.starts_with(b"<?") {
            skip_to(b"?>")
        } else if tag.starts_with(b"<!--") {
            skip_to(b"-->")
        } else if tag.starts_with(b"<![CDATA[") {
            skip_to(b"]]>")
        } else if tag.starts_with(b"<!") {
            return false; // a DOCTYPE: an HTML page, never an EC2 answer
        } else {
            // The tag runs to the first `>` outside a quoted attribute value.
            let mut quote = None;
            let end = tag.iter().enumerate().skip(1).find_map(|(j, &b)| {
                match (quote, b) {
                    (None, b'"' | b'\'') => quote = Some(b),
                    (Some(q), _) if b == q => quote = None,
                    (None, b'>') => return Some(j),
                    _ => {}
                }
                None
            });
            let Some(end) = end else {
                return false;
            };
            let inner = &tag[1..end];
            let name_of = |t: &'_ [u8]| -> usize {
                t.iter()
                    .position(|b| b.is_ascii_whitespace() || *b == b'/')
                    .unwrap_or(t.len())
            };
            if let Some(closing) = inner.strip_prefix(b"/") {
                let name = closing.trim_ascii();
                if open.pop() != Some(name) {
                    return false;
                }
            } else {
                if open.is_empty() {
                    roots += 1;
                }
                if !inner.ends_with(b"/") {
                    open.push(&inner[..name_of(inner)]);
                }
            }
            Some(i + at + end + 1)
        };
        let Some(next) = next else {
            return false;
        };
        i = next;
    }
    open.is_empty() && roots == 1
}

/// Words for an SDK error: the service's code and message when it answered
/// with an EC2 error, otherwise what went wrong on the way, in one line.
pub fn describe<E>(err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let (Some(code), message) = (err.code(), err.message()) {
        return match message {
            Some(message) => format!("{code}: {message}"),
            None => code.to_string(),
        };
    }
    match err {
        SdkError::ServiceError(e) => format!(
            "HTTP {} with a body that is not an EC2 error response",
            e.raw().status().as_u16()
        ),
        SdkError::TimeoutError(_) => "timed out (see --api-timeout)".to_string(),
        SdkError::DispatchFailure(_) => {
            // Credentials (an AssumeRole, say) are loaded while the request is dispatched.
            let why = causes(err);
            if why.contains("loading credentials") {
                format!("could not get credentials: {why}")
            } else {
                format!("could not reach the endpoint: {why}")
            }
        }
        SdkError::ResponseError(_) => format!("unreadable response: {}", causes(err)),
        _ => format!("{err}: {}", causes(err)),
    }
}

/// The causes of an error, joined on one line.
fn causes(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

async fn fetch_scope(
    scope: Scope,
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
    let fail = |scope: Scope, reason: String| ScopeResult {
        scope,
        outcome: Err(reason),
        attribute_errors: Vec::new(),
    };
    loop {
        pages += 1;
        if pages > MAX_PAGES {
            return fail(
                scope,
                format!(
                    "DescribeImages: more than {MAX_PAGES} pages: stopped (a list that never ends)"
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
            Err(e) => {
                return ScopeResult {
                    scope,
                    outcome: Err(format!("DescribeImages: {}", describe(&e))),
                    attribute_errors: Vec::new(),
                };
            }
        };
        match page.next_token() {
            Some(token) if !token.is_empty() => {
                if !seen_tokens.insert(token.to_string()) {
                    return fail(
                        scope,
                        format!(
                            "DescribeImages: page {pages} returned a NextToken already seen: stopped (the list would never end)"
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
                    format!(
                        "DescribeImages: page {pages}, item {}: an image without imageId",
                        item + 1
                    ),
                );
            }
            let id = sdk_image.image_id().unwrap_or_default();
            if !seen_ids.insert(id.to_string()) {
                return fail(
                    scope,
                    format!(
                        "DescribeImages: page {pages} lists {id} again: stopped (a list that goes in circles)"
                    ),
                );
            }
            images.push(to_model(sdk_image, &scope));
        }
        progress
            .images
            .fetch_add(page.images().len() as u64, Ordering::Relaxed);
        if next_token.is_none() {
            break;
        }
    }

    let mut attribute_errors = Vec::new();
    if opts.attributes {
        let mut calls = JoinSet::new();
        for (index, image) in images.iter().enumerate() {
            for attribute in ATTRIBUTES {
                let client = client.clone();
                let id = image.id().to_string();
                let limit = attribute_limit.clone();
                calls.spawn(async move {
                    let _slot = limit.acquire_owned().await;
                    let out = client
                        .describe_image_attribute()
                        .image_id(&id)
                        .attribute(attribute.clone())
                        .send()
                        .await
                        .map_err(|e| {
                            format!(
                                "DescribeImageAttribute {}: {}",
                                attribute.as_str(),
                                describe(&e)
                            )
                        });
                    (index, id, out)
                });
            }
        }
        let mut failed: BTreeMap<usize, (String, Vec<String>)> = BTreeMap::new();
        while let Some(joined) = calls.join_next().await {
            progress.api_calls.fetch_add(1, Ordering::Relaxed);
            progress.attribute_calls.fetch_add(1, Ordering::Relaxed);
            let (index, id, out) = match joined {
                Ok(v) => v,
                Err(e) => {
                    attribute_errors.push((String::new(), format!("attribute task failed: {e}")));
                    continue;
                }
            };
            match out {
                Ok(out) => apply_attributes(&mut images[index], &out),
                Err(reason) => failed
                    .entry(index)
                    .or_insert((id, Vec::new()))
                    .1
                    .push(reason),
            }
        }
        attribute_errors.extend(
            failed
                .into_values()
                .map(|(id, reasons)| (id, reasons.join("; "))),
        );
    }
    ScopeResult {
        scope,
        outcome: Ok(images),
        attribute_errors,
    }
}

/// Adds what DescribeImageAttribute returned, under the describe-images keys.
/// A value DescribeImages already gave is kept.
fn apply_attributes(
    image: &mut Image,
    out: &aws_sdk_ec2::operation::describe_image_attribute::DescribeImageAttributeOutput,
) {
    let value = |v: Option<&aws_sdk_ec2::types::AttributeValue>| {
        v.and_then(|v| v.value())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(launched) = value(out.last_launched_time()) {
        image.last_launched_time.get_or_insert(launched);
    }
    if let Some(imds) = value(out.imds_support()) {
        image.imds_support.get_or_insert(imds);
    }
    if let Some(protection) = value(out.deregistration_protection()) {
        image.deregistration_protection.get_or_insert(protection);
    }
    // The response has launch permissions (maybe none) only when asked for them.
    if let Some(permissions) = &out.launch_permissions {
        image.launch_permissions = Some(
            permissions
                .iter()
                .map(|p| LaunchPermission {
                    group: p.group().map(|g| g.as_str().to_string()),
                    user_id: p.user_id().map(str::to_string),
                    organization_arn: p.organization_arn().map(str::to_string),
                    organizational_unit_arn: p.organizational_unit_arn().map(str::to_string),
                })
                .collect(),
        );
    }
}

fn owned(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// SDK enums keep unknown values as `Unknown(..)`: always go through `as_str`.
fn text<T: AsRef<str>>(v: Option<&T>) -> Option<String> {
    v.map(|v| v.as_ref().to_string())
}

/// Our model of one SDK image. Fields the model has no slot for go to `extra`
/// under their describe-images key.
pub fn to_model(i: &aws_sdk_ec2::types::Image, scope: &Scope) -> Image {
    let mut extra = BTreeMap::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            extra.insert(key.to_string(), v);
        }
    };
    put("SourceImageId", i.source_image_id().map(Value::from));
    put(
        "SourceImageRegion",
        i.source_image_region().map(Value::from),
    );
    put("ImageAllowed", i.image_allowed().map(Value::from));
    put("FreeTierEligible", i.free_tier_eligible().map(Value::from));
    put(
        "PublicSsmParameterName",
        i.public_ssm_parameter_name().map(Value::from),
    );
    let id = i.image_id().unwrap_or_default();
    Image {
        image_id: owned(i.image_id()),
        name: owned(i.name()),
        description: owned(i.description()),
        image_location: owned(i.image_location()),
        image_type: text(i.image_type()),
        state: text(i.state()),
        state_reason: i.state_reason().map(|r| StateReason {
            code: owned(r.code()),
            message: owned(r.message()),
        }),
        owner_id: owned(i.owner_id()),
        image_owner_alias: owned(i.image_owner_alias()),
        public: i.public(),
        architecture: text(i.architecture()),
        platform: text(i.platform()),
        platform_details: owned(i.platform_details()),
        usage_operation: owned(i.usage_operation()),
        creation_date: owned(i.creation_date()),
        deprecation_time: owned(i.deprecation_time()),
        imds_support: text(i.imds_support()),
        boot_mode: text(i.boot_mode()),
        tpm_support: text(i.tpm_support()),
        virtualization_type: text(i.virtualization_type()),
        hypervisor: text(i.hypervisor()),
        root_device_type: text(i.root_device_type()),
        root_device_name: owned(i.root_device_name()),
        ena_support: i.ena_support(),
        sriov_net_support: owned(i.sriov_net_support()),
        kernel_id: owned(i.kernel_id()),
        ramdisk_id: owned(i.ramdisk_id()),
        deregistration_protection: owned(i.deregistration_protection()),
        last_launched_time: owned(i.last_launched_time()),
        source_instance_id: owned(i.source_instance_id()),
        product_codes: i.product_codes.as_ref().map(|codes| {
            codes
                .iter()
                .map(|c| ProductCode {
                    product_code_id: owned(c.product_code_id()),
                    product_code_type: text(c.product_code_type()),
                })
                .collect()
        }),
        block_device_mappings: i.block_device_mappings.as_ref().map(|mappings| {
            mappings
                .iter()
                .map(|m| BlockDeviceMapping {
                    device_name: owned(m.device_name()),
                    virtual_name: owned(m.virtual_name()),
                    no_device: m.no_device().map(Value::from),
                    ebs: m.ebs().map(|e| {
                        let mut extra = BTreeMap::new();
                        if let Some(az) = e.availability_zone() {
                            extra.insert("AvailabilityZone".to_string(), Value::from(az));
                        }
                        if let Some(arn) = e.outpost_arn() {
                            extra.insert("OutpostArn".to_string(), Value::from(arn));
                        }
                        Ebs {
                            encrypted: e.encrypted(),
                            kms_key_id: owned(e.kms_key_id()),
                            snapshot_id: owned(e.snapshot_id()),
                            volume_size: e.volume_size().map(i64::from),
                            volume_type: text(e.volume_type()),
                            delete_on_termination: e.delete_on_termination(),
                            iops: e.iops().map(i64::from),
                            throughput: e.throughput().map(i64::from),
                            extra,
                        }
                    }),
                    ..Default::default()
                })
                .collect()
        }),
        tags: i.tags.as_ref().map(|tags| {
            tags.iter()
                .map(|t| Tag {
                    key: t.key().unwrap_or_default().to_string(),
                    value: t.value().unwrap_or_default().to_string(),
                })
                .collect()
        }),
        launch_permissions: None,
        scope: Some(ImageScope {
            account_id: scope.account_id.clone(),
            region: scope.region.clone(),
            image_arn: image_arn(&scope.region, id),
        }),
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_their_account() {
        assert_eq!(
            account_of_role("arn:aws:iam::111122223333:role/Audit").as_deref(),
            Ok("111122223333")
        );
        assert!(account_of_role("arn:aws:iam::1111:role/Audit").is_err());
        assert!(account_of_role("arn:aws:iam::111122223333:user/bob").is_err());
        assert!(account_of_role("Audit").is_err());
    }

    #[test]
    fn cut_xml_is_not_complete() {
        let whole = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeImagesResponse xmlns="x"><imagesSet><item/></imagesSet></DescribeImagesResponse>
"#;
        assert!(xml_is_complete(whole.as_bytes()));
        assert!(!xml_is_complete(&whole.as_bytes()[..70]));
        assert!(xml_is_complete(b"<Response><Errors/></Response>"));
        assert!(!xml_is_complete(b"<!doctype html><p>200</p>"));
    }

    #[test]
    fn issue_16_a_page_cut_inside_an_item_with_its_root_closed_is_not_complete() {
        let cut = r#"<?xml version="1.0"?><DescribeImagesResponse xmlns="x"><imagesSet><item><imageId>ami-1</imageId></item><item><imageId>ami-2</imageId></DescribeImagesResponse>"#;
        assert!(!xml_is_complete(cut.as_bytes()));
        let attr = r#"<R a="x>y"><b c='1'/><!-- <c> --><d><![CDATA[<e>]]></d></R>"#;
        assert!(xml_is_complete(attr.as_bytes()));
        assert!(!xml_is_complete(b"<R></R><R></R>"));
        assert!(!xml_is_complete(b"<R><a></b></R>"));
        assert_eq!(
            xml_root(br#"<?xml version="1.0"?> <DescribeImagesResponse xmlns="x"/>"#).as_deref(),
            Some("DescribeImagesResponse")
        );
    }

    #[test]
    fn image_arns_follow_the_partition() {
        assert_eq!(
            image_arn("eu-west-1", "ami-1"),
            "arn:aws:ec2:eu-west-1::image/ami-1"
        );
        assert_eq!(
            image_arn("cn-north-1", "ami-1"),
            "arn:aws-cn:ec2:cn-north-1::image/ami-1"
        );
        assert_eq!(
            image_arn("us-gov-west-1", "ami-1"),
            "arn:aws-us-gov:ec2:us-gov-west-1::image/ami-1"
        );
    }
}
