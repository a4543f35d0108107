//! "Who holds this subject": placements, cancellation, certifiability and
//! the last operation, on every backend.

use urna_service::demo::{self, DEMO_COMUNI};
use urna_store::testing::TestDb;

use crate::common;

#[test]
fn placements_name_the_comune_section_and_last_operation() {
    for db in TestDb::all() {
        let label = db.label;
        let store = common::demo_store(&db);
        let services = common::services(store);
        let roma = &DEMO_COMUNI[0];
        let p = services
            .placements(&demo::subject_row(roma, 0).codice_fiscale)
            .unwrap()
            .unwrap();
        assert_eq!(p.id_soggetto, demo::subject_id(roma, 0), "{label}");
        assert_eq!(p.liste.len(), 1, "{label}");
        assert_eq!(p.liste[0].lista, "generale");
        assert_eq!(p.liste[0].comune, "058091");
        assert_eq!(p.liste[0].nome_comune.as_deref(), Some("ROMA (RM)"));
        assert_eq!(p.liste[0].dal.as_deref(), Some("2024-01-01"));
        assert_eq!(p.certificabilita, Some((2, "058091".into())));
        // By ANPR id too; the EU citizen's additional list.
        let eu = services
            .placements(&demo::subject_id(roma, 10))
            .unwrap()
            .unwrap();
        assert_eq!(eu.liste[0].lista, "aggiunta-ue-comunali", "{label}");
        assert!(services.placements("RSSMRA80A01H501U").unwrap().is_none());
        // A 5010 by Roma shows as the last operation.
        let moved = urna_wire::build::richiesta5010(
            &urna_wire::build::Testata::new("PL1", "058091", "5010", "2025-01-10T10:00:00Z"),
            &[
                urna_wire::Element::leaf("idSoggetto", demo::subject_id(roma, 0)),
                urna_wire::build::liste_generale(
                    &urna_wire::build::comune("ROMA", "058091", "RM"),
                    "2",
                    roma.circ_senato,
                    roma.circ_camera,
                ),
                urna_wire::Element::new("datiControllo")
                    .with_child(urna_wire::Element::leaf("tipoMutazione", "01")),
            ],
        );
        let checked = urna_security::gate::check(moved.as_bytes(), 5000).unwrap();
        let caller = urna_service::Caller {
            station: "058091-PC-0001".parse().unwrap(),
        };
        let h = services
            .handle(checked.operation, &checked.payload, &caller, "c")
            .unwrap();
        assert_eq!(h.settled, urna_service::Settled::Ok, "{label}: {}", h.body);
        let p = services
            .placements(&demo::subject_id(roma, 0))
            .unwrap()
            .unwrap();
        assert_eq!(p.liste[0].sezione, "2", "{label}");
        let last = p.ultima_operazione.unwrap();
        assert_eq!(
            (last.operazione.as_str(), last.comune.as_str()),
            ("5010", "058091")
        );
        assert_eq!(last.id_operazione_anpr, h.id_operazione_anpr);
    }
}
