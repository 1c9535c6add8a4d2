//! Any bytes as a report for `amilint fix`: errors, never panics; and every
//! call it accepts renders, and its input document reads back as itself.
#![no_main]

use amilint::remedy::{Action, Selection};
use amilint::report::fixes::read_report;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(plan) = read_report(data, "fuzz.json", &Selection::default()) else {
        return;
    };
    for call in &plan.calls {
        let _ = call.command();
        let _ = call.action.undo(&call.image_id, call.region.as_deref());
        let input = serde_json::to_value(call.action.input(&call.image_id)).expect("serialises");
        let back = Action::parse(call.action.operation(), &input);
        // An account's setting names no image: the finding's subject does.
        let id = (!call.action.on_account()).then(|| call.image_id.clone());
        assert_eq!(back, Ok((id, call.action.clone())));
    }
});
