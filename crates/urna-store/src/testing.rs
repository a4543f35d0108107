//! Throw-away databases for tests, on both backends.
//!
//! * SQLite: a file in a temporary directory.
//! * PostgreSQL: a template database is migrated once per migration set, then
//!   every test gets `CREATE DATABASE <random> TEMPLATE <template>`, dropped
//!   `WITH (FORCE)` when the [`TestDb`] is dropped. The server is
//!   `URNA_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//!   When it does not answer the PostgreSQL cases are skipped with a note,
//!   unless `URNA_REQUIRE_PG=1` (set by CI), which makes them fail.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::conn::POSTGRES_MIGRATIONS;

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/test";
const LOCK_KEY: i64 = 0x75726e61; // "urna"

/// A database that exists for the lifetime of this value.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label)
    }
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}/urna.db", dir.path().display());
        TestDb {
            url,
            label: "sqlite",
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` if PostgreSQL is unavailable and
    /// not required.
    pub fn postgres() -> Option<TestDb> {
        let admin = std::env::var("URNA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG.to_string());
        let required = std::env::var("URNA_REQUIRE_PG").is_ok_and(|v| v == "1");
        match create_pg(&admin) {
            Ok(db) => Some(db),
            Err(e) if required => {
                panic!("PostgreSQL required (URNA_REQUIRE_PG=1) but unusable at {admin}: {e}")
            }
            Err(e) => {
                eprintln!("note: PostgreSQL cases skipped ({admin}: {e})");
                None
            }
        }
    }

    /// An empty database of the same backend, for a restore: a SQLite path
    /// not yet created, or a PostgreSQL database without tables (not from
    /// the migrated template).
    pub fn empty_like(&self) -> TestDb {
        match &self.pg {
            None => {
                let dir = tempfile::tempdir().expect("temporary directory");
                TestDb {
                    url: format!("sqlite://{}/restored.db", dir.path().display()),
                    label: "sqlite",
                    _dir: Some(dir),
                    pg: None,
                }
            }
            Some((admin_url, _)) => {
                let name = format!("urna_test_{}", uuid::Uuid::new_v4().simple());
                crate::conn::pg_establish(admin_url)
                    .expect("PostgreSQL")
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("CREATE DATABASE");
                TestDb {
                    url: replace_db(admin_url, &name),
                    label: "postgres",
                    _dir: None,
                    pg: Some((admin_url.clone(), name)),
                }
            }
        }
    }

    /// SQLite, plus PostgreSQL when available.
    pub fn all() -> Vec<TestDb> {
        let mut v = vec![TestDb::sqlite()];
        v.extend(TestDb::postgres());
        v
    }
}

fn replace_db(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) if !url[..i].ends_with('/') => format!("{}/{db}", &url[..i]),
        _ => format!("{}/{db}", url.trim_end_matches('/')),
    }
}

fn template_name() -> String {
    let names: Vec<String> = MigrationSource::<Pg>::migrations(&POSTGRES_MIGRATIONS)
        .expect("embedded migrations")
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let h = Sha256::digest(names.join("|").as_bytes());
    format!("urna_tpl_{}", &hex::encode(h)[..12])
}

fn create_pg(admin_url: &str) -> Result<TestDb, String> {
    let mut admin = crate::conn::pg_establish(admin_url).map_err(|e| e.to_string())?;
    let tpl = template_name();
    let name = format!("urna_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!("SELECT pg_advisory_lock({LOCK_KEY})"))
        .map_err(|e| e.to_string())?;
    let result = (|| {
        #[derive(QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let exists: Exists =
            diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                .bind::<diesel::sql_types::Text, _>(&tpl)
                .get_result(&mut admin)
                .map_err(|e| e.to_string())?;
        if exists.n == 0 {
            admin
                .batch_execute(&format!("CREATE DATABASE {tpl}"))
                .map_err(|e| e.to_string())?;
            let url = replace_db(admin_url, &tpl);
            // Opening the store migrates it; drop it so the template is unused.
            let store = crate::Store::open(&url, 1).map_err(|e| e.to_string())?;
            drop(store);
        }
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {tpl}"))
            .map_err(|e| e.to_string())
    })();
    let _ = admin.batch_execute(&format!("SELECT pg_advisory_unlock({LOCK_KEY})"));
    result?;
    Ok(TestDb {
        url: replace_db(admin_url, &name),
        label: "postgres",
        _dir: None,
        pg: Some((admin_url.to_string(), name)),
    })
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut c) = crate::conn::pg_establish(admin) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced_in_urls() {
        assert_eq!(
            replace_db("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            replace_db("postgres://u@h:5432", "x"),
            "postgres://u@h:5432/x"
        );
    }
}
