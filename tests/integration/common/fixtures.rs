//! Rule fixtures built from one base image, `fixtures/rules/images/base-image.json`
//! (a whole DescribeImages image, every field one AWS returns) and, per rule,
//! `fixtures/rules/images/<CODE>.json`: a list of JSON merge patches (RFC
//! 7386) that give each image's id, name and the fields that matter (`null`
//! drops a field). Two fields follow the others unless a patch names them:
//! `ImageLocation` is `OwnerId/Name`, and the root volume's `SnapshotId` is
//! `snap-` and the image id's digits. The built exports are committed as
//! `fixtures/rules/<CODE>.json` (the snapshots point into them); a test keeps
//! them equal to what this builds.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A JSON value whose objects keep their members' order (serde_json's
/// `Value` sorts them here), so a built file reads as the base is written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Object(Vec<(String, Json)>),
    Array(Vec<Json>),
    Scalar(serde_json::Value),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Object(members) => members.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Json::Scalar(serde_json::Value::String(s))) => Some(s),
            _ => None,
        }
    }

    /// RFC 7386: `patch` merged into `self`. Members it names are replaced in
    /// place (objects merged), new ones added at the end, `null` removes.
    fn merge(&mut self, patch: Json) {
        let Json::Object(changes) = patch else {
            *self = patch;
            return;
        };
        if !matches!(self, Json::Object(_)) {
            *self = Json::Object(Vec::new());
        }
        let Json::Object(members) = self else {
            unreachable!("made an object above")
        };
        for (key, value) in changes {
            let at = members.iter().position(|(k, _)| *k == key);
            match (value, at) {
                (Json::Scalar(serde_json::Value::Null), Some(i)) => {
                    members.remove(i);
                }
                (Json::Scalar(serde_json::Value::Null), None) => {}
                (value, Some(i)) => members[i].1.merge(value),
                (value, None) => {
                    let mut new = Json::Scalar(serde_json::Value::Null);
                    new.merge(value);
                    members.push((key, new));
                }
            }
        }
    }
}

/// The rule fixture export built from the base image and `patches` (the
/// text of `fixtures/rules/images/<CODE>.json`).
pub(crate) fn build(base: &str, patches: &str) -> String {
    let base: Json = serde_json::from_str(base).expect("the base image is JSON");
    let patches: Vec<Json> = serde_json::from_str(patches).expect("a list of patches");
    let images = patches
        .into_iter()
        .map(|patch| {
            assert!(
                patch.get("ImageId").is_some(),
                "each fixture image names its ImageId: {patch:?}"
            );
            let names = |key: &str| patch.get(key).is_some();
            let (location, volume) = (names("ImageLocation"), names("BlockDeviceMappings"));
            let mut image = base.clone();
            image.merge(patch);
            if !location {
                let derived = match (image.str("OwnerId"), image.str("Name")) {
                    (Some(owner), Some(name)) => format!("{owner}/{name}").into(),
                    _ => serde_json::Value::Null,
                };
                image.merge(Json::Object(vec![(
                    "ImageLocation".to_string(),
                    Json::Scalar(derived),
                )]));
            }
            if !volume {
                let digits = image.str("ImageId").unwrap_or_default()["ami-".len()..].to_string();
                if let Some(Json::Array(mappings)) = image.get_mut("BlockDeviceMappings")
                    && let Some(ebs) = mappings.first_mut().and_then(|m| m.get_mut("Ebs"))
                {
                    ebs.merge(Json::Object(vec![(
                        "SnapshotId".to_string(),
                        Json::Scalar(format!("snap-{digits}").into()),
                    )]));
                }
            }
            image
        })
        .collect();
    let export = Json::Object(vec![("Images".to_string(), Json::Array(images))]);
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    export.serialize(&mut ser).expect("serialises");
    out.push(b'\n');
    String::from_utf8(out).expect("JSON is UTF-8")
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Scalar(value) => value.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Scalar(v.into()))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Scalar(serde_json::Value::Null))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry()? {
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}
