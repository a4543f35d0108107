//! 5008 `mutazione_scheda`: accepted on the wire so that the legacy
//! electoral datum gets ANPR's refusal (EN562) as a KO.

use crate::common;
use urna_service::{Caller, Settled};
use urna_store::testing::TestDb;
use urna_wire::build::{self, Testata};
use urna_wire::{Element, Operation};

fn request(id: &str, body: &str) -> String {
    urna_wire::envelope::envelope(&format!(
        "<m5:Richiesta5008 xmlns:m5=\"http://sogei.it/ANPR/5000mutazione\"><testataRichiesta><idOperazioneComune>{id}</idOperazioneComune><codMittente>058091</codMittente><codDestinatario>ANPR05</codDestinatario><operazioneRichiesta>5008</operazioneRichiesta><dataOraRichiesta>2025-01-10T10:00:00Z</dataOraRichiesta><tipoOperazione>V</tipoOperazione><tipoInvio>TEST</tipoInvio><dataDecorrenza>2025-01-10</dataDecorrenza></testataRichiesta><idSchedaSoggettoANPR>9058091000</idSchedaSoggettoANPR>{body}</m5:Richiesta5008>"
    ))
}

#[test]
fn a_5008_with_electoral_data_is_refused_with_en562() {
    for db in TestDb::all() {
        let services = common::services(common::demo_store(&db));
        let caller = Caller {
            station: "058091-PC-0001".parse().unwrap(),
        };
        let send = |xml: String| {
            let checked = urna_security::gate::check(xml.as_bytes(), 5000).unwrap();
            let h = services
                .handle(checked.operation, &checked.payload, &caller, "c")
                .unwrap();
            if let Err(e) =
                urna_security::gate::validate_document(h.body.as_bytes(), "5000mutazione.xsd")
            {
                panic!("reply not valid: {e:?}\n{}", h.body);
            }
            h
        };
        let h = send(request(
            "L1",
            "<liste><listaElettorale><elettore>S</elettore></listaElettorale></liste><datiControllo><tipoMutazione>05</tipoMutazione></datiControllo>",
        ));
        assert_eq!(h.settled, Settled::Ko, "{}", db.label);
        assert_eq!(h.codes, ["EN562", "EN527"], "{}", db.label);
        assert!(h.body.contains("usare il servizio 5010"), "{}", h.body);
        let h = send(request(
            "L2",
            "<datiControllo><tipoMutazione>01</tipoMutazione></datiControllo>",
        ));
        assert_eq!(h.codes, ["EN174", "EN527"], "{}", db.label);
    }
}

/// 1002 and A002 on their own ports, with the datum at the top of the body as
/// ANPR's requests carry it: EN562; without it: EN174.
#[test]
fn a_1002_or_a002_with_electoral_data_is_refused_with_en562() {
    for db in TestDb::all() {
        let services = common::services(common::demo_store(&db));
        let caller = Caller {
            station: "058091-PC-0001".parse().unwrap(),
        };
        for (op, family, schema) in [
            (Operation::Iscrizione1002, 1000, "1000iscrizione.xsd"),
            (
                Operation::IscrizioneAireA002,
                urna_wire::messages::AIRE_FAMILY,
                "A000aire.xsd",
            ),
        ] {
            let code = op.code();
            let request = |id: &str, datum: bool| {
                let mut body = vec![Element::new("generalita")
                    .with_child(Element::leaf("cognome", "ROMANO"))
                    .with_child(Element::leaf("nome", "ANNA"))];
                if datum {
                    body.push(
                        Element::new("listaElettorale").with_child(Element::leaf("elettore", "S")),
                    );
                }
                build::richiesta_legacy(
                    op,
                    &Testata::new(id, "058091", code, "2025-01-10T10:00:00Z"),
                    &body,
                )
            };
            let send = |xml: String| {
                let checked = urna_security::gate::check(xml.as_bytes(), family).unwrap();
                let h = services
                    .handle(checked.operation, &checked.payload, &caller, "c")
                    .unwrap();
                if let Err(e) = urna_security::gate::validate_document(h.body.as_bytes(), schema) {
                    panic!("reply not valid: {e:?}\n{}", h.body);
                }
                h
            };
            let h = send(request(&format!("L{code}1"), true));
            assert_eq!(h.settled, Settled::Ko, "{}", db.label);
            assert_eq!(h.codes, ["EN562", "EN527"], "{code} {}", db.label);
            assert!(
                h.body.contains("eliminare la sezione listaElettorale"),
                "{}",
                h.body
            );
            let h = send(request(&format!("L{code}2"), false));
            assert_eq!(h.codes, ["EN174", "EN527"], "{code} {}", db.label);
            assert!(
                h.body.contains(&format!("la {code} si invia ad ANPR")),
                "{}",
                h.body
            );
            // Posted to another port, it is a wrong-port fault naming both.
            let xml = request(&format!("L{code}3"), false);
            let f = urna_security::gate::check(xml.as_bytes(), 5000).unwrap_err();
            assert!(
                f.message.contains(&format!("Richiesta{code}")),
                "{}",
                f.message
            );
        }
    }
}
