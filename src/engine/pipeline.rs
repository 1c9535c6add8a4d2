//! The pipeline: one thread finds image objects (or request documents, or
//! takes a live scan's parsed images), rayon checks them in batches, the
//! outputs are written in input order.

use std::sync::Arc;

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::batch::{BATCH, Batch, read_batches};
use super::evaluate::{At, ErrorLog, Linted, check_image, check_settings, not_assessed};
use super::fleet::{Facts, check_fleet};
use super::judge::waiver_warnings;
use super::sink::{Target, commit_all};
use super::skips::Skips;
use super::subjects::Subjects;
use crate::error::InputError;
use crate::finding::{Report, ScanError, ScopeStatus};
use crate::input::{InputSource, is_create_image, parse_image, parse_request};
use crate::model::{AccountSettings, FleetScope, Image};
use crate::output::{self, Format};
use crate::plan::{Reading, ScanPlan};
use crate::rules::RequestKind;

/// One output of a running scan.
pub(super) struct Sink {
    emitter: output::Emitter,
    target: Target,
    /// Whether an image's findings have been written (separators go between).
    wrote: bool,
    /// The findings past the format's limit (SARIF, GitHub annotations).
    overflow: Option<output::Overflow>,
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.target
            .writer()
            .write_all(bytes)
            .with_context(|| format!("writing the report to {}", self.target.describe()))
    }
}

