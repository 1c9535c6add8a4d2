//! The findings a SARIF report does not list one by one (past
//! `--sarif-max-results`), summarised per rule and input file.

use std::cmp::Reverse;
use std::sync::Arc;

use super::*;

/// Results kept free under `--sarif-max-results` for the summaries.
pub const SUMMARY_ROOM: usize = 200;

/// Summaries of one rule and input file at most, then of one rule.
const SUMMARY_GROUPS: usize = 100;

/// Images listed by a summary (GitHub shows 100 locations of a result).
const SUMMARY_IMAGES: usize = 100;

/// The findings a SARIF report did not list one by one (past
/// `--sarif-max-results`): counted per rule and input file, with the first
/// images of each, for one summary result each. A scan adds its findings;
/// `amilint merge` adds the results of the logs it merges.
#[derive(Debug)]
pub struct Summary {
    /// Results listed one by one, at most `limit`.
    pub written: usize,
    pub limit: usize,
    /// Findings summarised.
    pub findings: usize,
    root: Option<SourceRoot>,
    /// By rule id, then file URI (as the results write it). Looked up by
    /// `&str`: a summarised finding costs no allocation.
    groups: BTreeMap<String, BTreeMap<String, Group>>,
    /// The last input URI seen and its artifact: an image's findings, and
    /// the images of one file, share it.
    last: Option<(Arc<str>, ArtifactLocation)>,
    /// A scan's findings listed one by one: the `limit` most severe, then
    /// by fingerprint (the same set whatever the input order), each with
    /// its place in the scan (they are written in scan order).
    kept: BTreeMap<(Reverse<Severity>, u128), (u64, Finding)>,
    held: u64,
}

#[derive(Debug, Clone)]
struct Group {
    rule_id: String,
    severity: Severity,
    count: usize,
    /// The input file (`None` when summarised over every file).
    file: Option<String>,
    /// The first images: id, and the finding's location with its message.
    images: Vec<(String, Location)>,
}

impl Summary {
    /// A summary for a report of at most `max_results` results, its URIs
    /// relative to `root`.
    pub fn new(max_results: usize, root: Option<SourceRoot>) -> Summary {
        Summary {
            written: 0,
            limit: max_results.saturating_sub(SUMMARY_ROOM),
            findings: 0,
            root,
            groups: BTreeMap::new(),
            last: None,
            kept: BTreeMap::new(),
            held: 0,
        }
    }

    /// Takes an image's findings: each is listed if it is among the `limit`
    /// most severe so far (then lowest fingerprint), else summarised; one
    /// it pushes out is summarised.
    pub fn hold(&mut self, findings: &[Finding]) {
        for f in findings {
            self.held += 1;
            let key = (
                Reverse(f.severity),
                crate::finding::identity::parse(&f.fingerprint).unwrap_or(u128::MAX),
            );
            let fits = self.kept.len() < self.limit
                || self
                    .kept
                    .last_key_value()
                    .is_some_and(|(last, _)| key < *last);
            if !fits {
                self.add(std::slice::from_ref(f));
                continue;
            }
            self.kept.insert(key, (self.held, f.clone()));
            if self.kept.len() > self.limit
                && let Some((_, (_, out))) = self.kept.pop_last()
            {
                self.add(std::slice::from_ref(&out));
            }
        }
        self.written = self.kept.len();
    }

    /// The findings listed one by one, in scan order.
    pub fn kept(&self) -> Vec<&Finding> {
        let mut kept: Vec<&(u64, Finding)> = self.kept.values().collect();
        kept.sort_by_key(|(at, _)| *at);
        kept.into_iter().map(|(_, f)| f).collect()
    }

