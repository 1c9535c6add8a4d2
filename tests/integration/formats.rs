//! One snapshot per output format, over fixtures/formats/mixed.json.

use crate::common;

use amilint::output::Format;

/// The fixture scanned by the rules that find (or note) something in it: formats
/// are tested once, so a new rule changes these snapshots only if it has
/// something to say about this fixture.
fn mixed() -> amilint::finding::Report {
    common::scan(&[MIXED], &mixed_plan())
}

const MIXED: &str = "fixtures/formats/mixed.json";

fn mixed_plan() -> amilint::plan::ScanPlan {
    let mut plan = common::plan();
    let all = common::scan(&[MIXED], &plan);
    plan.rules.retain(|r| {
        all.findings.iter().any(|f| f.rule.code == r.code)
            || all.notes.iter().any(|n| n.rule.code == r.code)
    });
    plan
}

#[test]
fn text() {
    insta::assert_snapshot!(common::render(&mixed(), Format::Text));
}

#[test]
fn json() {
    let out = common::render(&mixed(), Format::Json);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json output parses");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["summary"]["images_skipped"], 1);
    assert_eq!(
        doc["summary"]["findings"].as_u64(),
        Some(doc["findings"].as_array().map_or(0, |a| a.len() as u64))
    );
    insta::assert_snapshot!(out);
}

#[test]
fn sarif() {
    let out = common::render(&mixed(), Format::Sarif);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("sarif output parses");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for rule in rules {
        for key in ["shortDescription", "fullDescription", "help"] {
            let text = rule[key]["text"].as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "{} lacks {key}", rule["id"]);
        }
        assert!(rule["help"]["markdown"].is_string());
        assert!(rule["properties"]["security-severity"].is_string());
    }
    for result in run["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let loc = &result["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "fixtures/formats/mixed.json"
        );
        // The line is the related location's (GitHub's upload re-hashes a
        // primary location with one).
        assert!(loc["physicalLocation"]["region"].is_null());
        let at = &result["relatedLocations"][0]["physicalLocation"];
        assert_eq!(
            at["artifactLocation"],
            loc["physicalLocation"]["artifactLocation"]
        );
        assert!(at["region"]["startLine"].as_u64().is_some_and(|l| l > 1));
        assert!(
            loc["logicalLocations"][0]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("ami-"))
        );
        assert!(
            result["partialFingerprints"]["amilint/v2"].is_string()
                && result["partialFingerprints"]["primaryLocationLineHash"].is_string()
        );
    }
    insta::assert_snapshot!(out);
}

/// Each image's findings point at the line where that image's object starts.
#[test]
fn lines_point_at_image_objects() {
    let report = mixed();
    let text = std::fs::read_to_string("fixtures/formats/mixed.json").expect("fixture");
    let lines: Vec<&str> = text.lines().collect();
    for f in &report.findings {
        let line = lines[f.location.line as usize - 1];
        assert_eq!(
            line.trim(),
            "{",
            "finding line {} is not an object start",
            f.location.line
        );
        let next: String = lines[f.location.line as usize..]
            .iter()
            .take(40)
            .copied()
            .collect();
        assert!(
            next.contains(&*f.image_id),
            "{} not near line {}",
            f.image_id,
            f.location.line
        );
    }
}

/// The streamed SARIF is the same document as serde-sarif's typed model, and
/// that model reads it back.
#[test]
fn streamed_sarif_matches_the_typed_model() {
    let report = mixed();
    let category = Some("images/prod".to_string());
    let typed = serde_json::to_value(amilint::output::sarif::build(&report, category.clone()))
        .expect("typed model serialises");
    assert_eq!(typed["runs"][0]["automationDetails"]["id"], "images/prod/");
    let settings = amilint::output::Settings {
        category,
        ..amilint::output::Settings::default()
    };
    let mut out = Vec::new();
    amilint::output::emit_with(Format::Sarif, &report, &settings, &mut out).expect("emit");
    let streamed: serde_json::Value = serde_json::from_slice(&out).expect("streamed parses");
    assert_eq!(typed, streamed);
    let _: serde_sarif::sarif::Sarif =
        serde_json::from_slice(&out).expect("serde-sarif reads it back");
}

/// A finding on a field the image has points at that field's line; one on an
/// absent field (no `ImdsSupport`, say) has no field line.
#[test]
fn field_lines_point_at_the_offending_field() {
    let report = common::scan(&["fixtures/examples/describe-images.json"], &common::plan());
    let text = std::fs::read_to_string("fixtures/examples/describe-images.json").expect("fixture");
    let lines: Vec<&str> = text.lines().collect();
    let mut seen = 0;
    for f in &report.findings {
        let key = f
            .location
            .pointer
            .tokens()
            .last()
            .cloned()
            .unwrap_or_default();
        match f.location.field_line {
            Some(line) => {
                seen += 1;
                assert!(line >= f.location.line);
                let at = lines[line as usize - 1];
                assert!(
                    at.contains(&format!("\"{key}\"")),
                    "{}: line {line} is `{at}`",
                    f.rule.code
                );
            }
            None => assert!(
                f.message.contains("absent") || f.message.contains("not set"),
                "{} has no field line: {}",
                f.rule.code,
                f.message
            ),
        }
    }
    assert!(seen > 5);
}

