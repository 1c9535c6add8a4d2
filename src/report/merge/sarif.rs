//! What SARIF logs contribute to a merge, as serde-sarif's typed model: one
//! run, its rules, taxonomies and notifications the union of the shards',
//! written by the scan's own envelope (`output::sarif::open`, `close`).

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Notification, ReportingDescriptor, Run, RunAutomationDetails,
    Tool, ToolComponent,
};

use super::{Finished, extend_unique, sum_counts};
use crate::output::sarif::{Envelope, Summary, close, open};
use crate::report::read::SarifResult;
use crate::rules::Severity;
use crate::rules::compliance::{Framework, control_order};

pub(super) struct SarifParts {
    /// The first run's tool (its rules replaced by `rules`), category and
    /// work tree.
    first: Option<(ToolComponent, Option<RunAutomationDetails>)>,
    base_ids: Option<BTreeMap<String, ArtifactLocation>>,
    rules: Vec<ReportingDescriptor>,
    taxonomies: Vec<ToolComponent>,
    notes: Vec<Notification>,
    config_notes: Vec<Notification>,
    successful: bool,
    /// Distinct results (by fingerprint) so far.
    seen: HashSet<u128>,
    /// `--sarif-max-results` (0: no limit).
    max_results: usize,
    /// The distinct results past the listing budget, in case the merged log
    /// turns out to exceed `max_results`.
    past: Summary,
    /// The listing budget's results so far: the most severe, then lowest
    /// fingerprint (`Summary::hold` for a scan's findings).
    kept: BTreeMap<(Reverse<Severity>, u128), serde_sarif::sarif::Result>,
}

impl SarifParts {
    pub(super) fn new(max_results: usize) -> SarifParts {
        SarifParts {
            first: None,
            base_ids: None,
            rules: Vec::new(),
            taxonomies: Vec::new(),
            notes: Vec::new(),
            config_notes: Vec::new(),
            successful: true,
            seen: HashSet::new(),
            max_results,
            past: Summary::new(max_results, None),
            kept: BTreeMap::new(),
        }
    }

    /// A shard's result: kept for the listing or summarised, once whichever
    /// shards hold it.
    pub(super) fn result(&mut self, print: u128, raw: &SarifResult) -> Result<(), String> {
        if !self.seen.insert(print) || self.max_results == 0 {
            return Ok(());
        }
        let result = raw.typed()?;
        if raw.summarised.is_some() {
            self.past.add_result(&result);
            return Ok(());
        }
        let severity = result
            .properties
            .as_ref()
            .and_then(|p| p.additional_properties.get("severity"))
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(Severity::Info);
        let key = (Reverse(severity), print);
        let fits = self.kept.len() < self.past.limit
            || self
                .kept
                .last_key_value()
                .is_some_and(|(last, _)| key < *last);
        if !fits {
            self.past.add_result(&result);
            return Ok(());
        }
        self.kept.insert(key, result);
        if self.kept.len() > self.past.limit
            && let Some((_, out)) = self.kept.pop_last()
        {
            self.past.add_result(&out);
        }
        Ok(())
    }

    /// A shard's runs but their results.
    pub(super) fn runs(&mut self, runs: Vec<Map<String, Value>>) -> Result<(), String> {
        for run in runs {
            let run: Run = serde_json::from_value(Value::Object(run))
                .map_err(|e| format!("not a SARIF 2.1.0 run: {e}"))?;
            let driver = run.tool.driver;
            for rule in driver.rules.iter().flatten() {
                if !self.rules.iter().any(|r| r.id == rule.id) {
                    self.rules.push(rule.clone());
                }
            }
            for component in run.taxonomies.into_iter().flatten() {
                add_taxonomy(&mut self.taxonomies, component);
            }
            for invocation in run.invocations.into_iter().flatten() {
                self.successful &= invocation.execution_successful;
                for note in invocation.tool_execution_notifications.unwrap_or_default() {
                    add_notification(&mut self.notes, note);
                }
                extend_unique(
                    &mut self.config_notes,
                    invocation
                        .tool_configuration_notifications
                        .unwrap_or_default(),
                );
            }
            if self.first.is_none() {
                self.first = Some((driver, run.automation_details));
                self.base_ids = run.original_uri_base_ids;
            }
        }
        Ok(())
    }

