//! `--download`: what a 7002 download costs the server as the file grows.
//! One 4001 extraction of the demo Roma is run by the server's worker; its
//! file is then replaced by files of each size in `--download-mb` (random
//! bytes, recorded in the job as the worker records a file), and each is
//! downloaded with 7002, inline base64 and MTOM, the body read as it comes
//! and thrown away. For each: MB/s, the server's CPU per MB and its peak
//! RSS during the download (sampled every 10 ms). The targets are ratios
//! between the largest and the smallest file: throughput within 1.1×, peak
//! RSS within 1.1× (memory does not grow with the file).

use std::time::{Duration, Instant};

use sha2::Digest;
use urna_pki::Issued;
use urna_wire::build::{self, Testata};
use urna_wire::{Element, Operation};

use crate::{cpu_seconds, sign_all, timestamp};

const P4000: &str = "/ANPR4000ServiziEstrazione/AnprService4000";
const P7001: &str = "/ANPR7001ServizioScaricoTabelle/AnprService7001";

pub struct Download {
    pub url: String,
    pub ca: String,
    pub cert: String,
    pub key: String,
    /// The server's database (to record the replaced files in the job).
    pub database: String,
    pub server_pid: u32,
    pub sizes_mb: Vec<u64>,
    pub run_id: String,
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn text(xml: &str, element: &str) -> Option<String> {
    let open = format!("<{element}>");
    let at = xml.find(&open)? + open.len();
    Some(xml[at..at + xml[at..].find('<')?].to_string())
}

/// One measured download.
struct Measured {
    mb_per_s: f64,
    cpu_ms_per_mb: f64,
    peak_rss_mb: f64,
}

pub fn run(d: Download) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let ca = std::fs::read_to_string(&d.ca)?;
        let id = Issued {
            cert_pem: std::fs::read_to_string(&d.cert)?,
            key_pem: std::fs::read_to_string(&d.key)?,
            serial_hex: String::new(),
        };
        let client = urna_testkit::client(&ca, Some(&id))?;
        let base = d.url.trim_end_matches('/').to_string();
        let mut n = 0;
        let mut next_id = || {
            n += 1;
            format!("{}DL{n}", d.run_id)
        };
        let post = |path: &str, body: String, accept: &'static str| {
            client
                .post(format!("{base}{path}"))
                .header("Content-Type", "text/xml; charset=UTF-8")
                .header("Accept", accept)
                .body(body)
                .send()
        };
        let criteria = Element::new("criteriRicerca")
            .with_child(Element::leaf("datiAnagraficiRichiesti", "18"));
        let t = Testata::new(&next_id(), "058091", "4001", &timestamp());
        let body = build::richiesta_legacy(Operation::Estrazione4001, &t, &[criteria]);
        let [body] = <[String; 1]>::try_from(sign_all(vec![body], &d.cert, &d.key)?)
            .map_err(|_| anyhow::anyhow!("signing"))?;
        let reply = post(P4000, body, "text/xml").await?.text().await?;
        let job: i64 = text(&reply, "idOperazioneANPR")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("4001 refused: {reply}"))?;
        let store = urna_store::Store::open(&d.database, 1)?;
        let deadline = Instant::now() + Duration::from_secs(120);
        let path = loop {
            let row = store
                .read(|c| urna_store::extractions::get(c, job))?
                .ok_or_else(|| anyhow::anyhow!("job {job} not found"))?;
            if let (urna_store::extractions::DONE, Some(f)) = (row.state, row.file) {
                break f;
            }
            anyhow::ensure!(Instant::now() < deadline, "job {job} not done: {:?}", row.state);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        println!("download: 4001 job {job}, file {path}");
        let mut results = Vec::new();
        for &mb in &d.sizes_mb {
            let bytes = write_random(&path, mb << 20)?;
            let sha = hex::encode(sha2::Sha256::digest(&bytes));
            let len = bytes.len();
            drop(bytes);
            store.write(|c| {
                diesel::RunQueryDsl::execute(
                    diesel::sql_query(format!(
                        "UPDATE extraction_jobs SET file_bytes = {len}, file_sha256 = '{sha}' WHERE id = {job}"
                    )),
                    c,
                )
                .map_err(urna_store::StoreError::from)
            })?;
            for (form, accept) in [("base64", "text/xml"), ("mtom", "multipart/related")] {
                let t = Testata::new(&next_id(), "058091", "7002", &timestamp());
                let body = build::richiesta7000(
                    Operation::Download7002,
                    &t,
                    &[Element::leaf("idOperazioneANPR", job.to_string())],
                );
                let [body] = <[String; 1]>::try_from(sign_all(vec![body], &d.cert, &d.key)?)
                    .map_err(|_| anyhow::anyhow!("signing"))?;
                let pid = d.server_pid;
                let rss0 = rss_kb(pid);
                let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
                let sampler = {
                    let on = sampling.clone();
                    std::thread::spawn(move || {
                        let mut peak = 0;
                        while on.load(std::sync::atomic::Ordering::Relaxed) {
                            peak = peak.max(rss_kb(pid));
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        peak
                    })
                };
                let cpu0 = cpu_seconds(pid).unwrap_or(0.0);
                let started = Instant::now();
                let mut r = post(P7001, body, accept).await?;
                anyhow::ensure!(r.status() == 200, "7002 answered {}", r.status());
                let mut received = 0u64;
                while let Some(piece) = r.chunk().await? {
                    received += piece.len() as u64;
                }
                let wall = started.elapsed().as_secs_f64();
                let cpu = cpu_seconds(pid).unwrap_or(0.0) - cpu0;
                sampling.store(false, std::sync::atomic::Ordering::Relaxed);
                let peak = sampler.join().unwrap_or(0);
                anyhow::ensure!(received >= len as u64, "{received} bytes received of {len}");
                let m = Measured {
                    mb_per_s: mb as f64 / wall,
                    cpu_ms_per_mb: cpu * 1e3 / mb as f64,
                    peak_rss_mb: peak as f64 / 1024.0,
                };
                println!(
                    "download {mb:>5} MB {form:6}: {received:>11} bytes in {wall:.2} s, {:.0} MB/s, server CPU {:.1} ms/MB, server RSS {:.0} MB before, peak {:.0} MB",
                    m.mb_per_s,
                    m.cpu_ms_per_mb,
                    rss0 as f64 / 1024.0,
                    m.peak_rss_mb
                );
                results.push((mb, form, m));
            }
        }
        let (small, large) = (d.sizes_mb[0], d.sizes_mb[d.sizes_mb.len() - 1]);
        for form in ["base64", "mtom"] {
            let get = |mb| results.iter().find(|r| r.0 == mb && r.1 == form).map(|r| &r.2);
            if let (Some(s), Some(l)) = (get(small), get(large)) {
                println!(
                    "RESULT download {form}: {small} MB vs {large} MB: throughput ratio {:.2} (target <= 1.1), CPU/MB ratio {:.2}, peak RSS {:.0} MB vs {:.0} MB, ratio {:.2} (target <= 1.1)",
                    s.mb_per_s / l.mb_per_s,
                    l.cpu_ms_per_mb / s.cpu_ms_per_mb,
                    s.peak_rss_mb,
                    l.peak_rss_mb,
                    l.peak_rss_mb / s.peak_rss_mb
                );
            }
        }
        Ok(())
    })
}

/// Writes `n` pseudo-random bytes to `path` (they do not compress, as a
/// gzip file does not) and returns them.
fn write_random(path: &str, n: u64) -> anyhow::Result<Vec<u8>> {
    let mut bytes = vec![0u8; n as usize];
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for chunk in bytes.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(path, &bytes)?;
    Ok(bytes)
}
