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

use super::locate::LocatedImage;
use super::scanner::{ReadConfig, Scanner, json_error, size_text};
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
    let text = text.strip_prefix("./").unwrap_or(&text);
    let encoded = percent_encoding::utf8_percent_encode(text, PATH_SEGMENTS).to_string();
    if rel.is_absolute() {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

/// The git work tree that holds the working directory: SARIF's relative URIs
/// start there (`uriBaseId` `%SRCROOT%`), so that GitHub finds the files
/// however deep in the checkout amilint ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRoot {
    /// The root as a `file://` URI ending in `/`.
    pub uri: String,
    /// The working directory below the root, encoded, `""` or ending in `/`.
    pub prefix: String,
}

impl SourceRoot {
    /// The nearest folder at or above the working directory with a `.git`
    /// (folder or file, as in a worktree); none outside a repository.
    pub fn of_working_directory() -> Option<SourceRoot> {
        let cwd = std::env::current_dir().ok()?;
        let root = cwd.ancestors().find(|dir| dir.join(".git").exists())?;
        let below = cwd.strip_prefix(root).ok()?;
        Some(SourceRoot::new(root, below))
    }

    fn new(root: &std::path::Path, below: &std::path::Path) -> SourceRoot {
        let encode = |path: &std::path::Path| {
            let text = path.to_string_lossy().replace('\\', "/");
            percent_encoding::utf8_percent_encode(text.trim_matches('/'), PATH_SEGMENTS).to_string()
        };
        let slash = |text: String| if text.is_empty() { text } else { text + "/" };
        SourceRoot {
            uri: format!("file:///{}", slash(encode(root))),
            prefix: slash(encode(below)),
        }
    }

    /// An input URI (as `InputSource` writes it) relative to the root, when
    /// the file is inside it: `None` for `stdin`, other schemes, and paths
    /// outside the work tree.
    pub fn relative(&self, uri: &str) -> Option<String> {
        let path = match uri.strip_prefix(&self.uri) {
            Some(inside) => inside.to_string(),
            None if uri.contains(':') || uri == "stdin" || uri.starts_with('/') => return None,
            None => format!("{}{uri}", self.prefix),
        };
        let mut segments: Vec<&str> = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" | "." => {}
                ".." => {
                    segments.pop()?;
                }
                _ => segments.push(segment),
            }
        }
        Some(segments.join("/"))
    }
}

/// What a URI path (RFC 3986 `path`, `/`-separated `pchar`s) keeps as it is:
/// letters, digits, `-._~`, the sub-delimiters and `@`. Everything else is
/// percent-encoded as UTF-8 (spaces, `%`, `#`, `?`, `[`, `]`, non-ASCII), and
/// so is `:`, which would make a relative path's first segment look like a scheme.
const PATH_SEGMENTS: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');

/// The text of a raw stream: gunzipped when it starts like gzip (read in
/// `chunk`-sized pieces), without a UTF-8 byte order mark. Says whether it
/// was gzip.
pub(crate) fn decoded<'r>(
    raw: impl Read + 'r,
    chunk: usize,
) -> io::Result<(bool, Box<dyn Read + 'r>)> {
    let (head, raw) = sniff(raw, 2)?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read + 'r> = if gzip {
        let compressed = BufReader::with_capacity(chunk.max(64), raw);
        Box::new(flate2::read::MultiGzDecoder::new(compressed))
    } else {
        Box::new(raw)
    };
    let (head, reader) = sniff(reader, 3)?;
    let reader: Box<dyn Read + 'r> = if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        Box::new(reader.take_head(3))
    } else {
        Box::new(reader)
    };
    Ok((gzip, reader))
}

/// Opens `source` (a file, or stdin for `-`).
pub(crate) fn open(source: &InputSource) -> Result<Box<dyn Read>, InputError> {
    if source.arg == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    let file = File::open(&source.arg).map_err(|e| InputError::Io {
        path: source.name(),
        source: e,
    })?;
    Ok(Box::new(file))
}

