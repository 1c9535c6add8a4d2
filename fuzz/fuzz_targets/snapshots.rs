//! Any bytes as a snapshot file (`--snapshots-file`): describe-snapshots
//! pages, attribute answers, JSON Lines, gzip. Differential: the first two
//! bytes choose a chunk size (1–64) and a read size (1–16); the rest is read
//! once as a file is and once through that slow pipe with those tiny chunks
//! (so tiny parse batches too). Both must know the same snapshots at the same
//! lines, or fail with the same error. Then every snapshot is joined to an
//! image and every built-in rule runs on it.
#![no_main]

use std::sync::Arc;

use amilint::input::{ReadConfig, ShortReads, SnapshotIndex};
use amilint::model::{BlockDeviceMapping, Ebs, Image};
use amilint::rules::{BUILTIN, Cx, RuleSettings};
use libfuzzer_sys::fuzz_target;

/// The snapshot ids a file may name: every `snap-` run of hex in it.
fn ids(data: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    text.match_indices("snap-")
        .map(|(at, _)| {
            let hex: String = text[at + 5..]
                .chars()
                .take_while(|c| c.is_ascii_hexdigit())
                .collect();
            format!("snap-{hex}")
        })
        .collect()
}

/// An image on every id, joined to the index: what the rules would see.
fn joined(index: &SnapshotIndex, ids: &[String]) -> Image {
    let mut image = Image {
        image_id: Some("ami-0123456789abcdef0".to_string()),
        owner_id: Some("111122223333".to_string()),
        block_device_mappings: Some(
            ids.iter()
                .map(|id| BlockDeviceMapping {
                    ebs: Some(Ebs {
                        snapshot_id: Some(id.clone()),
                        ..Ebs::default()
                    }),
                    ..BlockDeviceMapping::default()
                })
                .collect(),
        ),
        ..Image::default()
    };
    index.join(&mut image);
    image
}

fuzz_target!(|data: &[u8]| {
    let (chunk, max_read, data) = match data {
        [a, b, rest @ ..] => (usize::from(a % 64) + 1, u64::from(b % 16) + 1, rest),
        _ => return,
    };
    let read = |raw: &mut (dyn std::io::Read + Send), config| {
        let mut index = SnapshotIndex::default();
        index
            .read_stream(raw, Arc::from("s.json"), "s.json", config)
            .map(|()| index)
            .map_err(|e| e.to_string())
    };
    let whole = read(&mut &data[..], ReadConfig::default());
    let small = ReadConfig {
        chunk,
        ..ReadConfig::default()
    };
    let trickled = read(&mut ShortReads::new(data, max_read), small);
    let ids = ids(data);
    match (&whole, &trickled) {
        (Ok(a), Ok(b)) => {
            let (a, b) = (joined(a, &ids), joined(b, &ids));
            let facts = |image: &Image| {
                image
                    .block_device_mappings
                    .iter()
                    .flatten()
                    .map(|m| {
                        let s = m.ebs.as_ref().and_then(|e| e.snapshot.as_ref());
                        format!("{:?} {:?}", serde_json::to_string(&s).ok(), s.and_then(|s| s.origin.clone()))
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(facts(&a), facts(&b), "chunk {chunk}, reads of 1..={max_read}");
            let settings = RuleSettings::default();
            let mut cx = Cx::new(&settings, None);
            for rule in BUILTIN {
                cx.run(rule, &a);
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "chunk {chunk}, reads of 1..={max_read}"),
        _ => panic!("one read failed, the other did not: {whole:?} / {trickled:?}", whole = whole.as_ref().err(), trickled = trickled.as_ref().err()),
    }
});
