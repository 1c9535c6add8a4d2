//! The rule registry: codes are public API, docs are complete, every rule is tested.

use std::collections::BTreeSet;
use std::path::Path;

use amilint::rules::{BUILTIN, RESERVED};

const SECTIONS: [&str; 5] = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Remediation",
    "## References",
];

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for rule in BUILTIN {
        assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
        assert!(names.insert(rule.name), "duplicate name {}", rule.name);
        assert!(!RESERVED.contains(&rule.code), "{} is reserved", rule.code);
        assert!(
            rule.code.len() == 6
                && rule.code.starts_with("AMI")
                && rule.code[3..].bytes().all(|b| b.is_ascii_digit()),
            "bad code {}",
            rule.code
        );
        assert!(
            rule.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "name {} is not kebab-case",
            rule.name
        );
    }
    let mut sorted: Vec<&str> = BUILTIN.iter().map(|r| r.code).collect();
    sorted.sort();
    assert_eq!(
        sorted,
        BUILTIN.iter().map(|r| r.code).collect::<Vec<_>>(),
        "BUILTIN is in code order"
    );
    insta::assert_snapshot!(sorted.join("\n"));
}

#[test]
fn every_rule_has_complete_docs() {
    for rule in BUILTIN {
        let docs = rule.docs();
        let mut last = 0;
        for section in SECTIONS {
            let at = docs
                .find(section)
                .unwrap_or_else(|| panic!("{} lacks `{section}`", rule.code));
            assert!(at >= last, "{}: `{section}` out of order", rule.code);
            last = at;
        }
        assert!(
            docs.contains("```json"),
            "{}: example is not a JSON snippet",
            rule.code
        );
        assert!(
            docs.contains("https://"),
            "{}: no reference link",
            rule.code
        );
        assert!(
            !rule.summary.is_empty() && !rule.description().is_empty(),
            "{}",
            rule.code
        );
    }
}

#[test]
fn every_rule_has_a_fixture_and_a_snapshot() {
    for rule in BUILTIN {
        let fixture = format!("fixtures/rules/{}.json", rule.code);
        assert!(Path::new(&fixture).exists(), "missing {fixture}");
        let snapshot = format!(
            "tests/integration/snapshots/integration__rules__rules@{}.json.snap",
            rule.code
        );
        assert!(Path::new(&snapshot).exists(), "missing {snapshot}");
    }
}

#[test]
fn docs_rules_md_is_generated() {
    let on_disk = std::fs::read_to_string("docs/rules.md").expect("docs/rules.md exists");
    assert!(
        on_disk == amilint::output::catalogue::rules_markdown(amilint::rules::BUILTIN),
        "docs/rules.md is stale: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn docs_report_schema_is_generated() {
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/report.schema.json"
    ))
    .expect("docs/report.schema.json");
    let generated =
        serde_json::to_string_pretty(&amilint::report::v1::schema()).expect("json") + "\n";
    assert!(
        on_disk == generated,
        "docs/report.schema.json is stale: run `cargo run -- schema > docs/report.schema.json`"
    );
}
