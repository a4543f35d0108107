//! 3003 (R-R1…R-R3): a comune's past requests, electoral ones included, by
//! id, by period, kind and outcome, and by subject, each with the request
//! and reply it stored; pages; on every backend.

use std::io::Read;

use base64::Engine;
use urna_service::demo::{self, DEMO_COMUNI};
use urna_service::{Caller, Handled, Services, Settled};
use urna_store::testing::TestDb;
use urna_wire::build::{self, Testata};
use urna_wire::{Element, Operation};

use crate::common;

const NOW: &str = "2025-01-10T10:00:00Z";

fn send(services: &Services, xml: &str, family: u16) -> Handled {
    let checked = urna_security::gate::check(xml.as_bytes(), family)
        .unwrap_or_else(|f| panic!("gate refused: {f:?}"));
    let caller = Caller {
        station: "058091-PC-0001".parse().unwrap(),
    };
    let h = services
        .handle(checked.operation, &checked.payload, &caller, "corr-3003")
        .unwrap();
    if family == 3000 {
        if let Err(e) =
            urna_security::gate::validate_document(h.body.as_bytes(), "3000consultazione.xsd")
        {
            panic!("reply not schema-valid: {e:?}\n{}", h.body);
        }
    }
    h
}

fn search(services: &Services, id: &str, search: Element, page: Option<u64>) -> Handled {
    send(
        services,
        &build::richiesta3003(&Testata::new(id, "058091", "3003", NOW), &search, page),
        3000,
    )
}

fn period(from: &str, to: &str) -> Element {
    Element::new("periodoRiferimentoRichieste")
        .with_child(Element::leaf("dataInizio", from))
        .with_child(Element::leaf("dataFine", to))
}

/// The contents of every `tag` of a reply, un-gzipped.
fn contents(body: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    body.split(&open)
        .skip(1)
        .map(|rest| {
            let b64 = &rest[..rest.find('<').unwrap()];
            let gz = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            let mut out = String::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_string(&mut out)
                .unwrap();
            out
        })
        .collect()
}

fn text_of<'b>(body: &'b str, tag: &str) -> Vec<&'b str> {
    let open = format!("<{tag}>");
    body.split(&open)
        .skip(1)
        .map(|rest| &rest[..rest.find('<').unwrap()])
        .collect()
}

