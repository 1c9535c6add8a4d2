//! The fleet: each workload's images looked up among the scan's own images
//! (their facts recorded as they are checked) and the images its scope
//! described by id, then the fleet rules, one `Linted` per workload.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use rayon::prelude::*;

use super::evaluate::{Linted, fingerprints, not_run, subject_finding};
use super::judge::judge;
use crate::finding::{Finding, InUseLink, ScannedImage};
use crate::model::{AccountSettings, FleetImpact, FleetScope, Image, ImageScope, Workload};
use crate::plan::ScanPlan;
use crate::rules::allowed::blocks;
use crate::rules::fleet::{InUse, Lookup, family};
use crate::rules::{Cx, Date, Ran, Severity, Subject, read_time};

/// What the scan's own images tell the fleet: the images workloads use, as
/// checked, and the newest image of each name family.
#[derive(Default)]
pub(super) struct Facts {
    /// The image ids the fleet uses (added before the images are checked).
    wanted: RwLock<HashSet<String>>,
    seen: Mutex<HashMap<String, Fact>>,
    /// (owner, name family) → the newest image not deprecated: (creation
    /// date, id).
    newest: Mutex<HashMap<(String, String), (String, String)>>,
    /// (account, region) → what enabling Allowed AMIs would block there.
    impacts: Mutex<HashMap<(String, String), FleetImpact>>,
    /// A live scan: each scope's fleet follows its images, which are
    /// forgotten once it is checked (memory stays flat over the scopes).
    forget_used: bool,
    /// Whether `newest` is kept (AMI307 runs on launch templates).
    families: bool,
}

struct Fact {
    image: Arc<Image>,
    owned: bool,
    /// Its most severe finding that counts.
    worst: Option<Severity>,
}

impl Facts {
    /// `forget_used`: a live scan's (see the field). Name families are kept
    /// only for AMI307, when a launch template's `$Default` may ask.
    pub(super) fn new(forget_used: bool, plan: &ScanPlan) -> Self {
        let laggards = plan.rules.iter().any(|r| r.code == "AMI307");
        let templates = plan.fleet.as_ref().is_some_and(|scopes| {
            forget_used
                || scopes
                    .iter()
                    .any(|s| s.workloads.iter().any(|w| w.default_version))
        });
        Facts {
            forget_used,
            families: laggards && templates,
            ..Facts::default()
        }
    }

    /// Ids the fleet will ask about: their images are remembered when checked.
    pub(super) fn want<'a>(&self, ids: impl Iterator<Item = &'a str>) {
        let mut wanted = self
            .wanted
            .write()
            .expect("invariant: no panic holds the lock");
        wanted.extend(ids.map(str::to_string));
    }

    /// Records what checking `image` gave, when the fleet uses it; and its
    /// name family's newest image.
    pub(super) fn record(&self, image: &Image, linted: &Linted, plan: &ScanPlan) {
        let id = image.id();
        if let (true, Some(name), Some(owner), Some(created)) = (
            self.families,
            &image.name,
            &image.owner_id,
            &image.creation_date,
        ) {
            let deprecated = matches!(
                read_time(image.deprecation_time.as_deref()),
                Date::At(at) if at <= plan.settings.now
            );
            if !deprecated {
                let mut newest = self
                    .newest
                    .lock()
                    .expect("invariant: no panic holds the lock");
                let slot = newest
                    .entry((owner.clone(), family(name)))
                    .or_insert_with(|| (created.clone(), id.to_string()));
                if *created > slot.0 {
                    *slot = (created.clone(), id.to_string());
                }
            }
        }
        if !self
            .wanted
            .read()
            .expect("invariant: no panic holds the lock")
            .contains(id)
        {
            return;
        }
        let fact = Fact {
            image: Arc::new(slim(image)),
            owned: plan.ownership.owns(image),
            worst: linted
                .findings
                .iter()
                .filter(|f| f.counts())
                .map(|f| f.severity)
                .max(),
        };
        self.seen
            .lock()
            .expect("invariant: no panic holds the lock")
            .insert(id.to_string(), fact);
    }
}

