//! Any bytes through the whole reader (gzip or not, every accepted shape),
//! then every built-in rule and the field-line lookup on each image read:
//! through the keys the reader recorded and through a walk, which must agree.
#![no_main]

use amilint::input::file::{field_line, read_from};
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
            let walked = field_line(located.raw, located.line, &raw.pointer);
            assert_eq!(located.line_of(&raw.pointer), walked, "{}", raw.pointer);
        }
    });
});
