//! Issue 34: the fleet behind the images — instances, launch template
//! versions and Auto Scaling groups linted by the fleet rules (AMI301–AMI307),
//! offline from the AWS CLI's exports and live on moto, live == offline.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::servers::*;
use crate::common::*;

const INSTANCES: &str = "fixtures/examples/describe-instances.json";
const TEMPLATES: &str = "fixtures/examples/describe-launch-template-versions.json";
const GROUPS: &str = "fixtures/examples/describe-auto-scaling-groups.json";

/// (subject, id, rule, image used) of every fleet finding.
fn fleet_findings(doc: &Value) -> BTreeSet<[String; 4]> {
    findings(doc, ["/subject", "/image_id", "/rule_id", "/uses_image_id"])
        .into_iter()
        .filter(|[_, _, rule, _]| rule.starts_with("AMI3"))
        .collect()
}

fn set(rows: &[[&str; 4]]) -> BTreeSet<[String; 4]> {
    rows.iter().map(|r| r.map(str::to_string)).collect()
}

/// The bundled example's fleet, from the AWS CLI's own exports: instances
/// (account from the reservation, region from the zone), launch template
/// versions (`$Default` and `$Latest` told apart) and a group whose mixed
/// instances policy and overrides name template versions. Each finding is on
/// its workload, names the image, and points at the workload in its export.
#[test]
fn the_example_fleet_is_linted_from_the_aws_cli_exports() {
    // The README's run: the payments image is past its deprecation time.
    let (code, doc, err) = Scan::of(&[EXAMPLE])
        .now("2026-12-06T00:00:00Z")
        .no_config()
        .args(&[
            "--fleet-file",
            INSTANCES,
            "--fleet-file",
            TEMPLATES,
            "--fleet-file",
            GROUPS,
        ])
        .json();
    assert_eq!(code, 1, "{err}");
    let payments = "ami-05e6f7a8b9c0d1e2f";
    let buildhost = "ami-0123456789abcdef0";
    assert_eq!(
        fleet_findings(&doc),
        set(&[
            ["instance", "i-05e6f7a8b9c0d1e2f", "AMI303", payments],
            ["instance", "i-05e6f7a8b9c0d1e2f", "AMI306", payments],
            ["instance", "i-0123456789abcdef0", "AMI306", buildhost],
            [
                "launch-template",
                "lt-0payments000000001:$Default",
                "AMI303",
                payments
            ],
            [
                "launch-template",
                "lt-0payments000000001:$Default",
                "AMI306",
                payments
            ],
            ["auto-scaling-group", "payments-asg", "AMI303", payments],
            ["auto-scaling-group", "payments-asg", "AMI306", payments],
        ]),
        "{err}"
    );
    let instance = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["image_id"] == "i-05e6f7a8b9c0d1e2f")
        .expect("the payments instance");
    assert_eq!(
        instance["resource_arn"],
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-05e6f7a8b9c0d1e2f"
    );
    assert_eq!(instance["account_id"], "111122223333");
    assert_eq!(instance["region"], "eu-west-1");
    assert_eq!(instance["image_arn"], Value::Null);
    assert_eq!(instance["location"]["uri"], INSTANCES);
    // It points at the instance's `InstanceId`.
    let text = std::fs::read_to_string(INSTANCES).expect("export");
    let line = instance["location"]["line"].as_u64().expect("line") as usize;
    assert_eq!(
        text.lines().nth(line - 1).map(str::trim),
        Some("\"InstanceId\": \"i-05e6f7a8b9c0d1e2f\","),
        "line {line}"
    );
    // The instance on an image the inputs do not hold: not assessed, said.
    assert_eq!(doc["summary"]["workloads_scanned"], 7, "{doc}");
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains("not assessed on 1 of 7 workloads"),
        "{notes}"
    );
}

