//! Where reports go, and how they are put in place: complete or absent, and
//! never onto a file the user did not name as a report.
//!
//! - A regular file (or a path that does not exist yet) is written to a
//!   temporary file beside it and renamed into place at the end; a symlink is
//!   followed, and its final target replaced the same way.
//! - Anything else (`-`, a device such as `/dev/null`, a FIFO, `/dev/fd/N`,
//!   `/dev/stdout`, a process substitution) is written as a stream: it cannot
//!   be atomic, and it is never replaced.
//! - Standard output redirected to a regular file is written in place and cut
//!   back to where it started if the run fails; a pipe or terminal gets the
//!   report held (in memory, then on disk) and copied at the end.
//!
//! `commit_all` puts every report of a run in place together, only after each
//! of them was written in full.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::error::OutputError;

/// Where one report goes while the run writes it.
pub enum Target {
    File {
        out: BufWriter<File>,
        temp: tempfile::TempPath,
        /// Where the report lands (a symlink's final target).
        path: PathBuf,
    },
    Stream {
        out: BufWriter<Box<dyn Write + Send>>,
        shown: String,
    },
    InPlace {
        out: BufWriter<InPlaceFile>,
        /// Cuts the file back to where the report started unless committed.
        guard: TruncateGuard,
    },
    Spooled(BufWriter<tempfile::SpooledTempFile>),
}

/// The temporary files of reports being written. An interrupted run (Ctrl-C,
/// SIGTERM from a cancelled CI job) removes them, and cuts standard output
/// back when it was being written in place, before it exits.
static IN_PROGRESS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
static STDOUT_START: std::sync::Mutex<Option<(File, u64)>> = std::sync::Mutex::new(None);

/// Every write to standard output in place holds this lock's read side; the
/// interrupt clean-up takes the write side, and keeps it until the process
/// exits: no write lands after the file is cut back (no hole, no cut report).
static IN_PLACE_WRITES: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Standard output (a regular file) written in place, one write at a time
/// under `IN_PLACE_WRITES`.
pub struct InPlaceFile(File);

impl Write for InPlaceFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _writing = IN_PLACE_WRITES.read().unwrap_or_else(|e| e.into_inner());
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Removes what an interrupted run leaves: its temporary files, and a report
/// half-written in place on standard output (cut back to where it started,
/// and the shared file offset moved back there too, so that the next writer
/// leaves no hole). Writes in place are stopped for good: call it only on
/// the way out.
pub fn clean_up_now() {
    if let Ok(paths) = IN_PROGRESS.lock() {
        for path in paths.iter() {
            let _ = fs::remove_file(path);
        }
    }
    // Held until the process exits: a write in flight finishes first, none follows.
    std::mem::forget(IN_PLACE_WRITES.write().unwrap_or_else(|e| e.into_inner()));
    if let Ok(Some((file, start))) = STDOUT_START.lock().as_deref() {
        cut_back(file, *start);
    }
}

/// Cuts standard output back to `start` and moves its offset (shared with
/// the shell's descriptor) there: the file is as it was found.
fn cut_back(mut file: &File, start: u64) {
    let _ = file.set_len(start);
    let _ = file.seek(io::SeekFrom::Start(start));
}

/// Installs the handler that does that (once per process), exiting with
/// `Status::Interrupted`'s code.
fn clean_up_on_interrupt() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Failing to install it (another handler exists) only loses the clean-up.
        #[allow(clippy::exit)] // A signal handler has no caller to return to.
        let _ = ctrlc::set_handler(|| {
            clean_up_now();
            crate::output::say(format_args!("amilint: interrupted; no report written"));
            std::process::exit(i32::from(crate::status::Status::Interrupted.code()));
        });
    });
}

/// Cuts standard output (a regular file) back to `start` when dropped armed.
pub struct TruncateGuard {
    file: File,
    start: u64,
    armed: bool,
}

