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
        serde_json::to_string_pretty(&amilint::output::v1::schema()).expect("json") + "\n";
    assert!(
        on_disk == generated,
        "docs/report.schema.json is stale: run `cargo run -- schema > docs/report.schema.json`"
    );
}

/// Issue 23, first step: every compliance mapping names a known framework, a
/// control id and title, and the source it comes from; no rule lists a control
/// twice; `explain`, `rules --format json`, `rules --framework` and SARIF tags
/// show them.
#[test]
fn issue_23_compliance_mappings_are_sourced_and_shown() {
    use amilint::rules::compliance::Framework;
    let mut mapped = 0;
    for rule in BUILTIN {
        let mut seen = BTreeSet::new();
        for control in rule.compliance {
            assert!(Framework::ALL.contains(&control.framework));
            assert!(
                !control.id.is_empty() && !control.title.is_empty(),
                "{}",
                rule.code
            );
            assert!(
                control.source.contains("github.com/")
                    || control.source.contains("docs.aws.amazon.com/"),
                "{}: a citable source",
                rule.code
            );
            assert!(
                seen.insert(control.tag()),
                "{}: {} twice",
                rule.code,
                control.tag()
            );
            mapped += 1;
        }
    }
    assert!(mapped >= 10, "{mapped} mappings");
    // Every rule says its controls, or why it has none.
    for rule in BUILTIN {
        let text = amilint::output::catalogue::explain(rule);
        assert!(text.contains("## Compliance"), "{}", rule.code);
        assert!(
            !rule.compliance.is_empty() || text.contains("Not mapped: none of the mappings"),
            "{}",
            rule.code
        );
    }
    // CIS AWS Compute Services Benchmark v1.0.0 section 2.1, the AMI section: each control.
    let cis: BTreeSet<&str> = BUILTIN
        .iter()
        .flat_map(|r| r.compliance)
        .filter(|c| c.framework == Framework::CisCompute)
        .map(|c| c.id)
        .collect();
    for id in ["2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5"] {
        assert!(cis.contains(id), "CIS Compute {id}");
    }

    let (code, out, _) = crate::common::run(&["explain", "AMI006"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("## Compliance")
            && out.contains("**2.1.5** Ensure Images are not Publicly Available"),
        "{out}"
    );
    let (_, out, _) = crate::common::run(&["rules", "--framework", "cis-compute"]);
    assert!(
        out.contains("2.1.5  Ensure Images are not Publicly Available\n    AMI006  public-image"),
        "{out}"
    );
    let (_, out, _) = crate::common::run(&["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_str(&out).expect("json");
    let public = rules
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["code"] == "AMI006")
        .expect("AMI006");
    assert_eq!(public["compliance"][0]["framework"], "cis-compute-v1.0.0");
    assert_eq!(public["compliance"][0]["control"], "2.1.5");
    let (code, _, err) = crate::common::run(&["rules", "--framework", "iso"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown framework `iso`"), "{err}");
    let (_, out, _) = crate::common::run(&[
        "scan",
        "fixtures/rules/AMI006.json",
        "--no-config",
        "--format",
        "sarif",
    ]);
    let sarif: serde_json::Value = serde_json::from_str(&out).expect("sarif");
    let tags = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "AMI006")
        .map(|r| r["properties"]["tags"].clone())
        .expect("AMI006 descriptor");
    assert!(
        tags.as_array()
            .is_some_and(|t| t.iter().any(|t| t == "cis-compute-v1.0.0/2.1.5")),
        "{tags}"
    );
    // A taxonomy per framework, each rule related to its controls (the
    // validator tests check these logs).
    let run = &sarif["runs"][0];
    assert_eq!(
        run["taxonomies"][0]["name"],
        "CIS AWS Compute Services Benchmark v1.0.0"
    );
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "AMI006")
        .expect("AMI006");
    let target = &rule["relationships"][0]["target"];
    assert_eq!(target["id"], "2.1.5");
    let taxon = &run["taxonomies"][target["toolComponent"]["index"]
        .as_u64()
        .expect("component") as usize]["taxa"][target["index"].as_u64().expect("taxon") as usize];
    assert_eq!(taxon["id"], "2.1.5");
}
