//! Any bytes through the whole reader (gzip or not, every accepted shape),
//! then every built-in rule and the field-line lookup on each image read:
//! through the keys the reader recorded and through a walk, which must agree.
//!
//! Differential (issue 15): the first two bytes choose a chunk size (1–64
//! bytes) and a read size (1–16 bytes per read); the rest is read once as a
//! file is (default chunks) and once through that slow pipe with those tiny
//! chunks. Both must give the same images at the same positions, or the
//! same error.
#![no_main]

use amilint::input::{ReadConfig, ShortReads, field_line, read_from, read_from_with};
use amilint::rules::{BUILTIN, Cx, RuleSettings};
use libfuzzer_sys::fuzz_target;

type Read = Result<Vec<(String, u64, u64)>, String>;

fuzz_target!(|data: &[u8]| {
    let (chunk, max_read, data) = match data {
        [a, b, rest @ ..] => (usize::from(a % 64) + 1, u64::from(b % 16) + 1, rest),
        _ => return,
    };
    let settings = RuleSettings::default();
    let mut images = Vec::new();
    let whole: Read = read_from(data, "fuzz.json", |located| {
        images.push((located.image.id().to_string(), located.line, located.column));
        let mut cx = Cx::new(&settings, None);
        for rule in BUILTIN {
            cx.run(rule, &located.image);
        }
        for raw in cx.take() {
            let walked = field_line(located.raw, located.line, &raw.pointer);
            assert_eq!(located.line_of(&raw.pointer), walked, "{}", raw.pointer);
        }
    })
    .map(|()| images)
    .map_err(|e| e.to_string());
    let config = ReadConfig {
        chunk,
        ..ReadConfig::default()
    };
    let mut images = Vec::new();
    let trickled: Read = read_from_with(ShortReads::new(data, max_read), "fuzz.json", config, |located| {
        images.push((located.image.id().to_string(), located.line, located.column));
    })
    .map(|()| images)
    .map_err(|e| e.to_string());
    assert_eq!(whole, trickled, "chunk {chunk}, reads of 1..={max_read}");
});
