//! urna's persistence: one code path over SQLite (embedded default) and
//! PostgreSQL through diesel's `MultiConnection`.
//!
//! * The backend is chosen by the URL scheme (`sqlite://…`, `postgres://…`),
//!   never guessed: a mistyped PostgreSQL URL must not silently create a file.
//! * Migrations are per backend (`migrations/{sqlite,postgres}`), embedded in the
//!   binary and run on open.
//! * Statements the `MultiBackend` cannot express (multi-row inserts, `ON
//!   CONFLICT`) go through [`per_backend!`], which expands one DSL body per variant.
//! * [`Store::write`] runs one transaction; on SQLite it also takes the
//!   process-wide writer lock (SQLite has a single writer; taking it up front
//!   avoids `SQLITE_BUSY` on lock upgrade).
#![forbid(unsafe_code)]

pub mod alerts;
pub mod audit;
pub mod backup;
mod cached;
pub mod captchas;
pub mod certificates;
pub mod comuni;
mod conn;
pub mod constituencies;
pub mod doubles;
pub mod electors;
pub mod extractions;
pub mod operations;
pub mod operators;
pub mod ratelimit;
pub mod replay;
pub mod schema;
pub mod sections;
pub mod subentro;
pub mod subjects;
pub mod summaries;
pub mod testing;

pub use conn::{prepare_bulk_load, transaction, AnyConnection, Backend, Store, StoreError};

/// Runs the same diesel DSL body against the concrete connection of each
/// backend (for statements `MultiBackend` does not support).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::AnyConnection::Postgresql($c) => $body,
            $crate::AnyConnection::Sqlite($c) => $body,
        }
    };
}

/// Milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
