//! `--baseline`: the fingerprints of a previous amilint JSON report or SARIF
//! log, read as a stream: only the fingerprints are kept, each as a 64-bit
//! number (about 16 bytes a finding in the set, whatever the report's size).
//! Anything that is not an amilint report of a known schema version is
//! refused with file:line:column — a finding or result without amilint's
//! fingerprint included — rather than read as "no findings".

use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::InputError;
use crate::output::v1;

#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// Fingerprints as numbers (`parse_fingerprint`).
    pub fingerprints: HashSet<u128>,
    /// Whether any is of version 1 (amilint 0.1): findings are then also
    /// matched by their version 1 fingerprint.
    pub legacy: bool,
}

impl Baseline {
    /// Whether the report held the finding with this fingerprint.
    pub fn contains(&self, fingerprint: &str) -> bool {
        parse_fingerprint(fingerprint).is_some_and(|n| self.fingerprints.contains(&n))
    }
}

/// A fingerprint as amilint writes it, as a number (`identity::parse`:
/// version 2, or version 1 of older reports).
pub fn parse_fingerprint(text: &str) -> Option<u128> {
    crate::finding::identity::parse(text)
}

/// What kind of amilint report a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Json,
    Sarif,
}

/// Reads an amilint JSON report (`findings[].fingerprint`) or SARIF log
/// (`runs[].results[].partialFingerprints["amilint/v2"]`, or `"amilint/v1"`
/// of amilint 0.1).
/// A summarised SARIF log (`--sarif-max-results`) is refused: it does not
/// hold the fingerprints of the findings it summarises.
pub fn load(path: &Path) -> Result<Baseline, InputError> {
    let mut fingerprints = HashSet::new();
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| InputError::Io {
        path: shown.clone(),
        source,
    })?;
    read(file, &shown, true, &mut |print| {
        fingerprints.insert(print);
    })?;
    let legacy = fingerprints
        .iter()
        .any(|p| crate::finding::identity::is_legacy(*p));
    Ok(Baseline {
        fingerprints,
        legacy,
    })
}

/// Streams the fingerprints of the report at `path` into `each` (in order,
/// duplicates included), and says what kind of report it is.
pub fn read_fingerprints(path: &Path, each: impl FnMut(u128)) -> Result<ReportKind, InputError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| InputError::Io {
        path: shown.clone(),
        source,
    })?;
    read_fingerprints_from(file, &shown, each)
}

/// `read_fingerprints` from any reader, named `shown` in errors.
pub fn read_fingerprints_from(
    input: impl Read,
    shown: &str,
    mut each: impl FnMut(u128),
) -> Result<ReportKind, InputError> {
    read(input, shown, false, &mut each)
}

/// Reads the fingerprints; with `every`, a summarised SARIF result is an error.
fn read(
    input: impl Read,
    shown: &str,
    every: bool,
    each: &mut dyn FnMut(u128),
) -> Result<ReportKind, InputError> {
    let error = |line: usize, column: usize, message: String| InputError::Syntax {
        path: shown.to_string(),
        line: line as u64,
        column: column as u64,
        message,
    };
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, input));
    let top = Top { each, every }
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top))
        .map_err(|e| InputError::json(shown, &e))?;
    match top {
        Shape {
            findings: true,
            schema_version: Some(1),
            ..
        } => Ok(ReportKind::Json),
        Shape {
            findings: true,
            schema_version,
            ..
        } => Err(error(
            1,
            1,
            format!(
                "an amilint JSON report of schema version {} (this amilint reads version 1)",
                schema_version.map_or("none".to_string(), |v| v.to_string())
            ),
        )),
        Shape { runs: true, .. } => Ok(ReportKind::Sarif),
        _ => Err(error(
            1,
            1,
            "not an amilint JSON report or SARIF log (no `findings` or `runs`)".to_string(),
        )),
    }
}

/// What the top level held.
#[derive(Default)]
struct Shape {
    schema_version: Option<u64>,
    findings: bool,
    runs: bool,
}

