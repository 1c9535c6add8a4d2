//! The structural scanner: finds each image object of a describe-images
//! export in a byte stream, with its line, column and top-level keys, holding
//! only one value (plus the read buffer) at a time.

use std::io::{self, Read};

use serde::de::IgnoredAny;

use crate::error::InputError;

mod value;

/// How the reader reads: the size of each read and the largest JSON value
/// (an image, or a page's other members) it holds in memory. Tests and fuzz
/// targets shrink `chunk` so that every chunk boundary is crossed on small
/// inputs.
#[derive(Debug, Clone, Copy)]
pub struct ReadConfig {
    /// Bytes asked of the input per read (and the buffer's growth step).
    pub chunk: usize,
    /// The most bytes one image object (or one top-level document that is not
    /// a page) may span; more is an error, not unbounded memory.
    pub max_value: usize,
    /// Preflight: every top-level object (or object of a top-level array) is
    /// one request document, never a page of images.
    pub requests: bool,
    /// What the documents list: images (describe-images) or snapshots
    /// (describe-snapshots).
    pub items: Items,
}

/// What an export lists: the key of a page's array, the key every item has,
/// and the words for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Items {
    /// `Images`: the array of a page.
    pub array: &'static str,
    /// `ImageId`: the key that makes a top-level object one item.
    pub id: &'static str,
    pub noun: &'static str,
    /// `describe-images`: the AWS CLI command whose output this is.
    pub export: &'static str,
}

impl Items {
    pub const IMAGES: Items = Items {
        array: "Images",
        id: "ImageId",
        noun: "image",
        export: "describe-images",
    };
    /// describe-snapshots pages, and describe-snapshot-attribute answers
    /// (objects with a `SnapshotId`) as single items.
    pub const SNAPSHOTS: Items = Items {
        array: "Snapshots",
        id: "SnapshotId",
        noun: "snapshot",
        export: "describe-snapshots",
    };
}

/// The largest image object amilint reads: far beyond any image EC2 returns
/// (a few KB; an image shared with the 1,000 accounts a launch permission list
/// allows is ~60 KB).
pub const MAX_IMAGE_BYTES: usize = 32 << 20;

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig {
            chunk: 1 << 18,
            max_value: MAX_IMAGE_BYTES,
            requests: false,
            items: Items::IMAGES,
        }
    }
}

/// Where serde's error in a value that starts at `line`:`column` of a file
/// is in that file (serde counts from the value's start).
pub(crate) fn file_position(e: &serde_json::Error, line: u64, column: u64) -> (u64, u64) {
    let (rel_line, rel_col) = (e.line() as u64, e.column() as u64);
    if rel_line <= 1 {
        (line, column + rel_col.saturating_sub(1))
    } else {
        (line + rel_line - 1, rel_col)
    }
}

pub(crate) fn json_error(e: &serde_json::Error, line: u64, column: u64, path: &str) -> InputError {
    let (abs_line, abs_col) = file_position(e, line, column);
    let message = crate::error::json_message(e);
    InputError::Syntax {
        path: path.to_string(),
        line: abs_line,
        column: abs_col,
        message: format!("invalid JSON: {message}"),
    }
}

/// Receives each image object: its bytes, line, column, and (for images of an
/// `Images` array) the offsets of its top-level keys.
pub(crate) type Emit<'a> =
    dyn FnMut(&[u8], u64, u64, Option<&[u32]>) -> Result<(), InputError> + 'a;

/// A forward-only structural scanner over a byte stream.
///
/// It tracks line and column, keeps bytes from the earliest open mark so a
/// scanned value is contiguous in `buf`, and discards everything else.
pub(crate) struct Scanner<R> {
    reader: R,
    path: String,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// Start of a top-level object that may turn out to be a single image.
    doc_mark: Option<usize>,
    /// Start of the value being scanned.
    value_mark: Option<usize>,
    line: u64,
    column: u64,
    /// Bytes dropped from the front of `buf` so far.
    dropped: u64,
    /// The offsets of the top-level keys of the last object `scan_container`
    /// scanned, from its `{`.
    keys: Vec<u32>,
    config: ReadConfig,
}

/// Set in a recorded key offset when the key has a `\` escape (then it must
/// be decoded to be compared).
pub const ESCAPED_KEY: u32 = 1 << 31;

impl<R: Read> Scanner<R> {
    pub(crate) fn new(reader: R, path: String, config: ReadConfig) -> Self {
        let config = ReadConfig {
            chunk: config.chunk.max(1),
            ..config
        };
        Scanner {
            reader,
            path,
            buf: vec![0; config.chunk],
            pos: 0,
            end: 0,
            eof: false,
            doc_mark: None,
            value_mark: None,
            line: 1,
            column: 1,
            dropped: 0,
            keys: Vec::new(),
            config,
        }
    }

    fn error(&self, message: impl Into<String>) -> InputError {
        self.error_at(self.line, self.column, message)
    }

