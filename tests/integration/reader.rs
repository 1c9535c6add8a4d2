//! The reader proves itself at every read pattern (issue 15): every fixture
//! and the bundled example, also repeated to several MB in the AWS CLI's
//! 4-space and serde's 2-space formatting, read through a file, a real pipe,
//! a pipe that delivers a few bytes per write, gzip (one member and several)
//! and JSON Lines, with the scanner's chunk shrunk to 16, 17 and 64 bytes:
//! the same images, findings and locations from all of them.

use crate::common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use amilint::input::{ReadConfig, ShortReads, read_from_with};
use common::{finding_keys, located_findings};
use serde_json::Value;

/// Every describe-images fixture: rule fixtures, the formats fixture, the
/// accepted shapes and the bundled example.
fn fixtures() -> Vec<String> {
    let mut files = common::image_rule_fixtures();
    for dir in ["fixtures/shapes", "fixtures/formats", "fixtures/examples"] {
        let full = format!("{}/{dir}", env!("CARGO_MANIFEST_DIR"));
        for entry in std::fs::read_dir(full).expect("fixtures") {
            let name = entry.expect("entry").file_name();
            files.push(format!("{dir}/{}", name.to_string_lossy()));
        }
    }
    files.sort();
    files
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

/// The images of a fixture, whatever its shape (parsed by serde_json, not
/// by amilint).
fn images_of(bytes: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    for doc in serde_json::Deserializer::from_slice(bytes).into_iter::<Value>() {
        collect(doc.expect("fixture is JSON"), &mut out);
    }
    out
}

fn collect(doc: Value, out: &mut Vec<Value>) {
    match doc {
        Value::Array(items) => items.into_iter().for_each(|d| collect(d, out)),
        Value::Object(mut map) => match map.remove("Images") {
            Some(Value::Array(images)) => out.extend(images),
            _ => out.push(Value::Object(map)),
        },
        _ => {}
    }
}

/// `{"Images": [...]}` with `indent` spaces, as the AWS CLI prints it (4).
fn pretty(images: &[Value], indent: usize) -> Vec<u8> {
    let indent = " ".repeat(indent);
    let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(&serde_json::json!({ "Images": images }), &mut ser)
        .expect("serialise");
    out.push(b'\n');
    out
}

/// The fixture's images repeated past `bytes` (several read buffers).
fn repeated(images: &[Value], bytes: usize) -> Vec<Value> {
    let one = serde_json::to_vec(images).expect("serialise").len().max(1);
    let times = bytes / one + 1;
    images
        .iter()
        .cycle()
        .take(images.len() * times)
        .cloned()
        .collect()
}

fn gzip(members: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for member in members {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(member).expect("gzip");
        out.extend(gz.finish().expect("gzip"));
    }
    out
}

/// (image id, line, column) of every image, in order, through the library
/// reader with `config`.
fn positions(raw: impl Read, config: ReadConfig) -> Result<Vec<(String, u64, u64)>, String> {
    let mut out = Vec::new();
    read_from_with(raw, "t.json", config, |img| {
        out.push((img.image.id().to_string(), img.line, img.column));
    })
    .map_err(|e| e.to_string())?;
    Ok(out)
}

fn small(chunk: usize) -> ReadConfig {
    ReadConfig {
        chunk,
        ..ReadConfig::default()
    }
}

#[test]
fn every_fixture_reads_the_same_through_every_read_pattern() {
    for fixture in fixtures() {
        let bytes = read(&fixture);
        let expected = positions(&bytes[..], ReadConfig::default());
        let gz = gzip(&[&bytes]);
        let (a, b) = bytes.split_at(bytes.len() / 2);
        let gz2 = gzip(&[a, b]);
        for chunk in [1, 16, 17, 64] {
            let config = small(chunk);
            assert_eq!(
                positions(&bytes[..], config),
                expected,
                "{fixture} chunk {chunk}"
            );
            for max in [1, 3, 7] {
                let trickle = ShortReads::new(&bytes[..], max);
                assert_eq!(
                    positions(trickle, config),
                    expected,
                    "{fixture} reads of {max}"
                );
                let trickle = ShortReads::new(&gz[..], max);
                assert_eq!(positions(trickle, config), expected, "{fixture} gzip {max}");
            }
            assert_eq!(
                positions(&gz2[..], config),
                expected,
                "{fixture} 2 gzip members"
            );
        }
    }
}

/// A JSON report of the binary scanning `args`, with `stdin` piped in
/// `piece`-byte writes (each delivered by the pipe as it is written).
fn scan_json(args: &[&str], stdin: Option<(&[u8], usize)>) -> (i32, String, String) {
    json_of("scan", args, stdin)
}

/// `scan_json` for any command that reads inputs (`scan`, `preflight`).
fn json_of(command: &str, args: &[&str], stdin: Option<(&[u8], usize)>) -> (i32, String, String) {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("amilint"));
    cmd.env_clear()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            command,
            "--no-config",
            "--now",
            common::NOW,
            "--format",
            "json",
        ])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("runs");
    let writer = stdin.map(|(bytes, piece)| {
        let bytes = bytes.to_vec();
        let mut pipe = child.stdin.take().expect("stdin");
        std::thread::spawn(move || {
            for part in bytes.chunks(piece) {
                if pipe.write_all(part).and_then(|()| pipe.flush()).is_err() {
                    break;
                }
            }
        })
    });
    let out = child.wait_with_output().expect("runs");
    if let Some(w) = writer {
        w.join().expect("writer");
    }
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

