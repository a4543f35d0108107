//! Quotas per station certificate and per comune (annex 3 §2d), checked
//! right after the TLS identity, before the body is read or parsed.
//!
//! GCRA with bursts. Two places to keep the state:
//! * `memory`: in this process (one node; SQLite deployments);
//! * `database`: the `rate_limits` table, updated atomically, so every node
//!   sharing the PostgreSQL database admits the quota once in total.
//!
//! `auto` picks `database` on PostgreSQL and `memory` on SQLite.
//! Keys are separate per station and per comune, so a noisy station is
//! refused on its own key without consuming other comuni's quotas.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use urna_store::{Backend, Store};
use urna_wire::envelope::Fault;

/// A rate with a burst.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    /// Sustained requests per second (0 = unlimited).
    pub per_sec: f64,
    /// Requests admitted at once above the sustained rate.
    pub burst: u32,
}

impl Quota {
    /// (emission interval, tolerance) in ms, or None when unlimited.
    fn gcra(&self) -> Option<(i64, i64)> {
        if self.per_sec <= 0.0 {
            return None;
        }
        let interval = (1000.0 / self.per_sec).max(1.0) as i64;
        Some((interval, interval * i64::from(self.burst.max(1) - 1)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Where {
    Auto,
    Memory,
    Database,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub state: Where,
    pub station: Quota,
    pub comune: Quota,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            enabled: true,
            state: Where::Auto,
            station: Quota {
                per_sec: 50.0,
                burst: 200,
            },
            comune: Quota {
                per_sec: 200.0,
                burst: 800,
            },
        }
    }
}

enum State {
    Memory(Mutex<HashMap<String, i64>>),
    Database(Arc<Store>),
}

pub struct RateLimiter {
    state: State,
    station: Option<(i64, i64)>,
    comune: Option<(i64, i64)>,
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl RateLimiter {
    pub fn new(s: &RateLimitSettings, store: Arc<Store>) -> Option<Arc<RateLimiter>> {
        if !s.enabled {
            return None;
        }
        let database = match s.state {
            Where::Database => true,
            Where::Memory => false,
            Where::Auto => store.backend() == Backend::Postgres,
        };
        Some(Arc::new(RateLimiter {
            state: if database {
                State::Database(store)
            } else {
                State::Memory(Mutex::new(HashMap::new()))
            },
            station: s.station.gcra(),
            comune: s.comune.gcra(),
        }))
    }

    fn admit_memory(
        map: &Mutex<HashMap<String, i64>>,
        key: &str,
        now: i64,
        (t, tau): (i64, i64),
    ) -> Option<i64> {
        let mut m = map.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() > 100_000 {
            m.retain(|_, tat| *tat > now);
        }
        let tat = m.get(key).copied().unwrap_or(now);
        if tat > now + tau {
            return Some((tat - tau - now).max(1));
        }
        m.insert(key.to_string(), tat.max(now) + t);
        None
    }

    /// Admits a request of `station` (CN) for `comune`, or the fault to send.
    pub async fn admit(self: &Arc<Self>, station: &str, comune: &str) -> Result<(), Fault> {
        let keys: Vec<(String, (i64, i64), &'static str)> = [
            (format!("station:{station}"), self.station, "station"),
            (format!("comune:{comune}"), self.comune, "comune"),
        ]
        .into_iter()
        .filter_map(|(k, q, what)| q.map(|q| (k, q, what)))
        .collect();
        let now = now_ms();
        let refused: Option<(i64, &'static str)> = match &self.state {
            State::Memory(map) => keys
                .iter()
                .find_map(|(k, q, what)| Self::admit_memory(map, k, now, *q).map(|w| (w, *what))),
            State::Database(store) => {
                let store = store.clone();
                actix_web::web::block(move || {
                    for (k, (t, tau), what) in &keys {
                        let wait = store
                            .read(|c| urna_store::ratelimit::admit(c, k, now, *t, *tau))
                            .map_err(|e| e.to_string())?;
                        if let Some(w) = wait {
                            return Ok::<_, String>(Some((w, *what)));
                        }
                    }
                    Ok(None)
                })
                .await
                .map_err(|e| Fault::server("worker-failure", e.to_string()))?
                .map_err(|e| {
                    Fault::server("storage-unavailable", format!("rate limit state: {e}"))
                })?
            }
        };
        match refused {
            None => Ok(()),
            Some((wait_ms, what)) => {
                let secs = ((wait_ms + 999) / 1000) as u64;
                let mut f = Fault::policy(
                    "rate-limited",
                    format!(
                        "the {what} quota is exhausted ({}); retry after {secs} s",
                        if what == "station" { station } else { comune }
                    ),
                );
                f.retry_after = Some(secs.max(1));
                Err(f)
            }
        }
    }
}
