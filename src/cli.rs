//! Command-line types (clap derive). No behaviour here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod aws;
mod fix;
mod securityhub;
pub use aws::AwsArgs;
pub use fix::{FixArgs, FixFormat};
pub use securityhub::{SecurityhubCommand, SecurityhubImportArgs};

#[derive(Debug, Parser)]
#[command(
    name = "amilint",
    version,
    about = "Lint Amazon EC2 machine images (AMIs) against compliance policy",
    long_about = "Lint Amazon EC2 machine images (AMIs) against compliance policy.\n\n\
        Reads saved `aws ec2 describe-images` exports, checks every image against the \
        built-in rules and your Rhai policies, and writes findings as text, JSON, SARIF 2.1.0, GitHub annotations, Markdown, JUnit, HTML, ASFF or OCSF.\n\n\
        Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage, input or policy error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan describe-images exports and report findings.
    Scan(Box<ScanArgs>),
    /// Lint RegisterImage / CreateImage request documents (the AWS CLI's
    /// --cli-input-json shape) before the image exists: AMI101-AMI106 and the image
    /// rules the request decides (AMI001, AMI003, AMI007, AMI016, AMI017). Each REQUEST
    /// file is one request, or a JSON array of them. Output, config and rule flags are
    /// scan's.
    #[command(
        mut_arg("inputs", |a| a.help("RegisterImage / CreateImage request documents (`aws ec2 register-image --generate-cli-skeleton`), one per file or a JSON array of them; `-` reads stdin").value_name("REQUEST")),
        mut_args(|a| {
            // What only a scan of images that exist reads.
            let scan_only = matches!(
                a.get_help_heading(),
                Some("Live scan (--aws)" | "Policies" | "Policy sandbox")
            )
                || ["owner", "all_owners", "snapshots_files", "settings_files", "fleet_files", "raise_in_use", "gate_in_use"]
                    .contains(&a.get_id().as_str());
            a.hide(scan_only)
        }),
    )]
    Preflight(Box<PreflightArgs>),
    /// Fix the findings of a saved JSON report through the EC2 API: prints the plan
    /// by default; --dry-run checks each call's permission with EC2's DryRun;
    /// --apply makes the changes (after a confirmation, or --yes) and logs each.
    /// Only reversible, in-place changes (deprecation, launch permissions,
    /// deregistration protection); IMDSv2 needs --allow-irreversible; nothing is
    /// ever deregistered or deleted. Exit 0 all done (or planned), 1 a call was
    /// denied, 2 a call failed or the report could not be read, 130 interrupted.
    Fix(Box<FixArgs>),
    /// List the rules: the built-in catalogue, plus policies given with --policy.
    Rules(RulesArgs),
    /// Print the documentation of one rule or policy.
    Explain {
        /// A rule code (AMI003) or name (unencrypted-ebs-mapping), or a policy id.
        rule: String,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Work with Rhai policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Write a commented starting amilint.toml in the current folder.
    Init {
        /// Overwrite an existing amilint.toml.
        #[arg(long)]
        force: bool,
    },
    /// Work with the configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script, e.g. `amilint completions bash > /etc/bash_completion.d/amilint`.
    Completions {
        #[arg(value_enum)]
        shell: ShellArg,
    },
    /// Print the man page (roff), e.g. `amilint man | man -l -`; with a command, that
    /// command's page (`amilint man scan` is amilint-scan(1)).
    Man {
        /// A command (scan, preflight, fix, merge, …).
        command: Option<String>,
        /// Every command's page as one Markdown document instead (the guide's flag
        /// reference, docs/reference/flags.md, is this).
        #[arg(long, conflicts_with = "command")]
        markdown: bool,
    },
    /// Print the JSON Schema of the JSON report (docs/report.schema.json).
    Schema,
    /// AWS Security Hub: import an ASFF report (`scan -o asff=FILE`).
    #[command(subcommand)]
    Securityhub(SecurityhubCommand),
    /// Merge the JSON reports (or the SARIF logs) of a sharded scan into one:
    /// findings de-duplicated by fingerprint, every scope's status kept.
    /// Exit 2 if any shard was incomplete; for JSON, 1 if a finding that counts is at or
    /// above the first report's fail_on.
    Merge {
        /// Reports, all JSON or all SARIF.
        #[arg(required = true, value_name = "REPORT")]
        reports: Vec<PathBuf>,
        /// Write the merged report here (atomically) instead of standard output; `json=PATH`
        /// or `sarif=PATH` as in scan's --output is taken too (the kind must be the
        /// reports').
        #[arg(short, long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// SARIF logs: at most this many results in the merged log, as `scan
        /// --sarif-max-results` (the shards' results past it are summarised). 0: no limit.
        #[arg(long, default_value_t = 5000, value_name = "N")]
        sarif_max_results: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file without scanning: exit 0 when valid, 2 otherwise.
    Check {
        /// The file; default: amilint.toml in this folder or the nearest parent.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Print every key amilint.toml takes, with its type and meaning, as Markdown
    /// (docs/reference/config.md is this).
    Keys,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run each policy against the cases in its NAME.tests.json and print
    /// PASS/FAIL per case. Exit 0 when all pass, 1 otherwise, 2 on load errors.
    Test {
        /// Policy files or folders (searched for *.rhai).
        #[arg(value_name = "PATH", default_value = "policies")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Write a new policy, NAME.rhai, and its tests, NAME.tests.json, in FOLDER: a
    /// working example (a days_until deprecation check) that `amilint policy test`
    /// passes, to edit. Existing files are never replaced.
    New {
        /// The policy's name: kebab-case, what the rule flags (e.g. deprecation-too-soon).
        name: String,
        /// Its id: anything but AMI… (e.g. ORG001).
        #[arg(long, default_value = "ORG001")]
        id: String,
        /// Where to write the two files.
        #[arg(long, value_name = "FOLDER", default_value = "policies")]
        dir: PathBuf,
    },
}

/// Rhai policies to load beside the built-in rules.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Policies")]
pub struct PolicyArgs {
    /// A Rhai policy file, or a folder searched for *.rhai (repeatable).
    #[arg(long = "policy", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The policy sandbox's limits, per call of a policy's `check`.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Policy sandbox")]
pub struct LimitArgs {
    /// Wall-clock limit per call, in milliseconds [default: 1000].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub policy_timeout_ms: Option<u64>,
    /// Rhai operations per call [default: 1000000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000_000))]
    pub policy_max_operations: Option<u64>,
    /// Nesting of function calls [default: 32].
    #[arg(long, value_name = "N", value_parser = ranged(1, 1000))]
    pub policy_max_call_depth: Option<usize>,
    /// Bytes in one string [default: 1048576].
    #[arg(long, value_name = "BYTES", value_parser = ranged(1, 1 << 30))]
    pub policy_max_string_size: Option<usize>,
    /// Elements in one array [default: 100000].
    #[arg(long, value_name = "N", value_parser = ranged(1, 100_000_000))]
    pub policy_max_array_size: Option<usize>,
    /// Properties in one object map [default: 10000].
    #[arg(long, value_name = "N", value_parser = ranged(1, 100_000_000))]
    pub policy_max_map_size: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// describe-images JSON exports: `{"Images": [...]}` pages, bare arrays,
    /// JSON Lines, gzip-compressed files; `-` reads stdin. Not with --aws.
    #[arg(
        value_name = "FILE",
        required_unless_present = "aws",
        conflicts_with = "aws"
    )]
    pub inputs: Vec<String>,

    /// Format of the report on standard output.
    #[arg(long, value_enum, ignore_case = true, default_value = "text")]
    pub format: StdoutFormat,

    /// Also write a report to a file, as FORMAT=PATH (repeatable), e.g.
    /// `--output sarif=amilint.sarif`. Files are written whole or not at all.
    #[arg(short, long = "output", value_name = "FORMAT=PATH")]
    pub outputs: Vec<String>,

    /// ASFF output: the AWS account whose Security Hub receives the findings of
    /// images without a live-scan scope (offline exports). Needs --asff-region.
    #[arg(long, value_name = "ACCOUNT", requires = "asff_region")]
    pub asff_account: Option<String>,

    /// ASFF output: the region of that Security Hub, also written in the images' ARNs
    /// (an export does not say where its images live).
    #[arg(long, value_name = "REGION", requires = "asff_account")]
    pub asff_region: Option<String>,

    /// The config file; default: amilint.toml in this folder or the nearest parent.
    #[arg(long, value_name = "PATH", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Do not read any amilint.toml.
    #[arg(long)]
    pub no_config: bool,

    /// A previous amilint JSON or SARIF report: its findings are "unchanged", others
    /// "new", and the gate counts only new findings.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,

    /// Exit 1 when a finding (not suppressed, new with --baseline) is at or above this
    /// severity [default: low, or the config's fail_on].
    #[arg(long, value_enum, ignore_case = true, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// Text output: print each finding's exact fix (AWS CLI commands for that image).
    #[arg(long)]
    pub show_fixes: bool,

    /// Say on stderr which configuration file was read (found here or in a parent folder).
    #[arg(short, long)]
    pub verbose: bool,

    /// Text output: only the findings and the gate line (no notes, counts or hints; errors
    /// and warnings still go to stderr).
    #[arg(short, long)]
    pub quiet: bool,

    /// Text output: one line per rule with its count of findings, most first, instead of
    /// the findings (as ruff's --statistics).
    #[arg(long)]
    pub statistics: bool,

    /// Text output, with --baseline: list only the new findings (the counts and the gate
    /// are as always: with a baseline, the gate counts only new findings).
    #[arg(long, requires = "baseline")]
    pub only_new: bool,

    /// Leave out findings below this severity: they are not reported, counted or gated on
    /// (as trivy's --severity). Not --severity, which changes rules' severities.
    #[arg(long, value_enum, ignore_case = true, value_name = "LEVEL")]
    pub min_severity: Option<MinSeverity>,

    /// Raise the severity of findings on images that something references (instances,
    /// launch templates, …; `scan --aws --references`): `one-level`, or a level they are
    /// raised to at least [default: the config's raise_in_use, else none].
    #[arg(long, value_name = "one-level|LEVEL")]
    pub raise_in_use: Option<String>,

    /// Count for the gate only findings on images that are not known to be unused: with
    /// `scan --aws --references`, an image nothing references does not fail the gate (its
    /// findings are still reported). Without reference data every finding counts.
    #[arg(long)]
    pub gate_in_use: bool,

    /// An account whose images are yours (repeatable; adds to `owners` in amilint.toml).
    /// Owner-only rules (sharing, deprecation, IMDS, encryption, tags…; `amilint rules`
    /// marks them) run only on images owned by these accounts or by the scanned account;
    /// without either, on every image without an `ImageOwnerAlias` (not `amazon`,
    /// `aws-marketplace`, `aws-backup-vault`). The others are counted as not owned.
    /// (Not live scans' `--owners`, which says whose images to fetch.)
    #[arg(long = "owner", id = "owner", value_name = "ACCOUNT")]
    pub own: Vec<String>,

    /// Run owner-only rules on every image, whoever owns it.
    #[arg(long)]
    pub all_owners: bool,

    /// Exit 0 even when findings are at or above --fail-on (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,

    /// The SARIF run's category (`runs[].automationDetails.id` = NAME/), so that several
    /// amilint runs of one workflow (a scan and a preflight, one per account) keep their own
    /// results in GitHub code scanning.
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,

    /// SARIF reports: at most this many results (GitHub code scanning keeps 5,000 a run and
    /// refuses more than 25,000). Past it, findings are summarised: one result per rule and
    /// input file, with a count and the first 100 images; the JSON report lists them all.
    /// 0: no limit.
    #[arg(long, default_value_t = 5000, value_name = "N")]
    pub sarif_max_results: usize,

    /// Run only these rules (codes or names, comma-separated, repeatable);
    /// `ALL` selects every rule, including those off by default.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Scan as a compliance benchmark: its mapped rules with its parameters (cis-compute-v1:
    /// CIS AWS Compute Services Benchmark v1.0.0, images at most 90 days old), and a
    /// per-control result (passed, failed, not assessed). Flags and amilint.toml still
    /// override. Also `benchmark` in amilint.toml.
    #[arg(long, value_name = "ID")]
    pub benchmark: Option<String>,

    /// Run these rules too, besides the selection (the default rules, or --select /
    /// `select`); comma-separated, repeatable (as ruff's --extend-select).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,

    /// Do not run these rules (codes or names, comma-separated, repeatable).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Override a rule's severity, as RULE=LEVEL (repeatable), e.g. `AMI003=critical`.
    #[arg(long = "severity", value_name = "RULE=LEVEL")]
    pub severities: Vec<String>,

    /// The scan's "now" as RFC 3339 (e.g. 2026-01-01T00:00:00Z), for reproducible
    /// time-based rules. Default: the current time.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// AMI008: flag images older than this many days [default: 365].
    #[arg(long, value_name = "DAYS")]
    pub max_age_days: Option<i64>,

    /// AMI010: flag deprecation times more than this many days after creation [default: 730].
    #[arg(long, value_name = "DAYS")]
    pub max_deprecation_days: Option<i64>,

    /// AMI012: an account images may be shared with (comma-separated, repeatable).
    #[arg(long = "allow-account", value_delimiter = ',', value_name = "ACCOUNT")]
    pub allow_accounts: Vec<String>,

    /// AMI012: an organization or OU ARN images may be shared with (comma-separated,
    /// repeatable); an organization allows its OUs.
    #[arg(long = "allow-org", value_delimiter = ',', value_name = "ARN")]
    pub allow_orgs: Vec<String>,

    /// AMI013: flag images not launched for more than this many days [default: 180].
    #[arg(long, value_name = "DAYS")]
    pub max_unused_days: Option<i64>,

    /// Saved snapshot data for the scanned images (repeatable): `aws ec2 describe-snapshots`
    /// output and `aws ec2 describe-snapshot-attribute --attribute createVolumePermission`
    /// answers, in any mix; `-` and gzip as for images. Joined to each EBS mapping by
    /// SnapshotId: the data of AMI018, AMI020, AMI021 and AMI022. Not with --aws (use
    /// --snapshots there).
    #[arg(long = "snapshots-file", value_name = "FILE", conflicts_with = "aws")]
    pub snapshots_files: Vec<String>,

    /// Saved account guardrails (repeatable): the `{"AccountSettings": [...]}` file a live
    /// scan's --save-settings writes; `-` and gzip as for images. Each account × region is
    /// linted by the account rules (AMI201–AMI208), and joined to the images of its account
    /// and region by their AmilintScope (AMI026). Not with --aws.
    #[arg(long = "settings-file", value_name = "FILE", conflicts_with = "aws")]
    pub settings_files: Vec<String>,

    /// Saved fleet (repeatable): a live scan's --save-fleet file, or the AWS CLI's
    /// `describe-instances`, `describe-launch-template-versions --versions '$Latest'
    /// '$Default'`, `autoscaling describe-auto-scaling-groups` and
    /// `describe-launch-configurations` exports, in any mix; gzip as for images. The fleet
    /// rules (AMI301–AMI307) lint each workload against the images of the inputs. Not with --aws.
    #[arg(long = "fleet-file", value_name = "FILE", conflicts_with = "aws")]
    pub fleet_files: Vec<String>,

    /// Colour in text output: auto (only on a terminal, honouring NO_COLOR), always, never.
    #[arg(
        long,
        value_enum,
        ignore_case = true,
        default_value = "auto",
        value_name = "WHEN"
    )]
    pub color: ColorArg,

    #[command(flatten)]
    pub policies: PolicyArgs,

    #[command(flatten)]
    pub live: AwsArgs,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, ignore_case = true, default_value = "text")]
    pub format: RulesFormat,

    /// List the rules per control of a compliance framework: cis-compute-v1.0.0, aws-fsbp,
    /// nist-800-53-r5, pci-dss-v4.0 (or a prefix: cis-compute, nist…), or `all`. With
    /// `--framework all --format markdown`: each control's scope and evidence
    /// (docs/compliance.md).
    #[arg(long, value_name = "ID")]
    pub framework: Option<String>,

    #[command(flatten)]
    pub policies: PolicyArgs,
}

