//! Issue 20: who uses each image (DescribeImageReferences) and where it comes
//! from (GetImageAncestry), live against the fixture endpoint, and what the
//! findings say of it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::servers::fixture_server;
use crate::live::live_json;

const KINDS: [(&str, &str); 5] = [
    (
        "ec2:Instance",
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-",
    ),
    (
        "ec2:LaunchTemplate",
        "arn:aws:ec2:eu-west-1:111122223333:launch-template/lt-",
    ),
    (
        "ssm:Parameter",
        "arn:aws:ssm:eu-west-1:111122223333:parameter/golden-",
    ),
    (
        "imagebuilder:ImageRecipe",
        "arn:aws:imagebuilder:eu-west-1:111122223333:image-recipe/r-",
    ),
    (
        "imagebuilder:ContainerRecipe",
        "arn:aws:imagebuilder:eu-west-1:111122223333:container-recipe/c-",
    ),
];

/// 25 images without IMDSv2 (AMI001, high): image 0 referenced 1,000 times
/// across the five resource types, image 1 once, the rest by nothing; and
/// ancestries of 1 to 5 images, one ending at a parent EC2 no longer knows.
fn export(dir: &std::path::Path) -> String {
    let images: Vec<Value> = (0..25)
        .map(|i| {
            let references: Vec<Value> = match i {
                0 => (0..1000)
                    .map(|n| {
                        let (kind, arn) = KINDS[n % 5];
                        json!({"ResourceType": kind, "Arn": format!("{arn}{n:05}")})
                    })
                    .collect(),
                1 => vec![json!({"ResourceType": KINDS[1].0, "Arn": format!("{}1", KINDS[1].1)})],
                _ => vec![],
            };
            let id = format!("ami-{i:017x}");
            // Ancestry of length 1 + i % 5: this image, then parents up to an Amazon root.
            let depth = 1 + i % 5;
            let mut chain: Vec<Value> = (0..depth)
                .map(|d| {
                    let me = if d == 0 {
                        id.clone()
                    } else {
                        format!("ami-{i:09x}{d:08x}")
                    };
                    let mut entry =
                        json!({"CreationDate": "2026-01-01T00:00:00.000Z", "ImageId": me});
                    if d + 1 < depth {
                        entry["SourceImageId"] = json!(format!("ami-{i:09x}{:08x}", d + 1));
                        entry["SourceImageRegion"] = json!("eu-west-1");
                    }
                    entry
                })
                .collect();
            let last = chain.len() - 1;
            if i == 7 {
                // The oldest image's source is gone.
                chain[last]["SourceImageId"] = json!("ami-0deadbeefdeadbeef");
                chain[last]["SourceImageRegion"] = json!("eu-west-1");
            } else if depth > 1 {
                chain[last]["ImageOwnerAlias"] = json!(if i % 2 == 0 {
                    "amazon"
                } else {
                    "aws-marketplace"
                });
            }
            json!({"ImageId": id, "Name": format!("img-{i}"), "OwnerId": "111122223333",
                "State": "available", "CreationDate": "2025-01-01T00:00:00.000Z",
                "AmilintReferences": references, "AmilintAncestry": chain})
        })
        .collect();
    let path = dir.join("images.json");
    std::fs::write(&path, json!({"Images": images}).to_string()).expect("write");
    path.to_string_lossy().into_owned()
}

