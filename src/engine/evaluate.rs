//! One image: its rules and policies, then scopes, into findings with locations.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::judge::{judge, tag_suppression};
use crate::finding::identity::{self, Identity};
use crate::finding::{
    Cause, ErrorKind, Finding, Location, NotRun, ScanError, ScannedImage, SourceSpan, Suppression,
    SuppressionKind,
};
use crate::input::FieldLines;
use crate::model::{AccountSettings, Image, ImageScope, Pointer};
use crate::plan::ScanPlan;
use crate::policy;
use crate::rules::{Cx, Ran, RawFinding, RequestKind, RuleMeta, Subject};

/// A policy that fails on many images is listed this many times, then counted.
const MAX_ERRORS_PER_POLICY: usize = 100;

/// What checking one image gave: its findings, errors, and what judged them.
#[derive(Default)]
pub(super) struct Linted {
    pub(super) image: Option<ScannedImage>,
    pub(super) findings: Vec<Finding>,
    pub(super) errors: Vec<ScanError>,
    /// Waivers that covered a finding: (index, whether still active).
    pub(super) waivers: Vec<(usize, bool)>,
    /// Fingerprints of findings that the baseline has.
    pub(super) in_baseline: Vec<u128>,
    /// Rules not run: the image lacks the data they need.
    /// Rules not run on it for lack of data: bit `i` is `plan.rules[i]`
    /// (a mask, not a list: on a large export every image may skip one).
    pub(super) skipped: u128,
    /// Rules that met a date they cannot read: (place in `plan.rules`, field).
    pub(super) unreadable: Vec<(usize, &'static str)>,
    /// Each streaming output's text for this image.
    pub(super) rendered: Vec<Vec<u8>>,
    /// The image is not the user's, and owner-only rules did not run on it:
    /// who owns it (`Ownership::owner_label`).
    pub(super) not_owned: Option<Arc<str>>,
}

/// Where an image is in its input.
pub(super) struct At<'a> {
    pub(super) raw: &'a [u8],
    /// Its top-level keys' offsets, when the reader recorded them.
    pub(super) keys: Option<&'a [u32]>,
    pub(super) line: u64,
    pub(super) column: u64,
    pub(super) uri: &'a Arc<str>,
    pub(super) input_index: usize,
}

