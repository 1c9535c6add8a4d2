//! Fixes as data: actions, their rendering, and the strict report reader.

use serde_json::Value;

use super::valid::*;
use super::*;
use crate::error::ActionError;
use crate::model::Image;
use crate::report::fixes::read_report;

#[test]
fn issue_16_a_crafted_grantee_never_becomes_a_grant() {
    let hostile =
        Action::RemoveLaunchPermission(Grant::UserId("999988887777}],Add=[{Group=all".to_string()));
    let err = hostile
        .validate("ami-0123456789abcdef0", None)
        .expect_err("refused");
    assert_eq!(
        err,
        ActionError::Value {
            what: "account id",
            value: "999988887777}],Add=[{Group=all".to_string()
        }
    );
    let image = Image {
        image_id: Some("ami-0123456789abcdef0".to_string()),
        ..Image::default()
    };
    let fix = Fix::new(&image, vec![hostile], None);
    assert!(fix.actions.is_empty() && fix.commands.is_empty());
    assert!(
        fix.note
            .as_deref()
            .is_some_and(|n| n.starts_with("no fix shown"))
    );
    // Reading a report holding such a value back is refused too.
    let input = serde_json::json!({"ImageId": "ami-0123456789abcdef0",
        "LaunchPermission": {"Remove": [{"UserId": "1}],Add=[{Group=all"}]}});
    assert!(Action::parse("ModifyImageAttribute", &input).is_err());
    let input = serde_json::json!({"ImageId": "ami-1 --region x",
        "WithCooldown": true});
    assert!(Action::parse("EnableImageDeregistrationProtection", &input).is_err());
    for bad in ["all ", "All", "all}],Add=[{Group=all"] {
        let g = Action::RemoveLaunchPermission(Grant::Group(bad.to_string()));
        assert!(g.validate("ami-0123456789abcdef0", None).is_err(), "{bad}");
    }
    for (ok, id) in [
        (true, "ami-12345678"),
        (true, "ami-0123456789abcdef0"),
        (false, "ami-1"),
        (false, "ami-0123456789ABCDEF0"),
    ] {
        assert_eq!(is_image_id(id), ok, "{id}");
    }
    for (ok, r) in [
        (true, "eu-west-1"),
        (true, "us-gov-west-1"),
        (true, "ap-southeast-4"),
        (false, "eu-west-1 "),
        (false, "eu"),
        (false, "x-1"),
    ] {
        assert_eq!(is_region(r), ok, "{r}");
    }
    assert!(is_ou_arn(
        "arn:aws:organizations::111122223333:ou/o-abcdefghij/ou-ab12-cdef3456"
    ));
    assert!(!is_ou_arn(
        "arn:aws:organizations::111122223333:ou/o-abc/ou-x"
    ));
    assert!(is_organization_arn(
        "arn:aws-us-gov:organizations::111122223333:organization/o-abcdefghij"
    ));
}

fn every_action() -> Vec<Action> {
    vec![
        Action::RequireImdsV2,
        Action::EnableDeprecation {
            deprecate_at: "2027-11-22T00:00:00Z".to_string(),
        },
        Action::RemoveLaunchPermission(Grant::Group("all".to_string())),
        Action::RemoveLaunchPermission(Grant::UserId("999988887777".to_string())),
        Action::RemoveLaunchPermission(Grant::OrganizationArn(
            "arn:aws:organizations::111122223333:organization/o-abcdefghij".to_string(),
        )),
        Action::RemoveLaunchPermission(Grant::OrganizationalUnitArn(
            "arn:aws:organizations::111122223333:ou/o-abcdefghij/ou-ab12-cdef3456".to_string(),
        )),
        Action::EnableDeregistrationProtection,
        Action::DisableImage,
        Action::CopyEncrypted {
            name: "web 'v2'".to_string(),
            source_region: Some("eu-west-1".to_string()),
        },
        Action::CopyEncrypted {
            name: "web".to_string(),
            source_region: None,
        },
        Action::EnableImageBlockPublicAccess,
        Action::EnableSnapshotBlockPublicAccess,
        Action::EnableEbsEncryptionByDefault,
        Action::EnableAllowedImages { audit_mode: true },
        Action::EnableAllowedImages { audit_mode: false },
        Action::RequireImdsV2ByDefault,
    ]
}

