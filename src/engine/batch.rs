//! Batches: what the reader thread hands the checking side — image objects
//! found in an export (not yet parsed), a live scan's parsed images, account
//! settings, or one scope's fleet.

use std::io;
use std::sync::Arc;

use anyhow::Result;

use crate::error::InputError;
use crate::input::{InputSource, ReadConfig, read_raw};
use crate::model::{AccountSettings, FleetScope, Image};
use crate::plan::Reading;

/// Part of a scope's fleet to check.
pub(super) struct FleetPart {
    pub(super) fleet: Arc<FleetScope>,
    pub(super) workloads: std::ops::Range<usize>,
    pub(super) settings: Option<Arc<AccountSettings>>,
}

/// Images are checked in batches, in parallel; findings keep input order.
pub(super) const BATCH: usize = 512;

/// A batch is also sent once its images reach this many bytes, so memory is
/// bounded by bytes in flight, not by image size times `BATCH`.
pub(super) const BATCH_BYTES: usize = 4 << 20;

/// An image of a batch: its end in `bytes`, line, column, and range in
/// `keys` (`None` when the reader did not record its keys).
pub(super) type ImageSpan = (usize, u64, u64, Option<(usize, usize)>);

/// Image objects found by the reader, not yet parsed; or images that came
/// parsed (a live scan).
pub(super) struct Batch {
    pub(super) input_index: usize,
    pub(super) bytes: Vec<u8>,
    pub(super) images: Vec<ImageSpan>,
    /// The offsets of the images' top-level keys, back to back.
    pub(super) keys: Vec<u32>,
    pub(super) parsed: Vec<Image>,
    /// Accounts × regions to lint (a live scope's, or the settings files').
    pub(super) settings: Vec<Arc<AccountSettings>>,
    /// Part of one account × region's fleet (workloads by place), with its
    /// guardrails when read.
    pub(super) fleet: Option<Box<FleetPart>>,
}

/// Finds the image objects (or request documents) of every source in order
/// and sends them in batches. Stops early (quietly) when the scan has stopped
/// listening.
pub(super) fn read_batches(
    sources: &[InputSource],
    reading: Reading,
    tx: std::sync::mpsc::SyncSender<Batch>,
) -> Result<(), InputError> {
    let config = ReadConfig {
        requests: reading != Reading::Images,
        ..ReadConfig::default()
    };
    for (input_index, source) in sources.iter().enumerate() {
        let new_batch = || Batch {
            input_index,
            bytes: Vec::with_capacity(BATCH * 2048),
            images: Vec::with_capacity(BATCH),
            keys: Vec::with_capacity(BATCH * 32),
            parsed: Vec::new(),
            settings: Vec::new(),
            fleet: None,
        };
        let mut batch = new_batch();
        let stopped = || InputError::Io {
            path: source.name(),
            source: io::Error::other("the scan stopped"),
        };
        read_raw(source, config, |bytes, line, column, keys| {
            batch.bytes.extend_from_slice(bytes);
            let key_range = keys.map(|keys| {
                let start = batch.keys.len();
                batch.keys.extend_from_slice(keys);
                (start, batch.keys.len())
            });
            batch
                .images
                .push((batch.bytes.len(), line, column, key_range));
            if batch.images.len() == BATCH || batch.bytes.len() >= BATCH_BYTES {
                let full = std::mem::replace(&mut batch, new_batch());
                tx.send(full).map_err(|_| stopped())?;
            }
            Ok(())
        })
        .inspect_err(|_| {
            // The images before the error still count (and may hold an
            // earlier error of their own).
            let _ = tx.send(std::mem::replace(&mut batch, new_batch()));
        })?;
        if !batch.images.is_empty() {
            tx.send(batch).map_err(|_| stopped())?;
        }
    }
    Ok(())
}

impl Batch {
    /// A batch of parsed images, or of account settings.
    pub(super) fn of(parsed: Vec<Image>, settings: Vec<Arc<AccountSettings>>) -> Batch {
        Batch {
            input_index: 0,
            bytes: Vec::new(),
            images: Vec::new(),
            keys: Vec::new(),
            parsed,
            settings,
            fleet: None,
        }
    }

    /// Batches of one scope's fleet, `BATCH` workloads each (one, empty,
    /// for a fleet of none: its impact is still known).
    pub(super) fn fleet(
        fleet: Arc<FleetScope>,
        settings: Option<Arc<AccountSettings>>,
    ) -> impl Iterator<Item = Batch> {
        let len = fleet.workloads.len();
        (0..len.max(1)).step_by(BATCH).map(move |start| Batch {
            fleet: Some(Box::new(FleetPart {
                fleet: fleet.clone(),
                workloads: start..(start + BATCH).min(len),
                settings: settings.clone(),
            })),
            ..Batch::of(Vec::new(), Vec::new())
        })
    }
}
