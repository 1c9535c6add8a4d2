//! Emitters: each presents a `Report` and decides nothing.

pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
#[cfg(feature = "aws")]
pub mod progress;
pub mod sarif;
pub mod text;

use std::io::{self, Write};

use crate::finding::Report;

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    /// GitHub Actions annotations (workflow commands).
    Github,
    /// A Markdown summary (for `$GITHUB_STEP_SUMMARY`).
    Markdown,
    /// JUnit XML: a test case per (image, rule).
    Junit,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        <Format as clap::ValueEnum>::from_str(s, true).ok()
    }
}

/// Writes `report` in `format`. `color` only matters for text.
pub fn emit(format: Format, report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => text::emit(report, color, out),
        Format::Json => json::emit(report, out),
        Format::Sarif => sarif::emit(report, out),
        Format::Github => github::emit(report, out),
        Format::Markdown => markdown::emit(report, out),
        Format::Junit => junit::emit(report, out),
    }
}
