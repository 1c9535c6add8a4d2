//! The scan pipeline, shared by scan, preflight and live scans:
//! `pipeline` (reader thread → rayon batches → ordered writer), `evaluate`
//! (one image: rules, policies, scopes → findings), `judge` (suppression,
//! waivers, baseline), `sink` (where reports are written).

use anyhow::Result;

use crate::finding::Report;
use crate::input::InputSource;
use crate::model::Image;
use crate::plan::ScanPlan;
use crate::rules::RequestKind;

mod evaluate;
mod judge;
pub mod pipeline;
pub mod sink;

use evaluate::{At, check_image};
pub use pipeline::run_scan;
pub use sink::{Target, commit_all, write_atomically};

/// Reads every request of `sources` and checks it with the plan's request
/// rules; `kind` overrides telling RegisterImage from CreateImage by content.
/// Every finding is kept in the report.
pub fn preflight_sources(
    sources: &[InputSource],
    plan: &ScanPlan,
    kind: Option<RequestKind>,
) -> Result<Report> {
    let mut report = Report::new(
        plan.settings.now,
        sources.iter().map(|s| s.uri.clone()).collect(),
        plan.rules.clone(),
        plan.fail_on,
    );
    report.requests = true;
    // The request's kind goes to the rules through the settings: one plan
    // per kind, made once.
    let plan_for = |kind: RequestKind| {
        let mut p = plan.clone();
        p.settings.request = Some(kind);
        p
    };
    let (register, create) = (
        plan_for(RequestKind::Register),
        plan_for(RequestKind::Create),
    );
    for (input_index, source) in sources.iter().enumerate() {
        for request in crate::input::read_requests(source)? {
            let crate::input::Request {
                mut image,
                raw,
                line,
                column,
            } = request;
            let kind = kind.unwrap_or(if image.extra.contains_key("InstanceId") {
                RequestKind::Create
            } else {
                RequestKind::Register
            });
            image.tags = Some(request_tags(&image));
            // A RegisterImage/CreateImage request has no image id yet: findings
            // name the image to be (an EnableImageDeprecation request has one).
            if image.image_id.is_none() {
                image.image_id = Some(match &image.name {
                    Some(name) => name.clone(),
                    None => format!("request at {}:{line}", source.uri),
                });
            }
            let request_plan = match kind {
                RequestKind::Register => &register,
                RequestKind::Create => &create,
            };
            let at = At {
                raw: &raw,
                keys: None,
                line,
                column,
                uri: &source.uri,
                input_index,
            };
            let linted = check_image(&image, &at, request_plan);
            report.images_scanned += 1;
            for f in linted.findings {
                report.tally.add(&f);
                report.findings.push(f);
            }
        }
    }
    Ok(report)
}

/// The tags a request gives the image: `TagSpecifications` entries with
/// `ResourceType: image`.
fn request_tags(request: &Image) -> Vec<crate::model::Tag> {
    request
        .extra
        .get("TagSpecifications")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter(|spec| spec.get("ResourceType").and_then(|v| v.as_str()) == Some("image"))
        .filter_map(|spec| spec.get("Tags").cloned())
        .filter_map(|tags| serde_json::from_value::<Vec<crate::model::Tag>>(tags).ok())
        .flatten()
        .collect()
}

/// Reads every source and runs the plan's rules and policies on each image,
/// keeping every finding in the report (no outputs written).
pub fn scan_sources(sources: &[InputSource], plan: &ScanPlan) -> Result<Report> {
    let report = Report::new(
        plan.settings.now,
        sources.iter().map(|s| s.uri.clone()).collect(),
        plan.rules.clone(),
        plan.fail_on,
    );
    run_scan(sources, plan, report, Vec::new(), true)
}
