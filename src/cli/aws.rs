//! The live scan's flags (`scan --aws`): clap derive types only.

use std::path::PathBuf;

use clap::Args;

use super::ranged;

/// Live scans through the EC2 API.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Live scan (--aws)")]
pub struct AwsArgs {
    /// Fetch the images through the EC2 API (DescribeImages) instead of reading files.
    /// Credentials, profile and region come from the standard AWS chain.
    #[arg(long)]
    pub aws: bool,

    /// Region to scan (comma-separated, repeatable). Default: the profile's or AWS_REGION.
    #[arg(
        long = "region",
        value_delimiter = ',',
        value_name = "REGION",
        requires = "aws"
    )]
    pub regions: Vec<String>,

    /// Scan every region enabled for each account (DescribeRegions).
    #[arg(long, requires = "aws", conflicts_with = "regions")]
    pub all_regions: bool,

    /// The AWS profile to use (also AWS_PROFILE), e.g. an SSO profile.
    #[arg(long, value_name = "NAME", requires = "aws")]
    pub profile: Option<String>,

    /// Image owners: `self`, `amazon`, `aws-marketplace` or account ids (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "self",
        value_name = "OWNERS"
    )]
    pub owners: Vec<String>,

    /// Only these image ids (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "IDS", requires = "aws")]
    pub image_ids: Vec<String>,

    /// A DescribeImages filter, as `Name=tag:Environment,Values=prod,staging` (repeatable).
    #[arg(long = "filter", value_name = "Name=...,Values=...", requires = "aws")]
    pub filters: Vec<String>,

    /// Send API calls to this endpoint (also AWS_ENDPOINT_URL), e.g. a local test server.
    #[arg(long, value_name = "URL", requires = "aws")]
    pub endpoint_url: Option<String>,

    /// An IAM role to assume (through STS, from the base credentials) per account to scan
    /// (comma-separated, repeatable).
    #[arg(
        long = "role",
        value_delimiter = ',',
        value_name = "ARN",
        requires = "aws"
    )]
    pub roles: Vec<String>,

    /// Accounts to scan by assuming --role-name in each (comma-separated, repeatable).
    #[arg(
        long = "account",
        value_delimiter = ',',
        value_name = "ID",
        requires = "role_name"
    )]
    pub accounts: Vec<String>,

    /// The role assumed in each --account, and in each account --org finds.
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,

    /// Scan every ACTIVE account of the AWS Organization (Organizations ListAccounts, from
    /// the management or a delegated administrator account), assuming --role-name in each.
    #[arg(long, requires = "role_name")]
    pub org: bool,

    /// With --org: reach the caller's own account (the management or delegated
    /// administrator account) through --role-name too. By default it is scanned with the
    /// caller's own credentials: an account seldom has the member role in itself.
    #[arg(long, requires = "org")]
    pub org_role_in_own_account: bool,

    /// With --org: only the accounts under this organizational unit (`ou-…`, or a root
    /// `r-…`), its child OUs included (repeatable, comma-separated).
    #[arg(
        long = "org-unit",
        value_delimiter = ',',
        value_name = "ID",
        requires = "org"
    )]
    pub org_units: Vec<String>,

    /// Accounts not to scan, whether named by --account, --role or found by --org
    /// (comma-separated, repeatable).
    #[arg(long = "exclude-account", value_delimiter = ',', value_name = "ID")]
    pub exclude_accounts: Vec<String>,

    /// Scan only shard K of N (`K/N`, 1 ≤ K ≤ N): the accounts, in account-id order, whose
    /// position modulo N is K − 1. The shards of one N cover every account once; `amilint
    /// merge` joins their reports. See --plan-shards.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Print the accounts and scopes (as found by --org, --account, --role) split into N
    /// shards, as a GitHub Actions matrix (`{"include": [{"shard": "1/N", …}]}`), and exit
    /// without scanning. Each shard is then scanned with `--shard K/N`.
    #[arg(long, value_name = "N", value_parser = ranged(1, 256), conflicts_with = "shard")]
    pub plan_shards: Option<usize>,

    /// Scopes (account × region) fetched at once, across all accounts.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = ranged(1, 256))]
    pub concurrency: usize,

    /// Scopes of one account fetched at once (its regions), within --concurrency.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = ranged(1, 256))]
    pub account_concurrency: usize,

    /// Also read each image's attributes (DescribeImageAttribute: launchPermission,
    /// lastLaunchedTime, imdsSupport, deregistrationProtection); enables AMI012 and AMI013's data.
    #[arg(long, requires = "aws")]
    pub attributes: bool,

    /// Also read the snapshot behind each EBS mapping (DescribeSnapshots, and
    /// DescribeSnapshotAttribute createVolumePermission for snapshots the scanned account
    /// owns); enables AMI018, AMI020, AMI021 and AMI022's data.
    #[arg(long, requires = "aws")]
    pub snapshots: bool,

    /// Also read what uses each image (DescribeImageReferences, ten images a call: instances,
    /// launch templates, SSM parameters, Image Builder recipes); AMI013 counts a referenced
    /// image as used.
    #[arg(long, requires = "aws")]
    pub references: bool,

    /// Also read where each image comes from (GetImageAncestry, one call an image); the data
    /// of AMI025.
    #[arg(long, requires = "aws")]
    pub ancestry: bool,

    /// Also read the fleet behind the images and lint it with the fleet rules (AMI301–AMI307):
    /// instances in every state but terminated (DescribeInstances), launch templates'
    /// `$Default` and `$Latest` versions (DescribeLaunchTemplateVersions; `resolve:ssm:`
    /// images through SSM GetParameters), Auto Scaling groups and launch configurations;
    /// every image they name is described by id, whoever owns it.
    #[arg(long, requires = "aws")]
    pub fleet: bool,

    /// DescribeImageAttribute and DescribeSnapshotAttribute calls in flight at once.
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = ranged(1, 256))]
    pub attribute_concurrency: usize,

    /// Attempts per API call; throttling and 5xx are retried with adaptive backoff.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Time limit of one attempt of one API call, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub api_timeout: u64,

    /// Write what was fetched (attributes included) as a describe-images export; findings
    /// then point at its lines, and an offline scan of it gives the same findings.
    #[arg(long, value_name = "FILE", requires = "aws")]
    pub save: Option<PathBuf>,

    /// Write the account settings read (the guardrails of each account × region) as a
    /// settings file, for `--settings-file` in an offline scan.
    #[arg(long, value_name = "FILE", requires = "aws")]
    pub save_settings: Option<PathBuf>,

    /// Write the fleet read (`--fleet`: workloads, the images they use that the scan's own do
    /// not hold, the ids EC2 no longer knows) as a fleet file, for `--fleet-file` in an
    /// offline scan.
    #[arg(long, value_name = "FILE", requires = "fleet")]
    pub save_fleet: Option<PathBuf>,

    /// Do not read the accounts' guardrails (six EC2 Get… calls per account × region:
    /// block public access for AMIs and snapshots, EBS encryption by default and its key,
    /// Allowed AMIs, instance metadata defaults); the account rules and AMI026 do not run.
    #[arg(long, requires = "aws", conflicts_with = "save_settings")]
    pub no_guardrails: bool,
}
