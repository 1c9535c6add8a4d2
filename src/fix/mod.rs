//! `amilint fix`: the fixes of a JSON report's findings as EC2 calls, planned,
//! checked with DryRun, or made. This module reads the report and keeps the
//! change log; `send` (cargo feature `aws`) makes the calls.

#[cfg(feature = "aws")]
pub mod send;

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::error::json_message;
use crate::rules::Action;

/// One EC2 call of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub image_id: String,
    /// From a live scan's report; `None` offline.
    pub account_id: Option<String>,
    /// From a live scan's report, else `--region` or the profile's.
    pub region: Option<String>,
    pub action: Action,
    /// The rules whose findings this call fixes.
    pub rules: Vec<String>,
}

impl Call {
    /// Why `amilint fix` does not make this call, if it does not.
    pub fn held(&self, allow_irreversible: bool, now: jiff::Timestamp) -> Option<&'static str> {
        let past = match &self.action {
            Action::EnableDeprecation { deprecate_at } => {
                deprecate_at.parse::<jiff::Timestamp>().is_ok_and(|at| at <= now)
            }
            _ => false,
        };
        if past {
            // It would deprecate the image at once: scan again for a fresh date.
            Some("DeprecateAt is not in the future (an old report?): scan again")
        } else if !self.action.in_place() {
            Some("not made by amilint fix: it makes a new image; move its users to the copy yourself")
        } else if !self.action.reversible() && !allow_irreversible {
            Some("cannot be undone: pass --allow-irreversible to make it")
        } else {
            None
        }
    }

    pub fn command(&self) -> String {
        self.action.command(&self.image_id, self.region.as_deref())
    }
}

/// What a report asks to fix.
#[derive(Debug, Default)]
pub struct Plan {
    /// Distinct calls, in the report's order.
    pub calls: Vec<Call>,
    /// Findings left alone: suppressed by a waiver or tag.
    pub suppressed: usize,
    /// Findings whose rule knows no exact fix.
    pub without_fix: usize,
    /// The report's own errors (images or scopes it could not scan).
    pub report_errors: usize,
}

/// Which findings to fix.
#[derive(Debug, Default)]
pub struct Selection {
    /// Rule codes; empty: all.
    pub rules: Vec<String>,
    /// Image ids; empty: all.
    pub image_ids: Vec<String>,
}

/// Reads an amilint JSON report (`name` is for messages) into a plan.
/// Anything unexpected is an error, before any call is made.
pub fn read_report(bytes: &[u8], name: &str, only: &Selection) -> Result<Plan, String> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "{name}:{}:{}: {}",
            e.line(),
            e.column(),
            json_message(&e)
        )
    })?;
    if doc.get("runs").is_some() {
        return Err(format!(
            "{name}: a SARIF log; amilint fix reads JSON reports (`scan --format json` or `-o json=FILE`)"
        ));
    }
    if doc.get("schema_version") != Some(&Value::from(1)) {
        return Err(format!(
            "{name}: not an amilint JSON report (schema_version 1 expected)"
        ));
    }
    let Some(findings) = doc.get("findings").and_then(Value::as_array) else {
        return Err(format!("{name}: the report has no `findings` array"));
    };
    let mut plan = Plan {
        report_errors: doc
            .get("errors")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        ..Plan::default()
    };
    let mut index: BTreeMap<(Option<String>, Option<String>, String, Action), usize> =
        BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        let text = |key: &str| f.get(key).and_then(Value::as_str).map(str::to_string);
        let rule = text("rule_id").unwrap_or_default();
        let image_id = text("image_id").unwrap_or_default();
        let at = || format!("{name}: finding {} ({rule} on {image_id})", i + 1);
        if (!only.rules.is_empty() && !only.rules.iter().any(|r| r.eq_ignore_ascii_case(&rule)))
            || (!only.image_ids.is_empty() && !only.image_ids.contains(&image_id))
        {
            continue;
        }
        if f.get("suppression").is_some_and(|s| !s.is_null()) {
            plan.suppressed += 1;
            continue;
        }
        let remediation = match f.get("remediation") {
            None | Some(Value::Null) => {
                plan.without_fix += 1;
                continue;
            }
            Some(r) => r,
        };
        let Some(actions) = remediation.get("actions").and_then(Value::as_array) else {
            return Err(format!(
                "{}: its remediation has no `actions` (a report from an older amilint?): scan again",
                at()
            ));
        };
        for action in actions {
            let operation = action
                .get("operation")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let input = action.get("input").unwrap_or(&Value::Null);
            let (target, action) =
                Action::parse(operation, input).map_err(|e| format!("{}: {e}", at()))?;
            if target != image_id {
                return Err(format!(
                    "{}: the action is for image {target}, not the finding's",
                    at()
                ));
            }
            let key = (
                text("account_id"),
                text("region"),
                image_id.clone(),
                action.clone(),
            );
            match index.get(&key) {
                Some(&existing) => {
                    let rules = &mut plan.calls[existing].rules;
                    if !rules.contains(&rule) {
                        rules.push(rule.clone());
                    }
                }
                None => {
                    index.insert(key, plan.calls.len());
                    plan.calls.push(Call {
                        image_id: image_id.clone(),
                        account_id: text("account_id"),
                        region: text("region"),
                        action,
                        rules: vec![rule.clone()],
                    });
                }
            }
        }
    }
    Ok(plan)
}

