//! 6001 over mutual TLS with signed SOAP: a sealed certificate comes back in
//! the signed reply, as MTOM/XOP (the PDF a binary part) unless the request
//! accepts only XML, and the signature verifies once the PDF is put back
//! inline.

use base64::Engine;
use urna_server::config::MtomMode;
use urna_store::testing::TestDb;
use urna_testkit::{spawn_app, spawn_app_with, Reply, Sender, StationClient, TestApp, P6001};
use urna_wire::build::{self, Testata};

use crate::helpers::{now, peer, xmlsec1_verify};
use crate::snapshots::assert_wire;

/// The holder: Roma's first demo person, whose codice fiscale the
/// conformance suite also uses (`--holder`, conformance-tests/conftest.py).
fn holder() -> String {
    urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 0).codice_fiscale
}

fn request(id: &str, tipo: &str, emissione: &str) -> String {
    build::richiesta6001(
        &Testata::new(id, "015146", "6001", &now()),
        &[
            build::tipi_certificati(&[tipo]),
            build::intestatario_cf(&holder()),
            build::dati_controllo_elettorale(emissione),
        ],
    )
}

/// A reply as it came: status, Content-Type and the bytes of the body.
struct Raw {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Raw {
    /// A `text/xml` reply as the test kit's [`Reply`].
    fn xml(&self) -> Reply {
        assert!(
            self.content_type.starts_with("text/xml"),
            "a text/xml reply: {}",
            self.content_type
        );
        Reply {
            status: self.status,
            body: String::from_utf8(self.body.clone()).expect("UTF-8"),
        }
    }
}

/// POSTs `body`, signed by `client`, to 6001 with `accept` as the Accept
/// header (without one, reqwest sends `Accept: */*`).
async fn post(app: &TestApp, client: &StationClient, body: String, accept: Option<&str>) -> Raw {
    let mut r = client
        .http
        .post(app.url(P6001))
        .header("Content-Type", "text/xml; charset=UTF-8")
        .header("SOAPAction", "\"\"");
    if let Some(a) = accept {
        r = r.header("Accept", a);
    }
    let r = r.body(client.prepare(body)).send().await.expect("sent");
    Raw {
        status: r.status().as_u16(),
        content_type: r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: r.bytes().await.expect("body").to_vec(),
    }
}

/// The PDF inline in a `text/xml` reply.
fn inline_pdf(body: &str) -> Vec<u8> {
    let start = body.find("<certificatoPdf>").expect("a PDF") + "<certificatoPdf>".len();
    let end = body.find("</certificatoPdf>").unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(&body[start..end])
        .unwrap()
}

#[tokio::test]
async fn a_comune_issues_another_comunes_elector_a_sealed_certificate() {
    let app = spawn_app().await;
    let milano = app.client_for("015146");
    // Inline base64 (the request accepts only XML), which the snapshots show.
    let r = post(&app, &milano, request("CE1", "22", "1"), Some("text/xml")).await;
    let r = r.xml();
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<wsse:Security"), "a signed reply");
    let pdf = inline_pdf(&r.body);
    let ca = std::fs::read(app.pki.ca_cert()).unwrap();
    let seal = urna_cert::verify_seal(&pdf, &ca).expect("the seal verifies against the CA");
    assert!(seal.signer.contains("sigillo"), "{seal:?}");
    assert_wire("6001_ok", &r);
    let preview = post(&app, &milano, request("CE2", "21", "3"), Some("text/xml")).await;
    assert_wire("6001_ok_preview", &preview.xml());
    let ko = post(&app, &milano, request("CE3", "8", "1"), Some("text/xml")).await;
    assert_wire("6001_ko_en174_registry_certificate", &ko.xml());
}

/// A MIME part: its headers (names lowercased) and its content.
type Part = (Vec<(String, String)>, Vec<u8>);

/// An MTOM/XOP reply read as a receiver reads it (RFC 2046, RFC 2387,
/// XOP 1.0), written here apart from urna-wire's writer: the parameters of
/// its Content-Type and its parts (headers, content).
struct Multipart {
    params: Vec<(String, String)>,
    parts: Vec<Part>,
}

impl Multipart {
    fn read(content_type: &str, body: &[u8]) -> Multipart {
        let (essence, params) = content_type.split_once(';').expect("parameters");
        assert_eq!(essence.trim().to_ascii_lowercase(), "multipart/related");
        let params = parameters(params);
        let boundary = param(&params, "boundary");
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        // Preamble, then each part after "--boundary CRLF", up to the
        // "CRLF --boundary" that ends it; the last is "--boundary--".
        let mut at = find(body, delimiter.as_bytes(), 0).expect("a first delimiter");
        loop {
            at += delimiter.len();
            if body[at..].starts_with(b"--") {
                break;
            }
            assert!(body[at..].starts_with(b"\r\n"), "CRLF after the delimiter");
            at += 2;
            let end = find(body, format!("\r\n{delimiter}").as_bytes(), at).expect("a closed part");
            let part = &body[at..end];
            let split = find(part, b"\r\n\r\n", 0).expect("headers end");
            let headers = std::str::from_utf8(&part[..split])
                .expect("ASCII headers")
                .split("\r\n")
                .map(|h| {
                    let (k, v) = h.split_once(':').expect("name: value");
                    (k.trim().to_ascii_lowercase(), v.trim().to_string())
                })
                .collect();
            parts.push((headers, part[split + 4..].to_vec()));
            at = end + 2;
        }
        Multipart { params, parts }
    }