/// Runs every rule and policy of the plan on one image, then applies scopes,
/// suppressions (tag, waivers) and the baseline to its findings.
pub(super) fn check_image(
    image: &Image,
    at: &At<'_>,
    plan: &ScanPlan,
    request: Option<RequestKind>,
) -> Linted {
    let mut cx = Cx::new(&plan.settings, request);
    let mut linted = Linted::default();
    let owned = plan.ownership.owns(image);
    if !owned && plan.rules.iter().any(|r| r.owner_only) {
        linted.not_owned = Some(crate::plan::Ownership::owner_label(image).into());
    }
    for (i, rule) in plan.rules.iter().enumerate() {
        if rule.owner_only && !owned {
            continue;
        }
        match cx.run(rule, image) {
            Ran::Checked => {}
            // Only built-in rules need data, and they come first (< 128).
            Ran::NoData => linted.skipped |= 1u128.checked_shl(i as u32).unwrap_or(0),
            Ran::Unreadable(field) => linted.unreadable.push((i, field)),
        }
    }
    let mut raws = cx.take();
    let image_id: Arc<str> = image.id().into();
    if plan.keep_images {
        linted.image = Some(ScannedImage {
            id: image_id.clone(),
            name: image.name.as_deref().map(Into::into),
            not_run: Vec::new(),
        });
    }
    if !plan.policies.is_empty() {
        run_policies(image, plan, owned, &image_id, &mut raws, &mut linted.errors);
    }
    if !plan.scopes.is_empty() {
        // A rule listed by scopes applies only to images in one of them.
        raws.retain(|raw| {
            let mut listing = plan
                .scopes
                .iter()
                .filter(|s| s.lists(raw.rule.code))
                .peekable();
            listing.peek().is_none() || listing.any(|s| s.matches(image))
        });
    }
    if linted.image.is_some() {
        let not_run = not_run(plan, &linted);
        if let Some(scanned) = &mut linted.image {
            scanned.not_run = not_run;
        }
    }
    if raws.is_empty() {
        return linted;
    }
    let tag_suppression = tag_suppression(image, plan);
    // One shared copy of the name and scope for all of the image's findings.
    let image_name: Option<Arc<str>> = image.name.as_deref().map(Into::into);
    let scope = image.scope.clone().map(Arc::new);
    let usage = image
        .references
        .as_deref()
        .map(|r| Arc::new(crate::finding::Usage::of(r)));
    // `raise_in_use`: findings on an image something references weigh more.
    let in_use = usage.as_ref().is_some_and(|u| u.total > 0);
    // `gate_in_use`: findings on an image known to be unused do not count.
    let outside_gate = plan.gate_in_use && usage.as_ref().is_some_and(|u| u.total == 0);
    let raised = |severity| match plan.raise_in_use {
        Some(raise) if in_use => raise.apply(severity),
        _ => severity,
    };
    let field_lines = (!plan.live_uris).then(|| FieldLines::new(at.raw, at.line, at.keys));
    let (account, region) = scope
        .as_deref()
        .map_or(("", ""), |s| (s.account_id.as_str(), s.region.as_str()));
    let prints = fingerprints(&raws, account, region, &image_id);
    // A live scan without `--save` has no file to point at: each image gets
    // a stable path of its own.
    let (uri, line, column) = match (&scope, plan.live_uris) {
        (Some(s), true) => (
            Arc::from(format!(
                "aws/{}/{}/{}.json",
                s.account_id, s.region, image_id
            )),
            1,
            1,
        ),
        (None, true) => (Arc::from(format!("aws/{image_id}.json")), 1, 1),
        (_, false) => (at.uri.clone(), at.line, at.column),
    };
    linted.findings = raws
        .into_iter()
        .zip(prints)
        .map(|(raw, fingerprint)| {
            // A finding about a snapshot from --snapshots-file points into that file.
            let (field_uri, field_line) = match snapshot_position(image, &raw.pointer) {
                Some((uri, line)) => (Some(uri), Some(line)),
                None => (None, field_lines.as_ref().and_then(|l| l.of(&raw.pointer))),
            };
            Finding {
                fingerprint,
                // Another owner's image: amilint shows no change to make to it.
                fix: raw.fix.filter(|_| owned),
                owned: Some(owned),
                workload: None,
                rule: raw.rule,
                severity: raised(
                    plan.severities
                        .get(raw.rule.code)
                        .copied()
                        .or(raw.severity)
                        .unwrap_or(raw.rule.severity),
                ),
                image_id: image_id.clone(),
                image_name: image_name.clone(),
                scope: scope.clone(),
                usage: usage.clone(),
                outside_gate,
                message: raw.message,
                location: Location {
                    uri: uri.clone(),
                    line,
                    column,
                    field_line,
                    field_uri,
                    pointer: raw.pointer,
                },
                input_index: at.input_index,
                suppression: tag_suppression.as_ref().and_then(|(codes, why)| {
                    codes
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(raw.rule.code) || c == raw.rule.name)
                        .then(|| Suppression {
                            kind: SuppressionKind::Tag,
                            justification: why.clone(),
                        })
                }),
                baseline: None,
            }
        })
        .collect();
    linted
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let judged = judge(&mut linted.findings, plan);
    linted.waivers = judged.waivers;
    linted.in_baseline = judged.in_baseline;
    linted
}

/// Runs the plan's account rules on one account × region's guardrails, then
/// waivers and the baseline. A finding points into the settings file that
/// held the entry, or (live) at `aws/ACCOUNT/REGION/account-settings.json`.
pub(super) fn check_settings(settings: &AccountSettings, plan: &ScanPlan) -> Linted {
    let mut cx = Cx::new(&plan.settings, None);
    for rule in plan.rules.iter().filter(|r| r.subject == Subject::Account) {
        cx.run_account(rule, settings);
    }
    let subject: Arc<str> = settings.id().into();
    let scope = Arc::new(ImageScope {
        account_id: settings.account_id.clone(),
        region: settings.region.clone(),
        image_arn: String::new(),
    });
    let (uri, line, column): (Arc<str>, u64, u64) = match &settings.origin {
        Some((uri, line, column)) => (uri.clone(), *line, *column),
        None => (
            format!(
                "aws/{}/{}/account-settings.json",
                settings.account_id, settings.region
            )
            .into(),
            1,
            1,
        ),
    };
    let raws = cx.take();
    let prints = fingerprints(&raws, &settings.account_id, &settings.region, &subject);
    let findings = raws
        .into_iter()
        .zip(prints)
        .map(|(raw, fingerprint)| {
            let at = (&uri, line, column);
            subject_finding(raw, fingerprint, &subject, None, &scope, at, plan)
        })
        .collect();
    let mut linted = Linted {
        findings,
        image: plan.keep_images.then(|| ScannedImage {
            id: subject.clone(),
            name: None,
            not_run: Vec::new(),
        }),
        ..Linted::default()
    };
    let judged = judge(&mut linted.findings, plan);
    linted.waivers = judged.waivers;
    linted.in_baseline = judged.in_baseline;
    linted
}

