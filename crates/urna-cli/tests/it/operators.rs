//! `urna operators`: register, list and remove a comune's operators.

use urna_store::testing::TestDb;

use crate::common;

fn urna(db: &TestDb, args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    common::urna(db, dir.path(), args, &[])
}

#[test]
fn add_list_and_remove_operators() {
    let db = TestDb::sqlite();
    let (ok, out) = urna(
        &db,
        &[
            "operators",
            "add",
            "058091",
            "VRDGPP75C15H501P",
            "--profile",
            "anagrafe",
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = urna(
        &db,
        &[
            "operators",
            "add",
            "058091",
            "VRDGPP75C15H501P",
            "--profile",
            "anagrafe,elettorale",
        ],
    );
    assert!(ok && out.contains("elettorale,anagrafe"), "{out}");
    let (ok, out) = urna(&db, &["operators", "list", "058091"]);
    assert!(
        ok && out.trim() == "058091 VRDGPP75C15H501P elettorale,anagrafe",
        "{out}"
    );
    let (ok, out) = urna(
        &db,
        &[
            "operators",
            "add",
            "058091",
            "VRDGPP75C15H501P",
            "--profile",
            "sindaco",
        ],
    );
    assert!(!ok && out.contains("unknown profile"), "{out}");
    let (ok, out) = urna(
        &db,
        &[
            "operators",
            "add",
            "058091",
            "VRDGPP75C15H501X",
            "--profile",
            "anagrafe",
        ],
    );
    assert!(!ok, "a codice fiscale with a wrong check character: {out}");
    let (ok, out) = urna(&db, &["operators", "remove", "058091", "VRDGPP75C15H501P"]);
    assert!(ok, "{out}");
    let (ok, out) = urna(&db, &["operators", "remove", "058091", "VRDGPP75C15H501P"]);
    assert!(!ok && out.contains("no operator"), "{out}");
}
