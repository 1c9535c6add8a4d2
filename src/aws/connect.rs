//! The SDK set-up that fetch and send share: credentials, retries,
//! timeouts, roles, clients, and the checks on every EC2 answer.

use std::sync::atomic::Ordering;
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

use crate::error::FetchError;
pub(crate) use crate::output::progress::Progress;

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
    loader = loader.http_client(shared_http_client());
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

/// One HTTP client for every SDK client made from the configuration: left
/// to itself, the SDK gives each service client its own (a TLS setup with
/// every root certificate parsed, and a connection pool of its own), which an
/// organisation scan makes thousands of. Built as the SDK's default is:
/// rustls with aws-lc, proxies from the environment.
fn shared_http_client() -> aws_sdk_ec2::config::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
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
            Primed {
                first: std::sync::Mutex::new(None),
                inner: provider,
            },
        ))
        .build()
}

/// A role's credentials: the first ones asked for (by the check that
/// assumes the role once, up front) are kept and handed to the SDK's cache,
/// so the role is not assumed a second time; after they come within five
/// minutes of expiring, the role is assumed again.
#[derive(Debug)]
struct Primed {
    first: std::sync::Mutex<Option<aws_credential_types::Credentials>>,
    inner: aws_config::sts::AssumeRoleProvider,
}

impl aws_credential_types::provider::ProvideCredentials for Primed {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let fresh = |c: &aws_credential_types::Credentials| {
                c.expiry()
                    .is_none_or(|at| at > std::time::SystemTime::now() + Duration::from_secs(300))
            };
            if let Some(kept) = self
                .first
                .lock()
                .expect("invariant: no panic while holding the lock")
                .clone()
                .filter(fresh)
            {
                return Ok(kept);
            }
            let credentials = self.inner.provide_credentials().await?;
            *self
                .first
                .lock()
                .expect("invariant: no panic while holding the lock") = Some(credentials.clone());
            Ok(credentials)
        })
    }
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
) -> Result<String, FetchError> {
    const OPERATION: &str = "STS GetCallerIdentity";
    progress.api_calls.fetch_add(1, Ordering::Relaxed);
    let out = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| failure(OPERATION, &e))?;
    out.account()
        .map(str::to_string)
        .ok_or_else(|| FetchError::new(OPERATION, "returned no account"))
}

/// `111122223333` from `arn:aws:iam::111122223333:role/Name`.
pub(super) fn account_of_role(arn: &str) -> Result<String, FetchError> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "iam", "", account, resource]
            if crate::model::is_account_id(account) && resource.starts_with("role/") =>
        {
            Ok(account.to_string())
        }
        _ => Err(FetchError::new(
            "AssumeRole",
            format!("`{arn}` is not an IAM role ARN (arn:aws:iam::111122223333:role/Name)"),
        )),
    }
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
/// A failed call of `operation` as a typed error: AWS's code, and `describe`.
pub fn failure<E>(operation: impl Into<String>, err: &SdkError<E, HttpResponse>) -> FetchError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    FetchError {
        code: err.code().map(str::to_string),
        ..FetchError::new(operation, describe(err))
    }
}

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
                format!("could not get credentials: {}", without_secrets(&why))
            } else {
                format!("could not reach the endpoint: {why}")
            }
        }
        SdkError::ResponseError(_) => format!("unreadable response: {}", causes(err)),
        _ => format!("{err}: {}", causes(err)),
    }
}

/// A credential provider's failure without what a helper printed: the SDK
/// copies a `credential_process`'s stderr (and what it could not parse of its
/// stdout) into the error, and a helper may print tokens or keys there. The
/// source and the kind of failure stay; the output never reaches a report.
fn without_secrets(why: &str) -> String {
    const LEFT_OUT: &str = "(its output is left out: it may hold secrets)";
    for marker in [
        "Stderr:",
        "could not parse response:",
        "could not decode output as UTF-8:",
    ] {
        if let Some(at) = why.find(marker) {
            let kind = why[..at].trim_end().trim_end_matches('.');
            let source = if why.contains("external process") {
                "the profile's credential_process: "
            } else {
                ""
            };
            return format!("{source}{kind} {marker} {LEFT_OUT}");
        }
    }
    why.to_string()
}

/// The causes of an error, joined on one line.
pub(super) fn causes(err: &dyn std::error::Error) -> String {
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

/// Follows the pages of one listing: `page(token)` fetches one page and gives
/// its items and next token. Stops with an error on a token given before (a
/// list that would never end) or past `max_pages`. Returns the pages asked
/// for (each an API call) and the items.
pub(super) async fn every_page<T, F, Fut>(
    operation: &str,
    max_pages: u64,
    mut page: F,
) -> (u64, Result<Vec<T>, FetchError>)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), FetchError>>,
{
    let mut found = Vec::new();
    let mut next_token: Option<String> = None;
    let mut seen_tokens = std::collections::HashSet::new();
    let mut pages = 0;
    loop {
        pages += 1;
        if pages > max_pages {
            let why = format!("more than {max_pages} pages: stopped");
            return (pages - 1, Err(FetchError::new(operation, why)));
        }
        let (items, token) = match page(next_token.take()).await {
            Ok(answer) => answer,
            Err(e) => return (pages, Err(e)),
        };
        found.extend(items);
        match token.filter(|t| !t.is_empty()) {
            Some(token) => {
                if !seen_tokens.insert(token.clone()) {
                    let why = format!("page {pages} returned a NextToken already seen: stopped");
                    return (pages, Err(FetchError::new(operation, why)));
                }
                next_token = Some(token);
            }
            None => return (pages, Ok(found)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_30_a_credential_helper_s_output_never_reaches_a_report() {
        let why = "dispatch failure: other: loading credentials: an error occurred while loading credentials: Error retrieving credentials: external process exited with code exit status: 1. Stderr: token=AKIAEXAMPLESECRET oops";
        let got = without_secrets(why);
        assert!(!got.contains("AKIAEXAMPLESECRET"), "{got}");
        assert!(
            got.contains("credential_process") && got.contains("exited with code"),
            "{got}"
        );
        let parse = "loading credentials: Error retrieving credentials from external process, could not parse response: SecretAccessKey abc";
        assert!(!without_secrets(parse).contains("abc"));
        let plain = "loading credentials: the credential provider was not enabled";
        assert_eq!(without_secrets(plain), plain);
    }

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
}
