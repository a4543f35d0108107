use urna_store::testing::TestDb;
use urna_testkit::{spawn_app, spawn_app_on, P2000, P3000, P5000};
use urna_wire::build;

use crate::helpers::{create, roma, t};
use crate::snapshots::assert_wire;

#[tokio::test]
async fn create_read_delete_on_every_backend() {
    for db in TestDb::all() {
        let label = db.label;
        let app = spawn_app_on(db).await;
        let c = app.client_for("058091");
        let r = app.post_with(&c, P5000, create("E2E1", "900")).await;
        assert_eq!(r.status, 200, "{label}: {}", r.body);
        assert_wire("every_backend_5011_ok", &r);
        let q = build::richiesta3008(&t("E2E2", "3008"), &roma(), Some("900"), "1");
        let r = app.post_with(&c, P3000, q).await;
        assert_wire("every_backend_3008_ok", &r);
        let d = build::richiesta2012(&t("E2E3", "2012"), &roma(), "900");
        let r = app.post_with(&c, P2000, d).await;
        assert_wire("every_backend_2012_ok", &r);
        let q = build::richiesta3008(&t("E2E4", "3008"), &roma(), Some("900"), "1");
        let r = app.post_with(&c, P3000, q).await;
        assert_eq!(r.codes(), ["EN122", "EN527"], "{label}");
    }
}

#[tokio::test]
async fn idempotency_over_the_wire() {
    let app = spawn_app().await;
    let c = app.client_for("058091");
    let first = app.post_with(&c, P5000, create("IDEM1", "901")).await;
    let again = app.post_with(&c, P5000, create("IDEM1", "901")).await;
    // The answer is byte-identical; only the response's own security header
    // (Timestamp, signature) and Body id are new.
    let answer = |b: &str| {
        let start = b.find("<m5:Risposta5011").expect("answer");
        b[start..b.find("</soap:Body>").expect("end")].to_string()
    };
    assert_eq!(
        answer(&first.body),
        answer(&again.body),
        "byte-identical replay"
    );
    assert!(again.body.contains("<idOperazioneANPR>"));
    let other = app
        .post_with(
            &c,
            P2000,
            build::richiesta2012(&t("IDEM1", "2012"), &roma(), "901"),
        )
        .await;
    assert_eq!(other.codes(), ["EN079", "EN527"]);
    let changed = app.post_with(&c, P5000, create("IDEM1", "902")).await;
    assert_eq!(changed.codes(), ["EN148", "EN527"]);
}

#[tokio::test]
async fn sender_must_match_the_certificate() {
    let app = spawn_app().await;
    let milano = app.client_for("015146");
    let r = app.post_with(&milano, P5000, create("ID1", "903")).await;
    assert!(r.is_fault(), "{}", r.body);
    assert_eq!(r.fault_reason(), Some("identity-mismatch"));
    assert!(r.body.contains("Rejected by policy. (from client)"));
    assert!(r.body.contains("015146-PC-0001"));
}

#[tokio::test]
async fn unknown_sender_comune_is_ec090() {
    let app = spawn_app().await;
    let c = app.client_for("099999");
    let req = build::richiesta5011(
        &build::Testata::new("U1", "099999", "5011", &crate::helpers::now()),
        &crate::helpers::section("1"),
    );
    let r = app.post_with(&c, P5000, req).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.codes(), ["EC090", "EN527"]);
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome() {
    let app = spawn_app().await;
    let c = app.client_for("058091");
    app.post_with(&c, P5000, create("MET1", "904")).await;
    let m = c
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains("urna_requests_total{operation=\"5011\",outcome=\"OK\"}"),
        "{m}"
    );
    assert!(
        m.contains("urna_request_duration_seconds_bucket{operation=\"5011\""),
        "{m}"
    );
}

/// Concurrent batches on the same rows deadlock on PostgreSQL; the batch is
/// then aborted and each request retried alone: every caller gets its answer.
#[tokio::test]
async fn concurrent_batches_on_postgres_never_fail_a_request() {
    let Some(db) = TestDb::postgres() else { return };
    let app = urna_testkit::spawn_app_with(db, |s| {
        s.server.request_threads = 4;
        s.server.max_batch = 16;
    })
    .await;
    let station = app.client_for("058091");
    // Three hot sections, in different orders across batches.
    let bodies = (0..240)
        .map(|i| {
            urna_testkit::Sender::prepare(
                &station,
                create(&format!("DL{i}"), &((i * 7) % 3 + 1).to_string()),
            )
        })
        .collect();
    for r in app.post_concurrently(&station.http, P5000, bodies).await {
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.is_ok(), "{}", r.body);
    }
}

