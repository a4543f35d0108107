//! `urna pki`: the development PKI (CA Postazioni, server and station certificates).

use std::path::PathBuf;

use clap::Subcommand;
use urna_domain::StationId;
use urna_pki::PkiDir;
use urna_server::Settings;

#[derive(Subcommand)]
pub enum PkiCommand {
    /// Create the CA, the server certificate (localhost, 127.0.0.1) and one
    /// station certificate per demo comune, unless they exist.
    Init {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Issue a station certificate (CN=<ISTAT>-<KIND>-<NUMBER>).
    Station {
        #[arg(long)]
        istat: String,
        /// PC (workstation) or CO (comune/server).
        #[arg(long, default_value = "PC")]
        kind: String,
        #[arg(long, default_value = "0001")]
        number: String,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Revoke a station certificate (rewrites the CRL; restart the server to load it).
    Revoke {
        #[arg(long)]
        cn: String,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

/// Carries out a `urna pki` subcommand; `--dir` defaults to tls.pki_dir.
pub fn run(settings: &Settings, command: PkiCommand) -> anyhow::Result<()> {
    let dir_or =
        |d: Option<PathBuf>| PkiDir::new(d.unwrap_or_else(|| settings.tls.pki_dir.clone()));
    match command {
        PkiCommand::Init { dir } => {
            let pki = dir_or(dir);
            let r = pki.init(&["localhost", "127.0.0.1"], &demo_stations())?;
            println!(
                "{} CA Postazioni in {}",
                if r.created_ca { "created" } else { "kept" },
                pki.root.display()
            );
            for (cn, crt, key) in &r.stations {
                println!("  station {cn}: {} {}", crt.display(), key.display());
            }
        }
        PkiCommand::Station {
            istat,
            kind,
            number,
            dir,
        } => {
            let pki = dir_or(dir);
            let station: StationId = format!("{istat}-{kind}-{number}").parse()?;
            let crt = pki.issue_station(&station)?;
            println!(
                "issued {} -> {} (key {})",
                station,
                crt.display(),
                pki.station_key(&station.cn()).display()
            );
        }
        PkiCommand::Revoke { cn, dir } => {
            let pki = dir_or(dir);
            pki.revoke_station(&cn)?;
            println!("revoked {cn}; CRL written to {}", pki.crl().display());
        }
    }
    Ok(())
}

/// One workstation per demo comune (`<ISTAT>-PC-0001`), the stations
/// `pki init` issues certificates for.
fn demo_stations() -> Vec<StationId> {
    urna_service::demo::DEMO_COMUNI
        .iter()
        .map(|c| format!("{}-PC-0001", c.istat).parse().expect("demo CN"))
        .collect()
}
