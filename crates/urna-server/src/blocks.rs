//! The blocks the alert rules set (`block_secs`; docs/operations.md,
//! "Alerts") as this node enforces them: a copy of the `blocks` table
//! refreshed every second, so that a request costs one lookup in memory and
//! every node refuses a new block within a second or so of the alert.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use urna_domain::alerts::BlockKind;
use urna_service::Services;
use urna_wire::envelope::Fault;
use urna_wire::FaultReason;

/// A block in force: until when (ms) and which rule set it.
type Entry = (i64, String);

#[derive(Debug, Default)]
pub struct Blocks {
    by_key: RwLock<HashMap<(BlockKind, String), Entry>>,
}

/// `ms` (Unix milliseconds) as a UTC instant to the second.
pub fn instant(ms: i64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&f).ok())
        .unwrap_or_else(|| ms.to_string())
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl Blocks {
    fn replace(&self, rows: Vec<urna_store::alerts::BlockRow>) {
        let map = rows
            .into_iter()
            .filter_map(|b| {
                let kind = BlockKind::parse(&b.kind)?;
                Some(((kind, b.block_key), (b.until_ms, b.rule)))
            })
            .collect();
        *self.by_key.write().unwrap_or_else(|p| p.into_inner()) = map;
    }

    fn find(&self, kind: BlockKind, key: &str) -> Option<Entry> {
        let map = self.by_key.read().unwrap_or_else(|p| p.into_inner());
        map.get(&(kind, key.to_string()))
            .filter(|(until, _)| *until > now_ms())
            .cloned()
    }

    /// Why a request from `station` (a CN) at `address` is refused, if a
    /// block is in force: a policy fault naming the block and its end.
    pub fn refusal(&self, station: &str, address: Option<IpAddr>) -> Option<Fault> {
        let address = address.map(|a| a.to_string());
        let (what, (until, rule)) = self
            .find(BlockKind::Station, station)
            .map(|e| (format!("station {station}"), e))
            .or_else(|| {
                let a = address?;
                self.find(BlockKind::Address, &a)
                    .map(|e| (format!("address {a}"), e))
            })?;
        Some(Fault::policy(
            FaultReason::Blocked,
            format!(
                "{what} is blocked until {} by the alert rule {rule} (urna alerts unblock lifts it)",
                instant(until)
            ),
        ))
    }

    /// The block in force on a client address, for the web pages: its end.
    pub fn address_until(&self, address: Option<IpAddr>) -> Option<String> {
        let a = address?.to_string();
        self.find(BlockKind::Address, &a)
            .map(|(until, _)| instant(until))
    }
}

/// Refreshes `blocks` from the store every `every`.
pub async fn keep_fresh(services: Services, blocks: Arc<Blocks>, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let s = services.clone();
        match tokio::task::spawn_blocking(move || s.active_blocks()).await {
            Ok(Ok(rows)) => blocks.replace(rows),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "reading the blocks failed; the last copy stays")
            }
            Err(e) => tracing::warn!(error = %e, "reading the blocks panicked"),
        }
    }
}
