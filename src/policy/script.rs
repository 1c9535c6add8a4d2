//! One policy: load and compile a script once, read its `meta()`, run its
//! `check(image)`.

use std::fmt;
use std::path::Path;

use jiff::Timestamp;
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, Position, Scope};
use serde::Deserialize;

use super::engine::{self, Limits, OPERATIONS_TOKEN, TIMEOUT_TOKEN, with_deadline};
use crate::error::PolicyError;
use crate::model::Pointer;
use crate::rules::{Origin, RuleMeta, Severity};

/// The largest script amilint compiles (256 KiB): a policy is a page of code,
/// and compile time grows with size.
pub(super) const MAX_SCRIPT_BYTES: usize = 256 * 1024;

/// A compiled policy, ready to run on any number of images, from any thread.
pub struct Policy {
    pub meta: &'static RuleMeta,
    engine: Engine,
    ast: AST,
    limits: Limits,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("code", &self.meta.code)
            .field("script", &self.meta.script())
            .finish()
    }
}

/// A finding as a policy returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFinding {
    pub message: String,
    pub pointer: Pointer,
    pub severity: Option<Severity>,
    /// What in the image the finding is about, when the policy names it
    /// (`key`): its fingerprint then rests on it, not on the message.
    pub key: Option<String>,
}

/// `check` failed on one image: a script error, a broken limit, or a return
/// value that is not a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeError {
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub message: String,
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, "{l}:{c}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// `meta()` as a script writes it. Unknown keys are an error (a typo in
/// `severity` must not pass silently).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: String,
    name: String,
    severity: String,
    summary: String,
    #[serde(default)]
    help: String,
    /// Runs only on images the scan counts as owned (as the built-in
    /// owner-only rules).
    #[serde(default)]
    owner_only: bool,
    /// Controls the policy helps meet: `#{framework, control, title, source}`.
    #[serde(default)]
    compliance: Vec<RawControl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    framework: String,
    control: String,
    title: String,
    source: String,
}

/// A finding as a map: `#{ message, pointer, severity, key }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFinding {
    message: String,
    #[serde(default)]
    pointer: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    key: Option<String>,
}

impl Policy {
    /// Reads, compiles and validates the script at `path` (shown as `shown`).
    pub fn load(
        path: &Path,
        shown: &str,
        limits: &Limits,
        now: Timestamp,
    ) -> Result<Self, PolicyError> {
        // Read a little past the limit, so that `compile` says by how much.
        let text =
            crate::input::read_text(path, 4 * MAX_SCRIPT_BYTES as u64).map_err(|source| {
                PolicyError::Io {
                    path: shown.to_string(),
                    source,
                }
            })?;
        Self::compile(&text, shown, limits, now)
    }

    /// Compiles and validates script text (named `shown` in errors).
    pub fn compile(
        text: &str,
        shown: &str,
        limits: &Limits,
        now: Timestamp,
    ) -> Result<Self, PolicyError> {
        let fail = |line, column, message: String| PolicyError::Script {
            script: shown.to_string(),
            line,
            column,
            message,
        };
        // Compiling is not covered by the per-call limits: bound its input.
        if text.len() > MAX_SCRIPT_BYTES {
            return Err(fail(
                None,
                None,
                format!(
                    "the script is {} bytes; a policy may have at most {MAX_SCRIPT_BYTES}",
                    text.len()
                ),
            ));
        }
        let mut engine = engine::engine(shown, limits);
        super::api::register(&mut engine, now);
        let syntax = |e: rhai::ParseError| {
            let (line, column) = position(e.position());
            fail(line, column, format!("syntax error: {}", e.err_type()))
        };
        // Top-level `const`s, seen by name inside `meta` and `check` (Rhai's
        // functions see no outer scope): the script's top level runs once,
        // here (variables unchecked), and its constants become a global
        // module's; then the script compiles with strict variables.
        engine.set_strict_variables(false);
        let top = engine.compile(text).map_err(syntax)?;
        let mut scope = Scope::new();
        with_deadline(limits.timeout, || {
            engine.run_ast_with_scope(&mut scope, &top)
        })
        .map_err(|e| {
            let e = runtime_error(&e, limits);
            fail(
                e.line,
                e.column,
                format!("the script's top level failed: {}", e.message),
            )
        })?;
        let mut constants = rhai::Module::new();
        let mut known = Scope::new();
        for (name, constant, value) in scope.iter() {
            if constant {
                constants.set_var(name, value.clone());
                known.push_constant(name, value);
            }
        }
        engine.register_global_module(constants.into());
        engine.set_strict_variables(true);
        let mut ast = engine.compile_with_scope(&known, text).map_err(syntax)?;
        ast.set_source(shown);
        for (name, arity) in [("meta", 0), ("check", 1)] {
            if !ast
                .iter_functions()
                .any(|f| f.name == name && f.params.len() == arity)
            {
                let params = if arity == 0 { "()" } else { "(image)" };
                return Err(fail(
                    None,
                    None,
                    format!("a policy must define `fn {name}{params}`"),
                ));
            }
        }

        let value = with_deadline(limits.timeout, || {
            engine.call_fn_with_options::<Dynamic>(options(), &mut Scope::new(), &ast, "meta", ())
        })
        .map_err(|e| {
            let e = runtime_error(&e, limits);
            fail(e.line, e.column, format!("meta() failed: {}", e.message))
        })?;
        let raw: RawMeta = rhai::serde::from_dynamic(&value).map_err(|e| {
            fail(None, None, format!("meta() must return a map with id, name, severity, summary and optional help: {}", strip_position(&e)))
        })?;
        let meta = validate(raw, shown).map_err(|m| fail(None, None, format!("meta(): {m}")))?;
        Ok(Policy {
            meta,
            engine,
            ast,
            limits: limits.clone(),
        })
    }