/// Every AMI3xx rule from a saved fleet: missing (ids EC2 no longer knows),
/// disabled, deprecated, not allowed by the criteria (`audit-mode`: what
/// enabling would block), a public image of an owner nobody chose, an own
/// image with a high finding, and a launch template that lags behind its
/// image family.
#[test]
fn each_fleet_rule_finds_its_workloads_from_a_saved_fleet() {
    let (code, doc, err) = Scan::of(&["fixtures/fleet/images.json"])
        .no_config()
        .args(&[
            "--fleet-file",
            "fixtures/fleet/fleet.json",
            "--settings-file",
            "fixtures/fleet/settings.json",
            "--owner",
            "111122223333",
        ])
        .json();
    assert_eq!(code, 1, "{err}");
    let rules: BTreeSet<String> = fleet_findings(&doc)
        .into_iter()
        .map(|[_, _, r, _]| r)
        .collect();
    assert_eq!(
        rules,
        [
            "AMI301", "AMI302", "AMI303", "AMI304", "AMI305", "AMI306", "AMI307"
        ]
        .map(str::to_string)
        .into()
    );
    let found = fleet_findings(&doc);
    for row in [
        [
            "instance",
            "i-90e00000000000000",
            "AMI301",
            "ami-dead0000000000000",
        ],
        [
            "instance",
            "i-0ff00000000000000",
            "AMI302",
            "ami-0ff00000000000000",
        ],
        [
            "instance",
            "i-5e000000000000000",
            "AMI305",
            "ami-5e000000000000000",
        ],
        [
            "instance",
            "i-5e000000000000000",
            "AMI304",
            "ami-5e000000000000000",
        ],
        [
            "launch-template",
            "lt-eb000000000000000:$Default",
            "AMI307",
            "ami-eb010100000000000",
        ],
    ] {
        assert!(
            found.contains(&row.map(str::to_string)),
            "{row:?} not in {found:?}"
        );
    }
    let blocked = common_message(&doc, "AMI304");
    assert!(
        blocked.contains("enabling Allowed AMIs in 111122223333 eu-west-1 would block"),
        "{blocked}"
    );
    let laggard = common_message(&doc, "AMI307");
    assert!(laggard.contains("ami-eb030100000000000"), "{laggard}");
}

fn common_message(doc: &Value, rule: &str) -> String {
    findings(doc, ["/rule_id", "/message"])
        .into_iter()
        .find(|[r, _]| r == rule)
        .map(|[_, m]| m)
        .unwrap_or_default()
}

/// A fleet file that is none: an error with its place, no report.
#[test]
fn a_file_that_is_not_a_fleet_is_an_error() {
    let (code, out, err) = Scan::of(&[EXAMPLE])
        .no_config()
        .args(&["--fleet-file", EXAMPLE])
        .run();
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("describe-images.json:1:1") && err.contains("not a fleet file"),
        "{err}"
    );
    let bad = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(
        bad.path(),
        "{\"Reservations\": [{\"Instances\": [{\"InstanceId\": 7}]}]}",
    )
    .expect("write");
    let path = bad.path().to_string_lossy().to_string();
    let (code, _, err) = Scan::of(&[EXAMPLE])
        .no_config()
        .args(&["--fleet-file", &path])
        .run();
    assert_eq!(code, 2);
    assert!(err.contains(&format!("{path}:1:")), "{err}");
}

// ---- live: moto ----------------------------------------------------------

