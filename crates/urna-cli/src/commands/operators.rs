//! `urna operators`: register, list and remove the operators of each comune and their profiles.

use clap::Subcommand;
use urna_domain::operator::Profiles;
use urna_server::Settings;
use urna_store::operators::{self, OperatorRow};

use crate::common::open_store;

#[derive(Subcommand)]
pub enum OperatorsCommand {
    /// Register an operator for a comune, or replace its profiles.
    Add {
        /// The comune's ISTAT code.
        istat: String,
        /// The operator's codice fiscale (the SAML NameID it signs with).
        codice_fiscale: String,
        /// elettorale (ufficiale elettorale: 5010, 5011, 2012), anagrafe; repeat or comma-separate.
        #[arg(long = "profile", required = true, value_delimiter = ',')]
        profiles: Vec<String>,
    },
    /// List the operators (of one comune).
    List { istat: Option<String> },
    /// Remove an operator from a comune.
    Remove {
        istat: String,
        codice_fiscale: String,
    },
}

/// Carries out a `urna operators` subcommand; an unknown operator to
/// remove is an error.
pub fn run(settings: &Settings, command: OperatorsCommand) -> anyhow::Result<()> {
    let store = open_store(settings)?;
    match command {
        OperatorsCommand::Add {
            istat,
            codice_fiscale,
            profiles,
        } => {
            let istat: urna_domain::CodiceIstat =
                istat.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let cf: urna_domain::codice_fiscale::CodiceFiscale =
                codice_fiscale.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let profiles = Profiles::parse(&profiles.join(",")).map_err(|e| anyhow::anyhow!(e))?;
            anyhow::ensure!(!profiles.is_empty(), "give at least one --profile");
            store.write(|c| {
                operators::put(
                    c,
                    &OperatorRow {
                        comune_istat: istat.to_string(),
                        codice_fiscale: cf.to_string(),
                        profiles: profiles.to_string(),
                    },
                )
            })?;
            println!("operator {cf} of comune {istat}: {profiles}");
        }
        OperatorsCommand::List { istat } => {
            for o in store.read(|c| operators::list(c, istat.as_deref()))? {
                println!("{} {} {}", o.comune_istat, o.codice_fiscale, o.profiles);
            }
        }
        OperatorsCommand::Remove {
            istat,
            codice_fiscale,
        } => {
            if store.write(|c| operators::remove(c, &istat, &codice_fiscale))? {
                println!("operator {codice_fiscale} removed from comune {istat}");
            } else {
                anyhow::bail!("no operator {codice_fiscale} in comune {istat}");
            }
        }
    }
    Ok(())
}
