//! Snapshot files (`--snapshots-file`): saved `aws ec2 describe-snapshots`
//! output and `describe-snapshot-attribute --attribute createVolumePermission`
//! answers, in any mix and in every shape the image reader takes (CLI pages,
//! JSON Lines, boto3 dumps, gzip, stdin). They are read into one index by
//! snapshot id before the scan, and the scan joins each EBS mapping to it.

use std::collections::HashMap;
use std::collections::hash_map::Entry as Slot;
use std::io::Read;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;

use super::locate::field_line;
use super::scanner::{Items, ReadConfig, json_error};
use super::source::{InputSource, open, scan_stream};
use crate::error::InputError;
use crate::model::{
    CreateVolumePermission, FilePosition, Image, SnapshotFacts, SnapshotOrigin, SnapshotStatus,
};
use crate::ptr;
use crate::remedy::valid::is_snapshot_id;

/// Items parsed together (in parallel), in read chunks: 16 × the default
/// 256 KiB is 4 MiB; tests that shrink the chunk shrink the batch with it.
const BATCH_CHUNKS: usize = 16;

/// Every snapshot the files describe, by id. Kept small (the files of a
/// large organisation hold millions of snapshots): ids packed into a `u128`,
/// repeated texts (owners, keys, states) stored once and named by number,
/// lines as offsets from their item's.
#[derive(Debug, Default)]
pub struct SnapshotIndex {
    files: Vec<Arc<str>>,
    by_id: HashMap<u128, Known>,
    /// Each owner id, key ARN and state once; `NONE` is absent.
    texts: Vec<Arc<str>>,
    text_ids: HashMap<Arc<str>, u32>,
}

/// An absent text, or an absent line offset.
const NONE: u32 = u32::MAX;

/// What the files say of one snapshot.
#[derive(Debug, Default)]
struct Known {
    /// From a describe-snapshots item.
    described: Option<Described>,
    /// From a describe-snapshot-attribute answer (boxed: most snapshots of
    /// an export have none).
    permissions: Option<Box<Permissions>>,
}

#[derive(Debug)]
struct Described {
    at: Position,
    volume_size: Option<i64>,
    owner_id: u32,
    kms_key_id: u32,
    state: u32,
    /// The line of `KmsKeyId`, as an offset from `at.line`.
    kms_key_line: u32,
    encrypted: Option<bool>,
}

#[derive(Debug)]
struct Permissions {
    grants: Box<[CreateVolumePermission]>,
    at: Position,
    /// Each grant's line, as an offset from `at.line`.
    lines: Box<[u32]>,
}

/// Where an item starts: the file (an index into `files`), line and column.
#[derive(Debug, Clone, Copy)]
struct Position {
    line: u64,
    column: u32,
    file: u32,
}

/// `snap-` and 8 or 17 lowercase hex digits as one number (the digits, and
/// their count above them); `None` for anything else.
fn pack(id: &str) -> Option<u128> {
    let hex = id.strip_prefix("snap-")?;
    if !is_snapshot_id(id) {
        return None;
    }
    let digits = u128::from_str_radix(hex, 16).ok()?;
    Some(digits | ((hex.len() as u128) << 72))
}

/// One item as the files hold it: a describe-snapshots `Snapshot` (other
/// members are ignored) or a describe-snapshot-attribute answer (a
/// `SnapshotId` with `CreateVolumePermissions`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Item {
    snapshot_id: String,
    owner_id: Option<String>,
    encrypted: Option<bool>,
    kms_key_id: Option<String>,
    volume_size: Option<i64>,
    state: Option<String>,
    create_volume_permissions: Option<Vec<CreateVolumePermission>>,
}

impl Item {
    /// Whether this is a describe-snapshots item (an attribute answer has
    /// only `SnapshotId` and `CreateVolumePermissions`).
    fn describes(&self) -> bool {
        self.owner_id.is_some()
            || self.encrypted.is_some()
            || self.kms_key_id.is_some()
            || self.volume_size.is_some()
            || self.state.is_some()
    }
}

/// Items found by the reader thread: their bytes back to back, and where
/// each ends with its line and column.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    items: Vec<(usize, u64, u64)>,
}

/// What the scanner hands each item to.
type Sink<'a> = dyn FnMut(&[u8], u64, u64, Option<&[u32]>) -> Result<(), InputError> + 'a;

/// An item read, with the lines its findings point at (offsets from its own).
struct Parsed {
    item: Item,
    key: u128,
    at: Position,
    kms_key_line: u32,
    permission_lines: Box<[u32]>,
}

impl SnapshotIndex {
    /// Reads every file in order. A file that cannot be read, or holds
    /// anything but snapshots and attribute answers, is an error at its
    /// line and column; so is a snapshot described twice.
    pub fn read(sources: &[InputSource], config: ReadConfig) -> Result<Self, InputError> {
        let mut index = SnapshotIndex::default();
        for source in sources {
            let name = source.name();
            let scan =
                |config, sink: &mut Sink<'_>| scan_stream(open(source)?, &name, config, sink);
            index.read_with(scan, source.uri.clone(), &name, config)?;
        }
        Ok(index)
    }

