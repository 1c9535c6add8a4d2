//! A minimal JSON writer for the hot path of the JSON and SARIF outputs: one
//! finding (or result) per line, millions of times per large scan.
//!
//! It writes exactly what serde_json writes for the same values (compact,
//! same escapes); the typed structs stay the definition of the shape, and the
//! tests compare the two on every finding of the fixtures.

/// Appends `text` as a JSON string, escaped as serde_json escapes it.
pub(super) fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    body(out, text);
    out.push(b'"');
}

/// Appends `text` escaped, without the quotes.
fn body(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    // Without an early exit the check vectorises; most strings need no escape.
    let plain = bytes
        .iter()
        .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        out.extend_from_slice(bytes);
    } else {
        escape(out, bytes);
    }
}

fn escape(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..0x20 => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Writes one object's members in order: `{"a":1,"b":"x"}`. Keys are
/// literals that need no escaping.
pub(super) struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    /// Writes the object's members with `members`, between braces.
    pub(super) fn write(out: &'a mut Vec<u8>, members: impl FnOnce(&mut Object<'_>)) {
        out.push(b'{');
        let mut object = Object { out, first: true };
        members(&mut object);
        object.out.push(b'}');
    }

    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    pub(super) fn str(&mut self, key: &str, value: &str) {
        string(self.key(key), value);
    }

    /// One string made of `parts`, without building it first.
    pub(super) fn concat(&mut self, key: &str, parts: &[&str]) {
        let out = self.key(key);
        out.push(b'"');
        for part in parts {
            body(out, part);
        }
        out.push(b'"');
    }

    /// A string, or `null`.
    pub(super) fn opt_str(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(value) => self.str(key, value),
            None => self.key(key).extend_from_slice(b"null"),
        }
    }

    pub(super) fn num(&mut self, key: &str, value: u64) {
        let mut buf = itoa::Buffer::new();
        self.key(key)
            .extend_from_slice(buf.format(value).as_bytes());
    }

    /// A number, or `null`.
    pub(super) fn opt_num(&mut self, key: &str, value: Option<u64>) {
        match value {
            Some(value) => self.num(key, value),
            None => self.key(key).extend_from_slice(b"null"),
        }
    }

    pub(super) fn bool(&mut self, key: &str, value: bool) {
        self.key(key)
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    /// A boolean, or `null`.
    pub(super) fn opt_bool(&mut self, key: &str, value: Option<bool>) {
        match value {
            Some(value) => self.bool(key, value),
            None => self.key(key).extend_from_slice(b"null"),
        }
    }

    /// An array of strings.
    pub(super) fn strings(&mut self, key: &str, values: &[String]) {
        let out = self.key(key);
        out.push(b'[');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, v);
        }
        out.push(b']');
    }

    /// An array of strings each made of parts, without building them first.
    pub(super) fn concat_strings<'p>(
        &mut self,
        key: &str,
        values: impl Iterator<Item = [&'p str; 3]>,
    ) {
        let out = self.key(key);
        out.push(b'[');
        for (i, parts) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            for part in parts {
                body(out, part);
            }
            out.push(b'"');
        }
        out.push(b']');
    }

    /// An array of objects, one per item.
    pub(super) fn array<T>(
        &mut self,
        key: &str,
        items: &[T],
        members: impl Fn(&mut Object<'_>, &T),
    ) {
        let out = self.key(key);
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            Object::write(out, |o| members(o, item));
        }
        out.push(b']');
    }

    /// Any value, through serde_json (for small nested parts).
    pub(super) fn serialized(&mut self, key: &str, value: &impl serde::Serialize) {
        serde_json::to_writer(self.key(key), value)
            .expect("invariant: writing to a Vec cannot fail");
    }

    /// A nested object.
    pub(super) fn object(&mut self, key: &str, members: impl FnOnce(&mut Object<'_>)) {
        Object::write(self.key(key), members);
    }

    /// A nested object, or `null`.
    pub(super) fn opt_object<T>(
        &mut self,
        key: &str,
        value: Option<T>,
        members: impl FnOnce(&mut Object<'_>, T),
    ) {
        match value {
            Some(value) => self.object(key, |o| members(o, value)),
            None => self.key(key).extend_from_slice(b"null"),
        }
    }

    /// The place for a value the caller writes itself.
    pub(super) fn raw(&mut self, key: &str) -> &mut Vec<u8> {
        self.key(key)
    }

    /// A one-element array holding an object.
    pub(super) fn one_object_array(&mut self, key: &str, members: impl FnOnce(&mut Object<'_>)) {
        let out = self.key(key);
        out.push(b'[');
        Object::write(out, members);
        out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_like_serde_json() {
        for text in [
            "",
            "plain ami-0abc",
            "quote \" backslash \\ slash /",
            "new\nline\r\ttab \u{8}\u{c} \u{1} \u{1f} \u{7f}",
            "unicode é ☃ 🦀 \u{2028}",
        ] {
            let mut out = Vec::new();
            string(&mut out, text);
            let expected = serde_json::to_string(text).expect("serialises");
            assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
        }
    }

    #[test]
    fn objects_are_compact_json() {
        let mut out = Vec::new();
        Object::write(&mut out, |o| {
            o.str("a", "x");
            o.num("n", 42);
            o.opt_str("none", None);
            o.opt_num("m", Some(7));
            o.object("in", |o| o.str("k", "v"));
            o.opt_object("s", Some("j"), |o, j| o.str("j", j));
            o.one_object_array("arr", |o| o.num("i", 0));
            o.concat("c", &["a\"", "b"]);
            o.bool("t", true);
            o.strings("l", &["x".to_string(), "y\"".to_string()]);
        });
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"{"a":"x","n":42,"none":null,"m":7,"in":{"k":"v"},"s":{"j":"j"},"arr":[{"i":0}],"c":"a\"b","t":true,"l":["x","y\""]}"#
        );
    }
}