struct Top<'a> {
    each: &'a mut dyn FnMut(u128),
    /// Refuse summarised SARIF results (a baseline needs every fingerprint).
    every: bool,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = Shape;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = Shape;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an amilint JSON report or SARIF log (an object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut shape = Shape::default();
        let mut keys = crate::report::Keys::default();
        while let Some(key) = map.next_key::<String>()? {
            keys.first(&key)?;
            match key.as_str() {
                "schema_version" => shape.schema_version = map.next_value()?,
                "findings" => {
                    map.next_value_seed(Each {
                        each: &mut *self.each,
                        item: Item::Finding,
                        every: self.every,
                    })?;
                    shape.findings = true;
                }
                "runs" => {
                    map.next_value_seed(Each {
                        each: &mut *self.each,
                        item: Item::Run,
                        every: self.every,
                    })?;
                    shape.runs = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(shape)
    }
}

#[derive(Clone, Copy)]
enum Item {
    /// A JSON report's finding.
    Finding,
    /// A SARIF run: its results, once its tool is known to be amilint.
    Run,
    /// A SARIF result.
    Result,
}

/// An array whose every element is read as `item`.
struct Each<'a> {
    each: &'a mut dyn FnMut(u128),
    item: Item,
    every: bool,
}

impl<'de> DeserializeSeed<'de> for Each<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Each<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            index += 1;
            let more = match self.item {
                // A JSON report's finding is read whole, as v1 defines it.
                Item::Finding => seq.next_element::<v1::Finding>()?.map(|f| {
                    fingerprint_of(Some(&f.fingerprint), index, "finding").map(|p| (self.each)(p))
                }),
                Item::Result => seq.next_element::<SarifResult>()?.map(|r| {
                    // A summary stands for findings it does not list: their
                    // fingerprints are not in the log.
                    if let Some(p) = r.properties.as_ref().filter(|p| p.summarised && self.every) {
                        return Err(format!(
                            "result {index} summarises {} findings (the scan's --sarif-max-results): a summarised SARIF log does not hold their fingerprints, so it cannot be a baseline; give the scan's JSON report (-o json=FILE), or a SARIF log written with --sarif-max-results 0",
                            p.count
                        ));
                    }
                    let print = r
                        .partial_fingerprints
                        .as_ref()
                        .and_then(|p| p.amilint.as_deref().or(p.legacy.as_deref()));
                    fingerprint_of(print, index, "result").map(|p| (self.each)(p))
                }),
                Item::Run => seq
                    .next_element_seed(Run {
                        each: &mut *self.each,
                        every: self.every,
                    })?
                    .map(Ok),
            };
            match more {
                None => return Ok(()),
                Some(Ok(())) => {}
                Some(Err(message)) => return Err(de::Error::custom(message)),
            }
        }
    }
}

fn fingerprint_of(print: Option<&str>, index: usize, what: &str) -> Result<u128, String> {
    match print {
        Some(text) => parse_fingerprint(text).ok_or_else(|| {
            format!("{what} {index}: `{text}` is not an amilint fingerprint (32 hex digits; 16 in reports of amilint 0.1)")
        }),
        None => Err(format!(
            "{what} {index} has no amilint fingerprint: not an amilint report"
        )),
    }
}

#[derive(Deserialize)]
struct SarifResult {
    #[serde(rename = "partialFingerprints")]
    partial_fingerprints: Option<PartialFingerprints>,
    properties: Option<ResultProperties>,
}

#[derive(Deserialize)]
struct ResultProperties {
    #[serde(default)]
    summarised: bool,
    #[serde(default)]
    count: u64,
}

#[derive(Deserialize)]
struct PartialFingerprints {
    #[serde(rename = "amilint/v2")]
    amilint: Option<String>,
    #[serde(rename = "amilint/v1")]
    legacy: Option<String>,
}

#[derive(Deserialize)]
struct Tool {
    driver: Driver,
}

#[derive(Deserialize)]
struct Driver {
    name: String,
}

/// One SARIF run: its results are kept aside until its tool is known.
struct Run<'a> {
    each: &'a mut dyn FnMut(u128),
    every: bool,
}

