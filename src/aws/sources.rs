//! The live data beyond DescribeImages, one source a row of `SOURCES`: the
//! image attributes, the snapshots behind the images, who references them,
//! their ancestry, the account's guardrails and Recycle Bin rules, the fleet.
//! Each adds what it read to the scope's images (or the scope) and what
//! failed to the scope's errors: most are an `async fn` run once every page
//! is in (`Start::AtTheEnd`); one that starts calls as each page of images
//! arrives is a `Source` (`Start::Paged`). A new source is a file with its
//! function, a row here, its flag (`cli::AwsArgs`, `plan::FetchOptions`) and
//! its field in the model.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use aws_sdk_ec2::Client;
use tokio::sync::Semaphore;

use super::connect::Progress;
use super::fetch::Scope;
use crate::error::FetchError;
use crate::model::{AccountSettings, Image};
use crate::plan::FetchOptions;

/// What a source works with: one scope, its account's SDK configuration
/// (for a client of another service), its EC2 client, the run's options,
/// the limit of calls in flight shared by every scope, the progress counters.
pub(super) struct Cx<'a> {
    pub scope: &'a Scope,
    pub config: &'a aws_config::SdkConfig,
    pub client: &'a Client,
    pub opts: &'a FetchOptions,
    pub progress: &'a Progress,
    pub limit: &'a Arc<Semaphore>,
}

/// What a scope gathers besides its images.
#[derive(Debug, Default)]
pub struct Gathered {
    /// Images whose data could not all be read: (image id, why). The image
    /// is still linted, without that data.
    pub attribute_errors: Vec<(String, FetchError)>,
    /// Calls that failed: what they asked about has no data (the rules that
    /// need it are skipped, and say so).
    pub enrichment_errors: Vec<FetchError>,
    /// Calls refused for good (denied, or not on the endpoint): their rules
    /// are not assessed in the scope.
    pub refused: Vec<Refused>,
    /// The account's guardrails in the region (`None`: not read).
    pub settings: Option<AccountSettings>,
    /// The fleet of the scope (`--fleet`; `None`: not read).
    pub fleet: Option<crate::model::FleetScope>,
}

impl Gathered {
    /// A call that failed (`operation` as IAM names it, the `rules` that
    /// judge what it reads): refused for good, its rules are not assessed
    /// in the scope; any other failure is an error of the scope.
    pub(super) fn failed(
        &mut self,
        operation: &'static str,
        rules: &'static [&'static str],
        error: FetchError,
    ) {
        match super::settings::refused(&error) {
            Some(why) => self.refused.push(Refused {
                operation,
                why,
                rules,
            }),
            None => self.enrichment_errors.push(with_advice(operation, error)),
        }
    }
}

/// An answer that is not AWS's (an HTTP error without an AWS error code) is
/// most often an endpoint without the call — a test server such as moto: the
/// error says how to stop asking (issue 35: 50 identical errors on moto sent
/// a user to the README for --no-guardrails).
fn with_advice(operation: &str, mut error: FetchError) -> FetchError {
    if error.code.is_none() && error.message.starts_with("HTTP ") {
        error.message = format!(
            "{} — if the endpoint does not serve {operation} (a test server?), {}",
            error.message,
            crate::finding::stop_reading(operation)
        );
    }
    error
}

/// A call refused for good, and the rules that judge what it reads.
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    /// As IAM names it (`ec2:GetEbsEncryptionByDefault`, `rbin:ListRules`).
    pub operation: &'static str,
    pub why: &'static str,
    pub rules: &'static [&'static str],
}

/// A boxed future: what `Source::finish` returns (a trait object cannot
/// have an `async fn`).
pub(super) type Finishing<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One live data source.
pub(super) trait Source: Send {
    /// A page's new images, as they arrive: a source may start its calls
    /// while the next page is fetched.
    fn page(&mut self, _images: &[Image], _cx: &Cx<'_>) {}

    /// Once every page is in: adds what it read to `images` (or `into`'s
    /// settings) and what failed to `into`.
    fn finish<'a>(
        self: Box<Self>,
        images: &'a mut [Image],
        into: &'a mut Gathered,
        cx: &'a Cx<'a>,
    ) -> Finishing<'a>;
}

/// A source that reads once every page is in: its `async fn`, boxed.
pub(super) type Finish = for<'a> fn(&'a mut [Image], &'a mut Gathered, &'a Cx<'a>) -> Finishing<'a>;

/// How a row's source starts for a scope: one that works page by page has
/// state (a `Source`); the others are a function run at the end.
pub(super) enum Start {
    Paged(fn() -> Box<dyn Source>),
    AtTheEnd(Finish),
}

/// A source that is a function run once every page is in.
struct AtTheEnd(Finish);

impl Source for AtTheEnd {
    fn finish<'a>(
        self: Box<Self>,
        images: &'a mut [Image],
        into: &'a mut Gathered,
        cx: &'a Cx<'a>,
    ) -> Finishing<'a> {
        (self.0)(images, into, cx)
    }
}

/// A row: whether the options ask for the source, and how it starts.
pub(super) struct Row {
    pub wanted: fn(&FetchOptions) -> bool,
    pub start: Start,
}

/// Every source, in the order they finish.
pub(super) const SOURCES: [Row; 8] = [
    Row {
        wanted: |o| o.attributes,
        start: Start::AtTheEnd(|i, g, cx| Box::pin(super::attributes::finish(i, g, cx))),
    },
    Row {
        wanted: |o| o.snapshots,
        start: Start::AtTheEnd(|i, g, cx| Box::pin(super::snapshots::finish(i, g, cx))),
    },
    // After the snapshots (their keys) and the attributes (who shares).
    Row {
        wanted: |o| o.snapshots,
        start: Start::AtTheEnd(|i, g, cx| Box::pin(super::keys::finish(i, g, cx))),
    },
    Row {
        wanted: |o| o.references,
        start: Start::Paged(|| Box::<super::usage::References>::default()),
    },
    Row {
        wanted: |o| o.ancestry,
        start: Start::AtTheEnd(|i, g, cx| Box::pin(super::usage::finish_ancestry(i, g, cx))),
    },
    Row {
        wanted: |o| o.guardrails,
        start: Start::AtTheEnd(|i, g, cx| Box::pin(super::settings::finish(i, g, cx))),
    },
    // After the guardrails: it adds to the settings they make.
    Row {
        wanted: |o| o.guardrails,
        start: Start::AtTheEnd(|i, g, cx| Box::pin(super::recycle_bin::finish(i, g, cx))),
    },
    Row {
        wanted: |o| o.fleet,
        start: Start::AtTheEnd(|i, g, cx| Box::pin(super::fleet::finish(i, g, cx))),
    },
];

/// The sources `opts` asks for, new for one scope.
pub(super) fn wanted(opts: &FetchOptions) -> Vec<Box<dyn Source>> {
    SOURCES
        .iter()
        .filter(|row| (row.wanted)(opts))
        .map(|row| match row.start {
            Start::Paged(new) => new(),
            Start::AtTheEnd(finish) => Box::new(AtTheEnd(finish)),
        })
        .collect()
}