impl Drop for TruncateGuard {
    fn drop(&mut self) {
        if self.armed {
            cut_back(&self.file, self.start);
        }
        if let Ok(mut slot) = STDOUT_START.lock() {
            *slot = None;
        }
    }
}

/// How a path named as an output is written.
enum Kind {
    /// Standard output itself (`-`).
    Dash,
    /// Not a regular file: written as a stream.
    Stream,
    /// A regular file or a new one: temp file and rename, at this path.
    Replace(PathBuf),
}

fn kind(path: &Path) -> io::Result<Kind> {
    if path.as_os_str() == "-" {
        return Ok(Kind::Dash);
    }
    // `/dev/stdout`, `/dev/fd/N` and `/proc/self/fd/N` (where process
    // substitution points) link to descriptors, not to paths: opened and
    // written, never resolved or replaced. (A new file under `/dev/shm` is an
    // ordinary file.)
    if is_descriptor_path(path) {
        return Ok(Kind::Stream);
    }
    let resolved = resolve(path)?;
    match fs::metadata(&resolved) {
        Ok(meta) if meta.is_dir() => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        )),
        Ok(meta) if !meta.is_file() => Ok(Kind::Stream),
        _ => Ok(Kind::Replace(resolved)),
    }
}

/// Whether `path` names an open descriptor of this process.
fn is_descriptor_path(path: &Path) -> bool {
    let text = path.to_string_lossy();
    ["/dev/stdout", "/dev/stderr", "/dev/stdin"].contains(&text.as_ref())
        || text.starts_with("/dev/fd/")
        || (text.starts_with("/proc/") && text.contains("/fd/"))
}

/// Where writing `path` lands: symlinks followed to their final target,
/// which need not exist yet.
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&path)?;
                // An absolute target replaces the base in `join`.
                path = match path.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

impl Target {
    /// The report for the output path `path`.
    pub fn file(path: &Path) -> Result<Target, OutputError> {
        clean_up_on_interrupt();
        let err = |source| OutputError {
            path: path.to_path_buf(),
            source,
        };
        match kind(path).map_err(err)? {
            Kind::Dash => Ok(Target::Stream {
                out: BufWriter::with_capacity(1 << 16, Box::new(io::stdout())),
                shown: "stdout".to_string(),
            }),
            Kind::Stream => {
                let file = OpenOptions::new().write(true).open(path).map_err(err)?;
                Ok(Target::Stream {
                    out: BufWriter::with_capacity(1 << 16, Box::new(file)),
                    shown: path.display().to_string(),
                })
            }
            Kind::Replace(resolved) => {
                let dir = match resolved.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                if !dir.is_dir() {
                    return Err(err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("the folder `{}` does not exist", dir.display()),
                    )));
                }
                let mut builder = tempfile::Builder::new();
                builder.prefix(".amilint-");
                // A report replacing a file keeps that file's mode; a new one is
                // an ordinary file: rw for all, less the umask (not 0600).
                match fs::metadata(&resolved) {
                    Ok(meta) => {
                        builder.permissions(meta.permissions());
                    }
                    #[cfg(unix)]
                    Err(_) => {
                        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
                    }
                    #[cfg(not(unix))]
                    Err(_) => {}
                }
                let (file, temp) = builder.tempfile_in(dir).map_err(err)?.into_parts();
                if let Ok(mut paths) = IN_PROGRESS.lock() {
                    paths.push(temp.to_path_buf());
                }
                Ok(Target::File {
                    out: BufWriter::with_capacity(1 << 20, file),
                    temp,
                    path: resolved,
                })
            }
        }
    }

    /// The report on standard output.
    pub fn stdout() -> Target {
        clean_up_on_interrupt();
        if let Some(file) = stdout_file()
            && let Ok(meta) = file.metadata()
            && meta.is_file()
            && let Ok(mut out) = file.try_clone()
            && let Ok(position) = out.stream_position()
        {
            // `>>` writes at the end whatever the position says.
            let start = position.max(meta.len());
            if let Ok(mut slot) = STDOUT_START.lock()
                && let Ok(copy) = file.try_clone()
            {
                *slot = Some((copy, start));
            }
            let _ = out.seek(io::SeekFrom::Start(start));
            return Target::InPlace {
                out: BufWriter::with_capacity(1 << 20, InPlaceFile(out)),
                guard: TruncateGuard {
                    file,
                    start,
                    armed: true,
                },
            };
        }
        Target::Spooled(BufWriter::with_capacity(
            1 << 20,
            tempfile::SpooledTempFile::new(64 << 20),
        ))
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Target::File { out, .. } => out,
            Target::Stream { out, .. } => out,
            Target::InPlace { out, .. } => out,
            Target::Spooled(out) => out,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::File { path, .. } => path.display().to_string(),
            Target::Stream { shown, .. } => shown.clone(),
            Target::InPlace { .. } | Target::Spooled(_) => "stdout".to_string(),
        }
    }
}

