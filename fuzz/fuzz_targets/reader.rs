//! Any bytes through the whole reader (gzip or not, every accepted shape),
//! then every built-in rule and the field-line lookup on each image read.
#![no_main]

use amilint::input::file::read_from;
use amilint::rules::{BUILTIN, Cx, RuleSettings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let settings = RuleSettings::default();
    let _ = read_from(data, "fuzz.json", |located| {
        let mut cx = Cx::new(&settings);
        for rule in BUILTIN {
            if let Some(check) = rule.builtin_check() {
                check(&located.image, &mut cx);
            }
        }
        for raw in cx.take() {
            let _ = located.line_of(&raw.pointer);
        }
    });
});
