//! Generates the man page (`amilint.1`) from the CLI definition at build
//! time; `amilint man` prints it.

#[path = "src/cli.rs"]
#[allow(dead_code)]
mod cli;

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=src/cli.rs");
    let Some(out) = std::env::var_os("OUT_DIR") else {
        return Err(std::io::Error::other(
            "cargo sets OUT_DIR for build scripts",
        ));
    };
    let command = <cli::Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    std::fs::write(std::path::Path::new(&out).join("amilint.1"), page)
}
