//! Reads saved `aws ec2 describe-images` exports, streaming image by image.
//!
//! Accepted shapes, in any mix and any number back to back in one stream:
//! - a page document `{"Images": [...], ...}` (AWS CLI v1/v2, boto3 dumps
//!   with `ResponseMetadata`/`NextToken`; other top-level keys are ignored),
//! - a bare JSON array of images (or of page documents),
//! - a single image object (so JSON Lines of images or of pages works),
//! - gzip-compressed files (detected by their magic bytes), and `-` for stdin.
//!
//! A small structural scanner finds each image object and its line; the image
//! itself is then deserialised by serde_json from that slice. Only one image
//! (plus the read buffer) is held at a time, so exports of any size stream.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::sync::Arc;

use serde::de::IgnoredAny;

use crate::error::InputError;
use crate::model::Image;

/// One input named on the command line.
#[derive(Debug, Clone)]
pub struct InputSource {
    /// What the user typed (`-` for stdin).
    pub arg: String,
    /// How findings refer to it: a relative path with `/` separators, or `stdin`.
    pub uri: Arc<str>,
}

impl InputSource {
    pub fn new(arg: &str) -> Self {
        let uri = if arg == "-" {
            "stdin".to_string()
        } else {
            display_uri(arg)
        };
        InputSource {
            arg: arg.to_string(),
            uri: uri.into(),
        }
    }

    /// How errors name it.
    pub fn name(&self) -> String {
        if self.arg == "-" {
            "<stdin>".to_string()
        } else {
            self.arg.clone()
        }
    }
}

/// A relative path stays as typed (with `/` separators); an absolute path under
/// the working directory becomes relative to it, so SARIF uploads resolve.
fn display_uri(arg: &str) -> String {
    let path = std::path::Path::new(arg);
    let rel = match std::env::current_dir() {
        Ok(cwd) if path.is_absolute() => path.strip_prefix(&cwd).unwrap_or(path).to_path_buf(),
        _ => path.to_path_buf(),
    };
    let text = rel.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text).to_string();
    if rel.is_absolute() {
        format!("file://{}", text.replace(' ', "%20"))
    } else {
        text.replace(' ', "%20")
    }
}

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
    members: std::cell::OnceCell<super::position::Members<'a>>,
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
            Some(keys) => super::position::line_at_keys(self.raw, keys, &tokens),
            None => self
                .members
                .get_or_init(|| super::position::Members::new(self.raw))
                .line_of(&tokens),
        };
        offset.map(|offset| self.line + offset)
    }
}

/// Opens `source` (a file, or stdin for `-`).
fn open(source: &InputSource) -> Result<Box<dyn Read>, InputError> {
    if source.arg == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    let file = File::open(&source.arg).map_err(|e| InputError::Io {
        path: source.name(),
        source: e,
    })?;
    Ok(Box::new(file))
}

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
        }
    }
}

