//! Issued certificates and the subject finders 6001 uses, on every backend.

use urna_store::certificates::{self, CertificateRow};
use urna_store::testing::TestDb;
use urna_store::Store;

fn row(id: &str, code: &str, expires_at: i64) -> CertificateRow {
    CertificateRow {
        id: id.into(),
        code: code.into(),
        comune_istat: "058091".into(),
        id_soggetto: "100".into(),
        tipo: 22,
        operation_id: expires_at,
        issued_at: 1_000,
        expires_at,
        languages: "IT".into(),
        pdf: vec![0x25, 0x50, 0x44, 0x46, 0x00, 0xff],
    }
}

#[test]
fn certificates_are_found_by_id_code_operation_and_holder_then_swept() {
    for db in TestDb::all() {
        let label = db.label;
        let store = Store::open(&db.url, 1).unwrap();
        store
            .write(|c| {
                certificates::insert(c, &row("a1", "AAA-111", 5_000))?;
                certificates::insert(c, &row("b2", "BBB-222", 9_000))
            })
            .unwrap();
        let got = store.read(|c| certificates::get(c, "a1")).unwrap().unwrap();
        assert_eq!(
            got,
            row("a1", "AAA-111", 5_000),
            "{label}: bytes round-trip"
        );
        let by_code = store.read(|c| certificates::by_code(c, "BBB-222")).unwrap();
        assert_eq!(by_code.map(|r| r.id).as_deref(), Some("b2"), "{label}");
        let by_op = store
            .read(|c| certificates::by_operation(c, 9_000))
            .unwrap();
        assert_eq!(by_op.map(|r| r.id).as_deref(), Some("b2"), "{label}");
        let mine = store.read(|c| certificates::of_holder(c, "100")).unwrap();
        assert_eq!(mine.len(), 2, "{label}");
        // A second certificate with the same short code is refused.
        assert!(store
            .write(|c| certificates::insert(c, &row("c3", "AAA-111", 1)))
            .is_err());
        let gone = store.write(|c| certificates::sweep(c, 5_000)).unwrap();
        assert_eq!(gone, [("a1".to_string(), "100".to_string())], "{label}");
        assert!(store
            .read(|c| certificates::get(c, "a1"))
            .unwrap()
            .is_none());
        assert!(store
            .read(|c| certificates::get(c, "b2"))
            .unwrap()
            .is_some());
    }
}

#[test]
fn subjects_are_found_by_codice_fiscale_or_names_and_birth_date() {
    let file = "id_soggetto,codice_fiscale,cognome,nome,sesso,data_nascita,luogo_nascita,cittadinanza,comune_residenza,aire,certificabile_anagrafe,cancellato_anpr
100,RSSMRA80A01H501U,ROSSI,MARIO,M,1980-01-01,H501,IT,058091,N,2,N
101,VRDLGU80A01H501Q,VERDI,LUIGI,M,1980-01-01,H501,IT,058091,N,2,N
102,VRDLGU80A01F205T,VERDI,LUIGI,M,1980-01-01,F205,IT,015146,N,2,N
";
    for db in TestDb::all() {
        let label = db.label;
        let store = Store::open(&db.url, 1).unwrap();
        let r = urna_store::subjects::import_csv(&store, file.as_bytes()).unwrap();
        assert_eq!(r.imported, 3, "{label}: {:?}", r.rejected);
        let by_cf = store
            .read(|c| urna_store::subjects::by_codice_fiscale(c, "rssmra80a01h501u"))
            .unwrap();
        assert_eq!(by_cf.len(), 1, "{label}");
        let two = store
            .read(|c| urna_store::subjects::by_names(c, "verdi", " Luigi ", "1980-01-01"))
            .unwrap();
        assert_eq!(two.len(), 2, "{label}: homonyms born the same day");
        let none = store
            .read(|c| urna_store::subjects::by_names(c, "VERDI", "LUIGI", "1980-01-02"))
            .unwrap();
        assert!(none.is_empty(), "{label}");
    }
}