#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// The request's API: `register` (RegisterImage) or `create` (CreateImage);
    /// default: create when the document has `InstanceId`, else register.
    #[arg(long, value_enum, ignore_case = true)]
    pub kind: Option<KindArg>,

    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Register,
    Create,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    Never,
}

/// `--min-severity`: a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    /// The rule reference as Markdown (docs/rules.md is generated from it).
    Markdown,
}

/// A `usize` flag's value parser, refusing values outside `min..=max` (so
/// that no count or size can overflow what uses it).
pub(crate) fn ranged(min: u64, max: u64) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(min..=max)
}

/// The report formats (what each needs and how it is written: `crate::output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// GitHub Actions annotations (workflow commands).
    Github,
    /// A Markdown summary (for `$GITHUB_STEP_SUMMARY`).
    Markdown,
    /// JUnit XML: a test case per (image, rule).
    Junit,
    /// AWS Security Hub findings (ASFF) for `BatchImportFindings`.
    Asff,
    /// OCSF 1.5 Compliance Findings (class 2003).
    Ocsf,
    /// One self-contained HTML page (charts, a filterable table, remediation).
    Html,
}

/// `--format`: a report on standard output, or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdoutFormat(pub Option<Format>);

impl clap::ValueEnum for StdoutFormat {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::LazyLock<Vec<StdoutFormat>> = std::sync::LazyLock::new(|| {
            <Format as clap::ValueEnum>::value_variants()
                .iter()
                .map(|f| StdoutFormat(Some(*f)))
                .chain([StdoutFormat(None)])
                .collect()
        });
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        match self.0 {
            Some(format) => format.to_possible_value(),
            None => Some(
                clap::builder::PossibleValue::new("none")
                    .help("No report on standard output (use with --output)"),
            ),
        }
    }
}
