//! The strict reader of an untrusted amilint JSON report: its findings'
//! fixes into a plan, anything unexpected an error before any call is made.

use std::collections::HashMap;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::InputError;
use crate::output::v1;
use crate::remedy::{Action, Call, Plan, Selection};

/// Reads an amilint JSON report (`name` is for messages) into a plan.
/// Anything unexpected is an error, before any call is made. The report is
/// read as it is parsed, one finding at a time: a million images' report
/// needs memory for its calls only.
pub fn read_report(
    input: impl std::io::Read,
    name: &str,
    only: &Selection,
) -> Result<Plan, InputError> {
    let mut builder = Builder {
        only,
        plan: Plan::default(),
        index: HashMap::new(),
        seen: 0,
    };
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, input));
    let whole = |message: &str| InputError::Syntax {
        path: name.to_string(),
        line: 1,
        column: 1,
        message: message.to_string(),
    };
    let top = ReportSeed(&mut builder)
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top))
        .map_err(|e| InputError::json(name, &e))?;
    if top.sarif {
        return Err(whole(
            "a SARIF log; amilint fix reads JSON reports (`scan --format json` or `-o json=FILE`)",
        ));
    }
    if top.schema_version != Some(Value::from(1)) {
        return Err(whole(
            "not an amilint JSON report (schema_version 1 expected)",
        ));
    }
    if !top.findings {
        return Err(whole("the report has no `findings` array"));
    }
    builder.plan.report_errors = top.errors;
    Ok(builder.plan)
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
    fn add(&mut self, f: v1::Finding<'_>) -> Result<(), String> {
        self.seen += 1;
        let at = || format!("finding {} ({} on {})", self.seen, f.rule_id, f.image_id);
        let only = self.only;
        if (!only.rules.is_empty()
            && !only
                .rules
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&f.rule_id)))
            || (!only.image_ids.is_empty() && !only.image_ids.iter().any(|i| *i == f.image_id))
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
        // Only an image the report shows as the user's is changed (a report
        // written before `owned` existed shows none).
        if f.subject != "account" && f.owned != Some(true) && !remediation.actions.is_empty() {
            self.plan.not_owned += 1;
            return Ok(());
        }
        for action in &remediation.actions {
            crate::report::no_repeated_keys(action.input.get())
                .map_err(|e| format!("{}: the action's input: {e}", at()))?;
            let input: Value =
                serde_json::from_str(action.input.get()).map_err(|e| format!("{}: {e}", at()))?;
            let (target, action) =
                Action::parse(&action.operation, &input).map_err(|e| format!("{}: {e}", at()))?;
            // An account's setting: the finding's subject, `ACCOUNT/REGION`,
            // whose account must be the finding's own.
            let target = match target {
                Some(image) => image,
                None => {
                    let subject = f.image_id.to_string();
                    if f.account_id.as_deref() != subject.split_once('/').map(|(a, _)| a) {
                        return Err(format!(
                            "{}: the action changes an account's setting, and the finding's subject {subject:?} is not its account and region",
                            at()
                        ));
                    }
                    subject
                }
            };
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
            if target != *f.image_id {
                return Err(format!(
                    "{}: the action is for image {target}, not the finding's",
                    at()
                ));
            }
            let key = (
                f.account_id.as_deref().map(str::to_string),
                f.region.as_deref().map(str::to_string),
                f.image_id.to_string(),
                action,
            );
            match self.index.get(&key) {
                Some(&existing) => {
                    let rules = &mut self.plan.calls[existing].rules;
                    if !rules.iter().any(|r| *r == f.rule_id) {
                        rules.push(f.rule_id.to_string());
                    }
                }
                None => {
                    self.plan.calls.push(Call {
                        image_id: key.2.clone(),
                        account_id: key.0.clone(),
                        region: key.1.clone(),
                        action: key.3.clone(),
                        rules: vec![f.rule_id.to_string()],
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
        let mut keys = crate::report::Keys::default();
        while let Some(key) = map.next_key::<String>()? {
            keys.first(&key)?;
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
        // Each finding whole, as v1 defines it: anything else is an error.
        while let Some(finding) = seq.next_element::<v1::Finding>()? {
            self.0.add(finding).map_err(serde::de::Error::custom)?;
        }
        Ok(())
    }
}
