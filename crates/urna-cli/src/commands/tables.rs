//! `urna tables`: import the reference tables (ANPR's municipalities archive, constituencies).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use urna_server::Settings;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum TablesCommand {
    /// Import ANPR's municipalities archive (ANPR_archivio_comuni.csv).
    ImportComuni { file: PathBuf },
    /// Import constituency tables (CSV: tipo,codice_istat,valore).
    ImportConstituencies { file: PathBuf },
}

/// Imports one table file and prints what was imported and the first
/// rejected lines.
pub fn run(settings: &Settings, command: TablesCommand) -> anyhow::Result<()> {
    let store = open_store(settings)?;
    match command {
        TablesCommand::ImportComuni { file } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let r = urna_store::comuni::import_archive(&store, f)?;
            println!(
                "imported {} rows ({} active comuni), {} rejected",
                r.imported,
                r.active,
                r.rejected.len()
            );
            for (line, why) in r.rejected.iter().take(20) {
                println!("  line {line}: {why}");
            }
        }
        TablesCommand::ImportConstituencies { file } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let n = urna_store::constituencies::import_file(&store, f)?;
            println!("imported {n} new constituency values");
        }
    }
    Ok(())
}
