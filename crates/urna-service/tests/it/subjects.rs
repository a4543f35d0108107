//! 3002, electoral parts (R-Q1…R-Q6): search by each key, every criterion
//! filtering, the complete view for the electoral profile and the own
//! comune, the reduced view for other comuni, the flag and a warning for a
//! registry operator; every reply schema-valid, on every backend.

use urna_service::demo::{self, DEMO_COMUNI};
use urna_service::{Authentication, Caller, Handled, Request, Services, Settled};
use urna_store::testing::TestDb;
use urna_wire::build::{self, Testata};
use urna_wire::Element;

use crate::common;

const NOW: &str = "2025-01-10T10:00:00Z";
/// Registered by the demo world with the registry profile only.
const ANAGRAFE_ONLY: &str = "VRDGPP75C15H501P";

fn cf(i: u32) -> String {
    demo::subject_row(&DEMO_COMUNI[0], i).codice_fiscale
}

fn by_cf(id: &str, from: &str, cf: &str, requested: &[&str]) -> String {
    build::richiesta3002(
        &Testata::new(id, from, "3002", NOW),
        &[Element::leaf("codiceFiscale", cf)],
        None,
        requested,
    )
}

fn send(services: &Services, xml: &str, from: &str, operator: Option<&str>) -> Handled {
    let checked = urna_security::gate::check(xml.as_bytes(), 3000)
        .unwrap_or_else(|f| panic!("gate refused: {f:?}"));
    let caller = Caller {
        station: format!("{from}-PC-0001").parse().unwrap(),
    };
    let auth = operator.map(|o| Authentication {
        operator: o.to_string(),
        replay_key: format!("{o}-{}", checked.payload.digest(&|_| false)[0]),
        expires_ms: i64::MAX,
    });
    let request = Request {
        op: checked.operation,
        payload: &checked.payload,
        caller: &caller,
        correlation_id: "corr-3002",
        auth: auth.as_ref(),
    };
    let h = services
        .handle_batch(std::slice::from_ref(&request))
        .pop()
        .unwrap()
        .unwrap();
    if let Err(e) =
        urna_security::gate::validate_document(h.body.as_bytes(), "3000consultazione.xsd")
    {
        panic!("reply not schema-valid: {e:?}\n{}", h.body);
    }
    h
}

#[test]
fn the_own_electors_complete_view() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let h = send(
            &services,
            &by_cf("Q1", "058091", &cf(0), &["18"]),
            "058091",
            None,
        );
        assert_eq!(h.settled, Settled::Ok, "{label}: {}", h.body);
        common::assert_reply("3002_ok_own_elector", &h.body);
        // The same subject by its ANPR id, with the whole record asked.
        let row = demo::subject_row(&DEMO_COMUNI[0], 0);
        let id = build::richiesta3002(
            &Testata::new("Q3", "058091", "3002", NOW),
            &[Element::leaf("idSchedaSoggettoANPR", &row.id_soggetto)],
            None,
            &["1"],
        );
        let by_id = send(&services, &id, "058091", None);
        let tail = |b: &str| b[b.find("<listaSoggetti>").unwrap()..].to_string();
        assert_eq!(tail(&by_id.body), tail(&h.body), "{label}");
    }
}

#[test]
fn another_comunes_elector_shows_what_certification_needs() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let milano = DEMO_COMUNI[1].istat;
        let h = send(
            &services,
            &by_cf("Q4", milano, &cf(0), &["18"]),
            milano,
            None,
        );
        assert_eq!(h.settled, Settled::Ok, "{label}: {}", h.body);
        assert!(
            h.body.contains("<certificabilita>2</certificabilita>"),
            "{label}"
        );
        assert!(h.body.contains("<listaGenerale>"), "{label}");
        for hidden in ["<sezione>", "<referendumnazionali>", "<cancellazione>"] {
            assert!(!h.body.contains(hidden), "{label}: {hidden} in {}", h.body);
        }
    }
}

#[test]
fn a_registry_operator_gets_the_flag_and_a_warning() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let h = send(
            &services,
            &by_cf("Q5", "058091", &cf(0), &["18"]),
            "058091",
            Some(ANAGRAFE_ONLY),
        );
        assert_eq!(h.settled, Settled::Ok, "{label}: {}", h.body);
        common::assert_reply("3002_ok_registry_operator", &h.body);
        assert!(!h.body.contains("<listaElettoraleCompleta>"), "{label}");
    }
}

