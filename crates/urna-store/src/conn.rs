//! Connections, pool, migrations and transactions.

use std::sync::Mutex;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self as dr2d2, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub(crate) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub(crate) const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectionError),
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("invalid database URL {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[error("{0}")]
    Data(String),
}

impl StoreError {
    /// True when a unique constraint refused a row (a concurrent duplicate).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Db(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend by URL scheme and returns the connection string the
    /// driver expects.
    pub fn from_url(url: &str) -> Result<(Backend, String), StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok((Backend::Postgres, url.to_string()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::Url {
                    url: url.into(),
                    reason: "sqlite:// needs a file path, e.g. sqlite://var/urna.db".into(),
                });
            }
            Ok((Backend::Sqlite, path.to_string()))
        } else {
            Err(StoreError::Url {
                url: url.into(),
                reason: "the scheme must be sqlite:// or postgres://".into(),
            })
        }
    }
}

/// Opens a PostgreSQL connection, with OpenSSL initialised by the `openssl`
/// crate first: libpq negotiates TLS even with a local server, and its own
/// initialisation would register OpenSSL's exit-time cleanup (the story:
/// `urna_security::wss::init_openssl`; `tests/openssl_exit.rs` checks it).
pub(crate) fn pg_establish(url: &str) -> ConnectionResult<PgConnection> {
    openssl::init();
    PgConnection::establish(url)
}

/// r2d2 manager that creates the variant named by the URL scheme.
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
    target: String,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = dr2d2::Error;

    fn connect(&self) -> Result<AnyConnection, dr2d2::Error> {
        match self.backend {
            Backend::Postgres => pg_establish(&self.target)
                .map(AnyConnection::Postgresql)
                .map_err(dr2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut c = SqliteConnection::establish(&self.target)
                    .map_err(dr2d2::Error::ConnectionError)?;
                c.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(dr2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), dr2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(dr2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

/// The database: a pool plus, on SQLite, the writer lock.
pub struct Store {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    writer: Option<Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Store {
    /// Opens (and migrates) the database named by `url`.
    pub fn open(url: &str, pool_size: u32) -> Result<Store, StoreError> {
        let (backend, target) = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            if let Some(dir) = std::path::Path::new(&target).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Url {
                        url: url.into(),
                        reason: format!("cannot create {}: {e}", dir.display()),
                    })?;
                }
            }
        }
        let manager = Manager { backend, target };
        // Migrate on a dedicated connection before the pool exists.
        let mut c = manager.connect().map_err(|e| match e {
            dr2d2::Error::ConnectionError(c) => StoreError::Connect(c),
            dr2d2::Error::QueryError(q) => StoreError::Db(q),
        })?;
        migrate(&mut c)?;
        drop(c);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        Ok(Store {
            pool,
            backend,
            writer: (backend == Backend::Sqlite).then(|| Mutex::new(())),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database answers, and how many of urna's migrations it
    /// has not run (another node may have started a newer urna, or this
    /// one an older: both are not ready to serve together).
    pub fn readiness(&self) -> Result<usize, StoreError> {
        let mut c = self.pool.get()?;
        let pending = match &mut *c {
            AnyConnection::Sqlite(c) => c.pending_migrations(SQLITE_MIGRATIONS).map(|m| m.len()),
            AnyConnection::Postgresql(c) => {
                c.pending_migrations(POSTGRES_MIGRATIONS).map(|m| m.len())
            }
        };
        pending.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Runs `f` on a pooled connection, outside any explicit transaction.
    pub fn read<R>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut c = self.pool.get()?;
        f(&mut c)
    }

    /// Runs `f` in one read-only transaction on one snapshot: every query it
    /// makes sees the store as it was when the first one ran, whatever is
    /// written meanwhile (PostgreSQL: REPEATABLE READ; SQLite: a WAL read
    /// transaction). For reads that span many queries, like an export.
    pub fn snapshot<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut c = self.pool.get().map_err(|e| E::from(StoreError::Pool(e)))?;
        transaction(&mut c, |c| {
            if let AnyConnection::Postgresql(pg) = c {
                // Allowed only as the transaction's first statement.
                pg.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .map_err(|e| E::from(StoreError::Db(e)))?;
            }
            f(c)
        })
    }

    /// Runs `f` in one transaction: everything it writes lands, or nothing.
    /// `f` may fail with its own error type; the transaction is then rolled back.
    pub fn write<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut c = self.pool.get().map_err(|e| E::from(StoreError::Pool(e)))?;
        let _guard = self
            .writer
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        transaction(&mut c, f)
    }
}

/// Prepares `conn` for a bulk load (electoral takeover). On SQLite it gets a
/// 128 MiB page cache: takeover records come in arbitrary section order, so
/// a transaction dirties a leaf of the list indexes for every section, and
/// those pages must stay cached until the commit writes each of them once.
/// With 64 MiB the 2M-elector load took 10.7–11.9× the time of 200k (the
/// indexes outgrew the cache); with 128 MiB 9.5–10.2×, peak RSS 215 MB
/// (`make bench-subentro`). The setting stays with the pooled connection
/// (memory bounded by it).
/// Nothing to do on PostgreSQL.
pub fn prepare_bulk_load(conn: &mut AnyConnection) -> Result<(), StoreError> {
    if let AnyConnection::Sqlite(c) = conn {
        c.batch_execute("PRAGMA cache_size = -131072")?;
    }
    Ok(())
}

/// Runs `f` in a transaction on `conn`, or in a savepoint when a transaction is
/// already open (diesel nests them): an error rolls back exactly what `f` did.
pub fn transaction<R, E: From<StoreError>>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<R, E>,
) -> Result<R, E> {
    enum TxError<E> {
        Db(diesel::result::Error),
        App(E),
    }
    impl<E> From<diesel::result::Error> for TxError<E> {
        fn from(e: diesel::result::Error) -> Self {
            TxError::Db(e)
        }
    }
    conn.transaction(|c| f(c).map_err(TxError::App))
        .map_err(|e| match e {
            TxError::Db(d) => E::from(StoreError::Db(d)),
            TxError::App(e) => e,
        })
}

fn migrate(c: &mut AnyConnection) -> Result<(), StoreError> {
    let r = match c {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    r.map_err(|e| StoreError::Migration(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme_only() {
        assert_eq!(
            Backend::from_url("sqlite://var/urna.db").unwrap(),
            (Backend::Sqlite, "var/urna.db".into())
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(Backend::from_url("postgre://u@h/db").is_err());
        assert!(Backend::from_url("var/urna.db").is_err());
        assert!(Backend::from_url("sqlite://").is_err());
    }
}
