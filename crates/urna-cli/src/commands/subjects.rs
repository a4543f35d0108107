//! `urna subjects`: import the registry of subjects from CSV.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use urna_server::Settings;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum SubjectsCommand {
    /// Import subjects (CSV; see `urna_store::subjects` and README): streamed,
    /// codici fiscali checked, bad rows reported without stopping.
    Import { file: PathBuf },
}

/// Imports a subjects CSV and prints the count and the first rejected rows.
pub fn run(settings: &Settings, command: SubjectsCommand) -> anyhow::Result<()> {
    match command {
        SubjectsCommand::Import { file } => {
            let store = open_store(settings)?;
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let r = urna_store::subjects::import_csv(&store, std::io::BufReader::new(f))?;
            println!(
                "imported {} subjects, {} rows rejected",
                r.imported,
                r.rejected.len()
            );
            for (line, why) in r.rejected.iter().take(50) {
                println!("  line {line}: {why}");
            }
        }
    }
    Ok(())
}