    /// Adds one stream (plain or gzip), named `uri` in findings and `name`
    /// in errors. Tests shrink `config.chunk` to cross every boundary.
    pub fn read_stream(
        &mut self,
        raw: impl Read + Send,
        uri: Arc<str>,
        name: &str,
        config: ReadConfig,
    ) -> Result<(), InputError> {
        let scan = |config, sink: &mut Sink<'_>| scan_stream(raw, name, config, sink);
        self.read_with(scan, uri, name, config)
    }

    /// Runs `scan` (with the reader's settings for snapshot files) on a
    /// thread of its own, which finds the items and sends
    /// them in batches, while this one parses each batch (in parallel) and
    /// adds it, in order.
    fn read_with(
        &mut self,
        scan: impl FnOnce(ReadConfig, &mut Sink<'_>) -> Result<(), InputError> + Send,
        uri: Arc<str>,
        name: &str,
        config: ReadConfig,
    ) -> Result<(), InputError> {
        let config = ReadConfig {
            items: Items::SNAPSHOTS,
            requests: false,
            ..config
        };
        let file = self.files.len() as u32;
        self.files.push(uri);
        let batch_bytes = config.chunk.saturating_mul(BATCH_CHUNKS);
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2);
            let reader = scope.spawn(move || {
                let mut batch = Batch::default();
                let scanned = scan(config, &mut |bytes, line, column, _| {
                    batch.bytes.extend_from_slice(bytes);
                    batch.items.push((batch.bytes.len(), line, column));
                    if batch.bytes.len() >= batch_bytes {
                        tx.send(std::mem::take(&mut batch))
                            .map_err(|_| InputError::Io {
                                path: name.to_string(),
                                source: std::io::Error::other("the reading stopped"),
                            })?;
                    }
                    Ok(())
                });
                // The items before a reading error come first: an error of
                // theirs is the earlier one.
                let _ = tx.send(batch);
                scanned
            });
            let mut failed = None;
            for batch in rx {
                let added = self.add(parse_batch(&batch.bytes, &batch.items, file, name));
                if let Err(e) = added {
                    failed = Some(e);
                    break; // dropping the receiver stops the reader
                }
            }
            let scanned = reader
                .join()
                .expect("invariant: the reader thread does not panic");
            match failed {
                Some(e) => Err(e),
                None => scanned,
            }
        })
    }

    /// How many snapshots the files describe or give permissions of.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    fn intern(&mut self, text: Option<String>) -> u32 {
        let Some(text) = text else { return NONE };
        if let Some(&id) = self.text_ids.get(text.as_str()) {
            return id;
        }
        let id = self.texts.len() as u32;
        let shared: Arc<str> = text.into();
        self.texts.push(shared.clone());
        self.text_ids.insert(shared, id);
        id
    }

    fn text(&self, id: u32) -> Option<String> {
        (id != NONE).then(|| self.texts[id as usize].to_string())
    }

    fn add(&mut self, parsed: Vec<Result<Parsed, InputError>>) -> Result<(), InputError> {
        for p in parsed {
            let Parsed {
                item,
                key,
                at,
                kms_key_line,
                permission_lines,
            } = p?;
            let described = item.describes().then(|| Described {
                owner_id: self.intern(item.owner_id),
                encrypted: item.encrypted,
                kms_key_id: self.intern(item.kms_key_id),
                volume_size: item.volume_size,
                state: self.intern(item.state),
                at,
                kms_key_line,
            });
            let permissions = item.create_volume_permissions.map(|grants| {
                Box::new(Permissions {
                    grants: grants.into_boxed_slice(),
                    at,
                    lines: permission_lines,
                })
            });
            let twice = |first: Position, what: &str| InputError::Syntax {
                path: self.files[at.file as usize].to_string(),
                line: at.line,
                column: u64::from(at.column),
                message: format!(
                    "snapshot {} has {what} twice (first at {}:{}:{}): give each once",
                    item.snapshot_id, self.files[first.file as usize], first.line, first.column
                ),
            };
            let known = match self.by_id.entry(key) {
                Slot::Occupied(slot) => slot.into_mut(),
                Slot::Vacant(slot) => slot.insert(Known::default()),
            };
            if let Some(new) = described {
                if let Some(old) = &known.described {
                    return Err(twice(old.at, "a describe-snapshots item"));
                }
                known.described = Some(new);
            }
            if let Some(new) = permissions {
                if let Some(old) = &known.permissions {
                    return Err(twice(old.at, "createVolumePermission answers"));
                }
                known.permissions = Some(new);
            }
        }
        Ok(())
    }

    /// Gives every EBS mapping of `image` whose snapshot the files know what
    /// they say of it (replacing what the image carried). A snapshot the
    /// files do not know is left as it was: absent from the files is not
    /// proof that it is gone (the files may not cover its account or region).
    pub fn join(&self, image: &mut Image) {
        for mapping in image.block_device_mappings.iter_mut().flatten() {
            let Some(ebs) = &mut mapping.ebs else {
                continue;
            };
            let Some(known) = ebs
                .snapshot_id
                .as_deref()
                .and_then(pack)
                .and_then(|key| self.by_id.get(&key))
            else {
                continue;
            };
            let position = |at: Position| FilePosition {
                uri: self.files[at.file as usize].clone(),
                line: at.line,
                column: u64::from(at.column),
            };
            let line =
                |at: Position, offset: u32| (offset != NONE).then(|| at.line + u64::from(offset));
            let mut facts = match &known.described {
                Some(d) => SnapshotFacts {
                    status: SnapshotStatus::Found,
                    owner_id: self.text(d.owner_id),
                    encrypted: d.encrypted,
                    kms_key_id: self.text(d.kms_key_id),
                    volume_size: d.volume_size,
                    state: self.text(d.state),
                    ..SnapshotFacts::default()
                },
                // Permissions without a description: what the snapshot holds
                // is unknown, who may read it is not.
                None => ebs.snapshot.take().unwrap_or_default(),
            };
            let mut origin = SnapshotOrigin {
                snapshot: known.described.as_ref().map(|d| position(d.at)),
                kms_key_line: known
                    .described
                    .as_ref()
                    .and_then(|d| line(d.at, d.kms_key_line)),
                ..SnapshotOrigin::default()
            };
            if let Some(p) = &known.permissions {
                facts.create_volume_permissions = Some(p.grants.to_vec());
                origin.permissions = Some(position(p.at));
                origin.permission_lines = p
                    .lines
                    .iter()
                    .map(|&offset| line(p.at, offset).unwrap_or(p.at.line))
                    .collect();
            } else if known.described.is_some() {
                // Keep permissions a saved export carried.
                facts.create_volume_permissions = ebs
                    .snapshot
                    .take()
                    .and_then(|old| old.create_volume_permissions);
            }
            facts.origin = Some(Arc::new(origin));
            ebs.snapshot = Some(facts);
        }
    }
}