#[test]
fn commands_quote_hostile_text() {
    assert_eq!(shell_word("ami-0abc1234"), "ami-0abc1234");
    assert_eq!(shell_word("Remove=[{Group=all}]"), "'Remove=[{Group=all}]'");
    assert_eq!(shell_word("a'b"), "'a'\\''b'");
    assert_eq!(shell_word(""), "''");
    assert_eq!(
        Action::RequireImdsV2.command("ami-1; rm -rf / $(x) `y`", None),
        "aws ec2 modify-image-attribute --image-id 'ami-1; rm -rf / $(x) `y`' --imds-support v2.0"
    );
    let copy = Action::CopyEncrypted {
        name: "web 'v2'".to_string(),
        source_region: Some("eu-west-1".to_string()),
    };
    assert_eq!(
        copy.command("ami-11111111", Some("eu-west-1")),
        "aws ec2 copy-image --source-image-id ami-11111111 --name 'web '\\''v2'\\''' --encrypted --source-region eu-west-1 --region eu-west-1"
    );
}

#[test]
fn inputs_read_back_as_the_same_action() {
    for action in every_action() {
        let input = serde_json::to_value(action.input("ami-0abc1234")).expect("serialises");
        let back = Action::parse(action.operation(), &input);
        // An account's setting names no image: the finding's subject does.
        let id = (!action.on_account()).then(|| "ami-0abc1234".to_string());
        assert_eq!(back, Ok((id, action.clone())), "{input}");
    }
}

#[test]
fn inputs_are_the_api_shapes() {
    let remove = Action::RemoveLaunchPermission(Grant::Group("all".to_string()));
    assert_eq!(
        serde_json::to_value(remove.input("ami-11111111")).expect("serialises"),
        serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Remove": [{"Group": "all"}]}})
    );
    assert_eq!(
        serde_json::to_value(Action::RequireImdsV2.input("ami-11111111")).expect("serialises"),
        serde_json::json!({"ImageId": "ami-11111111", "ImdsSupport": {"Value": "v2.0"}})
    );
}

#[test]
fn only_the_shapes_amilint_writes_are_read() {
    let bad = [
        (
            "DeregisterImage",
            serde_json::json!({"ImageId": "ami-11111111"}),
        ),
        (
            "DeleteSnapshot",
            serde_json::json!({"SnapshotId": "snap-1"}),
        ),
        (
            "ModifyImageAttribute",
            serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Add": [{"Group": "all"}]}}),
        ),
        (
            "ModifyImageAttribute",
            serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Remove": [{"UserId": "1"}, {"UserId": "2"}]}}),
        ),
        (
            "ModifyImageAttribute",
            serde_json::json!({"ImageId": "ami-11111111", "Description": {"Value": "x"}}),
        ),
        (
            "ModifyImageAttribute",
            serde_json::json!({"ImageId": "ami-11111111", "ImdsSupport": {"Value": "v1.0"}}),
        ),
        (
            "EnableImageDeprecation",
            serde_json::json!({"ImageId": "ami-11111111", "DeprecateAt": "soon"}),
        ),
        (
            "EnableImageDeregistrationProtection",
            serde_json::json!({"ImageId": "ami-11111111", "WithCooldown": false}),
        ),
        (
            "EnableImageDeprecation",
            serde_json::json!(["ami-11111111"]),
        ),
        // Only the image: never DeregisterImage's or another call's members.
        (
            "DisableImage",
            serde_json::json!({"ImageId": "ami-11111111", "DeleteAssociatedSnapshots": true}),
        ),
    ];
    for (operation, input) in bad {
        assert!(
            Action::parse(operation, &input).is_err(),
            "{operation} {input} was accepted"
        );
    }
}

