//! Account guardrails (issue 19): read live from the fixture endpoint (six
//! EC2 `Get…` calls per account × region), linted by AMI201–AMI206 and joined
//! to the images of the scope (AMI026); saved with --save-settings and linted
//! offline alike; fixed by `amilint fix` (plan, DryRun, apply); a failed call
//! reported, the rest still judged.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::common::servers::*;
use crate::common::*;

/// The base account's guardrails: all off in eu-west-1, all on in us-east-1.
const SETTINGS: &str = r#"{"AccountSettings": [
  {"AccountId": "111122223333", "Region": "eu-west-1",
   "ImageBlockPublicAccessState": "unblocked", "SnapshotBlockPublicAccessState": "block-new-sharing",
   "EbsEncryptionByDefault": false, "AllowedImagesSettingsState": "disabled",
   "InstanceMetadataDefaults": {"HttpTokens": "optional"}},
  {"AccountId": "111122223333", "Region": "us-east-1",
   "ImageBlockPublicAccessState": "block-new-sharing", "SnapshotBlockPublicAccessState": "block-all-sharing",
   "EbsEncryptionByDefault": true, "AllowedImagesSettingsState": "enabled",
   "InstanceMetadataDefaults": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2}}
]}"#;

/// Images with and without `ImageAllowed: false` (AMI026's fixture).
const IMAGES: &str = "fixtures/rules/AMI026.json";

const ACCOUNT_RULES: &str = "AMI026,AMI201,AMI202,AMI203,AMI205,AMI206";

fn serve(dir: &Path, extra: &[&str]) -> Server {
    let settings = dir.join("served-settings.json");
    std::fs::write(&settings, SETTINGS).expect("write");
    let path = settings.display().to_string();
    let mut args = vec!["--settings", path.as_str()];
    args.extend_from_slice(extra);
    fixture_server(IMAGES, &args)
}

fn live(server: &Server, extra: &[&str]) -> (i32, Value, String) {
    live_of(server, "eu-west-1,us-east-1", ACCOUNT_RULES, extra)
}

/// A live scan of `regions` with the rules `select`, as JSON.
fn live_of(server: &Server, regions: &str, select: &str, extra: &[&str]) -> (i32, Value, String) {
    let url = server.url();
    let mut args = vec![
        "scan",
        "--aws",
        "--endpoint-url",
        &url,
        "--region",
        regions,
        "--now",
        NOW,
        "--select",
        select,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = amilint_live(&args);
    let doc = json(&out, &err);
    (code, doc, err)
}

/// (rule, subject id, pointer) of every finding.
fn keys(doc: &Value) -> BTreeSet<(String, String, String)> {
    crate::common::findings(doc, ["/rule_id", "/image_id", "/location/pointer"])
        .into_iter()
        .map(|[rule, image, pointer]| (rule, image, pointer))
        .collect()
}

fn account_findings(doc: &Value) -> Vec<&Value> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["subject"] == "account")
        .collect()
}