/// Reads every image of `source`, calling `sink` for each in input order.
pub fn read_images(
    source: &InputSource,
    sink: impl FnMut(LocatedImage<'_>),
) -> Result<(), InputError> {
    read_from(open(source)?, &source.name(), sink)
}

/// Finds every image object (or, with `config.requests`, request document)
/// of `source` without parsing it, calling `sink` with its bytes, line and
/// column in input order (parse them with `parse_image` or `parse_request`).
/// An error `sink` returns stops the reading.
pub fn read_raw(
    source: &InputSource,
    config: ReadConfig,
    sink: impl FnMut(&[u8], u64, u64, Option<&[u32]>) -> Result<(), InputError>,
) -> Result<(), InputError> {
    scan_stream(open(source)?, &source.name(), config, sink)
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
pub(crate) fn scan_stream(
    raw: impl Read,
    name: &str,
    config: ReadConfig,
    mut sink: impl FnMut(&[u8], u64, u64, Option<&[u32]>) -> Result<(), InputError>,
) -> Result<(), InputError> {
    let io_err = |source| InputError::Io {
        path: name.to_string(),
        source,
    };
    let (gzip, reader) = decoded(raw, config.chunk).map_err(io_err)?;
    let mut scanner = Scanner::new(reader, name.to_string(), config);
    let scanned = scanner.documents(&mut sink);
    if scanned.is_err() && gzip {
        // A corrupt gzip stream may yield a few garbage bytes before the
        // decoder notices, depending on how much it was given per read: when
        // the stream breaks just past where the scan stopped, the broken
        // stream is the error, whatever the read sizes.
        let mut rest = scanner.into_reader().take(GZIP_LOOKAHEAD);
        if let Err(source) = io::copy(&mut rest, &mut io::sink()) {
            return Err(io_err(source));
        }
    }
    scanned
}

/// How far past a scan error a gzip stream is read to see whether it is corrupt.
const GZIP_LOOKAHEAD: u64 = 64 << 10;

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

/// Lines counted forward through a text: each offset's line from the last
/// one's, so that reading every entry of a file is linear in its size.
#[derive(Default)]
pub struct Lines {
    /// The last offset asked for, and the line and line start it is on.
    at: usize,
    line: u64,
    start: usize,
}

impl Lines {
    /// The 1-based line and column (in bytes) of offset `at`, at or after
    /// the last one asked for.
    pub fn at(&mut self, bytes: &[u8], at: usize) -> (u64, u64) {
        let at = at.min(bytes.len()).max(self.at);
        let between = &bytes[self.at..at];
        self.line += memchr::memchr_iter(b'\n', between).count() as u64;
        if let Some(i) = memchr::memrchr(b'\n', between) {
            self.start = self.at + i + 1;
        }
        self.at = at;
        (self.line + 1, (at - self.start) as u64 + 1)
    }
}

/// Reads a whole text file of at most `limit` bytes (a config, a policy, its
/// tests): a larger file, or an endless one such as `/dev/zero`, is an error
/// once `limit` is passed, never unbounded memory (`read_whole`).
pub fn read_text(path: &std::path::Path, limit: u64) -> io::Result<String> {
    let bytes = read_whole(File::open(path)?, limit, 1 << 16)?;
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Reads `input` whole, `chunk` bytes at a time, refusing it as soon as it
/// passes `limit` bytes or holds a NUL byte (no text or JSON file does:
/// `/dev/zero` is refused after its first chunk, not after `limit`).
pub fn read_whole(input: impl Read, limit: u64, chunk: usize) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_whole_into(input, limit, chunk, &mut bytes)?;
    Ok(bytes)
}

/// `read_whole` into `bytes` (cleared first): a caller that reads many
/// files reuses one buffer, its pages already in place.
pub fn read_whole_into(
    mut input: impl Read,
    limit: u64,
    chunk: usize,
    bytes: &mut Vec<u8>,
) -> io::Result<()> {
    bytes.clear();
    let mut buf = vec![0; chunk.max(1)];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(i) = memchr::memchr(0, &buf[..n]) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "byte {} is NUL: not a text file (is it the right file?)",
                    bytes.len() + i + 1
                ),
            ));
        }
        if (bytes.len() + n) as u64 > limit {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "larger than {} (is it the right file?)",
                    size_text(limit as usize)
                ),
            ));
        }
        bytes.extend_from_slice(&buf[..n]);
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    /// An endless reader of NUL bytes (`/dev/zero`) that counts what it gave.
    struct Zeros(u64);

    impl Read for Zeros {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            buf.fill(0);
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
    }

    #[test]
    fn issue_30_dev_zero_is_refused_after_one_chunk() {
        let mut zeros = Zeros(0);
        let e = read_whole(&mut zeros, 64 << 20, 1 << 16).expect_err("refused");
        assert!(e.to_string().contains("NUL"), "{e}");
        assert_eq!(zeros.0, 1 << 16, "one chunk read, not 64 MiB");
        let e = read_whole(&b"{}{}{}"[..], 4, 2).expect_err("too large");
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(read_whole(&b"{}"[..], 4, 1).expect("read"), b"{}");
    }

    #[test]
    fn issue_30_lines_are_counted_forward_as_from_the_start() {
        let text = b"a\nbb\n\nccc\nd";
        let mut lines = Lines::default();
        for at in 0..=text.len() {
            let before = &text[..at];
            let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
            let start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            assert_eq!(lines.at(text, at), (line, (at - start) as u64 + 1), "{at}");
        }
    }
}
