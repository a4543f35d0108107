//! `urna certificates`: which certificates a subject can obtain.

use urna_store::testing::TestDb;

use crate::common;

#[test]
fn eligibility_of_demo_subjects() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let urna = |args: &[&str]| common::urna(&db, dir.path(), args, &[]);
    let (ok, out) = urna(&["demo", "load"]);
    assert!(ok, "{out}");
    let roma = &urna_service::demo::DEMO_COMUNI[0];
    let elector = urna_service::demo::subject_row(roma, 0).codice_fiscale;
    let (ok, out) = urna(&["certificates", "eligibility", &elector]);
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "21\tyes\t\n22\tyes".trim(), "{out}");
    let not_elector = urna_service::demo::subject_row(roma, 9).codice_fiscale;
    let (ok, out) = urna(&["certificates", "eligibility", &not_elector]);
    assert!(ok, "{out}");
    assert!(out.lines().all(|l| l.contains("\tno\tEN047 ")), "{out}");
    let (ok, out) = urna(&["certificates", "sweep"]);
    assert!(ok && out.trim() == "0", "{out}");
}

#[test]
fn who_holds_a_subject() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let urna = |args: &[&str]| common::urna(&db, dir.path(), args, &[]);
    assert!(urna(&["demo", "load"]).0);
    let roma = &urna_service::demo::DEMO_COMUNI[0];
    let cf = urna_service::demo::subject_row(roma, 0).codice_fiscale;
    let (ok, out) = urna(&["subjects", "lists", &cf]);
    assert!(ok, "{out}");
    assert!(
        out.contains("generale\t058091 ROMA (RM)\tsezione 1\tdal 2024-01-01"),
        "{out}"
    );
    assert!(out.contains("certificabilita\t2\t058091"), "{out}");
    let (ok, out) = urna(&["subjects", "lists", "RSSMRA80A01H501U"]);
    assert!(!ok && out.contains("no single subject"), "{out}");
}

#[test]
fn summaries_as_a_table_and_csv() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let urna = |args: &[&str]| common::urna(&db, dir.path(), args, &[]);
    assert!(urna(&["demo", "load"]).0);
    let (ok, out) = urna(&["summaries", "058091"]);
    assert!(ok, "{out}");
    assert!(out.lines().next().unwrap().starts_with("sezione"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("totale") && l.contains("generale")),
        "{out}"
    );
    let (ok, out) = urna(&["summaries", "058091", "--section", "1", "--csv"]);
    assert!(
        ok && out.starts_with("sezione,lista,M,F,totale\n1,generale,"),
        "{out}"
    );
}
