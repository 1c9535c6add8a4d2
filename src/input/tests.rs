//! The reader's unit tests: every one at several chunk sizes and through short reads.

use std::io::Read;

use super::locate::FieldLines;
use super::scanner::{ReadConfig, Scanner};
use super::source::*;

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
    let mut scanner = Scanner::new(text.as_bytes(), "t.json".to_string(), ReadConfig::default());
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
    let err = scan("{\"Images\": [\n  {\"ImageId\": \"ami-1\",}\n]}").expect_err("trailing comma");
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
        ..ReadConfig::default()
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

#[test]
fn issue_21_input_uris_are_percent_encoded_as_rfc_3986_paths() {
    let uri = |arg: &str| InputSource::new(arg).uri.to_string();
    assert_eq!(uri("exports/a b.json"), "exports/a%20b.json");
    assert_eq!(uri("./exports/images.json"), "exports/images.json");
    assert_eq!(
        uri("x/100%#1 [eu]?.json"),
        "x/100%25%231%20%5Beu%5D%3F.json"
    );
    assert_eq!(uri("étiquettes/ü.json"), "%C3%A9tiquettes/%C3%BC.json");
    assert_eq!(uri("a:b/c@d+e.json"), "a%3Ab/c@d+e.json");
    assert_eq!(uri("-"), "stdin");
}

/// A describe-snapshots export of `n` snapshots (every third public, every
/// fifth shared, every seventh without a key), its attribute answers in
/// between, indented like the AWS CLI.
fn snapshot_export(n: usize) -> String {
    let mut out = String::new();
    for page in 0..2 {
        out.push_str("{\n    \"Snapshots\": [\n");
        let ids: Vec<usize> = (0..n).filter(|i| i % 2 == page).collect();
        for (k, i) in ids.iter().enumerate() {
            let key = if i % 7 == 0 {
                String::new()
            } else {
                format!(
                    "            \"KmsKeyId\": \"arn:aws:kms:eu-west-1:111122223333:key/k{i}\",\n"
                )
            };
            out.push_str(&format!(
                "        {{\n            \"Description\": \"snapshot {i} \\\"quoted\\\" {{[\",\n            \"Encrypted\": {},\n{key}            \"OwnerId\": \"111122223333\",\n            \"SnapshotId\": \"snap-{i:017x}\",\n            \"State\": \"completed\",\n            \"VolumeSize\": {}\n        }}{}\n",
                i % 7 != 0,
                8 + i % 3,
                if k + 1 < ids.len() { "," } else { "" }
            ));
        }
        out.push_str("    ],\n    \"NextToken\": \"t\"\n}\n");
        for i in (0..n).filter(|i| i % 2 == page && (i % 3 == 0 || i % 5 == 0)) {
            let grant = if i % 3 == 0 {
                "{\"Group\": \"all\"}".to_string()
            } else {
                format!("{{\"UserId\": \"{:012}\"}}", 999_988_887_777u64)
            };
            out.push_str(&format!(
                "{{\n    \"CreateVolumePermissions\": [\n        {grant}\n    ],\n    \"SnapshotId\": \"snap-{i:017x}\"\n}}\n"
            ));
        }
    }
    out
}

