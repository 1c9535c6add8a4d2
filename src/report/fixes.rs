//! The strict reader of an untrusted amilint JSON report: its findings'
//! fixes into a plan, anything unexpected an error before any call is made.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::InputError;
use crate::output::v1;
use crate::remedy::{Action, Call, Plan, Selection};
use crate::report::read::{self, Item, Kind};

/// The words for a SARIF log given to `fix`.
const NOT_SARIF: &str =
    "a SARIF log; amilint fix reads JSON reports (`scan --format json` or `-o json=FILE`)";

/// Reads an amilint JSON report (`name` is for messages) into a plan.
/// Anything unexpected is an error, before any call is made. The report is
/// read as it is parsed, one finding at a time (`report::read`): a million
/// images' report needs memory for its calls only.
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
    let members = read::read(input, name, &mut |_, item| match item {
        Item::Finding(finding) => builder.add(*finding),
        Item::Result(_) => Err(NOT_SARIF.to_string()),
    })?;
    if members.kind == Kind::Sarif {
        return Err(InputError::Syntax {
            path: name.to_string(),
            line: 1,
            column: 1,
            message: NOT_SARIF.to_string(),
        });
    }
    builder.plan.report_errors = members
        .top
        .get("errors")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
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
