//! `--fleet-file`: the workloads behind the images, from a live scan's
//! `--save-fleet` file (`{"Fleet": [ … ]}`) or from the AWS CLI's own
//! exports — `aws ec2 describe-instances`, `aws ec2
//! describe-launch-template-versions --versions '$Latest' '$Default'`,
//! `aws autoscaling describe-auto-scaling-groups` and `aws autoscaling
//! describe-launch-configurations` — in any mix of files. A live scan reads
//! the same records through the SDK and builds its workloads with the same
//! `Records::scopes`, so live and offline agree.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::InputSource;
use crate::error::{InputError, json_message};
use crate::model::{FleetScope, Use, Workload, WorkloadKind, ec2_arn, region_of_zone};

/// The largest fleet file read (decompressed).
pub const MAX_FLEET_BYTES: u64 = 1 << 30;

mod records;
mod templates;
pub use records::*;
use templates::Templates;

/// Everything read about a fleet, before it is made workloads.
#[derive(Debug, Default)]
pub struct Records {
    /// Instances, already workloads (`Records::instance`).
    pub instances: Vec<Workload>,
    pub versions: Vec<VersionRecord>,
    pub groups: Vec<GroupRecord>,
    pub configurations: Vec<ConfigurationRecord>,
}

/// The account and region of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`).
fn arn_scope(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.split(':');
    let (_, _, _, region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    Some((account.to_string(), region.to_string()))
}

impl Records {
    /// Adds an instance, made a workload at once (a million instances are
    /// not held twice). `scope`: as for `scopes`.
    pub fn instance(&mut self, i: InstanceRecord, scope: Option<(&str, &str)>) {
        let zone = i
            .placement
            .as_ref()
            .and_then(|p| p.availability_zone.as_deref());
        let (account, region) = match scope {
            Some((a, r)) => (a.to_string(), r.to_string()),
            None => (
                i.owner_id.unwrap_or_default(),
                zone.and_then(region_of_zone).unwrap_or_default(),
            ),
        };
        let name = i
            .tags
            .into_iter()
            .flatten()
            .find(|t| t.key == "Name")
            .map(|t| t.value);
        self.instances.push(Workload {
            kind: WorkloadKind::Instance,
            arn: ec2_arn(&region, &account, &format!("instance/{}", i.instance_id)),
            id: i.instance_id,
            name,
            account_id: account,
            region,
            state: i.state.and_then(|s| s.name),
            default_version: false,
            uses: vec![Use {
                image_id: i.image_id,
                ..Use::default()
            }],
            origin: i.origin,
        });
    }

    /// The workloads, by account × region. `scope` (a live scan's) names the
    /// account and region of every record; offline they come from the
    /// records (owner, zone, ARN; a launch template version without a zone
    /// has no region).
    pub fn scopes(self, scope: Option<(&str, &str)>) -> Vec<FleetScope> {
        let mut by_scope: BTreeMap<(String, String), Vec<Workload>> = BTreeMap::new();
        let place = |account: Option<String>, region: Option<String>| match scope {
            Some((a, r)) => (a.to_string(), r.to_string()),
            None => (account.unwrap_or_default(), region.unwrap_or_default()),
        };
        // An export is one account × region, usually: its instances are
        // moved whole, not one by one.
        let first = self
            .instances
            .first()
            .map(|w| (w.account_id.clone(), w.region.clone()));
        match first {
            Some(key)
                if self
                    .instances
                    .iter()
                    .all(|w| w.account_id == key.0 && w.region == key.1) =>
            {
                by_scope.insert(key, self.instances);
            }
            _ => {
                for w in self.instances {
                    by_scope
                        .entry((w.account_id.clone(), w.region.clone()))
                        .or_default()
                        .push(w);
                }
            }
        }
        let templates = Templates::of(&self.versions);
        for (template, labels) in templates.labelled() {
            let v = labels.version;
            let zone = v
                .launch_template_data
                .as_ref()
                .and_then(|d| d.placement.as_ref())
                .and_then(|p| p.availability_zone.as_deref());
            let account = v.created_by.as_deref().and_then(arn_scope).map(|(a, _)| a);
            let (account, region) = place(account, zone.and_then(region_of_zone));
            let label = if labels.default {
                "$Default"
            } else {
                "$Latest"
            };
            let state = match (labels.default, labels.latest) {
                (true, true) => format!("$Default and $Latest, version {}", v.version_number),
                _ => format!("{label}, version {}", v.version_number),
            };
            by_scope
                .entry((account.clone(), region.clone()))
                .or_default()
                .push(Workload {
                    kind: WorkloadKind::LaunchTemplate,
                    id: format!("{template}:{label}"),
                    name: v.launch_template_name.clone(),
                    arn: ec2_arn(&region, &account, &format!("launch-template/{template}")),
                    account_id: account,
                    region,
                    state: Some(state),
                    default_version: labels.default,
                    uses: vec![template_use(v, None)],
                    origin: v.origin.clone(),
                });
        }
        let configurations: HashMap<&str, &ConfigurationRecord> = self
            .configurations
            .iter()
            .map(|c| (c.launch_configuration_name.as_str(), c))
            .collect();
        for g in &self.groups {
            let (account, region) = g
                .auto_scaling_group_arn
                .as_deref()
                .and_then(arn_scope)
                .unzip();
            let (account, region) = place(account, region);
            let mut uses: Vec<Use> = g
                .specs()
                .map(|(spec, how)| templates.resolve(spec, how))
                .collect();
            if let Some(name) = &g.launch_configuration_name {
                let via = Some(format!("launch configuration {name}"));
                uses.push(match configurations.get(name.as_str()) {
                    Some(c) => Use {
                        image_id: c.image_id.clone(),
                        via,
                        unresolved: None,
                    },
                    None => Use {
                        image_id: None,
                        via,
                        unresolved: Some("the launch configuration is not in the fleet".into()),
                    },
                });
            }
            by_scope
                .entry((account.clone(), region.clone()))
                .or_default()
                .push(Workload {
                    kind: WorkloadKind::AutoScalingGroup,
                    id: g.auto_scaling_group_name.clone(),
                    name: None,
                    arn: g.auto_scaling_group_arn.clone().unwrap_or_default(),
                    account_id: account,
                    region,
                    state: None,
                    default_version: false,
                    uses,
                    origin: g.origin.clone(),
                });
        }
        by_scope
            .into_iter()
            .map(|((account_id, region), workloads)| FleetScope {
                account_id,
                region,
                workloads,
                ..FleetScope::default()
            })
            .collect()
    }
}

impl GroupRecord {
    /// The group's launch template specifications: its own, its mixed
    /// instances policy's, and each override's, with how it names them.
    pub fn specs(&self) -> impl Iterator<Item = (&TemplateSpec, &'static str)> {
        let mixed = self
            .mixed_instances_policy
            .as_ref()
            .and_then(|m| m.launch_template.as_ref());
        self.launch_template
            .iter()
            .map(|s| (s, "launch template"))
            .chain(
                mixed
                    .and_then(|m| m.launch_template_specification.as_ref())
                    .map(|s| (s, "mixed instances launch template")),
            )
            .chain(
                mixed
                    .and_then(|m| m.overrides.as_ref())
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.launch_template_specification.as_ref())
                    .map(|s| (s, "override launch template")),
            )
    }
}

