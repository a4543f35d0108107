//! `urna audit sign-head` and `urna audit verify` on a real database: an
//! intact log passes; a whole-table rewrite (a new chain, consistent in
//! itself) is caught by the signed heads; a forged head line is caught by
//! its signature.

use std::process::Command;

use diesel::connection::SimpleConnection;
use urna_store::audit::{self, Entry};
use urna_store::testing::TestDb;
use urna_store::Store;

use crate::common;

fn urna(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    common::urna(db, dir, args, &[])
}

fn urna_env(
    db: &TestDb,
    dir: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String) {
    common::urna(db, dir, args, env)
}

/// A development PKI in a fresh folder and a fresh SQLite database.
fn setup() -> (tempfile::TempDir, TestDb, Store) {
    let tmp = tempfile::tempdir().unwrap();
    urna_pki::PkiDir::new(tmp.path().join("pki"))
        .init(&["localhost"], &[])
        .unwrap();
    let db = TestDb::sqlite();
    let store = Store::open(&db.url, 1).unwrap();
    (tmp, db, store)
}

fn append(store: &Store, outcome: &'static str, n: i64) {
    append_at(store, outcome, n, 1_700_000_000_000);
}

/// Appends `n` entries written at `at_ms` onwards.
fn append_at(store: &Store, outcome: &'static str, n: i64, at_ms: i64) {
    for i in 0..n {
        store
            .write(|c| {
                audit::append(
                    c,
                    &Entry {
                        at_ms: at_ms + i,
                        operation: "5011",
                        outcome,
                        id_operazione_anpr: Some(i),
                        comune: Some("058091"),
                        station: "058091-PC-0001",
                        operator: None,
                        auth_mode: "wss-saml",
                        request_digest: "aa",
                        response_digest: "bb",
                    },
                )
            })
            .unwrap();
    }
}

