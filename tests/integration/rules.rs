//! One snapshot per rule: each `fixtures/rules/<CODE>.json` is scanned with
//! only that rule enabled, and the text output is the snapshot. Fixtures of
//! request rules (AMI1xx) are JSON arrays of request documents, run through
//! preflight; their labels are in `Description` (`ok: …`, `bad: …`).

use crate::common;

use std::collections::BTreeSet;

use amilint::output::Format;

/// Fixture images say what they expect: `bad` images must be flagged, `ok`
/// images must not. The label is in the name (`bad-…`, `…-ok`) or the
/// description (`ok: …`).
fn label(name: &str, description: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    if n.starts_with("bad-") || n.contains("-bad-") || description.starts_with("bad:") {
        Some("bad")
    } else if n.starts_with("ok-") || n.ends_with("-ok") || description.starts_with("ok:") {
        Some("ok")
    } else {
        None
    }
}

#[test]
fn rules() {
    insta::glob!("../../fixtures/rules", "*.json", |path| {
        let code = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file stem");
        let rule = amilint::rules::lookup(code).unwrap_or_else(|| panic!("{code} is not a rule"));
        let mut plan = common::plan();
        plan.rules = vec![rule];
        // Rules that need options get them from fixtures/rules/<CODE>.toml.
        let options = path.with_extension("toml");
        if options.exists() {
            let config = amilint::config::load(&options, amilint::rules::BUILTIN)
                .unwrap_or_else(|e| panic!("{e}"));
            config.options.apply(&mut plan.settings);
        }
        let rel = format!("fixtures/rules/{code}.json");
        let report = if rule.subject == amilint::rules::Subject::Request {
            let source = amilint::input::InputSource::new(&rel);
            amilint::engine::preflight_sources(&[source], &plan, None).expect("fixture reads")
        } else {
            common::scan(&[&rel], &plan)
        };

        let flagged: BTreeSet<&str> = report.findings.iter().map(|f| &*f.image_id).collect();
        let text = std::fs::read_to_string(path).expect("fixture readable");
        let doc: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
        let images = doc["Images"]
            .as_array()
            .or(doc.as_array())
            .expect("fixture has Images, or is an array of requests");
        let mut saw_bad = false;
        for image in images {
            let id = image["ImageId"]
                .as_str()
                .or(image["Name"].as_str())
                .expect("fixture image id (or request name)");
            let name = image["Name"].as_str().unwrap_or_default();
            let description = image["Description"].as_str().unwrap_or_default();
            match label(name, description) {
                Some("bad") => {
                    saw_bad = true;
                    assert!(
                        flagged.contains(id),
                        "{code}: {name} ({id}) should be flagged"
                    );
                }
                Some(_) => assert!(!flagged.contains(id), "{code}: {name} ({id}) should pass"),
                None => panic!("{code}: fixture image {name} has no ok/bad label"),
            }
        }
        assert!(saw_bad, "{code}: fixture has no bad image");
        insta::assert_snapshot!(common::render(&report, Format::Text));
    });
}
