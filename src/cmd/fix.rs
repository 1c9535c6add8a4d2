//! `amilint fix`: read a report, plan its calls, check them with DryRun or
//! make them (after a confirmation), and log each change.

use crate::status::Status;
use std::io::{self, BufWriter, Write};
#[cfg(feature = "aws")]
use std::{io::IsTerminal, sync::Arc, time::Duration};

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

use crate::cli::FixArgs;
use crate::output;

/// `amilint fix`: the report's fixes as a plan, checked with DryRun, or made.
pub(super) fn fix(args: &FixArgs) -> Result<Status> {
    use crate::output::remedy::Mode;
    use crate::remedy::{Outcome, Selection};
    use crate::report::fixes::read_report;

    let only = Selection {
        rules: args.rules.clone(),
        image_ids: args.image_ids.clone(),
    };
    let read = if args.report == "-" {
        read_report(io::stdin().lock(), "<stdin>", &only)
    } else {
        let file = std::fs::File::open(&args.report)
            .with_context(|| format!("reading {}", args.report))?;
        read_report(file, &args.report, &only)
    };
    let mut plan = read?;
    let mode = if args.apply {
        Mode::Apply
    } else if args.dry_run {
        Mode::DryRun
    } else {
        Mode::Plan
    };
    for call in plan.calls.iter_mut().filter(|c| c.region.is_none()) {
        call.region.clone_from(&args.region);
    }
    let mut outcomes: Vec<Outcome> = plan
        .calls
        .iter()
        .map(|c| {
            c.held(args.allow_irreversible, &args.rules, Timestamp::now())
                .map_or(Outcome::Planned, Outcome::Held)
        })
        .collect();
    let interrupted = mode != Mode::Plan && send_fixes(args, mode, &mut plan, &mut outcomes)?;
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match args.format {
        crate::cli::FixFormat::Text => output::remedy::write(mode, &plan, &outcomes, &mut out),
        crate::cli::FixFormat::Json => output::remedy::write_json(mode, &plan, &outcomes, &mut out),
    };
    written
        .and_then(|()| out.flush())
        .context("writing to stdout")?;
    Ok(if interrupted {
        Status::Interrupted
    } else if outcomes.iter().any(|o| matches!(o, Outcome::Failed(_))) {
        Status::Error
    } else if outcomes.iter().any(|o| matches!(o, Outcome::Denied(_))) {
        Status::Findings
    } else {
        Status::Clean
    })
}

#[cfg(not(feature = "aws"))]
fn send_fixes(
    _: &FixArgs,
    _: crate::output::remedy::Mode,
    _: &mut crate::remedy::Plan,
    _: &mut [crate::remedy::Outcome],
) -> Result<bool> {
    bail!("--dry-run/--apply: this amilint was built without the AWS SDK (cargo feature `aws`)")
}