/// A finding on a subject that is not an image of an input (an account's
/// guardrails, a workload): at `at` (file, line, column), its severity a
/// user's override, else the check's, else the rule's.
pub(super) fn subject_finding(
    raw: RawFinding,
    fingerprint: String,
    subject: &Arc<str>,
    name: Option<&Arc<str>>,
    scope: &Arc<ImageScope>,
    (uri, line, column): (&Arc<str>, u64, u64),
    plan: &ScanPlan,
) -> Finding {
    Finding {
        fingerprint,
        fix: raw.fix,
        rule: raw.rule,
        severity: plan
            .severities
            .get(raw.rule.code)
            .copied()
            .or(raw.severity)
            .unwrap_or(raw.rule.severity),
        image_id: subject.clone(),
        image_name: name.cloned(),
        scope: Some(scope.clone()),
        usage: None,
        outside_gate: false,
        owned: None,
        workload: None,
        message: raw.message,
        location: Location {
            uri: uri.clone(),
            line,
            column,
            field_line: None,
            field_uri: None,
            pointer: raw.pointer,
        },
        input_index: 0,
        suppression: None,
        baseline: None,
    }
}

/// The rules that did not judge the image to the end (for JUnit's
/// `<skipped>` and `<error>`), from what checking it recorded.
pub(super) fn not_run(plan: &ScanPlan, linted: &Linted) -> Vec<NotRun> {
    let skipped = |rule, cause| NotRun {
        rule,
        failed: None,
        cause,
    };
    let mut out: Vec<NotRun> = plan
        .rules
        .iter()
        .enumerate()
        .filter(|(i, _)| linted.skipped & 1u128.checked_shl(*i as u32).unwrap_or(0) != 0)
        .map(|(_, rule)| match rule.subject {
            Subject::Fleet => skipped(*rule, Cause::ImageUnknown),
            _ => skipped(*rule, Cause::NoData),
        })
        .collect();
    // Owner-only rules did not run on another owner's image: not a pass.
    if linted.not_owned.is_some() {
        out.extend(
            plan.rules
                .iter()
                .filter(|r| r.owner_only)
                .map(|rule| skipped(*rule, Cause::NotOwned)),
        );
    }
    out.extend(
        linted
            .unreadable
            .iter()
            .map(|(i, field)| skipped(plan.rules[*i], Cause::Unreadable(field))),
    );
    out.extend(linted.errors.iter().filter_map(|e| {
        Some(NotRun {
            rule: e.rule?,
            failed: Some(e.message.clone()),
            cause: Cause::NoData,
        })
    }));
    out
}

/// The fingerprints of one subject's findings, in order: each from its
/// identity (docs/fingerprints.md); findings that would share one are told
/// apart by their message (the second in message order gets `nth(…, 2)`, …),
/// never merged.
pub(super) fn fingerprints(
    raws: &[RawFinding],
    account: &str,
    region: &str,
    subject: &str,
) -> Vec<String> {
    let mut prints: Vec<String> = raws
        .iter()
        .map(|raw| {
            let key = identity::subject_key(
                &raw.pointer,
                raw.rule.script().map(|_| raw.message.as_str()),
                raw.key.as_deref(),
            );
            Identity {
                account,
                region,
                subject,
                rule: raw.rule.code,
                key: &key,
            }
            .fingerprint()
        })
        .collect();
    let mut order: Vec<usize> = (0..prints.len()).collect();
    order.sort_by(|&a, &b| (&prints[a], &raws[a].message).cmp(&(&prints[b], &raws[b].message)));
    if order.windows(2).all(|w| prints[w[0]] != prints[w[1]]) {
        return prints;
    }
    let shared = prints.clone();
    let mut run = 1;
    for (i, &at) in order.iter().enumerate().skip(1) {
        run = if shared[at] == shared[order[i - 1]] {
            run + 1
        } else {
            1
        };
        if run > 1 {
            prints[at] = identity::nth(&shared[at], run);
        }
    }
    prints
}

/// Where the snapshot files hold what `pointer` names, when it points into a
/// mapping's `AmilintSnapshot` that came from `--snapshots-file`: the file and
/// the field's line (the item's, when the field has none). A permission
/// points into the describe-snapshot-attribute answer, everything else into
/// the describe-snapshots item.
fn snapshot_position(image: &Image, pointer: &Pointer) -> Option<(Arc<str>, u64)> {
    if !pointer.as_str().contains("/AmilintSnapshot") {
        return None;
    }
    let tokens = pointer.tokens();
    let [mappings, i, ebs, snapshot, rest @ ..] = tokens.as_slice() else {
        return None;
    };
    if (mappings.as_str(), ebs.as_str(), snapshot.as_str())
        != ("BlockDeviceMappings", "Ebs", "AmilintSnapshot")
    {
        return None;
    }
    let mapping = image
        .block_device_mappings
        .as_ref()?
        .get(i.parse::<usize>().ok()?)?;
    let origin = mapping.ebs.as_ref()?.snapshot.as_ref()?.origin.as_ref()?;
    let (at, field_line) = match rest {
        [first, grant, ..] if first == "CreateVolumePermissions" => {
            let line = grant
                .parse::<usize>()
                .ok()
                .and_then(|g| origin.permission_lines.get(g).copied());
            (origin.permissions.as_ref()?, line)
        }
        [first] if first == "CreateVolumePermissions" => (origin.permissions.as_ref()?, None),
        [first] if first == "KmsKeyId" => (origin.snapshot.as_ref()?, origin.kms_key_line),
        _ => (origin.snapshot.as_ref()?, None),
    };
    Some((at.uri.clone(), field_line.unwrap_or(at.line)))
}

