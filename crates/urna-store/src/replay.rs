//! Replay protection: each accepted message signature once, until it expires.

use diesel::prelude::*;

use crate::cached::Cached;
use crate::schema::replay_cache;
use crate::{per_backend, AnyConnection, StoreError};

/// Records `key` until `expires_at` (Unix ms). Returns `false` when it is
/// already recorded: the message was accepted before (on this node or on
/// another node sharing the database). Runs in the caller's transaction, so a
/// request that rolls back leaves no trace and may be sent again.
pub fn remember(conn: &mut AnyConnection, key: &str, expires_at: i64) -> Result<bool, StoreError> {
    // Written out, so that it is prepared once per connection (see `cached`).
    let q = Cached::new(
        "INSERT INTO replay_cache (replay_key, expires_at) VALUES (?, ?) \
         ON CONFLICT (replay_key) DO NOTHING",
        vec![key.into(), expires_at.into()],
    );
    let inserted = per_backend!(conn, |c| q.execute(c))?;
    Ok(inserted == 1)
}

/// Forgets keys that expired before `now` (Unix ms); returns how many.
pub fn prune(conn: &mut AnyConnection, now: i64) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(replay_cache::table.filter(replay_cache::expires_at.lt(now)))
            .execute(conn)?,
    )
}
