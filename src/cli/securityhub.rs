//! `amilint securityhub`'s flags: clap derive types only.

use std::path::PathBuf;

use clap::Subcommand;

use super::FixFormat;

#[derive(Debug, Subcommand)]
pub enum SecurityhubCommand {
    /// Import an amilint ASFF report into Security Hub (BatchImportFindings, 100 a
    /// call), then archive amilint's findings the report no longer has
    /// (RecordState ARCHIVED, Compliance PASSED; found with GetFindings, or in
    /// --previous) and suppress the waived ones (BatchUpdateFindings, Workflow
    /// SUPPRESSED). Every refused finding is reported. Exit 0 all done, 2 any
    /// finding or call failed or the report could not be read.
    Import(Box<SecurityhubImportArgs>),
}

#[derive(Debug, clap::Args)]
pub struct SecurityhubImportArgs {
    /// An amilint ASFF report (`scan -o asff=FILE`); `-` reads stdin.
    #[arg(value_name = "REPORT")]
    pub report: String,

    /// The ASFF report of the previous import: findings in it that REPORT lacks are
    /// archived (instead of asking Security Hub with GetFindings).
    #[arg(long, value_name = "REPORT", conflicts_with = "no_archive")]
    pub previous: Option<PathBuf>,

    /// Archive nothing (e.g. when REPORT is of part of what was imported before).
    #[arg(long)]
    pub no_archive: bool,

    /// Output: a text summary, or one JSON document (counts, calls, failures).
    #[arg(long, value_enum, ignore_case = true, default_value = "text")]
    pub format: FixFormat,

    /// The AWS profile to use (also AWS_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send API calls to this endpoint (also AWS_ENDPOINT_URL), e.g. a local test server.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// The region of the caller's own product (what an empty report archives
    /// in). Default: the profile's or AWS_REGION. Findings go to their own
    /// ProductArn's region.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Attempts per API call; throttling and 5xx are retried with adaptive backoff.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Time limit of one attempt of one API call, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub api_timeout: u64,
}
