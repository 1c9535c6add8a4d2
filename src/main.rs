use std::process::ExitCode;

use amilint::status::Status;
use clap::Parser;

// glibc's allocator serialises rayon's threads on its arena locks when they
// build and free findings; mimalloc keeps a heap per thread (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = amilint::cli::Cli::parse();
    match amilint::cmd::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            // A closed pipe (`amilint scan … | head`) is not an error.
            // serde_json wraps the io::Error of a write it was making.
            let broken_pipe = err.chain().any(|e| {
                let kind = e
                    .downcast_ref::<std::io::Error>()
                    .map(std::io::Error::kind)
                    .or_else(|| {
                        e.downcast_ref::<serde_json::Error>()
                            .and_then(serde_json::Error::io_error_kind)
                    });
                kind == Some(std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return Status::Clean.into();
            }
            // Each cause once: our errors already show their source's text.
            let mut text = err.to_string();
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !text.contains(&cause) {
                    text.push_str(": ");
                    text.push_str(&cause);
                }
            }
            amilint::output::say(format_args!("error: {text}"));
            Status::Error.into()
        }
    }
}