/// Converts the image for Rhai once, then runs every policy on it.
pub(super) fn run_policies(
    image: &Image,
    plan: &ScanPlan,
    owned: bool,
    image_id: &Arc<str>,
    raws: &mut Vec<RawFinding>,
    errors: &mut Vec<ScanError>,
) {
    let value = match policy::image_value(image) {
        Ok(value) => value,
        Err(message) => {
            errors.push(ScanError {
                kind: ErrorKind::Policy,
                message: format!("cannot hand the image to policies: {message}"),
                rule: None,
                image_id: Some(image_id.clone()),
                source: None,
                scope: None,
            });
            return;
        }
    };
    for policy in plan.policies.iter().filter(|p| owned || !p.meta.owner_only) {
        match policy.check(&value) {
            Ok(found) => raws.extend(found.into_iter().map(|f| RawFinding {
                fix: None,
                rule: policy.meta,
                pointer: f.pointer,
                message: f.message,
                severity: f.severity,
                key: f.key,
            })),
            Err(e) => errors.push(ScanError {
                kind: ErrorKind::Policy,
                message: e.message,
                rule: Some(policy.meta),
                image_id: Some(image_id.clone()),
                source: policy.meta.script().map(|script| SourceSpan {
                    uri: script.into(),
                    line: e.line,
                    column: e.column,
                }),
                scope: None,
            }),
        }
    }
}

/// Keeps the first `MAX_ERRORS_PER_POLICY` errors of each policy and counts
/// the rest, so a policy broken on every image does not drown the report.
#[derive(Default)]
pub(super) struct ErrorLog {
    kept: Vec<ScanError>,
    per_rule: BTreeMap<&'static str, (usize, &'static RuleMeta)>,
}

impl ErrorLog {
    pub(super) fn extend(&mut self, errors: Vec<ScanError>) {
        for e in errors {
            if let Some(rule) = e.rule {
                let (count, _) = self.per_rule.entry(rule.code).or_insert((0, rule));
                *count += 1;
                if *count > MAX_ERRORS_PER_POLICY {
                    continue;
                }
            }
            self.kept.push(e);
        }
    }

    pub(super) fn finish(mut self) -> Vec<ScanError> {
        for (count, rule) in self.per_rule.into_values() {
            if count > MAX_ERRORS_PER_POLICY {
                self.kept.push(ScanError {
                    kind: ErrorKind::Policy,
                    message: format!(
                        "failed on {count} images in all; only the first {MAX_ERRORS_PER_POLICY} are listed"
                    ),
                    rule: Some(rule),
                    image_id: None,
                    source: rule.script().map(|script| SourceSpan {
                        uri: script.into(),
                        line: None,
                        column: None,
                    }),
                    scope: None,
                });
            }
        }
        self.kept
    }
}

/// A live scan's rules that a refused call left unassessed in some scopes:
/// one note per rule, and, for a rule the user asked for (by name, or
/// through `--benchmark`), an error too (the scan is incomplete). Others
/// leave the scan complete: a least-privilege role still gets its findings.
pub(super) fn not_assessed(report: &mut crate::finding::Report, plan: &ScanPlan) {
    let scopes = report.scopes.len() as u64;
    for u in std::mem::take(&mut report.unassessed) {
        if !plan.rules.iter().any(|r| r.code == u.rule.code) {
            continue;
        }
        let note = crate::finding::Note {
            rule: u.rule,
            skipped: u.scopes,
            images: scopes,
            cause: crate::finding::Cause::NotAssessed {
                operation: u.operation,
                why: u.why,
            },
        };
        if plan.required.contains(&u.rule.code) {
            report.errors.push(ScanError {
                kind: crate::finding::ErrorKind::Fetch,
                message: format!(
                    "{note} ({} was asked for by name or by --benchmark)",
                    u.rule.code
                ),
                rule: None,
                image_id: None,
                source: None,
                scope: None,
            });
        }
        report.notes.push(note);
    }
    report.notes.sort_by_key(|n| n.rule.code);
}
