//! `urna subjects`: import the registry of subjects from CSV, and say who holds a subject on the lists.

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
    /// Who holds a subject (by idSoggetto or codice fiscale): one line per
    /// list (list, comune, section, since), then the cancellation, the
    /// certifiability and the last operation. Exit status 1 when no single
    /// subject matches.
    Lists { key: String },
}

/// Carries out a `urna subjects` subcommand.
pub fn run(settings: &Settings, command: SubjectsCommand) -> anyhow::Result<()> {
    match command {
        SubjectsCommand::Lists { key } => {
            let store = std::sync::Arc::new(open_store(settings)?);
            let services = urna_service::Services::new(store, settings.header_policy());
            let Some(p) = services.placements(&key)? else {
                anyhow::bail!("no single subject has the idSoggetto or codice fiscale {key}");
            };
            println!(
                "{} {} elettore={:?}",
                p.id_soggetto, p.codice_fiscale, p.elettore
            );
            for l in &p.liste {
                println!(
                    "{}\t{} {}\tsezione {}\t{}",
                    l.lista,
                    l.comune,
                    l.nome_comune.as_deref().unwrap_or("?"),
                    l.sezione,
                    l.dal
                        .as_deref()
                        .map(|d| format!("dal {d}"))
                        .unwrap_or_default()
                );
            }
            if let Some((comune, motivo, data)) = &p.cancellazione {
                println!("cancellato\t{comune}\tmotivo {motivo}\t{data}");
            }
            if let Some((c, comune)) = &p.certificabilita {
                println!("certificabilita\t{c}\t{comune}");
            }
            if let Some(o) = &p.ultima_operazione {
                println!(
                    "ultima operazione\t{} {}\tcomune {}\tidOperazioneANPR {}",
                    o.operazione, o.ricevuta, o.comune, o.id_operazione_anpr
                );
            }
        }
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