#[test]
fn undo_reverses_each_reversible_action() {
    for action in every_action() {
        let undo = action.undo("ami-11111111", Some("eu-west-1"));
        assert_eq!(
            undo.is_some(),
            action.reversible() && action.in_place(),
            "{action:?}"
        );
    }
    let remove = Action::RemoveLaunchPermission(Grant::UserId("999988887777".to_string()));
    assert_eq!(
        remove.undo("ami-11111111", None).as_deref(),
        Some(
            "aws ec2 modify-image-attribute --image-id ami-11111111 --launch-permission 'Add=[{UserId=999988887777}]'"
        )
    );
}

fn report(findings: Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schema_version": 1,
        "findings": findings,
        "errors": [],
    }))
    .expect("serialises")
}

/// A whole v1 finding (what a report has), without a fix.
fn finding_without_fix(rule: &str, image: &str) -> Value {
    serde_json::json!({
        "rule_id": rule, "rule_name": "r", "severity": "high", "image_id": image,
        "image_name": null, "account_id": "111122223333", "region": "eu-west-1",
        "image_arn": null, "message": "m",
        "location": {"uri": "a.json", "line": 1, "column": 1, "pointer": "", "field_line": null},
        "fingerprint": "0000000000000001", "suppression": null, "baseline_state": null,
        "remediation": null, "owned": true,
    })
}

fn finding(rule: &str, image: &str, operation: &str, input: Value) -> Value {
    let mut f = finding_without_fix(rule, image);
    f["remediation"] = serde_json::json!({
        "commands": [], "actions": [{"operation": operation, "input": input}],
        "note": null, "reversible": true,
    });
    f
}

#[test]
fn calls_are_distinct_and_name_their_rules() {
    let remove = serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Remove": [{"Group": "all"}]}});
    let mut suppressed = finding(
        "AMI002",
        "ami-22222222",
        "EnableImageDeprecation",
        serde_json::json!({"ImageId": "ami-22222222", "DeprecateAt": "2027-01-01T00:00:00Z"}),
    );
    suppressed["suppression"] = serde_json::json!({"kind": "waiver", "justification": "x"});
    let bytes = report(serde_json::json!([
        finding(
            "AMI006",
            "ami-11111111",
            "ModifyImageAttribute",
            remove.clone()
        ),
        finding("X-PUBLIC", "ami-11111111", "ModifyImageAttribute", remove),
        suppressed,
        finding_without_fix("AMI004", "ami-11111111"),
    ]));
    let plan = read_report(&bytes[..], "r.json", &Selection::default()).expect("reads");
    assert_eq!(plan.calls.len(), 1);
    assert_eq!(plan.calls[0].rules, vec!["AMI006", "X-PUBLIC"]);
    assert_eq!(plan.calls[0].region.as_deref(), Some("eu-west-1"));
    assert_eq!((plan.suppressed, plan.without_fix), (1, 1));

    let only = Selection {
        rules: vec!["ami004".to_string()],
        image_ids: Vec::new(),
    };
    let plan = read_report(&bytes[..], "r.json", &only).expect("reads");
    assert_eq!((plan.calls.len(), plan.without_fix), (0, 1));
}

#[test]
fn held_calls_say_why() {
    let now: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().expect("time");
    let call = |action| Call {
        image_id: "ami-11111111".to_string(),
        account_id: None,
        region: None,
        action,
        rules: Vec::new(),
    };
    let deprecate = |at: &str| {
        call(Action::EnableDeprecation {
            deprecate_at: at.to_string(),
        })
    };
    assert_eq!(
        deprecate("2027-11-22T00:00:00Z").held(false, &[], now),
        None
    );
    assert!(
        deprecate("2026-11-21T00:00:00Z")
            .held(true, &[], now)
            .is_some_and(|w| w.contains("scan again"))
    );
    assert!(call(Action::RequireImdsV2).held(false, &[], now).is_some());
    assert_eq!(call(Action::RequireImdsV2).held(true, &[], now), None);
    let copy = call(Action::CopyEncrypted {
        name: "x".to_string(),
        source_region: None,
    });
    assert!(copy.held(true, &[], now).is_some());
}

