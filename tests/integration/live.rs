//! Live scans (`scan --aws`) against real local EC2 endpoints over the real
//! wire protocol: the project's EC2 fixture endpoint
//! (tests/live/ec2_fixture_server.py, every field, fault injection) and moto's
//! server (installed by scripts/test.sh into tests/live/.venv). Loopback only.

use crate::common;

use common::servers::{Server, amilint_live, fixture_server, seed_moto, start_moto};

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::EXAMPLE;
use crate::common::NOW;

/// A live scan of `server` in `regions`, as JSON.
pub(crate) fn live_json(server: &Server, regions: &str, extra: &[&str]) -> (i32, Value, String) {
    let url = server.url();
    let mut args = vec![
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        &url,
        "--region",
        regions,
        "--now",
        NOW,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = amilint_live(&args);
    let doc =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON report ({e}): {out}\n{err}"));
    (code, doc, err)
}

/// (region, status) of every scope of a live report, in report order.
fn region_statuses(doc: &Value) -> Vec<(String, String)> {
    doc["scan"]["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .map(|s| {
            (
                s["region"].as_str().unwrap_or_default().to_string(),
                s["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// (image, rule, pointer, message) of every finding: what "the same findings" means.
fn findings(doc: &Value) -> BTreeSet<[String; 4]> {
    let fields = ["/image_id", "/rule_id", "/location/pointer", "/message"];
    common::findings(doc, fields).into_iter().collect()
}

fn offline_json(path: &str, extra: &[&str]) -> Value {
    common::Scan::of(&[path]).args(extra).json().1
}

fn fixture_files() -> Vec<String> {
    let mut files = common::image_rule_fixtures();
    files.push(EXAMPLE.to_string());
    files
}

#[test]
fn a_live_scan_of_a_fixture_equals_an_offline_scan_of_it() {
    for file in fixture_files() {
        let server = fixture_server(&file, &["--page-size", "3"]);
        // A rule's options come from its fixture's .toml, as in the rules test.
        let options = file.replace(".json", ".toml");
        let mut args = vec!["--select", "ALL"];
        if std::path::Path::new(&options).exists() {
            args.extend(["--config", &options]);
        }
        let mut live_args: Vec<&str> = ["--attributes"].into_iter().chain(args.clone()).collect();
        // A fixture with snapshot data: the endpoint serves it as DescribeSnapshots answers.
        let text = std::fs::read_to_string(&file).expect("fixture");
        for (key, flag) in [
            ("\"AmilintSnapshot\"", "--snapshots"),
            ("\"AmilintReferences\"", "--references"),
            ("\"AmilintAncestry\"", "--ancestry"),
        ] {
            if text.contains(key) {
                live_args.push(flag);
            }
        }
        let (code, live, err) = live_json(&server, "eu-west-1", &live_args);
        assert_ne!(code, 2, "{file}: {err}\n{}", live["errors"]);
        // Live, an image is owned when the scanned account owns it: offline,
        // the same account named as the owner.
        let offline_args: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--owner", "111122223333"])
            .collect();
        let offline = offline_json(&file, &offline_args);
        assert_eq!(findings(&live), findings(&offline), "{file}");
        assert!(
            !findings(&live).is_empty(),
            "{file}: the fixture has findings"
        );
        assert_eq!(
            live["summary"]["images_scanned"], offline["summary"]["images_scanned"],
            "{file}"
        );
        let first = &live["findings"][0];
        assert_eq!(first["account_id"], "111122223333");
        assert_eq!(first["region"], "eu-west-1");
        assert_eq!(
            first["image_arn"].as_str(),
            Some(
                format!(
                    "arn:aws:ec2:eu-west-1::image/{}",
                    first["image_id"].as_str().unwrap_or("")
                )
                .as_str()
            )
        );
        assert!(
            first["location"]["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("aws/111122223333/eu-west-1/ami-")),
            "{first}"
        );
    }
}

#[test]
fn save_writes_an_export_whose_offline_scan_gives_the_same_findings() {
    let server = fixture_server(EXAMPLE, &[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = dir.path().join("fetched.json");
    let sarif = dir.path().join("out.sarif");
    let saved_arg = saved.to_str().expect("utf-8");
    let sarif_spec = format!("sarif={}", sarif.display());
    let (code, live, err) = live_json(
        &server,
        "eu-west-1",
        &["--attributes", "--save", saved_arg, "-o", &sarif_spec],
    );
    assert_eq!(code, 1, "{err}");
    let offline = offline_json(saved_arg, &[]);
    assert_eq!(findings(&live), findings(&offline));
    // Same file, same lines: the live findings point into the saved export.
    let locations = |doc: &Value| -> Vec<Value> {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["location"].clone())
            .collect()
    };
    assert_eq!(locations(&live), locations(&offline));
    assert!(
        live["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["location"]["field_line"].as_u64().is_some())
    );
    // The export carries the attributes and the scope under documented keys.
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved")).expect("JSON");
    let windows = export["Images"]
        .as_array()
        .expect("Images")
        .iter()
        .find(|i| i["ImageId"] == "ami-0d4c3b2a190817263")
        .expect("the Windows image");
    assert!(windows["LaunchPermissions"].is_array(), "{windows}");
    assert_eq!(windows["AmilintScope"]["AccountId"], "111122223333");
    assert_eq!(windows["AmilintScope"]["Region"], "eu-west-1");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif")).expect("JSON");
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert!(
        uri.as_str().is_some_and(|u| u.ends_with("fetched.json")),
        "{uri}"
    );
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["accountId"],
        "111122223333"
    );
}

#[test]
fn pagination_is_followed_to_the_end() {
    let server = fixture_server(EXAMPLE, &["--page-size", "2"]);
    let (_, doc, err) = live_json(&server, "eu-west-1", &[]);
    assert_eq!(doc["summary"]["images_scanned"], 6, "{err}");
    assert_eq!(doc["summary"]["images_skipped"], 1, "the kernel image");
    assert_eq!(
        server.stats()["DescribeImages eu-west-1"],
        4,
        "7 images in pages of 2"
    );
    assert_eq!(doc["scan"]["api_calls"], 5, "GetCallerIdentity + 4 pages");
}

#[test]
fn throttling_and_server_errors_are_retried() {
    for fault in ["--throttle-first", "--error500-first"] {
        let server = fixture_server(EXAMPLE, &[fault, "2"]);
        let (code, doc, err) = live_json(&server, "eu-west-1", &[]);
        assert_eq!(code, 1, "{fault}: {err} {}", doc["errors"]);
        assert_eq!(doc["summary"]["images_scanned"], 6, "{fault}");
        assert_eq!(
            server.stats()["DescribeImages eu-west-1"],
            3,
            "{fault}: 2 refused + 1"
        );
    }
    // More failures than attempts: the scope fails, and says why.
    let server = fixture_server(EXAMPLE, &["--throttle-first", "50"]);
    let (code, doc, _) = live_json(&server, "eu-west-1", &["--max-attempts", "2"]);
    assert_eq!(code, 2);
    assert_eq!(doc["scan"]["scopes"][0]["status"], "failed");
    let error = doc["scan"]["scopes"][0]["error"].as_str().expect("reason");
    assert!(error.contains("RequestLimitExceeded"), "{error}");
}

#[test]
fn a_truncated_response_is_never_taken_for_a_short_list() {
    let server = fixture_server(EXAMPLE, &["--truncate-first", "1"]);
    let (code, doc, err) = live_json(&server, "eu-west-1", &[]);
    // Either the SDK retried and got every image, or the scope failed loudly.
    match doc["scan"]["scopes"][0]["status"].as_str() {
        Some("scanned") => {
            assert_eq!(doc["summary"]["images_scanned"], 6, "{err}");
            assert_eq!(code, 1);
        }
        _ => {
            assert_eq!(code, 2, "{err}");
            assert_eq!(doc["errors"][0]["kind"], "fetch");
            assert_eq!(doc["summary"]["images_scanned"], 0);
        }
    }
}

#[test]
fn a_failing_region_is_reported_and_the_others_are_still_written() {
    let server = fixture_server(
        EXAMPLE,
        &[
            "--auth-fail-region",
            "us-east-1",
            "--hang-region",
            "ap-south-1",
        ],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let sarif = dir.path().join("out.sarif");
    let sarif_spec = format!("sarif={}", sarif.display());
    let started = Instant::now();
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1,us-east-1,ap-south-1",
        &[
            "-o",
            &sarif_spec,
            "--api-timeout",
            "1",
            "--max-attempts",
            "2",
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "timeouts bound a hanging endpoint"
    );
    assert_eq!(code, 2, "{err}");
    let scopes = region_statuses(&doc);
    assert_eq!(
        scopes,
        vec![
            ("ap-south-1".to_string(), "failed".to_string()),
            ("eu-west-1".to_string(), "scanned".to_string()),
            ("us-east-1".to_string(), "failed".to_string()),
        ]
    );
    let errors = doc["errors"].as_array().expect("errors");
    let auth = errors
        .iter()
        .find(|e| e["region"] == "us-east-1")
        .expect("us-east-1 error");
    assert_eq!(auth["kind"], "fetch");
    assert!(
        auth["message"]
            .as_str()
            .is_some_and(|m| m.contains("AuthFailure")),
        "{auth}"
    );
    let hang = errors
        .iter()
        .find(|e| e["region"] == "ap-south-1")
        .expect("ap-south-1 error");
    assert!(
        hang["message"]
            .as_str()
            .is_some_and(|m| m.contains("timed out")),
        "{hang}"
    );
    assert!(
        doc["summary"]["findings"].as_u64() > Some(0),
        "eu-west-1's findings are written"
    );

    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif")).expect("JSON");
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert!(notes.iter().any(|n| {
        n["properties"]["region"] == "us-east-1"
            && n["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("AuthFailure"))
    }));
    assert!(
        !sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .is_empty()
    );

    let url = server.url();
    let (code, text, _) = amilint_live(&[
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        &url,
        "--region",
        "eu-west-1,us-east-1",
        "--now",
        NOW,
    ]);
    assert_eq!(code, 2);
    assert!(
        text.contains("error: account 111122223333, us-east-1: DescribeImages: AuthFailure"),
        "{text}"
    );
    assert!(
        text.contains("Scopes: 1 scanned (7 images fetched), 1 failed"),
        "{text}"
    );
}

#[test]
fn all_regions_come_from_describe_regions() {
    let server = fixture_server(EXAMPLE, &["--regions", "eu-west-1,eu-north-1,us-east-2"]);
    let url = server.url();
    let (code, out, err) = amilint_live(&[
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        &url,
        "--all-regions",
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    assert_eq!(code, 2, "no region for DescribeRegions itself: {out}{err}");
    assert!(err.contains("no AWS region"), "{err}");

    let home = tempfile::tempdir().expect("home");
    let out = common::amilint()
        .env("HOME", home.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "eu-west-1")
        .args([
            "scan",
            "--aws",
            "--no-guardrails",
            "--endpoint-url",
            &url,
            "--all-regions",
            "--now",
            NOW,
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let regions: Vec<&str> = doc["scan"]["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .filter_map(|s| s["region"].as_str())
        .collect();
    assert_eq!(regions, vec!["eu-north-1", "eu-west-1", "us-east-2"]);
}

#[test]
fn several_accounts_through_assumed_roles() {
    let server = fixture_server(EXAMPLE, &["--deny-account", "444455556666"]);
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1",
        &[
            "--role",
            "arn:aws:iam::222233334444:role/Audit",
            "--account",
            // Issue 16: an account named twice is scanned once.
            "333344445555,444455556666,222233334444,333344445555",
            "--role-name",
            "Audit",
            "--concurrency",
            "2",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let scopes: Vec<(&str, &str)> = doc["scan"]["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .map(|s| {
            (
                s["account_id"].as_str().unwrap_or(""),
                s["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        scopes,
        vec![
            ("222233334444", "scanned"),
            ("333344445555", "scanned"),
            ("444455556666", "failed")
        ]
    );
    let accounts: BTreeSet<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["account_id"].as_str())
        .collect();
    assert_eq!(accounts, BTreeSet::from(["222233334444", "333344445555"]));
    let denied = &doc["scan"]["scopes"][2]["error"];
    assert!(
        denied
            .as_str()
            .is_some_and(|e| e.contains("AccessDenied") || e.contains("assume")),
        "{denied}"
    );
}

#[test]
fn shares_outside_the_allowlist_are_found_through_attributes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("shared.json");
    std::fs::write(
        &export,
        serde_json::json!({"Images": [{
            "ImageId": "ami-0123456789abcdef0", "OwnerId": "111122223333", "ImageType": "machine",
            "State": "available", "Name": "shared", "ImdsSupport": "v2.0",
            "LaunchPermissions": [{"UserId": "999988887777"}, {"UserId": "222233334444"}]
        }]})
        .to_string(),
    )
    .expect("write");
    let server = fixture_server(export.to_str().expect("utf-8"), &[]);
    let (_, doc, _) = live_json(
        &server,
        "eu-west-1",
        &["--attributes", "--select", "AMI012"],
    );
    let messages: Vec<&str> = doc["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    let (_, doc, _) = live_json(
        &server,
        "eu-west-1",
        &[
            "--attributes",
            "--select",
            "AMI012",
            "--allow-account",
            "999988887777",
        ],
    );
    assert_eq!(
        doc["findings"][0]["message"],
        "shared with account 222233334444, which is not on the allowlist"
    );
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(1));
    // Without --attributes the launch permissions are unknown: no finding, no guess.
    let (_, doc, _) = live_json(&server, "eu-west-1", &["--select", "AMI012"]);
    assert_eq!(doc["summary"]["findings"], 0);
}

#[test]
fn bad_arguments_fail_before_any_call() {
    for (args, want) in [
        (
            vec!["--filter", "tag:Env=prod"],
            "--filter: expected Name=NAME,Values=V1,V2",
        ),
        (
            vec!["--account", "12", "--role-name", "Audit"],
            "`12` is not a 12-digit AWS account id",
        ),
    ] {
        let mut all = vec![
            "scan",
            "--aws",
            "--no-guardrails",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "eu-west-1",
        ];
        all.extend(args);
        let (code, out, err) = amilint_live(&all);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.contains(want), "{err}");
    }
    let (code, _, err) = amilint_live(&["scan", "images.json", "--aws"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");
}

// ---- moto ----------------------------------------------------------------

/// One moto server, seeded once, for every moto check (run in sequence).
#[test]
fn against_moto() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    let made = seed_moto(&moto, 2000);
    let public = made["eu-west-1"][0].as_str().expect("id");
    let shared = made["eu-west-1"][1].as_str().expect("id");

    // Every image of the account and region, through DescribeImages' pages.
    let (code, doc, err) = live_json(&moto, "eu-west-1", &["--select", "AMI006"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(doc["summary"]["images_scanned"], 2000);
    assert_eq!(doc["scan"]["scopes"][0]["account_id"], "123456789012");
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["image_id"].as_str())
        .collect();
    assert_eq!(ids, vec![public], "only the public image is public");

    // Tag filters reach DescribeImages.
    let (_, doc, _) = live_json(
        &moto,
        "eu-west-1",
        &[
            "--select",
            "AMI006",
            "--filter",
            "Name=tag:Environment,Values=prod",
        ],
    );
    assert_eq!(doc["summary"]["images_scanned"], 200);

    // Owners: an account that owns nothing here.
    let (_, doc, _) = live_json(
        &moto,
        "eu-west-1",
        &["--select", "AMI006", "--owners", "999999999999"],
    );
    assert_eq!(doc["summary"]["images_scanned"], 0);
    assert_eq!(doc["scan"]["scopes"][0]["status"], "scanned");

    // Several regions: separate state, separate scopes.
    let (_, doc, _) = live_json(
        &moto,
        "eu-west-1,us-east-1",
        &["--select", "AMI006", "--fail-on", "never"],
    );
    let counts: Vec<(String, u64)> = doc["scan"]["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .map(|s| {
            (
                s["region"].as_str().unwrap_or("").to_string(),
                s["images"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("eu-west-1".to_string(), 2000),
            ("us-east-1".to_string(), 3)
        ]
    );

    // Another account, through STS AssumeRole (moto keys state by account).
    let (code, doc, err) = live_json(
        &moto,
        "eu-west-1",
        &[
            "--select",
            "AMI006",
            "--role",
            "arn:aws:iam::222233334444:role/Audit",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(doc["scan"]["scopes"][0]["account_id"], "222233334444");
    assert_eq!(doc["summary"]["images_scanned"], 2);
    assert_eq!(doc["findings"][0]["image_id"], made["222233334444"][0]);
    assert_eq!(doc["findings"][0]["account_id"], "222233334444");

    // Unknown and malformed image ids: the scope fails and says why.
    for (id, code_word) in [
        ("ami-00000000000000000", "InvalidAMIID.NotFound"),
        ("bogus", "InvalidAMIID"),
    ] {
        let (code, doc, _) = live_json(&moto, "eu-west-1", &["--image-ids", id]);
        assert_eq!(code, 2, "{id}");
        let reason = doc["scan"]["scopes"][0]["error"]
            .as_str()
            .unwrap_or_default();
        assert!(reason.contains(code_word), "{id}: {reason}");
    }

    // Attributes: moto knows launch permissions, and answers other attributes
    // with errors; those are reported per image, never dropped.
    let (code, doc, _) = live_json(
        &moto,
        "eu-west-1",
        &[
            "--attributes",
            "--select",
            "AMI012",
            "--image-ids",
            &format!("{public},{shared}"),
            "--max-attempts",
            "1",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(doc["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(doc["findings"][0]["image_id"], shared);
    assert_eq!(
        doc["findings"][0]["message"],
        "shared with account 999988887777, which is not on the allowlist"
    );
    let failed: BTreeSet<&str> = doc["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["image_id"].as_str())
        .collect();
    assert_eq!(failed, BTreeSet::from([public, shared]));
}

#[test]
fn no_secret_reaches_any_output() {
    let server = fixture_server(
        EXAMPLE,
        &[
            "--auth-fail-region",
            "us-east-1",
            "--deny-account",
            "444455556666",
        ],
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let home = tempfile::tempdir().expect("home");
    let saved = dir.path().join("saved.json");
    let json = dir.path().join("out.json");
    let sarif = dir.path().join("out.sarif");
    let url = server.url();
    let out = common::amilint()
        .env("HOME", home.path())
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "s3cr3t-DO-NOT-LEAK")
        .env("AWS_SESSION_TOKEN", "t0ken-DO-NOT-LEAK")
        .env("AWS_CONFIG_FILE", home.path().join("config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .args([
            "scan",
            "--aws",
            "--no-guardrails",
            "--endpoint-url",
            &url,
            "--region",
            "eu-west-1,us-east-1",
            "--now",
            NOW,
            "--attributes",
            "--role",
            "arn:aws:iam::222233334444:role/Audit",
            "--role",
            "arn:aws:iam::444455556666:role/Audit",
            "--save",
            saved.to_str().expect("utf-8"),
            "-o",
            &format!("json={}", json.display()),
            "-o",
            &format!("sarif={}", sarif.display()),
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "failed scopes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut everything = String::from_utf8_lossy(&out.stdout).to_string();
    everything.push_str(&String::from_utf8_lossy(&out.stderr));
    for file in [&saved, &json, &sarif] {
        everything.push_str(&std::fs::read_to_string(file).expect("written"));
    }
    assert!(everything.contains("AuthFailure") && everything.contains("AccessDenied"));
    for secret in [
        "s3cr3t-DO-NOT-LEAK",
        "t0ken-DO-NOT-LEAK",
        "token-222233334444",
        "assumed-s3cr3t",
    ] {
        assert!(
            !everything.contains(secret),
            "`{secret}` leaked into the output"
        );
    }
}

#[test]
fn credentials_expiring_mid_scan_fail_the_scope_not_the_count() {
    // Pages of 2: the assumed-role credentials die on the third page.
    let server = fixture_server(EXAMPLE, &["--page-size", "2", "--expire-after", "2"]);
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1",
        &[
            "--role",
            "arn:aws:iam::222233334444:role/Audit",
            "--max-attempts",
            "2",
        ],
    );
    assert_eq!(code, 2, "{err}");
    let scope = &doc["scan"]["scopes"][0];
    assert_eq!(scope["status"], "failed");
    assert!(
        scope["error"]
            .as_str()
            .is_some_and(|e| e.contains("ExpiredToken")),
        "{scope}"
    );
    assert_eq!(
        doc["summary"]["images_scanned"], 0,
        "a half-read scope is not counted as scanned"
    );
    assert_eq!(doc["summary"]["findings"], 0);
}

/// Issue 16: a NextToken handed back again, an image without `imageId`, and
/// a page cut inside an item with its root closed each fail their own scope
/// (reported, on stderr too), never the run and never silently; a region
/// named twice is scanned once.
#[test]
fn issue_16_live_faults_fail_their_scope_never_the_run() {
    let server = fixture_server(
        EXAMPLE,
        &[
            "--page-size",
            "2",
            "--repeat-token-region",
            "us-east-1",
            "--no-id-region",
            "ap-south-1",
            "--cut-item-region",
            "eu-north-1",
            "--circle-region",
            "us-west-1",
        ],
    );
    let started = Instant::now();
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1,us-east-1,ap-south-1,eu-north-1,eu-west-1,us-west-1",
        &["--max-attempts", "1"],
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(code, 2, "{err}");
    let scopes = region_statuses(&doc);
    assert_eq!(
        scopes,
        [
            ("ap-south-1".to_string(), "failed".to_string()),
            ("eu-north-1".to_string(), "failed".to_string()),
            ("eu-west-1".to_string(), "scanned".to_string()),
            ("us-east-1".to_string(), "failed".to_string()),
            ("us-west-1".to_string(), "failed".to_string()),
        ],
        "{doc}"
    );
    assert_eq!(doc["summary"]["images_scanned"], 6, "eu-west-1 once");
    let errors = doc["errors"].to_string();
    assert!(errors.contains("NextToken already seen"), "{errors}");
    assert!(
        errors.contains("again: stopped (a list that goes in circles)"),
        "{errors}"
    );
    assert!(errors.contains("an image without imageId"), "{errors}");
    assert!(errors.contains("truncated response"), "{errors}");
    for region in ["us-east-1", "ap-south-1", "eu-north-1", "us-west-1"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("amilint: error:") && l.contains(region)),
            "{region} on stderr: {err}"
        );
    }
}

#[test]
fn issue_16_all_regions_answering_none_is_an_error_not_a_green_gate() {
    let server = fixture_server(EXAMPLE, &["--regions", ""]);
    let home = tempfile::tempdir().expect("home");
    let out = common::servers::live_command(home.path())
        .env("AWS_REGION", "eu-west-1")
        .args([
            "scan",
            "--aws",
            "--no-guardrails",
            "--endpoint-url",
            &server.url(),
            "--all-regions",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no region"), "{err}");
}

#[test]
fn issue_16_a_stalled_assume_role_is_reported_as_assume_role() {
    let server = fixture_server(EXAMPLE, &["--hang-action", "AssumeRole"]);
    let started = Instant::now();
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1",
        &[
            "--role",
            "arn:aws:iam::444455556666:role/Audit",
            "--api-timeout",
            "1",
            "--max-attempts",
            "1",
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 2, "{err}");
    let errors = doc["errors"].to_string();
    assert!(
        errors.contains("AssumeRole arn:aws:iam::444455556666:role/Audit"),
        "{errors}"
    );
    assert!(!errors.contains("DescribeImages"), "{errors}");
}

#[test]
fn issue_16_numeric_flags_out_of_range_are_usage_errors_not_panics() {
    for args in [
        &[
            "scan",
            "--aws",
            "--no-guardrails",
            "--api-timeout",
            "10000000000000000000",
        ][..],
        &[
            "scan",
            "--aws",
            "--no-guardrails",
            "--concurrency",
            "18446744073709551615",
        ],
        &["scan", "--aws", "--no-guardrails", "--concurrency", "0"],
        &["fix", "-", "--api-timeout", "10000000000000000000"],
        &["fix", "-", "--concurrency", "18446744073709551615"],
        &[
            "scan",
            "-",
            "--policy-max-call-depth",
            "18446744073709551615",
        ],
    ] {
        let (code, _, err) = amilint_live(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.contains("invalid value"), "{args:?}: {err}");
    }
}

#[test]
fn issue_16_save_and_a_report_on_one_path_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.json");
    let spec = format!("json={}", path.display());
    let (code, _, err) = amilint_live(&[
        "scan",
        "--aws",
        "--no-guardrails",
        "--region",
        "eu-west-1",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--save",
        path.to_str().expect("utf-8"),
        "-o",
        &spec,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("both name"), "{err}");
    assert!(!path.exists());
}

/// Runs amilint with `args` (and `TMPDIR=tmp`), waits for `ready`, sends it
/// SIGINT (as Ctrl-C or a cancelled CI job does) and requires exit 130.
fn interrupt_when(
    home: &std::path::Path,
    tmp: &std::path::Path,
    args: &[&str],
    ready: impl FnOnce(),
) {
    let child = common::servers::live_command(home)
        .env("TMPDIR", tmp)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    ready();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("waits");
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 16: a live scan interrupted (SIGINT, as Ctrl-C or a cancelled CI
/// job sends) or failing leaves nothing behind: no `--save` export, no
/// report, no temporary file in the output folder or the system temp folder.
#[test]
fn issue_16_an_interrupted_or_failed_live_scan_leaves_nothing_behind() {
    let server = fixture_server(EXAMPLE, &["--page-size", "1", "--latency-ms", "400"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("out");
    let save = out_dir.join("save.json");
    let report = format!("json={}", out_dir.join("report.json").display());
    let home = tempfile::tempdir().expect("home");
    let url = server.url();
    let args = [
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        &url,
        "--region",
        "eu-west-1",
        "--format",
        "none",
        "--save",
        save.to_str().expect("utf-8"),
        "-o",
        &report,
    ];
    let left = |d: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(d)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    };
    interrupt_when(home.path(), &tmp, &args, || {
        std::thread::sleep(Duration::from_millis(1200));
    });
    assert!(left(&out_dir).is_empty(), "{:?}", left(&out_dir));
    assert!(left(&tmp).is_empty(), "{:?}", left(&tmp));

    // Interrupted in the scan phase (a slow policy keeps it busy), while the
    // report's temporary file is being written: it goes too (and there is no
    // temporary export: the images go straight to the checks).
    let fast = fixture_server(EXAMPLE, &[]);
    let fast_url = fast.url();
    let slow_args = [
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        &fast_url,
        "--region",
        "eu-west-1",
        "--format",
        "none",
        "-o",
        &report,
        "--policy",
        "fixtures/policies/sandbox/slow.rhai",
        "--policy-max-operations",
        "100000000000",
        "--policy-timeout-ms",
        "3000",
    ];
    interrupt_when(home.path(), &tmp, &slow_args, || {
        let started = Instant::now();
        while left(&out_dir).is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no temporary report"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300));
    });
    assert!(left(&out_dir).is_empty(), "{:?}", left(&out_dir));
    assert!(left(&tmp).is_empty(), "{:?}", left(&tmp));

    // A failed run (a policy that does not load) leaves nothing either.
    let (code, _, err) =
        amilint_live(&[&args[..], &["--policy", "fixtures/bad/empty.json"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(left(&out_dir).is_empty(), "{:?}", left(&out_dir));
}

/// Issue 16: the faults that already ended as failed scopes stay that way —
/// a connection reset mid-body, an HTML page or an empty body with status
/// 200, a throttle storm — while slow answers within the time limit still
/// scan; the healthy region's findings are written either way.
#[test]
fn issue_16_resets_html_empty_answers_and_throttle_storms_fail_their_scope() {
    let server = fixture_server(
        EXAMPLE,
        &[
            "--latency-ms",
            "150",
            "--reset-region",
            "us-east-1",
            "--html-region",
            "ap-south-1",
            "--empty-region",
            "eu-north-1",
            "--throttle-region",
            "us-west-2",
            "--wrong-root-region",
            "ca-central-1",
        ],
    );
    let started = Instant::now();
    let (code, doc, err) = live_json(
        &server,
        "eu-west-1,us-east-1,ap-south-1,eu-north-1,us-west-2,ca-central-1",
        &["--max-attempts", "2", "--api-timeout", "5"],
    );
    assert!(started.elapsed() < Duration::from_secs(90));
    assert_eq!(code, 2, "{err}");
    let expected: Vec<(String, String)> = [
        ("ap-south-1", "failed"),
        ("ca-central-1", "failed"),
        ("eu-north-1", "failed"),
        ("eu-west-1", "scanned"),
        ("us-east-1", "failed"),
        ("us-west-2", "failed"),
    ]
    .iter()
    .map(|(r, s)| (r.to_string(), s.to_string()))
    .collect();
    assert_eq!(region_statuses(&doc), expected, "{doc}");
    assert_eq!(doc["summary"]["images_scanned"], 6);
    assert_eq!(doc["errors"].as_array().map(Vec::len), Some(5), "{doc}");
    assert!(
        doc["errors"]
            .to_string()
            .contains("not a DescribeImages answer"),
        "{doc}"
    );
}

/// Without `--save`, fetched images flow into the checks as they arrive: no
/// temporary export is written (a temporary folder that does not exist
/// cannot stop the scan), and the findings are those of an offline scan.
#[test]
fn issue_17_a_live_scan_without_save_writes_no_temporary_export() {
    let server = fixture_server(EXAMPLE, &["--page-size", "2"]);
    let home = tempfile::tempdir().expect("temp home");
    let url = server.url();
    let out = common::servers::live_command(home.path())
        .env("TMPDIR", home.path().join("no-such-folder"))
        .args([
            "scan",
            "--aws",
            "--no-guardrails",
            "--endpoint-url",
            &url,
            "--region",
            "eu-west-1",
            "--now",
            NOW,
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "{err}");
    let live: Value = serde_json::from_slice(&out.stdout).expect("json");
    let offline = offline_json(EXAMPLE, &[]);
    assert_eq!(findings(&live), findings(&offline));
    assert_eq!(live["scan"]["scopes"][0]["status"], "scanned", "{live}");
}

/// Issue 30: a failing credential helper's output (a `credential_process`
/// that prints a token on stderr) never reaches a report or stderr: the
/// source and the kind of failure are said instead.
#[test]
fn issue_30_a_credential_helper_s_output_stays_out_of_reports() {
    let server = fixture_server("fixtures/examples/describe-images.json", &[]);
    let home = tempfile::tempdir().expect("home");
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile helper]\nregion = eu-west-1\ncredential_process = sh -c 'echo SECRET-TOKEN-4242 >&2; exit 3'\n",
    )
    .expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_amilint"))
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_CONFIG_FILE", &config)
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            home.path().join("credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args([
            "scan",
            "--aws",
            "--no-guardrails",
            "--profile",
            "helper",
            "--endpoint-url",
            &server.url(),
            "--max-attempts",
            "1",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(!stdout.contains("SECRET-TOKEN-4242"), "{stdout}");
    assert!(!stderr.contains("SECRET-TOKEN-4242"), "{stderr}");
    assert!(stdout.contains("credential_process"), "{stdout}");
    assert!(stdout.contains("left out"), "{stdout}");
}
