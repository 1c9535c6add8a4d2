//! One report read as a stream: the items of its list handed on one at a
//! time, every other member kept.

use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Map;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::InputError;

/// The members of a report other than its streamed list: the top level's,
/// and for SARIF each run's.
#[derive(Default)]
pub(super) struct Members {
    pub(super) top: Map<String, Value>,
    pub(super) children: Vec<Map<String, Value>>,
}

/// Receives each item of the list exactly as written.
type Each<'a> = dyn FnMut(Box<RawValue>) -> Result<(), String> + 'a;

/// Reads the report at `path`, passing each element of the list at `path`
/// (`["findings"]`, or `["runs", "results"]`: each run's results) to `each`
/// one at a time, and returns every other member. An error `each` returns
/// stops the read, with the file's line and column.
pub(super) fn stream(
    path: &Path,
    items: &[&str],
    each: &mut Each<'_>,
) -> Result<Members, InputError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| InputError::Io {
        path: shown.clone(),
        source,
    })?;
    let mut de =
        serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, file));
    let mut members = Members::default();
    Object {
        items,
        each,
        members: &mut members,
        depth: 0,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| InputError::json(&shown, &e))?;
    Ok(members)
}

/// An object whose member `items[0]` is streamed (see `stream`).
struct Object<'a, 'b> {
    items: &'a [&'a str],
    each: &'a mut Each<'b>,
    members: &'a mut Members,
    /// 0 at the top level, 1 inside a SARIF run.
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Object<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Object<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut mine = Map::new();
        let mut keys = crate::report::Keys::default();
        while let Some(key) = map.next_key::<String>()? {
            keys.first(&key)?;
            if key == self.items[0] {
                map.next_value_seed(List {
                    items: &self.items[1..],
                    each: &mut *self.each,
                    members: &mut *self.members,
                })?;
            } else {
                mine.insert(key, map.next_value()?);
            }
        }
        if self.depth == 0 {
            self.members.top = mine;
        } else {
            self.members.children.push(mine);
        }
        Ok(())
    }
}

/// The streamed list: its elements go to `each`, or, when `items` goes on,
/// are objects whose member `items[0]` is streamed in turn.
struct List<'a, 'b> {
    items: &'a [&'a str],
    each: &'a mut Each<'b>,
    members: &'a mut Members,
}

impl<'de> DeserializeSeed<'de> for List<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for List<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.items.is_empty() {
            while let Some(item) = seq.next_element::<Box<RawValue>>()? {
                (self.each)(item).map_err(de::Error::custom)?;
            }
        } else {
            while seq
                .next_element_seed(Object {
                    items: self.items,
                    each: &mut *self.each,
                    members: &mut *self.members,
                    depth: 1,
                })?
                .is_some()
            {}
        }
        Ok(())
    }
}
