//! Store behaviour on every available backend (SQLite always, PostgreSQL when
//! it answers; CI requires it).

use urna_domain::section::{ConstituencyKind, ConstituencyTable};
use urna_store::testing::TestDb;
use urna_store::{comuni, constituencies, operations, sections, Store, StoreError};

fn each_backend(f: impl Fn(&Store, &str)) {
    for db in TestDb::all() {
        let store = Store::open(&db.url, 2).unwrap();
        f(&store, db.label);
    }
}

const ARCHIVE: &str = "\u{feff}\"ID\",\"DATAISTITUZIONE\",\"DATACESSAZIONE\",\"CODISTAT\",\"CODCATASTALE\",\"DENOMINAZIONE_IT\",\"DENOMTRASLITTERATA\",\"ALTRADENOMINAZIONE\",\"ALTRADENOMTRASLITTERATA\",\"ID_PROVINCIA\",\"IDPROVINCIAISTAT\",\"IDREGIONE\",\"IDPREFETTURA\",\"STATO\",\"SIGLAPROVINCIA\",\"FONTE\",\"DATAULTIMOAGG\",\"COD_DENOM\"
12560,\"1866-11-19\",\"1924-11-13\",\"028001\",\"A001\",\"ABANO\",\"ABANO\",\"\",\"\",28,\"028\",\"05\",\"\",\"C\",\"PD\",\"\",\"2016-06-17\",\"028500\"
1,\"1924-11-14\",\"9999-12-31\",\"028001\",\"A001\",\"ABANO TERME\",\"ABANO TERME\",\"\",\"\",28,\"028\",\"05\",\"PD\",\"A\",\"PD\",\"\",\"2016-06-17\",\"\"
2,\"1924-11-14\",\"9999-12-31\",\"02800X\",\"A001\",\"BAD\",\"BAD\",\"\",\"\",28,\"028\",\"05\",\"PD\",\"A\",\"PD\",\"\",\"2016-06-17\",\"\"
3,\"1924-11-14\",\"9999-12-31\",\"021008\",\"A952\",\"BOLZANO\",\"BOLZANO\",\"BOZEN\",\"BOZEN\",21,\"021\",\"04\",\"BZ\",\"A\",\"BZ\",\"\",\"2016-06-17\",\"\"
";

#[test]
fn archive_import_keeps_history_and_reports_bad_rows() {
    each_backend(|store, label| {
        let r = comuni::import_archive(store, ARCHIVE.as_bytes()).unwrap();
        assert_eq!(r.imported, 3, "{label}");
        assert_eq!(r.active, 2, "{label}");
        assert_eq!(r.rejected.len(), 1, "{label}");
        assert_eq!(r.rejected[0].0, 4, "{label}: line of the bad row");
        let abano = store
            .read(|c| comuni::active(c, "028001", "2025-01-10"))
            .unwrap()
            .unwrap();
        assert_eq!(abano.nome, "ABANO TERME", "{label}");
        let old = store
            .read(|c| comuni::active(c, "028001", "1900-01-01"))
            .unwrap();
        assert!(old.is_none(), "{label}: ABANO (1866-1924) is ceased");
        let bz = store
            .read(|c| comuni::active(c, "021008", "2025-01-10"))
            .unwrap()
            .unwrap();
        assert_eq!(bz.altro_nome.as_deref(), Some("BOZEN"));
        // Importing again updates in place.
        let r = comuni::import_archive(store, ARCHIVE.as_bytes()).unwrap();
        assert_eq!(r.imported, 3);
    });
}

#[test]
fn full_anpr_archive_imports() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/ANPR_archivio_comuni.csv"
    );
    let Ok(file) = std::fs::File::open(path) else {
        eprintln!("note: {path} not present, skipped");
        return;
    };
    let db = TestDb::sqlite();
    let store = Store::open(&db.url, 1).unwrap();
    let r = comuni::import_archive(&store, file).unwrap();
    assert!(r.imported > 19_000, "{r:?}");
    assert!(
        r.rejected.is_empty(),
        "{:?}",
        &r.rejected[..r.rejected.len().min(5)]
    );
    let roma = store
        .read(|c| comuni::active(c, "058091", "2025-01-10"))
        .unwrap()
        .unwrap();
    assert_eq!((roma.nome.as_str(), roma.sigla.as_str()), ("ROMA", "RM"));
}