#[tokio::test]
async fn an_elector_moves_section_over_mtls() {
    use urna_wire::Element;
    let app = spawn_app().await;
    let c = app.client_for("058091");
    let liste = |sezione: &str| {
        build::liste_generale(
            &build::comune("ROMA", "058091", "RM"),
            sezione,
            "LAZIO",
            "LAZIO 1",
        )
    };
    let controllo = Element::new("datiControllo").with_child(Element::leaf("tipoMutazione", "01"));
    let subject = urna_service::demo::subject_id(&urna_service::demo::DEMO_COMUNI[0], 0);
    let body = build::richiesta5010(
        &t("EL1", "5010"),
        &[
            Element::leaf("idSoggetto", &subject),
            liste("7"),
            controllo.clone(),
        ],
    );
    let r = app.post_with(&c, P5000, body).await;
    assert!(
        r.body.contains("<esitoOperazione>0000</esitoOperazione>"),
        "{}",
        r.body
    );
    // Section 7 is now referenced: 2012 refuses it.
    let r = app
        .post_with(
            &c,
            P2000,
            build::richiesta2012(&t("EL2", "2012"), &roma(), "7"),
        )
        .await;
    assert_eq!(r.codes(), ["EN562", "EN527"], "{}", r.body);
    // Milano cannot enrol Roma's elector: the KO names Roma and the new section.
    let milano = app.client_for("015146");
    let tm = build::Testata::new("EL3", "015146", "5010", &crate::helpers::now());
    let body = build::richiesta5010(
        &tm,
        &[Element::leaf("idSoggetto", &subject), liste("1"), controllo],
    );
    let r = app.post_with(&milano, P5000, body).await;
    assert_eq!(r.codes(), ["EN560", "EN527"], "{}", r.body);
    assert!(r.body.contains("ROMA (RM) 058091, sezione 7"), "{}", r.body);
}

#[tokio::test]
async fn takeover_files_over_https() {
    let app = spawn_app().await;
    let spec = urna_service::generate::Spec {
        istat: "058120".into(),
        nome: "FIUMICINO".into(),
        sigla: "RM".into(),
        catastale: "M297".into(),
        electors: 300,
        seed: 3,
        gzip: true,
    };
    let dir = tempfile::tempdir().unwrap();
    let files = urna_service::generate::generate(&spec, dir.path()).unwrap();
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    urna_store::subjects::import_csv(&store, std::fs::File::open(&files.subjects).unwrap())
        .unwrap();
    urna_store::constituencies::import_file(
        &store,
        std::fs::File::open(&files.constituencies).unwrap(),
    )
    .unwrap();
    let c = app.client_for("058120");
    let status = || async {
        let v: String = c
            .get(app.url("/subentro/058120"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        v
    };
    for (kind, path) in [("sezioni", &files.sezioni), ("liste", &files.liste)] {
        let r = c
            .post(app.url(&format!("/subentro/058120/{kind}")))
            .body(std::fs::read(path).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{kind}: {}", r.text().await.unwrap());
        let mut done = false;
        for _ in 0..100 {
            let s = status().await;
            if s.matches("\"state\":\"done\"").count() == if kind == "sezioni" { 1 } else { 2 } {
                done = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(done, "{kind}: {}", status().await);
    }
    let s = status().await;
    let expected = urna_service::generate::expected_records(&spec);
    assert!(s.contains(&format!("\"loaded\":{expected}")), "{s}");
    // A second lists upload is refused at once (R-T5), before the body.
    let r = c
        .post(app.url("/subentro/058120/liste"))
        .body(std::fs::read(&files.liste).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("subentro-refused") && text.contains("R-T5"),
        "{text}"
    );
    // Another comune's station may not upload or read Fiumicino's files.
    let roma = app.client_for("058091");
    let r = roma
        .post(app.url("/subentro/058120/liste"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("identity-mismatch"));
    assert_eq!(
        roma.get(app.url("/subentro/058120"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}