    fn param(&self, name: &str) -> String {
        param(&self.params, name)
    }

    fn part(&self, content_id: &str) -> &Part {
        self.parts
            .iter()
            .find(|(h, _)| header(h, "content-id") == content_id)
            .unwrap_or_else(|| panic!("no part with Content-ID {content_id}"))
    }

    /// The root part (`start`) as text.
    fn root(&self) -> String {
        String::from_utf8(self.part(&self.param("start")).1.clone()).expect("UTF-8 root")
    }

    /// The root with the `xop:Include` replaced by the base64 of the part
    /// its `cid:` URL names (RFC 2392: percent-decoded, in brackets), and
    /// that part's bytes: what an MTOM-aware receiver reconstructs.
    fn reinline(&self) -> (String, Vec<u8>) {
        let root = self.root();
        let start = root.find("<xop:Include ").expect("an xop:Include");
        let end = start + root[start..].find("/>").expect("an empty element") + 2;
        let include = &root[start..end];
        assert!(
            include.contains("xmlns:xop=\"http://www.w3.org/2004/08/xop/include\""),
            "{include}"
        );
        let href = include
            .split("href=\"")
            .nth(1)
            .and_then(|h| h.split('"').next())
            .expect("href");
        let cid = href.strip_prefix("cid:").expect("a cid URL");
        let bytes = self.part(&format!("<{}>", percent_decode(cid))).1.clone();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        (format!("{}{b64}{}", &root[..start], &root[end..]), bytes)
    }
}

/// `; a=b; c="d"` → [(a, b), (c, d)] (names lowercased, quotes removed).
fn parameters(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (mut item, mut quoted) = (String::new(), false);
    for c in s.chars().chain(std::iter::once(';')) {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                if let Some((k, v)) = item.split_once('=') {
                    out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
                item.clear();
            }
            c => item.push(c),
        }
    }
    out
}

