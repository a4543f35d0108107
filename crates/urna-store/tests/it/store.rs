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

/// ANPR's whole archive of municipalities (`ANPR_archivio_comuni.csv`,
/// published by ANPR under CC BY 4.0) is not committed: point
/// `URNA_COMUNI_ARCHIVE` at a downloaded copy to run this test.
#[test]
fn full_anpr_archive_imports() {
    let Some(path) = std::env::var_os("URNA_COMUNI_ARCHIVE") else {
        eprintln!("note: URNA_COMUNI_ARCHIVE not set, skipped");
        return;
    };
    let path = std::path::PathBuf::from(path);
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("URNA_COMUNI_ARCHIVE={}: {e}", path.display()));
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
                .read(|c| urna_store::electors::referencing(c, "058091", "2"))
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
                        operator: None,
                        auth_mode: "tls",
                        subject_key: None,
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
            request: Some("<r/>".into()),
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
    let mut lite: Vec<Col> = s
        .read(|conn| {
            Ok(diesel::sql_query(
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
            )
            .load::<Col>(conn)?)
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

#[test]
fn subjects_import_validates_codice_fiscale_and_reports_bad_rows() {
    let file = "id_soggetto,codice_fiscale,cognome,nome,sesso,data_nascita,luogo_nascita,cittadinanza,comune_residenza,aire,certificabile_anagrafe,cancellato_anpr
100,RSSMRA80A01H501U,ROSSI,MARIO,M,1980-01-01,H501,IT,058091,N,2,N
101,RSSMRA80A01H501X,ROSSI,MARIO,M,1980-01-01,H501,IT,058091,N,2,N
102,RSSMRA80A01H501U,ROSSI,MARIO,F,1980-01-01,H501,IT,058091,N,2,N
103,RSSMRA80A01H501U,ROSSI,MARIO,M,1980-01-01,H501,XX,058091,N,2,N
abc,RSSMRA80A01H501U,ROSSI,MARIO,M,1980-01-01,H501,IT,058091,N,2,N
104,RSSMRA80A01H501U,ROSSI,MARIO,M,1980-01-01,H501,UE,,S,,S
105,RSSMRA80A01H501U,ROSSI,MARIO,M,1980-01-01,H501,IT,,S2,,N
106,RSSMRA80A01H501U,ROSSI,MARIO,M,1980-01-01,H501,IT,,S5,,N
";
    each_backend(|store, label| {
        let r = urna_store::subjects::import_csv(store, file.as_bytes()).unwrap();
        assert_eq!(r.imported, 3, "{label}: {:?}", r.rejected);
        let lines: Vec<u64> = r.rejected.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [3, 4, 5, 6, 9], "{label}");
        assert!(r.rejected[4].1.contains("S1..S4"), "{:?}", r.rejected);
        let aire = store
            .read(|c| urna_store::subjects::get(c, "105"))
            .unwrap()
            .unwrap()
            .facts();
        assert_eq!(
            (aire.aire, aire.residence),
            (
                urna_domain::elector::Aire::Yes(Some(
                    urna_domain::elector::Ripartizione::AmericaMeridionale
                )),
                None
            )
        );
        assert!(
            r.rejected[0].1.contains("check character"),
            "{:?}",
            r.rejected
        );
        assert!(
            r.rejected[1].1.contains("does not encode"),
            "{:?}",
            r.rejected
        );
        let s = store
            .read(|c| urna_store::subjects::get(c, "104"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (s.aire, s.cancellato_anpr, s.comune_residenza.as_deref()),
            (1, 1, None)
        );
        assert_eq!(
            s.facts().citizenship,
            urna_domain::elector::Citizenship::OtherEu
        );
        assert_eq!(s.facts().aire, urna_domain::elector::Aire::Yes(None));
    });
}

#[test]
fn elector_state_round_trips() {
    use urna_domain::elector::*;
    each_backend(|store, label| {
        let state = ElectorState {
            elettore: Some(true),
            general: Some((
                ListRef {
                    comune: "058091".into(),
                    sezione: "01".into(),
                },
                time::macros::date!(2025 - 01 - 10),
            )),
            comreg: Some((
                ComReg::Bolzano,
                ListRef {
                    comune: "021008".into(),
                    sezione: "3".into(),
                },
            )),
            flags: Some(Flags {
                camera: true,
                circ_camera: Some("LAZIO 1".into()),
                ..Default::default()
            }),
            certificabile: Some(2),
            doppia: Some(Doppia {
                comune: "058091".into(),
                tipo: 1,
                data: time::macros::date!(2025 - 06 - 08),
            }),
            last_decorrenza: Some(time::macros::date!(2025 - 01 - 10)),
            ..Default::default()
        };
        store
            .write(|c| {
                urna_store::electors::put(
                    c,
                    &urna_store::electors::ElectorRow::from_state("7", &state, 1, 1),
                )
            })
            .unwrap();
        assert_eq!(
            store.read(|c| urna_store::electors::get(c, "7")).unwrap(),
            state,
            "{label}"
        );
        assert_eq!(
            store.read(|c| urna_store::electors::get(c, "8")).unwrap(),
            ElectorState::default()
        );
        assert_eq!(
            store
                .read(|c| urna_store::electors::referencing(c, "021008", "3"))
                .unwrap(),
            1
        );
        // Storing again replaces every column: what the new state lacks is
        // cleared, not kept.
        let cancelled = ElectorState {
            elettore: Some(false),
            last_decorrenza: Some(time::macros::date!(2025 - 09 - 01)),
            ..Default::default()
        };
        store
            .write(|c| {
                urna_store::electors::put(
                    c,
                    &urna_store::electors::ElectorRow::from_state("7", &cancelled, 2, 2),
                )
            })
            .unwrap();
        assert_eq!(
            store.read(|c| urna_store::electors::get(c, "7")).unwrap(),
            cancelled,
            "{label}"
        );
        assert_eq!(
            store
                .read(|c| urna_store::electors::referencing(c, "021008", "3"))
                .unwrap(),
            0
        );
    });
}
