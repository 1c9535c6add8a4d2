//! Issue 31: `amilint securityhub import` against moto's Security Hub on
//! loopback (BatchImportFindings, GetFindings), with the fixture endpoint's
//! BatchUpdateFindings and AWS's treatment of a re-imported finding: import,
//! re-import, archive what was resolved, suppress what was waived; the counts
//! checked through GetFindings.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::servers::{amilint_live, fixture_server, start_moto, venv_json};

use crate::common::NOW;

/// Every finding moto's Security Hub holds (GetFindings through boto3).
fn hub(moto: &str) -> Vec<Value> {
    let script = r#"
import json, sys, boto3
c = boto3.client("securityhub", region_name="eu-west-1", endpoint_url=sys.argv[1],
                 aws_access_key_id="AKIDTEST", aws_secret_access_key="test")
found = []
for page in c.get_paginator("get_findings").paginate():
    found.extend(page["Findings"])
print(json.dumps(found, default=str))
"#;
    venv_json(script, &[moto])
        .as_array()
        .expect("findings")
        .clone()
}

fn count(findings: &[Value], test: impl Fn(&Value) -> bool) -> usize {
    findings.iter().filter(|f| test(f)).count()
}

/// `scan` of `images` with `config`, its ASFF report at `out`.
fn scan_asff(images: &Path, config: &Path, out: &Path) -> usize {
    let (code, _, err) = crate::common::run(&[
        "scan",
        "--config",
        &config.to_string_lossy(),
        "--now",
        NOW,
        &images.to_string_lossy(),
        "-o",
        &format!("asff={}", out.display()),
        "--asff-account",
        "123456789012",
        "--asff-region",
        "eu-west-1",
    ]);
    assert!(code < 2, "{err}");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(out).expect("asff")).expect("json");
    doc["Findings"].as_array().map_or(0, Vec::len)
}

#[test]
fn issue_31_security_hub_import_archives_the_resolved_and_suppresses_the_waived() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    let endpoint = fixture_server(
        "fixtures/examples/describe-images.json",
        &["--upstream", &moto.url()],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string("fixtures/examples/describe-images.json").expect("example"),
    )
    .expect("json");
    let images = example["Images"].as_array().expect("Images").clone();
    let first = dir.path().join("first.json");
    std::fs::write(&first, json!({ "Images": images }).to_string()).expect("write");
    let plain = dir.path().join("plain.toml");
    std::fs::write(&plain, "").expect("config");
    let report1 = dir.path().join("first.asff.json");
    let n1 = scan_asff(&first, &plain, &report1);
    assert!(n1 > 5, "{n1}");

    let url = endpoint.url();
    let import = |report: &Path, extra: &[&str]| {
        let mut args = vec![
            "securityhub",
            "import",
            report.to_str().expect("path"),
            "--endpoint-url",
            &url,
            "--region",
            "eu-west-1",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = amilint_live(&args);
        let outcome: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
        (code, outcome, err)
    };
    let (code, outcome, err) = import(&report1, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(outcome["imported"], n1);
    assert_eq!(outcome["archived"], 0);
    let held = hub(&moto.url());
    assert_eq!(held.len(), n1, "every finding in the hub");
    // Imported again unchanged: nothing new, nothing archived.
    let (code, outcome, err) = import(&report1, &[]);
    assert_eq!((code, outcome["archived"].as_u64()), (0, Some(0)), "{err}");
    assert_eq!(hub(&moto.url()).len(), n1);

    // The next scan: the first image is gone (its findings resolved), and a
    // waiver now covers AMI002 on every image.
    let doc1: Value =
        serde_json::from_str(&std::fs::read_to_string(&report1).expect("asff")).expect("json");
    let gone = doc1["Findings"][0]["Resources"][0]["Details"]["Other"]["ImageId"]
        .as_str()
        .expect("the first finding's image")
        .to_string();
    let rest: Vec<&Value> = images
        .iter()
        .filter(|i| i["ImageId"] != gone.as_str())
        .collect();
    assert_eq!(rest.len() + 1, images.len());
    let second = dir.path().join("second.json");
    std::fs::write(&second, json!({ "Images": rest }).to_string()).expect("write");
    let waived = dir.path().join("waived.toml");
    std::fs::write(
        &waived,
        "[[waivers]]\nrules = [\"AMI002\"]\nimages = [\"name:*\"]\nreason = \"deprecation set by the release pipeline\"\nexpires = \"2099-01-01\"\n",
    )
    .expect("config");
    let report2 = dir.path().join("second.asff.json");
    let n2 = scan_asff(&second, &waived, &report2);
    let doc2: Value =
        serde_json::from_str(&std::fs::read_to_string(&report2).expect("asff")).expect("json");
    let suppressed_now = count(doc2["Findings"].as_array().expect("findings"), |f| {
        f["Workflow"]["Status"] == "SUPPRESSED"
    });
    assert!(suppressed_now > 0, "the waiver covers something");
    let resolved = count(&held, |f| {
        f["Id"].as_str().is_some_and(|id| id.contains(&gone))
    });
    assert!(resolved > 0);
    let (code, outcome, err) = import(&report2, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(outcome["imported"], n2);
    assert_eq!(outcome["archived"], resolved);
    assert_eq!(outcome["suppressed"], suppressed_now);
    assert!(outcome["calls"]["BatchUpdateFindings"].as_u64() >= Some(1));
    let after = hub(&moto.url());
    let active = |f: &Value| f["RecordState"] == "ACTIVE";
    assert_eq!(count(&after, active), n2);
    let archived: Vec<&Value> = after
        .iter()
        .filter(|f| f["RecordState"] == "ARCHIVED")
        .collect();
    assert_eq!(archived.len(), resolved);
    for f in &archived {
        assert_eq!(f["Compliance"]["Status"], "PASSED", "{f}");
        assert!(f["Id"].as_str().is_some_and(|id| id.contains(&gone)));
    }
    let suppressed: Vec<&Value> = after
        .iter()
        .filter(|f| f["Workflow"]["Status"] == "SUPPRESSED")
        .collect();
    assert_eq!(suppressed.len(), suppressed_now);
    for f in &suppressed {
        assert_eq!(f["GeneratorId"], "amilint/AMI002");
        assert_eq!(
            f["Note"]["Text"],
            "deprecation set by the release pipeline (waiver until 2099-01-01)"
        );
    }

    // With --previous, the resolved findings come from the previous report.
    let (code, outcome, err) = import(&report2, &["--previous", report1.to_str().expect("path")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        outcome["archived"], resolved,
        "archived again, still resolved"
    );

    // A finding Security Hub refuses (moto: no resources) is reported, exit 2.
    let mut broken = doc2.clone();
    broken["Findings"][0]["Resources"] = json!([]);
    let bad = dir.path().join("broken.asff.json");
    std::fs::write(&bad, broken.to_string()).expect("write");
    let (code, outcome, err) = import(&bad, &["--no-archive"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(outcome["failed"].as_array().map(Vec::len), Some(1));
    assert_eq!(outcome["imported"], n2 - 1);
    let id = broken["Findings"][0]["Id"].as_str().expect("id");
    assert!(err.contains(id) && err.contains("InvalidInput"), "{err}");
}

#[test]
fn issue_31_a_report_that_is_not_amilint_asff_is_refused_at_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"Findings\": [\n  {\"Id\": \"x\", \"Severity\": 3}\n]}\n",
    )
    .expect("write");
    let (code, _, err) = amilint_live(&[
        "securityhub",
        "import",
        bad.to_str().expect("path"),
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--region",
        "eu-west-1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.json:2:"), "{err}");
}
