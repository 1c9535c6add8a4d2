//! The one table from a run's outcome to its exit code.

use std::process::ExitCode;

use crate::finding::Report;

/// How a run ended. Exit codes are public API: never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing at or above `--fail-on` (or `--exit-zero`); every fix done or
    /// planned; every policy test passed. Also a closed pipe.
    Clean,
    /// Findings at or above `--fail-on`; a fix call denied; a policy test failed.
    Findings,
    /// A usage, config, input, policy or fetch error, a scan left incomplete,
    /// or a fix call that failed.
    Error,
    /// Ctrl-C (SIGINT/SIGTERM): no report written.
    Interrupted,
}

impl Status {
    /// Every status, in exit-code order (the table's snapshot test reads it).
    pub const ALL: [Status; 4] = [
        Status::Clean,
        Status::Findings,
        Status::Error,
        Status::Interrupted,
    ];

    pub const fn code(self) -> u8 {
        match self {
            Status::Clean => 0,
            Status::Findings => 1,
            Status::Error => 2,
            Status::Interrupted => 130,
        }
    }

    /// The status of a finished scan: errors first, then the gate.
    pub fn of_report(report: &Report, exit_zero: bool) -> Status {
        if !report.errors.is_empty() {
            Status::Error
        } else if report.fails() && !exit_zero {
            Status::Findings
        } else {
            Status::Clean
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status.code())
    }
}