/// Standard output as a file handle (a duplicate of descriptor 1).
#[cfg(unix)]
fn stdout_file() -> Option<File> {
    use std::os::fd::AsFd;
    io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .map(File::from)
}

#[cfg(not(unix))]
fn stdout_file() -> Option<File> {
    None
}

/// Standard input as a file handle (a duplicate of descriptor 0).
#[cfg(unix)]
fn stdin_file() -> Option<File> {
    use std::os::fd::AsFd;
    io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .ok()
        .map(File::from)
}

#[cfg(not(unix))]
fn stdin_file() -> Option<File> {
    None
}

/// A finished report, flushed, waiting to be put in place.
enum Finished {
    File(tempfile::TempPath, PathBuf),
    Spooled(tempfile::SpooledTempFile),
    Written(Option<TruncateGuard>),
}

/// Puts every report in place together, once each was written in full: the
/// flushes first (any failure leaves no report: temporary files removed,
/// standard output cut back), then standard output, then the renames.
pub fn commit_all(targets: Vec<Target>) -> Result<()> {
    let mut finished = Vec::new();
    for target in targets {
        let shown = target.describe();
        let flushed = match target {
            Target::File { out, temp, path } => out
                .into_inner()
                .map_err(|e| e.into_error())
                .map(|_| Finished::File(temp, path)),
            Target::Stream { out, .. } => out
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|mut w| w.flush())
                .map(|()| Finished::Written(None)),
            Target::InPlace { out, guard } => out
                .into_inner()
                .map_err(|e| e.into_error())
                .map(|_| Finished::Written(Some(guard))),
            Target::Spooled(out) => out
                .into_inner()
                .map_err(|e| e.into_error())
                .map(Finished::Spooled),
        };
        finished.push(flushed.with_context(|| format!("writing the report to {shown}"))?);
    }
    // Standard output next: a failure there (a full disk) leaves the files
    // uncommitted. A reader that closed the pipe wanted no more of it; the
    // files are still put in place.
    let mut closed_pipe = None;
    for f in &mut finished {
        if let Finished::Spooled(spool) = f {
            let mut stdout = io::stdout().lock();
            let copied = spool
                .rewind()
                .and_then(|()| io::copy(spool, &mut stdout))
                .and_then(|_| stdout.flush());
            match copied {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => closed_pipe = Some(e),
                other => {
                    other.context("writing the report to stdout")?;
                }
            }
        }
    }
    for f in finished {
        match f {
            Finished::File(temp, path) => {
                let temp_path = temp.to_path_buf();
                temp.persist(&path).map_err(|e| OutputError {
                    path: path.clone(),
                    source: e.error,
                })?;
                if let Ok(mut paths) = IN_PROGRESS.lock() {
                    paths.retain(|p| *p != temp_path);
                }
            }
            Finished::Written(Some(mut guard)) => guard.armed = false,
            Finished::Written(None) | Finished::Spooled(_) => {}
        }
    }
    if let Some(e) = closed_pipe {
        return Err(e).context("writing the report to stdout");
    }
    Ok(())
}

