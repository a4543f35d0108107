//! 6001 over mutual TLS with signed SOAP: a sealed certificate comes back in
//! the signed reply.

use base64::Engine;
use urna_testkit::{spawn_app, P6001};
use urna_wire::build::{self, Testata};

use crate::helpers::now;
use crate::snapshots::assert_wire;

fn request(id: &str, tipo: &str, emissione: &str) -> String {
    let cf = urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 0).codice_fiscale;
    build::richiesta6001(
        &Testata::new(id, "015146", "6001", &now()),
        &[
            build::tipi_certificati(&[tipo]),
            build::intestatario_cf(&cf),
            build::dati_controllo_elettorale(emissione),
        ],
    )
}

#[tokio::test]
async fn a_comune_issues_another_comunes_elector_a_sealed_certificate() {
    let app = spawn_app().await;
    let milano = app.client_for("015146");
    let r = app
        .post_with(&milano, P6001, request("CE1", "22", "1"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<wsse:Security"), "a signed reply");
    let start = r.body.find("<certificatoPdf>").expect("a PDF") + "<certificatoPdf>".len();
    let end = r.body.find("</certificatoPdf>").unwrap();
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(&r.body[start..end])
        .unwrap();
    let ca = std::fs::read(app.pki.ca_cert()).unwrap();
    let seal = urna_cert::verify_seal(&pdf, &ca).expect("the seal verifies against the CA");
    assert!(seal.signer.contains("sigillo"), "{seal:?}");
    assert_wire("6001_ok", &r);
    let preview = app
        .post_with(&milano, P6001, request("CE2", "21", "3"))
        .await;
    assert_wire("6001_ok_preview", &preview);
    let ko = app
        .post_with(&milano, P6001, request("CE3", "8", "1"))
        .await;
    assert_wire("6001_ko_en174_registry_certificate", &ko);
}

#[tokio::test]
async fn stations_ask_which_certificates_a_subject_can_obtain() {
    let app = spawn_app().await;
    let cf = urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 9).codice_fiscale;
    let milano = app.client_for("015146");
    let r = milano
        .get(app.url(&format!("/urna/certificati/{cf}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-urna-extension"], "1");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["certificati"][0]["tipo"], 21);
    assert_eq!(v["certificati"][1]["issuable"], false);
    assert_eq!(v["certificati"][1]["refusals"][0]["code"], "EN047");
    // Without a station certificate: refused.
    let ca = std::fs::read_to_string(app.pki.ca_cert()).unwrap();
    let anonymous = urna_testkit::client(&ca, None).unwrap();
    let r = anonymous
        .get(app.url(&format!("/urna/certificati/{cf}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