/// Where a scan's images come from.
pub enum Feed<'a> {
    /// Exports (or request files), read and parsed on the way.
    Sources(&'a [InputSource]),
    /// Images that come parsed (a live scan): the producer hands them on in
    /// order, each scope's with its account settings and fleet when read
    /// (`false` back: the scan has stopped), and says at the end where they
    /// came from.
    Images(Box<Produce<'a>>),
}

/// A producer of parsed images (see `Feed::Images`).
pub type Produce<'a> = dyn FnOnce(&mut dyn FnMut(Delivery) -> bool) -> Result<Origin> + Send + 'a;

/// One live scope, as the producer hands it on.
#[derive(Default)]
pub struct Delivery {
    pub images: Vec<Image>,
    pub settings: Option<AccountSettings>,
    pub fleet: Option<FleetScope>,
}

/// What a feed of parsed images adds to the report: the live scan's scopes,
/// its fetch errors and its API call count.
#[derive(Debug, Default)]
pub struct Origin {
    pub scopes: Vec<ScopeStatus>,
    pub errors: Vec<ScanError>,
    pub api_calls: Option<u64>,
    /// Rules whose data a refused call should have read, per scope count.
    pub unassessed: Vec<crate::finding::Unassessed>,
}

/// What checking one image gave.
pub(super) enum Checked {
    /// Not a machine image (kernel, ramdisk): not linted. Its id.
    Skipped(Arc<str>),
    /// The image's JSON is invalid: the scan stops.
    Invalid(InputError),
    Linted(Box<Linted>),
    /// An account × region's guardrails, linted.
    Account(Box<Linted>),
    /// One scope's workloads, each linted.
    Fleet(Vec<Linted>),
    /// One workload of those, linted.
    Workload(Box<Linted>),
}

/// The scan: one thread finds the image objects of each source; rayon's
/// threads parse and check batches of them and render their findings for each
/// streaming output; the outputs are written in input order as batches finish
/// (each batch is written while the next one is checked), then committed.
/// Findings are kept when asked or when an output needs them all at the end.
/// An input error stops the scan and leaves no report.
pub fn run_scan(
    sources: &[InputSource],
    plan: &ScanPlan,
    report: Report,
    targets: Vec<(Format, output::Settings, Target)>,
    keep_findings: bool,
) -> Result<Report> {
    run(Feed::Sources(sources), plan, report, targets, keep_findings)
}

/// `run_scan` for any feed: exports, or images that come parsed.
pub fn run(
    feed: Feed<'_>,
    plan: &ScanPlan,
    mut report: Report,
    targets: Vec<(Format, output::Settings, Target)>,
    keep_findings: bool,
) -> Result<Report> {
    let sources = match &feed {
        Feed::Sources(sources) => *sources,
        Feed::Images(_) => &[],
    };
    let live_uri: Arc<str> = Arc::from("aws");
    report.requests = plan.reading != Reading::Images;
    report.config.clone_from(&plan.config_uri);
    if !plan.live_uris {
        report.source_root = crate::input::source::SourceRoot::of_working_directory();
    }
    let mut sinks: Vec<Sink> = targets
        .into_iter()
        .map(|(format, settings, target)| {
            let overflow =
                output::Overflow::of(format, plan.sarif_max_results, report.source_root.clone());
            let emitter = output::Emitter::new(format, &report, &settings);
            Sink {
                emitter: match overflow {
                    Some(output::Overflow::Sarif(_)) => emitter.held(),
                    _ => emitter,
                },
                target,
                wrote: false,
                overflow,
            }
        })
        .collect();
    let keep_findings = keep_findings || sinks.iter().any(|s| !s.emitter.streams());
    // The rendering side's copy of the streaming outputs, in `sinks` order.
    let streaming: Vec<output::Emitter> = sinks
        .iter()
        .filter(|s| s.emitter.streams())
        .map(|s| s.emitter.clone())
        .collect();
    for sink in &mut sinks {
        let mut head = Vec::new();
        sink.emitter.head(&report, &mut head);
        sink.write(&head)?;
    }

    let mut state = ScanState {
        report: &mut report,
        sinks: &mut sinks,
        keep_findings,
        keep_images: plan.keep_images,
        errors: ErrorLog::default(),
        waiver_used: vec![0; plan.waivers.len()],
        waiver_expired: vec![0; plan.waivers.len()],
        in_baseline: std::collections::HashSet::new(),
        skips: Skips::default(),
        subjects: Subjects::default(),
    };
    let facts = Facts::new(matches!(feed, Feed::Images(_)), plan);
    if let Some(fleet) = &plan.fleet {
        facts.want(fleet.iter().flat_map(|f| f.image_ids()));
    }
    let facts = &facts;
    let outcome: Result<Origin> = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        let reader = scope.spawn(move || match feed {
            Feed::Sources(sources) => {
                // The settings files' accounts first (after the fleet, whose
                // impact AMI205 reads), then the exports, then the fleet
                // files' workloads once every image is checked.
                let settings = plan.account_settings.as_ref().map(|s| s.entries.clone());
                let settings = settings.filter(|s| !s.is_empty());
                let send_settings = |settings: Option<Vec<_>>| {
                    settings.is_none_or(|s| tx.send(Batch::of(Vec::new(), s)).is_ok())
                };
                if plan.fleet.is_none() && !send_settings(settings.clone()) {
                    return Ok(Origin::default());
                }
                read_batches(sources, plan.reading, tx.clone())?;
                for fleet in plan.fleet.iter().flat_map(|f| f.iter()) {
                    let settings = plan
                        .account_settings
                        .as_ref()
                        .and_then(|s| s.get(&fleet.account_id, &fleet.region).cloned());
                    for batch in Batch::fleet(fleet.clone(), settings) {
                        if tx.send(batch).is_err() {
                            return Ok(Origin::default());
                        }
                    }
                }
                if plan.fleet.is_some() {
                    send_settings(settings);
                }
                Ok(Origin::default())
            }
            Feed::Images(produce) => produce(&mut |delivery| {
                let Delivery {
                    mut images,
                    settings,
                    fleet,
                } = delivery;
                let settings = settings.map(Arc::new);
                if let Some(settings) = &settings {
                    for image in &mut images {
                        image.account_settings = Some(settings.clone());
                    }
                    // With a fleet, after it (its impact is AMI205's).
                    if fleet.is_none()
                        && tx
                            .send(Batch::of(Vec::new(), vec![settings.clone()]))
                            .is_err()
                    {
                        return false;
                    }
                }
                if let Some(fleet) = &fleet {
                    facts.want(fleet.image_ids());
                }
                while !images.is_empty() {
                    let rest = images.split_off(images.len().min(BATCH));
                    if tx.send(Batch::of(images, Vec::new())).is_err() {
                        return false;
                    }
                    images = rest;
                }
                let Some(fleet) = fleet else { return true };
                Batch::fleet(Arc::new(fleet), settings.clone()).all(|b| tx.send(b).is_ok())
                    && settings.is_none_or(|s| tx.send(Batch::of(Vec::new(), vec![s])).is_ok())
            }),
        });
        let mut done: Option<Vec<Checked>> = None;
        let mut result = Ok(());
        for batch in rx.iter() {
            let (checked, written) = rayon::join(
                || check_batch(&batch, sources, &live_uri, plan, &streaming, facts),
                || done.take().map_or(Ok(()), |c| state.absorb(c)),
            );
            done = Some(checked);
            if let Err(e) = written {
                result = Err(e);
                break;
            }
        }
        if result.is_ok()
            && let Some(checked) = done.take()
        {
            result = state.absorb(checked);
        }
        // Dropping the receiver stops a reader that is still going.
        drop(rx);
        let read = reader
            .join()
            .expect("invariant: the reader thread does not panic");
        // An image the reader passed but that failed to parse comes first.
        result?;
        read
    });
    let origin = outcome?;
    let ScanState {
        errors,
        waiver_used,
        waiver_expired,
        in_baseline,
        skips,
        subjects,
        ..
    } = state;
    report.notices.extend(subjects.notice());
    // Where the images came from first (a live scan's scopes and fetch
    // errors), then what checking them found.
    report.scopes.extend(origin.scopes);
    report.errors.extend(origin.errors);
    report.api_calls = report.api_calls.or(origin.api_calls);
    report.unassessed.extend(origin.unassessed);
    report.notes = skips.notes(&plan.rules, report.images_scanned, report.workloads_scanned);
    not_assessed(&mut report, plan);
    if let Some(framework) = plan.benchmark {
        let evidence = crate::rules::compliance::Evidence {
            ran: &report.rules,
            findings: &report.tally.by_rule,
            images: &report.tally.images_by_rule,
            skipped: report.notes.iter().fold(
                std::collections::BTreeMap::new(),
                |mut by_rule, n| {
                    by_rule
                        .entry(n.rule.code)
                        .or_insert_with(Vec::new)
                        .push(n.to_string());
                    by_rule
                },
            ),
            images_scanned: report.images_scanned,
            accounts: report.accounts_scanned,
            inert: &plan.inert,
        };
        // Built-in rules and the run's policies (their `meta()` may map them).
        let catalogue: Vec<&'static crate::rules::RuleMeta> = crate::rules::BUILTIN
            .iter()
            .copied()
            .chain(plan.policies.iter().map(|p| p.meta))
            .collect();
        let controls = crate::rules::compliance::assess(framework, &catalogue, &evidence);
        report.benchmark = Some((framework, controls));
    }
    report.not_owned.owners_named = !plan.ownership.owners.is_empty();
    report.not_owned.rules = plan
        .rules
        .iter()
        .filter(|r| r.owner_only)
        .map(|r| r.code)
        .collect();
    report.errors.extend(errors.finish());
    report
        .warnings
        .extend(waiver_warnings(plan, &waiver_used, &waiver_expired));
    if let Some(baseline) = &plan.baseline {
        report.baseline_absent = Some(baseline.fingerprints.len() - in_baseline.len());
    }
    for overflow in sinks.iter().filter_map(|s| s.overflow.as_ref()) {
        report.notices.extend(overflow.notice());
    }
    let mut targets = Vec::new();
    for mut sink in sinks {
        let mut tail = Vec::new();
        sink.emitter
            .tail(&report, sink.overflow.as_ref(), &mut tail)
            .context("writing the report")?;
        sink.write(&tail)?;
        targets.push(sink.target);
    }
    commit_all(targets)?;
    Ok(report)
}

