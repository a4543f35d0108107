//! `urna db`: database maintenance (create or migrate the schema).

use clap::Subcommand;
use urna_server::Settings;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum DbCommand {
    /// Create or migrate the database.
    Migrate,
}

/// Carries out a `urna db` subcommand.
pub fn run(settings: &Settings, command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Migrate => {
            // Opening the store runs the pending migrations.
            open_store(settings)?;
            println!(
                "database {} is migrated",
                settings.database.url_for_display()
            );
        }
    }
    Ok(())
}
