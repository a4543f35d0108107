//! `urna demo`: load the demo world, or generate a synthetic population and its takeover files.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use urna_server::Settings;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Load the demo world (comuni, constituencies, sections, subjects, electors); idempotent.
    Load,
    /// Write a synthetic population and its takeover files for one comune.
    Generate {
        /// ISTAT code of an active comune in the database.
        #[arg(long)]
        comune: String,
        #[arg(long)]
        electors: u64,
        #[arg(long)]
        out: PathBuf,
        /// Write plain XML instead of gzip.
        #[arg(long)]
        plain: bool,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Carries out a `urna demo` subcommand on the configured database.
pub fn run(settings: &Settings, command: DemoCommand) -> anyhow::Result<()> {
    let store = open_store(settings)?;
    match command {
        DemoCommand::Load => {
            let r = urna_service::demo::load(&store)?;
            println!(
                "demo world: {} comuni, {} new constituency values, {} new sections, {} subjects, {} new electors",
                r.comuni, r.constituencies, r.sections, r.subjects, r.electors
            );
        }
        DemoCommand::Generate {
            comune,
            electors,
            out,
            plain,
            seed,
        } => {
            let row = store
                .read(|c| urna_store::comuni::active(c, &comune, "9999-12-30"))?
                .with_context(|| format!("{comune} is not an active comune: import the archive (urna tables import-comuni) or use a demo comune"))?;
            let spec = urna_service::generate::Spec {
                istat: row.istat,
                nome: row.nome,
                sigla: row.sigla,
                catastale: row.cod_catastale,
                electors,
                seed,
                gzip: !plain,
            };
            let started = std::time::Instant::now();
            let f = urna_service::generate::generate(&spec, &out)?;
            println!(
                "{} electors, {} sections in {:.1}s:\n  {}\n  {}\n  {}\n  {}",
                electors,
                f.sections,
                started.elapsed().as_secs_f64(),
                f.subjects.display(),
                f.constituencies.display(),
                f.sezioni.display(),
                f.liste.display()
            );
        }
    }
    Ok(())
}
