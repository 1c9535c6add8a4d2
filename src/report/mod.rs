//! amilint's own reports: `v1` (the JSON report's one definition), and
//! reading them back: `baseline` (the fingerprints of a previous report) and
//! `merge` (several reports into one).

pub mod baseline;
pub mod merge;
pub mod v1;
