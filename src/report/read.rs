//! The one reader of amilint's own reports, shared by `fix`, `merge` and
//! `--baseline`: a JSON report (`output::v1`, schema version 1) or a SARIF
//! log of amilint's, read as a stream. Each finding (or result) goes to the
//! caller as it is parsed, with its fingerprint; every other member is kept
//! and returned. Anything that is not such a report is refused with
//! file:line:column rather than read as "no findings": a finding or result
//! without amilint's fingerprint, a key named twice in one object, a
//! schema version this amilint does not read, a SARIF run of another tool.

use std::fmt;
use std::io;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::InputError;
use crate::finding::identity;
use crate::output::v1;
use crate::report::Keys;

/// Which kind of report it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Json,
    Sarif,
}

/// One finding of the report.
pub enum Item<'a> {
    /// A JSON report's finding, read whole as v1 defines it.
    Finding(Box<v1::Finding<'a>>),
    /// A SARIF result, as written.
    Result(SarifResult),
}

/// A SARIF result as written, checked to have no key twice.
pub struct SarifResult {
    raw: Box<RawValue>,
    /// The number of findings it summarises (`--sarif-max-results`), when
    /// it is a summary: their fingerprints are not in the log.
    pub summarised: Option<u64>,
    /// Its `ruleId` and `ruleIndex`.
    pub rule_id: Option<String>,
    pub rule_index: Option<i64>,
}

impl SarifResult {
    /// The result's JSON text.
    pub fn text(&self) -> &str {
        self.raw.get()
    }

    /// The result as serde-sarif's typed model.
    pub fn typed(&self) -> Result<serde_sarif::sarif::Result, String> {
        serde_json::from_str(self.raw.get()).map_err(|e| e.to_string())
    }
}

/// What the report holds besides its findings.
#[derive(Debug)]
pub struct Members {
    pub kind: Kind,
    /// The top level's other members (for SARIF, `$schema` and `version`).
    pub top: Map<String, Value>,
    /// Each SARIF run's members but its results (empty for a JSON report).
    pub runs: Vec<Map<String, Value>>,
}

/// Receives each finding with its fingerprint (`identity::parse`); an error
/// it returns stops the read, with the line and column reached.
pub type Each<'e> = dyn for<'x> FnMut(u128, Item<'x>) -> Result<(), String> + 'e;

/// Reads the report at `path` (see `read`).
pub fn read_file(path: &Path, each: &mut Each<'_>) -> Result<Members, InputError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| InputError::Io {
        path: shown.clone(),
        source,
    })?;
    read(file, &shown, each)
}

/// Reads a report from `input` (named `shown` in errors), handing each
/// finding or result to `each` in order, duplicates included.
pub fn read(input: impl io::Read, shown: &str, each: &mut Each<'_>) -> Result<Members, InputError> {
    let mut de =
        serde_json::Deserializer::from_reader(io::BufReader::with_capacity(1 << 16, input));
    let (top, lists) = Top { each }
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top))
        .map_err(|e| InputError::json(shown, &e))?;
    let whole = |message: String| InputError::Syntax {
        path: shown.to_string(),
        line: 1,
        column: 1,
        message,
    };
    match lists {
        Lists::Findings => match top.get("schema_version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(v1::SCHEMA_VERSION) => Ok(Members {
                kind: Kind::Json,
                top,
                runs: Vec::new(),
            }),
            other => Err(whole(format!(
                "an amilint JSON report of schema version {} (this amilint reads version {})",
                other.map_or("none".to_string(), |v| v.to_string()),
                v1::SCHEMA_VERSION
            ))),
        },
        Lists::Runs(runs) => Ok(Members {
            kind: Kind::Sarif,
            top,
            runs,
        }),
        Lists::None => Err(whole(
            "not an amilint JSON report or SARIF log (no `findings` or `runs`)".to_string(),
        )),
    }
}

/// Which list the top level held.
enum Lists {
    None,
    Findings,
    Runs(Vec<Map<String, Value>>),
}