#[test]
fn without_electoral_codes_or_with_several_results_only_generalities() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let h = send(
            &services,
            &by_cf("Q6", "058091", &cf(0), &["2"]),
            "058091",
            None,
        );
        assert_eq!(h.settled, Settled::Ok, "{label}");
        assert!(h.body.contains("<generalita>"), "{label}");
        assert!(!h.body.contains("listaElettorale"), "{label}: {}", h.body);
        // The demo world has namesakes born the same day in other comuni:
        // a search by names finds them all, with their generalities only.
        let row = demo::subject_row(&DEMO_COMUNI[0], 0);
        let names = build::richiesta3002(
            &Testata::new("Q7", "058091", "3002", NOW),
            &[
                Element::leaf("cognome", row.cognome.to_lowercase()),
                Element::leaf("nome", &row.nome),
            ],
            Some(&row.data_nascita),
            &["18"],
        );
        let h = send(&services, &names, "058091", None);
        assert_eq!(h.settled, Settled::Ok, "{label}: {}", h.body);
        assert!(h.body.matches("<datiSoggetto>").count() >= 2, "{label}");
        assert!(h.body.contains(&row.codice_fiscale), "{label}");
        assert!(!h.body.contains("listaElettorale"), "{label}: {}", h.body);
    }
}

#[test]
fn insufficient_or_unmatched_criteria_are_refused() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let row = demo::subject_row(&DEMO_COMUNI[0], 0);
        let names_only = build::richiesta3002(
            &Testata::new("Q8", "058091", "3002", NOW),
            &[
                Element::leaf("cognome", &row.cognome),
                Element::leaf("nome", &row.nome),
            ],
            None,
            &["18"],
        );
        let h = send(&services, &names_only, "058091", None);
        assert_eq!(h.codes, ["EN148", "EN527"], "{label}: {}", h.body);
        common::assert_reply("3002_ko_en148_criteria", &h.body);
        let unknown = send(
            &services,
            &by_cf("Q9", "058091", "RSSMRA80A01H501U", &["18"]),
            "058091",
            None,
        );
        assert_eq!(
            unknown.codes,
            ["EN130", "EN527"],
            "{label}: {}",
            unknown.body
        );
        // A codice fiscale that exists, with a surname that is not its own.
        let mismatch = build::richiesta3002(
            &Testata::new("Q10", "058091", "3002", NOW),
            &[
                Element::leaf("codiceFiscale", &row.codice_fiscale),
                Element::leaf("cognome", "NESSUNO"),
            ],
            None,
            &["18"],
        );
        let h = send(&services, &mismatch, "058091", None);
        assert_eq!(h.codes, ["EN130", "EN527"], "{label}: {}", h.body);
    }
}

/// A list recorded under a comune that has ceased since is named by the
/// comune's last version (the reply stays schema-valid).
#[test]
fn a_ceased_comune_is_named_by_its_last_version() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let mut ceased = common::ciampino();
        ceased.id = 99_001;
        ceased.istat = "058999".into();
        ceased.nome = "VECCHIO BORGO".into();
        ceased.valid_from = "1950-01-01".into();
        ceased.valid_to = "2019-12-31".into();
        ceased.stato = "C".into();
        let subject = demo::subject_row(&DEMO_COMUNI[0], 0);
        services
            .store()
            .write(|c| {
                urna_store::comuni::upsert(c, std::slice::from_ref(&ceased))?;
                let mut state = urna_store::electors::get(c, &subject.id_soggetto)?;
                let (list, since) = state.general.take().unwrap();
                state.general = Some((
                    urna_domain::elector::ListRef {
                        comune: ceased.istat.clone(),
                        ..list
                    },
                    since,
                ));
                urna_store::electors::put(
                    c,
                    &urna_store::electors::ElectorRow::from_state(
                        &subject.id_soggetto,
                        &state,
                        1,
                        1,
                    ),
                )
            })
            .unwrap();
        let h = send(
            &services,
            &by_cf("Q11", "058091", &cf(0), &["18"]),
            "058091",
            None,
        );
        assert_eq!(h.settled, Settled::Ok, "{label}: {}", h.body);
        assert!(
            h.body.contains(
                "<nomeComune>VECCHIO BORGO</nomeComune><codiceIstat>058999</codiceIstat>"
            ),
            "{label}: {}",
            h.body
        );
    }
}
