use std::process::ExitCode;

use clap::Parser;

// glibc's allocator serialises rayon's threads on its arena locks when they
// build and free findings; mimalloc keeps a heap per thread (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = amilint::cli::Cli::parse();
    match amilint::app::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`amilint scan … | head`) is not an error.
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
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
            eprintln!("error: {text}");
            ExitCode::from(2)
        }
    }
}
