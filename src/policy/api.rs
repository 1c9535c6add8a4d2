//! The helpers every policy can call, besides Rhai's standard library.
//!
//! `has_tag(image, key)`, `tag(image, key)`, `now()`, `parse_time(text)`,
//! `days_since(text)`, `glob(pattern, text)`, `regex(pattern, text)`; and
//! `sort`/`sort_by`/`dedup` with a closure, which stop the policy on an error
//! in the closure (Rhai's own swallow it and give a wrong answer).
//! Helpers that take text accept `()` (an absent field) and treat it as
//! "no match" / `()`, so a policy can pass `image.Name` without checking it.

use std::cell::RefCell;
use std::collections::HashMap;

use globset::GlobMatcher;
use jiff::Timestamp;
use regex::Regex;
use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, INT, Map, NativeCallContext, Position};

use crate::rules::{days_between, parse_time};

/// Compiled patterns are cached per thread; a policy that builds endless
/// distinct patterns only empties the cache, never grows it without bound
/// (at most this many patterns of at most `pattern::MAX_REGEX_BYTES` each).
const CACHE_LIMIT: usize = 64;

thread_local! {
    static REGEXES: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
    static GLOBS: RefCell<HashMap<String, GlobMatcher>> = RefCell::new(HashMap::new());
}

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// Runs `use_it` on the compiled form of `pattern`, building and caching it
/// on first use. The compiled value is borrowed, never cloned: a cloned
/// `Regex` starts with a cold match cache.
fn with_cached<T, R>(
    cache: &'static std::thread::LocalKey<RefCell<HashMap<String, T>>>,
    pattern: &str,
    build: impl FnOnce(&str) -> Result<T, String>,
    use_it: impl FnOnce(&T) -> R,
) -> RhaiResult<R> {
    cache.with(|cell| {
        let mut map = cell.borrow_mut();
        if !map.contains_key(pattern) {
            let built = build(pattern).map_err(runtime)?;
            if map.len() >= CACHE_LIMIT {
                map.clear();
            }
            map.insert(pattern.to_string(), built);
        }
        let compiled = map.get(pattern).expect("invariant: inserted above");
        Ok(use_it(compiled))
    })
}

fn runtime(message: String) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(message.into(), Position::NONE))
}

/// The value of tag `key` in an image map's `Tags` array.
fn tag_value(image: &Map, key: &str) -> Option<Dynamic> {
    let tags = image.get("Tags")?.read_lock::<rhai::Array>()?.clone();
    tags.iter().find_map(|tag| {
        let tag = tag.read_lock::<Map>()?;
        let k = tag.get("Key")?.clone().into_immutable_string().ok()?;
        (k == key).then(|| tag.get("Value").cloned().unwrap_or(Dynamic::UNIT))
    })
}

/// The text of an optional string argument (`()` and non-strings are absent).
fn text_of(value: &Dynamic) -> Option<String> {
    value
        .clone()
        .into_immutable_string()
        .ok()
        .map(|s| s.to_string())
}

/// `sort(array, comparer)` / `sort_by`: Rhai's own swallows an error in the
/// comparer and sorts on (a silent wrong order); this one stops the policy
/// with it. The comparer returns an integer (<0, 0, >0) or a boolean
/// (true: the first comes first), as in Rhai.
fn sort_by(ctx: NativeCallContext, array: &mut Array, comparer: FnPtr) -> RhaiResult<()> {
    use std::cmp::Ordering;
    if array.len() <= 1 {
        return Ok(());
    }
    let mut failed: Option<Box<EvalAltResult>> = None;
    let mut sorted = array.clone();
    let sort = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sorted.sort_by(|x, y| {
            if failed.is_some() {
                return Ordering::Equal;
            }
            let order = comparer
                .call_raw(&ctx, None, [x.clone(), y.clone()])
                .and_then(|v| {
                    v.as_int()
                        .map(|n| n.cmp(&0))
                        .or_else(|_| v.as_bool().map(|first| if first { Ordering::Less } else { Ordering::Greater }))
                        .map_err(|got| {
                            runtime(format!(
                                "sort(): the comparer must return an integer or a boolean, not {got}"
                            ))
                        })
                });
            order.unwrap_or_else(|e| {
                failed = Some(e);
                Ordering::Equal
            })
        });
    }));
    if let Some(e) = failed {
        return Err(e);
    }
    if sort.is_err() {
        return Err(runtime(
            "sort(): the comparer is not a total order".to_string(),
        ));
    }
    *array = sorted;
    Ok(())
}

/// `dedup(array, comparer)`: Rhai's own takes an error in the comparer for
/// "not equal"; this one stops the policy with it. The comparer returns a
/// boolean (true: the two are duplicates).
fn dedup_by(ctx: NativeCallContext, array: &mut Array, comparer: FnPtr) -> RhaiResult<()> {
    let mut kept: Array = Vec::with_capacity(array.len());
    for item in array.drain(..) {
        if let Some(last) = kept.last() {
            let same = comparer.call_raw(&ctx, None, [last.clone(), item.clone()])?;
            let same = same.as_bool().map_err(|got| {
                runtime(format!(
                    "dedup(): the comparer must return a boolean, not {got}"
                ))
            })?;
            if same {
                continue;
            }
        }
        kept.push(item);
    }
    *array = kept;
    Ok(())
}

/// Registers the helpers; `now` is the scan's "now".
pub(super) fn register(engine: &mut Engine, now: Timestamp) {
    engine.register_fn("sort", sort_by);
    engine.register_fn("sort_by", sort_by);
    engine.register_fn("dedup", dedup_by);
    engine.register_fn("has_tag", |image: &mut Map, key: &str| {
        tag_value(image, key).is_some()
    });
    engine.register_fn("tag", |image: &mut Map, key: &str| {
        tag_value(image, key).unwrap_or(Dynamic::UNIT)
    });
    let now_secs: INT = now.as_second();
    engine.register_fn("now", move || now_secs);
    engine.register_fn("parse_time", |text: Dynamic| -> Dynamic {
        match parse_time(text_of(&text).as_deref()) {
            Some(t) => Dynamic::from_int(t.as_second()),
            None => Dynamic::UNIT,
        }
    });
    engine.register_fn("days_since", move |text: Dynamic| -> Dynamic {
        match parse_time(text_of(&text).as_deref()) {
            Some(t) => Dynamic::from_int(days_between(t, now)),
            None => Dynamic::UNIT,
        }
    });
    engine.register_fn("days_until", move |text: Dynamic| -> Dynamic {
        match parse_time(text_of(&text).as_deref()) {
            Some(t) => Dynamic::from_int(days_between(now, t)),
            None => Dynamic::UNIT,
        }
    });
    engine.register_fn("glob", |pattern: &str, text: Dynamic| -> RhaiResult<bool> {
        let Some(text) = text_of(&text) else {
            return Ok(false);
        };
        with_cached(
            &GLOBS,
            pattern,
            |p| crate::pattern::glob(p).map_err(|e| format!("glob(): {e}")),
            |matcher| matcher.is_match(&text),
        )
    });
    engine.register_fn(
        "regex",
        |pattern: &str, text: Dynamic| -> RhaiResult<bool> {
            let Some(text) = text_of(&text) else {
                return Ok(false);
            };
            with_cached(
                &REGEXES,
                pattern,
                |p| crate::pattern::regex(p).map_err(|e| format!("regex(): {e}")),
                |re| re.is_match(&text),
            )
        },
    );
}