/// Sends the plan's calls that are not held (DryRun, or for real after a
/// confirmation), filling in their outcomes; `--apply` logs each call.
/// Returns whether it was interrupted.
#[cfg(feature = "aws")]
fn send_fixes(
    args: &FixArgs,
    mode: crate::output::remedy::Mode,
    plan: &mut crate::remedy::Plan,
    outcomes: &mut [crate::remedy::Outcome],
) -> Result<bool> {
    use crate::aws::send::{SendOptions, default_region, send};
    use crate::output::remedy::Mode;
    use crate::remedy::{LogEntry, Outcome};

    let apply = mode == Mode::Apply;
    let opts = SendOptions {
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        region: args.region.clone(),
        role_name: args.role_name.clone(),
        concurrency: args.concurrency,
        max_attempts: args.max_attempts,
        attempt_timeout: Duration::from_secs(args.api_timeout.max(1)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let chosen: Vec<usize> = (0..plan.calls.len())
        .filter(|&i| outcomes[i] == Outcome::Planned)
        .collect();
    if chosen.is_empty() {
        return Ok(false);
    }
    if chosen.iter().any(|&i| plan.calls[i].region.is_none()) {
        let Some(region) = runtime.block_on(default_region(&opts)) else {
            bail!(
                "the report gives no region for some images (an offline scan's): pass --region, \
                 or set AWS_REGION or a region in the profile"
            );
        };
        for call in plan.calls.iter_mut().filter(|c| c.region.is_none()) {
            call.region = Some(region.clone());
        }
    }
    if apply && !args.yes {
        confirm(plan, &chosen)?;
    }
    // The log is opened before the first change, so that no change goes unlogged.
    // The log is appended to: never one of the files the run reads.
    if apply && args.report != "-" {
        crate::engine::sink::check_paths(
            &[("--log".to_string(), args.log.as_path())],
            &[("the report".to_string(), std::path::Path::new(&args.report))],
            false,
            false,
        )?;
    }
    let mut log = if apply {
        Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&args.log)
                .with_context(|| format!("opening the change log {}", args.log.display()))?,
        )
    } else {
        None
    };
    let run = Timestamp::now().to_string();
    let calls: Vec<crate::remedy::Call> = chosen.iter().map(|&i| plan.calls[i].clone()).collect();
    // Ctrl-C / SIGTERM: calls in flight finish and are logged; no new one starts.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    // Failing to install it (another handler exists) only loses the clean stop.
    let _ = ctrlc::set_handler(move || {
        crate::output::say(format_args!(
            "amilint: interrupted; finishing the calls in flight"
        ));
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    // A log that cannot be written (a full disk, `/dev/full`) stops the run
    // before its first change: the run's first line is written and synced
    // before any call.
    if let Some(log) = log.as_mut() {
        crate::remedy::RunStart::new(&run, calls.len())
            .append(log)
            .with_context(|| {
                format!(
                    "writing the change log {}: nothing was changed",
                    args.log.display()
                )
            })?;
    }
    // Written ahead: each change's intent is logged and synced right before
    // its call, its outcome after. A line that cannot be written stops the
    // run: the call it announced is not sent, nor any later one.
    let log = log.map(|log| Arc::new(std::sync::Mutex::new(log)));
    let log_error: Arc<std::sync::Mutex<Option<io::Error>>> = Arc::default();
    let write = {
        let (log, log_error, run, calls) = (
            log.clone(),
            log_error.clone(),
            run.clone(),
            Arc::new(calls.clone()),
        );
        move |i: usize, outcome: &Outcome| -> io::Result<()> {
            let Some(log) = &log else { return Ok(()) };
            let mut file = log.lock().unwrap_or_else(|e| e.into_inner());
            LogEntry::new(&run, &calls[i], outcome)
                .append(&mut file)
                .inspect_err(|e| {
                    let mut first = log_error.lock().unwrap_or_else(|e| e.into_inner());
                    first.get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
                })
        }
    };
    let ahead: Option<crate::aws::send::Ahead> = apply.then(|| {
        let write = write.clone();
        Arc::new(move |i: usize| write(i, &Outcome::Sending)) as crate::aws::send::Ahead
    });
    let halt = stop.clone();
    let sent = runtime.block_on(send(&calls, &opts, !apply, &stop, ahead, |i, outcome| {
        // Calls not sent after all (held back while sending) are not changes.
        if !matches!(outcome, Outcome::Held(_)) && write(i, outcome).is_err() {
            // A change whose outcome cannot be logged stops the run: calls in
            // flight finish, no new one starts.
            halt.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }));
    for (&i, outcome) in chosen.iter().zip(sent) {
        outcomes[i] = outcome;
    }
    if let Some(log) = log {
        let file = log.lock().unwrap_or_else(|e| e.into_inner());
        crate::remedy::sync(&file)
            .with_context(|| format!("writing the change log {}", args.log.display()))?;
        crate::output::say(format_args!("change log: {}", args.log.display()));
    }
    let log_error = log_error.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(e) = log_error {
        let unsent = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Outcome::Held(
                        crate::remedy::NOT_SENT_STOPPED | crate::remedy::NOT_SENT_UNLOGGED
                    )
                )
            })
            .count();
        bail!(
            "writing the change log {}: {e} (the run stopped; {unsent} call(s) were not sent)",
            args.log.display()
        );
    }
    Ok(stop.load(std::sync::atomic::Ordering::SeqCst))
}

/// Asks on the terminal before `--apply` changes anything.
#[cfg(feature = "aws")]
fn confirm(plan: &crate::remedy::Plan, chosen: &[usize]) -> Result<()> {
    if !io::stdin().is_terminal() {
        bail!("--apply asks for confirmation on a terminal; pass --yes to apply without asking");
    }
    let mut err = io::stderr().lock();
    for &i in chosen {
        writeln!(err, "  {}", output::text::clean(&plan.calls[i].command()))?;
    }
    write!(err, "make these {} change(s)? [y/N] ", chosen.len())?;
    err.flush()?;
    let mut answer = String::new();
    io::stdin()
        .read_line(&mut answer)
        .context("reading the answer")?;
    if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        bail!("cancelled: nothing was changed");
    }
    Ok(())
}