/// Writes a report to `path` (see `Target::file`): readers see the whole
/// report or none.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let mut target = Target::file(path)?;
    write(target.writer()).map_err(|source| OutputError {
        path: path.to_path_buf(),
        source,
    })?;
    commit_all(vec![target])
}

/// What identifies a regular file: its device and inode.
#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// The regular file a path names (symlinks followed), if it exists.
fn regular_file(path: &Path) -> Option<(u64, u64)> {
    fs::metadata(path)
        .ok()
        .filter(fs::Metadata::is_file)
        .map(|m| identity(&m))
}

/// Refuses, before anything is read, a run whose reports would land on one of
/// the files it reads or on each other. `outputs` are (what, path) — `-o`
/// files and `--save`; `inputs`, (what it is, path) — `the input`, `the
/// policy`…; `stdout_report`, whether a report also goes to standard output.
pub fn check_paths(
    outputs: &[(String, &Path)],
    inputs: &[(String, &Path)],
    stdin_input: bool,
    stdout_report: bool,
) -> Result<()> {
    let stdout = stdout_file()
        .and_then(|f| f.metadata().ok())
        .filter(fs::Metadata::is_file)
        .map(|m| identity(&m));
    // `-` read from a regular file (`< export.json`): that file is an input.
    let stdin = stdin_input
        .then(stdin_file)
        .flatten()
        .and_then(|f| f.metadata().ok())
        .filter(fs::Metadata::is_file)
        .map(|m| identity(&m));
    // The files written so far: who writes, where (symlinks resolved), and
    // the file's identity when it exists (hard links).
    struct Seen<'a> {
        what: &'a str,
        path: PathBuf,
        file: Option<(u64, u64)>,
    }
    let mut seen: Vec<Seen<'_>> = Vec::new();
    let mut dash = stdout_report.then_some("the --format report");
    for (what, path) in outputs {
        if path.as_os_str() == "-" {
            if let Some(other) = dash {
                bail!("{what} and {other} both go to standard output: name a file for one of them");
            }
            dash = Some(what.as_str());
            continue;
        }
        let file = regular_file(path);
        if let Some(file) = file {
            for (kind, input) in inputs {
                if regular_file(input) == Some(file) {
                    bail!(
                        "{what}: `{}` is {kind} `{}`: writing there would replace a file the run reads",
                        path.display(),
                        input.display()
                    );
                }
            }
            if stdin == Some(file) {
                bail!(
                    "{what}: `{}` is the file standard input reads: writing there would replace what is scanned",
                    path.display()
                );
            }
            if stdout_report && stdout == Some(file) {
                bail!(
                    "{what}: `{}` is also where standard output goes: one report would replace the other",
                    path.display()
                );
            }
        }
        // Streams (devices, FIFOs, descriptors) may take several reports.
        let Ok(Kind::Replace(resolved)) = kind(path) else {
            continue;
        };
        let absolute = std::path::absolute(&resolved).unwrap_or(resolved);
        if let Some(other) = seen
            .iter()
            .find(|s| s.path == absolute || (file.is_some() && s.file == file))
        {
            bail!(
                "{what} and {} both name `{}`: one would replace the other",
                other.what,
                path.display()
            );
        }
        seen.push(Seen {
            what: what.as_str(),
            path: absolute,
            file,
        });
    }
    if stdout_report && let Some(stdout) = stdout {
        for (kind, input) in inputs {
            if regular_file(input) == Some(stdout) {
                bail!(
                    "standard output is {kind} `{}`: the report would replace a file the run reads",
                    input.display()
                );
            }
        }
    }
    Ok(())
}
