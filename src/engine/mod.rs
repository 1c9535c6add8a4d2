//! The scan pipeline, shared by scan, preflight (`ScanPlan::reading`) and
//! live scans:
//! `pipeline` (reader thread → rayon batches → ordered writer), `evaluate`
//! (one image: rules, policies, scopes → findings), `judge` (suppression,
//! waivers, baseline), `sink` (where reports are written).

use anyhow::Result;

use crate::finding::Report;
use crate::input::InputSource;
use crate::plan::ScanPlan;

mod batch;
mod evaluate;
mod fleet;
mod judge;
pub mod pipeline;
pub mod sink;
mod skips;
mod subjects;

pub use pipeline::{Delivery, Feed, Origin, run, run_scan};
pub use sink::{Target, commit_all, write_atomically};

/// Reads every source and runs the plan's rules and policies on each image,
/// keeping every finding in the report (no outputs written).
pub fn scan_sources(sources: &[InputSource], plan: &ScanPlan) -> Result<Report> {
    let report = plan.report(sources.iter().map(|s| s.uri.clone()).collect());
    run_scan(sources, plan, report, Vec::new(), true)
}
