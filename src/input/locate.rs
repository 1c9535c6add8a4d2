//! From a JSON pointer to the input line of the field it names: findings
//! point at the offending field, not only at the image.

use super::scanner::ESCAPED_KEY;
use crate::model::Image;

/// An image read from an input, with where its JSON object starts.
#[derive(Debug, Clone)]
pub struct LocatedImage<'a> {
    pub image: Image,
    /// The image's JSON object exactly as it appears in the input.
    pub raw: &'a [u8],
    pub line: u64,
    pub column: u64,
    /// The offsets of its top-level keys, when the reader recorded them.
    pub keys: Option<&'a [u32]>,
}

impl LocatedImage<'_> {
    /// The input line of the field `pointer` names, if the image has it.
    pub fn line_of(&self, pointer: &crate::model::Pointer) -> Option<u64> {
        FieldLines::new(self.raw, self.line, self.keys).of(pointer)
    }
}

/// The input line of the field `pointer` names in `raw` (an image object that
/// starts on `line`), if the image has that field.
pub fn field_line(raw: &[u8], line: u64, pointer: &crate::model::Pointer) -> Option<u64> {
    FieldLines::new(raw, line, None).of(pointer)
}

/// Finds the lines of an image's fields. With the offsets of its top-level
/// keys (the reader records them for images of an `Images` array) a field is
/// found without walking the image; otherwise one walk indexes its members,
/// made only when a field is asked for.
pub struct FieldLines<'a> {
    raw: &'a [u8],
    line: u64,
    keys: Option<&'a [u32]>,
    members: std::cell::OnceCell<Members<'a>>,
}

impl<'a> FieldLines<'a> {
    /// `raw` is an image object that starts on `line`; `keys`, the offsets
    /// of its top-level keys if the reader found them.
    pub fn new(raw: &'a [u8], line: u64, keys: Option<&'a [u32]>) -> Self {
        FieldLines {
            raw,
            line,
            keys,
            members: std::cell::OnceCell::new(),
        }
    }

    /// The input line of the field `pointer` names, if the image has it.
    pub fn of(&self, pointer: &crate::model::Pointer) -> Option<u64> {
        let tokens = pointer.tokens();
        let offset = match self.keys {
            Some(keys) => line_at_keys(self.raw, keys, &tokens),
            None => self
                .members
                .get_or_init(|| Members::new(self.raw))
                .line_of(&tokens),
        };
        offset.map(|offset| self.line + offset)
    }
}

/// The 0-based line offset, from the start of `json`, of the value `tokens`
/// point at (the line of its key for object members); `None` if absent.
/// `json` has already been validated by serde_json.
pub fn pointer_line(json: &[u8], tokens: &[String]) -> Option<u64> {
    Members::new(json).line_of(tokens)
}

/// The top-level members of one JSON object, found in one walk, so that
/// locating several fields of an image costs one walk, not one per field.
pub struct Members<'a> {
    json: &'a [u8],
    /// Raw key (between the quotes), offset of the key, offset of its value.
    members: Vec<(&'a [u8], usize, usize)>,
}

impl<'a> Members<'a> {
    pub fn new(json: &'a [u8]) -> Self {
        let mut members = Vec::new();
        let mut walker = Walker { json, pos: 0 };
        if walker.skip_ws() == Some(b'{') {
            walker.pos += 1;
            while walker.skip_ws() == Some(b'"') {
                let key_at = walker.pos;
                let key = walker.string();
                walker.skip_ws();
                walker.pos += 1; // ':'
                walker.skip_ws();
                members.push((key, key_at, walker.pos));
                walker.skip_value();
                if walker.skip_ws() != Some(b',') {
                    break;
                }
                walker.pos += 1;
            }
        }
        Members { json, members }
    }

    /// The 0-based line offset of the value `tokens` point at (see `pointer_line`).
    pub fn line_of(&self, tokens: &[String]) -> Option<u64> {
        let at = match tokens.split_first() {
            None => 0,
            Some((first, rest)) => {
                let &(_, key_at, value_at) =
                    self.members.iter().find(|(key, ..)| key_is(key, first))?;
                if rest.is_empty() {
                    key_at
                } else {
                    Walker {
                        json: self.json,
                        pos: value_at,
                    }
                    .find(rest)?
                }
            }
        };
        Some(memchr::memchr_iter(b'\n', &self.json[..at]).count() as u64)
    }
}