/// Parses one batch of items in parallel; each item's outcome, in order (so
/// that the first error, of parsing or of adding, is the first in the file
/// however the items were batched).
fn parse_batch(
    bytes: &[u8],
    items: &[(usize, u64, u64)],
    file: u32,
    name: &str,
) -> Vec<Result<Parsed, InputError>> {
    (0..items.len())
        .into_par_iter()
        .map(|i| {
            let start = i.checked_sub(1).map_or(0, |p| items[p].0);
            let (end, line, column) = items[i];
            parse_item(&bytes[start..end], line, column, file, name)
        })
        .collect()
}

fn parse_item(
    raw: &[u8],
    line: u64,
    column: u64,
    file: u32,
    name: &str,
) -> Result<Parsed, InputError> {
    let item: Item = serde_json::from_slice(raw).map_err(|e| json_error(&e, line, column, name))?;
    let error = |message: String| InputError::Syntax {
        path: name.to_string(),
        line,
        column,
        message,
    };
    let Some(key) = pack(&item.snapshot_id) else {
        return Err(error(format!(
            "`SnapshotId` {:?} is not a snapshot id (snap- and 8 or 17 hex digits)",
            item.snapshot_id
        )));
    };
    if !item.describes() && item.create_volume_permissions.is_none() {
        return Err(error(format!(
            "{} is neither a describe-snapshots item (no OwnerId, Encrypted, State …) nor a describe-snapshot-attribute answer (no CreateVolumePermissions)",
            item.snapshot_id
        )));
    }
    // Lines as offsets from the item's (an item is at most 32 MiB: they fit).
    let offset = |pointer| {
        field_line(raw, line, &pointer)
            .and_then(|l| u32::try_from(l - line).ok())
            .unwrap_or(NONE)
    };
    let kms_key_line = match item.kms_key_id {
        Some(_) => key_line(raw).unwrap_or_else(|| offset(ptr!["KmsKeyId"])),
        None => NONE,
    };
    let permission_lines = item
        .create_volume_permissions
        .as_ref()
        .map(|grants| {
            (0..grants.len())
                .map(|i| offset(ptr!["CreateVolumePermissions", i]))
                .collect()
        })
        .unwrap_or_default();
    Ok(Parsed {
        item,
        key,
        at: Position {
            line,
            column: u32::try_from(column).unwrap_or(u32::MAX),
            file,
        },
        kms_key_line,
        permission_lines,
    })
}

/// The line offset of the `KmsKeyId` key in an item, found by searching for
/// it (a describe-snapshots item has it once, at the top level; the text
/// cannot hold it inside a string, where its quotes would be escaped). More
/// than one (a nested object with that key) is left to the exact walk.
fn key_line(raw: &[u8]) -> Option<u32> {
    const KEY: &[u8] = b"\"KmsKeyId\"";
    let mut found = memchr::memmem::find_iter(raw, KEY);
    let at = found.next()?;
    if found.next().is_some() {
        return None;
    }
    u32::try_from(memchr::memchr_iter(b'\n', &raw[..at]).count()).ok()
}
