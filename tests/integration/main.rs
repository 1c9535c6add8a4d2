//! The integration tests: one binary (one link of the AWS SDK), a module per
//! area, helpers in `common`.
// Tests say what they leave behind (a screenshot, a validator's log) on stderr.
#![allow(clippy::print_stderr)]

mod action;
mod architecture;
mod cli;
mod common;
mod config;
mod counts;
mod dashboards;
mod docs;
mod ebs_snapshots;
mod fix;
mod fleet;
mod formats;
mod guardrails;
mod hostile;
mod html;
mod identity;
mod live;
mod merge;
mod org;
mod outputs;
mod policies;
mod preflight;
mod reader;
mod references;
mod registry;
mod release;
mod rules;
mod sarif_validator;
mod securityhub;
mod trust;