/// How one call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The plan only: would be sent with --dry-run or --apply.
    Planned,
    /// Not sent: see `Call::held`.
    Held(&'static str),
    /// DryRun: the caller may make it (EC2 answered `DryRunOperation`).
    Permitted,
    /// Made; EC2's request id.
    Applied { request_id: Option<String> },
    /// The caller may not make it (`UnauthorizedOperation`, `AccessDenied`…).
    Denied(String),
    /// Anything else: the API's error, a network failure, a timeout.
    Failed(String),
}

impl Outcome {
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Planned => "planned",
            Outcome::Held(_) => "skipped",
            Outcome::Permitted => "permitted",
            Outcome::Applied { .. } => "applied",
            Outcome::Denied(_) => "denied",
            Outcome::Failed(_) => "failed",
        }
    }

    pub fn detail(&self) -> Option<&str> {
        match self {
            Outcome::Held(why) => Some(why),
            Outcome::Denied(why) | Outcome::Failed(why) => Some(why),
            Outcome::Planned | Outcome::Permitted | Outcome::Applied { .. } => None,
        }
    }
}

/// One call and how it ended, as `fix --format json` and the change log show it.
#[derive(Serialize)]
pub struct CallRecord<'a> {
    /// `planned`, `skipped`, `permitted`, `denied`, `failed` or `applied`.
    pub outcome: &'static str,
    /// Why it was skipped, denied or failed.
    pub detail: Option<&'a str>,
    /// EC2's request id of an applied change.
    pub request_id: Option<&'a str>,
    pub image_id: &'a str,
    pub account_id: Option<&'a str>,
    pub region: Option<&'a str>,
    pub rules: &'a [String],
    pub operation: &'static str,
    /// The API input sent (or to send).
    pub input: crate::rules::Input<'a>,
    /// The same as an AWS CLI command.
    pub command: String,
    /// The command that undoes the change (`null`: it cannot be undone).
    pub undo: Option<String>,
}

impl<'a> CallRecord<'a> {
    pub fn new(call: &'a Call, outcome: &'a Outcome) -> Self {
        let request_id = match outcome {
            Outcome::Applied { request_id } => request_id.as_deref(),
            _ => None,
        };
        CallRecord {
            outcome: outcome.word(),
            detail: outcome.detail(),
            request_id,
            image_id: &call.image_id,
            account_id: call.account_id.as_deref(),
            region: call.region.as_deref(),
            rules: &call.rules,
            operation: call.action.operation(),
            input: call.action.input(&call.image_id),
            command: call.command(),
            undo: call.action.undo(&call.image_id, call.region.as_deref()),
        }
    }
}

/// One line of the change log (JSON Lines, appended): every call `--apply`
/// sent, with how it ended and how to undo it.
#[derive(Serialize)]
pub struct LogEntry<'a> {
    pub time: String,
    /// The run's start time: the entries of one run share it.
    pub run: &'a str,
    #[serde(flatten)]
    pub call: CallRecord<'a>,
}