#[test]
fn past_requests_by_id_by_kind_and_by_subject() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let roma = &DEMO_COMUNI[0];
        let subject = demo::subject_id(roma, 0);
        // A move of an elector (5010), a read (3008), a refused read.
        let moved = send(
            &services,
            &build::richiesta5010(
                &Testata::new("RQ1", "058091", "5010", NOW),
                &[
                    Element::leaf("idSoggetto", &subject),
                    build::liste_generale(
                        &build::comune("ROMA", "058091", "RM"),
                        "2",
                        roma.circ_senato,
                        roma.circ_camera,
                    ),
                    Element::new("datiControllo").with_child(Element::leaf("tipoMutazione", "01")),
                ],
            ),
            5000,
        );
        assert_eq!(moved.settled, Settled::Ok, "{label}: {}", moved.body);
        let comune = build::comune("ROMA", "058091", "RM");
        let read = build::richiesta3008(
            &Testata::new("RQ2", "058091", "3008", NOW),
            &comune,
            Some("1"),
            "1",
        );
        assert_eq!(send(&services, &read, 3000).settled, Settled::Ok);
        let missing = build::richiesta3008(
            &Testata::new("RQ3", "058091", "3008", NOW),
            &comune,
            Some("999"),
            "1",
        );
        assert_eq!(send(&services, &missing, 3000).settled, Settled::Ko);

        // By the id urna gave the 5010: its request and its reply, as stored.
        let h = search(
            &services,
            "Q1",
            Element::new("ricercaSingolaRichiesta").with_child(Element::leaf(
                "idOperazioneANPR",
                moved.id_operazione_anpr.to_string(),
            )),
            None,
        );
        assert_eq!(h.settled, Settled::Ok, "{label}: {}", h.body);
        assert_eq!(
            text_of(&h.body, "operazioneRichiesta")[1..],
            ["5010"],
            "{label}"
        );
        assert_eq!(text_of(&h.body, "statoLavorazione"), ["1"]);
        let request = &contents(&h.body, "contenutoRichiesta")[0];
        assert!(
            request.starts_with("<m5:Richiesta5010") && request.contains(&subject),
            "{request}"
        );
        assert_eq!(
            contents(&h.body, "contenutoRisposta"),
            std::slice::from_ref(&moved.body),
            "{label}"
        );
        assert!(h.body.contains("<formatoRisposta>gz</formatoRisposta>"));
        // By the comune's own id.
        let h = search(
            &services,
            "Q2",
            Element::new("ricercaSingolaRichiesta")
                .with_child(Element::leaf("idOperazioneComune", "RQ3")),
            None,
        );
        assert_eq!(text_of(&h.body, "statoLavorazione"), ["2"], "{label}");
        assert!(
            text_of(&h.body, "codiciErrore")[0].starts_with("EN122"),
            "{label}"
        );

        // By kind and outcome in a period: the refused 3008 only.
        let list = |state: Option<&str>, ops: &[&str]| {
            let mut e = Element::new("ricercaElenchiRichieste");
            if let Some(s) = state {
                e = e.with_child(Element::leaf("statoLavorazione", s));
            }
            for o in ops {
                e = e.with_child(Element::leaf("operazioneRichiesta", *o));
            }
            e.with_child(period("2025-01-01", "2025-01-10"))
        };
        let h = search(&services, "Q3", list(Some("2"), &["3008"]), None);
        assert_eq!(
            text_of(&h.body, "idOperazioneComune")[1..],
            ["RQ3"],
            "{label}: {}",
            h.body
        );
        let h = search(&services, "Q4", list(None, &["5010", "3008"]), None);
        assert_eq!(
            text_of(&h.body, "idOperazioneComune")[1..],
            ["RQ1", "RQ2", "RQ3"],
            "{label}"
        );
        // A period without requests, and one too long.
        let h = search(
            &services,
            "Q5",
            Element::new("ricercaElenchiRichieste").with_child(period("2024-01-01", "2024-01-31")),
            None,
        );
        assert_eq!(h.codes, ["EN122", "EN527"], "{label}");
        let h = search(
            &services,
            "Q6",
            Element::new("ricercaElenchiRichieste").with_child(period("2024-01-01", "2024-12-31")),
            None,
        );
        assert_eq!(h.codes, ["EN148", "EN527"], "{label}");

        // By subject, named by its codice fiscale though the 5010 named its id.
        let cf = demo::subject_row(roma, 0).codice_fiscale;
        let h = search(
            &services,
            "Q7",
            Element::new("parametriRicercaSoggetto")
                .with_child(Element::leaf("codiceFiscale", &cf)),
            None,
        );
        assert_eq!(
            text_of(&h.body, "idOperazioneComune")[1..],
            ["RQ1"],
            "{label}: {}",
            h.body
        );
    }
}

#[test]
fn pages_of_fifty() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let comune = build::comune("ROMA", "058091", "RM");
        for i in 0..55 {
            let read = build::richiesta3008(
                &Testata::new(&format!("PG{i}"), "058091", "3008", NOW),
                &comune,
                Some("1"),
                "1",
            );
            send(&services, &read, 3000);
        }
        let list = || {
            Element::new("ricercaElenchiRichieste")
                .with_child(Element::leaf(
                    "operazioneRichiesta",
                    Operation::Consultazione3008.code(),
                ))
                .with_child(period("2025-01-10", "2025-01-10"))
        };
        let first = search(&services, "P1", list(), None);
        assert_eq!(first.body.matches("<risposta>").count(), 50, "{label}");
        assert!(first.body.contains("<paginaCorrente>1</paginaCorrente><pagineTotali>2</pagineTotali><risposteTotali>55</risposteTotali>"), "{label}");
        let second = search(&services, "P2", list(), Some(2));
        assert_eq!(second.body.matches("<risposta>").count(), 5, "{label}");
        let past = search(&services, "P3", list(), Some(3));
        assert_eq!(past.codes, ["EN122", "EN527"], "{label}");
    }
}
