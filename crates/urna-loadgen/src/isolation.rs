//! `--isolation`: does one station's flood hurt another comune?
//!
//! A light stream (3008 single-section reads of the light station's comune,
//! open-loop at `--light-rate`) runs alone, then beside a flood from another
//! comune's station at `--flood-rate` (10x its quota by default): 5011
//! updates, every other one a replay of the first (accepted once, then
//! verified by the gate and refused late), the rest refused by the quota.
//! Prints the light stream's p99 alone and under the flood, and their
//! ratio; each request is signed before the timed windows. The flood keeps
//! at most 64 requests in flight: at a rate the server cannot answer it is
//! a closed loop of 64 connections.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use urna_pki::Issued;
use urna_service::demo::DEMO_COMUNI;
use urna_wire::build::{self, Testata};

pub struct Isolation {
    pub url: String,
    pub ca: String,
    /// The light stream's station (its comune is the one read).
    pub light: (String, String),
    /// The flooding station (another comune).
    pub flood: (String, String),
    pub light_rate: f64,
    pub flood_rate: f64,
    pub seconds: f64,
    pub run_id: String,
}

fn issued(cert: &str, key: &str) -> anyhow::Result<Issued> {
    Ok(Issued {
        cert_pem: std::fs::read_to_string(cert)?,
        key_pem: std::fs::read_to_string(key)?,
        serial_hex: String::new(),
    })
}

/// The demo comune of a station certificate.
fn comune_of(cert_pem: &str) -> anyhow::Result<&'static urna_service::demo::DemoComune> {
    let istat = urna_pki::station_cert_pem(cert_pem)?
        .station
        .istat
        .to_string();
    DEMO_COMUNI
        .iter()
        .find(|c| c.istat == istat)
        .ok_or_else(|| anyhow::anyhow!("{istat} is not a demo comune"))
}

