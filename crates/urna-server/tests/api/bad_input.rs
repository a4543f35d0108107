//! Every kind of bad input gets its precise SOAP fault, never a panic or a bare 500.

use urna_testkit::{spawn_app, Reply, TestApp, P3000, P5000};
use urna_wire::build;

use crate::helpers::{create, roma, t};

async fn send(app: &TestApp, path: &str, body: impl Into<String>) -> Reply {
    app.post_with(&app.client_for("058091"), path, body).await
}

fn assert_fault(r: &Reply, reason: &str) {
    assert_eq!(r.status, 500, "{}", r.body);
    assert!(
        r.body.contains("<faultcode>soap:Client</faultcode>"),
        "{}",
        r.body
    );
    assert_eq!(r.fault_reason(), Some(reason), "{}", r.body);
    assert!(r.body.contains("<u:correlationId>"), "{}", r.body);
}

#[tokio::test]
async fn not_xml() {
    let app = spawn_app().await;
    assert_fault(
        &send(&app, P5000, "this is not xml").await,
        "not-well-formed",
    );
    assert_fault(&send(&app, P5000, "").await, "not-well-formed");
}

#[tokio::test]
async fn doctype_xxe_and_billion_laughs() {
    let app = spawn_app().await;
    let xxe = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
        create("X1", "1").replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
    );
    assert_fault(&send(&app, P5000, xxe).await, "doctype");
    let lol = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><l>&c;</l>";
    assert_fault(&send(&app, P5000, lol).await, "doctype");
}

#[tokio::test]
async fn body_over_the_cap() {
    let app = spawn_app().await;
    let big = create("B1", "1").replace(
        "<soap:Header/>",
        &format!(
            "<soap:Header><x>{}</x></soap:Header>",
            "a".repeat(600 * 1024)
        ),
    );
    let r = send(&app, P5000, big).await;
    assert_fault(&r, "body-too-large");
    assert!(r.body.contains("524288 bytes"));
}

#[tokio::test]
async fn nesting_too_deep_and_two_body_children() {
    let app = spawn_app().await;
    let deep = create("D1", "1").replace(
        "<soap:Header/>",
        &format!(
            "<soap:Header>{}{}</soap:Header>",
            "<a>".repeat(60),
            "</a>".repeat(60)
        ),
    );
    assert_fault(&send(&app, P5000, deep).await, "too-deep");
    let two = create("D2", "1").replace("</soap:Body>", "<extra/></soap:Body>");
    assert_fault(&send(&app, P5000, two).await, "multiple-body-children");
}

#[tokio::test]
async fn unknown_root_wrong_namespace_and_wrong_port() {
    let app = spawn_app().await;
    let unknown = create("R1", "1").replace("Richiesta5011", "Richiesta5099");
    let r = send(&app, P5000, unknown).await;
    assert_fault(&r, "unknown-operation");
    assert!(r.body.contains("Richiesta5099"));
    let wrong_ns = create("R2", "1").replace(
        "http://sogei.it/ANPR/5000mutazione",
        "http://sogei.it/ANPR/5000mutazioni",
    );
    assert_fault(&send(&app, P5000, wrong_ns).await, "unknown-operation");
    assert_fault(&send(&app, P3000, create("R3", "1")).await, "wrong-port");
}

#[tokio::test]
async fn schema_invalid_values_name_the_rule_and_position() {
    let app = spawn_app().await;
    // pattern: a letter in cap
    let r = send(
        &app,
        P5000,
        create("S1", "1").replace("<cap>00184</cap>", "<cap>00A00</cap>"),
    )
    .await;
    assert_fault(&r, "xsd-invalid");
    assert!(r.body.contains("cap"), "{}", r.body);
    assert!(r.body.contains("<u:line>"), "{}", r.body);
    // enumeration: a tipoSN1 flag of 5010 with a value outside S/N/s/n
    let sample = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../xsd/samples/invalid-5010-enum-sn.xml"
    ))
    .unwrap();
    let body = &sample[sample.find("<m:Richiesta5010").unwrap()..];
    let r = send(&app, P5000, urna_wire::envelope::envelope(body)).await;
    assert_fault(&r, "xsd-invalid");
    assert!(
        r.body.contains("enumeration") || r.body.contains("tipoSN1") || r.body.contains("'X'"),
        "{}",
        r.body
    );
    // length facet: codDestinatario longer than 6
    let r = send(
        &app,
        P5000,
        create("S2", "1").replace(
            "<codDestinatario>ANPR05</codDestinatario>",
            "<codDestinatario>ANPR0555</codDestinatario>",
        ),
    )
    .await;
    assert_fault(&r, "xsd-invalid");
    // missing element
    let r = send(
        &app,
        P5000,
        create("S3", "1").replace(
            "<sezioneelettoraledenom>SCUOLA PRIMARIA N. 1</sezioneelettoraledenom>",
            "",
        ),
    )
    .await;
    assert_fault(&r, "xsd-invalid");
    assert!(
        r.body.contains("sezioneelettoraleind") || r.body.contains("sezioneelettoraledenom"),
        "{}",
        r.body
    );
    // wrong order
    let r = send(&app, P5000, create("S4", "1").replace(
        "<circoscrregionali>ROMA</circoscrregionali><collegiosenatorepubblica>LAZIO - U01</collegiosenatorepubblica>",
        "<collegiosenatorepubblica>LAZIO - U01</collegiosenatorepubblica><circoscrregionali>ROMA</circoscrregionali>",
    )).await;
    assert_fault(&r, "xsd-invalid");
    // enumeration: tipoRichiesta is free text, so use a 3008 comune with a 5-digit ISTAT
    let q = build::richiesta3008(&t("S5", "3008"), &roma(), None, "2").replace(
        "<codiceIstat>058091</codiceIstat>",
        "<codiceIstat>58091</codiceIstat>",
    );
    assert_fault(&send(&app, P3000, q).await, "xsd-invalid");
}

#[tokio::test]
async fn operazione_richiesta_must_match_root() {
    let app = spawn_app().await;
    let r = send(
        &app,
        P5000,
        create("O1", "1").replace(
            "<operazioneRichiesta>5011</operazioneRichiesta>",
            "<operazioneRichiesta>5010</operazioneRichiesta>",
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.codes(), ["SP000", "EN527"]);
}
