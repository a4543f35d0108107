//! The section services end to end below the transport: XML → gate → rules →
//! one transaction → reply. Every case runs on SQLite and PostgreSQL.

use crate::common;

use urna_service::demo::{self, DEMO_COMUNI};
use urna_service::{Caller, Handled, ServiceError, Services, Settled};
use urna_store::testing::TestDb;
use urna_store::{operations, sections};
use urna_wire::build::{self, Testata};
use urna_wire::Element;

const NOW: &str = "2025-01-10T10:00:00Z";

struct World {
    services: Services,
    label: &'static str,
    _db: TestDb,
}

fn worlds() -> Vec<World> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let store = common::demo_store(&db);
            let services = common::services(store);
            World {
                services,
                label: db.label,
                _db: db,
            }
        })
        .collect()
}

fn caller(istat: &str) -> Caller {
    Caller {
        station: format!("{istat}-PC-0001").parse().unwrap(),
    }
}

impl World {
    fn send(&self, xml: &str, family: u16, from: &str) -> Result<Handled, ServiceError> {
        let checked = urna_security::gate::check(xml.as_bytes(), family)
            .unwrap_or_else(|f| panic!("{}: gate refused: {f:?}", self.label));
        self.services
            .handle(checked.operation, &checked.payload, &caller(from), "corr-1")
    }

    fn ok(&self, xml: &str, family: u16) -> Handled {
        let h = self.send(xml, family, "058091").unwrap();
        assert_schema_valid(&h, family);
        assert_eq!(h.settled, Settled::Ok, "{}: {}", self.label, h.body);
        h
    }

    fn ko(&self, xml: &str, family: u16) -> Handled {
        let h = self.send(xml, family, "058091").unwrap();
        assert_schema_valid(&h, family);
        assert_eq!(h.settled, Settled::Ko, "{}: {}", self.label, h.body);
        assert_eq!(h.codes.last(), Some(&"EN527"), "{}", self.label);
        assert!(h
            .body
            .contains("<codiceErroreAnomalia>EN527</codiceErroreAnomalia>"));
        assert!(h
            .body
            .contains(&format!("idOperazioneANPR {}", h.id_operazione_anpr)));
        h
    }

    fn sections(&self) -> Vec<sections::SectionRow> {
        self.services
            .store()
            .read(|c| sections::list(c, "058091"))
            .unwrap()
    }
}

/// Every reply urna writes must validate against its own published XSD.
fn assert_schema_valid(h: &Handled, family: u16) {
    let schema = urna_wire::schemas::PORTS
        .iter()
        .find(|p| p.family == family)
        .unwrap()
        .schema;
    if let Err(e) = urna_security::gate::validate_document(h.body.as_bytes(), schema) {
        panic!("reply not valid against {schema}: {e:?}\n{}", h.body);
    }
}

fn roma() -> &'static demo::DemoComune {
    &DEMO_COMUNI[0]
}

fn t(id: &str, op: &str) -> Testata {
    Testata::new(id, "058091", op, NOW)
}

fn section(n: &str) -> Element {
    let mut s = demo::section_tree(roma(), 1);
    for c in &mut s.children {
        if c.name == "sezioneelettoralenum" {
            c.text = n.into();
        }
    }
    s
}

fn set(s: &mut Element, name: &str, value: &str) {
    s.children.iter_mut().find(|c| c.name == name).unwrap().text = value.into();
}

fn roma_ref() -> Element {
    build::comune("ROMA", "058091", "RM")
}

#[test]
fn create_then_update_a_section() {
    for w in worlds() {
        let before = w.sections().len();
        let h = w.ok(
            &build::richiesta5011(&t("C1", "5011"), &section("100")),
            5000,
        );
        common::assert_reply("5011_ok", &h.body);
        assert_eq!(w.sections().len(), before + 1, "{}", w.label);
        let mut s = section("100");
        set(&mut s, "sezioneelettoraledenom", "PALESTRA COMUNALE");
        w.ok(&build::richiesta5011(&t("C2", "5011"), &s), 5000);
        let rows = w.sections();
        assert_eq!(rows.len(), before + 1, "{}: update, not insert", w.label);
        let row = rows.iter().find(|r| r.numero == "100").unwrap();
        assert_eq!(row.denominazione, "PALESTRA COMUNALE");
        assert_eq!(row.last_operation, h.id_operazione_anpr + 1);
    }
}