/// The image a template version launches from.
fn template_use(v: &VersionRecord, via: Option<String>) -> Use {
    let image = v
        .launch_template_data
        .as_ref()
        .and_then(|d| d.image_id.clone());
    match image {
        Some(parameter) if parameter.starts_with("resolve:ssm:") => {
            let via = Some(via.map_or(parameter.clone(), |v| format!("{v} ({parameter})")));
            match &v.resolved_image_id {
                Some(id) => Use {
                    image_id: Some(id.clone()),
                    via,
                    unresolved: None,
                },
                None => Use {
                    image_id: None,
                    via,
                    unresolved: Some(
                        "an SSM parameter not resolved (export with --resolve-alias, or scan live)"
                            .into(),
                    ),
                },
            }
        }
        image_id => Use {
            image_id,
            via,
            unresolved: None,
        },
    }
}

/// Every `--fleet-file`, read before the scan (the files in parallel, in
/// order): saved fleets as they are, the AWS CLI's exports made workloads
/// together (a group's launch template may be in another file).
pub fn read(sources: &[InputSource]) -> Result<Vec<FleetScope>, InputError> {
    use rayon::prelude::*;
    let read: Vec<(Vec<FleetScope>, Records)> = sources
        .par_iter()
        .map_init(Vec::new, |bytes, source| {
            let name = source.name();
            super::source::read_whole_into(
                super::source::decoded(super::source::open(source)?, 1 << 16)
                    .map_err(|e| io(&name, e))?
                    .1,
                MAX_FLEET_BYTES,
                1 << 20,
                bytes,
            )
            .map_err(|e| io(&name, e))?;
            let text = std::str::from_utf8(bytes).map_err(|e| {
                let mut lines = super::source::Lines::default();
                let (line, column) = lines.at(bytes, e.valid_up_to());
                syntax(&name, line, column, "not UTF-8 text".into())
            })?;
            let (mut saved, mut records) = (Vec::new(), Records::default());
            read_text(text, &source.uri, &name, &mut saved, &mut records)?;
            Ok((saved, records))
        })
        .collect::<Result<_, InputError>>()?;
    let mut scopes = Vec::new();
    let mut records = Records::default();
    for (saved, mut part) in read {
        scopes.extend(saved);
        // A file's instances are its own scopes (no join across files:
        // a million instances are not moved again).
        let instances = Records {
            instances: std::mem::take(&mut part.instances),
            ..Records::default()
        };
        scopes.extend(instances.scopes(None));
        records.versions.extend(part.versions);
        records.groups.extend(part.groups);
        records.configurations.extend(part.configurations);
    }
    scopes.extend(records.scopes(None));
    Ok(scopes)
}

