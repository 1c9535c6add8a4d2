//! What a check sees besides the image, and where it reports: `Cx`.

use jiff::Timestamp;

use super::dates::{Date, read_time};
use super::{Fix, RequestKind, RuleMeta, RuleSettings, Severity};
use crate::model::{AccountSettings, Image, Pointer};

/// A finding as a rule reports it, before the scanner adds where it was read.
#[derive(Debug, Clone)]
pub struct RawFinding {
    pub rule: &'static RuleMeta,
    pub pointer: Pointer,
    pub message: String,
    /// A policy may set a finding's severity; built-ins use their rule's.
    pub severity: Option<Severity>,
    /// The exact fix, when the rule knows one.
    pub fix: Option<Fix>,
    /// A policy's `key`: what in the image the finding is about, for its
    /// fingerprint (`finding::identity::subject_key`).
    pub key: Option<String>,
}

/// What a check sees besides the image: the settings, and a place to report
/// that knows which rule is running.
pub struct Cx<'a> {
    pub settings: &'a RuleSettings,
    /// `amilint preflight`: the kind of request being linted (`None` when
    /// linting images).
    pub request: Option<RequestKind>,
    rule: Option<&'static RuleMeta>,
    findings: Vec<RawFinding>,
    /// The date field the running rule could not read on this image.
    unreadable: Option<&'static str>,
}

/// How running a rule on an image went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    Checked,
    /// The image lacks the data the rule needs (`Needs`).
    NoData,
    /// A date the rule reads is not one amilint reads (the field's name):
    /// the rule did not judge the whole image (a note says so).
    Unreadable(&'static str),
}

impl<'a> Cx<'a> {
    pub fn new(settings: &'a RuleSettings, request: Option<RequestKind>) -> Self {
        Cx {
            settings,
            request,
            rule: None,
            findings: Vec::new(),
            unreadable: None,
        }
    }

    /// Runs a built-in rule's check on `image`; its findings are stamped with
    /// the rule. Without checking, `NoData` when the image lacks the data the
    /// rule needs (a policy is not run here either); `Unreadable` when the
    /// check met a date it cannot read (what it found on the image's other
    /// fields is kept, but the rule did not judge the whole image).
    pub fn run(&mut self, rule: &'static RuleMeta, image: &Image) -> Ran {
        if !rule.needs.met_by(image) {
            return Ran::NoData;
        }
        if let Some(check) = rule.builtin_check() {
            self.rule = Some(rule);
            check(image, self);
            self.rule = None;
            if let Some(field) = self.unreadable.take() {
                return Ran::Unreadable(field);
            }
        }
        Ran::Checked
    }

    /// The date in `field` (`text`, its value): `None` when absent; when it
    /// is there but not read (`read_time`), also `None`, and the rule is
    /// reported as skipped on the image for it — never a silent pass.
    pub fn date(&mut self, field: &'static str, text: Option<&str>) -> Option<Timestamp> {
        match read_time(text) {
            Date::At(at) => Some(at),
            Date::Absent => None,
            Date::Unreadable => {
                self.unreadable.get_or_insert(field);
                None
            }
        }
    }

    /// A date the rule cannot judge the image without: absent counts as
    /// unread too.
    pub fn required_date(&mut self, field: &'static str, text: Option<&str>) -> Option<Timestamp> {
        let at = self.date(field, text);
        if at.is_none() {
            self.unreadable.get_or_insert(field);
        }
        at
    }

    /// Runs a built-in account rule's check on one account × region.
    pub fn run_account(&mut self, rule: &'static RuleMeta, settings: &AccountSettings) {
        if let Some(check) = rule.account_check() {
            self.rule = Some(rule);
            check(settings, self);
            self.rule = None;
        }
    }

    /// Runs a built-in fleet rule on one image a workload launches from:
    /// `NoData` when the image is not known (not in the inputs, or its id
    /// not resolved).
    pub fn run_fleet(&mut self, rule: &'static RuleMeta, in_use: &super::fleet::InUse<'_>) -> Ran {
        let Some(check) = rule.fleet_check() else {
            return Ran::Checked;
        };
        if in_use.image.unknown() {
            return Ran::NoData;
        }
        self.rule = Some(rule);
        check(in_use, self);
        self.rule = None;
        match self.unreadable.take() {
            Some(field) => Ran::Unreadable(field),
            None => Ran::Checked,
        }
    }

    /// The running rule's options (its `Options` type).
    pub fn options<T: std::any::Any>(&self) -> &'a T {
        let rule = self
            .rule
            .expect("invariant: Cx::options is called from a check that Cx::run runs");
        self.settings
            .options
            .get(rule.code)
            .and_then(|options| options.downcast_ref::<T>())
            .expect("invariant: every rule with options has them, of its own type")
    }

    /// Another rule's options: rules that share one setting (AMI021 reads
    /// AMI012's allowlist) read it from the rule that owns it.
    pub fn options_of<T: std::any::Any>(&self, owner: &'static RuleMeta) -> &'a T {
        self.settings
            .options
            .get(owner.code)
            .and_then(|options| options.downcast_ref::<T>())
            .expect("invariant: every rule with options has them, of its own type")
    }

    /// Reports one finding of the running rule at `pointer` (the offending field).
    pub fn report(&mut self, pointer: Pointer, message: impl Into<String>) {
        let rule = self
            .rule
            .expect("invariant: Cx::report is called from a check that Cx::run runs");
        self.findings.push(RawFinding {
            rule,
            pointer,
            message: message.into(),
            severity: None,
            fix: None,
            key: None,
        });
    }

    /// Sets the severity of the finding just reported, when the facts make it
    /// weigh other than its rule says (a user's `--severity` still wins).
    pub fn severity(&mut self, severity: Severity) {
        if let Some(last) = self.findings.last_mut() {
            last.severity = Some(severity);
        }
    }

    /// Attaches the exact fix to the finding just reported. Requests
    /// (preflight) get none: there is no image yet to run it on.
    pub fn fix(&mut self, fix: Fix) {
        if self.request.is_some() {
            return;
        }
        if let Some(last) = self.findings.last_mut() {
            last.fix = Some(fix);
        }
    }

    pub fn take(&mut self) -> Vec<RawFinding> {
        std::mem::take(&mut self.findings)
    }
}
