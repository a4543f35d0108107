//! Statements written out in SQL that diesel's prepared-statement cache
//! keeps.
//!
//! diesel never caches `sql_query`, an upsert (`ON CONFLICT … DO …`) or an
//! `UPDATE` (their fragments mark the statement unsafe to cache), so each of
//! them was prepared again for every request: for a 5010 that was about
//! 50 µs of SQLite's parser, the statement being a 16-column upsert.
//! [`Cached`] is the same statement as a query fragment that does not opt
//! out: diesel keys it by its text and bind types and prepares it once per
//! connection. Only for statements run per request; the rest keep diesel's
//! builders.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Integer, Nullable, SingleValue, Text};
use diesel::{QueryResult, RunQueryDsl};

/// One bound value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bind<'a> {
    Text(Option<&'a str>),
    BigInt(Option<i64>),
    Integer(Option<i32>),
}

impl<'a> From<&'a str> for Bind<'a> {
    fn from(v: &'a str) -> Self {
        Bind::Text(Some(v))
    }
}

impl<'a> From<&'a String> for Bind<'a> {
    fn from(v: &'a String) -> Self {
        Bind::Text(Some(v))
    }
}

impl<'a> From<&'a Option<String>> for Bind<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Bind::Text(v.as_deref())
    }
}

impl<'a> From<Option<&'a str>> for Bind<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Bind::Text(v)
    }
}

impl From<Option<i32>> for Bind<'_> {
    fn from(v: Option<i32>) -> Self {
        Bind::Integer(v)
    }
}

impl From<i64> for Bind<'_> {
    fn from(v: i64) -> Self {
        Bind::BigInt(Some(v))
    }
}

impl From<Option<i64>> for Bind<'_> {
    fn from(v: Option<i64>) -> Self {
        Bind::BigInt(v)
    }
}

/// `sql` with one `?` per bind, in order (the backend's placeholder is
/// written in its place: `?` on SQLite, `$n` on PostgreSQL). The text must
/// hold no other `?`. `Row` is the SQL type of what a `RETURNING` clause
/// gives back ([`Cached::returning`]); `()` for a statement run for its
/// effect.
#[derive(Debug)]
pub(crate) struct Cached<'a, Row = ()> {
    sql: &'static str,
    binds: Vec<Bind<'a>>,
    row: PhantomData<Row>,
}

impl<'a> Cached<'a> {
    pub(crate) fn new(sql: &'static str, binds: Vec<Bind<'a>>) -> Self {
        debug_assert_eq!(
            sql.matches('?').count(),
            binds.len(),
            "one bind per placeholder: {sql}"
        );
        Cached {
            sql,
            binds,
            row: PhantomData,
        }
    }

    /// The statement ends in `RETURNING` one value of SQL type `Row`.
    pub(crate) fn returning<Row: SingleValue>(self) -> Cached<'a, Row> {
        Cached {
            sql: self.sql,
            binds: self.binds,
            row: PhantomData,
        }
    }
}

impl<DB, Row> QueryFragment<DB> for Cached<'_, Row>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Integer>,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut pieces = self.sql.split('?');
        out.push_sql(pieces.next().unwrap_or_default());
        for (bind, piece) in self.binds.iter().zip(pieces) {
            match bind {
                Bind::Text(v) => out.push_bind_param::<Nullable<Text>, _>(v)?,
                Bind::BigInt(v) => out.push_bind_param::<Nullable<BigInt>, _>(v)?,
                Bind::Integer(v) => out.push_bind_param::<Nullable<Integer>, _>(v)?,
            }
            out.push_sql(piece);
        }
        Ok(())
    }
}

impl<Row> QueryId for Cached<'_, Row> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Row: SingleValue> Query for Cached<'_, Row> {
    type SqlType = Row;
}

impl<Conn, Row> RunQueryDsl<Conn> for Cached<'_, Row> {}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::debug_query;
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    use super::*;

    #[test]
    fn placeholders_are_the_backends_and_binds_keep_their_order() {
        let q = Cached::new(
            "INSERT INTO t (a, b, c) VALUES (?, ?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b",
            vec!["x".into(), Bind::Text(None), 7i64.into()],
        );
        let pg = debug_query::<diesel::pg::Pg, _>(&q).to_string();
        assert!(
            pg.starts_with("INSERT INTO t (a, b, c) VALUES ($1, $2, $3) ON CONFLICT (a)"),
            "{pg}"
        );
        let lite = debug_query::<Sqlite, _>(&q).to_string();
        assert!(lite.contains("VALUES (?, ?, ?)"), "{lite}");
        assert!(lite.contains(r#"[Some("x"), None, Some(7)]"#), "{lite}");
    }

    #[test]
    fn the_statement_is_cacheable_and_runs() {
        let mut c = SqliteConnection::establish(":memory:").unwrap();
        c.batch_execute("CREATE TABLE t (a TEXT PRIMARY KEY, b TEXT, c BIGINT)")
            .unwrap();
        let q = |b: Option<&'static str>, n: i64| {
            Cached::new(
                "INSERT INTO t (a, b, c) VALUES (?, ?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = excluded.c",
                vec!["k".into(), Bind::Text(b), n.into()],
            )
        };
        assert!(
            QueryFragment::<Sqlite>::is_safe_to_cache_prepared(&q(None, 1), &Sqlite).unwrap(),
            "diesel would prepare it for every request"
        );
        q(None, 1).execute(&mut c).unwrap();
        q(Some("v"), 2).execute(&mut c).unwrap();
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Nullable<Text>)]
            b: Option<String>,
            #[diesel(sql_type = BigInt)]
            c: i64,
        }
        let rows: Vec<Row> = diesel::sql_query("SELECT b, c FROM t")
            .load(&mut c)
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].b.as_deref(), rows[0].c), (Some("v"), 2));
    }
}
