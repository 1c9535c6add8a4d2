//! One snapshot per rule: each `fixtures/rules/<CODE>.json` is scanned with
//! only that rule enabled, and the text output is the snapshot. Fixtures of
//! request rules (AMI1xx) are JSON arrays of request documents, run through
//! preflight; their labels are in `Description` (`ok: …`, `bad: …`).
//! Fixtures of account rules (AMI2xx) are settings files (`--settings-file`):
//! entries of accounts `9…` must be flagged, the others not. An image rule
//! that reads account settings finds them in `<CODE>.settings.json`.

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
    } else if n.starts_with("skipped-") {
        // Not judged (an unreadable date): no finding, and a note in the snapshot.
        Some("skipped")
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
        if code.contains('.') {
            return; // `<CODE>.settings.json`: another fixture's data
        }
        let rule = amilint::rules::lookup(code).unwrap_or_else(|| panic!("{code} is not a rule"));
        let mut plan = common::plan();
        plan.rules = vec![rule];
        // Rules that need options get them from fixtures/rules/<CODE>.toml.
        let options = path.with_extension("toml");
        if options.exists() {
            let config = amilint::config::load(&options, amilint::rules::BUILTIN, &[])
                .unwrap_or_else(|e| panic!("{e}"));
            plan.settings.options = config.options;
        }
        let rel = format!("fixtures/rules/{code}.json");
        if rule.subject == amilint::rules::Subject::Request {
            plan.reading = amilint::plan::Reading::Requests(None);
        }
        let settings = |file: &str| {
            let source = amilint::input::InputSource::new(file);
            amilint::input::SettingsIndex::read(&[source]).unwrap_or_else(|e| panic!("{e}"))
        };
        if rule.subject == amilint::rules::Subject::Account {
            let index = settings(&rel);
            let ids: Vec<(String, bool)> = index
                .entries
                .iter()
                .map(|e| (e.id(), e.account_id.starts_with('9')))
                .collect();
            plan.account_settings = Some(std::sync::Arc::new(index));
            let report = common::scan(&[], &plan);
            let flagged: BTreeSet<&str> = report.findings.iter().map(|f| &*f.image_id).collect();
            for (id, bad) in &ids {
                assert_eq!(flagged.contains(id.as_str()), *bad, "{code}: {id}");
            }
            assert!(ids.iter().any(|(_, bad)| *bad), "{code}: no bad entry");
            insta::assert_snapshot!(common::render(&report, Format::Text));
            return;
        }
        let joined = format!("fixtures/rules/{code}.settings.json");
        if std::path::Path::new(&joined).exists() {
            plan.account_settings = Some(std::sync::Arc::new(settings(&joined)));
        }
        if rule.subject == amilint::rules::Subject::Fleet {
            // The fleet is `<CODE>.fleet.json`; its workloads are labelled.
            let fleet = format!("fixtures/rules/{code}.fleet.json");
            let source = amilint::input::InputSource::new(&fleet);
            let scopes = amilint::input::fleet::read(&[source]).unwrap_or_else(|e| panic!("{e}"));
            plan.fleet = Some(scopes.into_iter().map(std::sync::Arc::new).collect());
            plan.ownership.all = true;
            if code == "AMI306" {
                // Its data is another rule's findings on the image.
                plan.rules
                    .insert(0, amilint::rules::lookup("AMI001").expect("AMI001"));
            }
            let report = common::scan(&[&rel], &plan);
            let flagged: BTreeSet<&str> = report
                .findings
                .iter()
                .filter(|f| f.rule.code == code)
                .map(|f| &*f.image_id)
                .collect();
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&fleet).expect("fleet"))
                    .expect("JSON");
            for w in doc["Fleet"][0]["Workloads"].as_array().expect("workloads") {
                let (id, name) = (
                    w["Id"].as_str().expect("id"),
                    w["Name"].as_str().expect("name"),
                );
                let bad = label(name, "") == Some("bad");
                assert_eq!(flagged.contains(id), bad, "{code}: {name} ({id})");
            }
            assert!(!flagged.is_empty(), "{code}: fixture has no bad workload");
            insta::assert_snapshot!(common::render(&report, Format::Text));
            return;
        }
        let report = common::scan(&[&rel], &plan);

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

