//! `amilint fix`: the fixes of a JSON report's findings as EC2 calls, planned,
//! checked with DryRun, or made. This module reads the report and keeps the
//! change log; `send` (cargo feature `aws`) makes the calls.

#[cfg(feature = "aws")]
pub mod send;

use std::collections::HashMap;
use std::io::Write;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
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
            Action::EnableDeprecation { deprecate_at } => deprecate_at
                .parse::<jiff::Timestamp>()
                .is_ok_and(|at| at <= now),
            _ => false,
        };
        if past {
            // It would deprecate the image at once: scan again for a fresh date.
            Some("DeprecateAt is not in the future (an old report?): scan again")
        } else if !self.action.in_place() {
            Some(
                "not made by amilint fix: it makes a new image; move its users to the copy yourself",
            )
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
/// Anything unexpected is an error, before any call is made. The report is
/// read as it is parsed, one finding at a time: a million images' report
/// needs memory for its calls only.
pub fn read_report(
    input: impl std::io::Read,
    name: &str,
    only: &Selection,
) -> Result<Plan, String> {
    let mut builder = Builder {
        only,
        plan: Plan::default(),
        index: HashMap::new(),
        seen: 0,
    };
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, input));
    let top = ReportSeed(&mut builder)
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top))
        .map_err(|e| match e.is_io() {
            true => format!("{name}: {e}"),
            false => format!("{name}:{}:{}: {}", e.line(), e.column(), json_message(&e)),
        })?;
    if top.sarif {
        return Err(format!(
            "{name}: a SARIF log; amilint fix reads JSON reports (`scan --format json` or `-o json=FILE`)"
        ));
    }
    if top.schema_version != Some(Value::from(1)) {
        return Err(format!(
            "{name}: not an amilint JSON report (schema_version 1 expected)"
        ));
    }
    if !top.findings {
        return Err(format!("{name}: the report has no `findings` array"));
    }
    builder.plan.report_errors = top.errors;
    Ok(builder.plan)
}

/// What a report's finding says that `fix` needs; the rest is skipped unread.
#[derive(Deserialize)]
struct ReportFinding {
    #[serde(default)]
    rule_id: String,
    #[serde(default)]
    image_id: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    suppression: Option<IgnoredAny>,
    #[serde(default)]
    remediation: Option<ReportFix>,
}

#[derive(Deserialize)]
struct ReportFix {
    #[serde(default)]
    actions: Option<Vec<ReportAction>>,
}

#[derive(Deserialize)]
struct ReportAction {
    #[serde(default)]
    operation: String,
    #[serde(default)]
    input: Value,
}

/// The plan as the findings stream in.
struct Builder<'a> {
    only: &'a Selection,
    plan: Plan,
    /// Each distinct call's place in `plan.calls`.
    index: HashMap<(Option<String>, Option<String>, String, Action), usize>,
    /// Findings read so far.
    seen: usize,
}

impl Builder<'_> {
    fn add(&mut self, f: ReportFinding) -> Result<(), String> {
        self.seen += 1;
        let at = || format!("finding {} ({} on {})", self.seen, f.rule_id, f.image_id);
        let only = self.only;
        if (!only.rules.is_empty()
            && !only
                .rules
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&f.rule_id)))
            || (!only.image_ids.is_empty() && !only.image_ids.contains(&f.image_id))
        {
            return Ok(());
        }
        if f.suppression.is_some() {
            self.plan.suppressed += 1;
            return Ok(());
        }
        let Some(remediation) = &f.remediation else {
            self.plan.without_fix += 1;
            return Ok(());
        };
        let Some(actions) = &remediation.actions else {
            return Err(format!(
                "{}: its remediation has no `actions` (a report from an older amilint?): scan again",
                at()
            ));
        };
        for action in actions {
            let (target, action) = Action::parse(&action.operation, &action.input)
                .map_err(|e| format!("{}: {e}", at()))?;
            // The finding's account and region also reach the call (and its
            // command): checked like the action's own values.
            action
                .validate(&target, f.region.as_deref())
                .map_err(|e| format!("{}: {e}", at()))?;
            if let Some(account) = f.account_id.as_deref()
                && !crate::model::is_account_id(account)
            {
                return Err(format!(
                    "{}: the account id {account:?} is not one AWS forms",
                    at()
                ));
            }
            if target != f.image_id {
                return Err(format!(
                    "{}: the action is for image {target}, not the finding's",
                    at()
                ));
            }
            let key = (
                f.account_id.clone(),
                f.region.clone(),
                f.image_id.clone(),
                action,
            );
            match self.index.get(&key) {
                Some(&existing) => {
                    let rules = &mut self.plan.calls[existing].rules;
                    if !rules.contains(&f.rule_id) {
                        rules.push(f.rule_id.clone());
                    }
                }
                None => {
                    self.plan.calls.push(Call {
                        image_id: key.2.clone(),
                        account_id: key.0.clone(),
                        region: key.1.clone(),
                        action: key.3.clone(),
                        rules: vec![f.rule_id.clone()],
                    });
                    self.index.insert(key, self.plan.calls.len() - 1);
                }
            }
        }
        Ok(())
    }
}

