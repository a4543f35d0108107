//! `urna audit list`: the audit log's entries filtered by operator, operation and period.

use urna_store::audit::{append, Entry};
use urna_store::testing::TestDb;
use urna_store::Store;

use crate::common;

fn urna(db: &TestDb, args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    common::urna(db, dir.path(), args, &[])
}

#[test]
fn entries_are_listed_by_operator_operation_and_day() {
    let db = TestDb::sqlite();
    let store = Store::open(&db.url, 1).unwrap();
    let entry = |at_ms: i64, operation: &'static str, operator: Option<&'static str>| Entry {
        at_ms,
        operation,
        outcome: "OK",
        id_operazione_anpr: Some(at_ms),
        comune: Some("058091"),
        station: "058091-PC-0001",
        operator,
        auth_mode: if operator.is_some() {
            "wss-saml"
        } else {
            "tls"
        },
        request_digest: "r",
        response_digest: "s",
    };
    // 2025-01-10 and 2025-01-11, UTC.
    let (d10, d11) = (1_736_467_200_000, 1_736_553_600_000);
    store
        .write(|c| {
            append(c, &entry(d10 + 1, "6001", Some("RSSMRA80A01H501U")))?;
            append(c, &entry(d10 + 2, "5010", Some("RSSMRA80A01H501U")))?;
            append(c, &entry(d11 + 3, "6001", Some("BNCLRA85M41F205C")))?;
            append(c, &entry(d11 + 4, "6001", Some("RSSMRA80A01H501U")))
        })
        .unwrap();
    let (ok, out) = urna(
        &db,
        &[
            "audit",
            "list",
            "--operator",
            "rssmra80a01h501u",
            "--operation",
            "6001",
        ],
    );
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("1\t2025-01-10T00:00:00.001Z\t6001\tOK\t"),
        "{out}"
    );
    assert!(lines[1].ends_with("\tRSSMRA80A01H501U\twss-saml"), "{out}");
    let (ok, out) = urna(
        &db,
        &[
            "audit",
            "list",
            "--from",
            "2025-01-11",
            "--to",
            "2025-01-11",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    let (ok, out) = urna(&db, &["audit", "list", "--from", "11/01/2025"]);
    assert!(!ok && out.contains("is not a YYYY-MM-DD date"), "{out}");
}
