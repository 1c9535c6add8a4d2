//! Scanning one JSON value's extent: strings, and objects and arrays (the hot path).

use std::io::Read;

use super::{ESCAPED_KEY, Scanner, describe};
use crate::error::InputError;

impl<R: Read> Scanner<R> {
    /// Scans one string, the scanner being on its opening quote.
    pub(super) fn scan_string(&mut self) -> Result<(), InputError> {
        self.bump();
        loop {
            match self.peek()? {
                None => return Err(self.error("unexpected end of input inside a string")),
                Some(b'"') => {
                    self.bump();
                    return Ok(());
                }
                Some(b'\\') => {
                    self.bump();
                    if self.peek()?.is_none() {
                        return Err(self.error("unexpected end of input inside a string"));
                    }
                    self.bump();
                }
                Some(_) => self.bump(),
            }
        }
    }

    /// Scans one JSON value's extent. Brackets are matched here; everything
    /// else is validated by serde_json on the scanned slice.
    pub(super) fn scan_value(&mut self) -> Result<(), InputError> {
        if matches!(self.peek()?, Some(b'{' | b'[')) {
            return self.scan_container();
        }
        let mut open: Vec<u8> = Vec::new();
        loop {
            let Some(b) = self.peek()? else {
                return Err(match open.last() {
                    Some(_) => self.error("unexpected end of input inside a value"),
                    None => self.error("unexpected end of input, expected a value"),
                });
            };
            match b {
                b'"' => self.scan_string()?,
                b'{' | b'[' => {
                    open.push(if b == b'{' { b'}' } else { b']' });
                    self.bump();
                }
                b'}' | b']' => {
                    if open.pop() != Some(b) {
                        return Err(self.error(format!("unexpected {}", describe(b))));
                    }
                    self.bump();
                }
                _ => {
                    if open.is_empty() && is_delimiter(b) {
                        return Err(self.unexpected(Some(b), "a value"));
                    }
                    // Scalars and punctuation: run to the next delimiter.
                    self.bump();
                    if open.is_empty() {
                        while let Some(c) = self.peek()? {
                            if is_delimiter(c) {
                                break;
                            }
                            self.bump();
                        }
                    }
                }
            }
            if open.is_empty() {
                return Ok(());
            }
        }
    }
}

impl<R: Read> Scanner<R> {
    /// `scan_value` for an object or array, the hot path (every image): it
    /// works on the buffer a chunk at a time, jumps over strings with
    /// `memchr`, and counts lines only for the bytes it passes.
    fn scan_container(&mut self) -> Result<(), InputError> {
        let mut open: Vec<u8> = Vec::new();
        let origin = self.dropped + self.pos as u64;
        // A string right after the object's `{` or a `,` in it is a key.
        let mut expect_key = false;
        // Where to go on in a string cut by the end of the buffer.
        let mut pending: Option<(usize, bool)> = None;
        self.keys.clear();
        loop {
            let mut i = self.pos;
            let mut in_string = false;
            while i < self.end {
                match self.buf[i] {
                    b'"' => match string_end(
                        &self.buf[i + 1..self.end],
                        pending.take().unwrap_or((0, false)),
                    ) {
                        Ok((len, escaped)) => {
                            if expect_key && open.len() == 1 {
                                let offset = self.dropped + i as u64 - origin;
                                if offset < u64::from(ESCAPED_KEY) {
                                    let flag = if escaped { ESCAPED_KEY } else { 0 };
                                    self.keys.push(offset as u32 | flag);
                                }
                                expect_key = false;
                            }
                            i += len + 2;
                        }
                        Err(resume) => {
                            // The string goes on past the buffer: read more
                            // and go on from where this search stopped (not
                            // from the quote: a long string read in small
                            // pieces would be searched again and again).
                            pending = Some(resume);
                            in_string = true;
                            break;
                        }
                    },
                    b @ (b'{' | b'[') => {
                        open.push(if b == b'{' { b'}' } else { b']' });
                        expect_key = open == [b'}'];
                        i += 1;
                    }
                    b',' => {
                        expect_key = open == [b'}'];
                        i += 1;
                    }
                    b' ' => {
                        // Indentation, eight spaces at a time (only in
                        // what was read: bytes past `end` are stale).
                        i += 1;
                        while self.buf[..self.end].get(i..i + 8) == Some(b"        ") {
                            i += 8;
                        }
                    }
                    b @ (b'}' | b']') => {
                        if open.pop() != Some(b) {
                            self.advance(i);
                            return Err(self.error(format!("unexpected {}", describe(b))));
                        }
                        i += 1;
                        if open.is_empty() {
                            self.advance(i);
                            return Ok(());
                        }
                    }
                    _ => i += 1,
                }
            }
            self.advance(i);
            if !self.read_more()? {
                let end = self.end;
                self.advance(end);
                return Err(self.error(if in_string {
                    "unexpected end of input inside a string"
                } else {
                    "unexpected end of input inside a value"
                }));
            }
        }
    }
}

/// The length of a JSON string's contents, and whether it has an escape:
/// `text` starts after the opening quote, and the search starts at `from`
/// (0, or where an earlier search of the same string stopped, with whether it
/// had passed an escape). When the closing quote is not in `text`: where to
/// go on once more of the string is read.
fn string_end(
    text: &[u8],
    (from, mut escaped): (usize, bool),
) -> Result<(usize, bool), (usize, bool)> {
    let mut i = from;
    loop {
        let Some(k) = text.get(i..).and_then(|t| memchr::memchr2(b'"', b'\\', t)) else {
            // Searched to the end (or the escaped byte is still to come).
            return Err((i.max(text.len()), escaped));
        };
        let j = i + k;
        if text[j] == b'"' {
            return Ok((j, escaped));
        }
        // A backslash escapes the next byte, whatever it is.
        escaped = true;
        i = j + 2;
    }
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'{' | b'['
    )
}
