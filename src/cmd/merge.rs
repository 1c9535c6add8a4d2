//! `amilint merge`: several reports of one format into one, with one gate.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::engine::write_atomically;
use crate::report::merge;
use crate::status::Status;

pub(super) fn merge(
    reports: &[PathBuf],
    output: Option<&Path>,
    sarif_max_results: usize,
) -> Result<Status> {
    let paths: Vec<&Path> = reports.iter().map(PathBuf::as_path).collect();
    // Read twice, as streams: checked and summed, then written.
    let plan = merge::plan(&paths, sarif_max_results)?;
    // `-o json=PATH` / `sarif=PATH`, as scan's --output writes it.
    let output = output
        .map(|path| {
            let text = path.to_string_lossy();
            match text.split_once('=') {
                Some((kind, rest)) if ["json", "sarif"].contains(&kind) => {
                    if (kind == "json") != (plan.kind == merge::Kind::Json) {
                        anyhow::bail!(
                            "--output {text}: the reports are {}",
                            if plan.kind == merge::Kind::Json {
                                "JSON"
                            } else {
                                "SARIF"
                            }
                        );
                    }
                    Ok(PathBuf::from(rest))
                }
                _ => Ok(path.to_path_buf()),
            }
        })
        .transpose()?;
    let output = output.as_deref();
    if let Some(path) = output {
        let inputs: Vec<(String, &Path)> = paths
            .iter()
            .map(|p| ("the merged report".to_string(), *p))
            .collect();
        crate::engine::sink::check_paths(&[("--output".to_string(), path)], &inputs, false, false)?;
    }
    if let Some(notice) = &plan.notice {
        crate::output::say(format_args!("amilint: warning: {notice}"));
    }
    let write = |out: &mut dyn Write| merge::write(&plan, out);
    match output {
        Some(path) => write_atomically(path, write)?,
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            write(&mut out)
                .and_then(|()| out.flush())
                .context("writing to stdout")?;
        }
    }
    // The merged gate: incomplete wins, then any counting finding at or above fail_on.
    Ok(if plan.incomplete {
        Status::Error
    } else if plan.failing {
        Status::Findings
    } else {
        Status::Clean
    })
}
