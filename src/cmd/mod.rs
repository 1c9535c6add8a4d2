//! One thin file per subcommand: each turns its arguments into a plan, runs
//! it, and says how it ended as a `Status`.

use anyhow::Result;

use crate::cli::{Cli, Command, ConfigCommand, PolicyCommand};
use crate::status::Status;

mod catalogue;
mod config;
mod fix;
#[cfg(feature = "aws")]
mod live;
mod merge;
mod policy;
mod preflight;
mod scan;
mod securityhub;

pub fn run(cli: Cli) -> Result<Status> {
    match cli.command {
        Command::Scan(args) => scan::scan(&args),
        Command::Preflight(args) => preflight::preflight(&args),
        Command::Fix(args) => fix::fix(&args),
        Command::Merge {
            reports,
            output,
            sarif_max_results,
        } => merge::merge(&reports, output.as_deref(), sarif_max_results),
        Command::Rules(args) => catalogue::rules(&args),
        Command::Explain { rule, policies } => catalogue::explain(&rule, &policies),
        Command::Schema => catalogue::schema(),
        Command::Securityhub(crate::cli::SecurityhubCommand::Import(args)) => {
            securityhub::import(&args)
        }
        Command::Man { command, markdown } => catalogue::man(command.as_deref(), markdown),
        Command::Completions { shell } => catalogue::completions(shell),
        Command::Policy(PolicyCommand::Test { paths, limits }) => policy::test(&paths, &limits),
        Command::Policy(PolicyCommand::New { name, id, dir }) => policy::new(&name, &id, &dir),
        Command::Init { force } => config::init(force),
        Command::Config(ConfigCommand::Check { config, policies }) => {
            config::check(config.as_deref(), &policies)
        }
        Command::Config(ConfigCommand::Keys) => config::keys(),
    }
}
