//! Reading amilint's own reports back: `baseline` (the fingerprints of a
//! previous report) and `merge` (several reports into one).

pub mod baseline;
pub mod merge;
