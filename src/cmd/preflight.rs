//! `amilint preflight`: image requests checked before the image exists,
//! through the same engine and outputs as `scan`.

use anyhow::{Result, bail};

use crate::cli::{KindArg, PreflightArgs};
use crate::output;
use crate::plan::{Reading, plan};
use crate::rules::RequestKind;
use crate::status::Status;

use super::scan::{outputs, scan_files, text_on_terminal};

/// Each request document is read into our image model (its tags from
/// `TagSpecifications` with `ResourceType: image`) and checked like an image,
/// by the rules that apply to requests, with the request's kind. Findings
/// point at the request file's lines.
pub(super) fn preflight(args: &PreflightArgs) -> Result<Status> {
    let scan_args = &args.scan;
    if scan_args.live.aws {
        bail!("--aws: preflight lints request files; live images are for `amilint scan --aws`");
    }
    let kind = args.kind.map(|k| match k {
        KindArg::Create => RequestKind::Create,
        KindArg::Register => RequestKind::Register,
    });
    let plan = plan(scan_args, Reading::Requests(kind))?;
    let targets = outputs(scan_args, &plan)?;
    let report = scan_files(scan_args, &plan, targets)?;
    output::problems_to_stderr(
        &report,
        text_on_terminal(scan_args),
        scan_args.quiet,
        scan_args.format.0,
    );
    Ok(Status::of_report(&report, scan_args.exit_zero))
}