fn io(name: &str, source: std::io::Error) -> InputError {
    InputError::Io {
        path: name.to_string(),
        source,
    }
}

fn syntax(name: &str, line: u64, column: u64, message: String) -> InputError {
    InputError::Syntax {
        path: name.to_string(),
        line,
        column,
        message,
    }
}

/// A `describe-instances` reservation: its owner and its instances.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Reservation {
    owner_id: Option<String>,
    #[serde(default)]
    instances: Vec<InstanceRecord>,
}

/// Finds where each instance of a text is, in order: the line and column of
/// its `"InstanceId"` key whose value is its id (1:1 if none is, say a key
/// written with escapes).
struct Placer<'t> {
    text: &'t [u8],
    at: usize,
    lines: super::source::Lines,
    key: memchr::memmem::Finder<'static>,
}

impl<'t> Placer<'t> {
    fn new(text: &'t str) -> Self {
        Placer {
            text: text.as_bytes(),
            at: 0,
            lines: super::source::Lines::default(),
            key: memchr::memmem::Finder::new(b"\"InstanceId\""),
        }
    }

    fn place(&mut self, id: &str) -> (u64, u64) {
        let mut from = self.at;
        while let Some(found) = self.key.find(&self.text[from..]) {
            let key = from + found;
            from = key + 12;
            let rest = &self.text[from..];
            let value = rest
                .trim_ascii_start()
                .strip_prefix(b":")
                .map(<[u8]>::trim_ascii_start);
            let quoted = value
                .and_then(|v| v.strip_prefix(b"\""))
                .and_then(|v| v.strip_prefix(id.as_bytes()))
                .is_some_and(|v| v.starts_with(b"\""));
            if quoted {
                self.at = from;
                return self.lines.at(self.text, key);
            }
        }
        (1, 1)
    }
}

/// Where `raw` starts in `text` (it is a slice of it).
fn offset(text: &str, raw: &RawValue) -> usize {
    raw.get().as_ptr() as usize - text.as_ptr() as usize
}

/// A serde error in an entry that starts at `line`:`column`, at its place
/// in the file.
fn entry_error(e: &serde_json::Error, line: u64, column: u64, name: &str) -> InputError {
    let (line, column) = super::scanner::file_position(e, line, column);
    syntax(name, line, column, json_message(e))
}