#[test]
fn section_without_comune_is_stored_with_its_owner_and_read_back_by_3008() {
    for w in worlds() {
        let mut s = section("A-7");
        s.children.retain(|c| c.name != "comune");
        w.ok(&build::richiesta5011(&t("C1", "5011"), &s), 5000);
        let h = w.ok(
            &build::richiesta3008(&t("Q1", "3008"), &roma_ref(), Some("A-7"), "1"),
            3000,
        );
        // The owner filled in, first, as 3008 returns it.
        common::assert_reply("3008_section_stored_with_its_owner", &h.body);
    }
}

#[test]
fn consultation_of_all_sections_and_nothing_found() {
    for w in worlds() {
        let h = w.ok(
            &build::richiesta3008(&t("Q2", "3008"), &roma_ref(), None, "2"),
            3000,
        );
        assert_eq!(
            h.body.matches("<sezioni>").count(),
            roma().sections as usize,
            "{}",
            w.label
        );
        let h = w.ko(
            &build::richiesta3008(&t("Q3", "3008"), &roma_ref(), Some("999"), "1"),
            3000,
        );
        assert_eq!(h.codes, ["EN122", "EN527"]);
        let h = w.ko(
            &build::richiesta3008(&t("Q4", "3008"), &roma_ref(), None, "1"),
            3000,
        );
        assert_eq!(h.codes, ["EN148", "EN527"]);
        let h = w.ko(
            &build::richiesta3008(&t("Q5", "3008"), &roma_ref(), None, "3"),
            3000,
        );
        assert_eq!(h.codes, ["EN148", "EN527"]);
        let milano = build::comune("MILANO", "015146", "MI");
        let h = w.ko(
            &build::richiesta3008(&t("Q6", "3008"), &milano, None, "2"),
            3000,
        );
        assert_eq!(h.codes, ["EN204", "EN527"]);
    }
}

#[test]
fn a_comune_without_sections_gets_en122() {
    for w in worlds() {
        // CIAMPINO: an active comune with no sections at all (loaded by demo_store).
        let q = build::richiesta3008(
            &Testata::new("Q", "058118", "3008", NOW),
            &build::comune("CIAMPINO", "058118", "RM"),
            None,
            "2",
        );
        let h = w.send(&q, 3000, "058118").unwrap();
        assert_eq!(h.codes, ["EN122", "EN527"], "{}", w.label);
        assert!(h.body.contains("il comune non ha sezioni elettorali"));
    }
}

#[test]
fn constituency_values_are_checked_against_the_table() {
    for w in worlds() {
        for (field, bad) in [
            ("collegiocameradeputati", "lazio 1 - u01"),
            ("collegiosenatorepubblica", "LAZIO - U99"),
            ("circoscrregionali", "LATINA"),
            ("circoscrelezionimembriue", "ITALIA INSULARE"),
        ] {
            let mut s = section("200");
            set(&mut s, field, bad);
            let h = w.ko(
                &build::richiesta5011(&t(&format!("K{field}"), "5011"), &s),
                5000,
            );
            assert_eq!(h.codes, ["EN562", "EN527"], "{}: {field}", w.label);
            assert!(h.body.contains(&format!("<campoErroreAnomalia>{field}</campoErroreAnomalia><valoreErroreAnomalia>{bad}</valoreErroreAnomalia>")));
        }
        assert!(
            w.sections().iter().all(|r| r.numero != "200"),
            "nothing written"
        );
    }
}

#[test]
fn polling_station_outside_the_comune_is_en378() {
    for w in worlds() {
        let mut s = section("300");
        let ind = s
            .children
            .iter_mut()
            .find(|c| c.name == "sezioneelettoraleind")
            .unwrap();
        let comune = ind
            .children
            .iter_mut()
            .find(|c| c.name == "comune")
            .unwrap();
        *comune = build::comune("FIUMICINO", "058120", "RM");
        let h = w.ko(&build::richiesta5011(&t("E1", "5011"), &s), 5000);
        assert_eq!(h.codes, ["EN378", "EN527"]);
        assert!(h.body.contains("FIUMICINO"));
    }
}