/// What the writing side of a scan accumulates, batch after batch.
pub(super) struct ScanState<'a> {
    report: &'a mut Report,
    sinks: &'a mut [Sink],
    keep_findings: bool,
    keep_images: bool,
    errors: ErrorLog,
    waiver_used: Vec<usize>,
    waiver_expired: Vec<usize>,
    in_baseline: std::collections::HashSet<u128>,
    skips: Skips,
    subjects: Subjects,
}

impl ScanState<'_> {
    /// Counts, writes and keeps (as needed) one checked batch, in input order.
    fn absorb(&mut self, checked: Vec<Checked>) -> Result<()> {
        for c in checked {
            match c {
                Checked::Fleet(workloads) => {
                    for linted in workloads {
                        self.absorb_one(Checked::Workload(Box::new(linted)))?;
                    }
                }
                other => self.absorb_one(other)?,
            }
        }
        Ok(())
    }

    /// Counts, writes and keeps (as needed) one checked subject.
    fn absorb_one(&mut self, c: Checked) -> Result<()> {
        {
            let is_account = matches!(c, Checked::Account(_));
            let is_workload = matches!(c, Checked::Workload(_));
            let mut linted = match c {
                Checked::Skipped(id) => {
                    self.report.images_skipped += 1;
                    if self.report.skipped_first.len() < crate::finding::SKIPPED_LISTED {
                        self.report.skipped_first.push(id);
                    }
                    return Ok(());
                }
                Checked::Invalid(e) => return Err(e.into()),
                Checked::Linted(linted) => {
                    self.report.images_scanned += 1;
                    *linted
                }
                Checked::Account(linted) => {
                    self.report.accounts_scanned += 1;
                    *linted
                }
                Checked::Workload(linted) => {
                    self.report.workloads_scanned += 1;
                    *linted
                }
                Checked::Fleet(_) => {
                    unreachable!("invariant: a fleet is split into its workloads above")
                }
            };
            if self.subjects.distinguish(&mut linted.findings) {
                // Written again with their own fingerprints.
                for (text, sink) in linted
                    .rendered
                    .iter_mut()
                    .zip(self.sinks.iter().filter(|s| s.emitter.streams()))
                {
                    text.clear();
                    sink.emitter.image(&linted.findings, text);
                }
            }
            if self.keep_images {
                if is_workload {
                    self.report.workloads.extend(linted.image.take());
                } else if is_account {
                    let id = linted.image.take().map(|i| i.id);
                    self.report.accounts.extend(id);
                } else {
                    self.report.images.extend(linted.image.take());
                }
            }
            for f in &linted.findings {
                self.report.tally.add(f);
            }
            self.skips.add(linted.skipped, &linted.unreadable);
            for (i, active) in linted.waivers {
                if active {
                    self.waiver_used[i] += 1;
                } else {
                    self.waiver_expired[i] += 1;
                }
            }
            self.in_baseline.extend(linted.in_baseline);
            if let Some(owner) = linted.not_owned {
                *self.report.not_owned.by_owner.entry(owner).or_default() += 1;
            }
            self.errors.extend(linted.errors);
            let mut rendered = linted.rendered.iter();
            for sink in self.sinks.iter_mut().filter(|s| s.emitter.streams()) {
                let text = rendered.next().map_or(&[][..], Vec::as_slice);
                if let Some(overflow) = &mut sink.overflow
                    && !linted.findings.is_empty()
                    && !overflow.admit(&linted.findings)
                {
                    overflow.add(&linted.findings);
                    continue;
                }
                if text.is_empty() {
                    continue;
                }
                if sink.wrote {
                    sink.write(sink.emitter.separator())?;
                }
                sink.write(text)?;
                sink.wrote = true;
            }
            if self.keep_findings {
                self.report.findings.extend(linted.findings);
            }
        }
        Ok(())
    }
}

