//! Snapshots of every reply and of the faults a request can meet, as the
//! real server sends them (signed, over mutual TLS). Values that change from
//! run to run (times, ids, digests, signature values, certificates) are
//! redacted; everything else is the wire, one element per line, so that a
//! change of the wire is reviewed as a snapshot diff (`cargo insta review`).

use urna_testkit::{spawn_app, spawn_app_with, Reply, Sender, TestApp, P2000, P3000, P5000};
use urna_wire::{build, Element};

use crate::helpers::{create, roma, t};

/// Values that change from run to run, and what stands in for them.
const REDACTIONS: &[(&str, &str)] = &[
    (r"<wsu:Created>[^<]*<", "<wsu:Created>[time]<"),
    (r"<wsu:Expires>[^<]*<", "<wsu:Expires>[time]<"),
    (r"<ds:DigestValue>[^<]*<", "<ds:DigestValue>[digest]<"),
    (
        r"<ds:SignatureValue>[^<]*<",
        "<ds:SignatureValue>[signature]<",
    ),
    (
        r"(<wsse:BinarySecurityToken[^>]*>)[^<]*<",
        "$1[certificate]<",
    ),
    (
        r"<ds:X509Certificate>[^<]*<",
        "<ds:X509Certificate>[certificate]<",
    ),
    (r#"(wsu:Id|Id|ID)="[^"]*""#, r#"$1="[id]""#),
    (r##"URI="#[^"]*""##, r##"URI="#[id]""##),
    (r"<idOperazioneANPR>\d+<", "<idOperazioneANPR>[id]<"),
    (r"idOperazioneANPR \d+", "idOperazioneANPR [id]"),
    (r"<dataOraRichiesta>[^<]*<", "<dataOraRichiesta>[time]<"),
    (r"<dataDecorrenza>[^<]*<", "<dataDecorrenza>[date]<"),
    (r"#id-[0-9a-f]+", "#id-[id]"),
    (r"<certificatoPdf>[^<]*<", "<certificatoPdf>[pdf]<"),
    (r"<xmlFile>[^<]*<", "<xmlFile>[zip]<"),
    (r"<contenutoFile>[^<]*<", "<contenutoFile>[gzip]<"),
    (r"<dataDisponibilita>[^<]*<", "<dataDisponibilita>[time]<"),
    (r"<numeroProtocolloANPR>\d+<", "<numeroProtocolloANPR>[id]<"),
    (r"expired \d+ s ago", "expired [n] s ago"),
    (
        r"<u:correlationId>[^<]*<",
        "<u:correlationId>[correlation-id]<",
    ),
    (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", "[time]"),
    (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?", "[time]"),
    (r"alla data \d{4}-\d{2}-\d{2}", "alla data [date]"),
    (r"di sistema \d{4}-\d{2}-\d{2}", "di sistema [date]"),
];

/// Asserts the reply's snapshot: its status and body, one tag per line,
/// with [`REDACTIONS`] applied. The response's WS-Security header, the same
/// for every reply, is shown whole only in `envelope_signed`; elsewhere it
/// reads `[signed]`.
pub fn assert_wire(name: &str, r: &Reply) {
    let body = match (r.body.find("<soap:Header>"), r.body.find("</soap:Header>")) {
        (Some(start), Some(end)) if name != "envelope_signed" => {
            let header = &r.body[start..end];
            let shown = if header.contains("<ds:SignatureValue>") {
                "[signed]"
            } else {
                "[not signed]"
            };
            format!("{}<soap:Header>{shown}{}", &r.body[..start], &r.body[end..])
        }
        _ => r.body.clone(),
    };
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in REDACTIONS {
        settings.add_filter(pattern, *replacement);
    }
    settings.set_prepend_module_to_snapshot(false);
    let wire = format!("HTTP {}\n{}\n", r.status, body.replace("><", ">\n<"));
    settings.bind(|| insta::assert_snapshot!(name, wire));
}

async fn send(app: &TestApp, path: &str, body: impl Into<String>) -> Reply {
    app.post_with(&app.client_for("058091"), path, body).await
}

fn query(id: &str, numero: Option<&str>, tipo: &str) -> String {
    build::richiesta3008(&t(id, "3008"), &roma(), numero, tipo)
}

fn elector(id: &str, sezione: &str) -> String {
    let subject = urna_service::demo::subject_id(&urna_service::demo::DEMO_COMUNI[0], 0);
    build::richiesta5010(
        &t(id, "5010"),
        &[
            Element::leaf("idSoggetto", &subject),
            build::liste_generale(&roma(), sezione, "LAZIO", "LAZIO 1"),
            Element::new("datiControllo").with_child(Element::leaf("tipoMutazione", "01")),
        ],
    )
}

#[tokio::test]
async fn replies() {
    let app = spawn_app().await;
    let cases: Vec<(&str, &str, String)> = vec![
        ("envelope_signed", P5000, create("SN0", "949")),
        ("5011_ok", P5000, create("SN1", "950")),
        ("5011_replay", P5000, create("SN1", "950")),
        ("5011_ko_en148_other_content", P5000, create("SN1", "951")),
        (
            "2012_ko_en079_id_of_another_service",
            P2000,
            build::richiesta2012(&t("SN1", "2012"), &roma(), "950"),
        ),
        (
            "5011_ko_en204_en378_section_of_another_comune",
            P5000,
            build::richiesta5011(
                &t("SN2", "5011"),
                &urna_service::demo::section_tree(&urna_service::demo::DEMO_COMUNI[1], 1),
            ),
        ),
        ("3008_ok_one", P3000, query("SN3", Some("950"), "1")),
        ("3008_ko_en122_none", P3000, query("SN4", Some("999"), "1")),
        (
            "3002_ok_electoral_operator",
            P3000,
            build::richiesta3002(
                &t("SN3B", "3002"),
                &[Element::leaf(
                    "codiceFiscale",
                    urna_service::demo::subject_row(&urna_service::demo::DEMO_COMUNI[0], 0)
                        .codice_fiscale,
                )],
                None,
                &["18"],
            ),
        ),
        (
            "a002_ko_en562_legacy_datum",
            "/ANPRA000ServiziAire/AnprServiceA000",
            build::richiesta_legacy(
                urna_wire::Operation::IscrizioneAireA002,
                &t("SN4B", "A002"),
                &[Element::new("listaElettorale").with_child(Element::leaf("elettore", "S"))],
            ),
        ),
        ("5010_ok", P5000, elector("SN5", "950")),
        ("5010_ko_section_missing", P5000, elector("SN6", "998")),
        (
            "2012_ko_section_referenced",
            P2000,
            build::richiesta2012(&t("SN7", "2012"), &roma(), "950"),
        ),
        ("2012_ok", P2000, {
            let _ = send(&app, P5000, create("SN8", "952")).await;
            build::richiesta2012(&t("SN9", "2012"), &roma(), "952")
        }),
        (
            "2012_ko_en122_missing",
            P2000,
            build::richiesta2012(&t("SN10", "2012"), &roma(), "952"),
        ),
        (
            "header_ko_ehr09_time",
            P5000,
            build::richiesta5011(
                &build::Testata::new("SN11", "058091", "5011", "2001-01-01T10:00:00Z"),
                &crate::helpers::section("953"),
            ),
        ),
        (
            "header_ko_sp000_operation",
            P5000,
            build::richiesta5011(&t("SN12", "5010"), &crate::helpers::section("954")),
        ),
    ];
    for (name, path, body) in cases {
        let r = send(&app, path, body).await;
        assert_wire(name, &r);
    }
}

#[tokio::test]
async fn faults() {
    let app = spawn_app().await;
    let roma = app.client_for("058091");
    let signed_once = roma.prepare(create("SF1", "960"));
    let raw = |ct: &'static str, body: String| {
        let r = roma
            .http
            .post(app.url(P5000))
            .header("Content-Type", ct)
            .body(body);
        async move {
            let r = r.send().await.expect("sent");
            Reply {
                status: r.status().as_u16(),
                body: r.text().await.expect("body"),
            }
        }
    };
    let unsigned = |body: String| raw("text/xml; charset=UTF-8", body);
    let cases: Vec<(&str, Reply)> = vec![
        ("not_well_formed", unsigned("<soap:Envelope".into()).await),
        (
            "too_deep",
            unsigned(create("SF13", "973").replace(
                "<soap:Header/>",
                &format!(
                    "<soap:Header>{}{}</soap:Header>",
                    "<a>".repeat(60),
                    "</a>".repeat(60)
                ),
            ))
            .await,
        ),
        (
            "multiple_body_children",
            unsigned(create("SF14", "974").replace("</soap:Body>", "<extra/></soap:Body>")).await,
        ),
        (
            "body_too_large",
            unsigned(create("SF15", "975").replace(
                "<soap:Header/>",
                &format!(
                    "<soap:Header><x>{}</x></soap:Header>",
                    "a".repeat(60 * 1024)
                ),
            ))
            .await,
        ),
        (
            "doctype",
            unsigned(format!(
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"e\">]>{}",
                create("SF2", "961").replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "")
            ))
            .await,
        ),
        (
            "unsupported_media_type",
            raw("application/json", create("SF3", "962")).await,
        ),
        (
            "soap_version_mismatch",
            raw("application/soap+xml", create("SF4", "963")).await,
        ),
        (
            "security_header_missing",
            unsigned(create("SF5", "964")).await,
        ),
        (
            "unknown_operation",
            send(
                &app,
                P5000,
                create("SF6", "965").replace("Richiesta5011", "Richiesta5099"),
            )
            .await,
        ),
        ("wrong_port", send(&app, P3000, create("SF7", "966")).await),
        (
            "xsd_invalid",
            send(
                &app,
                P5000,
                create("SF8", "967").replace("<tipoInvio>TEST</tipoInvio>", ""),
            )
            .await,
        ),
        (
            "identity_mismatch",
            app.post_with(&app.client_for("015146"), P5000, create("SF9", "968"))
                .await,
        ),
        (
            "digest_mismatch",
            unsigned(
                roma.prepare(create("SF10", "969"))
                    .replace(">969<", ">970<"),
            )
            .await,
        ),
        ("replay_first", unsigned(signed_once.clone()).await),
        ("replay", unsigned(signed_once).await),
        (
            "operator_unknown",
            app.post_with(
                &app.client_as("058091", "MRNLCU90A01H501D"),
                P5000,
                create("SF11", "971"),
            )
            .await,
        ),
        (
            "operator_not_profiled",
            app.post_with(
                &app.client_as("058091", "VRDGPP75C15H501P"),
                P5000,
                create("SF12", "972"),
            )
            .await,
        ),
    ];
    for (name, r) in cases {
        assert_wire(&format!("fault_{name}"), &r);
    }
}

#[tokio::test]
async fn rate_limited_fault() {
    let app = spawn_app_with(urna_store::testing::TestDb::sqlite(), |s| {
        s.rate_limit.station.per_sec = 0.001;
        s.rate_limit.station.burst = 1;
    })
    .await;
    let _ = send(&app, P3000, query("RL1", None, "2")).await;
    let r = send(&app, P3000, query("RL2", None, "2")).await;
    assert_wire("fault_rate_limited", &r);
}

/// The pre-scan's refusals (sent unsigned, as the pre-scan comes first) and
/// a signed request whose Timestamp has expired.
#[tokio::test]
async fn front_line_and_timestamp_faults() {
    let app = spawn_app().await;
    let roma = app.client_for("058091");
    let in_body = |id: &str, bomb: &str| {
        create(id, "981").replace(
            "<sezioneelettoralenum>",
            &format!("{bomb}<sezioneelettoralenum>"),
        )
    };
    let attrs: String = (0..4_000).map(|i| format!(" a{i}=\"\"")).collect();
    let nss: String = (0..1_500)
        .map(|i| format!(" xmlns:p{i}=\"u:{i}\""))
        .collect();
    let long = "n".repeat(40_000);
    let soap = "http://schemas.xmlsoap.org/soap/envelope/";
    let cases: Vec<(&str, String)> = vec![
        ("too_many_attributes", in_body("SP1", &format!("<x{attrs}/>"))),
        ("too_many_namespaces", in_body("SP2", &format!("<x{nss}/>"))),
        ("name_too_long", in_body("SP3", &format!("<{long}/>"))),
        ("too_many_elements", in_body("SP4", &"<x/>".repeat(10_000))),
        ("text_too_long", in_body("SP5", &format!("<x>{long}</x>"))),
        ("processing_instruction", in_body("SP6", "<?evil x?>")),
        ("not_soap_envelope", "<r xmlns=\"urn:x\"/>".into()),
        (
            "empty_body",
            format!("<s:Envelope xmlns:s=\"{soap}\"><s:Body></s:Body></s:Envelope>"),
        ),
        (
            "multiple_bodies",
            format!("<s:Envelope xmlns:s=\"{soap}\"><s:Body><a/></s:Body><s:Body><b/></s:Body></s:Envelope>"),
        ),
    ];
    for (name, body) in cases {
        let r = app.post_with(&roma.http, P5000, body).await;
        assert_wire(&format!("fault_{name}"), &r);
    }
    let stale = roma
        .signer
        .sign(
            &create("SP7", "982"),
            time::OffsetDateTime::now_utc() - time::Duration::hours(2),
        )
        .expect("signed");
    let r = app.post_with(&roma.http, P5000, stale).await;
    assert_wire("fault_timestamp_expired", &r);
}

/// The replies of the 4000 and 7001 ports: a 4001 accepted and refused,
/// 4005 following the job, 7002 streaming its file (inline, as a client
/// that accepts only XML gets it) and refusing an unknown one, 7001 and
/// 7003.
#[tokio::test]
async fn extraction_and_table_replies() {
    use urna_wire::Operation;
    const P4000: &str = "/ANPR4000ServiziEstrazione/AnprService4000";
    const P7001: &str = "/ANPR7001ServizioScaricoTabelle/AnprService7001";
    let app = spawn_app_with(urna_store::testing::TestDb::sqlite(), |s| {
        s.extraction.poll_ms = 20;
    })
    .await;
    let legacy = |op: Operation, id: &str, body: Vec<Element>| {
        build::richiesta_legacy(op, &t(id, op.code()), &body)
    };
    let t7 = |op: Operation, id: &str, dati: Vec<Element>| {
        build::richiesta7000(op, &t(id, op.code()), &dati)
    };
    let criteria = |k: &str, v: &str| {
        Element::new("criteriRicerca")
            .with_child(Element::leaf("datiAnagraficiRichiesti", "18"))
            .with_child(Element::new("ulterioriSelezioni").with_child(Element::leaf(k, v)))
    };
    let accepted = send(
        &app,
        P4000,
        legacy(
            Operation::Estrazione4001,
            "SX1",
            vec![criteria("sesso", "F")],
        ),
    )
    .await;
    assert_wire("4001_ok", &accepted);
    let job = {
        let at = accepted.body.find("<idOperazioneANPR>").unwrap() + "<idOperazioneANPR>".len();
        accepted.body[at..at + accepted.body[at..].find('<').unwrap()].to_string()
    };
    let status = |id: &str, job: &str| {
        legacy(
            Operation::Asincrone4005,
            id,
            vec![Element::new("verificaStato").with_child(Element::leaf("idOperazioneANPR", job))],
        )
    };
    // Followed until done (how many polls varies), then asked once more
    // with a fixed id for the snapshot.
    let mut done = false;
    for i in 0..200 {
        let r = send(&app, P4000, status(&format!("SX2N{i}"), &job)).await;
        if r.body.contains("<statoRichiesta>2<") {
            done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(done, "the extraction ends");
    assert_wire(
        "4005_ok_done",
        &send(&app, P4000, status("SX2", &job)).await,
    );
    let cases: Vec<(&str, &str, String)> = vec![
        (
            "4001_ko_ehr14_not_an_elector",
            P4000,
            legacy(
                Operation::Estrazione4001,
                "SX3",
                vec![criteria("elettoreAllaDataRiferimento", "N")],
            ),
        ),
        ("4005_ko_en122_unknown", P4000, status("SX4", "999999")),
        (
            "7002_ko_en122_unknown",
            P7001,
            t7(
                Operation::Download7002,
                "SX5",
                vec![Element::leaf("idOperazioneANPR", "999999")],
            ),
        ),
        (
            "7001_ok_table_013",
            P7001,
            t7(
                Operation::Tabelle7001,
                "SX6",
                vec![Element::leaf("idTabella", "013")],
            ),
        ),
        (
            "7001_ko_en189_unknown_table",
            P7001,
            t7(
                Operation::Tabelle7001,
                "SX7",
                vec![Element::leaf("idTabella", "099")],
            ),
        ),
        ("7003_ok", P7001, t7(Operation::Versioni7003, "SX8", vec![])),
        (
            "7002_ok_streamed",
            P7001,
            t7(
                Operation::Download7002,
                "SX9",
                vec![Element::leaf("idOperazioneANPR", job.as_str())],
            ),
        ),
    ];
    let roma = app.client_for("058091");
    for (name, path, body) in cases {
        // Inline base64 (7001's archive, 7002's file), not MTOM: one XML
        // document to compare.
        let body = roma.prepare(body);
        let r = roma
            .http
            .post(app.url(path))
            .header("Content-Type", "text/xml; charset=UTF-8")
            .header("Accept", "text/xml")
            .body(body)
            .send()
            .await
            .unwrap();
        let reply = Reply {
            status: r.status().as_u16(),
            body: r.text().await.unwrap(),
        };
        assert_wire(name, &reply);
    }
}

/// A station an alert rule blocked.
#[tokio::test]
async fn blocked_fault() {
    let app = spawn_app().await;
    let store = urna_store::Store::open(&app.db.url, 1).unwrap();
    store
        .write(|c| {
            urna_store::alerts::block(
                c,
                &urna_store::alerts::BlockRow {
                    kind: "station".into(),
                    block_key: "058091-PC-0001".into(),
                    until_ms: 4_102_444_800_000,
                    rule: "security-refusals".into(),
                    created_at: 0,
                },
            )
        })
        .unwrap();
    let mut r = send(&app, P5000, create("BL1", "955")).await;
    for _ in 0..50 {
        if r.fault_reason() == Some("blocked") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        r = send(&app, P5000, create("BL2", "956")).await;
    }
    assert_wire("fault_blocked", &r);
}
