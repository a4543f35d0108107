//! `urna doubles`: double registrations (doppie iscrizioni).

use clap::Subcommand;
use urna_server::Settings;
use urna_service::Services;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum DoublesCommand {
    /// A comune's double registrations, as holder or claimant (open first),
    /// and whether they are all resolved.
    List {
        /// The comune's ISTAT code.
        istat: String,
    },
    /// Re-derives them from the takeover history: records the double
    /// placements not recorded yet, closes those the holder resolved.
    Scan,
}

pub fn run(settings: &Settings, command: DoublesCommand) -> anyhow::Result<()> {
    let store = std::sync::Arc::new(open_store(settings)?);
    let services = Services::new(store, settings.header_policy());
    match command {
        DoublesCommand::List { istat } => {
            let d = services.double_registrations(&istat)?;
            match (d.stato.resolved, d.stato.since) {
                (true, None) => println!("{istat}: no double registrations"),
                (true, Some(at)) => println!("{istat}: all resolved, since {}", ms_text(at)),
                (false, _) => println!(
                    "{istat}: {} open",
                    d.doppie_iscrizioni
                        .iter()
                        .filter(|r| r.closed_at.is_none())
                        .count()
                ),
            }
            for r in &d.doppie_iscrizioni {
                let state = match (&r.closed_at, &r.closed_reason) {
                    (Some(at), reason) => format!(
                        "closed {} ({})",
                        ms_text(*at),
                        reason.as_deref().unwrap_or("")
                    ),
                    (None, _) => "open".into(),
                };
                println!(
                    "{:>6}  subject {}  list of {}  also listed by {}  found {} ({})  {state}",
                    r.id,
                    r.id_soggetto,
                    r.holder_comune,
                    r.claimant_comune,
                    ms_text(r.detected_at),
                    r.source
                );
            }
        }
        DoublesCommand::Scan => {
            let r = services.scan_double_registrations()?;
            println!("scan: {} recorded, {} closed", r.opened, r.closed);
        }
    }
    Ok(())
}

fn ms_text(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        })
        .unwrap_or_default()
}