impl Facts {
    /// `settings` with what enabling Allowed AMIs would block in its
    /// account × region, when its fleet was checked (AMI205's fix reads it).
    pub(super) fn with_impact(&self, settings: &Arc<AccountSettings>) -> Arc<AccountSettings> {
        let impacts = self
            .impacts
            .lock()
            .expect("invariant: no panic holds the lock");
        match impacts.get(&(settings.account_id.clone(), settings.region.clone())) {
            Some(impact) => Arc::new(AccountSettings {
                fleet_impact: Some(*impact),
                ..(**settings).clone()
            }),
            None => settings.clone(),
        }
    }
}

/// What enabling Allowed AMIs would block of one image in use: (blocked,
/// not judged).
fn impact_of(in_use: &InUse<'_>, settings: &AccountSettings, now: jiff::Timestamp) -> (u64, u64) {
    let Some(criteria) = settings.image_criteria.as_deref() else {
        return (0, 1);
    };
    let image = match &in_use.image {
        Lookup::Found(image) => Some(*image),
        // An image that is gone launches nothing either way.
        Lookup::Missing => return (0, 0),
        Lookup::NotInInputs | Lookup::Unresolved => None,
    };
    blocks(criteria, image, &settings.account_id, now)
}

/// What the fleet rules and the Allowed AMIs criteria read of an image:
/// identity, state, dates, owner, sharing, product codes, where it was found
/// and EC2's `ImageAllowed` (a million images in use stay small).
fn slim(image: &Image) -> Image {
    Image {
        image_id: image.image_id.clone(),
        name: image.name.clone(),
        state: image.state.clone(),
        owner_id: image.owner_id.clone(),
        image_owner_alias: image.image_owner_alias.clone(),
        public: image.public,
        creation_date: image.creation_date.clone(),
        deprecation_time: image.deprecation_time.clone(),
        product_codes: image.product_codes.clone(),
        scope: image.scope.clone(),
        extra: image
            .extra
            .iter()
            .filter(|(k, _)| *k == "ImageAllowed")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ..Image::default()
    }
}