/// The report's top level: which keys were there.
#[derive(Default)]
struct Top {
    schema_version: Option<Value>,
    findings: bool,
    errors: usize,
    sarif: bool,
}

/// Reads the top-level object, handing each finding to the builder.
struct ReportSeed<'b, 'a>(&'b mut Builder<'a>);

impl<'de> DeserializeSeed<'de> for ReportSeed<'_, '_> {
    type Value = Top;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ReportSeed<'_, '_> {
    type Value = Top;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an amilint JSON report (an object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let mut top = Top::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "schema_version" => top.schema_version = Some(map.next_value()?),
                "runs" => {
                    top.sarif = true;
                    map.next_value::<IgnoredAny>()?;
                }
                "findings" => {
                    map.next_value_seed(FindingsSeed(&mut *self.0))?;
                    top.findings = true;
                }
                "errors" => top.errors = map.next_value::<Vec<IgnoredAny>>()?.len(),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
}

/// Reads the findings array one finding at a time.
struct FindingsSeed<'b, 'a>(&'b mut Builder<'a>);

impl<'de> DeserializeSeed<'de> for FindingsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FindingsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of findings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(finding) = seq.next_element::<ReportFinding>()? {
            self.0.add(finding).map_err(serde::de::Error::custom)?;
        }
        Ok(())
    }
}

/// Why a call was not sent once the run was stopped (Ctrl-C, or a change
/// log that could not be written).
pub const NOT_SENT_STOPPED: &str = "not sent: interrupted";

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
        sync(log)
    }
}

/// Syncs the log to disk; a log that cannot be synced (a device such as
/// `/dev/null`) has nothing to sync.
pub fn sync(log: &std::fs::File) -> std::io::Result<()> {
    match log.sync_data() {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Ok(()),
        other => other,
    }
}

/// The first line a run of `--apply` writes to the change log, before any
/// change: a log that cannot take it stops the run with nothing changed.
#[derive(Debug, serde::Serialize)]
pub struct RunStart<'a> {
    pub time: &'a str,
    pub run: &'a str,
    /// Always `start`: tells this line from a call's.
    pub event: &'static str,
    /// The calls the run is about to send.
    pub calls: usize,
}

impl<'a> RunStart<'a> {
    pub fn new(run: &'a str, calls: usize) -> Self {
        RunStart {
            time: run,
            run,
            event: "start",
            calls,
        }
    }

    /// Appends the line and syncs it to disk.
    pub fn append(&self, log: &mut std::fs::File) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(self)?;
        line.push(b'\n');
        log.write_all(&line)?;
        sync(log)
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
        let remove = serde_json::json!({"ImageId": "ami-11111111", "LaunchPermission": {"Remove": [{"Group": "all"}]}});
        let mut suppressed = finding(
            "AMI002",
            "ami-22222222",
            "EnableImageDeprecation",
            serde_json::json!({"ImageId": "ami-22222222", "DeprecateAt": "2027-01-01T00:00:00Z"}),
        );
        suppressed["suppression"] = serde_json::json!({"kind": "waiver", "justification": "x"});
        let bytes = report(serde_json::json!([
            finding("AMI006", "ami-11111111", "ModifyImageAttribute", remove.clone()),
            finding("X-PUBLIC", "ami-11111111", "ModifyImageAttribute", remove),
            suppressed,
            {"rule_id": "AMI004", "image_id": "ami-11111111", "remediation": null},
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
        assert_eq!(deprecate("2027-11-22T00:00:00Z").held(false, now), None);
        assert!(
            deprecate("2026-11-21T00:00:00Z")
                .held(true, now)
                .is_some_and(|w| w.contains("scan again"))
        );
        assert!(call(Action::RequireImdsV2).held(false, now).is_some());
        assert_eq!(call(Action::RequireImdsV2).held(true, now), None);
        let copy = call(Action::CopyEncrypted {
            name: "x".to_string(),
            source_region: None,
        });
        assert!(copy.held(true, now).is_some());
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
            let err =
                read_report(&bytes[..], "r.json", &Selection::default()).expect_err("refused");
            assert!(err.contains(expected), "{err}");
        }
    }
}