/// The binary scanning a FIFO named on the command line, fed in 8,191-byte
/// writes.
fn scan_fifo(dir: &std::path::Path, text: &[u8]) -> (i32, String, String) {
    let fifo = dir.join("export.fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let writer = {
        let (fifo, text) = (fifo.clone(), text.to_vec());
        std::thread::spawn(move || {
            let mut pipe = std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("open fifo");
            for part in text.chunks(8191) {
                if pipe.write_all(part).is_err() {
                    break;
                }
            }
        })
    };
    let out = scan_json(&[fifo.to_str().expect("utf-8")], None);
    writer.join().expect("writer");
    out
}

#[test]
fn a_several_mb_export_scans_the_same_from_a_file_a_pipe_a_trickle_and_gzip() {
    let dir = tempfile::tempdir().expect("temp dir");
    let images = images_of(&read("fixtures/examples/describe-images.json"));
    let many = repeated(&images, 3 << 20);
    let mut per_layout = Vec::new();
    for indent in [4, 2] {
        let text = pretty(&many, indent);
        assert!(text.len() > 3 << 20);
        let file = dir.path().join(format!("export-{indent}.json"));
        std::fs::write(&file, &text).expect("write");
        let gz_file = dir.path().join(format!("export-{indent}.json.gz"));
        let (a, b) = text.split_at(text.len() / 3);
        std::fs::write(&gz_file, gzip(&[a, b])).expect("write");
        let path = file.to_str().expect("utf-8");
        let (code, from_file, err) = scan_json(&[path], None);
        assert_eq!(code, 1, "{err}");
        let expected = located_findings(&from_file);
        assert!(!expected.is_empty());
        for (what, (code, out, err)) in [
            ("pipe", scan_json(&["-"], Some((&text, 1 << 20)))),
            ("trickle", scan_json(&["-"], Some((&text, 4093)))),
            (
                "gzip file",
                scan_json(&[gz_file.to_str().expect("utf-8")], None),
            ),
            (
                "gzip pipe",
                scan_json(&["-"], Some((&gzip(&[&text]), 1000))),
            ),
            ("fifo", scan_fifo(dir.path(), &text)),
        ] {
            assert_eq!(code, 1, "{what}: {err}");
            assert_eq!(located_findings(&out), expected, "{what} (indent {indent})");
        }
        // Every read pattern in process too, with tiny chunks.
        let at = positions(&text[..], ReadConfig::default()).expect("reads");
        assert_eq!(at.len(), many.len());
        for max in [1, 7] {
            let trickle = ShortReads::new(&text[..], max);
            assert_eq!(
                positions(trickle, small(17)).as_ref(),
                Ok(&at),
                "reads of {max}"
            );
        }
        per_layout.push(finding_keys(&from_file));
    }
    // JSON Lines of the same images: the same findings (lines differ).
    let mut lines = Vec::new();
    for image in &many {
        lines.extend(serde_json::to_vec(image).expect("serialise"));
        lines.push(b'\n');
    }
    let (code, out, err) = scan_json(&["-"], Some((&lines, 65_537)));
    assert_eq!(code, 1, "{err}");
    per_layout.push(finding_keys(&out));
    assert!(per_layout.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn a_pretty_export_cut_near_every_chunk_boundary_is_an_error_inside_what_was_read() {
    let images = images_of(&read("fixtures/examples/describe-images.json"));
    let text = pretty(&repeated(&images, 2 << 20), 4);
    let end = text.trim_ascii_end().len();
    let chunk = ReadConfig::default().chunk;
    // Every byte within 4 of each chunk boundary, read as a file would be.
    let near: Vec<usize> = (1..=end / chunk)
        .flat_map(|k| k * chunk - 4..=k * chunk + 4)
        .filter(|&c| c < end)
        .collect();
    // A spread elsewhere (a stride that lands anywhere in a line), each also
    // read in 1..7-byte pieces with 64-byte chunks.
    let spread: Vec<usize> = (0..24).map(|i| (i * 88_301 + 11) % end).collect();
    for (cut, trickle) in near
        .iter()
        .map(|&c| (c, false))
        .chain(spread.iter().map(|&c| (c, true)))
    {
        let prefix = &text[..cut];
        let lines = prefix.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        let mut results = vec![("file", read_prefix(prefix, ReadConfig::default(), None))];
        if trickle {
            results.push(("trickle", read_prefix(prefix, small(64), Some(7))));
        }
        for (what, result) in results {
            let err = result.expect_err(&format!("cut at {cut} ({what}) was accepted"));
            let line: u64 = err
                .split(':')
                .nth(1)
                .and_then(|l| l.parse().ok())
                .unwrap_or_else(|| panic!("no line in {err}"));
            assert!(
                line <= lines,
                "cut at {cut} ({what}): {err} is past line {lines}"
            );
        }
    }
}

fn read_prefix(prefix: &[u8], config: ReadConfig, max: Option<u64>) -> Result<usize, String> {
    let raw: Box<dyn Read> = match max {
        Some(max) => Box::new(ShortReads::new(prefix, max)),
        None => Box::new(prefix),
    };
    positions(raw, config).map(|p| p.len())
}

#[test]
fn issue_15_a_gzip_of_whitespace_inside_an_image_is_an_error_not_gigabytes() {
    // 64 MiB of spaces inside one image, 64 KB compressed: the read stops at
    // the image limit with an error.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(b"{\"Images\": [{\"ImageId\": \"ami-1\",")
        .expect("gzip");
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&spaces).expect("gzip");
    }
    gz.write_all(b"\"Name\": \"x\"}]}").expect("gzip");
    let gz = gz.finish().expect("gzip");
    let err = positions(&gz[..], ReadConfig::default()).expect_err("too big");
    assert!(err.contains("a JSON value of more than 32 MiB"), "{err}");
}

