//! Rate limits shared through the database: GCRA (the "generic cell rate
//! algorithm" of governor and most API gateways), one atomic statement per
//! key, so two urna nodes on one PostgreSQL admit the quota once, not twice.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::{per_backend, AnyConnection, StoreError};

#[derive(QueryableByName)]
struct Tat {
    #[diesel(sql_type = BigInt)]
    tat: i64,
}

/// Admits one request for `key` at `now` (Unix ms) with emission interval
/// `interval_ms` (1000 / rate) and burst tolerance `tolerance_ms`
/// (interval × (burst − 1)). Returns `Ok(None)` when admitted, or
/// `Ok(Some(ms))` with the wait before a retry can be admitted.
pub fn admit(
    conn: &mut AnyConnection,
    key: &str,
    now: i64,
    interval_ms: i64,
    tolerance_ms: i64,
) -> Result<Option<i64>, StoreError> {
    // Insert, or move the arrival time if within tolerance; a row comes
    // back only when admitted. The row lock serialises nodes.
    let sql = "INSERT INTO rate_limits (key, tat) VALUES ($1, $2 + $3) \
               ON CONFLICT (key) DO UPDATE SET tat = \
                 (CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END) + $3 \
               WHERE rate_limits.tat <= $2 + $4 \
               RETURNING tat";
    let admitted: Vec<Tat> = per_backend!(conn, |c| diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(interval_ms)
        .bind::<BigInt, _>(tolerance_ms)
        .load(c))?;
    if !admitted.is_empty() {
        return Ok(None);
    }
    let current: Vec<Tat> = per_backend!(conn, |c| diesel::sql_query(
        "SELECT tat FROM rate_limits WHERE key = $1"
    )
    .bind::<Text, _>(key)
    .load(c))?;
    let tat = current.first().map_or(now, |t| t.tat);
    Ok(Some((tat - tolerance_ms - now).max(1)))
}
