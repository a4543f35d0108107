//! The audit chain on both backends: appends link, the database refuses
//! changes, and verification finds the first edited, removed or re-linked
//! entry when someone with DDL rights bypasses the triggers.

use diesel::connection::SimpleConnection;
use urna_store::audit::{self, Entry};
use urna_store::testing::TestDb;
use urna_store::{AnyConnection, Store};

fn entry(i: i64) -> Entry<'static> {
    Entry {
        at_ms: 1_700_000_000_000 + i,
        operation: "5010",
        outcome: "OK",
        id_operazione_anpr: Some(i),
        comune: Some("058091"),
        station: "058091-PC-0001",
        operator: Some("RSSMRA80A01H501U"),
        auth_mode: "wss-saml",
        request_digest: "aa",
        response_digest: "bb",
    }
}

fn filled(db: &TestDb, n: i64) -> Store {
    let store = Store::open(&db.url, 2).unwrap();
    for i in 1..=n {
        let seq = store.write(|c| audit::append(c, &entry(i))).unwrap();
        assert_eq!(seq, i);
    }
    store
}

fn raw(store: &Store, sql: &str) -> Result<(), String> {
    store
        .write(|c: &mut AnyConnection| c.batch_execute(sql).map_err(urna_store::StoreError::from))
        .map_err(|e| e.to_string())
}

/// Another empty database of the same backend.
fn fresh(like: &TestDb) -> TestDb {
    if like.label == "sqlite" {
        TestDb::sqlite()
    } else {
        TestDb::postgres().expect("PostgreSQL")
    }
}

/// What an attacker with DDL rights does first.
fn drop_guards(store: &Store, db: &TestDb) {
    let sql = if db.label == "sqlite" {
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
    } else {
        "DROP TRIGGER audit_log_no_change ON audit_log;"
    };
    raw(store, sql).unwrap();
}

#[test]
fn appends_form_a_chain_that_verifies() {
    for db in TestDb::all() {
        let store = filled(&db, 25);
        let r = store.read(|c| audit::verify(c, &[10, 25, 99])).unwrap();
        assert_eq!(r.entries, 25, "{}", db.label);
        assert_eq!(r.first_broken, None, "{}", db.label);
        let (seq, hash) = store.read(audit::head).unwrap();
        assert_eq!((seq, hash.as_str()), (25, r.last_hash.as_str()));
        assert!(r.hashes_at[0].1.is_some() && r.hashes_at[2].1.is_none());
        // Each entry links to the previous one.
        let rows: Vec<(i64, String, String)> = store
            .read(|c| {
                use diesel::prelude::*;
                use urna_store::schema::audit_log::dsl::*;
                Ok(audit_log
                    .select((seq, prev_hash, hash))
                    .order(seq)
                    .load(c)?)
            })
            .unwrap();
        assert_eq!(rows[0].1, audit::GENESIS);
        for w in rows.windows(2) {
            assert_eq!(w[1].1, w[0].2);
        }
    }
}

#[test]
fn the_database_refuses_update_and_delete() {
    for db in TestDb::all() {
        let store = filled(&db, 3);
        for sql in [
            "UPDATE audit_log SET outcome = 'KO' WHERE seq = 2",
            "DELETE FROM audit_log WHERE seq = 3",
        ] {
            let e = raw(&store, sql).unwrap_err();
            assert!(e.contains("append-only"), "{}: {sql}: {e}", db.label);
        }
        if db.label != "sqlite" {
            let e = raw(&store, "TRUNCATE audit_log").unwrap_err();
            assert!(e.contains("append-only"), "{e}");
        }
        assert_eq!(
            store.read(|c| audit::verify(c, &[])).unwrap().first_broken,
            None
        );
    }
}

#[test]
fn verification_finds_the_first_edited_or_removed_entry() {
    for db in TestDb::all() {
        // An edited field.
        let store = filled(&db, 12);
        drop_guards(&store, &db);
        raw(&store, "UPDATE audit_log SET outcome = 'KO' WHERE seq = 7").unwrap();
        let r = store.read(|c| audit::verify(c, &[])).unwrap();
        assert_eq!(
            r.first_broken.as_ref().map(|b| b.0),
            Some(7),
            "{}: {r:?}",
            db.label
        );
        // A removed entry.
        let db2 = fresh(&db);
        let store = filled(&db2, 12);
        drop_guards(&store, &db);
        raw(&store, "DELETE FROM audit_log WHERE seq = 5").unwrap();
        let r = store.read(|c| audit::verify(c, &[])).unwrap();
        assert_eq!(
            r.first_broken.as_ref().map(|b| b.0),
            Some(5),
            "{}: {r:?}",
            db.label
        );
        // The tail cut off (the head still names the last entry).
        let db3 = fresh(&db);
        let store = filled(&db3, 12);
        drop_guards(&store, &db);
        raw(&store, "DELETE FROM audit_log WHERE seq > 9").unwrap();
        let r = store.read(|c| audit::verify(c, &[])).unwrap();
        assert!(r.first_broken.is_some(), "{}: {r:?}", db.label);
    }
}