#[test]
fn signed_heads_catch_a_rewritten_table_and_a_forged_head() {
    let (tmp, db, store) = setup();
    let dir = tmp.path();
    append(&store, "OK", 5);
    let (ok, out) = urna(&db, dir, &["audit", "sign-head"]);
    assert!(ok && out.contains("signed head 5"), "{out}");
    let (ok, out) = urna(&db, dir, &["audit", "verify"]);
    assert!(ok && out.contains("audit log intact"), "{out}");
    assert!(
        out.contains("5 entries") && out.contains("1 signed heads"),
        "{out}"
    );

    // A forged head line (another hash, the old signature).
    let heads = std::fs::read_to_string(dir.join("heads.jsonl")).unwrap();
    let forged = heads.replacen("\"hash\":\"", "\"hash\":\"0", 1);
    std::fs::write(dir.join("forged.jsonl"), &forged).unwrap();
    let (ok, out) = urna(&db, dir, &["audit", "verify", "--heads", "forged.jsonl"]);
    assert!(!ok && out.contains("does not verify"), "{out}");

    // Someone with DDL rights rewrites the whole table: a new chain,
    // consistent in itself, with other outcomes.
    store
        .write(|c| {
            c.batch_execute(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; \
                 DELETE FROM audit_log; UPDATE audit_head SET seq = 0, \
                 hash = '0000000000000000000000000000000000000000000000000000000000000000';",
            )
            .map_err(urna_store::StoreError::from)
        })
        .unwrap();
    append(&store, "KO", 6);
    assert_eq!(
        store.read(|c| audit::verify(c, &[])).unwrap().first_broken,
        None
    );
    let (ok, out) = urna(&db, dir, &["audit", "verify"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("signed head 5") && out.contains("rewritten"),
        "{out}"
    );
}

fn drop_triggers(store: &Store, sql: &str) {
    store
        .write(|c| {
            c.batch_execute(&format!(
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"
            ))
            .map_err(urna_store::StoreError::from)
        })
        .unwrap();
}

/// The hardening review's tail attacks: no heads file; entries no head
/// covers, older than the signing interval; the last entry deleted and the
/// head row fixed.
#[test]
fn a_missing_heads_file_an_old_unsigned_tail_and_a_cut_tail_fail() {
    let (tmp, db, store) = setup();
    let dir = tmp.path();
    append(&store, "OK", 5);
    let (ok, out) = urna(&db, dir, &["audit", "verify"]);
    assert!(!ok && out.contains("no heads file"), "{out}");

    let (ok, out) = urna(&db, dir, &["audit", "sign-head"]);
    assert!(ok, "{out}");
    let (ok, out) = urna(&db, dir, &["audit", "verify"]);
    assert!(ok && out.contains("audit log intact"), "{out}");

    // Two entries from long ago that no head covers.
    append(&store, "OK", 2);
    let (ok, out) = urna(&db, dir, &["audit", "verify"]);
    assert!(
        !ok && out.contains("entries 6..7 are covered by no signed head"),
        "{out}"
    );
    urna(&db, dir, &["audit", "sign-head"]);
    // A fresh entry not yet signed is only noted.
    append_at(&store, "OK", 1, urna_store::now_millis());
    let (ok, out) = urna(&db, dir, &["audit", "verify"]);
    assert!(
        ok && out.contains("note: entries 8..8 are not yet covered"),
        "{out}"
    );

    // Sign 8, then delete it and make the head row say 7 again.
    urna(&db, dir, &["audit", "sign-head"]);
    let (seq7, hash7): (i64, String) = store
        .read(|c| {
            use diesel::prelude::*;
            use urna_store::schema::audit_log::dsl::*;
            Ok(audit_log.filter(seq.eq(7)).select((seq, hash)).first(c)?)
        })
        .unwrap();
    drop_triggers(
        &store,
        &format!("DELETE FROM audit_log WHERE seq = 8; UPDATE audit_head SET seq = {seq7}, hash = '{hash7}';"),
    );
    assert_eq!(
        store.read(|c| audit::verify(c, &[])).unwrap().first_broken,
        None
    );
    let (ok, out) = urna(&db, dir, &["audit", "verify"]);
    assert!(
        !ok && out.contains("signed head 8") && out.contains("no longer has"),
        "{out}"
    );
}

/// Entry 3 rewritten and the chain recomputed from there: the head that
/// covers it disagrees.
#[test]
fn a_rewritten_entry_with_a_recomputed_chain_fails() {
    let (tmp, db, store) = setup();
    let dir = tmp.path();
    append(&store, "OK", 5);
    urna(&db, dir, &["audit", "sign-head"]);
    // Recompute the chain as a forger would, with entry 3 saying KO.
    let rows: Vec<audit::Row> = store
        .read(|c| {
            use diesel::prelude::*;
            use urna_store::schema::audit_log::dsl::*;
            Ok(audit_log
                .order(seq)
                .select(audit::Row::as_select())
                .load(c)?)
        })
        .unwrap();
    let mut prev = audit::GENESIS.to_string();
    let mut sql = String::new();
    for r in &rows {
        let outcome = if r.seq == 3 { "KO" } else { r.outcome.as_str() };
        let e = Entry {
            at_ms: r.at_ms,
            operation: &r.operation,
            outcome,
            id_operazione_anpr: r.id_operazione_anpr,
            comune: r.comune.as_deref(),
            station: &r.station,
            operator: r.operator.as_deref(),
            auth_mode: &r.auth_mode,
            request_digest: &r.request_digest,
            response_digest: &r.response_digest,
        };
        let h = audit::chain_hash(&prev, r.seq, &e);
        sql += &format!(
            "UPDATE audit_log SET outcome = '{outcome}', prev_hash = '{prev}', hash = '{h}' WHERE seq = {};",
            r.seq
        );
        prev = h;
    }
    sql += &format!("UPDATE audit_head SET hash = '{prev}';");
    drop_triggers(&store, &sql);
    assert_eq!(
        store.read(|c| audit::verify(c, &[])).unwrap().first_broken,
        None
    );
    let (ok, out) = urna(&db, dir, &["audit", "verify"]);
    assert!(
        !ok && out.contains("signed head 5") && out.contains("rewritten"),
        "{out}"
    );
}

/// Heads time-stamped by a local RFC 3161 authority: checked by `audit
/// verify` and by `openssl ts -verify`; refused against another authority,
/// when a head lacks its stamp, when the stamp is of another message, and
/// when its time is too far from the head's.
#[test]
fn time_stamped_heads_are_checked_against_the_authority() {
    let (tmp, db, store) = setup();
    let dir = tmp.path();
    append(&store, "OK", 3);
    let tsa = urna_testkit::tsa::LocalTsa::start("first").unwrap();
    let other = urna_testkit::tsa::LocalTsa::start("other").unwrap();
    let ca = tsa.ca_cert.to_str().unwrap().to_string();
    let with_tsa = [
        ("URNA_AUDIT__TSA_URL", tsa.url.as_str()),
        ("URNA_AUDIT__TSA_CERT", ca.as_str()),
    ];
    let (ok, out) = urna_env(&db, dir, &["audit", "sign-head"], &with_tsa);
    assert!(ok, "{out}");
    let (ok, out) = urna_env(&db, dir, &["audit", "verify"], &with_tsa);
    assert!(ok && out.contains("1 time-stamps checked"), "{out}");

    // An independent check of the token: openssl ts -verify.
    let line = std::fs::read_to_string(dir.join("heads.jsonl")).unwrap();
    let head: urna_security::audit_head::SignedHead = serde_json::from_str(line.trim()).unwrap();
    let token = urna_security::wss::unb64(head.tsa_token.as_deref().unwrap()).unwrap();
    std::fs::write(dir.join("token.der"), token).unwrap();
    let imprint: String = head.imprint().iter().map(|b| format!("{b:02x}")).collect();
    let o = Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(dir.join("token.der"))
        .args(["-digest", &imprint, "-CAfile", &ca])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && said.contains("Verification: OK"),
        "{said}"
    );

    // Another authority's certificate.
    let other_ca = other.ca_cert.to_str().unwrap();
    let (ok, out) = urna_env(
        &db,
        dir,
        &["audit", "verify"],
        &[("URNA_AUDIT__TSA_CERT", other_ca)],
    );
    assert!(!ok && out.contains("does not verify"), "{out}");
    // The stamp's time against the head's: a zero-second tolerance that the
    // token cannot meet (its time is one second coarse at best).
    let (ok, out) = urna_env(
        &db,
        dir,
        &["audit", "verify"],
        &[
            ("URNA_AUDIT__TSA_CERT", ca.as_str()),
            ("URNA_AUDIT__TSA_MAX_SKEW_SECS", "-1"),
        ],
    );
    assert!(!ok && out.contains("signed at another time"), "{out}");
    // A head signed without the authority (an attacker holding urna's key
    // but not the TSA's).
    append(&store, "OK", 1);
    urna(&db, dir, &["audit", "sign-head"]);
    let (ok, out) = urna_env(&db, dir, &["audit", "verify"], &with_tsa);
    assert!(!ok && out.contains("head 4 has no time-stamp"), "{out}");
    // A stamp moved to another head.
    let lines: Vec<String> = std::fs::read_to_string(dir.join("heads.jsonl"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    let mut moved: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    moved["tsa_token"] =
        serde_json::from_str::<serde_json::Value>(&lines[0]).unwrap()["tsa_token"].clone();
    std::fs::write(dir.join("moved.jsonl"), format!("{}\n{moved}\n", lines[0])).unwrap();
    let (ok, out) = urna_env(
        &db,
        dir,
        &["audit", "verify", "--heads", "moved.jsonl"],
        &with_tsa,
    );
    assert!(!ok && out.contains("imprint differs"), "{out}");
}
