//! User policies written in Rhai: loaded and compiled once, run beside the
//! built-in rules, sandboxed (`engine.rs`), with helpers (`api.rs`).

mod api;
mod engine;
mod script;
pub mod testing;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use rhai::Dynamic;

pub use engine::Limits;
pub use script::{Policy, PolicyFinding, RuntimeError};

use crate::error::PolicyError;
use crate::model::Image;
use crate::rules::{BUILTIN, RuleMeta};

/// Loads every policy named by `paths` (files, or folders searched for
/// `*.rhai`, recursively, in name order). Ids and names must be unique among
/// themselves and the built-in rules.
pub fn load(
    paths: &[PathBuf],
    limits: &Limits,
    now: Timestamp,
) -> Result<Vec<Arc<Policy>>, PolicyError> {
    let mut policies: Vec<Arc<Policy>> = Vec::new();
    for file in script_files(paths)? {
        let shown = shown_path(&file);
        let policy = Policy::load(&file, &shown, limits, now)?;
        let clash = BUILTIN
            .iter()
            .copied()
            .chain(policies.iter().map(|p| p.meta))
            .find(|other| {
                other.code.eq_ignore_ascii_case(policy.meta.code) || other.name == policy.meta.name
            });
        if let Some(other) = clash {
            let which = if other.code.eq_ignore_ascii_case(policy.meta.code) {
                format!("id `{}`", policy.meta.code)
            } else {
                format!("name `{}`", policy.meta.name)
            };
            let owner = match other.script() {
                Some(script) => format!("the policy in {script}"),
                None => format!("built-in rule {}", other.code),
            };
            return Err(PolicyError::Script {
                script: shown,
                line: None,
                column: None,
                message: format!("meta(): {which} is already used by {owner}"),
            });
        }
        policies.push(Arc::new(policy));
    }
    Ok(policies)
}

/// The `.rhai` files `paths` name, folders expanded, each once.
pub fn script_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, PolicyError> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            collect_rhai(path, &mut found)?;
            if found.is_empty() {
                return Err(PolicyError::Script {
                    script: shown_path(path),
                    line: None,
                    column: None,
                    message: "no *.rhai policy in this folder".to_string(),
                });
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.canonicalize().unwrap_or_else(|_| f.clone())));
    Ok(files)
}

fn collect_rhai(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PolicyError> {
    let mut visited = std::collections::HashSet::new();
    walk_rhai(dir, out, &mut visited)
}

/// One folder of the walk. Each folder is entered once, by its canonical
/// path, so symlinks that loop back (or point at a sibling twice) end the
/// walk instead of multiplying it.
fn walk_rhai(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut std::collections::HashSet<PathBuf>,
) -> Result<(), PolicyError> {
    let io = |source| PolicyError::Io {
        path: dir.display().to_string(),
        source,
    };
    if !visited.insert(dir.canonicalize().map_err(io)?) {
        return Ok(());
    }
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        entries.push(entry.map_err(io)?.path());
    }
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk_rhai(&path, out, visited)?;
        } else if path.extension().is_some_and(|e| e == "rhai") {
            out.push(path);
        }
    }
    Ok(())
}

/// A script path as users see it: relative, `/`-separated, no `./`.
fn shown_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

/// The image as policies see it: a read-only map with exactly the keys and
/// nesting of the describe-images JSON. Built once per image, shared by all
/// policies.
pub fn image_value(image: &Image) -> Result<Dynamic, String> {
    rhai::serde::to_dynamic(image)
        .map(Dynamic::into_read_only)
        .map_err(|e| e.to_string())
}

/// Every rule the catalogue knows: built-ins, then the policies.
pub fn catalogue(policies: &[Arc<Policy>]) -> Vec<&'static RuleMeta> {
    BUILTIN
        .iter()
        .copied()
        .chain(policies.iter().map(|p| p.meta))
        .collect()
}
