//! Fixes as data. A rule states the EC2 calls that fix its finding
//! (`Action`s); everything else is derived from them: the AWS CLI commands
//! shown in reports (`render`), the `--cli-input-json` documents in the JSON
//! report, what `amilint fix` reads back from a report (`parse`, strictly:
//! reports are untrusted), plans (`plan`) and logs (`log`), and what it sends
//! (`crate::aws::send`).

pub mod action;
pub mod log;
pub mod parse;
pub mod plan;
pub mod render;
#[cfg(test)]
mod tests;
pub mod valid;

pub use action::{Action, Fix, Grant};
pub use log::{CallRecord, LogEntry, NOT_SENT_STOPPED, NOT_SENT_UNLOGGED, Outcome, RunStart, sync};
pub use parse::read_report;
pub use plan::{Call, Plan, Selection};
pub use render::{Input, shell_word};
pub use valid::is_region;
