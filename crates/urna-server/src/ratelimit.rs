//! Quotas per station certificate and per comune (docs/security.md, "Rate
//! limits"), checked right after the TLS identity, before the body is read
//! or parsed.
//!
//! GCRA with bursts. Three places to keep the state:
//! * `memory`: in this process (one node; SQLite deployments);
//! * `database`: the `rate_limits` table, updated atomically, so every node
//!   sharing the PostgreSQL database admits the quota once in total;
//! * `redis`: one Lua script per request checks and moves both keys
//!   atomically on the Redis clock, so every node sharing the Redis admits
//!   the quota once in total; keys expire when they no longer limit.
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
    Redis,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub state: Where,
    pub station: Quota,
    pub comune: Quota,
    /// Redis server for `state = "redis"`.
    pub redis_url: String,
    /// Prefix of urna's keys in that Redis (several deployments may share it).
    pub redis_prefix: String,
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
            redis_url: "redis://127.0.0.1:6379".into(),
            redis_prefix: "urna:rl:".into(),
        }
    }
}

enum State {
    Memory(Mutex<HashMap<String, i64>>),
    Database(Arc<Store>),
    Redis {
        pool: r2d2::Pool<redis::Client>,
        prefix: String,
    },
}

/// GCRA over every key of a request at once, on the Redis clock: either all
/// keys admit (and all move) or none moves, and the answer names the first
/// refusing key (1-based) with the wait in ms. ARGV holds (interval,
/// tolerance) per key. A key expires once its arrival time has passed.
const REDIS_GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local moved = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  if tat > now + tolerance then
    return {i, math.max(1, tat - tolerance - now)}
  end
  moved[i] = tat + interval
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, moved[i], 'PX', moved[i] - now + 1000)
end
return {0, 0}
";

pub struct RateLimiter {
    state: State,
    station: Option<(i64, i64)>,
    comune: Option<(i64, i64)>,
}

fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl RateLimiter {
    /// The limiter the settings ask for (None when disabled). With Redis the
    /// server is reached once here, so a wrong `redis_url` stops start-up
    /// with its cause instead of refusing every request later.
    pub fn new(
        s: &RateLimitSettings,
        store: Arc<Store>,
    ) -> anyhow::Result<Option<Arc<RateLimiter>>> {
        if !s.enabled {
            return Ok(None);
        }
        let state = match s.state {
            Where::Database => State::Database(store),
            Where::Auto if store.backend() == Backend::Postgres => State::Database(store),
            Where::Memory | Where::Auto => State::Memory(Mutex::new(HashMap::new())),
            Where::Redis => {
                let client = redis::Client::open(s.redis_url.as_str()).map_err(|e| {
                    anyhow::anyhow!(
                        "rate_limit.redis_url {:?} is not a Redis URL: {e}",
                        s.redis_url
                    )
                })?;
                let pool = r2d2::Pool::builder()
                    .max_size(16)
                    .min_idle(Some(1))
                    .connection_timeout(std::time::Duration::from_secs(2))
                    .build(client)
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "rate_limit.state = \"redis\" but Redis at {} does not answer: {e}",
                            s.redis_url
                        )
                    })?;
                State::Redis {
                    pool,
                    prefix: s.redis_prefix.clone(),
                }
            }
        };
        Ok(Some(Arc::new(RateLimiter {
            state,
            station: s.station.gcra(),
            comune: s.comune.gcra(),
        })))
    }

    /// Where the quotas' state lives, and whether it answers (Redis: a
    /// PING), for `/ready`.
    pub fn readiness(&self) -> (&'static str, Result<(), String>) {
        match &self.state {
            State::Memory(_) => ("memory", Ok(())),
            State::Database(_) => ("database", Ok(())),
            State::Redis { pool, .. } => (
                "redis",
                pool.get().map_err(|e| e.to_string()).and_then(|mut c| {
                    redis::cmd("PING")
                        .query::<String>(&mut *c)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }),
            ),
        }
    }

    /// Both keys in one atomic script; the refusing key's index and wait.
    fn admit_redis(
        pool: &r2d2::Pool<redis::Client>,
        prefix: &str,
        keys: &[(String, (i64, i64), &'static str)],
    ) -> Result<Option<(i64, &'static str)>, String> {
        static SCRIPT: std::sync::LazyLock<redis::Script> =
            std::sync::LazyLock::new(|| redis::Script::new(REDIS_GCRA));
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        let mut call = SCRIPT.prepare_invoke();
        for (k, (t, tau), _) in keys {
            call.key(format!("{prefix}{k}")).arg(*t).arg(*tau);
        }
        let (which, wait): (usize, i64) = call.invoke(&mut *conn).map_err(|e| e.to_string())?;
        Ok(which
            .checked_sub(1)
            .and_then(|i| keys.get(i))
            .map(|(_, _, what)| (wait, *what)))
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
                .map_err(|e| Fault::server(urna_wire::FaultReason::WorkerFailure, e.to_string()))?
                .map_err(|e| {
                    Fault::server(
                        urna_wire::FaultReason::StorageUnavailable,
                        format!("rate limit state: {e}"),
                    )
                })?
            }
            State::Redis { pool, prefix } => {
                let (pool, prefix) = (pool.clone(), prefix.clone());
                actix_web::web::block(move || Self::admit_redis(&pool, &prefix, &keys))
                    .await
                    .map_err(|e| {
                        Fault::server(urna_wire::FaultReason::WorkerFailure, e.to_string())
                    })?
                    .map_err(|e| {
                        Fault::server(
                            urna_wire::FaultReason::StorageUnavailable,
                            format!("rate limit state in Redis: {e}"),
                        )
                    })?
            }
        };
        match refused {
            None => Ok(()),
            Some((wait_ms, what)) => {
                let secs = ((wait_ms + 999) / 1000) as u64;
                let mut f = Fault::policy(
                    urna_wire::FaultReason::RateLimited,
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
