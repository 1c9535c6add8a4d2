//! `--baseline`: the fingerprints of a previous amilint JSON report or SARIF
//! log (`report::read`, as a stream): only the fingerprints are kept, each as
//! a number (about 16 bytes a finding in the set, whatever the report's size).

use std::collections::HashSet;
use std::path::Path;

use crate::error::InputError;
use crate::finding::identity;
use crate::report::read::{self, Item};

#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Fingerprints as numbers (`identity::parse`).
    pub fingerprints: HashSet<u128>,
    /// Whether any is of version 1 (amilint 0.1): findings are then also
    /// matched by their version 1 fingerprint.
    pub legacy: bool,
}

impl Baseline {
    /// Whether the report held the finding with this fingerprint.
    pub fn contains(&self, fingerprint: &str) -> bool {
        identity::parse(fingerprint).is_some_and(|n| self.fingerprints.contains(&n))
    }
}

/// Reads the fingerprints of an amilint JSON report or SARIF log. A
/// summarised SARIF log (`--sarif-max-results`) is refused: it does not hold
/// the fingerprints of the findings it summarises.
pub fn load(path: &Path) -> Result<Baseline, InputError> {
    let mut fingerprints = HashSet::new();
    read::read_file(path, &mut |print, item| {
        if let Item::Result(result) = &item
            && let Some(count) = result.summarised
        {
            return Err(format!(
                "a result summarises {count} findings (the scan's --sarif-max-results): a summarised SARIF log does not hold their fingerprints, so it cannot be a baseline; give the scan's JSON report (-o json=FILE), or a SARIF log written with --sarif-max-results 0"
            ));
        }
        fingerprints.insert(print);
        Ok(())
    })?;
    let legacy = fingerprints.iter().any(|p| identity::is_legacy(*p));
    Ok(Baseline {
        fingerprints,
        legacy,
    })
}