/// Reads every image of `source`, calling `sink` for each in input order.
pub fn read_images(
    source: &InputSource,
    sink: impl FnMut(LocatedImage<'_>),
) -> Result<(), InputError> {
    read_from(open(source)?, &source.name(), sink)
}

/// Finds every image object of `source` without parsing it, calling `sink`
/// with its bytes, line and column in input order (parse them with
/// `parse_image`). An error `sink` returns stops the reading.
pub fn read_raw(
    source: &InputSource,
    sink: impl FnMut(&[u8], u64, u64, Option<&[u32]>) -> Result<(), InputError>,
) -> Result<(), InputError> {
    scan_stream(open(source)?, &source.name(), ReadConfig::default(), sink)
}

/// Reads every image from `raw` (plain or gzip-compressed JSON), naming it
/// `name` in errors. The whole reader, for any bytes: the fuzz target's entry.
pub fn read_from(
    raw: impl Read,
    name: &str,
    sink: impl FnMut(LocatedImage<'_>),
) -> Result<(), InputError> {
    read_from_with(raw, name, ReadConfig::default(), sink)
}

/// `read_from` with the reader's chunk size and value limit set.
pub fn read_from_with(
    raw: impl Read,
    name: &str,
    config: ReadConfig,
    mut sink: impl FnMut(LocatedImage<'_>),
) -> Result<(), InputError> {
    scan_stream(raw, name, config, |bytes, line, column, keys| {
        let image = parse_image(bytes, line, column, name)?;
        sink(LocatedImage {
            image,
            raw: bytes,
            line,
            column,
            keys,
        });
        Ok(())
    })
}

/// Runs the scanner over `raw`, decompressing gzip first. The gzip magic and
/// a UTF-8 byte-order mark are looked for in the first bytes of the stream,
/// however few bytes each read returns.
fn scan_stream(
    raw: impl Read,
    name: &str,
    config: ReadConfig,
    mut sink: impl FnMut(&[u8], u64, u64, Option<&[u32]>) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let io_err = |source| InputError::Io {
        path: name.to_string(),
        source,
    };
    let (head, raw) = sniff(raw, 2).map_err(io_err)?;
    let reader: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
        let compressed = BufReader::with_capacity(config.chunk.max(64), raw);
        Box::new(flate2::read::MultiGzDecoder::new(compressed))
    } else {
        Box::new(raw)
    };
    let (head, reader) = sniff(reader, 3).map_err(io_err)?;
    let reader: Box<dyn Read> = if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        Box::new(reader.take_head(3))
    } else {
        Box::new(reader)
    };
    let mut scanner = Scanner::new(reader, name.to_string(), config);
    scanner.documents(&mut sink)
}

/// The first `n` bytes of `raw` (fewer only at its end), read however short
/// its reads are, and a reader of the whole stream, those bytes included.
fn sniff<R: Read>(mut raw: R, n: usize) -> io::Result<(Vec<u8>, Sniffed<R>)> {
    let mut head = Vec::with_capacity(n);
    (&mut raw).take(n as u64).read_to_end(&mut head)?;
    Ok((
        head.clone(),
        Sniffed {
            head,
            at: 0,
            rest: raw,
        },
    ))
}

/// A stream whose first bytes were read ahead (see `sniff`).
struct Sniffed<R> {
    head: Vec<u8>,
    at: usize,
    rest: R,
}

impl<R> Sniffed<R> {
    /// The same stream without its first `n` bytes (already read ahead).
    fn take_head(mut self, n: usize) -> Self {
        self.at = n.min(self.head.len());
        self
    }
}

impl<R: Read> Read for Sniffed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at < self.head.len() {
            let n = (self.head.len() - self.at).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        self.rest.read(buf)
    }
}

/// Deserialises one image object, translating serde_json's positions (which
/// are relative to the slice) into positions in the file.
pub fn parse_image(bytes: &[u8], line: u64, column: u64, path: &str) -> Result<Image, InputError> {
    let image: Image =
        serde_json::from_slice(bytes).map_err(|e| json_error(&e, line, column, path))?;
    match image.image_id.as_deref() {
        Some(id) if !id.trim().is_empty() => Ok(image),
        _ => Err(InputError::Syntax {
            path: path.to_string(),
            line,
            column,
            message: "image has no `ImageId`".to_string(),
        }),
    }
}

