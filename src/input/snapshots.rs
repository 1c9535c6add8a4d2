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

/// Every snapshot the files describe, by id.
#[derive(Debug, Default)]
pub struct SnapshotIndex {
    files: Vec<Arc<str>>,
    by_id: HashMap<Box<str>, Known>,
    /// One copy of each owner id, key ARN and state: a million snapshots
    /// share a handful.
    strings: std::collections::HashSet<Arc<str>>,
}

/// What the files say of one snapshot.
#[derive(Debug, Default)]
struct Known {
    /// From a describe-snapshots item.
    described: Option<Described>,
    /// From a describe-snapshot-attribute answer.
    permissions: Option<Permissions>,
}

#[derive(Debug)]
struct Described {
    owner_id: Option<Arc<str>>,
    encrypted: Option<bool>,
    kms_key_id: Option<Arc<str>>,
    volume_size: Option<i64>,
    state: Option<Arc<str>>,
    at: Position,
    kms_key_line: Option<u64>,
}

#[derive(Debug)]
struct Permissions {
    grants: Box<[CreateVolumePermission]>,
    at: Position,
    lines: Box<[u64]>,
}

/// Where an item starts: the file (an index into `files`), line and column.
#[derive(Debug, Clone, Copy)]
struct Position {
    file: u32,
    line: u64,
    column: u64,
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

/// An item read, with the lines its findings point at.
struct Parsed {
    item: Item,
    at: Position,
    kms_key_line: Option<u64>,
    permission_lines: Box<[u64]>,
}

impl SnapshotIndex {
    /// Reads every file in order. A file that cannot be read, or holds
    /// anything but snapshots and attribute answers, is an error at its
    /// line and column; so is a snapshot described twice.
    pub fn read(sources: &[InputSource], config: ReadConfig) -> Result<Self, InputError> {
        let mut index = SnapshotIndex::default();
        for source in sources {
            index.read_stream(open(source)?, source.uri.clone(), &source.name(), config)?;
        }
        Ok(index)
    }

    /// Adds one stream (plain or gzip), named `uri` in findings and `name`
    /// in errors. Tests shrink `config.chunk` to cross every boundary.
    pub fn read_stream(
        &mut self,
        raw: impl Read,
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
        let mut batch: Vec<u8> = Vec::new();
        let mut items: Vec<(usize, u64, u64)> = Vec::new();
        let scanned = scan_stream(raw, name, config, |bytes, line, column, _| {
            batch.extend_from_slice(bytes);
            items.push((batch.len(), line, column));
            if batch.len() >= config.chunk.saturating_mul(BATCH_CHUNKS) {
                self.add(parse_batch(&batch, &items, file, name)?)?;
                batch.clear();
                items.clear();
            }
            Ok(())
        });
        let rest = parse_batch(&batch, &items, file, name);
        // The items before a reading error come first: an error of theirs
        // is the earlier one.
        match scanned {
            Ok(()) => self.add(rest?),
            Err(e) => {
                rest?;
                Err(e)
            }
        }
    }

    /// How many snapshots the files describe or give permissions of.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    fn intern(&mut self, text: Option<String>) -> Option<Arc<str>> {
        let text = text?;
        if let Some(known) = self.strings.get(text.as_str()) {
            return Some(known.clone());
        }
        let shared: Arc<str> = text.into();
        self.strings.insert(shared.clone());
        Some(shared)
    }

