//! The server-side floor: the pipeline without HTTP and TLS, on one thread.

use std::sync::Arc;
use std::time::Instant;

use urna_domain::header::HeaderPolicy;
use urna_service::{Caller, Services};
use urna_store::Store;

/// Runs pre-scan, gate and service for `bodies` on a fresh SQLite database and
/// prints the time per request of each stage.
pub fn run(bodies: &[String], family: u16) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(Store::open(
        &format!("sqlite://{}/urna.db", dir.path().display()),
        2,
    )?);
    urna_service::demo::load(&store)?;
    let services = Services::new(store, HeaderPolicy::default());
    let caller = Caller {
        station: "058091-PC-0001".parse()?,
    };
    let (mut prescan, mut gate, mut handle) = (0f64, 0f64, 0f64);
    for b in bodies {
        let t0 = Instant::now();
        urna_security::prescan::prescan(b.as_bytes(), Default::default())
            .map_err(|f| anyhow::anyhow!(f.message))?;
        let t1 = Instant::now();
        let c = urna_security::gate::check(b.as_bytes(), family)
            .map_err(|f| anyhow::anyhow!(f.message))?;
        let t2 = Instant::now();
        let h = services.handle(c.operation, &c.payload, &caller, "bench")?;
        let t3 = Instant::now();
        anyhow::ensure!(
            h.body.contains("<esitoOperazione>0000</esitoOperazione>"),
            "KO: {}",
            h.body
        );
        prescan += (t1 - t0).as_secs_f64();
        gate += (t2 - t1).as_secs_f64();
        handle += (t3 - t2).as_secs_f64();
    }
    let n = bodies.len() as f64;
    println!(
        "in-process floor (1 thread, SQLite): prescan {:.1} µs + gate {:.1} µs + service/transaction {:.1} µs = {:.1} µs/request ({:.0} req/s/core)",
        prescan / n * 1e6,
        gate / n * 1e6,
        handle / n * 1e6,
        (prescan + gate + handle) / n * 1e6,
        n / (prescan + gate + handle)
    );
    Ok(())
}