#[test]
fn issue_15_stdin_short_first_read_still_finds_gzip() {
    let text = read("fixtures/examples/describe-images.json");
    let (code, from_file, _) = scan_json(&["fixtures/examples/describe-images.json"], None);
    let (code2, piped, err) = scan_json(&["-"], Some((&gzip(&[&text]), 1)));
    assert_eq!((code, code2), (1, 1), "{err}");
    assert_eq!(finding_keys(&piped), finding_keys(&from_file));
}

/// Preflight reads request files with the same reader as exports: a request
/// file of several MB (past every chunk boundary) gives the same findings,
/// lines included, from a file, a pipe, a trickle, gzip, and as JSON Lines
/// (lines aside).
#[test]
fn issue_17_a_several_mb_request_file_preflights_the_same_through_every_read_pattern() {
    let dir = tempfile::tempdir().expect("temp dir");
    let request: Value =
        serde_json::from_slice(&read("fixtures/requests/register-image.json")).expect("json");
    let mut requests = Vec::new();
    let mut i = 0;
    while requests.len() * 700 < 3 << 20 {
        let mut r = request.clone();
        r["Name"] = Value::from(format!("web:2024-05-01-{i}"));
        requests.push(r);
        i += 1;
    }
    let text = pretty(&requests, 4);
    // `pretty` wraps images in a page; requests are a bare array.
    let text = {
        let doc: Value = serde_json::from_slice(&text).expect("json");
        let mut out = serde_json::to_vec_pretty(&doc["Images"]).expect("json");
        out.push(b'\n');
        out
    };
    assert!(text.len() > 3 << 20, "{}", text.len());
    let file = dir.path().join("requests.json");
    std::fs::write(&file, &text).expect("write");
    let gz_file = dir.path().join("requests.json.gz");
    std::fs::write(&gz_file, gzip(&[&text])).expect("write");
    let (code, from_file, err) = json_of("preflight", &[file.to_str().expect("utf-8")], None);
    assert_eq!(code, 1, "{err}");
    let expected = located_findings(&from_file);
    assert!(
        expected.len() >= requests.len(),
        "every request has findings"
    );
    for (what, (code, out, err)) in [
        ("pipe", json_of("preflight", &["-"], Some((&text, 1 << 20)))),
        ("trickle", json_of("preflight", &["-"], Some((&text, 4093)))),
        (
            "gzip file",
            json_of("preflight", &[gz_file.to_str().expect("utf-8")], None),
        ),
        (
            "gzip pipe",
            json_of("preflight", &["-"], Some((&gzip(&[&text]), 1000))),
        ),
    ] {
        assert_eq!(code, 1, "{what}: {err}");
        assert_eq!(located_findings(&out), expected, "{what}");
    }
    let mut lines = Vec::new();
    for r in &requests {
        lines.extend(serde_json::to_vec(r).expect("serialise"));
        lines.push(b'\n');
    }
    let (code, out, err) = json_of("preflight", &["-"], Some((&lines, 65_537)));
    assert_eq!(code, 1, "{err}");
    assert_eq!(finding_keys(&out), finding_keys(&from_file), "JSON Lines");
}
