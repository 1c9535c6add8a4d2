//! Any text as a Rhai policy, compiled and (when it loads) run on an image,
//! under tight sandbox limits: errors, never panics or hangs.
#![no_main]

use std::time::Duration;

use amilint::model::Image;
use amilint::policy::{Limits, Policy, image_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits {
        max_operations: 20_000,
        timeout: Duration::from_millis(200),
        max_call_depth: 16,
        max_string_size: 64 * 1024,
        max_array_size: 4_096,
        max_map_size: 1_024,
    };
    let now = jiff::Timestamp::UNIX_EPOCH;
    if let Ok(policy) = Policy::compile(text, "fuzz.rhai", &limits, now) {
        let image: Image = serde_json::from_str(
            r#"{"ImageId": "ami-1", "Name": "golden-x", "Tags": [{"Key": "Owner", "Value": "a"}],
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": true}}]}"#,
        )
        .expect("a valid image");
        if let Ok(value) = image_value(&image) {
            let _ = policy.check(&value);
        }
    }
});
