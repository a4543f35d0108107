//! The electoral export on both backends: what a takeover loaded comes out
//! in the takeover formats, schema-valid; it loads into an empty store and
//! exports again byte for byte; cancelled electors stay out of the lists
//! and in the CSV.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use urna_domain::elector::Cancellation;
use urna_service::export::{self, ExportError, Flavour};
use urna_service::generate::{self, Spec};
use urna_service::subentro::{self, FileKind};
use urna_store::testing::TestDb;
use urna_store::{electors, Store};

const ISTAT: &str = "058118";

fn spec() -> Spec {
    common::ciampino_spec(2500, 11)
}

/// A store of `db`'s backend with the demo world and the generated
/// registry and constituencies, no electoral data.
fn empty_store(db: &TestDb, files: &generate::Files) -> Arc<Store> {
    let store = common::demo_store(db);
    common::import_generated(&store, files);
    store
}

fn load(store: &Store, sezioni: &Path, liste: &Path) {
    subentro::upload(store, ISTAT, FileKind::Sezioni, sezioni, &mut |_| {}).unwrap();
    let r = subentro::upload(store, ISTAT, FileKind::Liste, liste, &mut |_| {}).unwrap();
    assert_eq!(r.anomalies, 0, "{r:?}");
}

/// The flavour's bytes, uncompressed.
fn exported(store: &Store, flavour: Flavour) -> (Vec<u8>, export::Counts) {
    let mut out = Vec::new();
    let mut last = (0, 0);
    let counts = export::export(store, ISTAT, flavour, &mut out, &mut |done, total| {
        assert!(
            done <= total && done >= last.0,
            "{done}/{total} after {last:?}"
        );
        last = (done, total);
    })
    .unwrap();
    assert_eq!(last.0, last.1, "progress ends at the total");
    (out, counts)
}

fn gzip_to(path: &Path, bytes: &[u8]) {
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap();
}

#[test]
fn an_export_loads_into_an_empty_store_and_exports_again_byte_identical() {
    for db in TestDb::all() {
        let dir = tempfile::tempdir().unwrap();
        let files = generate::generate(&spec(), dir.path()).unwrap();
        let store = empty_store(&db, &files);
        load(&store, &files.sezioni, &files.liste);
        // One elector cancelled since (death): out of the lists, in the CSV.
        let victim = spec().subject_id(generate::plain_elector_index(3));
        let mut state = store.read(|c| electors::get(c, &victim)).unwrap();
        state.general = None;
        state.cancelled = Some(Cancellation {
            comune: ISTAT.into(),
            motivo: 3,
            data: time::macros::date!(2025 - 01 - 09),
        });
        let row = electors::ElectorRow::from_state(&victim, &state, 99, 1);
        store.write(|c| electors::put(c, &row)).unwrap();

        let (sezioni, s) = exported(&store, Flavour::Sezioni);
        let (liste, l) = exported(&store, Flavour::Liste);
        assert_eq!(s.records, files.sections, "{}", db.label);
        assert_eq!(
            l.records,
            generate::expected_records(&spec()) - 1,
            "{}",
            db.label
        );
        assert_eq!(l.cancelled, 1, "{}", db.label);
        urna_security::gate::validate_document(&sezioni, "subentroSezioni.xsd").unwrap();
        urna_security::gate::validate_document(&liste, "subentroListe.xsd").unwrap();
        let text = String::from_utf8(liste.clone()).unwrap();
        assert!(!text.contains(&victim), "{}", db.label);
        assert!(
            text.contains(&format!(
                "<numeroTotaleListe>{}</numeroTotaleListe>",
                l.records
            )),
            "{}",
            db.label
        );
        // EU citizens and non-electors come out too.
        assert!(text.contains("<listaAggiuntaUEParlamento>"), "{}", db.label);
        assert!(text.contains("<elettore>N</elettore>"), "{}", db.label);

        // Into an empty store of the same backend, and out again.
        let fresh_db = match db.label {
            "sqlite" => TestDb::sqlite(),
            _ => TestDb::postgres().unwrap(),
        };
        let fresh = empty_store(&fresh_db, &files);
        let (sz, lz) = (dir.path().join("s.xml.gz"), dir.path().join("l.xml.gz"));
        gzip_to(&sz, &sezioni);
        gzip_to(&lz, &liste);
        load(&fresh, &sz, &lz);
        assert_eq!(
            exported(&fresh, Flavour::Sezioni).0,
            sezioni,
            "{}",
            db.label
        );
        assert_eq!(exported(&fresh, Flavour::Liste).0, liste, "{}", db.label);

        // The CSV: every elector, the cancelled one with its motive.
        let (csv, c) = exported(&store, Flavour::Csv);
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(c.records, l.records + 1, "{}", db.label);
        assert_eq!(c.cancelled, 1, "{}", db.label);
        assert_eq!(csv.lines().count() as u64, c.records + 1, "{}", db.label);
        assert!(
            csv.starts_with("id_soggetto,codice_fiscale,"),
            "{}",
            db.label
        );
        let line = csv.lines().find(|l| l.starts_with(&victim)).unwrap();
        assert!(line.ends_with(",3,2025-01-09"), "{line}");
    }
}

#[test]
fn an_unknown_or_empty_comune_is_refused_with_its_reason() {
    for db in TestDb::all() {
        let store = common::demo_store(&db);
        let mut out = Vec::new();
        match export::export(&store, "999999", Flavour::Liste, &mut out, &mut |_, _| {}) {
            Err(ExportError::UnknownComune(c)) => assert_eq!(c, "999999"),
            other => panic!("{}: {other:?}", db.label),
        }
        // CIAMPINO exists but has loaded nothing.
        for flavour in [Flavour::Sezioni, Flavour::Liste] {
            match export::export(&store, ISTAT, flavour, &mut out, &mut |_, _| {}) {
                Err(e @ ExportError::Empty { .. }) => {
                    assert!(e.to_string().contains(ISTAT), "{e}")
                }
                other => panic!("{}: {other:?}", db.label),
            }
        }
    }
}
