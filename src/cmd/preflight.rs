//! `amilint preflight`: image requests checked before the image exists.

use anyhow::{Context, Result, bail};

use crate::cli::{KindArg, PreflightArgs};
use crate::engine::{self, commit_all};
use crate::input::InputSource;
use crate::output;
use crate::plan::plan;
use crate::rules::RequestKind;
use crate::status::Status;

use super::scan::{outputs, text_on_terminal};

/// `amilint preflight`: each request document is read into our image model
/// (its tags from `TagSpecifications` with `ResourceType: image`) and checked
/// like an image, by the rules that apply to requests, with the request's
/// kind in the settings. Findings point at the request file's lines.
pub(super) fn preflight(args: &PreflightArgs) -> Result<Status> {
    let scan_args = &args.scan;
    if scan_args.live.aws {
        bail!("--aws: preflight lints request files; live images are for `amilint scan --aws`");
    }
    let plan = plan(scan_args, true)?;
    let (targets, asff_target) = outputs(scan_args, &plan)?;
    let sources: Vec<InputSource> = scan_args
        .inputs
        .iter()
        .map(|a| InputSource::new(a))
        .collect();
    if sources.iter().filter(|s| s.arg == "-").count() > 1 {
        bail!("stdin (`-`) can be read only once");
    }
    let kind = args.kind.map(|k| match k {
        KindArg::Create => RequestKind::Create,
        KindArg::Register => RequestKind::Register,
    });
    let mut report = engine::preflight_sources(&sources, &plan, kind)?;
    report.asff_target = asff_target;
    let mut written = Vec::new();
    for (format, color, mut target) in targets {
        output::emit_styled(format, &report, color, target.writer())
            .with_context(|| format!("writing the report to {}", target.describe()))?;
        written.push(target);
    }
    commit_all(written)?;
    output::problems_to_stderr(&report, text_on_terminal(scan_args));
    Ok(Status::of_report(&report, scan_args.exit_zero))
}
