//! `amilint init` (a starter amilint.toml) and `amilint config check`.

use std::io::{self, Write};
use std::path::Path;

use anyhow::{Result, bail};
use jiff::Timestamp;

use crate::cli::PolicyArgs;
use crate::config;
use crate::engine::write_atomically;
use crate::plan::{config_and_policies, config_path};
use crate::status::Status;

pub(super) fn init(force: bool) -> Result<Status> {
    let path = Path::new(config::FILE_NAME);
    if path.exists() && !force {
        bail!(
            "{} exists already (use --force to overwrite)",
            path.display()
        );
    }
    write_atomically(path, |out| out.write_all(config::STARTER.as_bytes()))?;
    crate::output::say(format_args!("wrote {}", path.display()));
    Ok(Status::Clean)
}

pub(super) fn check(explicit: Option<&Path>, policies: &PolicyArgs) -> Result<Status> {
    let Some(path) = config_path(explicit, false) else {
        bail!(
            "no {} here or in a parent folder (see `amilint init`)",
            config::FILE_NAME
        );
    };
    let (config, policies) = config_and_policies(Some(&path), policies, &[], Timestamp::now())?;
    writeln!(
        io::stdout().lock(),
        "{}: ok ({} scope(s), {} waiver(s), {} policy(ies))",
        path.display(),
        config.scopes.len(),
        config.waivers.len(),
        policies.len()
    )?;
    Ok(Status::Clean)
}

/// `amilint config keys`: the configuration keys' reference, as Markdown.
pub(super) fn keys() -> Result<Status> {
    super::catalogue::write_stdout(config::keys_markdown().as_bytes())
}
