//! `amilint fix`'s arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::ranged;

#[derive(Debug, Args)]
pub struct FixArgs {
    /// An amilint JSON report (`scan --format json`, or `-o json=FILE`); `-` reads
    /// stdin, e.g. `amilint scan --aws --attributes --format json | amilint fix -`.
    #[arg(value_name = "REPORT")]
    pub report: String,

    /// Send each call with EC2's DryRun=true and report whether it is permitted
    /// (DryRunOperation) or not (UnauthorizedOperation). Nothing is changed.
    #[arg(long, conflicts_with = "apply")]
    pub dry_run: bool,

    /// Make the changes. Asks for confirmation on a terminal; elsewhere needs --yes.
    #[arg(long)]
    pub apply: bool,

    /// Output: text, or one JSON document (each call with its outcome, and the counts).
    #[arg(long, value_enum, ignore_case = true, default_value = "text")]
    pub format: FixFormat,

    /// With --apply: do not ask for confirmation.
    #[arg(long, requires = "apply")]
    pub yes: bool,

    /// Also make changes that cannot be undone: AMI001's ImdsSupport=v2.0.
    #[arg(long)]
    pub allow_irreversible: bool,

    /// With --apply: the change log, one JSON line per call sent (appended).
    #[arg(long, value_name = "PATH", default_value = "amilint-fix.log")]
    pub log: PathBuf,

    /// Only the findings of these rules (codes, comma-separated, repeatable; `--select`
    /// as in scan).
    #[arg(
        long = "rule",
        visible_alias = "select",
        value_delimiter = ',',
        value_name = "CODES"
    )]
    pub rules: Vec<String>,

    /// Only these images (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub image_ids: Vec<String>,

    /// The region of images the report gives none for (offline scans).
    /// Default: the profile's or AWS_REGION.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// The AWS profile to use (also AWS_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send API calls to this endpoint (also AWS_ENDPOINT_URL), e.g. a local test server.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// For images of other accounts (a multi-account report): assume this role,
    /// arn:aws:iam::ACCOUNT:role/NAME, in each image's account.
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,

    /// Images worked on at once (an image's own calls go one after the other).
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = ranged(1, 256))]
    pub concurrency: usize,

    /// Attempts per API call; throttling and 5xx are retried with adaptive backoff.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Time limit of one attempt of one API call, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub api_timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FixFormat {
    Text,
    Json,
}
