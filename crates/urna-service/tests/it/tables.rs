//! The 7001 port on every backend: 7001 hands out each decode table as a
//! ZIP holding its CSV, equal to the rules' definitions (the constituency
//! values the sender's); an unknown table is EN189; 7002 has no file to
//! give (EN122); 7003 lists the versions the header policy accepts.

use std::io::Read;

use base64::Engine;
use urna_domain::tables;
use urna_service::{Caller, Handled, Services, Settled};
use urna_store::testing::TestDb;
use urna_wire::build::{self, Testata};
use urna_wire::{Element, Operation};

use crate::common::{self, text};

const NOW: &str = "2025-01-10T10:00:00Z";

fn send(services: &Services, op: Operation, id: &str, dati: &[Element]) -> Handled {
    let xml = build::richiesta7000(op, &Testata::new(id, "058091", op.code(), NOW), dati);
    let checked = urna_security::gate::check(xml.as_bytes(), 7001)
        .unwrap_or_else(|f| panic!("gate refused: {f:?}"));
    let caller = Caller {
        station: "058091-PC-0001".parse().unwrap(),
    };
    let h = services
        .handle(checked.operation, &checked.payload, &caller, "corr-7001")
        .unwrap();
    if let Err(e) =
        urna_security::gate::validate_document(h.body.as_bytes(), "7001scaricoTabelle.xsd")
    {
        panic!("reply not schema-valid: {e:?}\n{}", h.body);
    }
    h
}

/// The files of the ZIP in `xmlFile`: (name, content).
fn unzip(body: &str) -> Vec<(String, String)> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text(body, "xmlFile"))
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            (f.name().unwrap().to_string(), s)
        })
        .collect()
}

fn id_tabella(n: u16) -> Element {
    Element::leaf("idTabella", format!("{n:03}"))
}

#[test]
fn every_table_comes_as_a_zip_of_the_rules_definitions() {
    for db in TestDb::all() {
        let services = common::services(common::demo_store(&db));
        for (i, table) in tables::all().into_iter().enumerate() {
            let h = send(
                &services,
                Operation::Tabelle7001,
                &format!("T{i}"),
                &[id_tabella(table.id)],
            );
            assert_eq!(h.settled, Settled::Ok, "{}: {}", db.label, h.body);
            assert_eq!(text(&h.body, "idTabella"), format!("{:03}", table.id));
            let files = unzip(&h.body);
            assert_eq!(
                files,
                [(format!("{}.csv", table.name), table.csv())],
                "{}",
                db.label
            );
        }
        // The constituency values the rules check Roma's sections against.
        let h = send(
            &services,
            Operation::Tabelle7001,
            "T906",
            &[id_tabella(906)],
        );
        assert_eq!(h.settled, Settled::Ok, "{}", h.body);
        let files = unzip(&h.body);
        assert_eq!(files[0].0, "LISTA_TAB_COLLEGI.csv");
        let csv = &files[0].1;
        assert!(csv.starts_with("TIPO,CODICE_ISTAT,VALORE\n"), "{csv}");
        assert!(csv.lines().count() > 1, "{csv}");
        assert!(
            csv.lines()
                .skip(1)
                .all(|l| l.contains(",058091,") || l.contains(",*,")),
            "only Roma's and every comune's values: {csv}"
        );
        // The same table twice: the same bytes.
        let again = send(
            &services,
            Operation::Tabelle7001,
            "T906b",
            &[id_tabella(906)],
        );
        assert_eq!(text(&again.body, "xmlFile"), text(&h.body, "xmlFile"));
    }
}

#[test]
fn an_unknown_table_is_en189_naming_those_served() {
    for db in TestDb::all() {
        let services = common::services(common::demo_store(&db));
        let h = send(&services, Operation::Tabelle7001, "U1", &[id_tabella(42)]);
        assert_eq!(h.settled, Settled::Ko, "{}", h.body);
        assert_eq!(h.codes, ["EN189", "EN527"], "{}", h.body);
        assert!(
            h.body.contains("tabelle disponibili: 013, 014, 039, 901"),
            "{}",
            h.body
        );
    }
}

#[test]
fn download_has_no_file_and_versions_follow_the_policy() {
    for db in TestDb::all() {
        let services = common::services(common::demo_store(&db));
        let h = send(
            &services,
            Operation::Download7002,
            "D1",
            &[Element::leaf("idOperazioneANPR", "42")],
        );
        assert_eq!(h.codes, ["EN122", "EN527"], "{}", h.body);

        let h = send(&services, Operation::Versioni7003, "V1", &[]);
        assert_eq!(h.settled, Settled::Ok, "{}", h.body);
        assert_eq!(text(&h.body, "CodDestinatario"), "ANPR05");
        assert_eq!(text(&h.body, "VersioneCompleta"), "8.0.0");
        assert!(!h.body.contains("<versioniSupportate>"), "{}", h.body);
        let h = send(
            &services,
            Operation::Versioni7003,
            "V2",
            &[Element::leaf("tipoVersioni", "2")],
        );
        assert_eq!(
            h.body.matches("<versioniSupportate>").count(),
            3,
            "{}",
            h.body
        );
        for tag in ["ANPR03", "ANPR04", "ANPR05"] {
            assert!(
                h.body.contains(&format!("<CodDestinatario>{tag}<")),
                "{tag}"
            );
        }
        let h = send(
            &services,
            Operation::Versioni7003,
            "V3",
            &[Element::leaf("tipoVersioni", "7")],
        );
        assert_eq!(h.codes, ["EN148", "EN527"], "{}", h.body);
    }
}
