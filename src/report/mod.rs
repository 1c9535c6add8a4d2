//! amilint's own reports read back (the JSON report's one definition is
//! `crate::output::v1`), all through one streaming reader (`read`):
//! `baseline` (the fingerprints of a previous report), `merge` (several
//! reports into one), `fixes` (a report's fixes, for `amilint fix`) and
//! `asff` (for `amilint securityhub import`).

pub mod asff;
pub mod baseline;
pub mod fixes;
pub mod merge;
pub mod read;

/// The keys an object of a report read back has had so far: a key given
/// twice is an error, with the reader's line and column. Parsers disagree on
/// which of the two counts (jq, Python and `serde_json::Value` keep the last;
/// a streaming reader acts on both), so a report that repeats a key could
/// show a person one thing and `fix`, `merge` or `--baseline` another.
#[derive(Default)]
pub struct Keys(std::collections::HashSet<String>);

impl Keys {
    /// `key`, the first time; an error the second.
    pub fn first<E: serde::de::Error>(&mut self, key: &str) -> Result<(), E> {
        if self.0.insert(key.to_string()) {
            Ok(())
        } else {
            Err(E::custom(format_args!(
                "the key `{key}` appears twice in one object: a report names each key once"
            )))
        }
    }
}

/// Checks a JSON text for an object that names a key twice, at any depth
/// (`Keys`): for the parts of a report read as untyped values (an action's
/// input, a SARIF result) that a typed struct does not check.
pub fn no_repeated_keys(text: &str) -> Result<(), serde_json::Error> {
    use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
    struct Walk;
    impl<'de> serde::de::DeserializeSeed<'de> for Walk {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Walk {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Walk)?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut keys = Keys::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                keys.first(&key)?;
                map.next_value_seed(Walk)?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde::de::DeserializeSeed::deserialize(Walk, &mut de)?;
    de.end()
}
