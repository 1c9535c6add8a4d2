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
