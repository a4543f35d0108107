//! The server signs the audit chain's head at start-up, every N entries and
//! at graceful shutdown, each head time-stamped by the configured authority
//! (a local `openssl ts` TSA), so nothing it wrote is left uncovered.

use std::time::Duration;

use urna_server::audit_heads::{verify, VerifyInputs};
use urna_testkit::tsa::LocalTsa;
use urna_testkit::{spawn_app_with, P5000};

use crate::helpers::create;

fn heads(app: &urna_testkit::TestApp) -> Vec<serde_json::Value> {
    std::fs::read_to_string(&app.heads_file)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn wait_for_head(app: &urna_testkit::TestApp, seq: i64) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        let h = heads(app);
        if h.iter().any(|h| h["seq"].as_i64() == Some(seq)) {
            return h;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no signed head for entry {seq}: {:?}", heads(app));
}

#[tokio::test]
async fn heads_at_start_up_every_n_entries_and_at_shutdown_all_time_stamped() {
    let tsa = LocalTsa::start("urna").unwrap();
    let (url, ca) = (tsa.url.clone(), tsa.ca_cert.clone());
    let app = spawn_app_with(urna_store::testing::TestDb::sqlite(), move |s| {
        s.audit.sign_every_secs = 3600;
        s.audit.sign_every_entries = 2;
        s.audit.tsa_url = url;
        s.audit.tsa_cert = Some(ca);
    })
    .await;
    // Start-up: the empty chain is signed before the first request.
    let start = heads(&app);
    assert_eq!(start.len(), 1, "{start:?}");
    assert_eq!(start[0]["seq"], 0);
    assert!(start[0]["tsa_token"].is_string(), "{start:?}");

    let roma = app.client_for("058091");
    for (i, id) in ["AH1", "AH2"].iter().enumerate() {
        let r = app
            .post_with(&roma, P5000, create(id, &format!("98{i}")))
            .await;
        assert!(r.is_ok(), "{}", r.body);
    }
    // Two entries: signed without waiting for the hour.
    wait_for_head(&app, 2).await;
    let r = app.post_with(&roma, P5000, create("AH3", "983")).await;
    assert!(r.is_ok(), "{}", r.body);
    // Graceful shutdown signs the third.
    app.stop().await;
    let all = wait_for_head(&app, 3).await;

    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let cert =
        openssl::x509::X509::from_pem(&std::fs::read(app.pki.service_signer_cert()).unwrap())
            .unwrap();
    let trust =
        urna_security::tsa::TsaTrust::from_pem(&std::fs::read(&tsa.ca_cert).unwrap()).unwrap();
    let v = verify(
        &store,
        &VerifyInputs {
            heads_file: &app.heads_file,
            service_cert: &cert,
            tsa: Some(&trust),
            tsa_max_skew_secs: 300,
            max_unsigned_age: Some(Duration::from_secs(0)),
            now: time::OffsetDateTime::now_utc(),
        },
    )
    .unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert_eq!(v.entries, 3);
    assert_eq!((v.heads, v.stamped), (all.len(), all.len()));
    assert!(v.notes.is_empty(), "no tail left uncovered: {:?}", v.notes);
}

/// An authority that does not answer does not stop the heads: the head is
/// signed and written without its token (and logged), and `verify` with
/// the authority's certificate reports it.
#[tokio::test]
async fn a_head_is_written_when_the_authority_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let pki = urna_pki::PkiDir::new(dir.path().join("pki"));
    pki.init(&["localhost"], &[]).unwrap();
    let db = urna_store::testing::TestDb::sqlite();
    let store = std::sync::Arc::new(urna_store::Store::open(&db.url, 1).unwrap());
    let key = urna_security::wss::SigningKey::from_pem(
        &std::fs::read(pki.service_signer_cert()).unwrap(),
        &std::fs::read(pki.service_signer_key()).unwrap(),
    )
    .unwrap();
    let file = dir.path().join("heads.jsonl");
    // Nothing listens on the port of a socket bound and closed at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let signer = urna_server::audit_heads::HeadSigner {
        store: store.clone(),
        key,
        file: file.clone(),
        tsa: Some(urna_server::audit_heads::Tsa {
            url: format!("http://{closed}/tsa"),
            trust: None,
        }),
    };
    tokio::task::spawn_blocking(move || signer.export(None).unwrap())
        .await
        .unwrap();
    let line = std::fs::read_to_string(&file).unwrap();
    let head: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(head["seq"], 0);
    assert!(head.get("tsa_token").is_none(), "{line}");

    let tsa = LocalTsa::start("other").unwrap();
    let trust =
        urna_security::tsa::TsaTrust::from_pem(&std::fs::read(&tsa.ca_cert).unwrap()).unwrap();
    let cert =
        openssl::x509::X509::from_pem(&std::fs::read(pki.service_signer_cert()).unwrap()).unwrap();
    let v = verify(
        &store,
        &VerifyInputs {
            heads_file: &file,
            service_cert: &cert,
            tsa: Some(&trust),
            tsa_max_skew_secs: 300,
            max_unsigned_age: None,
            now: time::OffsetDateTime::now_utc(),
        },
    )
    .unwrap();
    assert!(
        v.problems.iter().any(|p| p.contains("has no time-stamp")),
        "{:?}",
        v.problems
    );
}
