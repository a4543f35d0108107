//! Station identity at the TLS layer: refused callers get a SOAP fault saying why.

use time::{Duration, OffsetDateTime};
use urna_pki::Ca;
use urna_testkit::{client, spawn_app, P5000};

use crate::helpers::create;

#[tokio::test]
async fn no_client_certificate_is_a_policy_fault() {
    let app = spawn_app().await;
    let c = client(app.ca.cert_pem(), None).unwrap();
    let r = app.post_with(&c, P5000, create("N1", "1")).await;
    assert!(r.is_fault(), "{}", r.body);
    assert_eq!(r.fault_reason(), Some("no-client-certificate"));
    assert!(r.body.contains("Rejected by policy. (from client)"));
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let app = spawn_app().await;
    let rogue = Ca::generate("CA Postazioni Svil").unwrap();
    let id = rogue
        .issue_station_default(&"058091-PC-0001".parse().unwrap())
        .unwrap();
    let c = client(app.ca.cert_pem(), Some(&id)).unwrap();
    let r = app.post_with(&c, P5000, create("N2", "1")).await;
    assert_eq!(
        r.fault_reason(),
        Some("untrusted-certificate"),
        "{}",
        r.body
    );
    assert!(r.body.contains("058091-PC-0001"));
}

#[tokio::test]
async fn an_expired_certificate_is_refused() {
    let app = spawn_app().await;
    let now = OffsetDateTime::now_utc();
    let id = app
        .ca
        .issue_station(
            &"058091-PC-0002".parse().unwrap(),
            now - Duration::days(400),
            now - Duration::days(30),
        )
        .unwrap();
    let c = client(app.ca.cert_pem(), Some(&id)).unwrap();
    let r = app.post_with(&c, P5000, create("N3", "1")).await;
    assert_eq!(r.fault_reason(), Some("certificate-expired"), "{}", r.body);
}

#[tokio::test]
async fn a_revoked_certificate_is_refused() {
    let app = urna_testkit::spawn_app_with(urna_store::testing::TestDb::sqlite(), |_| {}).await;
    // Revoke the station on disk, then start a second server reading the CRL.
    app.pki.revoke_station("058091-PC-0001").unwrap();
    let pki_dir = app.pki.root.clone();
    let second = urna_testkit::spawn_app_with(urna_store::testing::TestDb::sqlite(), move |s| {
        s.tls.pki_dir = pki_dir;
    })
    .await;
    let id = urna_pki::Issued {
        cert_pem: std::fs::read_to_string(app.pki.station_cert("058091-PC-0001")).unwrap(),
        key_pem: std::fs::read_to_string(app.pki.station_key("058091-PC-0001")).unwrap(),
        serial_hex: String::new(),
    };
    let c = client(app.ca.cert_pem(), Some(&id)).unwrap();
    let r = second.post_with(&c, P5000, create("N4", "1")).await;
    assert_eq!(r.fault_reason(), Some("certificate-revoked"), "{}", r.body);
}

#[tokio::test]
async fn a_non_station_certificate_is_refused() {
    let app = spawn_app().await;
    let server_cert = app.ca.issue_server(&["localhost"]).unwrap();
    let c = client(app.ca.cert_pem(), Some(&server_cert)).unwrap();
    let r = app.post_with(&c, P5000, create("N5", "1")).await;
    assert!(r.is_fault(), "{}", r.body);
    let reason = r.fault_reason().unwrap();
    assert!(
        reason == "not-a-station-certificate" || reason == "invalid-certificate",
        "{}",
        r.body
    );
}
