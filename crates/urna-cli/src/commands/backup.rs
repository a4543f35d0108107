//! `urna backup` and `urna restore`: the store and its audit heads, copied
//! while the server serves and restored into an empty store, checked
//! against the manifest and the signed heads (docs/operations.md).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use urna_server::backup;
use urna_server::Settings;

use crate::common::open_store;

#[derive(Args)]
pub struct BackupArgs {
    /// A new (or empty) directory.
    #[arg(long)]
    to: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A directory `urna backup` wrote.
    #[arg(long)]
    from: PathBuf,
}

fn summary(m: &backup::Manifest) -> String {
    let count = |t: &str| m.counts.get(t).copied().unwrap_or(0);
    format!(
        "{} electors, {} subjects, {} sections, {} operations, {} certificates, audit chain at entry {} ({})",
        count("electors"),
        count("subjects"),
        count("sections"),
        count("operations"),
        count("certificates"),
        m.chain.seq,
        m.chain.hash
    )
}

pub fn backup(settings: &Settings, args: BackupArgs) -> anyhow::Result<()> {
    let store = open_store(settings)?;
    let started = Instant::now();
    let m = backup::backup(settings, &store, &args.to)?;
    let bytes: u64 = m.files.iter().map(|f| f.bytes).sum();
    println!(
        "backup of {} in {} ({bytes} bytes, {:.1} s): {}",
        settings.database.url_for_display(),
        args.to.display(),
        started.elapsed().as_secs_f64(),
        summary(&m)
    );
    Ok(())
}

pub fn restore(settings: &Settings, args: RestoreArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (m, v) = backup::restore(settings, &args.from)?;
    println!(
        "restored {} into {} in {:.1} s: {}; {} signed heads checked, audit log intact",
        args.from.display(),
        settings.database.url_for_display(),
        started.elapsed().as_secs_f64(),
        summary(&m),
        v.heads
    );
    Ok(())
}
