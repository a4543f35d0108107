//! `urna alerts`: the alerts the rules over the audit log raised
//! (docs/operations.md, "Alerts"), and their acknowledgement.

use clap::Subcommand;
use urna_server::blocks::instant;
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
    /// The stations and client addresses blocked by an alert rule, one
    /// tab-separated line each: kind, key, until (UTC), rule.
    Blocks,
    /// Lift the block of a station (its certificate's CN) or of a client
    /// address (an audit entry, `unblock`).
    Unblock {
        #[arg(long, conflicts_with = "address", required_unless_present = "address")]
        station: Option<String>,
        #[arg(long)]
        address: Option<String>,
        /// Who lifts it.
        #[arg(long)]
        by: String,
    },
    /// Acknowledge an alert (an audit entry, `alert-ack`).
    Ack {
        id: i64,
        /// Who acknowledges it.
        #[arg(long)]
        by: String,
    },
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
        AlertsCommand::Blocks => {
            let services = Services::new(store, settings.header_policy());
            for b in services.active_blocks()? {
                println!(
                    "{}\t{}\t{}\t{}",
                    b.kind,
                    b.block_key,
                    instant(b.until_ms),
                    b.rule
                );
            }
            Ok(())
        }
        AlertsCommand::Unblock {
            station,
            address,
            by,
        } => {
            use urna_domain::alerts::BlockKind;
            let services = Services::new(store, settings.header_policy());
            let (kind, key) = match (station, address) {
                (Some(s), _) => (BlockKind::Station, s),
                (None, Some(a)) => (BlockKind::Address, a),
                (None, None) => anyhow::bail!("--station or --address"),
            };
            if services.unblock(kind, &key, &by)? {
                println!("{} {key} unblocked by {by}", kind.as_str());
                Ok(())
            } else {
                anyhow::bail!(
                    "no block in force on {} {key} (urna alerts blocks lists them)",
                    kind.as_str()
                )
            }
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