/// The findings of `doc` by image: (rule, severity, usage).
fn by_image(doc: &Value) -> BTreeMap<String, Vec<(String, String, Value)>> {
    let mut out: BTreeMap<String, Vec<(String, String, Value)>> = BTreeMap::new();
    for f in doc["findings"].as_array().expect("findings") {
        out.entry(f["image_id"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push((
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["usage"].clone(),
            ));
    }
    out
}

#[test]
fn issue_20_references_are_read_in_batches_and_every_finding_says_what_uses_its_image() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = export(dir.path());
    let server = fixture_server(&images, &["--page-size", "100"]);
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1",
        &[
            "--references",
            "--select",
            "AMI001,AMI013",
            "--raise-in-use",
            "one-level",
        ],
    );
    assert_eq!(code, 1, "{err}");
    // 25 images, 10 a call: 3 batches; the first batch's 1,001 references take 11 pages of 100.
    assert_eq!(
        server.calls("DescribeImageReferences"),
        11 + 1 + 1,
        "{}",
        server.stats()
    );
    let found = by_image(&doc);
    let first = &found[&format!("ami-{:017x}", 0)];
    let usage = &first[0].2;
    assert_eq!(usage["total"], 1000);
    assert_eq!(
        usage["by_type"],
        json!({"ec2:Instance": 200, "ec2:LaunchTemplate": 200, "imagebuilder:ContainerRecipe": 200,
               "imagebuilder:ImageRecipe": 200, "ssm:Parameter": 200})
    );
    assert_eq!(usage["resources"].as_array().map(Vec::len), Some(10));
    // Raised one level on images in use only; AMI013 never flags them.
    assert_eq!(
        (first[0].0.as_str(), first[0].1.as_str()),
        ("AMI001", "critical")
    );
    assert_eq!(first.len(), 1, "{first:?}");
    let second = &found[&format!("ami-{:017x}", 1)];
    assert_eq!(second[0].1, "critical");
    assert_eq!(second[0].2["total"], 1);
    let unused = &found[&format!("ami-{:017x}", 2)];
    assert_eq!(
        unused
            .iter()
            .map(|(r, s, u)| (r.as_str(), s.as_str(), u["total"].clone()))
            .collect::<Vec<_>>(),
        vec![("AMI001", "high", json!(0)), ("AMI013", "low", json!(0))]
    );
    assert_eq!(doc["scan"]["api_calls"], 1 + 1 + 13);
    // Text says it on the image's line; SARIF in the result's properties.
    // One run: text on stdout, SARIF, Markdown and HTML to files.
    let url = server.url();
    let (sarif, md, html) = (
        dir.path().join("r.sarif"),
        dir.path().join("r.md"),
        dir.path().join("r.html"),
    );
    let outputs = [
        format!("sarif={}", sarif.display()),
        format!("markdown={}", md.display()),
        format!("html={}", html.display()),
    ];
    let (_, out, _) = crate::common::servers::amilint_live(&[
        "scan",
        "--aws",
        "--no-guardrails",
        "--references",
        "--endpoint-url",
        &url,
        "--region",
        "eu-west-1",
        "--select",
        "AMI001",
        "-o",
        &outputs[0],
        "-o",
        &outputs[1],
        "-o",
        &outputs[2],
    ]);
    assert!(
        out.contains("(in use: 200 ec2:Instance, 200 ec2:LaunchTemplate, 200 imagebuilder:ContainerRecipe, 200 imagebuilder:ImageRecipe, 200 ssm:Parameter)"),
        "{out}"
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).expect("sarif")).expect("json");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["properties"]["usage"]["total"], 1000, "{result}");
    // Markdown names the use beside the image; HTML carries it for its column and panel.
    let md = std::fs::read_to_string(&md).expect("markdown");
    assert!(
        md.contains("— in use: 200 ec2:Instance, 200 ec2:LaunchTemplate"),
        "{md}"
    );
    let html = std::fs::read_to_string(&html).expect("html");
    assert!(
        html.contains(r#""usage":{"total":1000,"summary":"200 ec2:Instance"#),
        "html data"
    );
    assert!(html.contains("only images in use"));
}

