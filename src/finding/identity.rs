//! A finding's identity, the same wherever it goes (SARIF
//! `partialFingerprints`, JSON `fingerprint`, ASFF `Id`, OCSF
//! `finding_info.uid`, JUnit, baselines, merge). Defined in
//! docs/fingerprints.md; a change to what goes in is a new version.

use sha2::{Digest, Sha256};

use crate::model::Pointer;

/// The version of the fingerprint definition amilint writes.
pub const FINGERPRINT_VERSION: u32 = 2;

/// The key under which SARIF results carry amilint's fingerprint
/// (`partialFingerprints`).
pub const FINGERPRINT_KEY: &str = "amilint/v2";

/// The key of version 1 fingerprints (amilint 0.1 reports), still read as
/// baselines.
pub const LEGACY_FINGERPRINT_KEY: &str = "amilint/v1";

/// What identifies a finding: where (account, region), what about (an
/// image id, or `ACCOUNT/REGION` for an account's guardrails), which rule,
/// and what in the subject (`subject_key`). Never a file, line or order.
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub subject: &'a str,
    pub rule: &'a str,
    pub key: &'a str,
}

impl Identity<'_> {
    /// The version 2 fingerprint: 32 hex digits, the first SHA-256 bits of
    /// the parts (each followed by a NUL) with the top bit clear, so that no
    /// version 2 value equals a version 1 value read by `parse`.
    pub fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"amilint-fingerprint/2\0");
        for part in [self.account, self.region, self.subject, self.rule, self.key] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[0] &= 0x7f;
        hex(&bytes)
    }
}

/// The fingerprint of the `n`th (from 2) of several findings of one run that
/// share `fingerprint`: distinct, and derived from the shared one.
pub fn nth(fingerprint: &str, n: usize) -> String {
    let digest = Sha256::new()
        .chain_update(fingerprint.as_bytes())
        .chain_update(format!("\0#{n}").as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[0] &= 0x7f;
    hex(&bytes)
}

/// What in its subject a finding is about. A built-in rule: the field (its
/// JSON pointer). A policy: the `key` it gave, else the field and its
/// message's template (digits left out, so that "412 days" tomorrow is
/// still the same finding).
pub fn subject_key(pointer: &Pointer, policy_message: Option<&str>, key: Option<&str>) -> String {
    match (key, policy_message) {
        (Some(key), _) => format!("key:{key}"),
        (None, Some(message)) => format!("{}\0{}", pointer.as_str(), template(message)),
        (None, None) => pointer.as_str().to_string(),
    }
}

/// `message` with each run of digits as `#`.
pub fn template(message: &str) -> String {
    crate::pattern::digits_as_hash(message)
}

/// GitHub code scanning's `partialFingerprints.primaryLocationLineHash` for
/// a finding: derived from its fingerprint (`HASH:1`, the form GitHub
/// writes), so that GitHub tracks the alert by the finding's identity, not
/// by the text of the line it points at.
pub fn line_hash(fingerprint: &str) -> String {
    format!("{}:1", &fingerprint[..fingerprint.len().min(16)])
}

/// The key GitHub code scanning tracks alerts by.
pub const LINE_HASH_KEY: &str = "primaryLocationLineHash";

/// A version 1 fingerprint (rule, image id, pointer; 16 hex digits), to
/// match findings against a baseline written by amilint 0.1.
pub fn legacy(rule: &str, image_id: &str, pointer: &Pointer) -> String {
    let mut hasher = Sha256::new();
    for part in [rule, image_id, pointer.as_str()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize()[..8])
}

/// A fingerprint as a number: version 2 (32 hex digits, top bit clear) as
/// it is, version 1 (16 hex digits) with the top bit set. `None` for
/// anything else.
pub fn parse(text: &str) -> Option<u128> {
    if !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    match text.len() {
        16 => u128::from_str_radix(text, 16).ok().map(|n| n | LEGACY_BIT),
        32 => u128::from_str_radix(text, 16)
            .ok()
            .filter(|n| n & LEGACY_BIT == 0),
        _ => None,
    }
}

/// Marks a parsed version 1 fingerprint.
const LEGACY_BIT: u128 = 1 << 127;

/// Whether a parsed fingerprint is of version 1.
pub fn is_legacy(print: u128) -> bool {
    print & LEGACY_BIT != 0
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(HEX[usize::from(b >> 4)] as char);
        text.push(HEX[usize::from(b & 15)] as char);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id<'a>(account: &'a str, region: &'a str, key: &'a str) -> Identity<'a> {
        Identity {
            account,
            region,
            subject: "ami-1",
            rule: "AMI001",
            key,
        }
    }

    #[test]
    fn every_part_counts_and_parts_do_not_run_together() {
        let base = id("111111111111", "eu-west-1", "/ImdsSupport").fingerprint();
        assert_eq!(base.len(), 32);
        assert_eq!(parse(&base).map(is_legacy), Some(false));
        assert_ne!(
            base,
            id("222222222222", "eu-west-1", "/ImdsSupport").fingerprint()
        );
        assert_ne!(
            base,
            id("111111111111", "us-east-1", "/ImdsSupport").fingerprint()
        );
        assert_ne!(base, id("111111111111", "eu-west-1", "/Name").fingerprint());
        // "ab" + "c" is not "a" + "bc".
        assert_ne!(
            id("ab", "c", "").fingerprint(),
            id("a", "bc", "").fingerprint()
        );
        assert_ne!(nth(&base, 2), base);
        assert_ne!(nth(&base, 2), nth(&base, 3));
    }

    #[test]
    fn templates_leave_out_numbers_and_keys_win() {
        assert_eq!(template("412 days old (max 365)"), "# days old (max #)");
        let p = Pointer::parse("/Name").expect("pointer");
        assert_eq!(
            subject_key(&p, Some("412 days"), None),
            subject_key(&p, Some("413 days"), None)
        );
        assert_ne!(
            subject_key(&p, Some("tag Owner"), None),
            subject_key(&p, Some("tag Team"), None)
        );
        assert_eq!(
            subject_key(&p, Some("a"), Some("k")),
            subject_key(&Pointer::root(), Some("b"), Some("k"))
        );
        assert_eq!(subject_key(&p, None, None), "/Name");
    }

    #[test]
    fn both_versions_parse_and_never_meet() {
        let v1 = legacy("AMI001", "ami-1", &Pointer::root());
        assert_eq!(v1.len(), 16);
        let n1 = parse(&v1).expect("v1");
        assert!(is_legacy(n1));
        assert_eq!(parse("0123"), None);
        assert_eq!(parse("ffffffffffffffffffffffffffffffff"), None);
        assert_eq!(parse("0123456789ABCDEF"), None);
    }
}
