//! Preflight request files: RegisterImage and CreateImage documents.

use std::io::{self, Read};

use serde::de::IgnoredAny;

use super::locate::array_elements;
use super::scanner::{json_error, size_text};
use super::source::{InputSource, open};
use crate::error::InputError;
use crate::model::Image;

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
        Some(b'[') => array_elements(&bytes),
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
