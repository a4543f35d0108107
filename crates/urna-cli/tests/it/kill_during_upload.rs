//! A takeover upload whose process is killed (SIGKILL) in the middle of the
//! file, then started again: nothing acknowledged is lost, no record is
//! half-applied or applied twice. Runs the real `urna` binary on both
//! backends.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use urna_service::generate::{self, Spec};
use urna_service::subentro::{self, FileKind, CHUNK};
use urna_store::testing::TestDb;
use urna_store::{comuni, constituencies, electors, subjects, Store};

const ELECTORS: u64 = 40_000;

fn ciampino() -> comuni::ComuneRow {
    comuni::ComuneRow {
        id: 11169,
        istat: "058118".into(),
        cod_catastale: "M272".into(),
        nome: "CIAMPINO".into(),
        altro_nome: None,
        sigla: "RM".into(),
        valid_from: "1974-10-01".into(),
        valid_to: "9999-12-31".into(),
        stato: "A".into(),
    }
}

fn upload_command(db: &TestDb, liste: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_urna"));
    cmd.args([
        "subentro",
        "upload",
        "--comune",
        "058118",
        "--chunks-per-commit",
        "2",
        "--liste",
    ])
    .arg(liste)
    .env("URNA_DATABASE_URL", &db.url)
    .current_dir(std::env::temp_dir())
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    cmd
}

fn job(store: &Store) -> Option<urna_store::subentro::Job> {
    store
        .read(|c| urna_store::subentro::jobs(c, "058118", "liste"))
        .unwrap()
        .into_iter()
        .next()
}

#[test]
fn a_killed_upload_resumes_where_it_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        istat: "058118".into(),
        nome: "CIAMPINO".into(),
        sigla: "RM".into(),
        catastale: "M272".into(),
        electors: ELECTORS,
        seed: 11,
        gzip: true,
    };
    let files = generate::generate(&spec, dir.path()).unwrap();
    let expected = generate::expected_records(&spec);
    for db in TestDb::all() {
        let store = Store::open(&db.url, 2).unwrap();
        store.write(|c| comuni::upsert(c, &[ciampino()])).unwrap();
        subjects::import_csv(&store, std::fs::File::open(&files.subjects).unwrap()).unwrap();
        constituencies::import_file(&store, std::fs::File::open(&files.constituencies).unwrap())
            .unwrap();
        subentro::upload(
            &store,
            "058118",
            FileKind::Sezioni,
            &files.sezioni,
            &mut |_| {},
        )
        .unwrap();

        // Kill the process once it has acknowledged at least two chunks.
        let mut child = upload_command(&db, &files.liste).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if job(&store).is_some_and(|j| j.records_done as usize >= 2 * CHUNK) {
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "{}: the upload ended before it could be killed",
                db.label
            );
            assert!(Instant::now() < deadline, "{}: no progress", db.label);
            std::thread::sleep(Duration::from_millis(10));
        }
        child.kill().unwrap();
        child.wait().unwrap();

        // What the killed run acknowledged is exactly what is stored (the
        // database holds no other electors).
        let killed = job(&store).unwrap();
        assert_eq!(
            killed.state(),
            urna_store::subentro::JobState::Running,
            "{}",
            db.label
        );
        let done = killed.records_done as u64;
        assert!(done < expected, "{}: {done} of {expected}", db.label);
        assert_eq!(
            done % (2 * CHUNK) as u64,
            0,
            "{}: whole commits only",
            db.label
        );
        let stored = store.read(electors::count).unwrap();
        assert_eq!(stored, i64::from(killed.loaded), "{}", db.label);
        let anomalies = store
            .read(|c| urna_store::subentro::anomalies(c, killed.id))
            .unwrap();
        assert_eq!(anomalies.len() as i32, killed.anomalies, "{}", db.label);

        // Started again with the same file, it resumes after the last
        // acknowledged chunk and finishes the same job.
        let out = upload_command(&db, &files.liste).output().unwrap();
        assert!(out.status.success(), "{}: {:?}", db.label, out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("({done} resumed)")),
            "{}: {stdout}",
            db.label
        );
        let finished = job(&store).unwrap();
        assert_eq!(
            (finished.id, finished.state().as_str()),
            (killed.id, "done"),
            "{}",
            db.label
        );
        assert_eq!(finished.records_done as u64, expected, "{}", db.label);
        // Every record applied once: a re-applied record would be an EN556
        // anomaly (first load by the same comune twice).
        let anomalies = store
            .read(|c| urna_store::subentro::anomalies(c, finished.id))
            .unwrap();
        assert!(
            anomalies.iter().all(|a| a.code != "EN556"),
            "{}: {:?}",
            db.label,
            anomalies.iter().find(|a| a.code == "EN556")
        );
        let stored = store.read(electors::count).unwrap();
        assert_eq!(stored, i64::from(finished.loaded), "{}", db.label);
    }
}
