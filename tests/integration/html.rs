//! The HTML report in a real browser: Debian's Chromium, headless, driven by
//! playwright-core (both installed by scripts/test.sh). What a person sees —
//! the counts, the chart, the table before and after filtering and sorting,
//! an image's remediation — is compared with the JSON report of the same
//! scan, hostile image text must stay text, and the page must make no
//! network request. Screenshots are kept in `target/tmp/`: `html-report.png`
//! (1,400 px wide), `html-report-800.png` (800 px) and `html-report-detail.png`
//! (an image's panel open).

use crate::common;

use std::path::Path;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const IMAGE: &str = "ami-000000000002752a3";

#[test]
fn the_html_report_works_in_a_browser() {
    crate::common::externals::needs!(Browser);
    let dir = tempfile::tempdir().expect("temp dir");
    let evil = dir.path().join("evil.json");
    std::fs::write(
        &evil,
        r#"{"Images": [{"ImageId": "ami-e", "Public": true,
            "Name": "</script><img src=x onerror=alert(1)><script>alert(2)</script>",
            "Tags": [{"Key": "amilint:ignore", "Value": "AMI002"}],
            "AmilintReferences": [
              {"ResourceType": "ec2:Instance", "Arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0"},
              {"ResourceType": "ec2:LaunchTemplate", "Arn": "arn:aws:ec2:eu-west-1:111122223333:launch-template/lt-0123456789abcdef0\"><img src=x>"}]}]}"#,
    )
    .expect("write");
    let html = dir.path().join("report.html");
    let json = dir.path().join("report.json");
    let out = common::amilint()
        .args([
            "scan",
            "fixtures/formats/mixed.json",
            evil.to_str().expect("utf-8"),
            "--no-config",
            "--now",
            common::NOW,
            "--format",
            "none",
            "-o",
        ])
        .arg(format!("html={}", html.display()))
        .arg("-o")
        .arg(format!("json={}", json.display()))
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("JSON");

    let check = Path::new(ROOT).join("tests/html/check.js");
    assert!(
        Path::new(ROOT)
            .join("tests/html/node_modules/playwright-core")
            .exists(),
        "playwright-core is missing: run scripts/test.sh"
    );
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let run = std::process::Command::new("node")
        .arg(&check)
        .arg(&html)
        .arg(&shot)
        .arg(IMAGE)
        .output()
        .expect("node runs (and Chromium: run scripts/test.sh)");
    assert!(
        run.status.success(),
        "browser check failed:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let seen: Value = serde_json::from_slice(&run.stdout).expect("the check prints JSON");
    eprintln!("screenshot: {}", shot.display());
    assert!(shot.exists(), "screenshot written");

    let summary = &report["summary"];
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(
        seen["problems"],
        serde_json::json!([]),
        "no error, dialog or request"
    );
    assert_eq!(seen["injected"], 0, "hostile names stay text");
    assert_eq!(seen["pageTextHasScript"], true, "and are shown as written");
    assert_eq!(seen["total"], summary["findings"]);
    for severity in ["critical", "high", "medium", "low", "info"] {
        assert_eq!(
            seen["bySeverity"][severity], summary["by_severity"][severity],
            "{severity}"
        );
    }
    let bars: Vec<&Value> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|s| &summary["by_severity"][*s])
        .collect();
    assert_eq!(
        seen["bars"]
            .as_array()
            .expect("bars")
            .iter()
            .collect::<Vec<_>>(),
        bars
    );
    // Issue 22: the rule chart has the rules with findings, most first, named.
    let with_findings: Vec<(&String, &Value)> = summary["by_rule"]
        .as_object()
        .expect("by_rule")
        .iter()
        .filter(|(_, n)| n.as_u64() > Some(0))
        .collect();
    let rule_bars = seen["ruleBars"].as_array().expect("rule bars");
    assert_eq!(rule_bars.len(), with_findings.len(), "no zero rows");
    let counts: Vec<u64> = rule_bars
        .iter()
        .filter_map(|b| b["count"].as_u64())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most first: {counts:?}"
    );
    for (bar, label) in rule_bars
        .iter()
        .zip(seen["ruleLabels"].as_array().expect("labels"))
    {
        let code = bar["rule"].as_str().expect("code");
        assert_eq!(bar["count"], summary["by_rule"][code]);
        let label = label.as_str().expect("label");
        assert!(
            label.starts_with(code) && label.len() > code.len() + 3,
            "named: {label}"
        );
    }
    // Clicking a bar filters the table to that rule / severity.
    let rule = seen["ruleFilter"]["rule"].as_str().expect("rule");
    assert_eq!(seen["ruleFilter"]["selected"], rule);
    assert_eq!(seen["ruleFilter"]["rows"], summary["by_rule"][rule]);
    assert_eq!(seen["severityFilter"], "critical");
    // The scan time to the second; the gate's verdict line.
    let meta = seen["meta"].as_str().expect("meta");
    assert!(meta.contains("scanned at 2026-06-01T00:00:00Z"), "{meta}");
    assert!(
        seen["gate"]
            .as_str()
            .is_some_and(|g| g.contains("gate: failed (")),
        "{}",
        seen["gate"]
    );
    // The layout at 1,400 and 800 px: nothing overflows the window; at
    // 1,400 the message column is the widest and the image column is not.
    for width in ["layout1400", "layout800"] {
        let layout = &seen[width];
        assert!(
            layout["overflow"].as_f64() <= Some(0.5),
            "{width}: {layout}"
        );
        assert!(
            layout["message"].as_f64() > layout["image"].as_f64(),
            "{width}: {layout}"
        );
    }
    assert!(
        seen["layout1400"]["message"].as_f64() > Some(400.0),
        "{}",
        seen["layout1400"]
    );
    assert!(
        seen["layout1400"]["image"].as_f64() < Some(260.0),
        "{}",
        seen["layout1400"]
    );
    // Top images: the most severe first, at most ten, each with findings.
    let top = seen["topImages"].as_array().expect("top images");
    assert!(!top.is_empty() && top.len() <= 10);
    for shot in [
        "html-report.png",
        "html-report-800.png",
        "html-report-detail.png",
    ] {
        assert!(
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(shot).exists(),
            "{shot} kept"
        );
    }
    assert_eq!(seen["rows"].as_u64(), Some(findings.len() as u64));
    assert_eq!(seen["firstSeverity"], "critical", "most severe first");
    assert_eq!(
        seen["reversedFirst"], "low",
        "a click on the header reverses"
    );

    let of_image = findings.iter().filter(|f| f["image_id"] == IMAGE).count();
    let filtered = seen["filtered"].as_array().expect("filtered rows");
    assert_eq!(
        filtered.len(),
        of_image,
        "the filter keeps that image's findings"
    );
    assert!(filtered.iter().all(|r| r["image"] == IMAGE));
    let critical = findings
        .iter()
        .filter(|f| f["severity"] == "critical")
        .count();
    assert_eq!(seen["critical"].as_u64(), Some(critical as u64));
    // Issue 20: the image in use (ami-e) is counted, filtered and sorted on.
    let in_use = findings
        .iter()
        .filter(|f| f["usage"]["total"].as_u64().unwrap_or(0) > 0)
        .count();
    assert!(in_use > 0);
    assert_eq!(seen["inUseCard"].as_u64(), Some(in_use as u64));
    let rows = seen["inUse"].as_array().expect("in-use rows");
    assert_eq!(rows.len(), in_use);
    assert!(rows.iter().all(|r| r["image"] == "ami-e"));
    assert_eq!(seen["mostUsedFirst"], "ami-e", "sorted by use, most first");

    assert!(
        seen["detailHeading"]
            .as_str()
            .is_some_and(|h| h.contains(IMAGE))
    );
    assert_eq!(seen["detailInView"], true, "the image panel opens in view");
    assert_eq!(seen["detailClosed"], true, "Escape closes it");
    let remediations = seen["remediations"].as_array().expect("remediations");
    assert_eq!(remediations.len(), of_image);
    // Markdown shown as such: no raw backticks, code as code; with the exact
    // command there, not the docs' generic `ami-0abc` example.
    assert!(seen["remediationCode"].as_u64() > Some(0));
    for r in remediations {
        let text = r.as_str().expect("text");
        assert!(!text.contains('`'), "raw backticks: {text}");
        if text.contains("Exact fix for this image") {
            assert!(
                !text.contains("ami-0abc"),
                "generic example beside the exact fix: {text}"
            );
        }
    }
    assert!(remediations.iter().any(|r| {
        r.as_str()
            .is_some_and(|t| t.contains("--imds-support v2.0"))
    }));
}
