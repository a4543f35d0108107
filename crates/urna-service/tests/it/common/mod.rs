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
