//! `amilint securityhub import`: an ASFF report into Security Hub.

use anyhow::{Context, Result};

use crate::cli::SecurityhubImportArgs;
use crate::status::Status;

/// Reads the report (and `--previous`), imports, and says what happened:
/// the counts on stdout, every failure on stderr too.
pub(super) fn import(args: &SecurityhubImportArgs) -> Result<Status> {
    let findings = if args.report == "-" {
        crate::report::asff::read(std::io::stdin().lock(), "<stdin>")?
    } else {
        let file = std::fs::File::open(&args.report)
            .with_context(|| format!("reading {}", args.report))?;
        crate::report::asff::read(file, &args.report)?
    };
    let previous = match &args.previous {
        Some(path) => {
            let file =
                std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
            Some(crate::report::asff::read(
                file,
                &path.display().to_string(),
            )?)
        }
        None => None,
    };
    send(args, findings, previous)
}

#[cfg(not(feature = "aws"))]
fn send(
    _: &SecurityhubImportArgs,
    _: Vec<crate::report::asff::Finding>,
    _: Option<Vec<crate::report::asff::Finding>>,
) -> Result<Status> {
    anyhow::bail!("this amilint was built without the AWS SDK (cargo feature `aws`)")
}

/// The stack of the threads that read Security Hub's answers.
#[cfg(feature = "aws")]
const STACK: usize = 64 << 20;

#[cfg(feature = "aws")]
fn send(
    args: &SecurityhubImportArgs,
    findings: Vec<crate::report::asff::Finding>,
    previous: Option<Vec<crate::report::asff::Finding>>,
) -> Result<Status> {
    use std::io::Write;

    use crate::aws::securityhub::{Previous, import};
    use crate::cli::FixFormat;

    let previous = match previous {
        Some(old) => Previous::Report(old),
        None if args.no_archive => Previous::None,
        None => Previous::Hub,
    };
    let connection = crate::aws::connect::Connection {
        profile: args.profile.as_deref(),
        endpoint_url: args.endpoint_url.as_deref(),
        region: args.region.as_deref(),
        max_attempts: args.max_attempts,
        attempt_timeout: std::time::Duration::from_secs(args.api_timeout.max(1)),
    };
    let now = jiff::Timestamp::now().to_string();
    // On a thread with a large stack: the SDK's reader of a Security Hub
    // finding (`ResourceDetails` alone has hundreds of members) needs more
    // than a main thread's 8 MiB unoptimised.
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(scope, || -> Result<_> {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_stack_size(STACK)
                    .enable_all()
                    .build()
                    .context("starting the async runtime")?;
                Ok(runtime.block_on(async {
                    let config = crate::aws::connect::sdk_config(&connection).await;
                    import(&config, &findings, previous, &now).await
                }))
            })
            .context("starting the import thread")?
            .join()
            .map_err(|_| anyhow::anyhow!("the import thread panicked"))?
    })?;
    for failure in &outcome.failed {
        crate::output::say(format_args!(
            "amilint: error: Security Hub: {}",
            crate::untrusted::clean(failure)
        ));
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        FixFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &outcome)?;
            writeln!(out)?;
        }
        FixFormat::Text => {
            let calls: Vec<String> = outcome
                .calls
                .iter()
                .map(|(op, n)| format!("{n} {op}"))
                .collect();
            writeln!(
                out,
                "Security Hub: {} of {} findings imported, {} archived (resolved since the last import), {} suppressed (waived), {} failed; calls: {}",
                outcome.imported,
                findings.len(),
                outcome.archived,
                outcome.suppressed,
                outcome.failed.len(),
                if calls.is_empty() {
                    "none".to_string()
                } else {
                    calls.join(", ")
                }
            )?;
        }
    }
    Ok(if outcome.failed.is_empty() {
        Status::Clean
    } else {
        Status::Error
    })
}