    fn add(&mut self, parsed: Vec<Parsed>) -> Result<(), InputError> {
        for p in parsed {
            let Parsed {
                item,
                at,
                kms_key_line,
                permission_lines,
            } = p;
            let described = item.describes().then(|| Described {
                owner_id: self.intern(item.owner_id),
                encrypted: item.encrypted,
                kms_key_id: self.intern(item.kms_key_id),
                volume_size: item.volume_size,
                state: self.intern(item.state),
                at,
                kms_key_line,
            });
            let permissions = item.create_volume_permissions.map(|grants| Permissions {
                grants: grants.into_boxed_slice(),
                at,
                lines: permission_lines,
            });
            let twice = |first: Position, what: &str| InputError::Syntax {
                path: self.files[at.file as usize].to_string(),
                line: at.line,
                column: at.column,
                message: format!(
                    "snapshot {} has {what} twice (first at {}:{}:{}): give each once",
                    item.snapshot_id, self.files[first.file as usize], first.line, first.column
                ),
            };
            let known = match self.by_id.entry(item.snapshot_id.clone().into_boxed_str()) {
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
            let Some(known) = ebs.snapshot_id.as_deref().and_then(|id| self.by_id.get(id)) else {
                continue;
            };
            let position = |at: Position| FilePosition {
                uri: self.files[at.file as usize].clone(),
                line: at.line,
                column: at.column,
            };
            let text = |v: &Option<Arc<str>>| v.as_deref().map(str::to_string);
            let mut facts = match &known.described {
                Some(d) => SnapshotFacts {
                    status: SnapshotStatus::Found,
                    owner_id: text(&d.owner_id),
                    encrypted: d.encrypted,
                    kms_key_id: text(&d.kms_key_id),
                    volume_size: d.volume_size,
                    state: text(&d.state),
                    ..SnapshotFacts::default()
                },
                // Permissions without a description: what the snapshot holds
                // is unknown, who may read it is not.
                None => ebs.snapshot.take().unwrap_or_default(),
            };
            let mut origin = SnapshotOrigin {
                snapshot: known.described.as_ref().map(|d| position(d.at)),
                kms_key_line: known.described.as_ref().and_then(|d| d.kms_key_line),
                ..SnapshotOrigin::default()
            };
            if let Some(p) = &known.permissions {
                facts.create_volume_permissions = Some(p.grants.to_vec());
                origin.permissions = Some(position(p.at));
                origin.permission_lines = p.lines.to_vec();
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

    /// Bytes the index holds per snapshot, roughly (for the benchmarks).
    pub fn approximate_bytes(&self) -> usize {
        let per_entry = std::mem::size_of::<(Box<str>, Known)>()
            + std::mem::size_of::<Described>()
            + 24 // the id's text
            + 16; // the hash table's control bytes and slack, roughly
        let permissions: usize = self
            .by_id
            .values()
            .filter_map(|k| k.permissions.as_ref())
            .map(|p| {
                std::mem::size_of::<Permissions>()
                    + p.grants.len() * (std::mem::size_of::<CreateVolumePermission>() + 16)
                    + p.lines.len() * 8
            })
            .sum();
        self.by_id.len() * per_entry + permissions
    }
}

/// Parses one batch of items in parallel, in order.
fn parse_batch(
    bytes: &[u8],
    items: &[(usize, u64, u64)],
    file: u32,
    name: &str,
) -> Result<Vec<Parsed>, InputError> {
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
    if !is_snapshot_id(&item.snapshot_id) {
        return Err(error(format!(
            "`SnapshotId` {:?} is not a snapshot id (snap- and 8 or 17 hex digits)",
            item.snapshot_id
        )));
    }
    if !item.describes() && item.create_volume_permissions.is_none() {
        return Err(error(format!(
            "{} is neither a describe-snapshots item (no OwnerId, Encrypted, State …) nor a describe-snapshot-attribute answer (no CreateVolumePermissions)",
            item.snapshot_id
        )));
    }
    let kms_key_line = item
        .kms_key_id
        .as_ref()
        .and_then(|_| field_line(raw, line, &ptr!["KmsKeyId"]));
    let permission_lines = item
        .create_volume_permissions
        .as_ref()
        .map(|grants| {
            (0..grants.len())
                .map(|i| field_line(raw, line, &ptr!["CreateVolumePermissions", i]).unwrap_or(line))
                .collect()
        })
        .unwrap_or_default();
    Ok(Parsed {
        item,
        at: Position { file, line, column },
        kms_key_line,
        permission_lines,
    })
}