/// Parses (as needed) and checks one batch in parallel, in order.
pub(super) fn check_batch(
    batch: &Batch,
    sources: &[InputSource],
    live_uri: &Arc<str>,
    plan: &ScanPlan,
    streaming: &[output::Emitter],
    facts: &Facts,
) -> Vec<Checked> {
    if let Some(part) = &batch.fleet {
        let (fleet, settings) = (&part.fleet, part.settings.as_deref());
        let workloads = check_fleet(fleet, part.workloads.clone(), settings, facts, plan)
            .into_iter()
            .map(|linted| match rendered(linted, streaming) {
                Checked::Linted(linted) => *linted,
                _ => unreachable!("invariant: rendered gives a linted subject"),
            })
            .collect();
        return vec![Checked::Fleet(workloads)];
    }
    let checked = |image: &Image, at: &At<'_>, request| {
        let linted = check_image(image, at, plan, request);
        if plan.fleet.is_some() {
            facts.record(image, &linted, plan);
        }
        rendered(linted, streaming)
    };
    if !batch.settings.is_empty() {
        return batch
            .settings
            .iter()
            .map(|settings| {
                match rendered(
                    check_settings(&facts.with_impact(settings), plan),
                    streaming,
                ) {
                    Checked::Linted(linted) => Checked::Account(linted),
                    other => other,
                }
            })
            .collect();
    }
    if !batch.parsed.is_empty() {
        // A live scan's images: no file to point into (`ScanPlan::live_uris`).
        return batch
            .parsed
            .par_iter()
            .map(|image| {
                if !image.is_linted_type() {
                    return Checked::Skipped(image.id().into());
                }
                let at = At {
                    raw: &[],
                    keys: None,
                    line: 1,
                    column: 1,
                    uri: live_uri,
                    input_index: 0,
                };
                checked(image, &at, None)
            })
            .collect();
    }
    let source = &sources[batch.input_index];
    let name = source.name();
    (0..batch.images.len())
        .into_par_iter()
        .map(|i| {
            let start = i.checked_sub(1).map_or(0, |p| batch.images[p].0);
            let (end, line, column, key_range) = batch.images[i];
            let raw = &batch.bytes[start..end];
            let keys = key_range.map(|(from, to)| &batch.keys[from..to]);
            let (image, request) = match plan.reading {
                Reading::Images => match parse_image(raw, line, column, &name) {
                    Ok(mut image) if image.is_linted_type() => {
                        if let Some(index) = &plan.snapshots {
                            index.join(&mut image);
                        }
                        if let Some(index) = &plan.account_settings {
                            index.join(&mut image);
                        }
                        (image, None)
                    }
                    Ok(image) => return Checked::Skipped(image.id().into()),
                    Err(e) => return Checked::Invalid(e),
                },
                Reading::Requests(kind) => {
                    match parse_request(raw, line, column, &name, &source.uri) {
                        Ok(request) => {
                            let told = if is_create_image(&request) {
                                RequestKind::Create
                            } else {
                                RequestKind::Register
                            };
                            (request, Some(kind.unwrap_or(told)))
                        }
                        Err(e) => return Checked::Invalid(e),
                    }
                }
            };
            let at = At {
                raw,
                keys,
                line,
                column,
                uri: &source.uri,
                input_index: batch.input_index,
            };
            checked(&image, &at, request)
        })
        .collect()
}

/// An image's findings rendered for each streaming output.
fn rendered(mut linted: Linted, streaming: &[output::Emitter]) -> Checked {
    linted.rendered = streaming
        .iter()
        .map(|emitter| {
            let mut out = Vec::with_capacity(linted.findings.len() * 768);
            if !linted.findings.is_empty() {
                emitter.image(&linted.findings, &mut out);
            }
            out
        })
        .collect();
    Checked::Linted(Box::new(linted))
}