#[test]
fn github() {
    let out = common::render(&mixed(), Format::Github);
    assert!(
        out.lines().all(|l| l.starts_with("::error ")
            || l.starts_with("::warning ")
            || l.starts_with("::notice ")
            || l.starts_with("amilint: ") && l.contains("gate: ")),
        "{out}"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn markdown() {
    insta::assert_snapshot!(common::render(&mixed(), Format::Markdown));
}

/// Image names and tags are attacker-controlled: no format lets them start a
/// new workflow command, a table row, HTML or a link.
#[test]
fn github_and_markdown_escape_image_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("evil.json");
    std::fs::write(
        &path,
        r#"{"Images": [{"ImageId": "ami-1", "Public": true,
            "Name": "x\n::error file=a,line=1::forged | <script>alert(1)</script> [click](http://evil)"}]}"#,
    )
    .expect("write");
    let path = path.to_str().expect("utf-8").to_string();
    let report = common::scan(&[&path], &common::plan());
    let github = common::render(&report, Format::Github);
    assert_eq!(
        github.lines().count(),
        report.findings.len() + report.notes.len() + 1,
        "one line per finding and note, and the gate's: {github}"
    );
    assert!(!github.contains("\n::error file=a"), "{github}");
    let markdown = common::render(&report, Format::Markdown);
    assert!(
        !markdown.contains("<script>") && markdown.contains("&lt;script&gt;"),
        "{markdown}"
    );
    assert!(!markdown.contains("[click]"), "{markdown}");
    let row = markdown
        .lines()
        .find(|l| l.contains("ami-1 ("))
        .expect("a top-findings row");
    assert_eq!(
        row.matches(" | ").count(),
        3,
        "the name cannot add a column: {row}"
    );
}

#[test]
fn junit() {
    let mut plan = mixed_plan();
    plan.keep_images = true;
    let report = common::scan(&[MIXED], &plan);
    let out = common::render(&report, Format::Junit);
    insta::assert_snapshot!(out);
    // Well-formed XML with one case per (image, rule), and the `amilint`
    // suite's gate case, checked by Python's parser.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, &out).expect("write");
    let check = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as ET\n\
             root = ET.parse(sys.argv[1]).getroot()\n\
             cases = root.findall('.//testcase')\n\
             assert len(cases) == int(root.get('tests')) == int(sys.argv[2]), len(cases)\n\
             assert len(root.findall('.//failure')) == int(root.get('failures'))",
            path.to_str().expect("utf-8"),
            &(report.rules.len() as u64 * report.images_scanned + 1).to_string(),
        ])
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn junit_escapes_image_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("evil.json");
    std::fs::write(
        &input,
        r#"{"Images": [{"ImageId": "ami-1", "Public": true, "Name": "a\"/><x>&\u0001</testsuites>"}]}"#,
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_amilint"))
        .args([
            "scan",
            input.to_str().expect("utf-8"),
            "--no-config",
            "--format",
            "junit",
            "--select",
            "AMI006",
        ])
        .output()
        .expect("runs");
    let xml = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(xml.matches("</testsuites>").count(), 1, "{xml}");
    assert!(
        xml.contains("a&quot;/&gt;&lt;x&gt;&amp;\u{fffd}&lt;/testsuites&gt;"),
        "{xml}"
    );
}

/// ASFF and OCSF (issue 17 item 8: every format has its snapshot), for the
/// offline scan's Security Hub account and region.
#[test]
fn asff_and_ocsf() {
    let report = mixed();
    let settings = amilint::output::Settings {
        asff_target: Some(("111122223333".to_string(), "eu-west-1".to_string())),
        ..amilint::output::Settings::default()
    };
    for (name, format) in [("asff", Format::Asff), ("ocsf", Format::Ocsf)] {
        let out = common::render_with(&report, format, &settings);
        serde_json::from_str::<serde_json::Value>(&out).expect("JSON");
        insta::assert_snapshot!(name, out);
    }
}

/// The HTML report's data (issue 17 item 8): its two JSON blocks, which the
/// page's script renders (the page itself is tested in Chromium, `html`).
#[test]
fn html_data() {
    let page = common::render(&mixed(), Format::Html);
    let block = |id: &str| -> serde_json::Value {
        let open = format!("<script id=\"{id}\" type=\"application/json\">");
        let start = page.find(&open).expect("block") + open.len();
        let end = start + page[start..].find("</script>").expect("end of block");
        serde_json::from_str(&page[start..end]).expect("JSON data")
    };
    let data = serde_json::json!({
        "findings": block("amilint-findings"),
        "report": block("amilint-report"),
    });
    insta::assert_snapshot!(serde_json::to_string_pretty(&data).expect("JSON"));
}