#[test]
fn issue_30_a_fix_that_can_block_launches_needs_its_rule_named() {
    let now: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().expect("time");
    let call = |action, rule: &str| Call {
        image_id: "ami-11111111".to_string(),
        account_id: None,
        region: None,
        action,
        rules: vec![rule.to_string()],
    };
    let unshare = call(
        Action::RemoveLaunchPermission(Grant::Group("all".to_string())),
        "AMI006",
    );
    assert!(
        unshare
            .held(true, &[], now)
            .is_some_and(|w| w.contains("can block launches"))
    );
    assert!(unshare.held(true, &["AMI012".to_string()], now).is_some());
    assert_eq!(unshare.held(true, &["ami006".to_string()], now), None);
    // Allowed AMIs: audit mode blocks nothing; enabled (proposed only with
    // an empty fleet impact, re-read before the call) only with AMI205 named.
    let audit = call(Action::EnableAllowedImages { audit_mode: true }, "AMI205");
    assert_eq!(audit.held(false, &[], now), None);
    let enable = call(Action::EnableAllowedImages { audit_mode: false }, "AMI205");
    assert!(
        enable
            .held(true, &[], now)
            .is_some_and(|w| w.contains("can block launches"))
    );
    assert_eq!(enable.held(true, &["AMI205".to_string()], now), None);
}

/// A report of one AMI014 finding whose `key` is `value`.
fn protection_with(key: &str, value: &str) -> Vec<u8> {
    let mut f = finding(
        "AMI014",
        "ami-11111111",
        "EnableImageDeregistrationProtection",
        serde_json::json!({"ImageId": "ami-11111111", "WithCooldown": true}),
    );
    f[key] = serde_json::json!(value);
    report(serde_json::json!([f]))
}

#[test]
fn a_tampered_or_foreign_report_is_refused_whole() {
    let cases = [
        (
            report(serde_json::json!([finding(
                "AMI006",
                "ami-11111111",
                "DeregisterImage",
                serde_json::json!({"ImageId": "ami-11111111"})
            )])),
            "never deregisters",
        ),
        (
            report(serde_json::json!([finding(
                "AMI006",
                "ami-11111111",
                "ModifyImageAttribute",
                serde_json::json!({"ImageId": "ami-22222222", "LaunchPermission": {"Remove": [{"Group": "all"}]}})
            )])),
            "not the finding's",
        ),
        (b"{\"version\": \"2.1.0\", \"runs\": []}".to_vec(), "SARIF"),
        // Issue 16: a finding's region or account reaches the call too.
        (
            protection_with("region", "eu-west-1 --endpoint-url http://x"),
            "the region",
        ),
        (
            protection_with("account_id", "1111:role/x"),
            "the account id",
        ),
        (
            b"{\"schema_version\": 1,\n \"findings\": [}".to_vec(),
            "r.json:2:15",
        ),
    ];
    for (bytes, expected) in cases {
        let err = read_report(&bytes[..], "r.json", &Selection::default()).expect_err("refused");
        assert!(err.to_string().contains(expected), "{err}");
    }
}

/// Issue 22: `fix` never plans a change to an image the report does not show
/// as owned — `owned: false`, or a report without `owned` at all.
#[test]
fn issue_22_images_not_shown_as_owned_are_left_alone() {
    let remove = serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Remove": [{"Group": "all"}]}});
    let owned = finding(
        "AMI006",
        "ami-11111111",
        "ModifyImageAttribute",
        remove.clone(),
    );
    let mut other = finding(
        "AMI006",
        "ami-11111111",
        "ModifyImageAttribute",
        remove.clone(),
    );
    other["owned"] = Value::Bool(false);
    other["fingerprint"] = Value::from("0000000000000002");
    let mut unknown = finding("AMI006", "ami-11111111", "ModifyImageAttribute", remove);
    unknown.as_object_mut().expect("object").remove("owned");
    let plan = read_report(
        &report(serde_json::json!([owned]))[..],
        "r.json",
        &Selection::default(),
    )
    .expect("reads");
    assert_eq!((plan.calls.len(), plan.not_owned), (1, 0));
    let plan = read_report(
        &report(serde_json::json!([other, unknown]))[..],
        "r.json",
        &Selection::default(),
    )
    .expect("reads");
    assert_eq!((plan.calls.len(), plan.not_owned), (0, 2));
}