    fn error_at(&self, line: u64, column: u64, message: impl Into<String>) -> InputError {
        InputError::Syntax {
            path: self.path.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Makes at least one unread byte available; false at end of input.
    fn fill(&mut self) -> Result<bool, InputError> {
        if self.pos < self.end {
            return Ok(true);
        }
        self.read_more()
    }

    /// Reads more input after what is buffered (keeping everything from the
    /// earliest mark); false at end of input.
    fn read_more(&mut self) -> Result<bool, InputError> {
        if self.eof {
            return Ok(false);
        }
        let keep = [self.doc_mark, self.value_mark]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.pos);
        if keep > 0 {
            self.dropped += keep as u64;
            self.buf.copy_within(keep..self.end, 0);
            self.end -= keep;
            self.pos -= keep;
            self.doc_mark = self.doc_mark.map(|m| m - keep);
            self.value_mark = self.value_mark.map(|m| m - keep);
        }
        // What is left is kept for a value still open: bound it.
        if self.end > self.config.max_value {
            let Items { noun, export, .. } = self.config.items;
            return Err(self.error(format!(
                "a JSON value of more than {} ({} is a few KB): not a {export} export",
                size_text(self.config.max_value),
                article(noun)
            )));
        }
        let chunk = self.config.chunk;
        if self.buf.len() - self.end < chunk {
            self.buf.resize(self.end + chunk.max(self.buf.len()), 0);
        }
        loop {
            // At most one chunk per read: bytes past `end` are never looked at.
            let room = self.buf.len().min(self.end + chunk);
            match self.reader.read(&mut self.buf[self.end..room]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(InputError::Io {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
    }

    /// Moves to `to` (in `buf`), counting the lines and columns passed.
    fn advance(&mut self, to: usize) {
        let passed = &self.buf[self.pos..to];
        match memchr::memrchr(b'\n', passed) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', passed).count() as u64;
                self.column = (passed.len() - last) as u64;
            }
            None => self.column += passed.len() as u64,
        }
        self.pos = to;
    }

    fn peek(&mut self) -> Result<Option<u8>, InputError> {
        Ok(if self.fill()? {
            Some(self.buf[self.pos])
        } else {
            None
        })
    }

    fn bump(&mut self) {
        if self.buf[self.pos] == b'\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        self.pos += 1;
    }

    fn skip_ws(&mut self) -> Result<Option<u8>, InputError> {
        while let Some(b) = self.peek()? {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.bump();
            } else {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    fn unexpected(&self, found: Option<u8>, expected: &str) -> InputError {
        match found {
            None => self.error(format!("unexpected end of input, expected {expected}")),
            Some(b) => self.error(format!("expected {expected}, found {}", describe(b))),
        }
    }

    /// The stream, for a look past where the scan stopped.
    pub(crate) fn into_reader(self) -> R {
        self.reader
    }

    /// The whole stream: documents back to back, separated by whitespace.
    pub(crate) fn documents(&mut self, emit: &mut Emit<'_>) -> Result<(), InputError> {
        let mut documents = 0;
        loop {
            match self.skip_ws()? {
                None => break,
                Some(b'{') => self.object_document(emit)?,
                Some(b'[') => self.array_document(emit)?,
                found => {
                    let expected = format!("a {} document (`{{` or `[`)", self.config.items.export);
                    return Err(self.unexpected(found, &expected));
                }
            }
            documents += 1;
        }
        if documents == 0 {
            return Err(self.error(format!(
                "empty input: expected a {} document",
                self.config.items.export
            )));
        }
        Ok(())
    }

    /// A bare array: each element is an image or a page document.
    fn array_document(&mut self, emit: &mut Emit<'_>) -> Result<(), InputError> {
        self.bump();
        if self.skip_ws()? == Some(b']') {
            self.bump();
            return Ok(());
        }
        loop {
            match self.skip_ws()? {
                Some(b'{') => self.object_document(emit)?,
                found => {
                    let expected = format!("{} object", article(self.config.items.noun));
                    return Err(self.unexpected(found, &expected));
                }
            }
            match self.skip_ws()? {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return Ok(());
                }
                found => return Err(self.unexpected(found, "`,` or `]`")),
            }
        }
    }

    /// An object that is either a page (`Images` key) or one image.
    fn object_document(&mut self, emit: &mut Emit<'_>) -> Result<(), InputError> {
        let (line, column) = (self.line, self.column);
        self.doc_mark = Some(self.pos);
        self.bump();
        let mut keys: Vec<String> = Vec::new();
        let mut page = false;
        if self.skip_ws()? == Some(b'}') {
            self.bump();
        } else {
            loop {
                match self.skip_ws()? {
                    Some(b'"') => {}
                    found => return Err(self.unexpected(found, "an object key")),
                }
                let key = self.key()?;
                match self.skip_ws()? {
                    Some(b':') => self.bump(),
                    found => return Err(self.unexpected(found, "`:`")),
                }
                let value = self.skip_ws()?;
                let Items {
                    array, id, noun, ..
                } = self.config.items;
                if key == array && page {
                    // Reading only one of two arrays would drop items.
                    return Err(self.error(format!("duplicate `{array}` key in one page")));
                }
                if key == array && !self.config.requests && keys.iter().any(|k| k == id) {
                    return Err(self.both_page_and_image(line, column));
                }
                if key == array && !self.config.requests {
                    // A page: stop keeping the document, stream its items.
                    page = true;
                    self.doc_mark = None;
                    match value {
                        Some(b'[') => self.images_array(emit)?,
                        Some(b'n') => {
                            return Err(self.error(format!(
                                "`{array}` is null, expected an array of {noun}s"
                            )));
                        }
                        found => {
                            let expected = format!("an array of {noun}s after `{array}`");
                            return Err(self.unexpected(found, &expected));
                        }
                    }
                } else {
                    let (start, line, column) = self.capture(Self::scan_value)?;
                    serde_json::from_slice::<IgnoredAny>(&self.buf[start..self.pos])
                        .map_err(|e| json_error(&e, line, column, &self.path))?;
                }
                keys.push(key);
                match self.skip_ws()? {
                    Some(b',') => self.bump(),
                    Some(b'}') => {
                        self.bump();
                        break;
                    }
                    found => return Err(self.unexpected(found, "`,` or `}`")),
                }
            }
        }
        let mark = self.doc_mark.take();
        let Items {
            array, id, export, ..
        } = self.config.items;
        if page && keys.iter().any(|k| k == id) {
            return Err(self.both_page_and_image(line, column));
        }
        if page {
            return Ok(());
        }
        if self.config.requests || keys.iter().any(|k| k == id) {
            let start = mark.expect("invariant: a non-page document keeps its mark");
            let bytes = self.buf[start..self.pos].to_vec();
            return emit(&bytes, line, column, None);
        }
        // Keys are the input's text: quoted and escaped, never raw.
        let shown: Vec<String> = keys.iter().take(5).map(|k| format!("{k:?}")).collect();
        Err(self.error_at(
            line,
            column,
            format!(
                "no `{array}` array in this document (is it {export} output?); top-level keys: [{}]",
                shown.join(", ")
            ),
        ))
    }

    /// A document with both an `Images` array and an `ImageId`: reading it as
    /// either a page or an image would drop the other.
    fn both_page_and_image(&self, line: u64, column: u64) -> InputError {
        let Items {
            array, id, noun, ..
        } = self.config.items;
        self.error_at(
            line,
            column,
            format!(
                "this document has both `{array}` and `{id}`: it is neither one page nor one {noun}"
            ),
        )
    }

    /// The `Images` array: each element is one image object.
    fn images_array(&mut self, emit: &mut Emit<'_>) -> Result<(), InputError> {
        self.bump();
        if self.skip_ws()? == Some(b']') {
            self.bump();
            return Ok(());
        }
        loop {
            match self.skip_ws()? {
                Some(b'{') => {}
                found => {
                    let Items { array, noun, .. } = self.config.items;
                    let expected = format!("{} object in `{array}`", article(noun));
                    return Err(self.unexpected(found, &expected));
                }
            }
            let (start, line, column) = self.capture(Self::scan_value)?;
            emit(&self.buf[start..self.pos], line, column, Some(&self.keys))?;
            match self.skip_ws()? {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return Ok(());
                }
                found => {
                    let expected = format!("`,` or `]` in `{}`", self.config.items.array);
                    return Err(self.unexpected(found, &expected));
                }
            }
        }
    }

    /// Reads an object key (the scanner is on its opening quote).
    fn key(&mut self) -> Result<String, InputError> {
        let (start, line, column) = self.capture(Self::scan_string)?;
        serde_json::from_slice::<String>(&self.buf[start..self.pos])
            .map_err(|e| json_error(&e, line, column, &self.path))
    }

    /// Runs `scan` keeping every byte it passes, and returns where the
    /// scanned text starts in `buf` (valid until the next read) with its line
    /// and column; the text ends at `self.pos`.
    fn capture(
        &mut self,
        scan: fn(&mut Self) -> Result<(), InputError>,
    ) -> Result<(usize, u64, u64), InputError> {
        let (line, column) = (self.line, self.column);
        self.value_mark = Some(self.pos);
        let scanned = scan(self);
        let start = self.value_mark.take().expect("invariant: mark set above");
        scanned.map(|()| (start, line, column))
    }
}

/// `n` bytes as people read it: MiB when whole, bytes otherwise.
pub(crate) fn size_text(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// `an image`, `a snapshot`.
fn article(noun: &str) -> String {
    match noun.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => format!("an {noun}"),
        _ => format!("a {noun}"),
    }
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}
