//! 4001 → 7002 over mTLS with signed requests: the extraction runs in the
//! server's worker and its file is streamed from disk into the reply,
//! inline base64 for a client that accepts only XML and an MTOM binary
//! part otherwise; either way the reply's signature covers the content
//! (xmlsec1 verifies it), the declared length is exact, and a file changed
//! on disk after it was written is not sent.

use base64::Engine;
use sha2::Digest;
use urna_testkit::{spawn_app_with, Sender};
use urna_wire::build::{self, Testata};
use urna_wire::{Element, Operation};

use crate::helpers::{now, peer, xmlsec1_verify};

const P4000: &str = "/ANPR4000ServiziEstrazione/AnprService4000";
const P7001: &str = "/ANPR7001ServizioScaricoTabelle/AnprService7001";

fn request(op: Operation, id: &str, body: &[Element]) -> String {
    build::richiesta_legacy(op, &Testata::new(id, "058091", op.code(), &now()), body)
}

fn text<'a>(xml: &'a str, element: &str) -> &'a str {
    let open = format!("<{element}>");
    let at = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {element} in {xml}"))
        + open.len();
    &xml[at..at + xml[at..].find('<').unwrap()]
}

#[tokio::test]
async fn an_extraction_file_is_streamed_into_a_signed_reply_inline_or_as_mtom() {
    let files = tempfile::tempdir().unwrap();
    let dir = files.path().to_path_buf();
    let app = spawn_app_with(urna_store::testing::TestDb::sqlite(), |s| {
        s.extraction.dir = dir;
        s.extraction.poll_ms = 20;
    })
    .await;
    let roma = app.client_for("058091");
    let criteria =
        Element::new("criteriRicerca").with_child(Element::leaf("datiAnagraficiRichiesti", "18"));
    let r = app
        .post_with(
            &roma,
            P4000,
            request(Operation::Estrazione4001, "X1", &[criteria]),
        )
        .await;
    assert!(r.is_ok(), "{}", r.body);
    let job: i64 = text(&r.body, "idOperazioneANPR").parse().unwrap();
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    let done = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let row = loop {
        let row = store
            .read(|c| urna_store::extractions::get(c, job))
            .unwrap()
            .unwrap();
        if row.state == urna_store::extractions::DONE || tokio::time::Instant::now() > done {
            break row;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(row.state, urna_store::extractions::DONE, "{row:?}");
    let path = row.file.clone().unwrap();
    let written = std::fs::read(&path).unwrap();
    assert_eq!(row.file_bytes, Some(written.len() as i64));
    assert_eq!(
        row.file_sha256.as_deref(),
        Some(hex::encode(sha2::Sha256::digest(&written)).as_str())
    );
    // Many pieces, and a length that is no multiple of 3: the file is
    // replaced by 1 MB of other bytes, recorded as the worker would.
    let big: Vec<u8> = (0..1_000_001u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &big).unwrap();
    let record = |bytes: &[u8]| {
        let (n, sha) = (bytes.len() as i64, hex::encode(sha2::Sha256::digest(bytes)));
        store
            .write(|c| {
                diesel::RunQueryDsl::execute(
                    diesel::sql_query(format!(
                        "UPDATE extraction_jobs SET file_bytes = {n}, file_sha256 = '{sha}' WHERE id = {job}"
                    )),
                    c,
                )
                .map_err(urna_store::StoreError::from)
            })
            .unwrap();
    };
    record(&big);
    let download = |id: &str, accept: Option<&'static str>| {
        let body = roma.prepare(build::richiesta7000(
            Operation::Download7002,
            &Testata::new(id, "058091", "7002", &now()),
            &[Element::leaf("idOperazioneANPR", job.to_string())],
        ));
        let mut post = roma
            .http
            .post(app.url(P7001))
            .header("Content-Type", "text/xml; charset=UTF-8")
            .body(body);
        if let Some(a) = accept {
            post = post.header("Accept", a);
        }
        async move {
            let r = post.send().await.unwrap();
            let declared = r.content_length();
            let status = r.status().as_u16();
            let ct = r.headers()["content-type"].to_str().unwrap().to_string();
            let bytes = r.bytes().await.unwrap().to_vec();
            if status == 200 {
                assert_eq!(
                    declared,
                    Some(bytes.len() as u64),
                    "Content-Length is exact"
                );
            }
            (status, ct, bytes)
        }
    };
    let xmlsec1 = peer("xmlsec1");
    let verify = |envelope: &[u8]| {
        if let Some(x) = &xmlsec1 {
            xmlsec1_verify(x, &app.pki.service_signer_cert(), envelope)
                .unwrap_or_else(|e| panic!("xmlsec1: {e}"));
        }
    };

    // Inline: the base64 in contenutoFile.
    let (status, ct, body) = download("X2", Some("text/xml")).await;
    let xml = String::from_utf8(body).unwrap();
    assert_eq!(
        (status, ct.as_str()),
        (200, "text/xml; charset=UTF-8"),
        "{xml}"
    );
    let content = base64::engine::general_purpose::STANDARD
        .decode(text(&xml, "contenutoFile"))
        .unwrap();
    assert!(content == big, "the file, byte for byte");
    verify(xml.as_bytes());
    if let Some(x) = &xmlsec1 {
        let mut other = big.clone();
        other[999_999] ^= 1;
        let tampered = xml.replacen(
            text(&xml, "contenutoFile"),
            &base64::engine::general_purpose::STANDARD.encode(&other),
            1,
        );
        assert!(
            xmlsec1_verify(x, &app.pki.service_signer_cert(), tampered.as_bytes()).is_err(),
            "the signature covers the streamed content"
        );
    }

    // MTOM: the bytes in a binary part; with the base64 put back, the
    // envelope verifies.
    let (status, ct, body) = download("X3", None).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("multipart/related;"), "{ct}");
    let boundary = ct
        .split("boundary=\"")
        .nth(1)
        .unwrap()
        .trim_end_matches('"');
    let delimiter = format!("\r\n--{boundary}");
    let text_body = String::from_utf8_lossy(&body);
    let root_at = text_body.find("\r\n\r\n").unwrap() + 4;
    let root_end = root_at + text_body[root_at..].find(&delimiter).unwrap();
    let root = std::str::from_utf8(&body[root_at..root_end]).unwrap();
    let binary_at = root_end + text_body[root_end..].find("\r\n\r\n").unwrap() + 4;
    let binary_end = body.len() - format!("{delimiter}--\r\n").len();
    assert!(
        body[binary_at..binary_end] == big[..],
        "the binary part is the file"
    );
    let include_at = root.find("<xop:Include").unwrap();
    let include_end = include_at + root[include_at..].find("/>").unwrap() + 2;
    let inline = format!(
        "{}{}{}",
        &root[..include_at],
        base64::engine::general_purpose::STANDARD.encode(&big),
        &root[include_end..]
    );
    verify(inline.as_bytes());

    // A file changed on disk since it was recorded is not sent.
    let mut changed = big.clone();
    changed[500_000] ^= 1;
    std::fs::write(&path, &changed).unwrap();
    let (status, _, body) = download("X4", Some("text/xml")).await;
    let fault = String::from_utf8(body).unwrap();
    assert_eq!(status, 500, "{fault}");
    assert!(fault.contains("changed since it was written"), "{fault}");
}