#[test]
fn issue_20_the_gate_can_leave_out_images_known_to_be_unused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = export(dir.path());
    let server = fixture_server(&images, &[]);
    // AMI013 flags only the 23 unused images: with --gate-in-use none counts.
    let gate = |extra: &[&str]| {
        let mut args = vec!["--select", "AMI013", "--fail-on", "low"];
        args.extend_from_slice(extra);
        live_json(&server, "eu-west-1", &args)
    };
    let (code, doc, err) = gate(&["--references", "--gate-in-use"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        doc["findings"].as_array().map(Vec::len),
        Some(23),
        "still reported"
    );
    assert_eq!(doc["scan"]["gate_in_use"], true);
    let (code, _, err) = gate(&["--references"]);
    assert_eq!(code, 1, "without --gate-in-use they count: {err}");
    // Without reference data nothing is known unused: every finding counts.
    let (code, _, err) = gate(&["--gate-in-use"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn issue_20_a_failing_reference_call_is_an_error_and_usage_stays_unknown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = export(dir.path());
    // The call fails in one region of two: that scope's images have no
    // usage (unknown, never zero); the other scope's have theirs.
    let server = fixture_server(
        &images,
        &["--fail-action", "DescribeImageReferences@us-east-1"],
    );
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1,us-east-1",
        &["--references", "--select", "AMI001"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("us-east-1") && err.contains("DescribeImageReferences"),
        "{err}"
    );
    let usage_by_region = |region: &str| -> Vec<Value> {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["region"] == region)
            .map(|f| f["usage"].clone())
            .collect()
    };
    let failed = usage_by_region("us-east-1");
    assert!(!failed.is_empty() && failed.iter().all(Value::is_null));
    let fine = usage_by_region("eu-west-1");
    assert!(!fine.is_empty() && fine.iter().all(|u| u["total"].is_u64()));
}

#[test]
fn issue_20_ancestries_of_one_to_five_images_and_a_missing_parent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = export(dir.path());
    let config = dir.path().join("amilint.toml");
    std::fs::write(
        &config,
        "[rules.AMI025]\nallowed_root_owners = [\"amazon\"]\n",
    )
    .expect("config");
    let server = fixture_server(&images, &[]);
    let saved = dir.path().join("saved.json");
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1",
        &[
            "--ancestry",
            "--select",
            "AMI025",
            "--config",
            config.to_str().expect("utf-8"),
            "--save",
            saved.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(server.calls("GetImageAncestry"), 25);
    let flagged: BTreeMap<String, String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["image_id"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for i in 0..25usize {
        let id = format!("ami-{i:017x}");
        let depth = 1 + i % 5;
        // Approved: an Amazon root (even i, depth > 1). A chain of one image
        // is its own root, owned by nobody on the list.
        let approved = i != 7 && depth > 1 && i % 2 == 0;
        assert_eq!(!flagged.contains_key(&id), approved, "{id}: {flagged:?}");
    }
    assert!(
        flagged[&format!("ami-{:017x}", 7)]
            .contains("ami-0deadbeefdeadbeef is not known to EC2 any more")
    );
    // The saved export gives the same findings offline.
    let (_, out, _) = crate::common::run(&[
        "scan",
        saved.to_str().expect("utf-8"),
        "--select",
        "AMI025",
        "--config",
        config.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    let offline: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        crate::common::finding_keys(&offline.to_string()),
        crate::common::finding_keys(&doc.to_string())
    );
}

#[test]
fn issue_20_ancestry_roots_are_judged_by_owner_and_name_from_describe_images() {
    let dir = tempfile::tempdir().expect("temp dir");
    let chain = |me: &str, root: &str| {
        json!([
            {"CreationDate": "2026-01-01T00:00:00.000Z", "ImageId": me, "SourceImageId": root, "SourceImageRegion": "eu-west-1"},
            {"CreationDate": "2025-01-01T00:00:00.000Z", "ImageId": root}
        ])
    };
    let image = |id: &str, name: &str, owner: &str, ancestry: Option<Value>| {
        let mut image =
            json!({"ImageId": id, "Name": name, "OwnerId": owner, "State": "available"});
        if let Some(chain) = ancestry {
            image["AmilintAncestry"] = chain;
        }
        image
    };
    let images = json!({"Images": [
        image("ami-0aaaaaaaaaaaaaaa1", "app-1", "111122223333", Some(chain("ami-0aaaaaaaaaaaaaaa1", "ami-0ffffffffffffff01"))),
        image("ami-0aaaaaaaaaaaaaaa2", "app-2", "111122223333", Some(chain("ami-0aaaaaaaaaaaaaaa2", "ami-0ffffffffffffff02"))),
        image("ami-0ffffffffffffff01", "golden-base-2026", "999988887777", None),
        image("ami-0ffffffffffffff02", "hand-made", "444455556666", None),
    ]});
    let path = dir.path().join("images.json");
    std::fs::write(&path, images.to_string()).expect("write");
    let server = fixture_server(path.to_str().expect("utf-8"), &[]);
    let flagged = |toml: &str| {
        let config = dir.path().join("amilint.toml");
        std::fs::write(&config, toml).expect("config");
        let (_, doc, err) = live_json(
            &server,
            "eu-west-1",
            &[
                "--ancestry",
                "--select",
                "AMI025",
                "--config",
                config.to_str().expect("utf-8"),
            ],
        );
        let found: BTreeMap<String, String> = doc["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("{err}"))
            .iter()
            .map(|f| {
                (
                    f["image_id"].as_str().unwrap_or_default().to_string(),
                    f["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        found
    };
    let by_name = flagged("[rules.AMI025]\nallowed_root_names = [\"golden-*\"]\n");
    assert!(
        !by_name.contains_key("ami-0aaaaaaaaaaaaaaa1"),
        "{by_name:?}"
    );
    assert!(
        by_name["ami-0aaaaaaaaaaaaaaa2"].contains("(owner 444455556666, name hand-made)"),
        "{by_name:?}"
    );
    let by_owner =
        flagged("[rules.AMI025]\nallowed_root_owners = [\"999988887777\", \"444455556666\"]\n");
    assert!(
        !by_owner.contains_key("ami-0aaaaaaaaaaaaaaa1")
            && !by_owner.contains_key("ami-0aaaaaaaaaaaaaaa2"),
        "{by_owner:?}"
    );
}

/// Issue 30: `--ancestry` asks GetImageAncestry only for the images the rule
/// that reads it lints: machine images linted as owned (AMI025 is
/// owner-only), not another account's image nor a kernel image.
#[test]
fn issue_30_ancestry_is_asked_only_for_images_it_lints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let image = |i: u32, owner: &str, kind: &str| {
        json!({"ImageId": format!("ami-{i:017x}"), "Name": format!("img-{i}"), "OwnerId": owner,
               "ImageType": kind, "State": "available", "Public": false,
               "CreationDate": "2026-05-01T00:00:00.000Z", "Architecture": "x86_64",
               "RootDeviceType": "ebs", "VirtualizationType": "hvm"})
    };
    let images = json!({"Images": [
        image(1, "111122223333", "machine"),
        image(2, "111122223333", "machine"),
        image(3, "111122223333", "machine"),
        image(4, "999988887777", "machine"),
        image(5, "999988887777", "machine"),
        image(6, "111122223333", "kernel"),
    ]});
    let path = dir.path().join("images.json");
    std::fs::write(&path, images.to_string()).expect("write");
    let config = dir.path().join("amilint.toml");
    std::fs::write(
        &config,
        "[rules.AMI025]\nallowed_root_owners = [\"amazon\"]\n",
    )
    .expect("config");
    let server = fixture_server(path.to_str().expect("utf-8"), &[]);
    let (code, _, err) = live_json(
        &server,
        "eu-west-1",
        &[
            "--ancestry",
            "--select",
            "AMI025",
            "--config",
            config.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        server.calls("GetImageAncestry"),
        3,
        "the three owned machine images"
    );
    // With --all-owners every machine image is linted, and asked for.
    let (_, _, err) = live_json(
        &server,
        "eu-west-1",
        &[
            "--ancestry",
            "--select",
            "AMI025",
            "--all-owners",
            "--config",
            config.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(server.calls("GetImageAncestry"), 3 + 5, "{err}");
}
