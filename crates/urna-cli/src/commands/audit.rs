//! `urna audit`: list the audit log's entries, sign its chain head, and verify the log against its signed heads.

use std::path::PathBuf;

use clap::Subcommand;
use urna_pki::PkiDir;
use urna_server::audit_heads::{self, HeadSigner, Trusted, Tsa};
use urna_server::Settings;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain from the first entry and check every signed
    /// head in the heads file; report the first broken entry. Exit status 1
    /// when anything does not match.
    Verify {
        /// Signed heads (default: audit.heads_file).
        #[arg(long)]
        heads: Option<PathBuf>,
        /// Service signing certificate (default: the PKI's service-signing.crt).
        #[arg(long)]
        cert: Option<PathBuf>,
    },
    /// Sign the current chain head with the service key and append it to
    /// the heads file (the server does this every audit.sign_every_secs).
    SignHead {
        #[arg(long)]
        heads: Option<PathBuf>,
    },
    /// List entries, oldest first, one tab-separated line each: sequence,
    /// time (UTC, milliseconds), operation, outcome, idOperazioneANPR,
    /// comune, station, operator, authentication mode.
    List {
        /// Only those of this operator (codice fiscale).
        #[arg(long)]
        operator: Option<String>,
        /// Only this operation (`6001`, `5010`, `certificate-view`, …).
        #[arg(long)]
        operation: Option<String>,
        /// From this date (YYYY-MM-DD, UTC, included).
        #[arg(long, value_parser = parse_day)]
        from: Option<time::Date>,
        /// Until this date (YYYY-MM-DD, UTC, included).
        #[arg(long, value_parser = parse_day)]
        to: Option<time::Date>,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
    },
}

fn parse_day(s: &str) -> Result<time::Date, String> {
    urna_domain::date::parse_xs_date(s).ok_or_else(|| format!("{s:?} is not a YYYY-MM-DD date"))
}

fn day_ms(d: time::Date) -> i64 {
    (d.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Carries out a `urna audit` subcommand. `verify` exits with status 1
/// when the log does not match its heads.
pub fn run(settings: &Settings, command: AuditCommand) -> anyhow::Result<()> {
    let store = std::sync::Arc::new(open_store(settings)?);
    let pki = PkiDir::new(&settings.tls.pki_dir);
    let a = &settings.audit;
    match command {
        AuditCommand::List {
            operator,
            operation,
            from,
            to,
            limit,
        } => {
            let filter = urna_store::audit::Filter {
                operator,
                operation,
                from_ms: from.map(day_ms),
                to_ms: to.and_then(|d| d.next_day()).map(day_ms),
                limit,
            };
            let rows = store.read(|c| urna_store::audit::list(c, &filter))?;
            let f = time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            );
            for r in rows {
                let at = time::OffsetDateTime::from_unix_timestamp_nanos(
                    i128::from(r.at_ms) * 1_000_000,
                )
                .ok()
                .and_then(|t| t.format(&f).ok())
                .unwrap_or_else(|| r.at_ms.to_string());
                println!(
                    "{}\t{at}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.seq,
                    r.operation,
                    r.outcome,
                    r.id_operazione_anpr
                        .map(|i| i.to_string())
                        .unwrap_or_default(),
                    r.comune.unwrap_or_default(),
                    r.station,
                    r.operator.unwrap_or_default(),
                    r.auth_mode
                );
            }
            Ok(())
        }
        AuditCommand::SignHead { heads } => {
            let cert = settings
                .security
                .signing_cert
                .clone()
                .unwrap_or_else(|| pki.service_signer_cert());
            let key = settings
                .security
                .signing_key
                .clone()
                .unwrap_or_else(|| pki.service_signer_key());
            let key = urna_security::wss::SigningKey::from_pem(
                &std::fs::read(&cert)?,
                &std::fs::read(&key)?,
            )?;
            let file = heads.unwrap_or_else(|| a.heads_file.clone());
            let signer = HeadSigner {
                store,
                key,
                file: file.clone(),
                tsa: Tsa::from_settings(a)?,
            };
            let seq = signer.export(None)?;
            println!("signed head {seq} appended to {}", file.display());
            Ok(())
        }
        AuditCommand::Verify { heads, cert } => {
            let file = heads.unwrap_or_else(|| a.heads_file.clone());
            let trusted = Trusted::from_settings(settings, cert)?;
            // The interval, one poll of the heads thread and slack.
            let max_unsigned_age = (a.sign_every_secs > 0)
                .then(|| std::time::Duration::from_secs(a.sign_every_secs + 30));
            let v = audit_heads::verify(&store, &trusted.inputs(a, &file, max_unsigned_age))?;
            println!(
                "{} entries, last hash {}, {} signed heads checked, {} time-stamps checked",
                v.entries, v.last_hash, v.heads, v.stamped
            );
            for n in &v.notes {
                println!("note: {n}");
            }
            if v.problems.is_empty() {
                println!("audit log intact");
                Ok(())
            } else {
                for p in &v.problems {
                    println!("BROKEN: {p}");
                }
                std::process::exit(1);
            }
        }
    }
}