/// Sends `count` requests open-loop at `rate` per second, cycling through
/// `bodies`, at most `in_flight` at a time (a rate above what the server
/// answers becomes a closed loop of that many connections), until `stop`
/// is set; the latency (µs) and the reply of each.
async fn paced(
    client: reqwest::Client,
    url: String,
    bodies: Arc<Vec<String>>,
    count: usize,
    rate: f64,
    in_flight: usize,
    stop: Arc<AtomicBool>,
) -> Vec<(u32, String)> {
    let start = tokio::time::Instant::now();
    let slots = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let mut tasks = Vec::new();
    for i in 0..count {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
        let slot = slots.clone().acquire_owned().await.expect("semaphore");
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let body = bodies[i % bodies.len()].clone();
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let _slot = slot;
            let t = Instant::now();
            let text = match client
                .post(&url)
                .header("Content-Type", "text/xml; charset=UTF-8")
                .body(body)
                .send()
                .await
            {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(e) => format!("transport error: {e}"),
            };
            (t.elapsed().as_micros() as u32, text)
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

fn p99(replies: &[(u32, String)]) -> f64 {
    let mut lat: Vec<u32> = replies.iter().map(|(l, _)| *l).collect();
    lat.sort_unstable();
    crate::pct(&lat, 0.99)
}

pub fn run(a: Isolation) -> anyhow::Result<()> {
    let light_id = issued(&a.light.0, &a.light.1)?;
    let flood_id = issued(&a.flood.0, &a.flood.1)?;
    let (light_comune, flood_comune) = (
        comune_of(&light_id.cert_pem)?,
        comune_of(&flood_id.cert_pem)?,
    );
    anyhow::ensure!(
        light_comune.istat != flood_comune.istat,
        "the light stream and the flood must be of two comuni"
    );
    let ts = crate::timestamp();
    let light_n = (a.light_rate * a.seconds).ceil() as usize;
    let flood_n = (a.flood_rate * a.seconds).ceil() as usize;
    let read = |phase: &str, i: usize| {
        let section = (i as u32 % light_comune.sections) + 1;
        build::richiesta3008(
            &Testata::new(
                &format!("{}L{phase}{i}", a.run_id),
                light_comune.istat,
                "3008",
                &ts,
            ),
            &build::comune(light_comune.nome, light_comune.istat, light_comune.sigla),
            Some(&section.to_string()),
            "1",
        )
    };
    let light_alone = crate::sign_all(
        (0..light_n).map(|i| read("A", i)).collect(),
        &a.light.0,
        &a.light.1,
    )?;
    let light_flooded = crate::sign_all(
        (0..light_n).map(|i| read("B", i)).collect(),
        &a.light.0,
        &a.light.1,
    )?;
    // At most 5,000 distinct messages, sent in turn: once each is accepted,
    // every later send of it is a replay too.
    let fresh = crate::sign_all(
        (0..flood_n.div_ceil(2).min(5_000))
            .map(|i| {
                crate::rename_section(
                    flood_comune,
                    &format!("{}F{i}", a.run_id),
                    &ts,
                    (i as u32 % flood_comune.sections) + 1,
                    i,
                )
            })
            .collect(),
        &a.flood.0,
        &a.flood.1,
    )?;
    let flood: Arc<Vec<String>> = Arc::new(
        (0..2 * fresh.len())
            .map(|i| {
                if i % 2 == 0 {
                    fresh[i / 2].clone()
                } else {
                    fresh[0].clone()
                }
            })
            .collect(),
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let ca = std::fs::read_to_string(&a.ca)?;
        let light = urna_testkit::client(&ca, Some(&light_id))?;
        let flooder = urna_testkit::client(&ca, Some(&flood_id))?;
        let base = a.url.trim_end_matches('/');
        let (p3000, p5000) = (
            format!("{base}{}", urna_testkit::P3000),
            format!("{base}{}", urna_testkit::P5000),
        );
        // Warm connections, untimed.
        let go = || Arc::new(AtomicBool::new(false));
        let warm = Arc::new(crate::sign_all((0..5).map(|i| read("W", i)).collect(), &a.light.0, &a.light.1)?);
        paced(light.clone(), p3000.clone(), warm, 5, a.light_rate, 1, go()).await;
        let alone = paced(light.clone(), p3000.clone(), Arc::new(light_alone), light_n, a.light_rate, 64, go()).await;
        let ok = |r: &[(u32, String)]| {
            r.iter()
                .filter(|(_, t)| t.contains("<esitoOperazione>0000</esitoOperazione>"))
                .count()
        };
        anyhow::ensure!(ok(&alone) == alone.len(), "light requests failed alone");
        let stop = go();
        let flood_task = tokio::spawn(paced(flooder, p5000, flood, flood_n, a.flood_rate, 64, stop.clone()));
        let flooded = paced(light, p3000, Arc::new(light_flooded), light_n, a.light_rate, 64, go()).await;
        stop.store(true, Ordering::Relaxed);
        let flood_replies = flood_task.await?;
        anyhow::ensure!(ok(&flooded) == flooded.len(), "light requests failed under the flood");
        let count = |needle: &str| flood_replies.iter().filter(|(_, t)| t.contains(needle)).count();
        let (alone_p99, flooded_p99) = (p99(&alone), p99(&flooded));
        println!(
            "light stream ({} 3008/s from {}): p99 {alone_p99:.2} ms alone, {flooded_p99:.2} ms beside the flood",
            a.light_rate, light_comune.nome
        );
        println!(
            "flood ({} 5011/s from {}, every other one a replay): {} accepted, {} rate-limited, {} replays refused, {} other",
            a.flood_rate,
            flood_comune.nome,
            ok(&flood_replies),
            count("<u:reason>rate-limited</u:reason>"),
            count("<u:reason>replay</u:reason>"),
            flood_replies.len()
                - ok(&flood_replies)
                - count("<u:reason>rate-limited</u:reason>")
                - count("<u:reason>replay</u:reason>")
        );
        println!(
            "RESULT op=isolation light_p99_alone_ms={alone_p99:.2} light_p99_flood_ms={flooded_p99:.2} ratio={:.2}",
            flooded_p99 / alone_p99
        );
        Ok(())
    })
}
