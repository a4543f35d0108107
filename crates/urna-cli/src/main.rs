//! `urna`: run the server and administer its PKI, data and audit log; the subcommands are in `commands`.
#![forbid(unsafe_code)]

mod commands;
mod common;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use urna_server::Settings;

use commands::{
    alerts, audit, backup, certificates, db, demo, doubles, export, extract, operators, pki, serve,
    subentro, subjects, summaries, tables, wss,
};

/// mimalloc: the request threads allocate and free many small strings; glibc's
/// allocator spent ~15% of server CPU in malloc/free and consolidation. With
/// the `override` feature it also serves libxml2, OpenSSL and the database
/// client libraries, which call `malloc` themselves (parse trees, the copies
/// canonicalised, C14N lists): about 5-10% less server CPU per signed 5010.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "urna",
    version,
    about = "ANPR electoral-lists web services, wire-compatible"
)]
struct Cli {
    /// Configuration file (TOML); URNA_* environment variables override it.
    #[arg(long, global = true, env = "URNA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTPS/mTLS SOAP server.
    Serve,
    /// Development PKI (CA Postazioni, server and station certificates).
    #[command(subcommand)]
    Pki(pki::PkiCommand),
    /// Reference tables.
    #[command(subcommand)]
    Tables(tables::TablesCommand),
    /// Registry of subjects.
    #[command(subcommand)]
    Subjects(subjects::SubjectsCommand),
    /// Electoral takeover (subentro) files.
    #[command(subcommand)]
    Subentro(subentro::SubentroCommand),
    /// Demo data.
    #[command(subcommand)]
    Demo(demo::DemoCommand),
    /// Database maintenance.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// The operators of each comune and their profiles (elettorale, anagrafe).
    #[command(subcommand)]
    Operators(operators::OperatorsCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// A comune's electors per section, list and sex (riepiloghi).
    Summaries(summaries::SummariesArgs),
    /// Double registrations: a comune's, and the scan that re-derives them.
    #[command(subcommand)]
    Doubles(doubles::DoublesCommand),
    /// A comune's sections and electors in the takeover formats, and as CSV.
    Export(export::ExportArgs),
    /// A 4001 extraction of a comune's electors, run here (the file 7002 would send).
    Extract(extract::ExtractArgs),
    /// The alerts the rules over the audit log raised.
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// Copy the store and its audit heads into a directory, while serving.
    Backup(backup::BackupArgs),
    /// Restore a backup into an empty store, checked against its manifest
    /// and signed audit heads.
    Restore(backup::RestoreArgs),
    /// The electoral certificates (6001).
    #[command(subcommand)]
    Certificates(certificates::CertificatesCommand),
    /// The security frame, client side.
    #[command(subcommand)]
    Wss(wss::WssCommand),
}

fn main() -> anyhow::Result<()> {
    urna_security::wss::init_openssl();
    let cli = Cli::parse();
    let config = cli.config.or_else(common::default_config);
    let settings = Settings::load(config.as_deref()).context("reading the configuration")?;
    match cli.command {
        Command::Serve => serve::run(settings),
        Command::Pki(command) => pki::run(&settings, command),
        Command::Tables(command) => tables::run(&settings, command),
        Command::Subjects(command) => subjects::run(&settings, command),
        Command::Subentro(command) => subentro::run(&settings, command),
        Command::Demo(command) => demo::run(&settings, command),
        Command::Db(command) => db::run(&settings, command),
        Command::Operators(command) => operators::run(&settings, command),
        Command::Audit(command) => audit::run(&settings, command),
        Command::Certificates(command) => certificates::run(&settings, command),
        Command::Summaries(args) => summaries::run(&settings, args),
        Command::Doubles(c) => doubles::run(&settings, c),
        Command::Export(args) => export::run(&settings, args),
        Command::Extract(args) => extract::run(&settings, args),
        Command::Alerts(command) => alerts::run(&settings, command),
        Command::Backup(args) => backup::backup(&settings, args),
        Command::Restore(args) => backup::restore(&settings, args),
        Command::Wss(command) => wss::run(command),
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};
    use urna_security::wss::sign::KeyInfoForm;

    use super::{Cli, Command};
    use crate::commands::wss::WssCommand;

    /// clap's own consistency checks on every subcommand and argument.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn wss_enums_parse_by_their_wire_names() {
        let cli = Cli::try_parse_from([
            "urna",
            "wss",
            "sign",
            "--cert",
            "c",
            "--key",
            "k",
            "--algorithm",
            "rsa-sha256",
            "--key-info",
            "binary-security-token",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Wss(WssCommand::Sign {
                key_info: KeyInfoForm::BinarySecurityToken,
                ..
            })
        ));
        let err = Cli::try_parse_from([
            "urna",
            "wss",
            "sign",
            "--cert",
            "c",
            "--key",
            "k",
            "--algorithm",
            "md5",
        ])
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("rsa-sha1") && err.contains("rsa-sha256"),
            "{err}"
        );
    }
}