impl<'de> DeserializeSeed<'de> for Run<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Run<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF run")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut tool = None;
        let mut prints = Vec::new();
        let mut keys = crate::report::Keys::default();
        while let Some(key) = map.next_key::<String>()? {
            keys.first(&key)?;
            match key.as_str() {
                "tool" => tool = Some(map.next_value::<Tool>()?.driver.name),
                "results" => map.next_value_seed(Each {
                    each: &mut |p| prints.push(p),
                    item: Item::Result,
                    every: self.every,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match tool.as_deref() {
            Some("amilint") => {
                prints.into_iter().for_each(|p| (self.each)(p));
                Ok(())
            }
            Some(other) => Err(de::Error::custom(format!(
                "a SARIF run of `{other}`, not of amilint: its results have no amilint fingerprints"
            ))),
            None => Err(de::Error::custom("a SARIF run without `tool`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<(ReportKind, Vec<u128>), String> {
        let mut prints = Vec::new();
        read_fingerprints_from(text.as_bytes(), "r.json", |p| prints.push(p))
            .map(|k| (k, prints))
            .map_err(|e| e.to_string())
    }

    /// A whole v1 finding with this fingerprint.
    fn finding(print: &str) -> String {
        format!(
            r#"{{"rule_id":"AMI001","rule_name":"imdsv2-not-required","severity":"high","image_id":"ami-1","image_name":null,"account_id":null,"region":null,"image_arn":null,"message":"m","location":{{"uri":"a.json","line":1,"column":1,"pointer":"/ImdsSupport","field_line":null}},"fingerprint":"{print}","suppression":null,"baseline_state":null,"remediation":null}}"#
        )
    }

    #[test]
    fn issue_16_reports_are_read_whole_or_refused() {
        let ok = format!(
            r#"{{"schema_version": 1, "findings": [{}]}}"#,
            finding("00000000000000ff")
        );
        let legacy = |n: u128| n | (1 << 127);
        assert_eq!(read(&ok), Ok((ReportKind::Json, vec![legacy(255)])));
        let v2 = format!(
            r#"{{"schema_version": 1, "findings": [{}]}}"#,
            finding("000000000000000000000000000000ff")
        );
        assert_eq!(read(&v2), Ok((ReportKind::Json, vec![255])));
        let bad_findings = [
            (
                format!(
                    r#"{{"schema_version": 1, "findings": [{}, {{}}]}}"#,
                    finding("00000000000000ff")
                ),
                "missing field `rule_id`",
            ),
            (
                format!(
                    r#"{{"schema_version": 1, "findings": [{}]}}"#,
                    finding("00000000000000ff").replace("\"m\"", "\"m\",\"x\":[1]")
                ),
                "unknown field `x`",
            ),
            (
                format!(
                    r#"{{"schema_version": 1, "findings": [{}]}}"#,
                    finding("xyz")
                ),
                "not an amilint fingerprint",
            ),
        ];
        let others = [
            (
                r#"{"schema_version": 1, "findings": {}}"#.to_string(),
                "expected an array",
            ),
            (
                r#"{"schema_version": 2, "findings": []}"#.to_string(),
                "schema version 2",
            ),
            (
                r#"{"runs": [{"tool": {"driver": {"name": "CodeQL"}}, "results": [{"partialFingerprints": {"primaryLocationLineHash": "x"}}]}]}"#.to_string(),
                "result 1 has no amilint fingerprint",
            ),
            (
                r#"{"runs": [{"results": [], "tool": {"driver": {"name": "CodeQL"}}}]}"#.to_string(),
                "not of amilint",
            ),
            (r#"{"Images": []}"#.to_string(), "not an amilint JSON report"),
        ];
        for (bad, want) in bad_findings.iter().chain(&others) {
            let err = read(bad).expect_err(bad);
            assert!(err.contains(want), "{bad}: {err}");
            assert!(err.starts_with("r.json:1:"), "{err}");
        }
        let sarif = r#"{"version": "2.1.0", "runs": [{"results": [{"partialFingerprints": {"amilint/v1": "0000000000000001"}}], "tool": {"driver": {"name": "amilint"}}}]}"#;
        assert_eq!(read(sarif), Ok((ReportKind::Sarif, vec![legacy(1)])));
        let both = r#"{"version": "2.1.0", "runs": [{"results": [{"partialFingerprints": {"amilint/v2": "00000000000000000000000000000002", "primaryLocationLineHash": "0000000000000000:1"}}], "tool": {"driver": {"name": "amilint"}}}]}"#;
        assert_eq!(read(both), Ok((ReportKind::Sarif, vec![2])));
    }
}
