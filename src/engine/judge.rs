//! What counts: tag suppression, waivers and the baseline, and the warnings
//! about waivers once the scan is done.

use crate::finding::identity;
use crate::finding::{BaselineState, Finding, SourceSpan, Suppression, SuppressionKind, Warning};
use crate::model::Image;
use crate::plan::ScanPlan;

/// The image's `amilint:ignore` tag (codes or names, comma-separated) and its
/// justification, when the config allows tag suppression.
pub(super) fn tag_suppression(image: &Image, plan: &ScanPlan) -> Option<(Vec<String>, String)> {
    if !plan.allow_tag_suppression {
        return None;
    }
    let codes: Vec<String> = image
        .tag("amilint:ignore")?
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let why = match image.tag("amilint:ignore-reason") {
        Some(reason) if !reason.trim().is_empty() => reason.trim().to_string(),
        _ => "suppressed by the image's amilint:ignore tag".to_string(),
    };
    Some((codes, why))
}

/// What judging an image's findings used: waivers that covered one (index,
/// whether still active) and the baseline fingerprints it found.
#[derive(Default)]
pub(super) struct Judged {
    pub(super) waivers: Vec<(usize, bool)>,
    pub(super) in_baseline: Vec<u128>,
}

/// `--min-severity`, waivers, then the baseline, for one image's findings. The gate then counts
/// only what is neither suppressed nor old.
pub(super) fn judge(findings: &mut Vec<Finding>, plan: &ScanPlan) -> Judged {
    // `--min-severity`: what is below it is left out before anything counts it.
    if let Some(min) = plan.min_severity {
        findings.retain(|f| f.severity >= min);
    }
    let mut judged = Judged::default();
    let today = plan.settings.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    for f in findings.iter_mut() {
        if f.suppression.is_some() {
            continue;
        }
        // An active waiver wins over an expired one that covers the same finding.
        let covering = |active: bool| {
            plan.waivers.iter().enumerate().find(|(_, w)| {
                (w.expires >= today) == active
                    && w.covers(f.rule.code, &f.image_id, f.image_name.as_deref())
            })
        };
        if let Some((i, waiver)) = covering(true).or_else(|| covering(false)) {
            let active = waiver.expires >= today;
            judged.waivers.push((i, active));
            if active {
                f.suppression = Some(Suppression {
                    kind: SuppressionKind::Waiver,
                    justification: format!("{} (waiver until {})", waiver.reason, waiver.expires),
                });
            }
        }
    }
    if let Some(baseline) = &plan.baseline {
        for f in findings.iter_mut() {
            let known = |print: Option<u128>| print.filter(|p| baseline.fingerprints.contains(p));
            let mut print = known(identity::parse(&f.fingerprint));
            if print.is_none() && baseline.legacy {
                // A baseline of amilint 0.1: its version 1 fingerprints.
                let old = identity::legacy(f.rule.code, &f.image_id, &f.location.pointer);
                print = known(identity::parse(&old));
            }
            f.baseline = Some(if let Some(print) = print {
                judged.in_baseline.push(print);
                BaselineState::Unchanged
            } else {
                BaselineState::New
            });
        }
    }
    judged
}

/// After the scan: a warning for each expired waiver and each waiver that
/// matched nothing, pointing at its entry in the config file.
pub(super) fn waiver_warnings(
    plan: &ScanPlan,
    used: &[usize],
    expired_hits: &[usize],
) -> Vec<Warning> {
    let today = plan.settings.now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let mut warnings = Vec::new();
    for (i, waiver) in plan.waivers.iter().enumerate() {
        let source = plan.config_uri.as_ref().map(|uri| SourceSpan {
            uri: uri.clone(),
            line: Some(waiver.line),
            column: None,
        });
        let message = if waiver.expires < today {
            Some(format!(
                "waiver expired on {} (\"{}\"): its {} finding(s) count again",
                waiver.expires, waiver.reason, expired_hits[i]
            ))
        } else if used[i] == 0 {
            Some(format!(
                "stale waiver (\"{}\", until {}): it matches no finding; remove it",
                waiver.reason, waiver.expires
            ))
        } else {
            None
        };
        if let Some(message) = message {
            warnings.push(Warning { message, source });
        }
    }
    warnings
}
