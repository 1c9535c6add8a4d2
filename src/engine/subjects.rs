//! The subjects a scan had findings on, to tell apart the findings of one
//! listed twice (docs/fingerprints.md).

use crate::finding::Finding;

/// The subjects (account, region, image) that had findings, to tell the
/// findings of one listed twice apart (docs/fingerprints.md).
#[derive(Default)]
pub(super) struct Subjects {
    /// Each seen, by a hash of the three (already a hash: not hashed again).
    seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<AsIs>>,
    /// How many times each subject seen more than once was seen.
    again: std::collections::HashMap<u64, usize>,
    /// Subjects seen more than once, and the first of them.
    repeated: usize,
    first: Option<String>,
}

/// A `Hasher` for keys that are hashes already: the key as it is.
#[derive(Default)]
struct AsIs(u64);

impl std::hash::Hasher for AsIs {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Subjects {
    /// Counts the subject of `findings`; for its `n`th time (from 2), gives
    /// each finding the `n`th fingerprint of its own and says so (`true`).
    pub(super) fn distinguish(&mut self, findings: &mut [Finding]) -> bool {
        use std::hash::{Hash, Hasher};
        let Some(f) = findings.first() else {
            return false;
        };
        let scope = f.scope.as_deref();
        let mut h = std::hash::DefaultHasher::new();
        (
            scope.map(|s| (&s.account_id, &s.region)),
            &*f.image_id,
            f.about_account(),
        )
            .hash(&mut h);
        let key = h.finish();
        if self.seen.insert(key) {
            return false;
        }
        let n = self.again.entry(key).or_insert(1);
        *n += 1;
        if *n == 2 {
            self.repeated += 1;
            self.first.get_or_insert_with(|| f.image_id.to_string());
        }
        for f in findings.iter_mut() {
            f.fingerprint = crate::finding::identity::nth(&f.fingerprint, *n);
        }
        true
    }

    pub(super) fn notice(&self) -> Option<String> {
        let first = self.first.as_ref()?;
        Some(format!(
            "{} subject(s) with findings appear more than once in the inputs (the first: {first}): each copy's findings are reported, the second and later with fingerprints of their own (docs/fingerprints.md)",
            self.repeated
        ))
    }
}
