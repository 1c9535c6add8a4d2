//! The live scan's progress on stderr, never on stdout: on a terminal one
//! updating line; otherwise (a CI log) one plain line at most every 10 s,
//! and one per account finished while the organisation is small. `-q`
//! silences it. The denominator is fixed once it is known: the accounts
//! after discovery, and the scopes (accounts × regions) when the regions
//! are named (with `--all-regions` each account's count comes as it is
//! entered).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Counters a progress display can read while a live scan fetches
/// (`crate::aws` counts, this draws).
#[derive(Debug, Default)]
pub struct Progress {
    pub accounts_total: AtomicU64,
    pub accounts_done: AtomicU64,
    pub scopes_total: AtomicU64,
    pub scopes_done: AtomicU64,
    /// Scopes that failed (their error is in the report).
    pub scopes_failed: AtomicU64,
    pub images: AtomicU64,
    pub attribute_calls: AtomicU64,
    pub api_calls: AtomicU64,
}

/// A plain log line every this often when stderr is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// Organisations up to this many accounts also get a line per account done.
pub const SMALL_ORG: u64 = 50;

impl Progress {
    /// One line: `accounts 12/40, scopes 204/680, images 5230, calls 1234,
    /// errors 0, 1m 05s elapsed, about 3m 10s left`.
    pub fn line(&self, elapsed: Duration) -> String {
        let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let (scopes, total) = (load(&self.scopes_done), load(&self.scopes_total));
        let mut out = format!(
            "accounts {}/{}, scopes {scopes}/{total}, images {}, calls {}, errors {}, {} elapsed",
            load(&self.accounts_done),
            load(&self.accounts_total),
            load(&self.images),
            load(&self.api_calls),
            load(&self.scopes_failed),
            duration(elapsed),
        );
        if scopes > 0 && total > scopes {
            let left = elapsed.mul_f64((total - scopes) as f64 / scopes as f64);
            out.push_str(&format!(", about {} left", duration(left)));
        }
        out
    }
}

/// `1m 05s`, `12s`, `1h 02m`.
fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// A running display; `finish` ends it.
pub struct Display {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Starts showing `progress` on stderr (nothing when `quiet`).
pub fn start(progress: Arc<Progress>, quiet: bool) -> Display {
    let stop = Arc::new(AtomicBool::new(false));
    if quiet {
        return Display { stop, thread: None };
    }
    let flag = stop.clone();
    let thread = if std::io::stderr().is_terminal() {
        std::thread::spawn(move || on_terminal(&progress, &flag))
    } else {
        std::thread::spawn(move || in_a_log(&progress, &flag, LOG_EVERY))
    };
    Display {
        stop,
        thread: Some(thread),
    }
}

/// One updating line, every 100 ms.
fn on_terminal(progress: &Progress, stop: &AtomicBool) {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        bar.set_message(progress.line(started.elapsed()));
        bar.tick();
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

/// Plain lines: the first once the totals are known, then every `every`
/// and at each account done in a small organisation, the last when the
/// fetch ends.
fn in_a_log(progress: &Progress, stop: &AtomicBool, every: Duration) {
    let started = Instant::now();
    // The line last said: the last one is not said again when nothing moved.
    let mut said = String::new();
    let mut say = || {
        let line = progress.line(started.elapsed());
        if line != said {
            super::say(format_args!("amilint: progress: {line}"));
            said = line;
        }
    };
    let mut last: Option<Instant> = None;
    let mut accounts_seen = 0;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        let total = progress.accounts_total.load(Ordering::Relaxed);
        let accounts = progress.accounts_done.load(Ordering::Relaxed);
        let due = match last {
            None => total > 0,
            Some(at) => at.elapsed() >= every || (total <= SMALL_ORG && accounts > accounts_seen),
        };
        if due {
            say();
            last = Some(Instant::now());
            accounts_seen = accounts;
        }
    }
    if last.is_some() {
        say();
    }
}

impl Display {
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_has_a_fixed_total_and_the_time_left() {
        let p = Progress::default();
        p.accounts_total.store(40, Ordering::Relaxed);
        p.accounts_done.store(10, Ordering::Relaxed);
        p.scopes_total.store(680, Ordering::Relaxed);
        p.scopes_done.store(170, Ordering::Relaxed);
        let line = p.line(Duration::from_secs(65));
        assert_eq!(
            line,
            "accounts 10/40, scopes 170/680, images 0, calls 0, errors 0, 1m 05s elapsed, about 3m 15s left"
        );
    }
}