fn param(params: &[(String, String)], name: &str) -> String {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

fn header(headers: &[(String, String)], name: &str) -> String {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn find(h: &[u8], n: &[u8], from: usize) -> Option<usize> {
    h.get(from..)?
        .windows(n.len())
        .position(|w| w == n)
        .map(|p| p + from)
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// Checks an MTOM reply's format and returns it read.
fn mtom_reply(r: &Raw) -> Multipart {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let m = Multipart::read(&r.content_type, &r.body);
    assert_eq!(m.param("type"), "application/xop+xml");
    assert_eq!(m.param("start"), "<root.message@urna>");
    assert_eq!(m.param("start-info"), "text/xml");
    assert!(
        m.param("boundary").starts_with("uuid:"),
        "{}",
        r.content_type
    );
    assert_eq!(m.parts.len(), 2, "the envelope and the PDF");
    let (root, _) = m.part("<root.message@urna>");
    assert_eq!(
        header(root, "content-type"),
        "application/xop+xml; charset=UTF-8; type=\"text/xml\""
    );
    assert_eq!(header(root, "content-transfer-encoding"), "8bit");
    let (pdf, bytes) = &m.parts[1];
    assert_eq!(header(pdf, "content-type"), "application/pdf");
    assert_eq!(header(pdf, "content-transfer-encoding"), "binary");
    assert!(header(pdf, "content-id").ends_with("@urna>"), "{pdf:?}");
    assert!(bytes.starts_with(b"%PDF-"));
    let envelope = m.root();
    assert!(
        envelope.contains("<file><certificatoPdf><xop:Include "),
        "{envelope}"
    );
    assert!(envelope.contains("<wsse:Security"), "a signed reply");
    m
}

#[tokio::test]
async fn a_certificate_comes_as_mtom_unless_the_request_accepts_only_xml() {
    let app = spawn_app().await;
    let milano = app.client_for("015146");
    let ca = std::fs::read(app.pki.ca_cert()).unwrap();
    let xmlsec1 = peer("xmlsec1");
    let service_cert = app.pki.service_signer_cert();
    let mut boundaries = Vec::new();
    let mut pdfs = Vec::new();
    for (id, accept) in [
        ("CM1", None),
        ("CM2", Some("multipart/related")),
        ("CM3", Some("text/xml, multipart/related")),
        // A retry gets the issued certificate again, the same way.
        ("CM1", None),
    ] {
        let r = post(&app, &milano, request(id, "22", "1"), accept).await;
        let m = mtom_reply(&r);
        boundaries.push(m.param("boundary"));
        let (envelope, pdf) = m.reinline();
        let seal = urna_cert::verify_seal(&pdf, &ca).expect("the seal verifies against the CA");
        assert!(seal.signer.contains("sigillo"), "{seal:?}");
        assert_eq!(inline_pdf(&envelope), pdf);
        if let Some(xmlsec1) = &xmlsec1 {
            // The signature covers the infoset with the PDF inline: it
            // verifies once the base64 is back, not over the include.
            xmlsec1_verify(xmlsec1, &service_cert, envelope.as_bytes())
                .unwrap_or_else(|e| panic!("{id} re-inlined: {e}"));
            assert!(
                xmlsec1_verify(xmlsec1, &service_cert, m.root().as_bytes()).is_err(),
                "the envelope with the include is not what was signed"
            );
        }
        pdfs.push(pdf);
    }
    assert_eq!(pdfs[3], pdfs[0], "the retry returns the same certificate");
    boundaries.sort();
    boundaries.dedup();
    assert_eq!(boundaries.len(), 4, "a boundary per reply");

    // Only XML accepted: inline base64 in text/xml, signed as it is.
    for (id, accept) in [
        ("CX1", "text/xml"),
        ("CX2", "application/soap+xml, application/xml;q=0.5"),
    ] {
        let r = post(&app, &milano, request(id, "22", "1"), Some(accept))
            .await
            .xml();
        assert_eq!(r.status, 200, "{}", r.body);
        let pdf = inline_pdf(&r.body);
        assert!(pdf.starts_with(b"%PDF-"));
        urna_cert::verify_seal(&pdf, &ca).expect("the seal verifies");
        if let Some(xmlsec1) = &xmlsec1 {
            xmlsec1_verify(xmlsec1, &service_cert, r.body.as_bytes())
                .unwrap_or_else(|e| panic!("inline: {e}"));
        }
    }

    // A preview carries a PDF too; a KO and a fault carry none and stay text/xml.
    let preview = post(&app, &milano, request("CM4", "21", "3"), None).await;
    let (_, pdf) = mtom_reply(&preview).reinline();
    assert!(pdf.starts_with(b"%PDF-"));
    let ko = post(&app, &milano, request("CM5", "8", "1"), None)
        .await
        .xml();
    assert_eq!(ko.codes(), ["EN174", "EN527"], "{}", ko.body);
    let fault = post(
        &app,
        &milano,
        "<soap:Envelope".into(),
        Some("multipart/related"),
    )
    .await;
    let fault = fault.xml();
    assert!(fault.is_fault(), "{}", fault.body);
}

#[tokio::test]
async fn the_deployment_can_always_or_never_send_mtom() {
    for (mode, accept, mtom) in [
        (MtomMode::Always, "text/xml", true),
        (MtomMode::Never, "multipart/related", false),
    ] {
        let app = spawn_app_with(TestDb::sqlite(), |s| s.certificates.mtom = mode).await;
        let milano = app.client_for("015146");
        let r = post(&app, &milano, request("CD1", "22", "1"), Some(accept)).await;
        let pdf = if mtom {
            mtom_reply(&r).reinline().1
        } else {
            inline_pdf(&r.xml().body)
        };
        assert!(pdf.starts_with(b"%PDF-"), "{mode:?}");
    }
}

/// The conformance suite's default holder (`--holder`) is this demo person.
#[test]
fn the_conformance_suite_names_the_same_holder() {
    let conftest = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../conformance-tests/conftest.py"),
    )
    .unwrap();
    let default = format!("env(\"URNA_HOLDER\", \"{}\")", holder());
    assert!(
        conftest.contains(&default),
        "conftest.py should default --holder to {}",
        holder()
    );
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

#[tokio::test]
async fn stations_ask_who_holds_a_subject() {
    let app = spawn_app().await;
    let cf = urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 0).codice_fiscale;
    let milano = app.client_for("015146");
    let r = milano
        .get(app.url(&format!("/soggetti/{cf}/liste")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["liste"][0]["lista"], "generale");
    assert_eq!(v["liste"][0]["comune"], "058091");
    assert_eq!(v["liste"][0]["nome_comune"], "ROMA (RM)");
    let r = milano
        .get(app.url("/soggetti/RSSMRA80A01H501U/liste"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_comune_reads_its_summaries_only() {
    let app = spawn_app().await;
    let roma = app.client_for("058091");
    let r = roma
        .get(app.url("/riepiloghi/058091"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(
        v["totali"]["generale"]["totale"].as_i64().unwrap() > 0,
        "{v}"
    );
    let r = roma
        .get(app.url("/riepiloghi/058091/1?formato=csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .starts_with("sezione,lista,M,F,totale\n1,generale,"));
    let milano = app.client_for("015146");
    let r = milano
        .get(app.url("/riepiloghi/058091"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_comune_reads_its_double_registrations_only() {
    let app = spawn_app().await;
    let roma = app.client_for("058091");
    let r = roma
        .get(app.url("/doppie-iscrizioni/058091"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["X-Urna-Extension"], "1");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["comune"], "058091", "{v}");
    assert_eq!(v["stato"]["resolved"], true, "{v}");
    assert!(v["doppie_iscrizioni"].as_array().unwrap().is_empty(), "{v}");
    let milano = app.client_for("015146");
    let r = milano
        .get(app.url("/doppie-iscrizioni/058091"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// `certificates.timestamp`: the seal carries a signature time-stamp from
/// the audit heads' authority (PAdES B-T), which verify_seal reports; with
/// that authority down the 6001 fails with `certificate-failed` rather than
/// issue a certificate with an unstamped seal.
#[tokio::test]
async fn with_timestamp_on_the_seal_is_time_stamped_by_the_audit_tsa_or_nothing_is_issued() {
    let tsa = urna_testkit::tsa::LocalTsa::start("urna-seal").unwrap();
    let (url, tsa_ca) = (tsa.url.clone(), tsa.ca_cert.clone());
    let app = spawn_app_with(TestDb::sqlite(), move |s| {
        s.certificates.timestamp = true;
        s.audit.tsa_url = url;
        s.audit.tsa_cert = Some(tsa_ca);
    })
    .await;
    let milano = app.client_for("015146");
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(5);
    let r = post(&app, &milano, request("TS1", "22", "1"), Some("text/xml")).await;
    let r = r.xml();
    assert_eq!(r.status, 200, "{}", r.body);
    let pdf = inline_pdf(&r.body);
    let ca = std::fs::read(app.pki.ca_cert()).unwrap();
    let seal = urna_cert::verify_seal(&pdf, &ca).expect("the seal verifies against the CA");
    let stamped = seal
        .timestamp
        .expect("a B-T seal: the time-stamp is reported");
    assert!(
        before <= stamped
            && stamped <= time::OffsetDateTime::now_utc() + time::Duration::seconds(5),
        "{stamped}"
    );
    // The verification page shows the time-stamp.
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let id = store
        .read(|c| {
            urna_store::certificates::of_holder(
                c,
                &urna_service::demo::subject_id(&urna_service::demo::DEMO_COMUNI[0], 0),
            )
        })
        .unwrap()
        .remove(0)
        .id;
    let web = crate::verify_page::anonymous(&app);
    let (_, shown) = crate::verify_page::solve(&app, &web, &id).await;
    let shown = shown.text().await.unwrap();
    assert!(shown.contains("con marca temporale del"), "{shown}");
    // A preview is not sealed, so not stamped either: it still comes out.
    let preview = post(&app, &milano, request("TS2", "21", "3"), Some("text/xml")).await;
    assert_eq!(preview.status, 200);

    // The authority does not answer (a port nobody listens on).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/tsa", closed.local_addr().unwrap());
    drop(closed);
    let app = spawn_app_with(TestDb::sqlite(), move |s| {
        s.certificates.timestamp = true;
        s.audit.tsa_url = dead;
    })
    .await;
    let milano = app.client_for("015146");
    let r = post(&app, &milano, request("TS3", "22", "1"), Some("text/xml")).await;
    let r = r.xml();
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(r.body.contains("certificate-failed"), "{}", r.body);
    assert!(!r.body.contains("certificatoPdf"), "{}", r.body);
}