/// What an index gives an image that names snapshots 0..n, as text.
fn joined(index: &super::SnapshotIndex, n: usize) -> String {
    use crate::model::{BlockDeviceMapping, Ebs, Image};
    let mut image = Image {
        block_device_mappings: Some(
            (0..n)
                .map(|i| BlockDeviceMapping {
                    ebs: Some(Ebs {
                        snapshot_id: Some(format!("snap-{i:017x}")),
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
        .block_device_mappings
        .iter()
        .flatten()
        .map(|m| {
            let facts = m.ebs.as_ref().and_then(|e| e.snapshot.as_ref());
            format!(
                "{} {:?}\n",
                serde_json::to_string(&facts).expect("json"),
                facts.and_then(|f| f.origin.clone())
            )
        })
        .collect()
}

#[test]
fn issue_18_snapshot_files_read_the_same_at_every_chunk_size_short_read_and_gzip() {
    use std::io::Write;
    use std::sync::Arc;
    let n = 1200;
    let text = snapshot_export(n);
    assert!(
        text.len() > ReadConfig::default().chunk,
        "past one read buffer"
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let read = |raw: &mut (dyn Read + Send), chunk: usize| {
        let mut index = super::SnapshotIndex::default();
        let config = ReadConfig {
            chunk,
            ..ReadConfig::default()
        };
        index
            .read_stream(raw, Arc::from("s.json"), "s.json", config)
            .expect("reads");
        index
    };
    let whole = read(&mut text.as_bytes(), ReadConfig::default().chunk);
    assert_eq!(whole.len(), n);
    let expected = joined(&whole, n);
    assert_eq!(expected.matches("\"Group\":\"all\"").count(), n.div_ceil(3));
    // An answer's permission points at the grant's line, two below its `{`.
    let first = text
        .find("{\n    \"CreateVolumePermissions\"")
        .expect("an answer");
    let line = text[..first].matches('\n').count() + 1;
    assert!(
        expected.contains(&format!(
            "line: {line}, column: 1 }}), permission_lines: [{}]",
            line + 2
        )),
        "attribute answers point at their lines"
    );
    for chunk in [1, 7, 64, 4096] {
        let plain = read(&mut text.as_bytes(), chunk);
        assert_eq!(joined(&plain, n), expected, "chunk {chunk}");
        let short = read(&mut ShortReads::new(text.as_bytes(), 7), chunk);
        assert_eq!(joined(&short, n), expected, "chunk {chunk}, short reads");
        let zipped = read(&mut ShortReads::new(&gz[..], 5), chunk);
        assert_eq!(joined(&zipped, n), expected, "chunk {chunk}, gzip");
    }
    // JSON Lines (one item or answer a line, as `jq -c '.Snapshots[]'`
    // makes): the same facts, at other lines.
    let mut jsonl = String::new();
    for doc in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
        let doc = doc.expect("json");
        match doc.get("Snapshots").and_then(|s| s.as_array()) {
            Some(items) => {
                for item in items {
                    jsonl.push_str(&format!("{item}\n"));
                }
            }
            None => jsonl.push_str(&format!("{doc}\n")),
        }
    }
    let facts = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| {
                l.split(" Some(SnapshotOrigin")
                    .next()
                    .unwrap_or(l)
                    .to_string()
            })
            .collect()
    };
    let from_lines = read(&mut ShortReads::new(jsonl.as_bytes(), 3), 64);
    assert_eq!(facts(&joined(&from_lines, n)), facts(&expected));
    assert_ne!(
        joined(&from_lines, n),
        expected,
        "the positions are the lines'"
    );
}

#[test]
fn issue_18_bad_snapshot_files_are_errors_at_their_line_and_column() {
    use std::sync::Arc;
    let read = |text: &str| {
        let mut index = super::SnapshotIndex::default();
        index
            .read_stream(
                text.as_bytes(),
                Arc::from("s.json"),
                "s.json",
                ReadConfig::default(),
            )
            .map_err(|e| e.to_string())
    };
    let item = |id: &str, extra: &str| {
        format!("{{\"SnapshotId\": \"{id}\", \"OwnerId\": \"111122223333\"{extra}}}")
    };
    let ok = item("snap-0123456789abcdef0", "");
    assert!(read(&format!("{{\"Snapshots\": [{ok}]}}")).is_ok());
    for (text, expected) in [
        (
            format!(
                "{{\"Snapshots\": [\n{ok},\n{}]}}",
                item("snap-0123456789abcdef1", ", \"Encrypted\": \"yes\"")
            ),
            "s.json:3:",
        ),
        (
            format!("{{\"Snapshots\": [{ok},\n  {ok}]}}"),
            "s.json:2:3: snapshot snap-0123456789abcdef0 has a describe-snapshots item twice (first at s.json:1:16)",
        ),
        (
            format!("{{\"Snapshots\": [\n{}]}}", item("snap-1; rm -rf /", "")),
            "s.json:2:1: `SnapshotId` \"snap-1; rm -rf /\" is not a snapshot id",
        ),
        (
            "{\"SnapshotId\": \"snap-0123456789abcdef0\"}".to_string(),
            "s.json:1:1: snap-0123456789abcdef0 is neither a describe-snapshots item",
        ),
        (
            "{\"Images\": []}".to_string(),
            "s.json:1:1: no `Snapshots` array in this document (is it describe-snapshots output?)",
        ),
        (format!("{{\"Snapshots\": [{ok}"), "s.json:1:"),
    ] {
        let err = read(&text).expect_err(&text);
        assert!(err.starts_with(expected), "{text}\n→ {err}");
    }
    // The first error in the file wins, however the items fall into batches:
    // a snapshot given twice (line 4) before a bad type (line 5).
    let text = format!(
        "{{\"Snapshots\": [\n{ok},\n{},\n{ok},\n{}]}}",
        item("snap-0123456789abcdef1", ""),
        item("snap-0123456789abcdef2", ", \"Encrypted\": \"yes\"")
    );
    for chunk in [1, 16, 64, ReadConfig::default().chunk] {
        let mut index = super::SnapshotIndex::default();
        let config = ReadConfig {
            chunk,
            ..ReadConfig::default()
        };
        let err = index
            .read_stream(text.as_bytes(), Arc::from("s.json"), "s.json", config)
            .expect_err("bad")
            .to_string();
        assert!(
            err.starts_with(
                "s.json:4:1: snapshot snap-0123456789abcdef0 has a describe-snapshots item twice"
            ),
            "chunk {chunk}: {err}"
        );
    }
}

#[test]
fn a_corrupt_gzip_stream_is_the_error_whatever_the_read_sizes() {
    // Found by the reader fuzz target: read 3 bytes at a time, the decoder
    // gave a byte before it noticed the corrupt stream, and the error was
    // that byte's ("expected a describe-images document"), not the stream's.
    let data: &[u8] = &[
        0x1f, 0x8b, 0x08, 0x08, 0x20, 0x20, 0x42, 0xe2, 0x98, 0x00, 0x4e, 0x3e, 0xb9, 0x14, 0x02,
        0x00, 0x22, 0x22, 0x65, 0x22, 0x22, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b,
        0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x7b, 0x02, 0x00, 0x7b, 0x7b,
        0x7b, 0x7b, 0x7b, 0x7b, 0x20, 0x21, 0x7b, 0x7b, 0x7b,
    ];
    let whole = scan_with(data, ReadConfig::default()).expect_err("corrupt");
    let config = ReadConfig {
        chunk: 22,
        ..ReadConfig::default()
    };
    let trickled = scan_with(ShortReads::new(data, 3), config).expect_err("corrupt");
    assert_eq!(whole, trickled);
    assert!(whole.contains("corrupt deflate stream"), "{whole}");
}

#[test]
fn issue_21_sarif_uris_are_relative_to_the_work_tree_root() {
    use super::source::SourceRoot;
    let below = SourceRoot {
        uri: "file:///work/my%20repo/".to_string(),
        prefix: "infra/images/".to_string(),
    };
    let relative = |uri: &str| below.relative(uri);
    assert_eq!(
        relative("a%20b.json").as_deref(),
        Some("infra/images/a%20b.json")
    );
    assert_eq!(relative("../x.json").as_deref(), Some("infra/x.json"));
    assert_eq!(
        relative("./y/../z.json").as_deref(),
        Some("infra/images/z.json")
    );
    assert_eq!(relative("../../../outside.json"), None);
    assert_eq!(
        relative("file:///work/my%20repo/other/c.json").as_deref(),
        Some("other/c.json")
    );
    assert_eq!(relative("file:///elsewhere/c.json"), None);
    assert_eq!(relative("stdin"), None);
    let at_root = SourceRoot {
        prefix: String::new(),
        ..below
    };
    assert_eq!(at_root.relative("e%23.json").as_deref(), Some("e%23.json"));
    assert_eq!(at_root.relative("../e.json"), None);
}