/// The top-level object.
struct Top<'a, 'e> {
    each: &'a mut Each<'e>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = (Map<String, Value>, Lists);
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = (Map<String, Value>, Lists);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an amilint JSON report or SARIF log (an object)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut top, mut lists) = (Map::new(), Lists::None);
        let mut keys = Keys::default();
        while let Some(key) = map.next_key::<String>()? {
            keys.first(&key)?;
            match (key.as_str(), &lists) {
                ("findings", Lists::None) => {
                    map.next_value_seed(Findings {
                        each: &mut *self.each,
                    })?;
                    lists = Lists::Findings;
                }
                ("runs", Lists::None) => {
                    lists = Lists::Runs(map.next_value_seed(Runs {
                        each: &mut *self.each,
                    })?);
                }
                ("findings" | "runs", _) => {
                    return Err(de::Error::custom(
                        "both `findings` and `runs`: a report is a JSON report or a SARIF log",
                    ));
                }
                _ => {
                    top.insert(key, map.next_value()?);
                }
            }
        }
        Ok((top, lists))
    }
}

/// A JSON report's findings.
struct Findings<'a, 'e> {
    each: &'a mut Each<'e>,
}

impl<'de> DeserializeSeed<'de> for Findings<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Findings<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of findings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        // Each finding whole, as v1 defines it: anything else is an error.
        while let Some(finding) = seq.next_element::<v1::Finding>()? {
            index += 1;
            let print = fingerprint_of(Some(&finding.fingerprint), index, "finding")
                .map_err(de::Error::custom)?;
            (self.each)(print, Item::Finding(Box::new(finding))).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// A SARIF log's runs: each run's members but its results.
struct Runs<'a, 'e> {
    each: &'a mut Each<'e>,
}

impl<'de> DeserializeSeed<'de> for Runs<'_, '_> {
    type Value = Vec<Map<String, Value>>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Runs<'_, '_> {
    type Value = Vec<Map<String, Value>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of SARIF runs")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut runs = Vec::new();
        while let Some(run) = seq.next_element_seed(Run {
            each: &mut *self.each,
        })? {
            runs.push(run);
        }
        Ok(runs)
    }
}

/// One SARIF run: its results go to `each` as they are read; it must turn
/// out to be amilint's (a run names its tool anywhere among its members).
struct Run<'a, 'e> {
    each: &'a mut Each<'e>,
}

impl<'de> DeserializeSeed<'de> for Run<'_, '_> {
    type Value = Map<String, Value>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Run<'_, '_> {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a SARIF run")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut run = Map::new();
        let mut keys = Keys::default();
        while let Some(key) = map.next_key::<String>()? {
            keys.first(&key)?;
            if key == "results" {
                map.next_value_seed(Results {
                    each: &mut *self.each,
                })?;
            } else {
                run.insert(key, map.next_value()?);
            }
        }
        let Some(tool) = run.get("tool") else {
            return Err(de::Error::custom("a SARIF run without `tool`"));
        };
        match tool.pointer("/driver/name").and_then(Value::as_str) {
            Some("amilint") => Ok(run),
            Some(other) => Err(de::Error::custom(format!(
                "a SARIF run of `{other}`, not of amilint: its results have no amilint fingerprints"
            ))),
            None => Err(de::Error::custom(
                "a SARIF run whose tool has no `driver.name`",
            )),
        }
    }
}

/// A run's results.
struct Results<'a, 'e> {
    each: &'a mut Each<'e>,
}

impl<'de> DeserializeSeed<'de> for Results<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Results<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of SARIF results")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            index += 1;
            let (print, result) = sarif_result(raw, index).map_err(de::Error::custom)?;
            (self.each)(print, Item::Result(result)).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// The parts of a SARIF result the reader looks at.
#[derive(serde::Deserialize)]
struct Looked {
    #[serde(rename = "partialFingerprints")]
    prints: Option<Prints>,
    properties: Option<Properties>,
    #[serde(rename = "ruleId")]
    rule_id: Option<String>,
    #[serde(rename = "ruleIndex")]
    rule_index: Option<i64>,
}

#[derive(serde::Deserialize)]
struct Prints {
    #[serde(rename = "amilint/v2")]
    current: Option<String>,
    #[serde(rename = "amilint/v1")]
    legacy: Option<String>,
}

#[derive(serde::Deserialize)]
struct Properties {
    #[serde(default)]
    summarised: bool,
    #[serde(default)]
    count: u64,
}

/// Result `index` of its run: its fingerprint, checked.
fn sarif_result(raw: Box<RawValue>, index: usize) -> Result<(u128, SarifResult), String> {
    crate::report::no_repeated_keys(raw.get()).map_err(|e| format!("result {index}: {e}"))?;
    let looked: Looked =
        serde_json::from_str(raw.get()).map_err(|e| format!("result {index}: {e}"))?;
    let print = looked
        .prints
        .as_ref()
        .and_then(|p| p.current.as_deref().or(p.legacy.as_deref()));
    let print = fingerprint_of(print, index, "result")?;
    let summarised = looked.properties.filter(|p| p.summarised).map(|p| p.count);
    Ok((
        print,
        SarifResult {
            raw,
            summarised,
            rule_id: looked.rule_id,
            rule_index: looked.rule_index,
        },
    ))
}

fn fingerprint_of(print: Option<&str>, index: usize, what: &str) -> Result<u128, String> {
    match print {
        Some(text) => identity::parse(text).ok_or_else(|| {
            format!("{what} {index}: `{text}` is not an amilint fingerprint (32 hex digits; 16 in reports of amilint 0.1)")
        }),
        None => Err(format!(
            "{what} {index} has no amilint fingerprint: not an amilint report"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prints(text: &str) -> Result<(Kind, Vec<u128>), String> {
        let mut prints = Vec::new();
        let members = read(text.as_bytes(), "r.json", &mut |p, _| {
            prints.push(p);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok((members.kind, prints))
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
        assert_eq!(prints(&ok), Ok((Kind::Json, vec![legacy(255)])));
        let v2 = format!(
            r#"{{"schema_version": 1, "findings": [{}]}}"#,
            finding("000000000000000000000000000000ff")
        );
        assert_eq!(prints(&v2), Ok((Kind::Json, vec![255])));
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
            (
                r#"{"findings": [], "runs": []}"#.to_string(),
                "both `findings` and `runs`",
            ),
            (
                r#"{"runs": [{"tool": {"driver": {"name": "amilint"}}, "results": [{"partialFingerprints": {"amilint/v2": "00000000000000000000000000000002", "amilint/v2": "00000000000000000000000000000003"}}]}]}"#.to_string(),
                "appears twice",
            ),
        ];
        for (bad, want) in bad_findings.iter().chain(&others) {
            let err = prints(bad).expect_err(bad);
            assert!(err.contains(want), "{bad}: {err}");
            assert!(err.starts_with("r.json:1:"), "{err}");
        }
        let sarif = r#"{"version": "2.1.0", "runs": [{"results": [{"partialFingerprints": {"amilint/v1": "0000000000000001"}}], "tool": {"driver": {"name": "amilint"}}}]}"#;
        assert_eq!(prints(sarif), Ok((Kind::Sarif, vec![legacy(1)])));
        let both = r#"{"version": "2.1.0", "runs": [{"results": [{"partialFingerprints": {"amilint/v2": "00000000000000000000000000000002", "primaryLocationLineHash": "0000000000000000:1"}}], "tool": {"driver": {"name": "amilint"}}}]}"#;
        assert_eq!(prints(both), Ok((Kind::Sarif, vec![2])));
    }

    /// Reports far past the reader's 64 KiB buffer read the same whole and
    /// through a pipe that hands out a few bytes a read, JSON and SARIF.
    #[test]
    fn reports_past_the_buffer_read_the_same_through_short_reads() {
        let prints: Vec<String> = (1..=3000u32).map(|n| format!("{n:032x}")).collect();
        let json = format!(
            r#"{{"schema_version": 1, "findings": [{}], "errors": []}}"#,
            prints
                .iter()
                .map(|p| finding(p))
                .collect::<Vec<_>>()
                .join(",\n")
        );
        let results: Vec<String> = prints
            .iter()
            .map(|p| format!(r#"{{"ruleId":"AMI001","partialFingerprints":{{"amilint/v2":"{p}"}},"message":{{"text":"m"}}}}"#))
            .collect();
        let sarif = format!(
            r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{"name": "amilint"}}}}, "results": [{}]}}]}}"#,
            results.join(",")
        );
        for (text, kind) in [(json, Kind::Json), (sarif, Kind::Sarif)] {
            assert!(text.len() > 4 << 16, "{}", text.len());
            let whole = prints_of(text.as_bytes());
            for max in [1, 7, 4096] {
                let slow = prints_of(crate::input::ShortReads::new(text.as_bytes(), max));
                assert_eq!(slow, whole, "{kind:?}, {max} bytes a read");
            }
            let (read_kind, found) = whole.expect("reads");
            assert_eq!(read_kind, kind);
            assert_eq!(found.len(), 3000);
        }
    }

    fn prints_of(input: impl std::io::Read) -> Result<(Kind, Vec<u128>), String> {
        let mut prints = Vec::new();
        let members = read(input, "r", &mut |p, _| {
            prints.push(p);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok((members.kind, prints))
    }
}
