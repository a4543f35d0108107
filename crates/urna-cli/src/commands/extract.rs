//! `urna extract`: a 4001 extraction of a comune's electors run here and
//! now (the same engine as the background worker), for a local copy or the
//! benchmark; the file is what 7002 would send.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use urna_domain::extraction::{check, Selections};
use urna_server::Settings;
use urna_service::Services;

use crate::common::open_store;

#[derive(Args)]
pub struct ExtractArgs {
    /// The comune's ISTAT code.
    #[arg(long)]
    comune: String,
    /// Only electors (elettoreAllaDataRiferimento S).
    #[arg(long)]
    elettori: bool,
    /// M or F.
    #[arg(long)]
    sesso: Option<String>,
    /// Directory the file `<id>.xml.gz` is written into.
    #[arg(long, default_value = ".")]
    out: PathBuf,
}

pub fn run(settings: &Settings, args: ExtractArgs) -> anyhow::Result<()> {
    let services = Services::new(
        std::sync::Arc::new(open_store(settings)?),
        settings.header_policy(),
    );
    let selections = Selections {
        requested: vec!["18".into()],
        elettore: args.elettori.then(|| "S".into()),
        sex: args.sesso,
        ..Selections::default()
    };
    let today = time::OffsetDateTime::now_utc().date();
    let criteria = check(&selections, today).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{} {}", e.code.wire(), e.text))
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let started = Instant::now();
    let urna_service::extraction::Extracted {
        path,
        bytes,
        counts,
        ..
    } = services.extract_now(&args.comune, &criteria, &args.out)?;
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    println!(
        "{} ({bytes} bytes): {} subjects read, {} written in {secs:.1} s ({:.0} read/s, {:.0} written/s)",
        path.display(),
        counts.read,
        counts.kept,
        counts.read as f64 / secs,
        counts.kept as f64 / secs
    );
    Ok(())
}
