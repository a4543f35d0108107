//! The public verification page over HTTPS without a client certificate:
//! the contrassegno's URL, the challenge, the certificate and its PDF; the
//! short code and an uploaded picture of the QR code lead to the same page.

use urna_testkit::{spawn_app, TestApp, P6001};
use urna_wire::build::{self, Testata};

use crate::helpers::now;

/// Issues a certificate 22 for Roma's demo elector 0; its id and short code.
pub async fn issue(app: &TestApp) -> (String, String, Vec<u8>) {
    let cf = urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 0).codice_fiscale;
    let body = build::richiesta6001(
        &Testata::new("VP1", "058091", "6001", &now()),
        &[
            build::tipi_certificati(&["22"]),
            build::intestatario_cf(&cf),
            build::dati_controllo_elettorale("1"),
        ],
    );
    let r = app.post_with(&app.client_for("058091"), P6001, body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let cert = store
        .read(|c| {
            urna_store::certificates::of_holder(
                c,
                &urna_service::demo::subject_id(&urna_service::demo::DEMO_COMUNI[0], 0),
            )
        })
        .unwrap()
        .remove(0);
    (cert.id, cert.code, cert.pdf)
}

/// A browser-like client: no client certificate, redirects not followed
/// (the test checks where they lead).
pub fn anonymous(app: &TestApp) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .use_preconfigured_tls(rustls_config(app))
        .build()
        .unwrap()
}

fn hidden(page: &str, name: &str) -> String {
    let at = page.find(&format!("name=\"{name}\" value=\"")).expect(name) + name.len() + 15;
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

pub fn answer_of(app: &TestApp, captcha: &str, id: &str) -> String {
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    store
        .read(|c| urna_store::captchas::get(c, captcha, id))
        .unwrap()
        .unwrap()
        .answer
}

/// Opens the certificate's page, answers its challenge right (read from
/// the store) and returns the challenge's id and the answer's reply.
pub async fn solve(app: &TestApp, web: &reqwest::Client, id: &str) -> (String, reqwest::Response) {
    let page = web
        .get(app.url(&format!("/verifica/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sfida = hidden(&page, "sfida");
    let right = answer_of(app, &sfida, id);
    let shown = web
        .post(app.url(&format!("/verifica/{id}")))
        .form(&[("sfida", sfida.as_str()), ("risposta", right.as_str())])
        .send()
        .await
        .unwrap();
    (sfida, shown)
}

#[tokio::test]
async fn the_contrassegno_leads_to_the_certificate_after_the_challenge() {
    let app = spawn_app().await;
    let (id, code, pdf) = issue(&app).await;
    let web = anonymous(&app);
    let page = web
        .get(app.url(&format!("/verifica/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"it\">") && page.contains("Conferma"),
        "{page}"
    );
    assert!(
        page.contains("<label for=\"risposta\">"),
        "an accessible label"
    );
    let sfida = hidden(&page, "sfida");
    // A wrong answer is refused and spends the challenge.
    let wrong = web
        .post(app.url(&format!("/verifica/{id}")))
        .form(&[("sfida", sfida.as_str()), ("risposta", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let (sfida, shown) = solve(&app, &web, &id).await;
    assert_eq!(shown.status(), 200);
    let shown = shown.text().await.unwrap();
    let row = urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 0);
    assert!(
        shown.contains(&format!("{} {}", row.cognome, row.nome)),
        "{shown}"
    );
    assert!(shown.contains("Sigillo valido"), "{shown}");
    let got = web
        .get(app.url(&format!("/verifica/{id}/pdf?sfida={sfida}")))
        .send()
        .await
        .unwrap();
    assert_eq!(got.headers()["content-type"], "application/pdf");
    assert_eq!(got.bytes().await.unwrap().as_ref(), pdf.as_slice());
    // Unknown and malformed ids say so plainly.
    let unknown = web
        .get(app.url("/verifica/0123456789abcdef0123456789abcdef"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("Certificato non trovato"));
    // The short code leads to the certificate's page.
    let by_code = web
        .post(app.url("/verifica/codice"))
        .form(&[("codice", code.to_lowercase())])
        .send()
        .await
        .unwrap();
    assert_eq!(by_code.status(), 303);
    assert_eq!(by_code.headers()["location"], format!("/verifica/{id}"));
    // A picture of the QR code (the first page rendered at 150 dpi) too.
    if let Some(png) = render_first_page(&pdf) {
        let form = reqwest::multipart::Form::new().part(
            "qr",
            reqwest::multipart::Part::bytes(png)
                .file_name("qr.png")
                .mime_str("image/png")
                .unwrap(),
        );
        let up = web
            .post(app.url("/verifica"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(up.status(), 303);
        assert_eq!(up.headers()["location"], format!("/verifica/{id}"));
    }
}

fn rustls_config(app: &TestApp) -> rustls::ClientConfig {
    let ca = std::fs::read_to_string(app.pki.ca_cert()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    use rustls::pki_types::pem::PemObject;
    let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// The PDF's first page as a PNG at 150 dpi (poppler's pdftoppm); None
/// when pdftoppm is missing and peers are not required.
pub fn render_first_page(pdf: &[u8]) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = dir.path().join("page");
    match std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&input)
        .arg(&out)
        .status()
    {
        Ok(s) if s.success() => Some(std::fs::read(dir.path().join("page.png")).unwrap()),
        _ => {
            assert!(
                std::env::var_os("URNA_REQUIRE_PEERS").is_none(),
                "pdftoppm (poppler-utils) is missing"
            );
            None
        }
    }
}