/// Runs the plan's fleet rules on the workloads `part` of `fleet` in
/// parallel, each a `Linted` of its own (waivers and the baseline applied);
/// adds what enabling Allowed AMIs would block to the scope's impact, and,
/// live, forgets the images the scope used once its last part is checked.
pub(super) fn check_fleet(
    fleet: &FleetScope,
    part: std::ops::Range<usize>,
    settings: Option<&AccountSettings>,
    facts: &Facts,
    plan: &ScanPlan,
) -> Vec<Linted> {
    let described: HashMap<&str, &Image> = fleet
        .images
        .iter()
        .filter_map(|i| Some((i.image_id.as_deref()?, i)))
        .collect();
    let missing: HashSet<&str> = fleet.missing_image_ids.iter().map(String::as_str).collect();
    let seen = facts
        .seen
        .lock()
        .expect("invariant: no panic holds the lock");
    let newest = facts
        .newest
        .lock()
        .expect("invariant: no panic holds the lock");
    let lookup = |id: Option<&str>| -> (Lookup<'_>, Option<&Fact>) {
        let fact = id.and_then(|id| seen.get(id));
        let image = match (id, fact) {
            (None, _) => Lookup::Unresolved,
            (_, Some(fact)) => Lookup::Found(&fact.image),
            (Some(id), None) => match described.get(id) {
                Some(image) => Lookup::Found(image),
                None if missing.contains(id) || fleet.described => Lookup::Missing,
                None => Lookup::NotInInputs,
            },
        };
        (image, fact)
    };
    let newer = |image: &Lookup<'_>, id: Option<&str>| -> Option<&str> {
        let Lookup::Found(i) = image else { return None };
        let key = (i.owner_id.clone()?, family(i.name.as_deref()?));
        newest
            .get(&key)
            .filter(|(created, newer)| {
                Some(newer.as_str()) != id
                    && i.creation_date
                        .as_deref()
                        .is_none_or(|c| created.as_str() > c)
            })
            .map(|(_, newer)| newer.as_str())
    };
    let checked: Vec<(Linted, FleetImpact)> = fleet.workloads[part.clone()]
        .par_iter()
        .map(|workload| {
            let mut cx = Cx::new(&plan.settings, None);
            let mut linted = Linted::default();
            let mut impact = FleetImpact::default();
            let mut raws = Vec::new();
            for used in &workload.uses {
                let id = used.image_id.as_deref();
                let (image, fact) = lookup(id);
                let newer = newer(&image, id);
                let in_use = InUse {
                    workload,
                    used,
                    image,
                    owned: fact.is_some_and(|f| f.owned),
                    worst: fact.and_then(|f| f.worst),
                    newer,
                    settings,
                };
                if let Some(settings) = settings {
                    let (blocked, unknown) = impact_of(&in_use, settings, plan.settings.now);
                    impact.blocked += blocked;
                    impact.unknown += unknown;
                }
                for (i, rule) in plan.rules.iter().enumerate() {
                    if rule.subject != Subject::Fleet {
                        continue;
                    }
                    match cx.run_fleet(rule, &in_use) {
                        Ran::Checked => {}
                        Ran::NoData => linted.skipped |= 1u128.checked_shl(i as u32).unwrap_or(0),
                        Ran::Unreadable(field) => linted.unreadable.push((i, field)),
                    }
                }
                for mut raw in cx.take() {
                    raw.key = Some(used.image_id.clone().unwrap_or_default());
                    raws.push((raw, used.image_id.clone()));
                }
            }
            if plan.keep_images {
                linted.image = Some(ScannedImage {
                    id: workload.id.as_str().into(),
                    name: workload.name.as_deref().map(Into::into),
                    not_run: not_run(plan, &linted),
                });
            }
            linted.findings = findings(workload, raws, plan);
            let judged = judge(&mut linted.findings, plan);
            linted.waivers = judged.waivers;
            linted.in_baseline = judged.in_baseline;
            (linted, impact)
        })
        .collect();
    drop((seen, newest));
    let last = part.end == fleet.workloads.len();
    if facts.forget_used && last {
        // A live scope's fleet comes right after its images: what it used
        // is not asked about again.
        let mut seen = facts
            .seen
            .lock()
            .expect("invariant: no panic holds the lock");
        for id in fleet.image_ids() {
            seen.remove(id);
        }
    }
    if settings.is_some() && !fleet.incomplete {
        let mut impacts = facts
            .impacts
            .lock()
            .expect("invariant: no panic holds the lock");
        let total = impacts
            .entry((fleet.account_id.clone(), fleet.region.clone()))
            .or_default();
        for (_, impact) in &checked {
            total.blocked += impact.blocked;
            total.unknown += impact.unknown;
        }
    }
    checked.into_iter().map(|(linted, _)| linted).collect()
}

/// One workload's findings, with their fingerprints and where they point:
/// the export that held the workload, or (live) `aws/ACCOUNT/REGION/KIND/ID.json`.
fn findings(
    workload: &Workload,
    raws: Vec<(crate::rules::RawFinding, Option<String>)>,
    plan: &ScanPlan,
) -> Vec<Finding> {
    if raws.is_empty() {
        return Vec::new();
    }
    let subject: Arc<str> = workload.id.as_str().into();
    let (uri, line, column): (Arc<str>, u64, u64) = match &workload.origin {
        Some((uri, line, column)) => (uri.clone(), *line, *column),
        None => (
            format!(
                "aws/{}/{}/{}/{}.json",
                workload.account_id,
                workload.region,
                workload.kind.as_str(),
                workload.id.replace(['/', ':', '$'], "_")
            )
            .into(),
            1,
            1,
        ),
    };
    let scope = Arc::new(ImageScope {
        account_id: workload.account_id.clone(),
        region: workload.region.clone(),
        image_arn: workload.arn.clone(),
    });
    let name: Option<Arc<str>> = workload.name.as_deref().map(Into::into);
    let (raws, images): (Vec<_>, Vec<_>) = raws.into_iter().unzip();
    let prints = fingerprints(&raws, &workload.account_id, &workload.region, &subject);
    let mut out: Vec<Finding> = raws
        .into_iter()
        .zip(prints)
        .zip(images)
        .map(|((raw, fingerprint), image)| {
            let at = (&uri, line, column);
            let mut f =
                subject_finding(raw, fingerprint, &subject, name.as_ref(), &scope, at, plan);
            f.workload = Some(Arc::new(InUseLink {
                kind: workload.kind,
                image_id: image.unwrap_or_else(|| "-".to_string()),
            }));
            f
        })
        .collect();
    out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    out
}