#[test]
fn constituency_files_are_validated_and_scoped() {
    let good = "tipo,codice_istat,valore\ncamera,058091,LAZIO 1 - U01\nue,*,ITALIA CENTRALE\n";
    each_backend(|store, label| {
        assert_eq!(
            constituencies::import_file(store, good.as_bytes()).unwrap(),
            2,
            "{label}"
        );
        // Re-import is idempotent.
        assert_eq!(
            constituencies::import_file(store, good.as_bytes()).unwrap(),
            0,
            "{label}"
        );
        let t = store
            .read(|c| constituencies::for_comune(c, "058091"))
            .unwrap();
        assert!(t.contains(ConstituencyKind::Camera, "LAZIO 1 - U01"));
        assert!(
            !t.contains(ConstituencyKind::Camera, "lazio 1 - u01"),
            "case-sensitive"
        );
        assert!(t.contains(ConstituencyKind::ParlamentoUe, "ITALIA CENTRALE"));
        let other = store
            .read(|c| constituencies::for_comune(c, "015146"))
            .unwrap();
        assert!(!other.contains(ConstituencyKind::Camera, "LAZIO 1 - U01"));
        assert!(other.contains(ConstituencyKind::ParlamentoUe, "ITALIA CENTRALE"));
    });
    for (bad, needle) in [
        ("kind,istat,value\n", "header"),
        ("tipo,codice_istat,valore\nsenate,058091,X\n", "line 2"),
        ("tipo,codice_istat,valore\ncamera,58091,X\n", "6 digits"),
        ("tipo,codice_istat,valore\ncamera,058091,\n", "1..200"),
    ] {
        let e = constituencies::parse_file(bad.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{e}");
    }
}

fn row(numero: &str, denom: &str) -> sections::SectionRow {
    sections::SectionRow {
        comune_istat: "058091".into(),
        numero: numero.into(),
        denominazione: denom.into(),
        payload: "{}".into(),
        updated_at: 1,
        last_operation: 1,
    }
}

#[test]
fn sections_are_keyed_by_exact_number() {
    each_backend(|store, label| {
        store
            .write(|c| {
                sections::upsert(c, &row("1", "A"))?;
                sections::upsert(c, &row("01", "B"))?; // "01" is another section
                sections::upsert(c, &row("1", "C"))?;
                sections::upsert(c, &row("10", "D"))?;
                sections::upsert(c, &row("2", "E"))?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let all = store.read(|c| sections::list(c, "058091")).unwrap();
        let nums: Vec<_> = all.iter().map(|r| r.numero.as_str()).collect();
        assert_eq!(nums, ["01", "1", "2", "10"], "{label}");
        assert_eq!(all[1].denominazione, "C");
        store
            .write(|c| sections::place_elector(c, "123", "058091", "2"))
            .unwrap();
        assert_eq!(
            store
                .read(|c| sections::referencing_electors(c, "058091", "2"))
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .write(|c| sections::delete(c, "058091", "10"))
                .unwrap(),
            1
        );
        assert_eq!(store.read(|c| sections::count(c, "058091")).unwrap(), 3);
    });
}

#[test]
fn a_failed_transaction_leaves_nothing() {
    each_backend(|store, label| {
        let r: Result<(), StoreError> = store.write(|c| {
            sections::upsert(c, &row("1", "A"))?;
            Err(StoreError::Data("boom".into()))
        });
        assert!(r.is_err());
        assert_eq!(
            store.read(|c| sections::count(c, "058091")).unwrap(),
            0,
            "{label}"
        );
    });
}

#[test]
fn idempotency_rows_are_unique_per_comune_and_id() {
    each_backend(|store, label| {
        let id = store
            .write(|c| {
                operations::insert(
                    c,
                    &operations::NewOperation {
                        comune_istat: "058091",
                        id_operazione_comune: "A1",
                        operation: "5011",
                        station_cn: "058091-PC-0001",
                        correlation_id: "x",
                        received_at: 1,
                        outcome: "OK",
                        codes: "",
                        request_digest: "d",
                    },
                )
            })
            .unwrap();
        assert!(id >= 1);
        let rem = operations::Remembered {
            comune_istat: "058091".into(),
            id_operazione_comune: "A1".into(),
            operation: "5011".into(),
            request_digest: "d".into(),
            operation_id: id,
            response: "<x/>".into(),
        };
        store.write(|c| operations::remember(c, &rem)).unwrap();
        let e = store.write(|c| operations::remember(c, &rem)).unwrap_err();
        assert!(e.is_unique_violation(), "{label}: {e}");
        let got = store
            .read(|c| operations::remembered(c, "058091", "A1"))
            .unwrap()
            .unwrap();
        assert_eq!(got, rem);
        assert!(store
            .read(|c| operations::remembered(c, "015146", "A1"))
            .unwrap()
            .is_none());
        let op = store.read(|c| operations::get(c, id)).unwrap().unwrap();
        assert_eq!(op.station_cn, "058091-PC-0001");
    });
}

#[test]
fn both_backends_have_the_same_logical_schema() {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    #[derive(QueryableByName, PartialEq, Eq, PartialOrd, Ord, Debug)]
    struct Col {
        #[diesel(sql_type = Text)]
        t: String,
        #[diesel(sql_type = Text)]
        c: String,
    }
    let Some(pg) = TestDb::postgres() else { return };
    let sqlite = TestDb::sqlite();
    let s = Store::open(&sqlite.url, 1).unwrap();
    let p = Store::open(&pg.url, 1).unwrap();
    let tables = [
        "comuni",
        "constituencies",
        "sections",
        "electors",
        "operations",
        "idempotency",
    ];
    let mut lite: Vec<Col> = s
        .read(|conn| {
            let mut v = Vec::new();
            for t in tables {
                let q = format!("SELECT '{t}' AS t, name AS c FROM pragma_table_info('{t}')");
                v.extend(diesel::sql_query(q).load::<Col>(conn)?);
            }
            Ok(v)
        })
        .unwrap();
    let mut post: Vec<Col> = p
        .read(|conn| {
            Ok(diesel::sql_query(
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
            )
            .load::<Col>(conn)?)
        })
        .unwrap();
    lite.sort();
    post.sort();
    assert_eq!(lite, post);
    assert!(lite.len() > 30);
}
