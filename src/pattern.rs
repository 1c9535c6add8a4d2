//! Globs and regexes from other people's text (policies, `amilint.toml`),
//! built with bounds: a pattern is at most `MAX_PATTERN_BYTES` long, a glob
//! nests braces at most `MAX_BRACE_DEPTH` deep (globset recurses, and panics,
//! on deep nesting), and a compiled regex is at most `MAX_REGEX_BYTES`.
//! Errors quote at most the first 60 characters of the pattern.

use globset::{Glob, GlobMatcher};
use regex::{Regex, RegexBuilder};

/// The longest pattern accepted.
pub const MAX_PATTERN_BYTES: usize = 4096;
/// The deepest `{a,{b,c}}` nesting of a glob.
pub const MAX_BRACE_DEPTH: usize = 8;
/// The most memory one compiled regex (and its lazy DFA) may take.
pub const MAX_REGEX_BYTES: usize = 1 << 20;

/// `text` with each run of digits as one `#` (`web-2025-01-05` →
/// `web-#-#-#`): a message's template for its fingerprint, an image name's
/// family.
pub fn digits_as_hash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

/// The pattern as errors show it: its first 60 characters, escaped.
pub fn shown(pattern: &str) -> String {
    let mut text: String = pattern.chars().take(60).collect();
    if text.len() < pattern.len() {
        text.push('…');
    }
    format!("{text:?}")
}

fn check_length(pattern: &str) -> Result<(), String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "pattern {} is {} bytes long (at most {MAX_PATTERN_BYTES})",
            shown(pattern),
            pattern.len()
        ));
    }
    Ok(())
}

/// Compiles a glob (`*`, `?`, `[...]`, `{a,b}`).
pub fn glob(pattern: &str) -> Result<GlobMatcher, String> {
    check_length(pattern)?;
    let mut depth = 0usize;
    let mut escaped = false;
    for c in pattern.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '{' => {
                depth += 1;
                if depth > MAX_BRACE_DEPTH {
                    return Err(format!(
                        "glob {} nests braces more than {MAX_BRACE_DEPTH} deep",
                        shown(pattern)
                    ));
                }
            }
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // Whatever the check above misses, a panic in globset is an error here.
    let built = std::panic::catch_unwind(|| Glob::new(pattern).map(|g| g.compile_matcher()));
    match built {
        Ok(Ok(matcher)) => Ok(matcher),
        Ok(Err(e)) => Err(format!("invalid glob {}: {}", shown(pattern), e.kind())),
        Err(_) => Err(format!("invalid glob {}", shown(pattern))),
    }
}

/// Compiles a regex, within the size bound.
pub fn regex(pattern: &str) -> Result<Regex, String> {
    check_length(pattern)?;
    RegexBuilder::new(pattern)
        .size_limit(MAX_REGEX_BYTES)
        .dfa_size_limit(MAX_REGEX_BYTES)
        .build()
        .map_err(|e| {
            // The regex crate draws a caret under the error over several
            // lines; its last line says what is wrong.
            let text = e.to_string();
            let why = text.lines().last().unwrap_or_default();
            let why = why.strip_prefix("error: ").unwrap_or(why);
            format!("invalid regex {}: {why}", shown(pattern))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_15_deeply_nested_globs_are_errors_not_panics() {
        let deep = format!("{}a{}", "{".repeat(400), "}".repeat(400));
        assert!(glob(&deep).expect_err("deep").contains("nests braces"));
        let unbalanced = "{".repeat(300);
        assert!(glob(&unbalanced).is_err());
        assert!(glob("app-{web,{api,worker}}-*").is_ok());
    }

    #[test]
    fn issue_15_huge_regexes_are_errors_with_a_short_message() {
        let big = "a".repeat(1 << 20);
        let err = regex(&big).expect_err("long");
        assert!(err.len() < 200, "{err}");
        let err = regex("(\\w{100}){100}").expect_err("compiled size");
        assert!(err.contains("invalid regex"), "{err}");
        assert!(regex("^ami-[0-9a-f]+$").is_ok());
    }
}