/// Held-out shape: an instance, a launch template and an Auto Scaling group on
/// a deregistered image, an instance on a disabled one, a template whose
/// image is an SSM parameter (resolved through GetParameters), and an
/// Amazon image described by id though the scan fetches only its own; the
/// saved fleet gives the same findings offline, with the same fingerprints,
/// and with criteria for the account the running Amazon instance is what
/// enabling Allowed AMIs would block.
#[test]
fn moto_fleet_on_deregistered_and_disabled_images_live_as_offline() {
    crate::common::externals::needs!(Venv);
    let moto = start_moto();
    let seed = venv_json(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/live/seed_moto_fleet.py"
        ))
        .expect("seed script"),
        &[&moto.url()],
    );
    let id = |kind: &str, case: &str| seed[kind][case].as_str().expect("id").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let (images, fleet) = (
        dir.path().join("images.json"),
        dir.path().join("fleet.json"),
    );
    let save = [
        "--fleet",
        "--owners",
        "self",
        "--save",
        images.to_str().expect("path"),
        "--save-fleet",
        fleet.to_str().expect("path"),
    ];
    let (code, live, err) =
        crate::live::live_json(&moto, "eu-west-1", &["--fleet", "--owners", "self"]);
    assert_eq!(code, 1, "{err}");
    let found = fleet_findings(&live);
    let gone = id("images", "gone");
    for row in [
        [
            "instance".to_string(),
            id("instances", "on-gone"),
            "AMI301".into(),
            gone.clone(),
        ],
        [
            "launch-template".into(),
            format!("{}:$Default", id("templates", "gone-lt")),
            "AMI301".into(),
            gone.clone(),
        ],
        [
            "auto-scaling-group".into(),
            "web-asg".into(),
            "AMI301".into(),
            gone.clone(),
        ],
        [
            "instance".into(),
            id("instances", "on-off"),
            "AMI302".into(),
            id("images", "off"),
        ],
    ] {
        assert!(found.contains(&row), "{row:?} not in {found:?}\n{err}");
    }
    // The SSM parameter resolved: the template launches the current image.
    let ssm = format!("{}:$Default", id("templates", "ssm-lt"));
    assert!(
        found.iter().all(|[_, w, rule, uses]| w != &ssm
            || (rule != "AMI301" && uses == &id("images", "current"))),
        "{found:?}"
    );
    assert_eq!(live["summary"]["workloads_scanned"], 8, "{err}");

    let (code, saved, err) = crate::live::live_json(&moto, "eu-west-1", &save);
    assert_eq!(code, 1, "{err}");
    let (code, offline, err) = Scan::of(&[images.to_str().expect("path")])
        .no_config()
        .args(&[
            "--fleet-file",
            fleet.to_str().expect("path"),
            "--owner",
            "123456789012",
        ])
        .json();
    assert_eq!(code, 1, "{err}");
    let prints = |doc: &Value| -> BTreeSet<[String; 3]> {
        findings(doc, ["/image_id", "/rule_id", "/fingerprint"])
            .into_iter()
            .collect()
    };
    assert_eq!(prints(&live), prints(&saved));
    assert_eq!(prints(&saved), prints(&offline));

    // Criteria that allow only the account's own `app-*` images and
    // Marketplace's: the running Amazon instance is what enabling blocks.
    let settings = dir.path().join("settings.json");
    std::fs::write(
        &settings,
        r#"{"AccountSettings": [{"AccountId": "123456789012", "Region": "eu-west-1",
            "AllowedImagesSettingsState": "audit-mode",
            "ImageCriteria": [{"ImageProviders": ["aws-marketplace"]}]}]}"#,
    )
    .expect("write settings");
    let (_, criteria, err) = Scan::of(&[images.to_str().expect("path")])
        .no_config()
        .args(&[
            "--fleet-file",
            fleet.to_str().expect("path"),
            "--settings-file",
            settings.to_str().expect("path"),
            "--owner",
            "123456789012",
            "--select",
            "AMI304,AMI205",
        ])
        .json();
    let blocked: Vec<[String; 2]> = findings(&criteria, ["/image_id", "/rule_id"])
        .into_iter()
        .filter(|[_, r]| r == "AMI304")
        .collect();
    assert_eq!(
        blocked,
        vec![[id("instances", "on-amazon"), "AMI304".to_string()]],
        "{err}"
    );
}

// ---- AMI205: `enabled` only with an empty impact, re-read at apply --------

/// The fixture endpoint in audit mode with `criteria`, serving the AMI026
/// fixture's images and three instances on them (its `--fleet-instances`).
fn audit_mode(dir: &std::path::Path, name: &str, criteria: Value) -> Server {
    let settings = serde_json::json!({"AccountSettings": [
        {"AccountId": "111122223333", "Region": "eu-west-1",
         "AllowedImagesSettingsState": "audit-mode", "ImageCriteria": criteria}]});
    let path = dir.join(name);
    std::fs::write(&path, settings.to_string()).expect("write settings");
    fixture_server(
        "fixtures/rules/AMI026.json",
        &[
            "--settings",
            path.to_str().expect("utf-8"),
            "--fleet-instances",
            "3",
        ],
    )
}