    pub(super) fn finish(mut self) -> Finished {
        self.rules.sort_by(|a, b| a.id.cmp(&b.id));
        sort_taxonomies(&mut self.taxonomies);
        for rule in &mut self.rules {
            relate(rule, &self.taxonomies);
        }
        let rule_ids: Vec<String> = self.rules.iter().map(|r| r.id.clone()).collect();
        let any = self.first.is_some();
        let (mut driver, automation) = self
            .first
            .unwrap_or_else(|| (ToolComponent::builder().name("amilint").build(), None));
        driver.rules = Some(self.rules);
        // Past the limit: the most severe results listed, the others summarised.
        let (mut summaries, mut listed, mut notice) = (Vec::new(), None, None);
        if self.max_results > 0 && self.seen.len() > self.max_results {
            self.past.written = self.past.limit;
            let text = self.past.notice();
            let mut note = Notification::builder()
                .message(
                    serde_sarif::sarif::Message::builder()
                        .text(text.clone())
                        .build(),
                )
                .build();
            note.level = Some(Value::String("warning".to_string()));
            self.notes.push(note);
            summaries = self
                .past
                .results(|id| rule_ids.iter().position(|r| r == id))
                .iter()
                .map(|r| serde_json::to_vec(r).unwrap_or_default())
                .collect();
            listed = Some(self.kept.keys().map(|(_, print)| *print).collect());
            notice = Some(text);
        }
        let mut invocation = Invocation::builder()
            .execution_successful(self.successful)
            .build();
        invocation.tool_execution_notifications = (!self.notes.is_empty()).then_some(self.notes);
        invocation.tool_configuration_notifications =
            (!self.config_notes.is_empty()).then_some(self.config_notes);
        let envelope = Envelope {
            tool: Tool::builder().driver(driver).build(),
            taxonomies: (!self.taxonomies.is_empty()).then_some(self.taxonomies),
            automation,
            base_ids: self.base_ids,
        };
        let mut prefix = Vec::new();
        open(&envelope, &mut prefix);
        let suffix = [false, true].map(|any| {
            let mut out = Vec::new();
            close(any, &invocation, &mut out);
            out
        });
        Finished {
            prefix,
            separate: crate::output::sarif::separate,
            suffix,
            rule_ids,
            incomplete: any && !self.successful,
            failing: false,
            listed,
            summaries,
            notice,
        }
    }
}

/// Adds a shard's taxonomy (a compliance framework) to the merged ones: a
/// framework once, each of its controls once.
fn add_taxonomy(taxonomies: &mut Vec<ToolComponent>, component: ToolComponent) {
    let Some(merged) = taxonomies.iter_mut().find(|t| t.name == component.name) else {
        taxonomies.push(component);
        return;
    };
    let taxa = merged.taxa.get_or_insert_with(Vec::new);
    for taxon in component.taxa.into_iter().flatten() {
        if !taxa.iter().any(|t| t.id == taxon.id) {
            taxa.push(taxon);
        }
    }
}

/// The order a scan writes: frameworks as `Framework::ALL`, controls in
/// document order.
fn sort_taxonomies(taxonomies: &mut [ToolComponent]) {
    taxonomies.sort_by_key(|t| {
        Framework::ALL
            .iter()
            .position(|f| f.title() == t.name)
            .unwrap_or(usize::MAX)
    });
    for component in taxonomies {
        if let Some(taxa) = &mut component.taxa {
            taxa.sort_by_key(|t| control_order(&t.id));
        }
    }
}

/// Points a rule's relationships at the merged taxonomies: each target's
/// framework and control, by name and id, at their merged places.
fn relate(rule: &mut ReportingDescriptor, taxonomies: &[ToolComponent]) {
    for relationship in rule.relationships.iter_mut().flatten() {
        let target = &mut relationship.target;
        let Some(component) = &mut target.tool_component else {
            continue;
        };
        let place = taxonomies
            .iter()
            .position(|t| Some(&t.name) == component.name.as_ref());
        component.index = place.map(|i| i as i64);
        target.index = place.and_then(|i| {
            let taxa = taxonomies[i].taxa.as_ref()?;
            let taxon = taxa
                .iter()
                .position(|t| Some(&t.id) == target.id.as_ref())?;
            Some(taxon as i64)
        });
    }
}

/// Adds a shard's notification: a note of the same rule saying the same but
/// for its counts is one with the counts summed (as `super::add_note`);
/// anything else is kept once.
fn add_notification(notes: &mut Vec<Notification>, note: Notification) {
    let is_note = |n: &Notification| n.level == Some(Value::String("note".to_string()));
    let rule = |n: &Notification| n.associated_rule.as_ref().and_then(|r| r.id.clone());
    if is_note(&note) {
        for merged in notes
            .iter_mut()
            .filter(|n| is_note(n) && rule(n) == rule(&note))
        {
            let (Some(a), Some(b)) = (&merged.message.text, &note.message.text) else {
                continue;
            };
            if let Some(text) = sum_counts(a, b) {
                merged.message.text = Some(text);
                return;
            }
        }
    }
    if !notes.contains(&note) {
        notes.push(note);
    }
}