    /// Runs `check(image)`. `image` is the read-only map from `super::image_value`.
    pub fn check(&self, image: &Dynamic) -> Result<Vec<PolicyFinding>, RuntimeError> {
        let value = with_deadline(self.limits.timeout, || {
            self.engine.call_fn_with_options::<Dynamic>(
                options(),
                &mut Scope::new(),
                &self.ast,
                "check",
                (image.clone(),),
            )
        })
        .map_err(|e| runtime_error(&e, &self.limits))?;
        findings(value).map_err(|message| RuntimeError {
            line: None,
            column: None,
            message,
        })
    }
}

/// Call a function without re-running the script's top-level statements.
fn options() -> CallFnOptions<'static> {
    CallFnOptions::new().eval_ast(false).rewind_scope(true)
}

fn position(pos: Position) -> (Option<u64>, Option<u64>) {
    (
        pos.line().map(|l| l as u64),
        pos.position().map(|c| c as u64),
    )
}

/// A Rhai error's message without the " (line 3, position 5)" it appends.
fn strip_position(err: &EvalAltResult) -> String {
    let text = err.to_string();
    // serde errors from `from_dynamic` come dressed as parse errors.
    let text = text
        .strip_prefix("Syntax error: ")
        .map_or(text.clone(), str::to_string);
    match text.rfind(" (line ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    }
}

fn operations(limits: &Limits) -> String {
    format!(
        "exceeded the operations budget of {} (--policy-max-operations)",
        limits.max_operations
    )
}

/// The innermost error (where the script actually failed), in words a policy
/// author can act on.
fn runtime_error(err: &EvalAltResult, limits: &Limits) -> RuntimeError {
    let inner = err.unwrap_inner();
    let (line, column) = position(innermost_position(err));
    let message = match inner {
        EvalAltResult::ErrorTerminated(token, _) if token.to_string() == TIMEOUT_TOKEN => {
            format!(
                "exceeded the wall-clock limit of {} ms (--policy-timeout-ms)",
                limits.timeout.as_millis()
            )
        }
        EvalAltResult::ErrorTooManyOperations(_) => operations(limits),
        EvalAltResult::ErrorTerminated(token, _) if token.to_string() == OPERATIONS_TOKEN => {
            operations(limits)
        }
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "exceeded the call depth of {} (--policy-max-call-depth)",
            limits.max_call_depth
        ),
        EvalAltResult::ErrorRuntime(value, _) => match value.clone().into_immutable_string() {
            Ok(text) => text.to_string(),
            Err(_) => format!("thrown: {value}"),
        },
        other => strip_position(other),
    };
    RuntimeError {
        line,
        column,
        message,
    }
}

/// The deepest known position: where the failing statement is, else the
/// innermost call that led to it.
fn innermost_position(err: &EvalAltResult) -> Position {
    let mut best = Position::NONE;
    let mut current = err;
    loop {
        if !current.position().is_none() {
            best = current.position();
        }
        match current {
            EvalAltResult::ErrorInFunctionCall(.., inner, _)
            | EvalAltResult::ErrorInModule(.., inner, _) => current = inner,
            _ => return best,
        }
    }
}

/// Turns what `check` returned into findings: `()`, a string, a map, or an
/// array of strings and maps.
/// The most findings one `check(image)` may return: what a policy returns is
/// held for the whole batch, so the sandbox bounds it like a call.
pub(super) const MAX_FINDINGS_PER_CALL: usize = 100;

/// The longest finding message kept (longer ones are cut, marked `…`).
const MAX_MESSAGE_BYTES: usize = 4096;

/// The longest `key` a policy may give a finding.
const MAX_KEY_BYTES: usize = 256;

