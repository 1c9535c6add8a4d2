//! What a scan could not do, or did only in part: errors, warnings, notes
//! (rules skipped or not assessed), and images of other owners.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::rules::RuleMeta;

/// A problem that did not stop the scan but means its result is incomplete
/// (a policy failed on an image). Any of them makes the exit code 2.
#[derive(Debug, Clone)]
pub struct ScanError {
    pub kind: ErrorKind,
    pub message: String,
    /// The rule (policy) that failed, if any.
    pub rule: Option<&'static RuleMeta>,
    /// The image being checked, if any.
    pub image_id: Option<Arc<str>>,
    /// Where the problem is: for a policy, the script and position.
    pub source: Option<SourceSpan>,
    /// The live-scan scope (account, region) that failed, if any.
    pub scope: Option<(String, String)>,
}

/// How one account × region of a live scan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeStatus {
    pub account_id: String,
    pub region: String,
    /// Images fetched, or why the scope failed.
    pub outcome: Result<u64, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A policy's `check` failed at run time (error, budget, time limit).
    Policy,
    /// A live scan could not fetch a scope, or an image's attributes.
    Fetch,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Policy => "policy",
            ErrorKind::Fetch => "fetch",
        }
    }
}

/// A position in a file that is not an input (a policy script).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpan {
    pub uri: Arc<str>,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

impl std::fmt::Display for ScanError {
    /// `policies/x.rhai:3:5: ORG001 on ami-1: message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some((account, region)) = &self.scope {
            write!(f, "account {account}, {region}: ")?;
        }
        if let Some(span) = &self.source {
            write!(f, "{}", span.uri)?;
            if let Some(line) = span.line {
                write!(f, ":{line}")?;
                if let Some(column) = span.column {
                    write!(f, ":{column}")?;
                }
            }
            f.write_str(": ")?;
        }
        if let Some(rule) = self.rule {
            f.write_str(rule.code)?;
            if self.image_id.is_none() {
                f.write_str(": ")?;
            }
        }
        if let Some(id) = &self.image_id {
            write!(f, "{}{id}: ", if self.rule.is_some() { " on " } else { "" })?;
        }
        f.write_str(&self.message)
    }
}

