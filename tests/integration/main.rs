//! The integration tests: one binary (one link of the AWS SDK), a module per
//! area, helpers in `common`.

mod action;
mod cli;
mod common;
mod config;
mod counts;
mod dashboards;
mod fix;
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
mod snapshots;
mod trust;
