//! Retention: the remembered requests and replies are deleted once past
//! their window and not before, the operation records stay, left-over
//! upload files go after theirs, and each kind's deletions are one audit
//! entry; on every backend.

use urna_service::retention::RetentionSettings;
use urna_service::{Caller, Settled};
use urna_store::testing::TestDb;
use urna_store::Store;
use urna_wire::build::{self, Testata};

use crate::common;

const DAY: i64 = 86_400_000;

/// A section of the demo Roma numbered `n`.
fn section(n: String) -> urna_wire::Element {
    let mut s = urna_service::demo::section_tree(&urna_service::demo::DEMO_COMUNI[0], 1);
    if let Some(c) = s
        .children
        .iter_mut()
        .find(|c| c.name == "sezioneelettoralenum")
    {
        c.text = n;
    }
    s
}

fn audited(store: &Store, operation: &str) -> Vec<String> {
    common::audited(store, operation)
        .into_iter()
        .map(|r| r.outcome)
        .collect()
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .read(urna_store::backup::counts)
        .unwrap()
        .get(table)
        .copied()
        .unwrap()
}

#[test]
fn remembered_replies_and_left_over_uploads_go_after_their_window_audited() {
    for db in TestDb::all() {
        let store = common::demo_store(&db);
        let services = common::services(store.clone());
        let caller = Caller {
            station: "058091-PC-0001".parse().unwrap(),
        };
        for i in 0..3 {
            let xml = build::richiesta5011(
                &Testata::new(&format!("RT{i}"), "058091", "5011", "2025-01-10T08:59:00Z"),
                &section((900 + i).to_string()),
            );
            let checked = urna_security::gate::check(xml.as_bytes(), 5000).unwrap();
            let h = services
                .handle(checked.operation, &checked.payload, &caller, "corr-rt")
                .unwrap();
            assert_eq!(h.settled, Settled::Ok, "{}", h.body);
        }
        let remembered = count(&store, "idempotency");
        let operations = count(&store, "operations");
        assert!(remembered >= 3, "{}", db.label);

        // Upload files written some hours before the sweep at day 179.
        let uploads = tempfile::tempdir().unwrap();
        let day_179 = std::time::SystemTime::UNIX_EPOCH
            + std::time::Duration::from_secs(
                (time::macros::datetime!(2025-01-10 09:00 UTC) + time::Duration::days(179))
                    .unix_timestamp() as u64,
            );
        let file = |name: &str, age_hours: u64| {
            let path = uploads.path().join(name);
            let f = std::fs::File::create(&path).unwrap();
            f.set_modified(day_179 - std::time::Duration::from_secs(age_hours * 3600))
                .unwrap();
            path
        };
        let old = file("058091-liste-1.upload", 30);
        let fresh = file("058091-liste-2.upload", 1);
        let other = file("notes.txt", 100);
        let settings = RetentionSettings {
            idempotency_ms: Some(180 * DAY),
            upload_dir: uploads.path().to_path_buf(),
            uploads_ms: Some(24 * 3_600_000),
        };
        let at = |days: i64| {
            common::services(store.clone()).with_clock(move || {
                time::macros::datetime!(2025-01-10 09:00 UTC) + time::Duration::days(days)
            })
        };

        // Within the window nothing is deleted; the old upload goes.
        let swept = at(179).sweep_retention(&settings).unwrap();
        assert_eq!((swept.idempotency, swept.uploads), (0, 1), "{}", db.label);
        assert!(!old.exists() && fresh.exists() && other.exists());
        assert_eq!(count(&store, "idempotency"), remembered);
        assert!(audited(&store, "retention-idempotency").is_empty());
        assert_eq!(audited(&store, "retention-uploads"), ["DELETED 1"]);

        // Past it, every remembered reply goes, in one audited deletion; the
        // operations stay.
        let swept = at(181).sweep_retention(&settings).unwrap();
        assert_eq!(swept.idempotency as i64, remembered, "{}", db.label);
        assert_eq!(count(&store, "idempotency"), 0);
        assert_eq!(count(&store, "operations"), operations);
        assert_eq!(
            audited(&store, "retention-idempotency"),
            [format!("DELETED {remembered}")]
        );
        // Nothing left: no entry.
        let swept = at(182).sweep_retention(&settings).unwrap();
        assert_eq!(swept.idempotency, 0);
        assert_eq!(audited(&store, "retention-idempotency").len(), 1);

        // Retention off keeps everything.
        let keep = RetentionSettings {
            idempotency_ms: None,
            uploads_ms: None,
            ..settings
        };
        let _ = file("058091-liste-3.upload", 1000);
        assert_eq!(at(5000).sweep_retention(&keep).unwrap().uploads, 0);
    }
}
