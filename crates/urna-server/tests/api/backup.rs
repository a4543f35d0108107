//! The restore drill, on both backends: a server takes signed requests, a
//! backup is taken in the middle of the stream, the store is given up, the
//! backup is restored into an empty one and checked (manifest, counts,
//! chain against the signed heads), and a server on the restored store
//! takes signed requests again. Tampered backups and non-empty targets are
//! refused.

use urna_server::backup;
use urna_server::Settings;
use urna_store::testing::TestDb;
use urna_testkit::{spawn_app_on, spawn_app_with, P5000};

use crate::helpers::{create, send_creates};

fn settings_of(url: &str, pki: &std::path::Path, heads: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.database.url = url.to_string();
    s.tls.pki_dir = pki.to_path_buf();
    s.audit.heads_file = heads.to_path_buf();
    s
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_verified_and_serves_again() {
    for db in TestDb::all() {
        let label = db.label;
        let app = spawn_app_on(db).await;
        let roma = app.client_for("058091");
        for r in send_creates(&app, &roma, "BK", 0..8, 800).await {
            assert!(r.is_ok(), "{label}: {}", r.body);
        }
        let work = tempfile::tempdir().unwrap();
        let to = work.path().join("backup");
        let settings = settings_of(&app.db.url, &app.pki.root, &app.heads_file);
        let taken = {
            let (settings, to) = (settings.clone(), to.clone());
            tokio::task::spawn_blocking(move || {
                let store = urna_store::Store::open(&settings.database.url, 2).unwrap();
                backup::backup(&settings, &store, &to)
            })
        };
        // The stream goes on while the copy is taken.
        for r in send_creates(&app, &roma, "BK", 8..16, 800).await {
            assert!(r.is_ok(), "{label}: {}", r.body);
        }
        let m = taken.await.unwrap().unwrap();
        assert_eq!(m.backend, label);
        assert!(m.counts["operations"] >= 8, "{label}: {m:?}");
        assert_eq!(m.chain.seq, m.counts["audit_log"], "{label}: {m:?}");
        // A second backup never overwrites the first.
        let store = urna_store::Store::open(&app.db.url, 1).unwrap();
        let again = backup::backup(&settings, &store, &to).unwrap_err();
        assert!(again.to_string().contains("not empty"), "{again}");
        drop(store);
        app.stop().await;

        // The store is given up; the backup goes into an empty one.
        let target = app.db.empty_like();
        let heads = work.path().join("restored-heads.jsonl");
        let restored_settings = settings_of(&target.url, &app.pki.root, &heads);
        let (restored, v) = backup::restore(&restored_settings, &to).unwrap();
        assert_eq!(restored, m);
        assert_eq!(v.entries, m.chain.seq, "{label}");
        assert!(v.heads >= 1, "{label}: the heads came with it");
        // Not twice into the same store.
        let twice = backup::restore(&restored_settings, &to).unwrap_err();
        assert!(twice.to_string().contains("exists"), "{label}: {twice}");

        // A backup with a changed byte is refused before anything is touched.
        let tampered = work.path().join("tampered");
        std::fs::create_dir(&tampered).unwrap();
        for f in std::fs::read_dir(&to).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), tampered.join(f.file_name())).unwrap();
        }
        let copy = &m.files[0].name;
        let mut bytes = std::fs::read(tampered.join(copy)).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(tampered.join(copy), bytes).unwrap();
        let other = app.db.empty_like();
        let refused = backup::restore(
            &settings_of(&other.url, &app.pki.root, &work.path().join("h2.jsonl")),
            &tampered,
        )
        .unwrap_err();
        assert!(
            refused.to_string().contains("does not match the manifest"),
            "{label}: {refused}"
        );

        // A server on the restored store takes signed requests again, and
        // its audit log still verifies.
        let pki = app.pki.root.clone();
        let restored_app = spawn_app_with(target, |s| {
            s.tls.pki_dir = pki;
            s.demo.load = false;
            s.audit.heads_file = heads.clone();
        })
        .await;
        let roma = restored_app.client_for("058091");
        let r = restored_app
            .post_with(&roma, P5000, create("BKAFTER", "900"))
            .await;
        assert!(r.is_ok(), "{label}: {}", r.body);
        restored_app.stop().await;
        let store = urna_store::Store::open(&restored_app.db.url, 1).unwrap();
        let trusted =
            urna_server::audit_heads::Trusted::from_settings(&restored_settings, None).unwrap();
        let v = urna_server::audit_heads::verify(
            &store,
            &trusted.inputs(&restored_settings.audit, &heads, None),
        )
        .unwrap();
        assert!(v.problems.is_empty(), "{label}: {:?}", v.problems);
        assert!(v.entries > m.chain.seq, "{label}");
    }
}
