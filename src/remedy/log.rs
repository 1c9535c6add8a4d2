//! The change log of `amilint fix`: each call's outcome, and its undo.

use std::io::Write;

use serde::Serialize;

use super::plan::Call;

/// Why a call was not sent once the run was stopped (Ctrl-C, or a change
/// log that could not be written).
pub const NOT_SENT_STOPPED: &str = "not sent: interrupted";

/// Why a call was not sent: its intent could not be written to the log.
pub const NOT_SENT_UNLOGGED: &str = "not sent: the change log could not be written";

/// How one call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The plan only: would be sent with --dry-run or --apply.
    Planned,
    /// The change log's line written, and synced, right before the call is
    /// sent (`--apply`): a run stopped mid-call leaves its intent logged.
    Sending,
    /// Not sent: see `Call::held`.
    Held(&'static str),
    /// DryRun: the caller may make it (EC2 answered `DryRunOperation`).
    Permitted,
    /// Made; EC2's request id.
    Applied { request_id: Option<String> },
    /// The caller may not make it (`UnauthorizedOperation`, `AccessDenied`…).
    Denied(String),
    /// Anything else: the API's error, a network failure, a timeout.
    Failed(String),
}

impl Outcome {
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Planned => "planned",
            Outcome::Sending => "sending",
            Outcome::Held(_) => "skipped",
            Outcome::Permitted => "permitted",
            Outcome::Applied { .. } => "applied",
            Outcome::Denied(_) => "denied",
            Outcome::Failed(_) => "failed",
        }
    }

    pub fn detail(&self) -> Option<&str> {
        match self {
            Outcome::Held(why) => Some(why),
            Outcome::Denied(why) | Outcome::Failed(why) => Some(why),
            Outcome::Planned | Outcome::Sending | Outcome::Permitted | Outcome::Applied { .. } => {
                None
            }
        }
    }
}

/// One call and how it ended, as `fix --format json` and the change log show it.
#[derive(Serialize)]
pub struct CallRecord<'a> {
    /// `planned`, `skipped`, `permitted`, `denied`, `failed` or `applied`;
    /// in the change log also `sending` (the line written before the call).
    pub outcome: &'static str,
    /// Why it was skipped, denied or failed.
    pub detail: Option<&'a str>,
    /// EC2's request id of an applied change.
    pub request_id: Option<&'a str>,
    pub image_id: &'a str,
    pub account_id: Option<&'a str>,
    pub region: Option<&'a str>,
    pub rules: &'a [String],
    pub operation: &'static str,
    /// The API input sent (or to send).
    pub input: crate::remedy::Input<'a>,
    /// The same as an AWS CLI command.
    pub command: String,
    /// The command that undoes the change (`null`: it cannot be undone).
    pub undo: Option<String>,
}

impl<'a> CallRecord<'a> {
    pub fn new(call: &'a Call, outcome: &'a Outcome) -> Self {
        let request_id = match outcome {
            Outcome::Applied { request_id } => request_id.as_deref(),
            _ => None,
        };
        CallRecord {
            outcome: outcome.word(),
            detail: outcome.detail(),
            request_id,
            image_id: &call.image_id,
            account_id: call.account_id.as_deref(),
            region: call.region.as_deref(),
            rules: &call.rules,
            operation: call.action.operation(),
            input: call.action.input(&call.image_id),
            command: call.command(),
            undo: call.action.undo(&call.image_id, call.region.as_deref()),
        }
    }
}

/// One line of the change log (JSON Lines, appended): every call `--apply`
/// sends, twice: `sending` right before the call (written ahead and synced:
/// no change is made that the log does not announce), then how it ended and
/// how to undo it.
#[derive(Serialize)]
pub struct LogEntry<'a> {
    pub time: String,
    /// The run's start time: the entries of one run share it.
    pub run: &'a str,
    #[serde(flatten)]
    pub call: CallRecord<'a>,
}

impl<'a> LogEntry<'a> {
    pub fn new(run: &'a str, call: &'a Call, outcome: &'a Outcome) -> Self {
        LogEntry {
            time: jiff::Timestamp::now().to_string(),
            run,
            call: CallRecord::new(call, outcome),
        }
    }

    /// Appends the entry as one line and flushes it, so that the log holds
    /// every change made even if amilint is stopped right after.
    pub fn append(&self, log: &mut std::fs::File) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(self)?;
        line.push(b'\n');
        log.write_all(&line)?;
        sync(log)
    }
}

/// Syncs the log to disk; a log that cannot be synced (a device such as
/// `/dev/null`) has nothing to sync.
pub fn sync(log: &std::fs::File) -> std::io::Result<()> {
    match log.sync_data() {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

/// The first line a run of `--apply` writes to the change log, before any
/// change: a log that cannot take it stops the run with nothing changed.
#[derive(Debug, serde::Serialize)]
pub struct RunStart<'a> {
    pub time: &'a str,
    pub run: &'a str,
    /// Always `start`: tells this line from a call's.
    pub event: &'static str,
    /// The calls the run is about to send.
    pub calls: usize,
}

impl<'a> RunStart<'a> {
    pub fn new(run: &'a str, calls: usize) -> Self {
        RunStart {
            time: run,
            run,
            event: "start",
            calls,
        }
    }

    /// Appends the line and syncs it to disk.
    pub fn append(&self, log: &mut std::fs::File) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(self)?;
        line.push(b'\n');
        log.write_all(&line)?;
        sync(log)
    }
}
