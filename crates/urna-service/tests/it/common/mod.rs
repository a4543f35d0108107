//! Shared by the service test binaries.
#![allow(dead_code)]

use std::sync::Arc;

use urna_store::testing::TestDb;
use urna_store::{comuni, Store};

/// CIAMPINO (RM): an active comune that the demo world leaves empty.
pub fn ciampino() -> comuni::ComuneRow {
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

/// Services over [`demo_store`] with the clock fixed at 2025-01-10 09:00 UTC.
pub fn services(store: Arc<Store>) -> urna_service::Services {
    urna_service::Services::new(store, urna_domain::header::HeaderPolicy::default())
        .with_clock(|| time::macros::datetime!(2025-01-10 09:00 UTC))
}

/// A migrated store on `db` with the demo world and CIAMPINO loaded.
pub fn demo_store(db: &TestDb) -> Arc<Store> {
    let store = Arc::new(Store::open(&db.url, 2).unwrap());
    urna_service::demo::load(&store).unwrap();
    store.write(|c| comuni::upsert(c, &[ciampino()])).unwrap();
    store
}

/// Asserts the snapshot of a reply body, one tag per line. Only the
/// idOperazioneANPR is redacted: it depends on what the store handed out
/// before; the clock is fixed and everything else is the wire, the same on
/// every backend.
pub fn assert_reply(name: &str, body: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"<idOperazioneANPR>\d+<", "<idOperazioneANPR>[id]<");
    settings.add_filter(r"idOperazioneANPR \d+", "idOperazioneANPR [id]");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("../snapshots");
    let lines = body.replace("><", ">\n<");
    settings.bind(|| insta::assert_snapshot!(name, lines));
}

/// The text of the first `<tag>` of a reply body.
pub fn text<'a>(body: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let at = body
        .find(&open)
        .unwrap_or_else(|| panic!("no {tag} in {body}"))
        + open.len();
    &body[at..at + body[at..].find('<').unwrap()]
}

/// A generated CIAMPINO (058118) of `electors` electors from `seed`, gzip.
pub fn ciampino_spec(electors: u64, seed: u64) -> urna_service::generate::Spec {
    urna_service::generate::Spec {
        istat: "058118".into(),
        nome: "CIAMPINO".into(),
        sigla: "RM".into(),
        catastale: "M272".into(),
        electors,
        seed,
        gzip: true,
    }
}

/// Imports the registry and constituencies of generated `files` into `store`.
pub fn import_generated(store: &Store, files: &urna_service::generate::Files) {
    let r = urna_store::subjects::import_csv(store, std::fs::File::open(&files.subjects).unwrap())
        .unwrap();
    assert!(
        r.rejected.is_empty(),
        "{:?}",
        &r.rejected[..r.rejected.len().min(3)]
    );
    urna_store::constituencies::import_file(
        store,
        std::fs::File::open(&files.constituencies).unwrap(),
    )
    .unwrap();
}

/// The audit entries of `operation`, oldest first (at most 100).
pub fn audited(store: &Store, operation: &str) -> Vec<urna_store::audit::Row> {
    store
        .read(|c| {
            urna_store::audit::list(
                c,
                &urna_store::audit::Filter {
                    operation: Some(operation.into()),
                    limit: 100,
                    ..Default::default()
                },
            )
        })
        .unwrap()
}