#[test]
fn a_section_of_another_comune_is_en204() {
    for w in worlds() {
        let mut s = section("301");
        s.children[0] = build::comune("MILANO", "015146", "MI");
        let h = w.ko(&build::richiesta5011(&t("E2", "5011"), &s), 5000);
        assert_eq!(h.codes, ["EN204", "EN527"]);
    }
}

#[test]
fn section_number_is_required() {
    for w in worlds() {
        let mut s = section("x");
        s.children.retain(|c| c.name != "sezioneelettoralenum");
        let h = w.ko(&build::richiesta5011(&t("E3", "5011"), &s), 5000);
        assert_eq!(h.codes, ["EN562", "EN527"]);
    }
}

#[test]
fn delete_rules() {
    for w in worlds() {
        let h = w.ko(
            &build::richiesta2012(&t("X1", "2012"), &roma_ref(), "999"),
            2000,
        );
        assert_eq!(h.codes, ["EN557", "EN527"], "{}", w.label);
        common::assert_reply("2012_ko_en557_missing", &h.body);
        w.services
            .store()
            .write(|c| sections::place_elector(c, "4242", "058091", "10"))
            .unwrap();
        let h = w.ko(
            &build::richiesta2012(&t("X2", "2012"), &roma_ref(), "10"),
            2000,
        );
        assert_eq!(h.codes, ["EN562", "EN527"]);
        common::assert_reply("2012_ko_en562_referenced", &h.body);
        assert!(w.sections().iter().any(|r| r.numero == "10"), "not deleted");
        let h = w.ok(
            &build::richiesta2012(&t("X3", "2012"), &roma_ref(), "12"),
            2000,
        );
        assert!(h.body.starts_with("<c2:Risposta2012 xmlns:c2=\"http://sogei.it/ANPR/2000cancellazione\"><risp:Risposta_Comune"));
        assert!(w.sections().iter().all(|r| r.numero != "12"));
        let milano = build::comune("MILANO", "015146", "MI");
        let h = w.ko(&build::richiesta2012(&t("X4", "2012"), &milano, "1"), 2000);
        assert_eq!(h.codes, ["EN204", "EN527"]);
    }
}

#[test]
fn idempotent_replay_is_byte_identical_and_executes_nothing() {
    for w in worlds() {
        let first = w.ok(
            &build::richiesta5011(&t("I1", "5011"), &section("400")),
            5000,
        );
        // The retry renews dataOraRichiesta: still the same request.
        let mut again = t("I1", "5011");
        again.data_ora_richiesta = "2025-01-10T10:00:05Z".into();
        let replay = w
            .send(
                &build::richiesta5011(&again, &section("400")),
                5000,
                "058091",
            )
            .unwrap();
        assert_eq!(replay.settled, Settled::Replay, "{}", w.label);
        assert_eq!(replay.body, first.body, "byte-identical");
        // Delete it, then replay the creation: the stored answer, no re-creation.
        w.ok(
            &build::richiesta2012(&t("I2", "2012"), &roma_ref(), "400"),
            2000,
        );
        let replay = w
            .send(
                &build::richiesta5011(&t("I1", "5011"), &section("400")),
                5000,
                "058091",
            )
            .unwrap();
        assert_eq!(replay.body, first.body);
        assert!(
            w.sections().iter().all(|r| r.numero != "400"),
            "{}: nothing executed",
            w.label
        );
        // KOs are remembered too.
        let ko = w.ko(
            &build::richiesta2012(&t("I3", "2012"), &roma_ref(), "999"),
            2000,
        );
        let again = w
            .send(
                &build::richiesta2012(&t("I3", "2012"), &roma_ref(), "999"),
                2000,
                "058091",
            )
            .unwrap();
        assert_eq!((again.settled, again.body), (Settled::Replay, ko.body));
    }
}