/// `pointer_line` for an object whose top-level keys start at `keys` (offsets
/// of their opening quotes, flagged `ESCAPED_KEY` when they hold an escape):
/// the first token is looked up among them, and only a deeper pointer walks,
/// inside that member's value.
pub fn line_at_keys(json: &[u8], keys: &[u32], tokens: &[String]) -> Option<u64> {
    let at = match tokens.split_first() {
        None => 0,
        Some((first, rest)) => {
            let key_at = keys.iter().find_map(|&k| {
                let at = (k & !ESCAPED_KEY) as usize;
                let matches = if k & ESCAPED_KEY == 0 {
                    let raw = json.get(at + 1..).unwrap_or_default();
                    raw.starts_with(first.as_bytes()) && raw.get(first.len()) == Some(&b'"')
                } else {
                    key_is(Walker { json, pos: at }.string(), first)
                };
                matches.then_some(at)
            })?;
            if rest.is_empty() {
                key_at
            } else {
                let mut walker = Walker { json, pos: key_at };
                walker.string();
                walker.skip_ws();
                walker.pos += 1; // ':'
                walker.find(rest)?
            }
        }
    };
    Some(memchr::memchr_iter(b'\n', &json[..at]).count() as u64)
}

/// Whether a raw (still escaped) JSON key is `token`.
fn key_is(raw: &[u8], token: &str) -> bool {
    if raw.contains(&b'\\') {
        let quoted = [b"\"", raw, b"\""].concat();
        serde_json::from_slice::<String>(&quoted).ok().as_deref() == Some(token)
    } else {
        raw == token.as_bytes()
    }
}

/// Walks a JSON text by byte offset; lines are counted once, at the end.
struct Walker<'a> {
    json: &'a [u8],
    pos: usize,
}

impl<'a> Walker<'a> {
    fn skip_ws(&mut self) -> Option<u8> {
        loop {
            // Indentation, eight spaces at a time (one 64-bit compare).
            while self.json.get(self.pos..self.pos + 8) == Some(b"        ") {
                self.pos += 8;
            }
            let &b = self.json.get(self.pos)?;
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
    }

    /// Returns the raw string between the quotes and moves past it.
    fn string(&mut self) -> &'a [u8] {
        let start = self.pos + 1;
        let mut i = start;
        while let Some(j) = memchr::memchr2(b'"', b'\\', self.json.get(i..).unwrap_or_default()) {
            if self.json[i + j] == b'"' {
                self.pos = i + j + 1;
                return &self.json[start..i + j];
            }
            i += j + 2;
        }
        self.pos = self.json.len();
        &self.json[start.min(self.json.len())..]
    }

    /// Moves past one value (the walker is at its first byte, or before it).
    fn skip_value(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.skip_ws() {
            match b {
                b'"' => {
                    self.string();
                    if depth == 0 {
                        return;
                    }
                }
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return;
                    }
                }
                b',' | b':' if depth == 0 => return,
                _ => self.pos += 1,
            }
        }
    }

    /// The offset of the key (or element) `tokens` lead to.
    fn find(&mut self, tokens: &[String]) -> Option<usize> {
        let Some((token, rest)) = tokens.split_first() else {
            return Some(self.pos);
        };
        match self.skip_ws()? {
            b'{' => {
                self.pos += 1;
                loop {
                    if self.skip_ws()? != b'"' {
                        return None;
                    }
                    let key_at = self.pos;
                    let matches = key_is(self.string(), token);
                    self.skip_ws();
                    self.pos += 1; // ':'
                    if matches {
                        return if rest.is_empty() {
                            Some(key_at)
                        } else {
                            self.find(rest)
                        };
                    }
                    self.skip_value();
                    match self.skip_ws()? {
                        b',' => self.pos += 1,
                        _ => return None,
                    }
                }
            }
            b'[' => {
                let index: usize = token.parse().ok()?;
                self.pos += 1;
                for _ in 0..index {
                    if self.skip_ws()? == b']' {
                        return None;
                    }
                    self.skip_value();
                    if self.skip_ws()? != b',' {
                        return None;
                    }
                    self.pos += 1;
                }
                if self.skip_ws()? == b']' {
                    return None;
                }
                self.find(rest)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: &str, tokens: &[&str]) -> Option<u64> {
        let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        pointer_line(json.as_bytes(), &tokens)
    }

    #[test]
    fn finds_members_and_elements() {
        let json = "{\n  \"A\": {\"x\": [1, {\"y\": \"}\"}]},\n  \"Name\": \"n\",\n  \"BlockDeviceMappings\": [\n    {\"DeviceName\": \"/dev/a\"},\n    {\n      \"Ebs\": {\n        \"Encrypted\": false\n      }\n    }\n  ],\n  \"a/b\": 1\n}";
        assert_eq!(line(json, &[]), Some(0));
        assert_eq!(line(json, &["Name"]), Some(2));
        assert_eq!(
            line(json, &["BlockDeviceMappings", "1", "Ebs", "Encrypted"]),
            Some(7)
        );
        assert_eq!(line(json, &["BlockDeviceMappings", "1"]), Some(5));
        assert_eq!(line(json, &["a/b"]), Some(11));
        assert_eq!(line(json, &["ImdsSupport"]), None);
        assert_eq!(line(json, &["BlockDeviceMappings", "2"]), None);
        assert_eq!(line(json, &["Name", "x"]), None);
    }
}
