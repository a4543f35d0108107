//! Refusals in the audit log: appended together, in one transaction, on
//! every backend.

use crate::common;

use urna_service::Caller;
use urna_store::testing::TestDb;
use urna_wire::{Operation, SecurityReason};

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn refusals_are_appended_together_with_their_digests_and_authentication() {
    for db in TestDb::all() {
        let store = common::demo_store(&db);
        let services = common::services(store.clone());
        let caller = Caller {
            station: "058091-PC-0001".parse().unwrap(),
        };
        let forged = services.refusal(
            None,
            &caller,
            Some("058091"),
            None,
            b"<forged/>",
            SecurityReason::DigestMismatch.into(),
            "<fault-1/>",
        );
        let replayed = services.refusal(
            Some(Operation::Mutazione5010),
            &caller,
            Some("058091"),
            Some("RSSMRA80A01H501U"),
            b"<replayed/>",
            SecurityReason::Replay.into(),
            "<fault-2/>",
        );
        services.audit_refusals(&[forged, replayed]).unwrap();
        let report = store
            .read(|conn| urna_store::audit::verify(conn, &[]))
            .unwrap();
        assert_eq!(
            (report.entries, report.first_broken),
            (2, None),
            "{}",
            db.label
        );
        let rows: Vec<(String, String, Option<String>, String, String)> = store
            .read(|conn| {
                use diesel::prelude::*;
                use urna_store::schema::audit_log::dsl::*;
                Ok(audit_log
                    .order(seq)
                    .select((operation, outcome, operator, auth_mode, request_digest))
                    .load(conn)?)
            })
            .unwrap();
        assert_eq!(
            rows,
            [
                (
                    "unknown".to_string(),
                    "FAULT:digest-mismatch".to_string(),
                    None,
                    "tls".to_string(),
                    sha256_hex(b"<forged/>"),
                ),
                (
                    "5010".to_string(),
                    "FAULT:replay".to_string(),
                    Some("RSSMRA80A01H501U".to_string()),
                    "wss-saml".to_string(),
                    sha256_hex(b"<replayed/>"),
                ),
            ],
            "{}",
            db.label
        );
    }
}
