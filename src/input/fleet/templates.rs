//! Launch template versions: each template's `$Default` and `$Latest`, and
//! the version a group's launch template specification names.

use std::collections::{BTreeMap, HashMap};

use super::{TemplateSpec, VersionRecord, template_use};
use crate::model::Use;

/// A template's `$Default` and `$Latest` versions.
pub(super) struct Labels<'a> {
    pub(super) version: &'a VersionRecord,
    pub(super) default: bool,
    pub(super) latest: bool,
}

/// Launch template versions by template id (and name → id).
pub(super) struct Templates<'a> {
    by_id: BTreeMap<&'a str, Vec<&'a VersionRecord>>,
    names: HashMap<&'a str, &'a str>,
}

impl<'a> Templates<'a> {
    pub(super) fn of(versions: &'a [VersionRecord]) -> Self {
        let mut by_id: BTreeMap<&str, Vec<&VersionRecord>> = BTreeMap::new();
        let mut names = HashMap::new();
        for v in versions {
            let same = by_id.entry(v.launch_template_id.as_str()).or_default();
            // One version read twice (a `$Latest` that is the `$Default`).
            if !same.iter().any(|s| s.version_number == v.version_number) {
                same.push(v);
            }
            if let Some(name) = &v.launch_template_name {
                names.insert(name.as_str(), v.launch_template_id.as_str());
            }
        }
        Templates { by_id, names }
    }

    fn default(&self, id: &str) -> Option<&'a VersionRecord> {
        self.by_id
            .get(id)?
            .iter()
            .copied()
            .find(|v| v.default_version == Some(true))
    }

    /// The highest version read: `$Latest` when the export holds it (a
    /// `--versions '$Latest' '$Default'` export always does).
    fn latest(&self, id: &str) -> Option<&'a VersionRecord> {
        self.by_id
            .get(id)?
            .iter()
            .copied()
            .max_by_key(|v| v.version_number)
    }

    /// Each template's `$Default` and (when another version) `$Latest`.
    pub(super) fn labelled(&self) -> Vec<(&'a str, Labels<'a>)> {
        let mut out = Vec::new();
        for &id in self.by_id.keys() {
            let (default, latest) = (self.default(id), self.latest(id));
            if let Some(d) = default {
                let both = latest.is_some_and(|l| l.version_number == d.version_number);
                out.push((
                    id,
                    Labels {
                        version: d,
                        default: true,
                        latest: both,
                    },
                ));
            }
            if let Some(l) =
                latest.filter(|l| default.is_none_or(|d| d.version_number != l.version_number))
            {
                out.push((
                    id,
                    Labels {
                        version: l,
                        default: false,
                        latest: true,
                    },
                ));
            }
        }
        out
    }

    /// The image a group's template specification launches from.
    pub(super) fn resolve(&self, spec: &TemplateSpec, how: &str) -> Use {
        let id = spec.launch_template_id.as_deref().or_else(|| {
            spec.launch_template_name
                .as_deref()
                .and_then(|n| self.names.get(n).copied())
        });
        let named = spec
            .launch_template_id
            .as_deref()
            .or(spec.launch_template_name.as_deref())
            .unwrap_or("-");
        let version = spec.version.as_deref().unwrap_or("$Default");
        let via = format!("{how} {named} version {version}");
        let found = id.and_then(|id| match version {
            "$Default" => self.default(id),
            "$Latest" => self.latest(id),
            n => self
                .by_id
                .get(id)?
                .iter()
                .copied()
                .find(|v| v.version_number.to_string() == n),
        });
        match found {
            Some(v) => template_use(v, Some(via)),
            None => Use {
                image_id: None,
                via: Some(via),
                unresolved: Some("the launch template version is not in the fleet".into()),
            },
        }
    }
}
