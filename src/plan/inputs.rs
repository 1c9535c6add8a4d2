//! The offline data files a scan joins to its images, read before the scan:
//! `--settings-file`, `--snapshots-file` and `--fleet-file`.

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

/// `--fleet-file` (or `--aws --fleet`): the fleet to lint. Files are read
/// before the scan; a live scan's scopes bring theirs (`Some` and empty).
pub(super) fn fleet(
    args: &ScanArgs,
    requests: bool,
) -> Result<Option<Vec<Arc<crate::model::FleetScope>>>> {
    if args.live.aws {
        return Ok(args.live.fleet.then(Vec::new));
    }
    if args.fleet_files.is_empty() {
        return Ok(None);
    }
    if requests {
        bail!("--fleet-file: a preflight lints requests, not a fleet");
    }
    if args.fleet_files.iter().any(|a| a == "-") {
        bail!("--fleet-file: give a file (standard input is the images')");
    }
    let sources: Vec<_> = args
        .fleet_files
        .iter()
        .map(|a| crate::input::InputSource::new(a))
        .collect();
    let scopes = crate::input::fleet::read(&sources)?;
    Ok(Some(scopes.into_iter().map(Arc::new).collect()))
}
