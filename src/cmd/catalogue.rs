//! `rules`, `explain`, `schema`, `man` and `completions`: what amilint knows,
//! printed.

use std::io::{self, Write};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

use crate::cli::{Cli, PolicyArgs, RulesArgs, ShellArg};
use crate::output;
use crate::policy;
use crate::rules;
use crate::status::Status;

/// The policies a scan here would run: `--policy`, and those the nearest
/// `amilint.toml` names.
fn scan_policies(args: &PolicyArgs) -> Result<Vec<std::sync::Arc<policy::Policy>>> {
    let config = crate::plan::config_path(None, false);
    crate::plan::load_policies(config.as_deref(), args, Timestamp::now())
}

pub(super) fn rules(args: &RulesArgs) -> Result<Status> {
    let policies = scan_policies(&args.policies)?;
    if let Some(id) = &args.framework {
        if id == "all" {
            let catalogue = policy::catalogue(&policies);
            let text = match args.format {
                crate::cli::RulesFormat::Markdown => {
                    output::catalogue::controls_markdown(&catalogue)
                }
                _ => rules::compliance::Framework::ALL
                    .iter()
                    .map(|f| output::catalogue::framework_text(*f, &catalogue))
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            return write_stdout(text.as_bytes());
        }
        let Some(framework) = rules::compliance::Framework::find(id) else {
            let ids: Vec<&str> = rules::compliance::Framework::ALL
                .iter()
                .map(|f| f.id())
                .collect();
            bail!(
                "--framework: unknown framework `{id}`: one of {}",
                ids.join(", ")
            );
        };
        return write_stdout(
            output::catalogue::framework_text(framework, &policy::catalogue(&policies)).as_bytes(),
        );
    }
    output::catalogue::list_rules(args.format, &policy::catalogue(&policies))
        .context("writing to stdout")?;
    Ok(Status::Clean)
}

pub(super) fn explain(rule: &str, policies: &PolicyArgs) -> Result<Status> {
    let policies = scan_policies(policies)?;
    let catalogue = policy::catalogue(&policies);
    let Some(meta) = rules::find(&catalogue, rule) else {
        bail!(
            "unknown rule `{rule}`{}",
            rules::unknown_rule_hint(&catalogue, rule)
        );
    };
    write_stdout(output::catalogue::explain(meta).as_bytes())
}

pub(super) fn schema() -> Result<Status> {
    let mut text = serde_json::to_vec_pretty(&crate::output::v1::schema())?;
    text.push(b'\n');
    write_stdout(&text)
}

/// amilint(1), or a command's page, amilint-COMMAND(1), rendered from the
/// CLI definition.
pub(super) fn man(command: Option<&str>) -> Result<Status> {
    let mut cli = <Cli as clap::CommandFactory>::command();
    cli.build();
    let page = match command {
        None => cli,
        Some(name) => {
            let Some(sub) = cli.find_subcommand(name) else {
                let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                bail!("no command `{name}`: one of {}", names.join(", "));
            };
            let title = format!("amilint-{}", sub.get_name());
            // clap takes 'static names (without its `string` feature): one page a run.
            sub.clone().name(&*Box::leak(title.into_boxed_str()))
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    write_stdout(&roff)
}

pub(super) fn completions(shell: ShellArg) -> Result<Status> {
    use clap_complete::Shell;
    let shell = match shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
        ShellArg::Powershell => Shell::PowerShell,
        ShellArg::Elvish => Shell::Elvish,
    };
    let mut command = <Cli as clap::CommandFactory>::command();
    // Into memory first: clap_complete panics on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "amilint", &mut script);
    write_stdout(&script)
}

fn write_stdout(bytes: &[u8]) -> Result<Status> {
    io::stdout()
        .lock()
        .write_all(bytes)
        .context("writing to stdout")?;
    Ok(Status::Clean)
}