#[test]
fn reused_id_for_another_service_is_en079_and_with_other_content_is_refused() {
    for w in worlds() {
        w.ok(
            &build::richiesta5011(&t("R1", "5011"), &section("500")),
            5000,
        );
        let h = w.ko(
            &build::richiesta2012(&t("R1", "2012"), &roma_ref(), "500"),
            2000,
        );
        assert_eq!(h.codes, ["EN079", "EN527"], "{}", w.label);
        assert!(
            w.sections().iter().any(|r| r.numero == "500"),
            "not deleted"
        );
        let h = w.ko(
            &build::richiesta5011(&t("R1", "5011"), &section("501")),
            5000,
        );
        assert_eq!(h.codes, ["EN148", "EN527"]);
        assert!(h.body.contains("contenuto diverso"));
        assert!(w.sections().iter().all(|r| r.numero != "501"));
        // The original answer is still the remembered one.
        let rem = w
            .services
            .store()
            .read(|c| operations::remembered(c, "058091", "R1"))
            .unwrap()
            .unwrap();
        assert_eq!(rem.operation, "5011");
    }
}

#[test]
fn the_same_id_from_two_comuni_is_two_operations() {
    for w in worlds() {
        w.ok(
            &build::richiesta5011(&t("S1", "5011"), &section("600")),
            5000,
        );
        let milano = &DEMO_COMUNI[2];
        let s = demo::section_tree(milano, 77);
        let h = w
            .send(
                &build::richiesta5011(&Testata::new("S1", "015146", "5011", NOW), &s),
                5000,
                "015146",
            )
            .unwrap();
        assert_eq!(h.settled, Settled::Ok, "{}: {}", w.label, h.body);
    }
}

#[test]
fn unknown_or_inactive_sender_is_ec090() {
    for w in worlds() {
        let h = w
            .send(
                &build::richiesta5011(&Testata::new("U1", "999999", "5011", NOW), &section("1")),
                5000,
                "999999",
            )
            .unwrap();
        assert_eq!(h.settled, Settled::Ko);
        assert_eq!(h.codes, ["EC090", "EN527"], "{}", w.label);
    }
}

#[test]
fn a_ceased_comune_is_ec090() {
    for w in worlds() {
        // ABANO (PD) existed 1866-1924 under the ISTAT code later reused by ABANO TERME.
        let ceased = urna_store::comuni::ComuneRow {
            id: 12560,
            istat: "028001".into(),
            cod_catastale: "A001".into(),
            nome: "ABANO".into(),
            altro_nome: None,
            sigla: "PD".into(),
            valid_from: "1866-11-19".into(),
            valid_to: "1924-11-13".into(),
            stato: "C".into(),
        };
        w.services
            .store()
            .write(|c| urna_store::comuni::upsert(c, std::slice::from_ref(&ceased)))
            .unwrap();
        let h = w
            .send(
                &build::richiesta5011(&Testata::new("U2", "028001", "5011", NOW), &section("1")),
                5000,
                "028001",
            )
            .unwrap();
        assert_eq!(h.codes, ["EC090", "EN527"], "{}", w.label);
        assert!(h
            .body
            .contains("non e' un comune attivo alla data 2025-01-10"));
    }
}

#[test]
fn sender_must_be_the_certificate_comune() {
    for w in worlds() {
        let e = w
            .send(
                &build::richiesta5011(&t("M1", "5011"), &section("1")),
                5000,
                "015146",
            )
            .unwrap_err();
        assert!(matches!(e, ServiceError::IdentityMismatch { .. }), "{e}");
        assert!(e.to_string().contains("015146-PC-0001"));
    }
}

