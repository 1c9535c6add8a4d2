//! Issue 33: the layering of docs/ARCHITECTURE.md, kept. Every top-level
//! module is in the table; a module uses (`crate::…`, comments aside) only
//! modules of lower layers; no source file is over 600 lines (its
//! `#[cfg(test)]` tests apart).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const MAX_LINES: usize = 600;

/// The table: module → layer.
fn layers() -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(format!("{ROOT}/docs/ARCHITECTURE.md")).expect("doc");
    let mut layers = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(layer) = cells.get(1).and_then(|c| c.parse::<usize>().ok()) else {
            continue;
        };
        for module in cells[2].split(',') {
            let module = module.trim().trim_matches('`');
            assert!(
                layers.insert(module.to_string(), layer).is_none(),
                "{module} is listed twice"
            );
        }
    }
    layers
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The file's code without its tests and comments: up to an inline
/// `#[cfg(test)] mod … {` (the tests at a file's end), without a
/// `#[cfg(test)] mod tests;` line (tests in a file of their own), and without
/// `//` comments (string literals holding `//` are rare and never hold
/// `crate::`).
fn code(text: &str) -> Vec<&str> {
    let mut code = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() == "#[cfg(test)]" {
            let next = lines.peek().map_or("", |l| l.trim());
            if next.starts_with("mod ") && next.ends_with(';') {
                lines.next();
                continue;
            }
            if next.starts_with("mod ") {
                break;
            }
        }
        code.push(line.split("//").next().unwrap_or(""));
    }
    code
}

/// The top-level modules code names: `crate::x` and `crate::{x, y::{…}}`
/// (a group may span lines, as rustfmt writes long ones).
fn named(code: &str, into: &mut BTreeSet<String>) {
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            into.insert(word(rest));
            continue;
        };
        // The group's items at its top level, up to its closing brace.
        let (mut depth, mut start) = (0usize, 0usize);
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    into.insert(word(&group[start..i]));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    into.insert(word(&group[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
    }
    into.remove("");
    into.remove("self");
}

/// The identifier `text` starts with, after white space.
fn word(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn every_module_uses_only_lower_layers_and_no_file_is_over_600_lines() {
    let layers = layers();
    let src = Path::new(ROOT).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let declared: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect();
    let listed: BTreeSet<String> = layers.keys().cloned().collect();
    assert_eq!(declared, listed, "src/lib.rs's modules and the table's");

    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut long = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|c| c.trim_end_matches(".rs").to_string())
            .expect("a name");
        let text = std::fs::read_to_string(file).expect("read");
        let lines = code(&text);
        // Test modules in files of their own (`tests.rs`) are tests.
        if rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        if lines.len() > MAX_LINES {
            long.push(format!("{} ({} lines)", rel.display(), lines.len()));
        }
        let Some(&own) = layers.get(&top) else {
            continue; // main.rs and lib.rs: above every layer
        };
        let mut uses = BTreeSet::new();
        named(&lines.join("\n"), &mut uses);
        for used in uses.iter().filter(|u| **u != top) {
            // `crate::ptr!` and other exported macros are the crate's own.
            let Some(&layer) = layers.get(used) else {
                continue;
            };
            if layer >= own {
                wrong.push(format!(
                    "src/{}: {top} (layer {own}) uses {used} (layer {layer})",
                    rel.display()
                ));
            }
        }
    }
    assert!(files.len() > 50, "{} files", files.len());
    assert_eq!(
        wrong,
        Vec::<String>::new(),
        "uses against docs/ARCHITECTURE.md"
    );
    assert_eq!(long, Vec::<String>::new(), "files over {MAX_LINES} lines");
}

/// The checks above catch what they should: a use upward, a peer's, and
/// a module the table does not list.
#[test]
fn the_layer_check_reads_uses_as_written() {
    let mut found = BTreeSet::new();
    named(
        "use crate::{\n    finding::Report,\n    output::{self, Format},\n    self,\n};\nlet x = crate::plan::f();",
        &mut found,
    );
    let expected: BTreeSet<String> = ["finding", "output", "plan"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
    let lines = code(
        "use crate::a; // crate::b\n/// crate::c\n#[cfg(test)]\nmod tests;\nuse crate::e;\n\
         #[cfg(test)]\nmod tests {\nuse crate::d;\n}",
    );
    let mut found = BTreeSet::new();
    named(&lines.join("\n"), &mut found);
    assert_eq!(found, BTreeSet::from(["a".to_string(), "e".to_string()]));
    assert_eq!(layers().get("error"), Some(&0));
    assert!(layers()["cmd"] > layers()["engine"]);
}