/// The RegisterImage / CreateImage request documents of one preflight input:
/// the file's one JSON object, or each object of its top-level array, with
/// its line and column, parsed into our image model (request keys that an
/// image does not have, such as `TagSpecifications` or `NoReboot`, are kept
/// in `extra`).
pub fn read_requests(source: &InputSource) -> Result<Vec<Request>, InputError> {
    let name = source.name();
    let mut bytes = Vec::new();
    open(source)?
        .take(MAX_REQUEST_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::Io {
            path: name.clone(),
            source: e,
        })?;
    if bytes.len() as u64 > MAX_REQUEST_FILE_BYTES {
        return Err(InputError::Io {
            path: name,
            source: io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "larger than {} (request files are small)",
                    size_text(MAX_REQUEST_FILE_BYTES as usize)
                ),
            ),
        });
    }
    serde_json::from_slice::<IgnoredAny>(&bytes).map_err(|e| json_error(&e, 1, 1, &name))?;
    let first = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let ranges = match first.map(|i| bytes[i]) {
        Some(b'[') => super::position::array_elements(&bytes),
        _ => vec![(first.unwrap_or(0), bytes.len())],
    };
    let mut out = Vec::new();
    // Lines and columns counted once, forward (not from the file's start for
    // each request: a file of 100k requests would take minutes).
    let (mut at, mut line, mut line_start) = (0usize, 1u64, 0usize);
    for (start, end) in ranges {
        let between = &bytes[at..start];
        line += memchr::memchr_iter(b'\n', between).count() as u64;
        if let Some(last) = memchr::memrchr(b'\n', between) {
            line_start = at + last + 1;
        }
        at = start;
        let column = (start - line_start) as u64 + 1;
        let raw = bytes[start..end].to_vec();
        let image: Image =
            serde_json::from_slice(&raw).map_err(|e| json_error(&e, line, column, &name))?;
        // The request-only members the image model keeps as they are: typed
        // here, so that a value EC2 would refuse is an error, not ignored.
        serde_json::from_slice::<RequestOnly>(&raw)
            .map_err(|e| json_error(&e, line, column, &name))?;
        out.push(Request {
            image,
            raw,
            line,
            column,
        });
    }
    Ok(out)
}

/// The members of RegisterImage and CreateImage requests that are not image
/// fields, with their API types (the API reference's request parameters).
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // Read only to check the types.
struct RequestOnly {
    tag_specifications: Option<Vec<TagSpecification>>,
    no_reboot: Option<bool>,
    dry_run: Option<bool>,
    instance_id: Option<String>,
    billing_products: Option<Vec<String>>,
    client_token: Option<String>,
    snapshot_location: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // Read only to check the types.
struct TagSpecification {
    resource_type: Option<String>,
    tags: Option<Vec<RequestTag>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)] // Read only to check the types.
struct RequestTag {
    key: String,
    value: Option<String>,
}

/// The largest preflight request file read (100k requests are ~30 MB).
const MAX_REQUEST_FILE_BYTES: u64 = 256 << 20;

/// One request document of a preflight input.
pub struct Request {
    pub image: Image,
    /// The document exactly as in the file.
    pub raw: Vec<u8>,
    pub line: u64,
    pub column: u64,
}