    /// Counts an image's findings into the summaries.
    pub fn add(&mut self, findings: &[Finding]) {
        for f in findings {
            let (uri, line) = f.location.best();
            if self.last.as_ref().is_none_or(|(last, _)| last != uri) {
                self.last = Some((uri.clone(), artifact(self.root.as_ref(), uri)));
            }
            let Some((_, artifact)) = &self.last else {
                continue;
            };
            let group = group(&mut self.groups, f.rule.code, f.severity, artifact);
            group.count += 1;
            if room_for(&group.images, &f.image_id) {
                let location = Location {
                    physical_location: Some(PhysicalLocation {
                        artifact_location: Some(artifact.clone()),
                        region: Some(Region {
                            start_line: Some(line as i64),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    message: Some(text(message_text(f))),
                    ..Default::default()
                };
                place(&mut group.images, f.image_id.to_string(), location);
            }
            self.findings += 1;
        }
    }

    /// Counts a result of another amilint log into the summaries: one
    /// finding, or a summary's count and images.
    pub fn add_result(&mut self, result: &Result) {
        let property = |key: &str| {
            result
                .properties
                .as_ref()
                .and_then(|p| p.additional_properties.get(key))
        };
        let severity = property("severity")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .unwrap_or(Severity::Info);
        let location = result
            .locations
            .as_ref()
            .and_then(|l| l.first())
            .cloned()
            .unwrap_or_default();
        let artifact = location
            .physical_location
            .as_ref()
            .and_then(|p| p.artifact_location.clone())
            .unwrap_or_default();
        let rule_id = result.rule_id.clone().unwrap_or_default();
        let images: Vec<(String, Location)> = if property("summarised") == Some(&Value::Bool(true))
        {
            let ids = property("imageIds").and_then(Value::as_array);
            let related = result.related_locations.iter().flatten();
            ids.into_iter()
                .flatten()
                .map(|id| id.as_str().unwrap_or_default().to_string())
                .zip(related.cloned())
                .collect()
        } else {
            let id = property("imageId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            vec![(
                id.to_string(),
                Location {
                    message: Some(result.message.clone()),
                    id: None,
                    ..location
                },
            )]
        };
        let count = property("count")
            .and_then(Value::as_u64)
            .map_or(1, |n| n as usize);
        let group = group(&mut self.groups, &rule_id, severity, &artifact);
        group.count += count;
        for (id, location) in images {
            if room_for(&group.images, &id) {
                place(&mut group.images, id, location);
            }
        }
        self.findings += count;
    }

    /// One summary per rule and input file; per rule only when there
    /// would be more than `SUMMARY_GROUPS` (the images of the first files).
    fn groups(&self) -> Vec<Group> {
        let all = self.groups.values().flat_map(BTreeMap::values);
        if all.clone().count() <= SUMMARY_GROUPS {
            return all.cloned().collect();
        }
        let mut by_rule: BTreeMap<&str, Group> = BTreeMap::new();
        for group in all {
            let merged = by_rule.entry(&group.rule_id).or_insert_with(|| Group {
                file: None,
                count: 0,
                images: Vec::new(),
                ..group.clone()
            });
            merged.count += group.count;
            merged.severity = merged.severity.max(group.severity);
            for (id, location) in &group.images {
                if room_for(&merged.images, id) {
                    place(&mut merged.images, id.clone(), location.clone());
                }
            }
        }
        by_rule.into_values().collect()
    }

    /// The summary results, with their `ruleIndex` from `rule_index`.
    pub fn results(&self, rule_index: impl Fn(&str) -> Option<usize>) -> Vec<Result> {
        self.groups()
            .iter()
            .map(|group| group.result(rule_index(&group.rule_id)))
            .collect()
    }

    /// What the report left out, and where it is.
    pub fn notice(&self) -> String {
        format!(
            "this SARIF report lists {} results one by one (--sarif-max-results {}); the other {} findings are summarised in {} results, one per rule and input file, each with its count and first {} images: the JSON report (`-o json=FILE`) lists every finding",
            self.written,
            self.limit + SUMMARY_ROOM,
            self.findings,
            self.groups().len(),
            SUMMARY_IMAGES,
        )
    }
}

impl Group {
    fn result(&self, rule_index: Option<usize>) -> Result {
        let file = self.file.as_deref().unwrap_or("every input");
        let print = crate::finding::Identity {
            account: "",
            region: "",
            subject: file,
            rule: &self.rule_id,
            key: "summary",
        }
        .fingerprint();
        let mut fingerprints = BTreeMap::new();
        fingerprints.insert(LINE_HASH_KEY.to_string(), identity::line_hash(&print));
        fingerprints.insert(FINGERPRINT_KEY.to_string(), print);
        let related: Vec<Location> = self
            .images
            .iter()
            .enumerate()
            .map(|(i, (_, location))| Location {
                id: Some(i as i64),
                ..location.clone()
            })
            .collect();
        // The file only, as a finding's result (`result`): the lines are
        // the related locations'.
        let primary = self.images.first().map(|(_, location)| Location {
            physical_location: location
                .physical_location
                .clone()
                .map(|p| PhysicalLocation { region: None, ..p }),
            ..Default::default()
        });
        let mut result = Result::builder()
            .rule_id(self.rule_id.clone())
            .level(level(self.severity))
            .message(text(format!(
                "{} more {} findings in {}, summarised (the report's --sarif-max-results): {} of them listed as related locations; the JSON report lists all",
                self.count,
                self.rule_id,
                decoded(file),
                self.images.len()
            )))
            .locations(primary.into_iter().collect::<Vec<_>>())
            .related_locations(related)
            .partial_fingerprints(fingerprints)
            .properties(properties(vec![
                ("summarised", Value::Bool(true)),
                ("count", Value::from(self.count)),
                ("severity", Value::String(self.severity.to_string())),
                (
                    "imageIds",
                    Value::Array(
                        self.images
                            .iter()
                            .map(|(id, _)| Value::String(id.clone()))
                            .collect(),
                    ),
                ),
            ]))
            .build();
        result.rule_index = rule_index.map(|i| i as i64);
        result
    }
}

/// The summary of `rule_id` in the file `artifact` names, made on first use.
/// Whether a summary's images (the `SUMMARY_IMAGES` first by id: the same
/// whatever the input order) take `id`.
fn room_for(images: &[(String, Location)], id: &str) -> bool {
    images.len() < SUMMARY_IMAGES || images.last().is_some_and(|(last, _)| id < last.as_str())
}

/// Puts an image in its place by id, keeping the first `SUMMARY_IMAGES`.
fn place(images: &mut Vec<(String, Location)>, id: String, location: Location) {
    let at = images.partition_point(|(other, _)| *other <= id);
    images.insert(at, (id, location));
    images.truncate(SUMMARY_IMAGES);
}

fn group<'g>(
    groups: &'g mut BTreeMap<String, BTreeMap<String, Group>>,
    rule_id: &str,
    severity: Severity,
    artifact: &ArtifactLocation,
) -> &'g mut Group {
    let file = artifact.uri.as_deref().unwrap_or_default();
    if !groups.contains_key(rule_id) {
        groups.insert(rule_id.to_string(), BTreeMap::new());
    }
    let by_file = groups.get_mut(rule_id).expect("invariant: inserted above");
    if !by_file.contains_key(file) {
        by_file.insert(
            file.to_string(),
            Group {
                rule_id: rule_id.to_string(),
                severity,
                count: 0,
                file: Some(file.to_string()),
                images: Vec::new(),
            },
        );
    }
    let group = by_file.get_mut(file).expect("invariant: inserted above");
    group.severity = group.severity.max(severity);
    group
}

/// A URI's path as a person reads it (`%20` as a space).
fn decoded(uri: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(uri).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_21_past_the_limit_findings_are_summarised_per_rule_and_file_then_per_rule() {
        let sample = crate::output::json::tests::samples().remove(0);
        let at = |file: usize| {
            let mut f = sample.clone();
            f.location.uri = format!("in-{file}.json").into();
            f.location.field_uri = None;
            f
        };
        let mut summary = Summary::new(SUMMARY_ROOM, None);
        summary.hold(&[at(0), at(0), at(1)]);
        assert_eq!(summary.written, 0, "no room to list");
        let groups = summary.groups();
        assert_eq!(groups.len(), 2, "one per rule and file");
        assert_eq!(groups[0].count, 2);
        // Past SUMMARY_GROUPS files: one summary per rule, its first images.
        let many: Vec<Finding> = (0..150).map(at).collect();
        summary.add(&many);
        let groups = summary.groups();
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].count, 153);
        assert_eq!(groups[0].images.len(), SUMMARY_IMAGES);
        assert!(groups[0].file.is_none());
        let result = serde_json::to_value(groups[0].result(Some(0))).expect("serialises");
        assert_eq!(result["properties"]["count"], 153);
        assert_eq!(
            result["relatedLocations"].as_array().map(Vec::len),
            Some(100)
        );
    }
}
