//! amilint: lint Amazon EC2 machine images (AMIs) against compliance policy.
//!
//! The pipeline is `input` (images) → `rules` (findings) → `app` (filter,
//! sort, threshold) → `output` (text, JSON, SARIF).

pub mod app;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod error;
pub mod finding;
pub mod fix;
pub mod input;
pub mod merge;
pub mod model;
pub mod output;
pub mod pattern;
pub mod policy;
pub mod rules;