#[test]
fn header_rules_answer_ko_and_write_nothing() {
    for w in worlds() {
        let mut h = t("H1", "5011");
        h.data_decorrenza = None;
        let r = w.ko(&build::richiesta5011(&h, &section("700")), 5000);
        assert_eq!(r.codes, ["EHR97", "EN527"], "{}", w.label);
        let mut h = t("H2", "5011");
        h.operazione_richiesta = "5010".into();
        assert_eq!(
            w.ko(&build::richiesta5011(&h, &section("700")), 5000).codes,
            ["SP000", "EN527"]
        );
        let mut h = t("H3", "5011");
        h.cod_destinatario = "ANPR02".into();
        assert_eq!(
            w.ko(&build::richiesta5011(&h, &section("700")), 5000).codes,
            ["EN148", "EN527"]
        );
        let mut h = t("H4", "5011");
        h.tipo_invio = "PROD".into();
        assert_eq!(
            w.ko(&build::richiesta5011(&h, &section("700")), 5000).codes,
            ["EN148", "EN527"]
        );
        let mut h = t("H5", "3008");
        h.data_ora_richiesta = "2020-01-10T10:00:00Z".into();
        assert_eq!(
            w.ko(&build::richiesta3008(&h, &roma_ref(), None, "2"), 3000)
                .codes,
            ["EHR09", "EN527"]
        );
        assert!(w.sections().iter().all(|r| r.numero != "700"));
    }
}

#[test]
fn every_request_is_an_operation_record() {
    for w in worlds() {
        let a = w.ok(
            &build::richiesta5011(&t("O1", "5011"), &section("800")),
            5000,
        );
        let b = w.ko(
            &build::richiesta2012(&t("O2", "2012"), &roma_ref(), "999"),
            2000,
        );
        assert!(b.id_operazione_anpr > a.id_operazione_anpr);
        let rec = w
            .services
            .store()
            .read(|c| operations::get(c, b.id_operazione_anpr))
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                rec.outcome.as_str(),
                rec.codes.as_str(),
                rec.operation.as_str()
            ),
            ("KO", "EN557,EN527", "2012")
        );
        assert_eq!(rec.station_cn, "058091-PC-0001");
        assert_eq!(rec.correlation_id, "corr-1");
    }
}

#[test]
fn a_batch_shares_one_transaction_but_each_request_stands_alone() {
    use urna_service::Request;
    for w in worlds() {
        let gate =
            |xml: String, family| urna_security::gate::check(xml.as_bytes(), family).unwrap();
        let a = gate(build::richiesta5011(&t("B1", "5011"), &section("50")), 5000);
        let b = gate(build::richiesta5011(&t("B1", "5011"), &section("50")), 5000);
        let c = gate(
            build::richiesta2012(&t("B3", "2012"), &roma_ref(), "999"),
            2000,
        );
        let d = gate(build::richiesta5011(&t("B4", "5011"), &section("52")), 5000);
        let e = gate(build::richiesta5011(&t("B5", "5011"), &section("51")), 5000);
        let roma = caller("058091");
        let milano = caller("015146");
        fn req<'a>(c: &'a urna_security::gate::Checked, who: &'a Caller) -> Request<'a> {
            Request {
                op: c.operation,
                payload: &c.payload,
                caller: who,
                correlation_id: "batch",
                auth: None,
            }
        }
        let results = w.services.handle_batch(&[
            req(&a, &roma),
            req(&b, &roma),
            req(&c, &roma),
            req(&d, &milano),
            req(&e, &roma),
        ]);
        let settled: Vec<_> = results
            .iter()
            .map(|r| r.as_ref().map(|h| h.settled).map_err(|e| e.to_string()))
            .collect();
        assert_eq!(settled[0], Ok(Settled::Ok), "{}", w.label);
        assert_eq!(
            settled[1],
            Ok(Settled::Replay),
            "a later request sees an earlier one"
        );
        assert_eq!(settled[2], Ok(Settled::Ko));
        assert!(settled[3]
            .as_ref()
            .is_err_and(|e| e.contains("015146-PC-0001")));
        assert_eq!(settled[4], Ok(Settled::Ok));
        assert_eq!(
            results[0].as_ref().unwrap().body,
            results[1].as_ref().unwrap().body
        );
        let nums: Vec<_> = w.sections().into_iter().map(|r| r.numero).collect();
        assert!(
            nums.contains(&"50".to_string()) && nums.contains(&"51".to_string()),
            "{nums:?}"
        );
        assert!(!nums.contains(&"52".to_string()));
    }
}