/// A rule whose data the input lacks is skipped on those images, and every
/// output says so once, with the count and how to get the data: never a
/// silent zero.
#[test]
fn issue_17_a_rule_without_its_data_is_skipped_with_a_note_in_every_output() {
    let args = [
        "scan",
        "--no-config",
        "fixtures/examples/describe-images.json",
        "--select",
        "AMI012",
        // AMI012 is owner-only: every image counts here.
        "--all-owners",
    ];
    let expected =
        "AMI012 skipped on 6 of 6 images: needs LaunchPermissions — scan with --aws --attributes";
    // The text report on standard output has the note: standard error does
    // not say it again (issue 35: a CI log shows each note once).
    let (code, text, err) = common::run(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        text.matches(&format!("note: {expected}")).count(),
        1,
        "{text}"
    );
    assert!(!err.contains(expected), "{err}");

    // Any other report on standard output: standard error says it, once.
    let json_args: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    let (_, json, err) = common::run(&json_args);
    assert_eq!(
        err.matches(&format!("amilint: note: {expected}")).count(),
        1,
        "{err}"
    );
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(
        json["notes"],
        serde_json::json!([{
            "rule_id": "AMI012", "skipped": 6, "images": 6,
            "needs": "LaunchPermissions", "message": expected
        }])
    );

    let sarif_args: Vec<&str> = args.iter().copied().chain(["--format", "sarif"]).collect();
    let sarif: serde_json::Value =
        serde_json::from_str(&common::run(&sarif_args).1).expect("sarif");
    let notes = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes[0]["level"], "note");
    assert_eq!(notes[0]["associatedRule"]["id"], "AMI012");
    assert_eq!(notes[0]["message"]["text"], expected);

    // With the data, the rule runs and there is no note.
    let (_, text, _) = common::run(&[
        "scan",
        "--no-config",
        "fixtures/rules/AMI012.json",
        "--select",
        "AMI012",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        json["notes"][0]["skipped"], 1,
        "one fixture image has no LaunchPermissions"
    );
    assert!(json["summary"]["findings"].as_u64() > Some(0));
}

