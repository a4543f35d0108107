//! The security frame over the wire: unsigned and replayed requests are
//! refused (also across two nodes sharing PostgreSQL), the operator is
//! recorded, responses are signed and verify in xmlsec1, and a production
//! profile keeps the precise cause out of the fault.

use urna_store::testing::TestDb;
use urna_testkit::{spawn_app, spawn_app_with, Sender, P5000, TEST_OPERATOR};

use crate::helpers::{create, peer, xmlsec1_verify};

#[tokio::test]
async fn an_unsigned_request_is_refused_before_the_domain() {
    let app = spawn_app().await;
    let station = app.client_for("058091");
    // The bare HTTP client of the same station: TLS identity, no frame.
    let r = app
        .post_with(&station.http, P5000, create("UNS1", "950"))
        .await;
    assert_eq!(
        r.fault_reason(),
        Some("security-header-missing"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Internal Error (from client)"));
    // Nothing reached the domain: no operation was recorded.
    let ops = app_operations(&app.db.url);
    assert_eq!(ops, 0);
}

fn app_operations(url: &str) -> i64 {
    let store = urna_store::Store::open(url, 1).unwrap();
    store.read(urna_store::operations::count).unwrap()
}

#[tokio::test]
async fn a_replayed_message_is_refused_and_the_operator_recorded() {
    let app = spawn_app().await;
    let c = app.client_for("058091");
    let signed = c.prepare(create("RPL1", "951"));
    let first = app.post_with(&c.http, P5000, signed.clone()).await;
    assert!(first.is_ok(), "{}", first.body);
    let again = app.post_with(&c.http, P5000, signed).await;
    assert_eq!(again.fault_reason(), Some("replay"), "{}", again.body);
    assert!(again.body.contains("Rejected by policy. (from client)"));
    // The same operation signed anew is an idempotent replay, not a refusal.
    let fresh = app.post_with(&c, P5000, create("RPL1", "951")).await;
    assert!(fresh.is_ok(), "{}", fresh.body);
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let op = store
        .read(|conn| urna_store::operations::get(conn, 1))
        .unwrap()
        .unwrap();
    assert_eq!(op.operator.as_deref(), Some(TEST_OPERATOR));
    assert_eq!(op.auth_mode, "wss-saml");
    // The audit chain holds the acceptance, the refused replay and the
    // idempotent replay, in order, with the operator.
    let report = store
        .read(|conn| urna_store::audit::verify(conn, &[]))
        .unwrap();
    assert_eq!((report.entries, report.first_broken), (3, None));
    let outcomes: Vec<(String, Option<String>)> = store
        .read(|conn| {
            use diesel::prelude::*;
            use urna_store::schema::audit_log::dsl::*;
            Ok(audit_log
                .order(seq)
                .select((outcome, operator))
                .load(conn)?)
        })
        .unwrap();
    let op = Some(TEST_OPERATOR.to_string());
    assert_eq!(
        outcomes,
        [
            ("OK".to_string(), op.clone()),
            ("FAULT:replay".to_string(), op.clone()),
            ("REPLAY".to_string(), op)
        ]
    );
}

#[tokio::test]
async fn two_nodes_on_one_postgresql_accept_a_message_once() {
    let Some(db) = TestDb::postgres() else {
        return;
    };
    let url = db.url.clone();
    let a = urna_testkit::spawn_app_on(db).await;
    let pki = a.pki.root.clone();
    let b = spawn_app_with(TestDb::sqlite(), move |s| {
        s.database.url = url;
        s.tls.pki_dir = pki;
    })
    .await;
    let c = a.client_for("058091");
    let signed = c.prepare(create("NODE1", "952"));
    let (ra, rb) = tokio::join!(
        a.post_with(&c.http, P5000, signed.clone()),
        b.post_with(&c.http, P5000, signed.clone())
    );
    let accepted = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    let replays = [&ra, &rb]
        .iter()
        .filter(|r| r.fault_reason() == Some("replay"))
        .count();
    assert_eq!((accepted, replays), (1, 1), "{}\n{}", ra.body, rb.body);
}

#[tokio::test]
async fn responses_are_signed_and_verify_in_xmlsec1() {
    let app = spawn_app().await;
    let c = app.client_for("058091");
    let ok = app.post_with(&c, P5000, create("SIG1", "953")).await;
    assert!(ok.body.contains("<wsse:Security"), "{}", ok.body);
    let fault = app.post_with(&c, P5000, "<x:Envelope xmlns:x=\"http://schemas.xmlsoap.org/soap/envelope/\"><x:Body><y/></x:Body></x:Envelope>").await;
    assert!(fault.is_fault());
    assert!(
        fault.body.contains("<ds:SignatureValue>"),
        "a fault from the request threads is signed too: {}",
        fault.body
    );
    let Some(xmlsec1) = peer("xmlsec1") else {
        return;
    };
    let tampered = ok
        .body
        .replacen("<esitoOperazione>0000<", "<esitoOperazione>0001<", 1);
    for (name, body, valid) in [
        ("ok", &ok.body, true),
        ("fault", &fault.body, true),
        ("tampered", &tampered, false),
    ] {
        let verified = xmlsec1_verify(&xmlsec1, &app.pki.service_signer_cert(), body.as_bytes());
        assert_eq!(
            verified.is_ok(),
            valid,
            "xmlsec1 on the {name} response: {}",
            verified.err().unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn a_production_profile_keeps_the_cause_out_of_the_fault() {
    let app = spawn_app_with(TestDb::sqlite(), |s| s.security.verbose_faults = false).await;
    let c = app.client_for("015146");
    // Milano's station signs a request that claims to be Roma's.
    let r = app.post_with(&c, P5000, create("PRD1", "954")).await;
    assert_eq!(r.fault_reason(), Some("identity-mismatch"), "{}", r.body);
    assert!(!r.body.contains("codMittente 058091"), "{}", r.body);
    assert!(r.body.contains("<u:correlationId>"), "{}", r.body);
}

/// Refusals share the request threads' queue with accepted requests (the
/// gate threads never write): under a concurrent mix of accepted requests,
/// gate refusals (no security frame) and service refusals (replays), every
/// caller gets its own answer and every request is in the audit chain once.
#[tokio::test]
async fn refusals_and_requests_in_the_same_batches_are_all_answered_and_audited() {
    let app = spawn_app().await;
    let station = app.client_for("058091");
    let http = station.http.clone();
    let n = 10;
    let replays: Vec<String> = (0..n)
        .map(|i| station.prepare(create(&format!("MXR{i}"), &(700 + i).to_string())))
        .collect();
    for r in &replays {
        let first = app.post_with(&http, P5000, r.clone()).await;
        assert!(first.is_ok(), "{}", first.body);
    }
    let mut kinds = Vec::new();
    let mut bodies = Vec::new();
    for (i, replay) in replays.iter().enumerate() {
        let accepted = station.prepare(create(&format!("MXA{i}"), &(720 + i).to_string()));
        let unsigned = create(&format!("MXU{i}"), &(740 + i).to_string());
        for (kind, body) in [
            ("accepted", accepted),
            ("security-header-missing", unsigned),
            ("replay", replay.clone()),
        ] {
            kinds.push(kind);
            bodies.push(body);
        }
    }
    let replies = app.post_concurrently(&http, P5000, bodies).await;
    for (kind, r) in kinds.into_iter().zip(replies) {
        if kind == "accepted" {
            assert!(r.is_ok(), "{}", r.body);
        } else {
            assert_eq!(r.fault_reason(), Some(kind), "{}", r.body);
        }
    }
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let report = store
        .read(|conn| urna_store::audit::verify(conn, &[]))
        .unwrap();
    assert_eq!((report.entries, report.first_broken), (4 * n as i64, None));
    let outcomes: Vec<String> = store
        .read(|conn| {
            use diesel::prelude::*;
            use urna_store::schema::audit_log::dsl::*;
            Ok(audit_log.select(outcome).load(conn)?)
        })
        .unwrap();
    for (o, expected) in [
        ("OK", 2 * n),
        ("FAULT:security-header-missing", n),
        ("FAULT:replay", n),
    ] {
        assert_eq!(outcomes.iter().filter(|x| *x == o).count(), expected, "{o}");
    }
}
