//! amilint: lint Amazon EC2 machine images (AMIs) against compliance policy.
//!
//! `cmd` (one file per subcommand) → `plan` (arguments + config, checked) →
//! `engine` (images from `input` or `aws` → `rules` and `policy` → findings,
//! judged) → `output` (text, JSON, SARIF, …) → `status` (the exit code).

#[cfg(feature = "aws")]
pub mod aws;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod engine;
pub mod error;
pub mod finding;
pub mod input;
pub mod model;
pub mod output;
pub mod pattern;
pub mod plan;
pub mod policy;
pub mod remedy;
pub mod report;
pub mod rules;
pub mod status;
pub mod untrusted;
