//! `urna summaries`: a comune's electors per section, list and sex (riepiloghi).

use clap::Args;
use urna_server::Settings;
use urna_service::Services;

use crate::common::open_store;

#[derive(Args)]
pub struct SummariesArgs {
    /// The comune's ISTAT code.
    istat: String,
    /// Only this section.
    #[arg(long)]
    section: Option<String>,
    /// CSV (`sezione,lista,M,F,totale`) instead of a table.
    #[arg(long)]
    csv: bool,
}

/// Prints the summary as a table (one line per section and list, then the
/// totals) or as CSV.
pub fn run(settings: &Settings, args: SummariesArgs) -> anyhow::Result<()> {
    let store = std::sync::Arc::new(open_store(settings)?);
    let s = Services::new(store, settings.header_policy())
        .summary(&args.istat, args.section.as_deref())?;
    if args.csv {
        print!("{}", s.to_csv());
        return Ok(());
    }
    println!(
        "{:<10} {:<24} {:>8} {:>8} {:>8}",
        "sezione", "lista", "M", "F", "totale"
    );
    for sec in &s.sezioni {
        for (lista, n) in &sec.liste {
            println!(
                "{:<10} {lista:<24} {:>8} {:>8} {:>8}",
                sec.sezione, n.m, n.f, n.totale
            );
        }
    }
    for (lista, n) in &s.totali {
        println!(
            "{:<10} {lista:<24} {:>8} {:>8} {:>8}",
            "totale", n.m, n.f, n.totale
        );
    }
    Ok(())
}
