//! Helpers the subcommands share: the default configuration file and the database.

use std::path::PathBuf;

use anyhow::Context;
use urna_server::Settings;
use urna_store::Store;

/// `config/urna.toml` when it exists in the working directory: the file used
/// when neither `--config` nor `URNA_CONFIG` names one.
pub fn default_config() -> Option<PathBuf> {
    let p = PathBuf::from("config/urna.toml");
    p.exists().then_some(p)
}

/// The configured database, opened and migrated, with a pool of two
/// connections; errors name the URL without its password.
pub fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(&settings.database.url, 2)
        .with_context(|| format!("opening {}", settings.database.url_for_display()))
}
