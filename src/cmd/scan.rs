//! `amilint scan`: an export, stdin, or live images (`--aws`) through the engine.

use std::io::{self, IsTerminal};
use std::path::Path;

use anyhow::{Result, bail};

use crate::cli::{ColorArg, ScanArgs};
use crate::engine::{self, Target};
use crate::finding::Report;
use crate::input::InputSource;
use crate::output::{self, Format};
use crate::plan::{Reading, ScanPlan, plan};
use crate::status::Status;

#[cfg(feature = "aws")]
use super::live::scan as live_scan;

#[cfg(not(feature = "aws"))]
fn live_scan(
    _: &crate::cli::AwsArgs,
    _: &ScanPlan,
    _: Vec<(Format, output::Settings, Target)>,
    _: bool,
) -> Result<Report> {
    bail!("--aws: this amilint was built without live scanning (cargo feature `aws`)")
}

pub(super) fn scan(args: &ScanArgs) -> Result<Status> {
    let plan = plan(args, Reading::Images)?;
    #[cfg(feature = "aws")]
    if let Some(shards) = args.live.plan_shards {
        super::live::plan_shards(&args.live, shards)?;
        return Ok(Status::Clean);
    }
    let targets = outputs(args, &plan)?;
    let report = if args.live.aws {
        live_scan(&args.live, &plan, targets, args.quiet)?
    } else {
        scan_files(args, &plan, targets)?
    };
    output::problems_to_stderr(&report, text_on_terminal(args), args.quiet, args.format.0);
    Ok(Status::of_report(&report, args.exit_zero))
}

/// The one table of the paths a scan reads and writes: what it writes
/// (`--save`, `--save-settings`, each `--output`), and what it reads (the
/// inputs, `--snapshots-file`, `--settings-file`, the config file, named or
/// discovered, and every policy script, `--policy` or the config's). No
/// written path may be a read one. Not `--baseline`: it is read whole before
/// the scan, and the new report replacing it (temp file and rename) is the
/// usual ratchet.
#[allow(clippy::type_complexity)]
fn paths<'a>(
    args: &'a ScanArgs,
    plan: &'a ScanPlan,
) -> (Vec<(String, &'a Path)>, Vec<(String, &'a Path)>) {
    let mut written: Vec<(String, &Path)> = Vec::new();
    if let Some(save) = &args.live.save {
        written.push(("--save".to_string(), save.as_path()));
    }
    if let Some(save) = &args.live.save_settings {
        written.push(("--save-settings".to_string(), save.as_path()));
    }
    written.extend(
        plan.outputs
            .iter()
            .map(|(format, path)| (format!("--output {}", format.name()), path.as_path())),
    );
    let files = |what: &str, list: &'a [String]| -> Vec<(String, &'a Path)> {
        list.iter()
            .filter(|a| *a != "-")
            .map(|a| (what.to_string(), Path::new(a.as_str())))
            .collect()
    };
    let mut read = files("the input", &args.inputs);
    read.extend(files("the --snapshots-file", &args.snapshots_files));
    read.extend(files("the --settings-file", &args.settings_files));
    if let Some(config) = &plan.config_uri {
        read.push(("the config file".to_string(), Path::new(&**config)));
    }
    read.extend(
        plan.policies
            .iter()
            .filter_map(|p| p.meta.script())
            .map(|script| ("the policy".to_string(), Path::new(script))),
    );
    (written, read)
}

/// The reports to write (`--output` files, then stdout's), each with what
/// its emitter is told.
pub(super) fn outputs(
    args: &ScanArgs,
    plan: &ScanPlan,
) -> Result<Vec<(Format, output::Settings, Target)>> {
    let stdout_format = args.format.0;
    let needs_account = plan.formats(stdout_format).any(Format::needs_account);
    let asff_target = match (&args.asff_account, &args.asff_region) {
        (Some(account), Some(region)) => {
            if !crate::model::is_account_id(account) {
                bail!("--asff-account: `{account}` is not a 12-digit AWS account id");
            }
            Some((account.clone(), region.clone()))
        }
        _ => None,
    };
    if needs_account && asff_target.is_none() && !args.live.aws {
        bail!(
            "the asff format needs --asff-account and --asff-region: the account and region \
             whose Security Hub imports the findings (a live scan takes them from each image)"
        );
    }
    // Before any image is read or call made: no report may land on a file the
    // run reads, or on another report.
    let (named, inputs) = paths(args, plan);
    let named: Vec<(String, &Path)> = named.iter().map(|(w, p)| (w.clone(), *p)).collect();
    let stdin_input = args.inputs.iter().any(|a| a == "-");
    engine::sink::check_paths(&named, &inputs, stdin_input, stdout_format.is_some())?;
    let settings = output::Settings {
        style: output::Style::default(),
        category: plan.category.clone(),
        asff_target,
        written: plan
            .outputs
            .iter()
            .map(|(format, path)| (*format, path.display().to_string()))
            .collect(),
    };
    let mut targets = Vec::new();
    for (format, path) in &plan.outputs {
        targets.push((*format, settings.clone(), Target::file(path)?));
    }
    if let Some(format) = stdout_format {
        let style = output::Style {
            color: use_color(args.color),
            fixes: args.show_fixes,
            quiet: args.quiet,
            statistics: args.statistics,
            only_new: args.only_new,
            live: args.live.aws && args.live.save.is_none(),
        };
        targets.push((
            format,
            output::Settings { style, ..settings },
            Target::stdout(),
        ));
    }
    Ok(targets)
}

/// Scans the input files (or stdin) of `args` with `plan`, writing `targets`.
pub(super) fn scan_files(
    args: &ScanArgs,
    plan: &ScanPlan,
    targets: Vec<(Format, output::Settings, Target)>,
) -> Result<Report> {
    let sources: Vec<InputSource> = args.inputs.iter().map(|a| InputSource::new(a)).collect();
    if sources.iter().filter(|s| s.arg == "-").count() > 1 {
        bail!("stdin (`-`) can be read only once");
    }
    check_inputs(&args.inputs)?;
    let report = plan.report(sources.iter().map(|s| s.uri.clone()).collect());
    engine::run_scan(&sources, plan, report, targets, false)
}

/// Input paths a scan cannot take as they are: a folder (its files are the
/// exports), or one file named twice (its findings would be counted twice).
fn check_inputs(inputs: &[String]) -> Result<()> {
    let mut seen: Vec<(std::path::PathBuf, &str)> = Vec::new();
    for arg in inputs.iter().filter(|a| *a != "-") {
        let path = Path::new(arg);
        if path.is_dir() {
            bail!(
                "`{arg}` is a folder: give the export files in it (e.g. `{}`)",
                path.join("*.json").display()
            );
        }
        // The same file however it is written (`./x.json`, a symlink); a
        // path that does not resolve is left for the reader to report.
        let Ok(real) = std::fs::canonicalize(path) else {
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(p, _)| *p == real) {
            bail!(
                "`{arg}` is the same file as `{first}`: each input is scanned once, name it once"
            );
        }
        seen.push((real, arg));
    }
    Ok(())
}

/// Whether the text report goes to a terminal (which then shows the run's
/// problems once, not twice).
pub(super) fn text_on_terminal(args: &ScanArgs) -> bool {
    args.format.0 == Some(Format::Text) && io::stdout().is_terminal()
}

fn use_color(arg: ColorArg) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
        }
    }
}