#[test]
fn guardrails_are_read_once_per_scope_linted_and_joined_to_the_images() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = serve(dir.path(), &[]);
    let (code, doc, err) = live(&server, &[]);
    assert_eq!(code, 1, "{err}");
    let expected: BTreeSet<(String, String, String)> = [
        ("AMI201", "/ImageBlockPublicAccessState"),
        ("AMI202", "/SnapshotBlockPublicAccessState"),
        ("AMI203", "/EbsEncryptionByDefault"),
        ("AMI205", "/AllowedImagesSettingsState"),
        ("AMI206", "/InstanceMetadataDefaults/HttpTokens"),
    ]
    .iter()
    .map(|(r, p)| {
        (
            r.to_string(),
            "111122223333/eu-west-1".to_string(),
            p.to_string(),
        )
    })
    .collect();
    let accounts: BTreeSet<_> = keys(&doc)
        .into_iter()
        .filter(|(_, id, _)| !id.starts_with("ami-"))
        .collect();
    assert_eq!(accounts, expected, "us-east-1 has every guardrail on");
    for f in account_findings(&doc) {
        assert_eq!(f["account_id"], "111122223333");
        assert_eq!(f["region"], "eu-west-1");
        assert!(f["image_arn"].is_null());
        assert_eq!(
            f["location"]["uri"],
            "aws/111122223333/eu-west-1/account-settings.json"
        );
        assert!(!f["remediation"].is_null() || f["rule_id"] == "AMI204");
    }
    // Allowed AMIs: disabled in eu-west-1, enabled in us-east-1: the images
    // that say ImageAllowed false cannot be launched in us-east-1.
    let not_allowed: Vec<(String, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "AMI026")
        .map(|f| {
            (
                f["region"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        not_allowed.len(),
        3,
        "3 images with ImageAllowed false: {not_allowed:?}"
    );
    assert!(
        not_allowed
            .iter()
            .all(|(r, m)| r == "us-east-1" && m.contains("cannot be launched")),
        "{not_allowed:?}"
    );
    assert_eq!(doc["summary"]["accounts_scanned"], 2);
    // Exactly the calls the scopes need: the caller, and per scope one
    // DescribeImages page and the six settings.
    for action in [
        "GetImageBlockPublicAccessState",
        "GetSnapshotBlockPublicAccessState",
        "GetEbsEncryptionByDefault",
        "GetEbsDefaultKmsKeyId",
        "GetAllowedImagesSettings",
        "GetInstanceMetadataDefaults",
    ] {
        assert_eq!(server.calls(action), 2, "{action}");
    }
    // … and the Recycle Bin's ListRules for AMIs and for snapshots (no rules
    // served here: nothing to GetRule).
    assert_eq!(server.calls("ListRules"), 2 * 2);
    assert_eq!(doc["scan"]["api_calls"], 1 + 2 * (1 + 6 + 2));

    // --no-guardrails: no settings read, none of their findings.
    let (_, off, err) = live(&server, &["--no-guardrails"]);
    assert!(account_findings(&off).is_empty(), "{err}");
    assert_eq!(off["scan"]["api_calls"], 1 + 2);
}

/// Issue 34: the Recycle Bin's retention rules are read with the guardrails
/// (ListRules for AMIs and for snapshots, every page, then GetRule of each
/// rule) and saved with them; the fixture endpoint answers as the Recycle
/// Bin API reference says (REST-JSON, one rule a page).
#[test]
fn recycle_bin_rules_are_read_paged_and_saved_with_the_guardrails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let image_rules = serde_json::json!([
        {"Identifier": "a1b2c3d4e5f", "Description": "every AMI, 30 days",
         "RetentionPeriod": {"RetentionPeriodValue": 30, "RetentionPeriodUnit": "DAYS"},
         "Status": "available", "LockState": "unlocked",
         "ExcludeResourceTags": [{"ResourceTagKey": "scratch", "ResourceTagValue": "true"}],
         "RuleArn": "arn:aws:rbin:eu-west-1:111122223333:rule/a1b2c3d4e5f"},
        {"Identifier": "f5e4d3c2b1a", "Description": "golden AMIs, 365 days",
         "RetentionPeriod": {"RetentionPeriodValue": 365, "RetentionPeriodUnit": "DAYS"},
         "ResourceTags": [{"ResourceTagKey": "golden"}],
         "Status": "available",
         "RuleArn": "arn:aws:rbin:eu-west-1:111122223333:rule/f5e4d3c2b1a"}
    ]);
    let mut settings: Value = serde_json::from_str(SETTINGS).expect("settings");
    settings["AccountSettings"][0]["RecycleBinImageRules"] = image_rules.clone();
    let served = dir.path().join("served-settings.json");
    std::fs::write(&served, settings.to_string()).expect("write");
    let server = fixture_server(IMAGES, &["--settings", served.to_str().expect("utf-8")]);
    let saved = dir.path().join("settings.json");
    let (_, doc, err) = live(
        &server,
        &["--save-settings", saved.to_str().expect("utf-8")],
    );
    // Two pages of AMI rules in eu-west-1; one (empty) page otherwise.
    assert_eq!(server.calls("ListRules"), 2 + 1 + 2, "{err}");
    assert_eq!(server.calls("GetRule"), 2);
    assert_eq!(doc["scan"]["api_calls"], 1 + 2 * (1 + 6) + 5 + 2);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved")).expect("JSON");
    let entry = |region: &str| {
        saved["AccountSettings"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["Region"] == region)
            .cloned()
            .expect("entry")
    };
    assert_eq!(entry("eu-west-1")["RecycleBinImageRules"], image_rules);
    assert_eq!(
        entry("eu-west-1")["RecycleBinSnapshotRules"],
        serde_json::json!([])
    );
    assert_eq!(
        entry("us-east-1")["RecycleBinImageRules"],
        serde_json::json!([])
    );

    // Judged by AMI207 and AMI208 alike live and offline: eu-west-1 keeps
    // every AMI (a Region-level rule; its exclusions aside), nothing else
    // is kept anywhere.
    let (code, live_doc, err) = live_of(&server, "eu-west-1,us-east-1", "AMI207,AMI208", &[]);
    assert_eq!(code, 1, "{err}");
    let (code, offline_doc, err) = Scan::of(&[IMAGES])
        .args(&[
            "--settings-file",
            dir.path().join("settings.json").to_str().expect("utf-8"),
        ])
        .args(&["--select", "AMI207,AMI208"])
        .json();
    assert_eq!(code, 1, "{err}");
    let judged = |doc: &Value| -> BTreeSet<[String; 2]> {
        findings(doc, ["/rule_id", "/image_id"])
            .into_iter()
            .collect()
    };
    let expected: BTreeSet<[String; 2]> = [
        ["AMI207", "111122223333/us-east-1"],
        ["AMI208", "111122223333/eu-west-1"],
        ["AMI208", "111122223333/us-east-1"],
    ]
    .map(|pair| pair.map(str::to_string))
    .into();
    assert_eq!(judged(&live_doc), expected);
    assert_eq!(judged(&offline_doc), expected);
}

#[test]
fn saved_settings_give_the_same_findings_offline_pointing_into_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = serve(dir.path(), &[]);
    let export = dir.path().join("images.json");
    let settings = dir.path().join("settings.json");
    let (code, saved, err) = live(
        &server,
        &[
            "--save",
            export.to_str().expect("utf-8"),
            "--save-settings",
            settings.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = run(&[
        "scan",
        export.to_str().expect("utf-8"),
        "--settings-file",
        settings.to_str().expect("utf-8"),
        "--no-config",
        "--now",
        NOW,
        "--select",
        ACCOUNT_RULES,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let offline: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(keys(&offline), keys(&saved));
    let fingerprints = |doc: &Value| -> BTreeSet<String> {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        fingerprints(&offline),
        fingerprints(&saved),
        "stable across reruns"
    );
    // Findings about an account point at its entry in the settings file.
    let text = std::fs::read_to_string(&settings).expect("settings");
    // The entry's `{` is two lines above its Region (AccountId between).
    let entry_line = text
        .lines()
        .position(|l| l.contains("\"Region\": \"eu-west-1\""))
        .expect("entry") as u64
        - 1;
    for f in account_findings(&offline) {
        assert!(
            f["location"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("settings.json")),
            "{f}"
        );
        assert_eq!(f["location"]["line"], entry_line, "{f}");
    }
    // Without the settings file, neither account rules nor AMI026 judge;
    // AMI026 says why.
    let (code, out, err) = run(&[
        "scan",
        export.to_str().expect("utf-8"),
        "--no-config",
        "--now",
        NOW,
        "--select",
        ACCOUNT_RULES,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let bare: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(bare["summary"]["findings"], 0);
    assert!(err.contains("AMI026 skipped on 6 of 22 images"), "{err}");
}

#[test]
fn a_failed_settings_call_is_reported_and_the_other_settings_still_judged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = serve(
        dir.path(),
        &["--fail-action", "GetAllowedImagesSettings@eu-west-1"],
    );
    let (code, doc, err) = live(&server, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("GetAllowedImagesSettings") && err.contains("UnauthorizedOperation"),
        "{err}"
    );
    let rules: BTreeSet<String> = account_findings(&doc)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        rules,
        ["AMI201", "AMI202", "AMI203", "AMI206"]
            .iter()
            .map(|r| r.to_string())
            .collect(),
        "AMI205 cannot judge what was not read"
    );
    let errors = doc["errors"].as_array().expect("errors");
    assert!(errors.iter().any(|e| {
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("GetAllowedImagesSettings"))
    }));
}

#[test]
fn fix_turns_the_guardrails_on_with_dry_run_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = serve(dir.path(), &[]);
    let report = dir.path().join("report.json");
    let (code, _, err) = live(&server, &["-o", &format!("json={}", report.display())]);
    assert_eq!(code, 1, "{err}");
    let first = std::fs::read(&report).expect("report");
    let url = server.url();
    let log = dir.path().join("fix.log");
    let fix = |extra: &[&str]| {
        let mut args = vec![
            "fix",
            report.to_str().expect("utf-8"),
            "--endpoint-url",
            &url,
            "--log",
            log.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        amilint_live(&args)
    };
    // The plan shows each account call with its region.
    let (code, out, err) = fix(&[]);
    assert_eq!(code, 0, "{err}");
    for command in [
        "aws ec2 enable-image-block-public-access --image-block-public-access-state block-new-sharing --region eu-west-1",
        "aws ec2 enable-snapshot-block-public-access --state block-all-sharing --region eu-west-1",
        "aws ec2 enable-ebs-encryption-by-default --region eu-west-1",
        "aws ec2 enable-allowed-images-settings --allowed-images-settings-state audit-mode --region eu-west-1",
        "aws ec2 modify-instance-metadata-defaults --http-tokens required --region eu-west-1",
    ] {
        assert!(out.contains(command), "{command}\n{out}");
    }
    // DryRun: each permitted, nothing changed.
    let (code, out, err) = fix(&["--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    let permitted = out.lines().filter(|l| l.starts_with("permitted")).count();
    assert_eq!(permitted, 5, "{out}");
    assert_eq!(server.get("/__changes"), serde_json::json!([]));
    // Applied: the five changes are made in eu-west-1, each logged with its undo.
    let (code, out, err) = fix(&["--apply", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let made: BTreeSet<(String, String)> = server
        .get("/__changes")
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap_or("").to_string(),
                c["region"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        "EnableImageBlockPublicAccess",
        "EnableSnapshotBlockPublicAccess",
        "EnableEbsEncryptionByDefault",
        "EnableAllowedImagesSettings",
        "ModifyInstanceMetadataDefaults",
    ]
    .iter()
    .map(|a| (a.to_string(), "eu-west-1".to_string()))
    .collect();
    assert_eq!(made, want);
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.contains("disable-image-block-public-access"),
        "{logged}"
    );
    assert!(logged.contains("--http-tokens no-preference"), "{logged}");
    // Scanned again: only Allowed AMIs is left, now in audit mode (the
    // next step, enabled, is the next fix), and it marks the images it
    // would block.
    let (code, after, err) = live(&server, &["-o", &format!("json={}", report.display())]);
    assert_eq!(code, 1, "{err}");
    let left: Vec<String> = account_findings(&after)
        .iter()
        .map(|f| format!("{} {}", f["rule_id"], f["message"]))
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].contains("AMI205") && left[0].contains("audit mode"),
        "{left:?}"
    );
    let audit = after["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "AMI026" && f["region"] == "eu-west-1")
        .count();
    assert_eq!(audit, 3);
    // Enabled is not proposed: it blocks every launch of an image outside
    // the criteria, and this scan did not read the fleet whose images they
    // would block (issue 34: fleet::allowed_amis_are_enabled_only_with_an_empty_impact…).
    let (code, out, err) = fix(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains("--allowed-images-settings-state enabled"),
        "{out}"
    );
    let changed = server.get("/__changes").as_array().expect("changes").len();
    let (code, out, err) = fix(&["--apply", "--yes", "--rule", "AMI205"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        server.get("/__changes").as_array().expect("changes").len(),
        changed
    );
    // The first report again: each setting is read first and found on already
    // (Allowed AMIs in audit mode): nothing is sent, nothing logged.
    std::fs::write(&report, &first).expect("write");
    let lines = std::fs::read_to_string(&log).expect("log").lines().count();
    let (code, out, err) = fix(&["--apply", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("skipped")).count(),
        5,
        "{out}"
    );
    assert!(
        out.contains("Allowed AMIs is in audit mode already"),
        "{out}"
    );
    assert_eq!(
        server.get("/__changes").as_array().expect("changes").len(),
        changed
    );
    assert_eq!(
        std::fs::read_to_string(&log).expect("log").lines().count(),
        lines + 1,
        "the run's start line only"
    );

    // A report whose account action names another account's subject is refused.
    let text = std::fs::read_to_string(&report).expect("report");
    let forged = text.replace("\"111122223333/eu-west-1\"", "\"999988887777/eu-west-1\"");
    std::fs::write(&report, forged).expect("write");
    let (code, _, err) = fix(&[]);
    assert_eq!(code, 2);
    assert!(err.contains("not its account and region"), "{err}");
}

/// Issue 30: a least-privilege role (ec2:DescribeImages only) gets its image
/// findings and a complete scan: each guardrail call it may not make is one
/// note per rule, counted over the scopes, not an error per scope. A rule
/// asked for by name, or by --benchmark, makes the scan incomplete.
#[test]
fn issue_30_a_describe_images_only_role_gets_its_findings_and_notes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let calls = [
        "GetImageBlockPublicAccessState",
        "GetSnapshotBlockPublicAccessState",
        "GetEbsEncryptionByDefault",
        "GetEbsDefaultKmsKeyId",
        "GetAllowedImagesSettings",
        "GetInstanceMetadataDefaults",
        "ListRules",
    ];
    let mut extra = Vec::new();
    for call in calls {
        extra.extend(["--fail-action", call]);
    }
    let server = serve(dir.path(), &extra);
    let url = server.url();
    let scan = |more: &[&str]| {
        let mut args = vec![
            "scan",
            "--aws",
            "--endpoint-url",
            &url,
            "--region",
            "eu-west-1,us-east-1",
            "--now",
            NOW,
            "--format",
            "json",
        ];
        args.extend_from_slice(more);
        let (code, out, err) = amilint_live(&args);
        let doc: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON ({e}): {out}\n{err}"));
        (code, doc, err)
    };
    // The default rules: image findings, exit 1, no error.
    let (code, doc, err) = scan(&[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{err}");
    assert!(!doc["findings"].as_array().expect("findings").is_empty());
    let notes: Vec<&str> = doc["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["message"].as_str())
        .filter(|m| m.contains("not assessed"))
        .collect();
    for (rule, call) in [
        ("AMI201", "ec2:GetImageBlockPublicAccessState"),
        ("AMI202", "ec2:GetSnapshotBlockPublicAccessState"),
        ("AMI203", "ec2:GetEbsEncryptionByDefault"),
        ("AMI205", "ec2:GetAllowedImagesSettings"),
        ("AMI206", "ec2:GetInstanceMetadataDefaults"),
    ]
    .map(|(rule, call)| (rule, format!("{call} denied (UnauthorizedOperation)")))
    .into_iter()
    .chain(["AMI207", "AMI208"].map(|rule| {
        // Recycle Bin, a JSON service: IAM denies with AccessDeniedException.
        (
            rule,
            "rbin:ListRules denied (AccessDeniedException)".to_string(),
        )
    })) {
        let want = format!("{rule} not assessed in 2 of 2 scopes: {call}");
        assert_eq!(
            notes.iter().filter(|n| n.starts_with(&want)).count(),
            1,
            "{want}: {notes:?}"
        );
        // On stderr rules refused by the same call are said on one line.
        let said = format!("not assessed in 2 of 2 scopes: {call}");
        let lines: Vec<&str> = err.lines().filter(|l| l.contains(&said)).collect();
        assert_eq!(lines.len(), 1, "once on stderr: {err}");
        assert!(lines[0].contains(rule), "{err}");
    }
    // Asked for by name: the scan is incomplete (exit 2), and says why.
    let (code, _, err) = scan(&["--select", "AMI001,AMI201"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("AMI201 was asked for by name"), "{err}");
    // Through --benchmark: its snapshot and encryption controls need them.
    let (code, doc, err) = scan(&["--benchmark", "cis-compute-v1"]);
    assert_eq!(code, 2, "{err}");
    let controls = doc["summary"]["benchmark"]["controls"]
        .as_array()
        .expect("controls");
    let encryption = controls
        .iter()
        .find(|c| c["control"] == "2.2.1")
        .expect("2.2.1");
    assert_eq!(encryption["status"], "not assessed", "{encryption}");
}

/// Issue 34: the Allowed AMIs criteria are read live (GetAllowedImagesSettings
/// `ImageCriteria`) and saved; AMI026 judges them where DescribeImages gives
/// no `ImageAllowed` — with the setting disabled, what enabling it would
/// block — the same live and offline from what was saved.
#[test]
fn allowed_amis_criteria_say_what_enabling_would_block_live_and_offline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = serde_json::json!({"AccountSettings": [
        {"AccountId": "111122223333", "Region": "eu-west-1",
         "AllowedImagesSettingsState": "disabled",
         "ImageCriteria": [
             {"ImageProviders": ["amazon", "aws-marketplace"]},
             {"ImageProviders": ["444455556666"], "ImageNames": ["golden-*"],
              "CreationDateCondition": {"MaximumDaysSinceCreated": 365}}
         ]}
    ]});
    let served = dir.path().join("served-settings.json");
    std::fs::write(&served, settings.to_string()).expect("write");
    let server = fixture_server(IMAGES, &["--settings", served.to_str().expect("utf-8")]);
    let (export, saved) = (
        dir.path().join("images.json"),
        dir.path().join("settings.json"),
    );
    let save = [
        "--save",
        export.to_str().expect("utf-8"),
        "--save-settings",
        saved.to_str().expect("utf-8"),
    ];
    let (code, live, err) = live_of(&server, "eu-west-1", "AMI026", &save);
    assert_eq!(code, 1, "{err}");
    let saved_doc = json(&std::fs::read_to_string(&saved).expect("saved"), "");
    assert_eq!(
        saved_doc["AccountSettings"][0]["ImageCriteria"],
        settings["AccountSettings"][0]["ImageCriteria"]
    );
    let (code, offline, err) = Scan::of(&[export.to_str().expect("utf-8")])
        .args(&[
            "--settings-file",
            saved.to_str().expect("utf-8"),
            "--select",
            "AMI026",
        ])
        .json();
    assert_eq!(code, 1, "{err}");
    let blocked = |doc: &Value| -> BTreeSet<String> {
        findings(doc, ["/image_id", "/message"])
            .into_iter()
            .filter(|[_, m]| m.contains("would block"))
            .map(|[id, _]| id)
            .collect()
    };
    assert_eq!(blocked(&live), blocked(&offline));
    let blocked = blocked(&live);
    // The partner's image of another name and its too old one; not its
    // golden image, not Amazon's, not the account's own, and not a public
    // image that may be a verified provider's (not told).
    for id in ["ami-0a260000000000013", "ami-0a260000000000015"] {
        assert!(blocked.contains(id), "{id}: {blocked:?}");
    }
    for id in [
        "ami-0a260000000000011",
        "ami-0a260000000000012",
        "ami-0a260000000000014",
        "ami-0a260000000000016",
    ] {
        assert!(!blocked.contains(id), "{id}: {blocked:?}");
    }
}
