//! `urna certificates`: the electoral certificates (6001) kept by this server.

use clap::Subcommand;
use urna_server::Settings;
use urna_service::Services;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum CertificatesCommand {
    /// Which electoral certificates a 6001 would issue now for a subject,
    /// and why not (an urna extension; also `GET /urna/certificati/<CF>`).
    /// One line per type: the code, `yes` or `no`, and each refusal's code
    /// and text.
    Eligibility {
        /// The subject's codice fiscale.
        codice_fiscale: String,
    },
    /// Delete the certificates that expired (the server does it every
    /// certificates.sweep_every_secs); prints how many.
    Sweep,
}

/// Carries out a `urna certificates` subcommand.
pub fn run(settings: &Settings, command: CertificatesCommand) -> anyhow::Result<()> {
    let store = std::sync::Arc::new(open_store(settings)?);
    let services = Services::new(store, settings.header_policy());
    match command {
        CertificatesCommand::Eligibility { codice_fiscale } => {
            for e in services.certificate_eligibility(&codice_fiscale)? {
                let refusals: Vec<String> = e
                    .refusals
                    .iter()
                    .map(|r| format!("{} {}", r.code, r.text))
                    .collect();
                println!(
                    "{}\t{}\t{}",
                    e.tipo,
                    if e.issuable { "yes" } else { "no" },
                    refusals.join("; ")
                );
            }
        }
        CertificatesCommand::Sweep => println!("{}", services.sweep_certificates()?),
    }
    Ok(())
}
