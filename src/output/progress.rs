//! The live scan's progress line on stderr: scopes, images, attribute calls.
//! Shown only when stderr is a terminal; otherwise nothing at all.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Counters a progress display can read while a live scan fetches
/// (`crate::aws` counts, this draws).
#[derive(Debug, Default)]
pub struct Progress {
    pub scopes_total: AtomicU64,
    pub scopes_done: AtomicU64,
    pub images: AtomicU64,
    pub attribute_calls: AtomicU64,
    pub api_calls: AtomicU64,
}

/// A running display; `finish` clears it.
pub struct Display {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Starts drawing `progress` every 100 ms, if stderr is a terminal.
pub fn start(progress: Arc<Progress>) -> Display {
    let stop = Arc::new(AtomicBool::new(false));
    if !std::io::stderr().is_terminal() {
        return Display { stop, thread: None };
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} scopes {pos}/{len}  {msg}  [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let flag = stop.clone();
    let thread = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            bar.set_length(progress.scopes_total.load(Ordering::Relaxed));
            bar.set_position(progress.scopes_done.load(Ordering::Relaxed));
            bar.set_message(format!(
                "images {}  attribute calls {}",
                progress.images.load(Ordering::Relaxed),
                progress.attribute_calls.load(Ordering::Relaxed)
            ));
            bar.tick();
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    });
    Display {
        stop,
        thread: Some(thread),
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
