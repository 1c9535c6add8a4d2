//! Any text as amilint.toml: errors, never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = amilint::config::parse(text, Path::new("fuzz.toml"), amilint::rules::BUILTIN, &[]);
    }
});
