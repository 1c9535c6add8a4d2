//! Any bytes as a report read back (issue 30): `amilint fix`'s plan and the
//! reader it shares with `--baseline` and `merge` (`report::read`), each once
//! whole and once through a slow pipe (the first byte chooses 1–32 bytes a
//! read), must agree; and neither accepts a report
//! whose top-level object names a key twice (jq and Python would show one of
//! the two, a streaming reader could act on the other).
#![no_main]

use amilint::input::ShortReads;
use amilint::remedy::Selection;
use amilint::report::fixes::read_report;
use amilint::report::read::read;
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

/// Whether `data` is a JSON object one of whose keys appears twice.
fn repeats_a_top_level_key(data: &[u8]) -> bool {
    struct Top;
    impl<'de> Visitor<'de> for Top {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut keys = std::collections::HashSet::new();
            let mut twice = false;
            while let Some(key) = map.next_key::<String>()? {
                twice |= !keys.insert(key);
                map.next_value::<IgnoredAny>()?;
            }
            Ok(twice)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(data);
    de.deserialize_map(Top).unwrap_or(false)
}

fuzz_target!(|data: &[u8]| {
    let Some((first, data)) = data.split_first() else {
        return;
    };
    let max_read = u64::from(first % 32) + 1;
    let all = Selection::default();
    let fix_whole = read_report(data, "fuzz.json", &all).map(|p| p.calls.len());
    let fix_slow =
        read_report(ShortReads::new(data, max_read), "fuzz.json", &all).map(|p| p.calls.len());
    assert_eq!(
        fix_whole.as_ref().map_err(ToString::to_string),
        fix_slow.as_ref().map_err(ToString::to_string)
    );
    let mut whole = Vec::new();
    let base_whole = read(data, "fuzz.json", &mut |p, _| {
        whole.push(p);
        Ok(())
    })
    .map(|m| m.kind);
    let mut slow = Vec::new();
    let base_slow = read(ShortReads::new(data, max_read), "fuzz.json", &mut |p, _| {
        slow.push(p);
        Ok(())
    })
    .map(|m| m.kind);
    assert_eq!(
        base_whole.as_ref().map_err(ToString::to_string),
        base_slow.as_ref().map_err(ToString::to_string)
    );
    assert_eq!(whole, slow);
    if repeats_a_top_level_key(data) {
        assert!(fix_whole.is_err(), "fix read a report with a key twice");
        assert!(base_whole.is_err(), "--baseline read a report with a key twice");
    }
});