/// Each entry of one section (they come in file order) parsed as `T`, with
/// its line and column; a bad one is an error at its place in the file.
fn placed<'t, T: serde::de::DeserializeOwned>(
    text: &'t str,
    name: &str,
    raws: impl IntoIterator<Item = &'t RawValue>,
) -> Result<Vec<(T, u64, u64)>, InputError> {
    let mut lines = super::source::Lines::default();
    raws.into_iter()
        .map(|raw| {
            let (line, column) = lines.at(text.as_bytes(), offset(text, raw));
            let value =
                serde_json::from_str(raw.get()).map_err(|e| entry_error(&e, line, column, name))?;
            Ok((value, line, column))
        })
        .collect()
}

/// One fleet file's text: which export it is, by its top-level keys.
fn read_text(
    text: &str,
    uri: &Arc<str>,
    name: &str,
    saved: &mut Vec<FleetScope>,
    records: &mut Records,
) -> Result<(), InputError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Doc<'a> {
        #[serde(borrow)]
        fleet: Option<&'a RawValue>,
        reservations: Option<Vec<Reservation>>,
        #[serde(borrow)]
        launch_template_versions: Option<Vec<&'a RawValue>>,
        #[serde(borrow)]
        auto_scaling_groups: Option<Vec<&'a RawValue>>,
        #[serde(borrow)]
        launch_configurations: Option<Vec<&'a RawValue>>,
    }
    let doc: Doc<'_> = serde_json::from_str(text).map_err(|e| InputError::json(name, &e))?;
    let any = doc.fleet.is_some()
        || doc.reservations.is_some()
        || doc.launch_template_versions.is_some()
        || doc.auto_scaling_groups.is_some()
        || doc.launch_configurations.is_some();
    if let Some(raw) = doc.fleet {
        // Where each workload is, for its findings.
        #[derive(Deserialize)]
        struct Placed<'a> {
            #[serde(rename = "Workloads", borrow)]
            workloads: Vec<&'a RawValue>,
        }
        let (fleet, line, column) = placed::<Vec<FleetScope>>(text, name, [raw])?.remove(0);
        let placed: Vec<Placed<'_>> =
            serde_json::from_str(raw.get()).map_err(|e| entry_error(&e, line, column, name))?;
        let mut lines = super::source::Lines::default();
        for (mut scope, placed) in fleet.into_iter().zip(placed) {
            for (w, raw) in scope.workloads.iter_mut().zip(placed.workloads) {
                let (line, column) = lines.at(text.as_bytes(), offset(text, raw));
                w.origin = Some((uri.clone(), line, column));
            }
            saved.push(scope);
        }
    }
    // Instances are read in the document's own pass (a million of them are
    // most of a fleet's bytes); each is placed at its `InstanceId` key,
    // found by a forward search for the key with its value.
    let mut ids = Placer::new(text);
    for r in doc.reservations.into_iter().flatten() {
        for mut i in r.instances {
            let (line, column) = ids.place(&i.instance_id);
            i.owner_id.clone_from(&r.owner_id);
            i.origin = Some((uri.clone(), line, column));
            // Terminated instances launch nothing (a live scan leaves them out too).
            if i.state.as_ref().and_then(|s| s.name.as_deref()) != Some("terminated") {
                records.instance(i, None);
            }
        }
    }
    let versions = doc.launch_template_versions.into_iter().flatten();
    for (mut v, line, column) in placed::<VersionRecord>(text, name, versions)? {
        v.origin = Some((uri.clone(), line, column));
        records.versions.push(v);
    }
    let groups = doc.auto_scaling_groups.into_iter().flatten();
    for (mut g, line, column) in placed::<GroupRecord>(text, name, groups)? {
        g.origin = Some((uri.clone(), line, column));
        records.groups.push(g);
    }
    let configurations = doc.launch_configurations.into_iter().flatten();
    for (c, _, _) in placed::<ConfigurationRecord>(text, name, configurations)? {
        records.configurations.push(c);
    }
    if !any {
        return Err(syntax(
            name,
            1,
            1,
            "not a fleet file: expected `Fleet` (--save-fleet), `Reservations` (describe-instances), \
             `LaunchTemplateVersions`, `AutoScalingGroups` or `LaunchConfigurations`"
                .into(),
        ));
    }
    Ok(())
}