fn findings(value: Dynamic) -> Result<Vec<PolicyFinding>, String> {
    if value.is_unit() {
        return Ok(Vec::new());
    }
    if value.is_array() {
        let items = value.into_array().map_err(|t| t.to_string())?;
        if items.len() > MAX_FINDINGS_PER_CALL {
            return Err(format!(
                "check() returned {} findings for one image (at most {MAX_FINDINGS_PER_CALL})",
                items.len()
            ));
        }
        return items.into_iter().map(one_finding).collect();
    }
    Ok(vec![one_finding(value)?])
}

fn one_finding(value: Dynamic) -> Result<PolicyFinding, String> {
    if value.is_string() {
        let message = value.into_immutable_string().map_err(|t| t.to_string())?;
        return Ok(PolicyFinding {
            message: cut(message.to_string()),
            pointer: Pointer::root(),
            severity: None,
            key: None,
        });
    }
    if !value.is_map() {
        return Err(format!(
            "check() returned {} where a finding was expected: return (), a string, a map with `message`, or an array of those",
            value.type_name()
        ));
    }
    let raw: RawFinding = rhai::serde::from_dynamic(&value).map_err(|e| {
        format!(
            "check() returned a map that is not a finding (keys: message, pointer, severity, key): {}",
            strip_position(&e)
        )
    })?;
    let pointer = match raw.pointer {
        None => Pointer::root(),
        Some(p) => Pointer::parse(&p).ok_or_else(|| {
            format!("check(): `{p}` is not a JSON pointer (it must be empty or start with `/`)")
        })?,
    };
    let severity = raw
        .severity
        .map(|s| s.parse::<Severity>())
        .transpose()
        .map_err(|e| format!("check(): {e}"))?;
    if raw
        .key
        .as_ref()
        .is_some_and(|k| k.is_empty() || k.len() > MAX_KEY_BYTES)
    {
        return Err(format!(
            "check(): `key` must be 1 to {MAX_KEY_BYTES} bytes of text"
        ));
    }
    Ok(PolicyFinding {
        message: cut(raw.message),
        pointer,
        severity,
        key: raw.key,
    })
}

/// `message`, cut to `MAX_MESSAGE_BYTES` on a character boundary.
fn cut(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_BYTES {
        let mut at = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(at) {
            at -= 1;
        }
        message.truncate(at);
        message.push('…');
    }
    message
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Checks `meta()` and turns it into a `RuleMeta` that lives for the rest of
/// the process (policies are loaded once per run, so leaking is bounded).
fn validate(raw: RawMeta, script: &str) -> Result<&'static RuleMeta, String> {
    let id = raw.id.trim();
    if id.is_empty()
        || !id.starts_with(|c: char| c.is_ascii_alphabetic())
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "id `{}` must start with a letter and use only letters, digits, `-` and `_` (e.g. ORG001)",
            raw.id
        ));
    }
    if id.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("AMI")) {
        return Err(format!(
            "id `{id}` uses the `AMI` prefix, which belongs to built-in rules; choose your own (e.g. ORG001)"
        ));
    }
    if !is_kebab(&raw.name) {
        return Err(format!(
            "name `{}` must be kebab-case (lower-case words joined by `-`, e.g. prod-needs-owner)",
            raw.name
        ));
    }
    let severity: Severity = raw.severity.parse()?;
    let summary = raw.summary.trim();
    if summary.is_empty() || summary.contains('\n') {
        return Err("summary must be one non-empty line".to_string());
    }
    let mut compliance = Vec::new();
    for c in &raw.compliance {
        let framework =
            crate::rules::compliance::Framework::find(&c.framework).ok_or_else(|| {
                let ids: Vec<&str> = crate::rules::compliance::Framework::ALL
                    .iter()
                    .map(|f| f.id())
                    .collect();
                format!(
                    "compliance: unknown framework `{}`: one of {}",
                    c.framework,
                    ids.join(", ")
                )
            })?;
        if [&c.control, &c.title, &c.source]
            .iter()
            .any(|t| t.trim().is_empty())
        {
            return Err("compliance: each control needs control, title and source".to_string());
        }
        compliance.push(crate::rules::compliance::Control {
            framework,
            id: leak(c.control.trim()),
            title: leak(c.title.trim()),
            source: leak(c.source.trim()),
            // The policy's author states what it judges.
            covers: crate::rules::compliance::Covers::Scope,
        });
    }
    let compliance: &'static [crate::rules::compliance::Control] =
        Box::leak(compliance.into_boxed_slice());
    let meta = RuleMeta {
        code: leak(id),
        name: leak(&raw.name),
        severity,
        default_enabled: true,
        needs: crate::rules::Needs::Nothing,
        options: None,
        summary: leak(summary),
        docs: leak(raw.help.trim()),
        origin: Origin::Policy {
            script: leak(script),
        },
        subject: crate::rules::Subject::Image,
        owner_only: raw.owner_only,
        requires_options: false,
        compliance,
    };
    Ok(Box::leak(Box::new(meta)))
}

fn leak(text: &str) -> &'static str {
    Box::leak(text.to_string().into_boxed_str())
}
