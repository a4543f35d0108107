//! What a backup needs of the store (the procedure is urna-server's
//! `backup`): the row counts a manifest records and a restore checks, a
//! consistent copy of a SQLite database while it serves (`VACUUM INTO`), and
//! the snapshot a PostgreSQL dump is taken in, shared with the counts.

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::{AnyConnection, StoreError};

/// The tables whose rows a manifest counts: the electoral data, what was
/// done to it, and the audit log.
pub const COUNTED: &[&str] = &[
    "comuni",
    "constituencies",
    "sections",
    "subjects",
    "electors",
    "operations",
    "idempotency",
    "certificates",
    "double_registrations",
    "subentro_jobs",
    "extraction_jobs",
    "operators",
    "alerts",
    "audit_log",
];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Rows per counted table.
pub fn counts(conn: &mut AnyConnection) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut out = BTreeMap::new();
    for t in COUNTED {
        let c: Count =
            diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {t}")).get_result(conn)?;
        out.insert((*t).to_string(), c.n);
    }
    Ok(out)
}

/// Writes a consistent copy of the SQLite database to `path` (which must
/// not exist), while others keep reading and writing: `VACUUM INTO` reads
/// one snapshot. Run outside a transaction.
pub fn sqlite_copy(conn: &mut AnyConnection, path: &str) -> Result<(), StoreError> {
    let AnyConnection::Sqlite(c) = conn else {
        return Err(StoreError::Data("VACUUM INTO is SQLite's".into()));
    };
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(path)
        .execute(c)?;
    Ok(())
}

/// Exports the snapshot of the current (REPEATABLE READ) PostgreSQL
/// transaction, for `pg_dump --snapshot` to dump exactly what this
/// transaction sees.
pub fn pg_export_snapshot(conn: &mut AnyConnection) -> Result<String, StoreError> {
    #[derive(QueryableByName)]
    struct Snapshot {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let AnyConnection::Postgresql(c) = conn else {
        return Err(StoreError::Data(
            "snapshots are exported by PostgreSQL".into(),
        ));
    };
    let s: Snapshot = diesel::sql_query("SELECT pg_export_snapshot() AS id").get_result(c)?;
    Ok(s.id)
}

/// How many tables the PostgreSQL database at `url` has in its `public`
/// schema, without migrating it (a restore needs an empty database).
pub fn pg_table_count(url: &str) -> Result<i64, StoreError> {
    let mut c = crate::conn::pg_establish(url).map_err(StoreError::Connect)?;
    let n: Count =
        diesel::sql_query("SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = 'public'")
            .get_result(&mut c)?;
    Ok(n.n)
}
