//! The offline data files a scan joins to its images, read before the scan:
//! `--settings-file` and `--snapshots-file`.

use std::sync::Arc;

use anyhow::{Result, bail};

use crate::cli::ScanArgs;

/// `--settings-file`: every file read into one index, before the scan.
pub(super) fn settings_index(
    args: &ScanArgs,
    requests: bool,
) -> Result<Option<Arc<crate::input::SettingsIndex>>> {
    if args.settings_files.is_empty() {
        return Ok(None);
    }
    if requests {
        bail!("--settings-file: a preflight lints requests, not accounts");
    }
    if args.live.aws {
        bail!("--settings-file is for offline scans: a live scan reads the settings itself");
    }
    let stdin = |arg: &String| arg == "-";
    if args.settings_files.iter().filter(|a| stdin(a)).count()
        + args.snapshots_files.iter().filter(|a| stdin(a)).count()
        + args.inputs.iter().filter(|a| stdin(a)).count()
        > 1
    {
        bail!("--settings-file: standard input (`-`) can be read only once");
    }
    let sources: Vec<_> = args
        .settings_files
        .iter()
        .map(|a| crate::input::InputSource::new(a))
        .collect();
    Ok(Some(Arc::new(crate::input::SettingsIndex::read(&sources)?)))
}

/// `--snapshots-file`: every file read into one index, before the scan.
pub(super) fn snapshot_index(
    args: &ScanArgs,
    requests: bool,
) -> Result<Option<Arc<crate::input::SnapshotIndex>>> {
    if args.snapshots_files.is_empty() {
        return Ok(None);
    }
    if requests {
        bail!("--snapshots-file: a preflight lints requests, which have no snapshots to join");
    }
    let stdin = |arg: &String| arg == "-";
    if args.snapshots_files.iter().filter(|a| stdin(a)).count()
        + args.inputs.iter().filter(|a| stdin(a)).count()
        > 1
    {
        bail!("--snapshots-file: standard input (`-`) can be read only once");
    }
    let sources: Vec<_> = args
        .snapshots_files
        .iter()
        .map(|a| crate::input::InputSource::new(a))
        .collect();
    let index = crate::input::SnapshotIndex::read(&sources, crate::input::ReadConfig::default())?;
    Ok(Some(Arc::new(index)))
}
