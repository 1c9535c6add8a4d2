//! Fixes as data. A rule states the EC2 calls that fix its finding
//! (`Action`s); everything else is derived from them: the AWS CLI commands
//! shown in reports (`render`), the `--cli-input-json` documents in the JSON
//! report, plans (`plan`) and logs (`log`), and what `amilint fix` sends
//! (`crate::aws::send`); reading the fixes of a report back is
//! `crate::report::fixes`.

pub mod action;
pub mod log;
pub mod plan;
pub mod render;
#[cfg(test)]
mod tests;
pub mod valid;

pub use action::{Action, Fix, Grant};
pub use log::{CallRecord, LogEntry, NOT_SENT_STOPPED, NOT_SENT_UNLOGGED, Outcome, RunStart, sync};
pub use plan::{Call, Plan, Selection};
pub use render::{Input, shell_word};
pub use valid::is_region;