/// The AMI205 finding's fix actions, as `(operation, state)`.
fn enable_actions(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "AMI205")
        .flat_map(|f| {
            f["remediation"]["actions"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|a| {
            a["input"]["AllowedImagesSettingsState"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// Held-out shape: AMI205's fix proposes `enabled` only when the criteria
/// allow every image the fleet uses; `amilint fix` reads the criteria and the
/// fleet again right before the call and does not send it when they would
/// block anything now — never `enabled` with a non-empty impact.
#[test]
fn allowed_amis_are_enabled_only_with_an_empty_impact_read_again_at_apply() {
    let dir = tempfile::tempdir().expect("temp dir");
    let everything = serde_json::json!([{"ImageNames": ["*"]}]);
    let nothing = serde_json::json!([{"ImageNames": ["nothing-*"]}]);
    let scan = |server: &Server, report: &str| {
        let out = format!("json={}", dir.path().join(report).display());
        let url = server.url();
        let args = [
            "scan",
            "--aws",
            "--fleet",
            "--endpoint-url",
            &url,
            "--region",
            "eu-west-1",
            "--now",
            NOW,
            "--select",
            "AMI205,AMI304",
            "--format",
            "json",
            "-o",
            &out,
        ];
        let (code, stdout, err) = amilint_live(&args);
        assert_eq!(code, 1, "{err}");
        json(&stdout, &err)
    };
    // Criteria that block the fleet's images: no `enabled` proposed.
    let blocking = audit_mode(dir.path(), "blocking.json", nothing.clone());
    let doc = scan(&blocking, "blocking-report.json");
    assert_eq!(enable_actions(&doc), Vec::<String>::new(), "{doc}");
    let message = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "AMI205")
        .expect("AMI205")["message"]
        .to_string();
    assert!(message.contains("enabling would block 3"), "{message}");
    assert!(
        !findings(&doc, ["/rule_id"])
            .into_iter()
            .filter(|[r]| r == "AMI304")
            .collect::<Vec<_>>()
            .is_empty()
    );

    // Criteria that allow them: `enabled` proposed …
    let allowing = audit_mode(dir.path(), "allowing.json", everything);
    let doc = scan(&allowing, "report.json");
    assert_eq!(enable_actions(&doc), vec!["enabled".to_string()], "{doc}");
    // … made only with AMI205 named …
    let (code, out, err) = crate::fix::fix(&allowing, dir.path(), &["--apply", "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(allowing.calls("EnableAllowedImagesSettings"), 0, "{out}");
    // … and not sent where the criteria (re-read) would block the fleet now.
    let now_blocking = audit_mode(dir.path(), "now-blocking.json", nothing);
    let (code, out, err) = crate::fix::fix(
        &now_blocking,
        dir.path(),
        &["--apply", "--yes", "--rule", "AMI205"],
    );
    assert!(out.contains("would block"), "{code} {out}{err}");
    assert_eq!(
        now_blocking.calls("EnableAllowedImagesSettings"),
        0,
        "{out}"
    );
    // Where they still allow it, it is made.
    let (code, out, err) = crate::fix::fix(
        &allowing,
        dir.path(),
        &["--apply", "--yes", "--rule", "AMI205"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        allowing.calls("EnableAllowedImagesSettings"),
        1,
        "{out}{err}"
    );
}

/// A fleet export past the reader's 1 MiB read size, plain and gzipped,
/// with instances whose tags spell the key (`\"InstanceId\"` in a value):
/// the same findings, each placed at its own instance's `InstanceId`.
#[test]
fn large_fleet_exports_read_the_same_plain_and_gzipped() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let instances: Vec<Value> = (0..3000)
        .map(|k| {
            serde_json::json!({
                "InstanceId": format!("i-{k:017x}"),
                "ImageId": if k % 2 == 0 { "ami-05e6f7a8b9c0d1e2f" } else { "ami-0a1b2c3d4e5f60718" },
                "State": {"Code": 16, "Name": "running"},
                "Placement": {"AvailabilityZone": "eu-west-1a", "GroupName": "", "Tenancy": "default"},
                "Tags": [{"Key": "Note", "Value": format!("\"InstanceId\": \"i-{:017x}\"", k + 1)},
                         {"Key": "Name", "Value": "x".repeat(300)}],
            })
        })
        .collect();
    let doc = serde_json::json!({"Reservations": [
        {"ReservationId": "r-0a", "OwnerId": "111122223333", "Groups": [], "Instances": instances}]});
    let text = serde_json::to_string_pretty(&doc).expect("JSON");
    assert!(text.len() > 1 << 20, "{}", text.len());
    let plain = dir.path().join("instances.json");
    std::fs::write(&plain, &text).expect("write");
    let gz = dir.path().join("instances.json.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let scan = |file: &std::path::Path| {
        let (code, doc, err) = Scan::of(&[EXAMPLE])
            .now("2026-12-06T00:00:00Z")
            .no_config()
            .args(&[
                "--fleet-file",
                file.to_str().expect("utf-8"),
                "--select",
                "AMI303",
            ])
            .json();
        assert_eq!(code, 1, "{err}");
        findings(&doc, ["/image_id", "/location/line", "/fingerprint"])
    };
    let found = scan(&plain);
    assert_eq!(found, scan(&gz));
    assert_eq!(found.len(), 1500);
    for [id, line, _] in &found {
        let at = text
            .lines()
            .nth(line.parse::<usize>().expect("line") - 1)
            .expect("line");
        assert_eq!(at.trim(), format!("\"InstanceId\": \"{id}\","));
    }
}

/// A role that may not list instances gets everything else: the fleet rules
/// are not assessed where DescribeInstances was denied (one note each, on
/// stderr too), the scan stays complete — unless a fleet rule was asked for
/// by name: then it is an error too (exit 2).
#[test]
fn a_denied_fleet_call_is_a_note_not_an_error_unless_its_rule_is_named() {
    let server = fixture_server(
        "fixtures/rules/AMI026.json",
        &[
            "--fleet-instances",
            "3",
            "--fail-action",
            "DescribeInstances",
        ],
    );
    let (code, doc, err) = crate::live::live_json(&server, "eu-west-1", &["--fleet"]);
    let expected = "AMI303 not assessed in 1 of 1 scopes: ec2:DescribeInstances denied (UnauthorizedOperation)";
    assert!(doc["notes"].to_string().contains(expected), "{doc}");
    // On stderr the seven rules are said once.
    let folded = "AMI301, AMI302, AMI303, AMI304, AMI305, AMI306, AMI307 not assessed in 1 of 1 scopes: ec2:DescribeInstances denied";
    assert_eq!(err.matches(folded).count(), 1, "{err}");
    assert_eq!(doc["errors"], serde_json::json!([]), "{doc}");
    assert!([0, 1].contains(&code), "{err}");
    let (code, doc, err) =
        crate::live::live_json(&server, "eu-west-1", &["--fleet", "--select", "AMI303"]);
    assert_eq!(code, 2, "{err}");
    assert!(doc["errors"].to_string().contains(expected), "{doc}");
}

/// Issue 35: in JUnit a rule that did not judge a subject is `<skipped>`
/// with why, never a pass — a fleet rule on a workload whose image the
/// inputs do not hold, an owner-only rule on another owner's image.
#[test]
fn junit_never_shows_a_rule_that_did_not_judge_as_a_pass() {
    let (code, junit, err) = Scan::of(&[EXAMPLE])
        .now("2026-12-06T00:00:00Z")
        .no_config()
        .format("junit")
        .args(&["--fleet-file", INSTANCES])
        .run();
    assert_eq!(code, 1, "{err}");
    let case = |rule: &str, subject: &str| -> String {
        let open = format!("<testcase classname=\"{rule}\" name=\"{subject}");
        let at = junit
            .find(&open)
            .unwrap_or_else(|| panic!("{open}: {junit}"));
        junit[at..].lines().take(2).collect::<Vec<_>>().join("\n")
    };
    let unknown = case("AMI301", "i-0fedcba987654321f");
    assert!(
        unknown.contains("<skipped message=\"AMI301 not assessed on 1 of 1 workloads"),
        "{unknown}"
    );
    let amazon = case("AMI001", "ami-0d4c3b2a190817263");
    assert!(
        amazon.contains("<skipped message=\"AMI001 not run on 1 of 1 images: owner-only"),
        "{amazon}"
    );
}
