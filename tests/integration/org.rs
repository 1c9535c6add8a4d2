//! `scan --aws --org`: accounts discovered through AWS Organizations (moto),
//! OU filters, exclusions, a refused AssumeRole and a refused ListAccounts
//! (failed scopes, exit 2), and sharded runs that merge into the whole run.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::servers::*;
use crate::common::*;

const ROLE: &str = "OrganizationAccountAccessRole";
const NOW: &str = "2025-06-01T00:00:00Z";

/// Seeds moto with tests/live/seed_moto_org.py: the organisation's root, OUs
/// and accounts (see the script).
fn seed_org(moto: &Server) -> Value {
    let seed = Command::new(venv_bin("python"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/live/seed_moto_org.py"))
        .arg(moto.url())
        .output()
        .expect("the seed script runs");
    assert!(
        seed.status.success(),
        "seeding failed: {}",
        String::from_utf8_lossy(&seed.stderr)
    );
    serde_json::from_slice(&seed.stdout).expect("seed output")
}

fn org_scan(url: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        url,
        "--region",
        "eu-west-1",
        "--org",
        "--role-name",
        ROLE,
        "--now",
        NOW,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = amilint_live(&args);
    let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON ({e}): {out}\n{err}"));
    (code, doc, err)
}

/// (account, status) of every scope.
fn scopes(doc: &Value) -> Vec<(String, String)> {
    doc["scan"]["scopes"]
        .as_array()
        .expect("scopes")
        .iter()
        .map(|s| {
            (
                s["account_id"].as_str().unwrap_or("").to_string(),
                s["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn account(seed: &Value, name: &str) -> String {
    seed["accounts"][name]
        .as_str()
        .expect("account")
        .to_string()
}

#[test]
fn the_organisation_s_active_accounts_are_scanned_under_the_ous_asked_for() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    let seed = seed_org(&moto);
    let url = moto.url();

    let (code, doc, err) = org_scan(&url, &[]);
    assert_eq!(code, 1, "AMI findings: {err}");
    let mut expected: Vec<(String, String)> = ["root-a", "work-a", "work-b", "prod-a"]
        .iter()
        .map(|n| (account(&seed, n), "scanned".to_string()))
        .chain([(
            seed["management"].as_str().expect("id").to_string(),
            "scanned".to_string(),
        )])
        .collect();
    expected.sort();
    assert_eq!(scopes(&doc), expected, "closed-a is not ACTIVE: left out");
    assert!(
        err.contains("amilint: scanning 5 accounts: 5 scopes (account × region)"),
        "{err}"
    );
    // ListAccounts (one page), GetCallerIdentity (the caller's own account,
    // the management account, is scanned with its own credentials, issue
    // 30), AssumeRole in the 4 others, the own account's GetCallerIdentity
    // when it is entered, and DescribeImages in each of the 5.
    assert_eq!(doc["scan"]["api_calls"], 1 + 1 + 4 + 1 + 5);
    // --org-role-in-own-account: the role is assumed there too.
    let (code, doc, err) = org_scan(&url, &["--org-role-in-own-account"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(doc["scan"]["api_calls"], 1 + 5 + 5);
    let names: BTreeSet<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["image_name"].as_str())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "prod-a-image",
            "root-a-image",
            "work-a-image",
            "work-b-image"
        ])
    );

    // Under `workloads`, its child OU `prod` included; one excluded.
    let workloads = seed["workloads"].as_str().expect("ou");
    let (code, doc, err) = org_scan(
        &url,
        &[
            "--org-unit",
            workloads,
            "--exclude-account",
            &account(&seed, "work-b"),
        ],
    );
    assert_eq!(code, 1, "{err}");
    let mut expected = vec![
        (account(&seed, "work-a"), "scanned".to_string()),
        (account(&seed, "prod-a"), "scanned".to_string()),
    ];
    expected.sort();
    assert_eq!(scopes(&doc), expected);
    // ListAccountsForParent and ListOrganizationalUnitsForParent for both
    // OUs, GetCallerIdentity (is the caller's own account among them?), then
    // AssumeRole and DescribeImages in each of the two.
    assert_eq!(doc["scan"]["api_calls"], 4 + 1 + 2 + 2);

    // An OU id that is not one is refused before any call.
    let (code, _, err) = amilint_live(&[
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        &url,
        "--region",
        "eu-west-1",
        "--org",
        "--role-name",
        ROLE,
        "--org-unit",
        "workloads",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--org-unit: `workloads` is not an organizational unit id"),
        "{err}"
    );
}

#[test]
fn a_refused_list_accounts_is_a_failed_scope_in_every_format() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    let upstream = moto.url();
    // Organizations refuses a caller that is neither the management account
    // nor a delegated administrator (moto never does: served by the fixture
    // endpoint in front of it).
    let fixture = fixture_server(
        "fixtures/examples/describe-images.json",
        &["--upstream", &upstream, "--fail-action", "ListAccounts"],
    );
    let url = fixture.url();
    let (code, doc, err) = org_scan(&url, &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        scopes(&doc),
        vec![("organization".to_string(), "failed".to_string())]
    );
    let reason = doc["scan"]["scopes"][0]["error"].as_str().unwrap_or("");
    assert!(
        reason.contains("Organizations ListAccounts") && reason.contains("AccessDeniedException"),
        "{reason}"
    );
    assert!(
        err.contains("AccessDeniedException"),
        "on stderr too: {err}"
    );
    for format in ["text", "sarif", "junit", "markdown"] {
        let (code, out, err) = amilint_live(&[
            "scan",
            "--aws",
            "--no-guardrails",
            "--endpoint-url",
            &url,
            "--region",
            "eu-west-1",
            "--org",
            "--role-name",
            ROLE,
            "--format",
            format,
        ]);
        assert_eq!(code, 2, "{format}");
        assert!(out.contains("AccessDeniedException"), "{format}: {out}");
        assert!(err.contains("AccessDeniedException"), "{format}: {err}");
    }

    // A caller in no organisation: moto lists no account; nothing to scan
    // is a failure too, never a green gate.
    let (code, doc, err) = org_scan(&upstream, &[]);
    assert_eq!(code, 2, "{err}");
    let reason = doc["scan"]["scopes"][0]["error"].as_str().unwrap_or("");
    assert!(reason.contains("no ACTIVE account found"), "{reason}");
}

#[test]
fn a_refused_assume_role_fails_that_account_only() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    let seed = seed_org(&moto);
    let denied = account(&seed, "work-a");
    let upstream = moto.url();
    // The fixture endpoint refuses AssumeRole into one member (moto's STS
    // never refuses one) and passes Organizations to moto.
    let fixture = fixture_server(
        "fixtures/examples/describe-images.json",
        &["--upstream", &upstream, "--deny-account", &denied],
    );
    let (code, doc, err) = org_scan(&fixture.url(), &[]);
    assert_eq!(code, 2, "{err}");
    let statuses = scopes(&doc);
    assert_eq!(statuses.len(), 5);
    for (id, status) in &statuses {
        let want = if *id == denied { "failed" } else { "scanned" };
        assert_eq!(status, want, "{id}");
    }
    assert!(
        err.contains(&format!("AssumeRole arn:aws:iam::{denied}:role/{ROLE}"))
            && err.contains("AccessDenied"),
        "{err}"
    );
    assert_eq!(fixture.calls("ListAccounts"), 1);
    assert_eq!(
        fixture.calls("AssumeRole"),
        5,
        "each account's role assumed once"
    );
    // ListAccounts, GetCallerIdentity (the caller's account is not one of
    // the organisation's here), AssumeRole ×5, DescribeImages ×4.
    assert_eq!(doc["scan"]["api_calls"], 1 + 1 + 5 + 4);
}

#[test]
fn shards_from_plan_shards_scan_every_account_once_and_merge_into_the_whole_run() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    seed_org(&moto);
    let url = moto.url();
    let regions = "eu-west-1,us-east-1";
    let base = [
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        &url,
        "--region",
        regions,
        "--org",
        "--role-name",
        ROLE,
        "--now",
        NOW,
    ];

    let mut args = base.to_vec();
    args.extend(["--plan-shards", "3"]);
    let (code, out, err) = amilint_live(&args);
    assert_eq!(code, 0, "{err}");
    let matrix: Value = serde_json::from_str(&out).expect("matrix JSON");
    let include = matrix["include"].as_array().expect("include");
    assert_eq!(include.len(), 3);
    let mut planned = Vec::new();
    for (k, entry) in include.iter().enumerate() {
        assert_eq!(entry["shard"], format!("{}/3", k + 1));
        let accounts = entry["accounts"].as_array().expect("accounts");
        assert_eq!(entry["scopes"], 2 * accounts.len());
        planned.extend(accounts.iter().map(|a| a.as_str().expect("id").to_string()));
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let mut whole_args = base.to_vec();
    whole_args.extend(["--format", "json"]);
    let (code, whole, err) = amilint_live(&whole_args);
    assert_eq!(code, 1, "{err}");
    let whole: Value = serde_json::from_str(&whole).expect("whole JSON");
    let mut whole_accounts: Vec<String> = scopes(&whole).into_iter().map(|(a, _)| a).collect();
    whole_accounts.dedup();
    let mut sorted = planned.clone();
    sorted.sort();
    assert_eq!(
        sorted, whole_accounts,
        "the shards cover every account once"
    );

    let mut reports = Vec::new();
    for entry in include {
        let shard = entry["shard"].as_str().expect("shard");
        let path = dir.path().join(format!("shard-{}.json", &shard[..1]));
        let target = format!("json={}", path.display());
        let mut args = base.to_vec();
        args.extend(["--shard", shard, "-o", &target]);
        let (code, _, err) = amilint_live(&args);
        // moto makes random account ids: a shard may hold only the management
        // account, which has no image (no finding, exit 0); never an error.
        assert!(code == 0 || code == 1, "{shard}: exit {code}: {err}");
        assert!(err.contains(&format!("(shard {shard})")), "{err}");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("report"))
            .expect("shard JSON");
        let shard_accounts: BTreeSet<String> = scopes(&doc).into_iter().map(|(a, _)| a).collect();
        let want: BTreeSet<String> = entry["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| a.as_str().expect("id").to_string())
            .collect();
        assert_eq!(shard_accounts, want, "{shard} scans what the plan said");
        reports.push(path.display().to_string());
    }
    let mut args = vec!["merge"];
    args.extend(reports.iter().map(String::as_str));
    let (code, merged, err) = run(&args);
    assert_eq!(code, 1, "{err}");
    let merged: Value = serde_json::from_str(&merged).expect("merged JSON");
    let keys = |doc: &Value| {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap_or("").to_string())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(keys(&merged), keys(&whole));
    assert_eq!(merged["summary"]["findings"], whole["summary"]["findings"]);
    let mut merged_scopes = scopes(&merged);
    merged_scopes.sort();
    assert_eq!(merged_scopes, scopes(&whole));
    // Issue 35: the notes and the summary too (notes alike summed).
    let sorted = |doc: &Value, key: &str| {
        let mut items: Vec<String> = doc[key]
            .as_array()
            .expect(key)
            .iter()
            .map(Value::to_string)
            .collect();
        items.sort();
        items
    };
    assert_eq!(sorted(&merged, "notes"), sorted(&whole, "notes"));
    assert_eq!(sorted(&merged, "errors"), sorted(&whole, "errors"));
    assert_eq!(merged["summary"], whole["summary"]);

    // A shard that is not one is refused.
    let mut args = base.to_vec();
    args.extend(["--shard", "4/3"]);
    let (code, _, err) = amilint_live(&args);
    assert_eq!(code, 2);
    assert!(err.contains("--shard: `4/3` is not a shard"), "{err}");
}

/// Issue 30: an Organizations endpoint that keeps answering with new child
/// OUs is walked to AWS's nesting bound, then the organisation scope fails
/// with why (exit 2): never an endless walk.
#[test]
fn issue_30_an_endless_ou_tree_stops_at_a_bound_with_an_error() {
    let fixture = fixture_server("fixtures/examples/describe-images.json", &["--endless-ous"]);
    let url = fixture.url();
    let (code, doc, err) = org_scan(&url, &["--org-unit", "ou-ab12-00000000"]);
    assert_eq!(code, 2, "{err}");
    let reason = doc["scan"]["scopes"][0]["error"].as_str().unwrap_or("");
    assert!(reason.contains("five levels of OUs"), "{reason}");
    assert!(
        fixture.calls("ListOrganizationalUnitsForParent") <= 10,
        "{}",
        fixture.calls("ListOrganizationalUnitsForParent")
    );
}

/// Issue 35: a 40-account organisation scan with stderr to a file (a CI
/// log): progress lines with a fixed total from the first one on (accounts
/// and accounts × regions), the last with everything done; nothing on
/// stdout; `-q` silences them.
#[test]
fn issue_35_a_ci_log_gets_progress_lines_with_a_fixed_total() {
    let server = fixture_server(
        "fixtures/examples/describe-images.json",
        &["--org-accounts", "40"],
    );
    let url = server.url();
    let args = [
        "scan",
        "--aws",
        "--no-guardrails",
        "--endpoint-url",
        &url,
        "--region",
        "eu-west-1,us-east-1",
        "--org",
        "--role-name",
        ROLE,
        "--now",
        NOW,
        "--format",
        "none",
    ];
    let (code, out, err) = amilint_live(&args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("amilint: progress: "))
        .collect();
    assert!(lines.len() >= 2, "{err}");
    for line in &lines {
        assert!(
            line.contains("accounts ") && line.contains("/40, scopes ") && line.contains("/80,"),
            "{line}"
        );
    }
    assert!(
        lines[lines.len() - 1].contains("accounts 40/40, scopes 80/80"),
        "{err}"
    );
    let quiet: Vec<&str> = args.iter().copied().chain(["-q"]).collect();
    let (_, _, err) = amilint_live(&quiet);
    assert!(!err.contains("amilint: progress:"), "{err}");
}