fn json_error(e: &serde_json::Error, line: u64, column: u64, path: &str) -> InputError {
    let (rel_line, rel_col) = (e.line() as u64, e.column() as u64);
    let (abs_line, abs_col) = if rel_line <= 1 {
        (line, column + rel_col.saturating_sub(1))
    } else {
        (line + rel_line - 1, rel_col)
    };
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
type Emit<'a> = dyn FnMut(&[u8], u64, u64, Option<&[u32]>) -> Result<(), InputError> + 'a;

/// A forward-only structural scanner over a byte stream.
///
/// It tracks line and column, keeps bytes from the earliest open mark so a
/// scanned value is contiguous in `buf`, and discards everything else.
struct Scanner<R> {
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
    fn new(reader: R, path: String, config: ReadConfig) -> Self {
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
            return Err(self.error(format!(
                "a JSON value of more than {} (an image is a few KB): not a describe-images export",
                size_text(self.config.max_value)
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

    /// The whole stream: documents back to back, separated by whitespace.
    fn documents(&mut self, emit: &mut Emit<'_>) -> Result<(), InputError> {
        let mut documents = 0;
        loop {
            match self.skip_ws()? {
                None => break,
                Some(b'{') => self.object_document(emit)?,
                Some(b'[') => self.array_document(emit)?,
                found => {
                    return Err(self.unexpected(found, "a describe-images document (`{` or `[`)"));
                }
            }
            documents += 1;
        }
        if documents == 0 {
            return Err(self.error("empty input: expected a describe-images document"));
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
                found => return Err(self.unexpected(found, "an image object")),
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
                if key == "Images" && page {
                    // Reading only one of two `Images` arrays would drop images.
                    return Err(self.error("duplicate `Images` key in one page"));
                }
                if key == "Images" && keys.iter().any(|k| k == "ImageId") {
                    return Err(self.both_page_and_image(line, column));
                }
                if key == "Images" {
                    // A page: stop keeping the document, stream its images.
                    page = true;
                    self.doc_mark = None;
                    match value {
                        Some(b'[') => self.images_array(emit)?,
                        Some(b'n') => {
                            return Err(self.error("`Images` is null, expected an array of images"));
                        }
                        found => {
                            return Err(self.unexpected(found, "an array of images after `Images`"));
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
        if page && keys.iter().any(|k| k == "ImageId") {
            return Err(self.both_page_and_image(line, column));
        }
        if page {
            return Ok(());
        }
        if keys.iter().any(|k| k == "ImageId") {
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
                "no `Images` array in this document (is it describe-images output?); top-level keys: [{}]",
                shown.join(", ")
            ),
        ))
    }

    /// A document with both an `Images` array and an `ImageId`: reading it as
    /// either a page or an image would drop the other.
    fn both_page_and_image(&self, line: u64, column: u64) -> InputError {
        self.error_at(
            line,
            column,
            "this document has both `Images` and `ImageId`: it is neither one page nor one image",
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
                found => return Err(self.unexpected(found, "an image object in `Images`")),
            }
            let (start, line, column) = self.capture(Self::scan_value)?;
            emit(&self.buf[start..self.pos], line, column, Some(&self.keys))?;
            match self.skip_ws()? {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    return Ok(());
                }
                found => return Err(self.unexpected(found, "`,` or `]` in `Images`")),
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

    /// Scans one string, the scanner being on its opening quote.
    fn scan_string(&mut self) -> Result<(), InputError> {
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
    fn scan_value(&mut self) -> Result<(), InputError> {
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

/// `n` bytes as people read it: MiB when whole, bytes otherwise.
fn size_text(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// A reader that returns at most a few bytes per read, varying from 1 to
/// `max` in a fixed pseudo-random pattern: a slow pipe, for tests and fuzz
/// targets.
pub struct ShortReads<R> {
    inner: R,
    max: u64,
    state: u64,
}

impl<R> ShortReads<R> {
    pub fn new(inner: R, max: u64) -> Self {
        ShortReads {
            inner,
            max: max.max(1),
            state: 0x9e37_79b9_7f4a_7c15,
        }
    }
}

impl<R: Read> Read for ShortReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // xorshift: cheap, deterministic, every length from 1 to `max`.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let n = (1 + self.state % self.max) as usize;
        let n = n.min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'{' | b'['
    )
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// Reads a whole text file of at most `limit` bytes (a config, a policy, its
/// tests): a larger file, or an endless one such as `/dev/zero`, is an error
/// once `limit` is passed, never unbounded memory.
pub fn read_text(path: &std::path::Path, limit: u64) -> io::Result<String> {
    let mut text = String::new();
    File::open(path)?
        .take(limit + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} (is it the right file?)",
                size_text(limit as usize)
            ),
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Scanned = Result<Vec<(String, u64, u64)>, String>;

    fn scan_with(raw: impl Read, config: ReadConfig) -> Scanned {
        let mut out = Vec::new();
        scan_stream(raw, "t.json", config, |bytes, line, column, _| {
            let image = parse_image(bytes, line, column, "t.json")?;
            out.push((image.id().to_string(), line, column));
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Scans `text` with the default reader, and requires the same images,
    /// positions and errors with tiny chunks and with reads of 1 to 7 bytes.
    fn scan(text: &str) -> Scanned {
        let expected = scan_with(text.as_bytes(), ReadConfig::default());
        for chunk in [1, 2, 7, 16, 17, 64] {
            let config = ReadConfig {
                chunk,
                ..ReadConfig::default()
            };
            assert_eq!(
                scan_with(text.as_bytes(), config),
                expected,
                "chunk {chunk}"
            );
            let trickle = ShortReads::new(text.as_bytes(), chunk as u64);
            assert_eq!(scan_with(trickle, config), expected, "reads of 1..={chunk}");
        }
        expected
    }

    #[test]
    fn page_with_extra_keys() {
        let got = scan("{\"ResponseMetadata\": {\"a\": [1, {\"b\": \"}\"}]},\n \"Images\": [\n  {\"ImageId\": \"ami-1\"},\n  {\"ImageId\": \"ami-2\"}\n ], \"NextToken\": null}")
            .expect("reads");
        assert_eq!(got, vec![("ami-1".into(), 3, 3), ("ami-2".into(), 4, 3)]);
    }

    #[test]
    fn jsonl_of_images_and_pages() {
        let got = scan("{\"ImageId\": \"ami-1\"}\n{\"Images\": [{\"ImageId\": \"ami-2\"}]}\n[{\"ImageId\": \"ami-3\"}]")
            .expect("reads");
        let ids: Vec<_> = got.iter().map(|(id, l, _)| (id.as_str(), *l)).collect();
        assert_eq!(ids, vec![("ami-1", 1), ("ami-2", 2), ("ami-3", 3)]);
    }

    #[test]
    fn byte_order_mark_and_deep_nesting() {
        let got = scan("\u{feff}{\"Images\": [{\"ImageId\": \"ami-1\"}]}").expect("BOM tolerated");
        assert_eq!(got.len(), 1);
        // Nesting deeper than serde_json's limit is an error, not a stack overflow.
        let deep = format!(
            "{{\"Images\": [{{\"ImageId\": \"ami-1\", \"X\": {}{}}}]}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let err = scan(&deep).expect_err("too deep");
        assert!(err.to_string().starts_with("t.json:1:"), "{err}");
    }

    #[test]
    fn recorded_keys_locate_fields_like_a_walk() {
        let text = "{\"Images\": [\n {\"ImageId\": \"ami-1\",\n  \"Name\": \"ImdsSupport\",\n  \"Tags\": [{\"Key\": \"a\", \"Value\": \"{\"}],\n  \"Imds\\u0053upport\": \"v1.0\",\n  \"BlockDeviceMappings\": [\n   {\"DeviceName\": \"/dev/a\"},\n   {\"Ebs\": {\n     \"Encrypted\": false}}]}\n]}";
        let mut seen = 0;
        let mut scanner =
            Scanner::new(text.as_bytes(), "t.json".to_string(), ReadConfig::default());
        scanner
            .documents(&mut |raw, line, _, keys| {
                let keys = keys.expect("an image of an Images array has its keys");
                assert_eq!(keys.len(), 5);
                let with = FieldLines::new(raw, line, Some(keys));
                let without = FieldLines::new(raw, line, None);
                for (pointer, expected) in [
                    (crate::ptr!["ImageId"], Some(2)),
                    (crate::ptr!["Name"], Some(3)),
                    (crate::ptr!["Tags", 0, "Value"], Some(4)),
                    (crate::ptr!["ImdsSupport"], Some(5)),
                    (
                        crate::ptr!["BlockDeviceMappings", 1, "Ebs", "Encrypted"],
                        Some(9),
                    ),
                    (crate::ptr!["BlockDeviceMappings", 2], None),
                    (crate::ptr!["Key"], None),
                    (crate::ptr!["DeprecationTime"], None),
                ] {
                    assert_eq!(with.of(&pointer), expected, "{pointer}");
                    assert_eq!(without.of(&pointer), expected, "{pointer}");
                }
                seen += 1;
                Ok(())
            })
            .expect("reads");
        assert_eq!(seen, 1);
    }

    #[test]
    fn small_buffer_boundaries_do_not_matter() {
        // An image larger than one chunk still arrives whole.
        let big = "x".repeat(ReadConfig::default().chunk * 3);
        let text = format!(
            "{{\"Images\": [{{\"ImageId\": \"ami-1\", \"Description\": \"{big}\"}}, {{\"ImageId\": \"ami-2\"}}]}}"
        );
        let got = scan(&text).expect("reads");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn errors_name_line_and_column() {
        let err =
            scan("{\"Images\": [\n  {\"ImageId\": \"ami-1\",}\n]}").expect_err("trailing comma");
        let text = err.to_string();
        assert!(text.starts_with("t.json:2:"), "{text}");
        let err = scan("{\"Reservations\": []}").expect_err("not images");
        assert!(err.to_string().contains("no `Images` array"), "{err}");
        let err = scan("{\"Images\": [{\"Name\": \"x\"}]}").expect_err("no id");
        assert_eq!(err.to_string(), "t.json:1:13: image has no `ImageId`");
        let err = scan("   ").expect_err("empty");
        assert!(err.to_string().contains("empty input"), "{err}");
        let err = scan("{\"Images\": [{\"ImageId\": \"ami-1\"}").expect_err("truncated");
        assert!(err.to_string().contains("end of input"), "{err}");
    }

    #[test]
    fn issue_15_an_image_beside_images_is_an_error() {
        for text in [
            "{\"ImageId\": \"ami-outer\", \"Public\": true, \"Images\": [{\"ImageId\": \"ami-1\"}]}",
            "{\"Images\": [{\"ImageId\": \"ami-1\"}], \"ImageId\": \"ami-outer\"}",
            "[{\"Images\": [], \"ImageId\": \"ami-outer\"}]",
        ] {
            let err = scan(text).expect_err("both");
            assert!(err.contains("both `Images` and `ImageId`"), "{err}");
        }
    }

    #[test]
    fn issue_15_gzip_and_bom_are_found_however_short_the_first_read() {
        use std::io::Write;
        let text = "\u{feff}{\"Images\": [{\"ImageId\": \"ami-1\"}]}";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).expect("gzip");
        let gz = gz.finish().expect("gzip");
        for max in 1..=3 {
            let config = ReadConfig::default();
            let got = scan_with(ShortReads::new(text.as_bytes(), max), config).expect("BOM");
            assert_eq!(got, vec![("ami-1".into(), 1, 13)]);
            let got = scan_with(ShortReads::new(&gz[..], max), config).expect("gzip");
            assert_eq!(got, vec![("ami-1".into(), 1, 13)]);
        }
    }

    #[test]
    fn issue_15_a_value_past_the_limit_is_an_error_not_memory() {
        let config = ReadConfig {
            chunk: 64,
            max_value: 4096,
        };
        let padded = format!(
            "{{\"Images\": [{{\"ImageId\": \"ami-1\",{}\"Name\": \"a\"}}]}}",
            " ".repeat(5000)
        );
        let err = scan_with(padded.as_bytes(), config).expect_err("too big");
        assert!(
            err.contains("a JSON value of more than 4096 bytes"),
            "{err}"
        );
        // Whitespace between images is not held: any number of images reads.
        let many = format!(
            "{{\"Images\": [{}]}}",
            vec!["{\"ImageId\": \"ami-1\"}"; 2000].join(",       \n")
        );
        assert_eq!(
            scan_with(many.as_bytes(), config).expect("reads").len(),
            2000
        );
    }

    #[test]
    fn issue_15_indented_export_cut_anywhere_is_an_error_inside_what_was_read() {
        // Four-space indentation (the AWS CLI's), cut at every byte, read in
        // 16-byte chunks: stale bytes past a short read must never count.
        let image = "        {\n            \"ImageId\": \"ami-1\",\n            \"Tags\": [\n                {\n                    \"Key\": \"a\"\n                }\n            ]\n        }";
        let text = format!("{{\n    \"Images\": [\n{image},\n{image}\n    ]\n}}\n");
        let full = scan(&text).expect("reads");
        assert_eq!(full.len(), 2);
        let lines = text.lines().count() as u64;
        for cut in 0..text.trim_end().len() {
            let prefix = &text.as_bytes()[..cut];
            for chunk in [16, 17] {
                let config = ReadConfig {
                    chunk,
                    ..ReadConfig::default()
                };
                for reader in [
                    Box::new(prefix) as Box<dyn Read>,
                    Box::new(ShortReads::new(prefix, 7)),
                ] {
                    let err = scan_with(reader, config).expect_err("cut");
                    let line: u64 = err
                        .split(':')
                        .nth(1)
                        .and_then(|l| l.parse().ok())
                        .expect("line");
                    assert!(line <= lines, "cut {cut}: {err}");
                }
            }
        }
    }
}
