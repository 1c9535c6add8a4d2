//! The one sandbox every policy runs in. Rhai is unlimited by default; this
//! factory sets every limit, and nothing else creates an `Engine`.

use std::cell::Cell;
use std::time::{Duration, Instant};

use rhai::{Dynamic, Engine, EvalAltResult, Position};

/// The sandbox's limits. Every one is on by default; `--policy-*` flags
/// change them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Rhai operations per call of `check` (or `meta`).
    pub max_operations: u64,
    /// Wall-clock time per call.
    pub timeout: Duration,
    /// Nesting of function calls (recursion).
    pub max_call_depth: usize,
    /// Bytes in one string (a collection counts the strings inside it).
    pub max_string_size: usize,
    /// Elements in one array (nested arrays count too).
    pub max_array_size: usize,
    /// Properties in one object map (nested maps count too).
    pub max_map_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 1_000_000,
            timeout: Duration::from_secs(1),
            max_call_depth: 32,
            max_string_size: 1 << 20,
            max_array_size: 100_000,
            max_map_size: 10_000,
        }
    }
}

thread_local! {
    /// When the call running on this thread must stop (see `with_deadline`).
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Why the call running on this thread was stopped, if it was: Rhai's
    /// `sort` (and other natives calling back into the script) swallow the
    /// error a limit raises, so the limit is remembered here as well.
    static STOPPED: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// How many operations pass between two looks at the clock.
const CLOCK_EVERY: u64 = 1024;

/// Runs `call` with the wall-clock limit armed for this thread. A call that
/// hit a limit is an error even when a native function swallowed it and the
/// script went on to return a value.
pub(super) fn with_deadline<T>(
    timeout: Duration,
    call: impl FnOnce() -> Result<T, Box<EvalAltResult>>,
) -> Result<T, Box<EvalAltResult>> {
    let previous = DEADLINE.replace(Some(Instant::now() + timeout));
    let previous_stop = STOPPED.replace(None);
    let out = call();
    let stopped = STOPPED.replace(previous_stop);
    DEADLINE.set(previous);
    match (out, stopped) {
        (Ok(_), Some(token)) => Err(Box::new(EvalAltResult::ErrorTerminated(
            Dynamic::from(token),
            Position::NONE,
        ))),
        (out, _) => out,
    }
}

/// The value `on_progress` stops a script with when its time is up.
pub(super) const TIMEOUT_TOKEN: &str = "amilint: wall-clock limit";

/// The value `on_progress` stops a script with when its operations are spent.
pub(super) const OPERATIONS_TOKEN: &str = "amilint: operations budget";

fn stop(token: &'static str) -> Option<Dynamic> {
    STOPPED.set(Some(token));
    Some(Dynamic::from(token))
}

/// A sandboxed engine for the policy called `name`: limits set, no modules,
/// no `import` or `eval`, strict variables, `print`/`debug` to stderr with the name.
// What a policy prints (`print`, `debug`) goes to stderr from inside the
// sandbox: the policy layer sits below the emitters' `output::say`.
#[allow(clippy::print_stderr)]
pub(super) fn engine(name: &str, limits: &Limits) -> Engine {
    let mut engine = Engine::new();
    engine
        // Counted in `on_progress` below, so that a swallowed stop is seen.
        .set_max_operations(0)
        .set_max_call_levels(limits.max_call_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_expr_depths(64, 32)
        .set_max_modules(0)
        .set_max_strings_interned(0)
        .set_strict_variables(true)
        .set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.disable_symbol("import");
    engine.disable_symbol("export");
    let max_operations = limits.max_operations;
    engine.on_progress(move |ops| {
        if ops > max_operations {
            return stop(OPERATIONS_TOKEN);
        }
        if ops % CLOCK_EVERY != 0 {
            return None;
        }
        match DEADLINE.get() {
            Some(deadline) if Instant::now() >= deadline => stop(TIMEOUT_TOKEN),
            _ => None,
        }
    });
    let print_name = name.to_string();
    // Each line of what a policy prints carries its prefix: image text in it
    // cannot start a line of its own, nor form a workflow command.
    engine.on_print(move |text| {
        for line in crate::untrusted::lines(text) {
            eprintln!("[policy {print_name}] {line}");
        }
    });
    let debug_name = name.to_string();
    engine.on_debug(move |text, _, pos| {
        let at = match pos.line() {
            Some(line) => format!("{debug_name}:{line}"),
            None => debug_name.clone(),
        };
        for line in crate::untrusted::lines(text) {
            eprintln!("[policy {at}] {line}");
        }
    });
    engine
}