impl<'a> LogEntry<'a> {
    pub fn new(run: &'a str, call: &'a Call, outcome: &'a Outcome) -> Self {
        LogEntry {
            time: jiff::Timestamp::now().to_string(),
            run,
            call: CallRecord::new(call, outcome),
        }
    }

    /// Appends the entry as one line and flushes it, so that the log holds
    /// every change made even if amilint is stopped right after.
    pub fn append(&self, log: &mut std::fs::File) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(self)?;
        line.push(b'\n');
        log.write_all(&line)?;
        log.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(findings: Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schema_version": 1,
            "findings": findings,
            "errors": [],
        }))
        .expect("serialises")
    }

    fn finding(rule: &str, image: &str, operation: &str, input: Value) -> Value {
        serde_json::json!({
            "rule_id": rule, "image_id": image, "region": "eu-west-1", "account_id": "111122223333",
            "suppression": null,
            "remediation": {"commands": [], "actions": [{"operation": operation, "input": input}]},
        })
    }

    #[test]
    fn calls_are_distinct_and_name_their_rules() {
        let remove = serde_json::json!({"ImageId": "ami-1", "LaunchPermission": {"Remove": [{"Group": "all"}]}});
        let mut suppressed = finding("AMI002", "ami-2", "EnableImageDeprecation",
            serde_json::json!({"ImageId": "ami-2", "DeprecateAt": "2027-01-01T00:00:00Z"}));
        suppressed["suppression"] = serde_json::json!({"kind": "waiver", "justification": "x"});
        let bytes = report(serde_json::json!([
            finding("AMI006", "ami-1", "ModifyImageAttribute", remove.clone()),
            finding("X-PUBLIC", "ami-1", "ModifyImageAttribute", remove),
            suppressed,
            {"rule_id": "AMI004", "image_id": "ami-1", "remediation": null},
        ]));
        let plan = read_report(&bytes, "r.json", &Selection::default()).expect("reads");
        assert_eq!(plan.calls.len(), 1);
        assert_eq!(plan.calls[0].rules, vec!["AMI006", "X-PUBLIC"]);
        assert_eq!(plan.calls[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!((plan.suppressed, plan.without_fix), (1, 1));

        let only = Selection {
            rules: vec!["ami004".to_string()],
            image_ids: Vec::new(),
        };
        let plan = read_report(&bytes, "r.json", &only).expect("reads");
        assert_eq!((plan.calls.len(), plan.without_fix), (0, 1));
    }

    #[test]
    fn held_calls_say_why() {
        let now: jiff::Timestamp = "2026-11-22T00:00:00Z".parse().expect("time");
        let call = |action| Call {
            image_id: "ami-1".to_string(),
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
        assert_eq!(deprecate("2027-11-22T00:00:00Z").held(false, now), None);
        assert!(deprecate("2026-11-21T00:00:00Z").held(true, now).is_some_and(|w| w.contains("scan again")));
        assert!(call(Action::RequireImdsV2).held(false, now).is_some());
        assert_eq!(call(Action::RequireImdsV2).held(true, now), None);
        let copy = call(Action::CopyEncrypted {
            name: "x".to_string(),
            source_region: None,
        });
        assert!(copy.held(true, now).is_some());
    }

    #[test]
    fn a_tampered_or_foreign_report_is_refused_whole() {
        let cases = [
            (
                report(serde_json::json!([finding("AMI006", "ami-1", "DeregisterImage",
                    serde_json::json!({"ImageId": "ami-1"}))])),
                "never deregisters",
            ),
            (
                report(serde_json::json!([finding("AMI006", "ami-1", "ModifyImageAttribute",
                    serde_json::json!({"ImageId": "ami-2", "LaunchPermission": {"Remove": [{"Group": "all"}]}}))])),
                "not the finding's",
            ),
            (b"{\"version\": \"2.1.0\", \"runs\": []}".to_vec(), "SARIF"),
            (b"{\"schema_version\": 1,\n \"findings\": [}".to_vec(), "r.json:2:15"),
        ];
        for (bytes, expected) in cases {
            let err = read_report(&bytes, "r.json", &Selection::default()).expect_err("refused");
            assert!(err.contains(expected), "{err}");
        }
    }
}
