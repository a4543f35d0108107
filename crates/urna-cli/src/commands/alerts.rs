//! `urna alerts`: the alerts the rules over the audit log raised
//! (docs/operations.md, "Alerts"), and their acknowledgement.

use clap::Subcommand;
use urna_server::Settings;
use urna_service::Services;

use crate::common::open_store;

#[derive(Subcommand)]
pub enum AlertsCommand {
    /// The alerts not yet acknowledged (with --all, every one), newest
    /// first, one tab-separated line each: id, time (UTC), severity, rule,
    /// key, value/threshold, the entry that fired it, the window's entries,
    /// and, once acknowledged, when and by whom.
    List {
        #[arg(long)]
        all: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Acknowledge an alert (an audit entry, `alert-ack`).
    Ack {
        id: i64,
        /// Who acknowledges it.
        #[arg(long)]
        by: String,
    },
}

fn instant(ms: i64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&f).ok())
        .unwrap_or_else(|| ms.to_string())
}

pub fn run(settings: &Settings, command: AlertsCommand) -> anyhow::Result<()> {
    let store = std::sync::Arc::new(open_store(settings)?);
    match command {
        AlertsCommand::List { all, limit } => {
            let rows = store.read(|c| urna_store::alerts::list(c, all, limit))?;
            for a in rows {
                let acked = match (a.acked_at, &a.acked_by) {
                    (Some(at), Some(by)) => format!("\tacknowledged {} by {by}", instant(at)),
                    _ => String::new(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}/{}\tentry {}\tentries {}{acked}",
                    a.id,
                    instant(a.at_ms),
                    a.severity,
                    a.rule,
                    a.alert_key,
                    a.value,
                    a.threshold,
                    a.seq,
                    a.entries
                );
            }
            Ok(())
        }
        AlertsCommand::Ack { id, by } => {
            let services = Services::new(store, settings.header_policy());
            if services.ack_alert(id, &by)? {
                println!("alert {id} acknowledged by {by}");
                Ok(())
            } else {
                anyhow::bail!("no open alert {id} (urna alerts list --all shows every one)")
            }
        }
    }
}