/// A warning about the configuration (not an error: the exit code is unchanged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    /// The config file and line it is about.
    pub source: Option<SourceSpan>,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(span) = &self.source {
            write!(f, "{}", span.uri)?;
            if let Some(line) = span.line {
                write!(f, ":{line}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// A rule that was skipped on some images because they lack the data it needs
/// (`RuleMeta::needs`): said once per rule, with the count, never a silent zero.
#[derive(Debug, Clone)]
pub struct Note {
    pub rule: &'static RuleMeta,
    /// Images the rule was skipped on.
    pub skipped: u64,
    /// Images scanned in all.
    pub images: u64,
    pub cause: Cause,
}

/// Why a rule was skipped on images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The images lack the data it needs (`RuleMeta::needs`).
    NoData,
    /// A date it reads (this field) is absent or not one amilint reads.
    Unreadable(&'static str),
    /// A fleet rule: the image a workload launches from is neither in the
    /// inputs nor described, or its id could not be told. `Note::skipped`
    /// and `Note::images` count workloads.
    ImageUnknown,
    /// An owner-only rule on an image of another owner (`plan::Ownership`;
    /// the run's not-owned note counts them, JUnit shows each as skipped).
    NotOwned,
    /// The call its data comes from (`operation`, as IAM names it:
    /// `ec2:GetEbsEncryptionByDefault`) was refused in some of a
    /// live scan's scopes (`why`: `denied`, `not supported by the endpoint`);
    /// `Note::skipped` counts those scopes, `Note::images` every scope.
    NotAssessed {
        operation: &'static str,
        why: &'static str,
    },
}

/// A rule a live scan could not assess in some scopes: the call its data
/// comes from was refused there.
#[derive(Debug, Clone)]
pub struct Unassessed {
    pub rule: &'static RuleMeta,
    pub operation: &'static str,
    pub why: &'static str,
    pub scopes: u64,
}

impl Note {
    /// What the rule needed: the data, or a readable date field.
    pub fn needs(&self) -> std::borrow::Cow<'static, str> {
        match self.cause {
            Cause::NoData => self.rule.needs.data().into(),
            Cause::Unreadable(field) => format!("a {field} amilint reads").into(),
            Cause::NotAssessed { operation, .. } => operation.into(),
            Cause::ImageUnknown => "the image a workload launches from".into(),
            Cause::NotOwned => "an image of the scan's owners".into(),
        }
    }
}

/// What a user can do about a refused call: allow it (a denial) or see that
/// the endpoint lacks it, or stop making it (`stop_reading`).
fn what_to_do(operation: &str, why: &str) -> String {
    let allow = if why.starts_with("denied") {
        "allow it to the scan's role (docs/reference/iam.md)"
    } else {
        "the endpoint does not serve it (a test server?)"
    };
    format!("{allow}, or {}", stop_reading(operation))
}

/// How to stop making a call (`operation` as IAM names it): the flag that
/// asks for it, or leaving its rule out.
pub fn stop_reading(operation: &str) -> &'static str {
    let (service, call) = operation.split_once(':').unwrap_or(("", operation));
    if service == "rbin" || (service == "ec2" && call.starts_with("Get")) {
        "skip the accounts' guardrails with --no-guardrails"
    } else if service == "autoscaling"
        || service == "ssm"
        || call.contains("Instances")
        || call.contains("LaunchTemplate")
    {
        "scan without --fleet"
    } else {
        "leave the rule out (--ignore)"
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.cause {
            Cause::NoData => write!(
                f,
                "{} skipped on {} of {} images: needs {} — {}",
                self.rule.code,
                self.skipped,
                self.images,
                self.rule.needs.data(),
                self.rule.needs.how()
            ),
            Cause::Unreadable(field) => write!(
                f,
                "{} skipped on {} of {} {}: {field} is not a date amilint reads (a date alone or a time without a zone is a guess) — \
                 give ISO 8601 with a time zone, as DescribeImages writes it (2024-05-01T12:00:00.000Z)",
                self.rule.code,
                self.skipped,
                self.images,
                if self.rule.subject == crate::rules::Subject::Fleet {
                    "workloads"
                } else {
                    "images"
                },
            ),
            Cause::ImageUnknown => write!(
                f,
                "{} not assessed on {} of {} workloads: the image it launches from is not in the inputs \
                 (or its id was not resolved) — add the images' describe-images export, or scan live \
                 with --aws --fleet (and keep it with --save-fleet)",
                self.rule.code, self.skipped, self.images,
            ),
            Cause::NotOwned => write!(
                f,
                "{} not run on {} of {} images: owner-only, and not an image of the scan's owners \
                 (--owner, `owners`, or --all-owners)",
                self.rule.code, self.skipped, self.images,
            ),
            Cause::NotAssessed { operation, why } => write!(
                f,
                "{} not assessed in {} of {} scopes: {operation} {why} — {}",
                self.rule.code,
                self.skipped,
                self.images,
                what_to_do(operation, why),
            ),
        }
    }
}

/// The notes as people read them, one line each — rules not assessed for
/// the same reason on the same counts said once (`AMI301, AMI302, … not
/// assessed on 1 of 7 workloads: …`), not once a rule.
pub fn note_lines(notes: &[Note]) -> Vec<String> {
    let together = |a: &Note, b: &Note| {
        let same_cause = match (&a.cause, &b.cause) {
            (Cause::ImageUnknown, Cause::ImageUnknown) => true,
            (
                Cause::NotAssessed { operation, why },
                Cause::NotAssessed {
                    operation: o,
                    why: w,
                },
            ) => (operation, why) == (o, w),
            _ => false,
        };
        same_cause && (a.skipped, a.images) == (b.skipped, b.images)
    };
    // Groups in the order their first note comes: (that note, the codes).
    let mut groups: Vec<(&Note, Vec<&str>)> = Vec::new();
    for n in notes {
        match groups.iter_mut().find(|(first, _)| together(first, n)) {
            Some((_, codes)) => codes.push(n.rule.code),
            None => groups.push((n, vec![n.rule.code])),
        }
    }
    groups
        .into_iter()
        .map(|(n, codes)| n.to_string().replacen(n.rule.code, &codes.join(", "), 1))
        .collect()
}

/// Images of other owners that owner-only rules did not run on
/// (`plan::Ownership`): said once, with counts by owner, never in silence.
#[derive(Debug, Clone, Default)]
pub struct NotOwned {
    /// Images by owner (alias, else account id).
    pub by_owner: BTreeMap<Arc<str>, u64>,
    /// The owner-only rules of the run.
    pub rules: Vec<&'static str>,
    /// Whether the user named the owners (`--owner`, `owners`): the hint
    /// then says to add one, not to name them.
    pub owners_named: bool,
}

impl NotOwned {
    pub fn images(&self) -> u64 {
        self.by_owner.values().sum()
    }
}

impl std::fmt::Display for NotOwned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let owners: Vec<String> = self
            .by_owner
            .iter()
            .map(|(owner, n)| format!("{owner} {n}"))
            .collect();
        let hint = if self.owners_named {
            "add an owner to --owner or `owners` if they are yours, or lint every image with --all-owners"
        } else {
            "name your accounts with --owner or `owners` in amilint.toml, or lint every image with --all-owners"
        };
        write!(
            f,
            "not owned: {} {} of other owners ({}) not linted by owner-only rules ({}) — {hint}",
            self.images(),
            if self.images() == 1 {
                "image"
            } else {
                "images"
            },
            owners.join(", "),
            self.rules.join(", ")
        )
    }
}

#[cfg(test)]
mod advice {
    use super::what_to_do;

    /// Issue 35: on a test server that lacks the guardrail calls, the note
    /// says how to stop asking (50 identical lines sent a user to the README).
    #[test]
    fn a_refused_call_says_what_to_do_about_it() {
        let on_moto = what_to_do(
            "ec2:GetImageBlockPublicAccessState",
            "not supported by the endpoint (InvalidAction)",
        );
        assert!(
            on_moto.contains("the endpoint does not serve it"),
            "{on_moto}"
        );
        assert!(on_moto.contains("--no-guardrails"), "{on_moto}");
        let denied = what_to_do("ec2:DescribeInstances", "denied (UnauthorizedOperation)");
        assert!(denied.contains("allow it to the scan's role"), "{denied}");
        assert!(denied.contains("without --fleet"), "{denied}");
        let kms = what_to_do("kms:DescribeKey", "denied (AccessDeniedException)");
        assert!(kms.contains("--ignore"), "{kms}");
    }
}
