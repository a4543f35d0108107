//! `urna audit sign-head` and `urna audit verify` on a real database: an
//! intact log passes; a whole-table rewrite (a new chain, consistent in
//! itself) is caught by the signed heads; a forged head line is caught by
//! its signature.

use std::process::Command;

use diesel::connection::SimpleConnection;
use urna_store::audit::{self, Entry};
use urna_store::testing::TestDb;
use urna_store::Store;

fn urna(db: &TestDb, dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_urna"))
        .args(args)
        .env("URNA_DATABASE_URL", &db.url)
        .env("URNA_TLS__PKI_DIR", dir.join("pki"))
        .env("URNA_AUDIT__HEADS_FILE", dir.join("heads.jsonl"))
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn append(store: &Store, outcome: &'static str, n: i64) {
    for i in 0..n {
        store
            .write(|c| {
                audit::append(
                    c,
                    &Entry {
                        at_ms: 1_700_000_000_000 + i,
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
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    urna_pki::PkiDir::new(dir.join("pki"))
        .init(&["localhost"], &[])
        .unwrap();
    let db = TestDb::sqlite();
    let store = Store::open(&db.url, 1).unwrap();
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
