use std::process::ExitCode;

use clap::Parser;

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
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