/// Issue 22: owner-only rules lint only the user's images. The bundled
/// example's Amazon and Marketplace images (public by design) are counted as
/// not owned, said once in every output, instead of flagged critical; their
/// other findings carry no fix and say `owned: false`. `--owner` (an account
/// or an alias) and `--all-owners` bring them back; a bad owner is an error.
#[test]
fn issue_22_owner_only_rules_lint_only_the_users_images() {
    use crate::common::EXAMPLE;
    const WINDOWS: &str = "ami-0d4c3b2a190817263";
    const FORTIGATE: &str = "ami-0f0e0d0c0b0a09080";
    let scan = |extra: &[&str]| {
        let (code, doc, err) = common::scan_example_json(EXAMPLE, common::NOW, extra);
        assert_eq!(code, 1, "{err}");
        (doc, err)
    };
    let public = |doc: &serde_json::Value| -> BTreeSet<String> {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule_id"] == "AMI006")
            .map(|f| f["image_id"].as_str().unwrap_or_default().to_string())
            .collect()
    };

    let (doc, err) = scan(&[]);
    assert_eq!(
        public(&doc),
        BTreeSet::from(["ami-0123456789abcdef0".to_string()])
    );
    assert_eq!(doc["summary"]["images_not_owned"], 2);
    assert_eq!(
        doc["summary"]["not_owned_by_owner"],
        serde_json::json!({"amazon": 1, "aws-marketplace": 1})
    );
    assert!(
        err.contains("amilint: note: not owned: 2 images of other owners (amazon 1, aws-marketplace 1) not linted by owner-only rules (AMI001,"),
        "{err}"
    );
    for f in doc["findings"].as_array().expect("findings") {
        let theirs = f["image_id"] == WINDOWS || f["image_id"] == FORTIGATE;
        assert_eq!(f["owned"], !theirs, "{f}");
        if theirs {
            assert!(
                f["remediation"].is_null(),
                "no fix for another owner's image: {f}"
            );
            assert!(
                !f["rule_id"]
                    .as_str()
                    .is_some_and(
                        |r| ["AMI001", "AMI002", "AMI003", "AMI006", "AMI009"].contains(&r)
                    )
            );
        }
    }
    let (text, _) = {
        let (_, out, err) = common::run(&["scan", "--no-config", "--now", common::NOW, EXAMPLE]);
        (out, err)
    };
    assert!(
        text.contains("note: not owned: 2 images of other owners"),
        "{text}"
    );

    let (doc, _) = scan(&["--owner", "amazon"]);
    assert!(public(&doc).contains(WINDOWS) && !public(&doc).contains(FORTIGATE));
    assert_eq!(
        doc["summary"]["not_owned_by_owner"],
        serde_json::json!({"aws-marketplace": 1})
    );
    let (doc, _) = scan(&["--owner", "679593333241"]);
    assert!(public(&doc).contains(FORTIGATE) && !public(&doc).contains(WINDOWS));
    // Naming an owner makes it the list: images of the example's own account are then not owned.
    assert!(!public(&doc).contains("ami-0123456789abcdef0"));
    let (doc, _) = scan(&["--all-owners"]);
    assert_eq!(public(&doc).len(), 3);
    assert_eq!(doc["summary"]["images_not_owned"], 0);

    let (code, _, err) = common::run(&["scan", "--no-config", EXAMPLE, "--owner", "me"]);
    assert_eq!(code, 2);
    assert!(err.contains("--owner: `me` is not an account id"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("amilint.toml");
    std::fs::write(
        &config,
        "fail_on = \"high\"\nowners = [\"111122223333\", \"12345\"]\n",
    )
    .expect("write");
    let (code, _, err) =
        common::run(&["scan", "--config", config.to_str().expect("utf-8"), EXAMPLE]);
    assert_eq!(code, 2);
    assert!(
        err.contains("amilint.toml:2:") && err.contains("`12345` is not an account id"),
        "{err}"
    );
    std::fs::write(&config, "owners = [\"111122223333\"]\n").expect("write");
    let (_, out, _) = common::run(&[
        "scan",
        "--config",
        config.to_str().expect("utf-8"),
        "--now",
        common::NOW,
        EXAMPLE,
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(doc["summary"]["images_not_owned"], 2);
    assert_eq!(
        public(&doc),
        BTreeSet::from(["ami-0123456789abcdef0".to_string()])
    );
}

/// Issue 23: `--benchmark cis-compute-v1` runs the rules mapped to the CIS
/// AWS Compute Services Benchmark v1.0.0 with its parameters (images at most
/// 90 days old) and judges each control: failed with findings, passed only
/// when every mapped rule judged every image, not assessed otherwise (with
/// why) — in text, JSON and Markdown. Flags and the config still override.
#[test]
fn issue_23_the_cis_compute_benchmark_judges_each_control() {
    use crate::common::EXAMPLE;
    let scan = |extra: &[&str]| {
        let (code, doc, err) = common::scan_example_json(EXAMPLE, "2026-11-30T00:00:00Z", extra);
        assert_ne!(code, 2, "{err}");
        doc
    };
    let status = |doc: &serde_json::Value| -> std::collections::BTreeMap<String, (String, u64)> {
        doc["summary"]["benchmark"]["controls"]
            .as_array()
            .expect("controls")
            .iter()
            .map(|c| {
                (
                    c["control"].as_str().unwrap_or_default().to_string(),
                    (
                        c["status"].as_str().unwrap_or_default().to_string(),
                        c["findings"].as_u64().unwrap_or(0),
                    ),
                )
            })
            .collect()
    };
    let doc = scan(&["--benchmark", "cis-compute-v1"]);
    assert_eq!(
        doc["summary"]["benchmark"]["framework"],
        "cis-compute-v1.0.0"
    );
    let ran: BTreeSet<&str> = doc["scan"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert_eq!(
        ran,
        BTreeSet::from([
            "AMI003", "AMI006", "AMI008", "AMI017", "AMI020", "AMI025", "AMI202", "AMI203"
        ])
    );
    let got = status(&doc);
    let want = |s: &str, n: u64| (s.to_string(), n);
    assert_eq!(
        got["2.1.1"],
        want("not assessed", 0),
        "AMI017 without a pattern"
    );
    assert_eq!(got["2.1.2"], want("failed", 2));
    assert_eq!(got["2.1.3"], want("not assessed", 0));
    // 90 days, not the default 365: payments (527), FortiGate (881), buildhost (2820 days).
    assert_eq!(got["2.1.4"], want("failed", 3));
    assert_eq!(got["2.1.5"], want("failed", 1));
    let public = doc["summary"]["benchmark"]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|c| c["control"] == "2.1.5")
        .expect("2.1.5");
    assert_eq!(
        public["images"],
        serde_json::json!(["ami-0123456789abcdef0"]),
        "the failing image"
    );
    assert_eq!(
        got["2.2.1"],
        want("not assessed", 0),
        "no account settings offline"
    );
    assert_eq!(
        got["2.2.2"],
        want("not assessed", 0),
        "snapshot data missing"
    );

    // With the snapshot files, 2.2.2 is judged; a flag still wins over the profile.
    let doc = scan(&[
        "--benchmark",
        "cis-compute-v1.0.0",
        "--snapshots-file",
        "fixtures/examples/describe-snapshots.json",
        "--snapshots-file",
        "fixtures/examples/snapshot-permissions.json",
        "--max-age-days",
        "1000",
    ]);
    let got = status(&doc);
    assert_eq!(got["2.2.2"].0, "failed");
    assert_eq!(
        got["2.1.4"],
        want("failed", 1),
        "1,000 days from the flag: buildhost only"
    );
    // A selection narrows the run: the other controls say they were not run.
    let doc = scan(&["--benchmark", "cis-compute-v1", "--select", "AMI006"]);
    let controls = doc["summary"]["benchmark"]["controls"]
        .as_array()
        .expect("controls");
    let encrypted = controls
        .iter()
        .find(|c| c["control"] == "2.1.2")
        .expect("2.1.2");
    assert_eq!(encrypted["status"], "not assessed");
    assert!(
        encrypted["reason"]
            .as_str()
            .is_some_and(|r| r.contains("AMI003 did not run"))
    );

    let (_, text, _) = common::run(&[
        "scan",
        "--no-config",
        "--now",
        "2026-11-30T00:00:00Z",
        EXAMPLE,
        "--benchmark",
        "cis-compute-v1",
    ]);
    assert!(text.contains("CIS AWS Compute Services Benchmark v1.0.0 (cis-compute-v1.0.0): 3 failed, 0 passed, 4 not assessed"), "{text}");
    let (_, markdown, _) = common::run(&[
        "scan",
        "--no-config",
        "--now",
        "2026-11-30T00:00:00Z",
        EXAMPLE,
        "--benchmark",
        "cis-compute-v1",
        "--format",
        "markdown",
    ]);
    assert!(
        markdown.contains(
            "| 2.1.5 | **failed** | Ensure Images are not Publicly Available | AMI006 | 1 |"
        ),
        "{markdown}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("amilint.toml");
    std::fs::write(&config, "benchmark = \"cis-compute\"\n").expect("write");
    let (_, out, err) = common::run(&[
        "scan",
        "--config",
        config.to_str().expect("utf-8"),
        "--now",
        "2026-11-30T00:00:00Z",
        EXAMPLE,
        "--format",
        "json",
    ]);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(
        doc["summary"]["benchmark"]["framework"],
        "cis-compute-v1.0.0"
    );
    let (code, _, err) = common::run(&[
        "scan",
        "--no-config",
        EXAMPLE,
        "--benchmark",
        "cis-aws-foundations",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--benchmark: unknown benchmark `cis-aws-foundations`"),
        "{err}"
    );
}

/// Issue 33: the image rules' fixtures are one base image plus, per image,
/// the fields that matter (`common::fixtures`): the committed exports are
/// what the sources build. `AMILINT_WRITE_FIXTURES=1 cargo test rule_fixtures`
/// writes them after a source changes.
#[test]
fn issue_33_rule_fixtures_are_the_base_image_plus_the_fields_that_matter() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let base = std::fs::read_to_string(dir.join("images/base-image.json")).expect("base image");
    let write = std::env::var_os("AMILINT_WRITE_FIXTURES").is_some();
    let mut sources: Vec<_> = std::fs::read_dir(dir.join("images"))
        .expect("fixtures/rules/images")
        .map(|e| e.expect("entry").path())
        .filter(|p| !p.ends_with("base-image.json"))
        .collect();
    sources.sort();
    assert!(sources.len() >= 20, "{sources:?}");
    for source in sources {
        let name = source.file_name().expect("name").to_owned();
        let built =
            common::fixtures::build(&base, &std::fs::read_to_string(&source).expect("source"));
        let target = dir.join(&name);
        if write {
            std::fs::write(&target, &built).expect("write fixture");
        }
        let committed = std::fs::read_to_string(&target).unwrap_or_default();
        assert!(
            committed == built,
            "{} is not what {} builds: run AMILINT_WRITE_FIXTURES=1 cargo test rule_fixtures",
            target.display(),
            source.display()
        );
    }
}

/// Issue 35: the not-owned hint says to name the accounts only when none
/// are named; with `--owner` it says to add one.
#[test]
fn issue_35_the_not_owned_hint_fits_whether_owners_are_named() {
    let (_, text, _) = common::run(&["scan", "--no-config", common::EXAMPLE]);
    assert!(text.contains("— name your accounts with --owner"), "{text}");
    let (_, text, _) = common::run(&[
        "scan",
        "--no-config",
        common::EXAMPLE,
        "--owner",
        "111122223333",
    ]);
    assert!(!text.contains("name your accounts"), "{text}");
    assert!(
        text.contains("— add an owner to --owner or `owners` if they are yours"),
        "{text}"
    );
}
