//! `urna-loadgen`: drives a running urna with unique, pre-built requests over N
//! mutual-TLS keep-alive connections and prints throughput and latency.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

/// The server's allocator (see urna-cli), so that the in-process and
/// security-layer figures measure what the server runs.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod download;
mod inproc;
mod isolation;
mod worst_case;
mod wss_micro;
use urna_pki::Issued;
use urna_service::demo::DEMO_COMUNI;
use urna_service::generate;
use urna_wire::build::{self, Testata};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "")]
    url: String,
    #[arg(long, default_value = "")]
    ca: String,
    #[arg(long, default_value = "")]
    cert: String,
    #[arg(long, default_value = "")]
    key: String,
    /// 5011 (section updates), 5010 (moves of the demo electors), 5010mix
    /// (enrolments, changes and cancellations of generated subjects; see
    /// `--print-mix-subjects`), 3008 (single-section reads), 3002 (a subject
    /// by codice fiscale with its electoral data, from `--subjects`), 6001
    /// (electoral certificates of the demo electors, issued and sealed),
    /// riepilogo (GET the comune's summary) or riepilogo-sezione (GET one
    /// section's summary).
    #[arg(long, default_value = "5011")]
    op: String,
    /// The comune the reads (3008, 3002, riepilogo*) are about: ISTAT code,
    /// name and province, its number of sections (default: the demo Roma).
    #[arg(long)]
    comune: Option<String>,
    #[arg(long, default_value = "")]
    comune_name: String,
    #[arg(long, default_value = "")]
    sigla: String,
    #[arg(long)]
    sections: Option<u32>,
    /// 3002: a subjects CSV (`urna demo generate`) whose codici fiscali are
    /// searched, in turn.
    #[arg(long)]
    subjects: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Requests to send in the timed window (each one unique).
    #[arg(long, default_value_t = 40_000)]
    requests: usize,
    /// Untimed warm-up requests.
    #[arg(long, default_value_t = 2_000)]
    warmup: usize,
    /// Server process id, to report its CPU time per request.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Measure the pipeline in-process (no HTTP, no TLS) instead of a server.
    #[arg(long)]
    in_process: bool,
    /// Prefix making idOperazioneComune unique across runs.
    #[arg(long, default_value = "B")]
    run_id: String,
    /// Send requests without the security frame (a server with
    /// `security.require_signature = false`).
    #[arg(long)]
    unsigned: bool,
    /// Measure the crypto floor of a signed round trip with the library the
    /// server uses (OpenSSL): one RSA-2048 sign and two verifies.
    #[arg(long)]
    crypto_floor: bool,
    /// Security micro-benchmark: write N signed ANPR-profile requests and
    /// their unsigned replies to this directory, and measure urna verifying
    /// the requests and signing the replies on one thread (the WSS4J harness
    /// then measures the same files; see scripts/bench.sh).
    #[arg(long, value_name = "DIR")]
    wss_micro: Option<std::path::PathBuf>,
    /// `--wss-micro`: number of messages.
    #[arg(long, default_value_t = 1000)]
    messages: usize,
    /// `--wss-micro`: timed rounds over the messages (after one untimed).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Measure the most expensive body that passes the pre-scan (default
    /// limits) against a typical signed 5010, on one thread.
    #[arg(long)]
    worst_case: bool,
    /// `--worst-case`: the body cap (server.max_body_bytes).
    #[arg(long, default_value_t = 48 * 1024)]
    max_body: usize,
    /// Isolation run: a light 3008 stream from the `--cert` station alone,
    /// then beside a flood from the `--flood-cert` station (another comune);
    /// prints both p99s and their ratio.
    #[arg(long)]
    isolation: bool,
    #[arg(long, default_value = "")]
    flood_cert: String,
    #[arg(long, default_value = "")]
    flood_key: String,
    /// `--isolation`: offered flood, requests/s (10x the default station quota).
    #[arg(long, default_value_t = 500.0)]
    flood_rate: f64,
    /// `--isolation`: the light stream, requests/s.
    #[arg(long, default_value_t = 20.0)]
    light_rate: f64,
    /// `--isolation`: seconds of each window.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Download run: one 4001 of the demo Roma, its file replaced by files
    /// of `--download-mb` sizes, each downloaded with 7002 (base64 and
    /// MTOM); needs `--database` and `--server-pid`.
    #[arg(long)]
    download: bool,
    #[arg(long, value_delimiter = ',', default_value = "16,256")]
    download_mb: Vec<u64>,
    /// The server's database URL (`--download`).
    #[arg(long, default_value = "")]
    database: String,
    /// Print how many generated Roma electors `5010mix` needs for these
    /// `--warmup` and `--requests`, and exit.
    #[arg(long)]
    print_mix_subjects: bool,
}

fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The comune of the reads: `--comune` or the demo Roma.
struct Target {
    istat: String,
    nome: String,
    sigla: String,
    sections: u32,
}

impl Target {
    fn of(args: &Args) -> Target {
        let roma = &DEMO_COMUNI[0];
        match &args.comune {
            Some(istat) => Target {
                istat: istat.clone(),
                nome: args.comune_name.clone(),
                sigla: args.sigla.clone(),
                sections: args.sections.unwrap_or(1).max(1),
            },
            None => Target {
                istat: roma.istat.into(),
                nome: roma.nome.into(),
                sigla: roma.sigla.into(),
                sections: args.sections.unwrap_or(roma.sections),
            },
        }
    }
}

/// The codici fiscali of a subjects CSV (second column), at most `max`,
/// spread over the file.
fn codici_fiscali(path: &std::path::Path, max: usize) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)?;
    let all: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .collect();
    anyhow::ensure!(!all.is_empty(), "{}: no subjects", path.display());
    let step = (all.len() / max.max(1)).max(1);
    Ok(all
        .iter()
        .step_by(step)
        .take(max)
        .map(|s| s.to_string())
        .collect())
}

fn bodies(args: &Args, phase: &str, n: usize) -> Vec<String> {
    let roma = &DEMO_COMUNI[0];
    let target = Target::of(args);
    let ts = timestamp();
    let comune = build::comune(roma.nome, roma.istat, roma.sigla);
    let read_comune = build::comune(&target.nome, &target.istat, &target.sigla);
    let cfs = match (&args.subjects, args.op.as_str()) {
        (Some(p), "3002") => codici_fiscali(p, 100_000).unwrap_or_else(|e| panic!("{e}")),
        _ => Vec::new(),
    };
    (0..n)
        .map(|i| {
            let id = format!("{}{}{phase}{i}", args.run_id, args.op);
            let section = (i as u32 % roma.sections) + 1;
            let read_section = (i as u32 % target.sections) + 1;
            match args.op.as_str() {
                "5010mix" => {
                    let pick = mix_step(phase, args.warmup, i);
                    let Some((step, subject)) = pick else {
                        return move_demo_elector(roma, &comune, &id, &ts, i);
                    };
                    let sections = roma.sections as u64;
                    let id_soggetto = generate::Spec {
                        istat: roma.istat.into(),
                        nome: roma.nome.into(),
                        sigla: roma.sigla.into(),
                        catastale: String::new(),
                        electors: 0,
                        seed: 0,
                        gzip: false,
                    }
                    .subject_id(generate::plain_elector_index(subject));
                    let controllo = |t: &str| {
                        urna_wire::Element::new("datiControllo")
                            .with_child(urna_wire::Element::leaf("tipoMutazione", t))
                    };
                    let generale = |s: u64| {
                        build::liste_generale(
                            &comune,
                            &(s % sections + 1).to_string(),
                            roma.circ_senato,
                            roma.circ_camera,
                        )
                    };
                    let body = match step {
                        MixStep::Enrol => vec![generale(subject), controllo("01")],
                        MixStep::Change => vec![generale(subject + 1), controllo("01")],
                        MixStep::Cancel => vec![
                            urna_wire::Element::new("cancellazione")
                                .with_child(urna_wire::Element::leaf("motivoCancellazione", "1")),
                            controllo("05"),
                        ],
                    };
                    let mut all = vec![urna_wire::Element::leaf("idSoggetto", id_soggetto)];
                    all.extend(body);
                    build::richiesta5010(&Testata::new(&id, roma.istat, "5010", &ts), &all)
                }
                "5010" => move_demo_elector(roma, &comune, &id, &ts, i),
                "6001" => {
                    let cf = urna_service::demo::subject_row(roma, i as u32 % 9).codice_fiscale;
                    build::richiesta6001(
                        &Testata::new(&id, roma.istat, "6001", &ts),
                        &[
                            build::tipi_certificati(&["22"]),
                            build::intestatario_cf(&cf),
                            build::dati_controllo_elettorale("1"),
                        ],
                    )
                }
                "3008" => build::richiesta3008(
                    &Testata::new(&id, &target.istat, "3008", &ts),
                    &read_comune,
                    Some(&read_section.to_string()),
                    "1",
                ),
                "3002" => build::richiesta3002(
                    &Testata::new(&id, &target.istat, "3002", &ts),
                    &[urna_wire::Element::leaf(
                        "codiceFiscale",
                        cfs.get(i % cfs.len().max(1))
                            .map(String::as_str)
                            .unwrap_or("RMNNNA50A41H501H"),
                    )],
                    None,
                    &["18"],
                ),
                // GET paths, not bodies.
                "riepilogo" => format!("/riepiloghi/{}", target.istat),
                "riepilogo-sezione" => format!("/riepiloghi/{}/{read_section}", target.istat),
                _ => rename_section(roma, &id, &ts, section, i),
            }
        })
        .collect()
}

/// A 5011 that renames demo section `section` of `comune` ("SCUOLA `i`"):
/// a real update every time.
fn rename_section(
    comune: &urna_service::demo::DemoComune,
    id: &str,
    ts: &str,
    section: u32,
    i: usize,
) -> String {
    let mut s = urna_service::demo::section_tree(comune, section);
    if let Some(d) = s
        .children
        .iter_mut()
        .find(|c| c.name == "sezioneelettoraledenom")
    {
        d.text = format!("SCUOLA {i}");
    }
    build::richiesta5011(&Testata::new(id, comune.istat, "5011", ts), &s)
}

/// Signs every body with the security frame before the timed window, on
/// all cores (one assertion per run, one Timestamp and signature per body),
/// so the load generator does not compete with the server for the CPU.
fn sign_all(bodies: Vec<String>, cert: &str, key: &str) -> anyhow::Result<Vec<String>> {
    let issued = Issued {
        cert_pem: std::fs::read_to_string(cert)?,
        key_pem: std::fs::read_to_string(key)?,
        serial_hex: String::new(),
    };
    let signer = urna_testkit::signer_for(&issued)?;
    let now = time::OffsetDateTime::now_utc();
    let assertion = signer.assertion(now)?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = bodies.len().div_ceil(threads).max(1);
    let started = Instant::now();
    let signed: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = bodies
            .chunks(chunk)
            .map(|part| {
                let (signer, assertion) = (&signer, &assertion);
                scope.spawn(move || {
                    part.iter()
                        .map(|b| signer.sign_with_assertion(b, now, assertion))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("signing thread"))
            .collect::<Result<Vec<Vec<String>>, _>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    eprintln!(
        "signed {} requests in {:.1}s (before the timed window)",
        signed.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(signed)
}

/// One RSA-2048 signature (the response) and two verifications (message and
/// assertion signatures) over a SignedInfo-sized input, per signed request.
fn crypto_floor() -> anyhow::Result<()> {
    use openssl::hash::MessageDigest;
    use openssl::pkey::PKey;
    use openssl::rsa::Rsa;
    use openssl::sign::{Signer, Verifier};
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let data = vec![b'x'; 700];
    // Fixed work: noise on a shared VM (±15% here) only ever adds time, so
    // the floor is the fastest of several rounds. That is the conservative
    // choice for the ratio printed against it.
    let (rounds, per_round) = (7, 400);
    let sig = {
        let mut s = Signer::new(MessageDigest::sha1(), &key)?;
        s.update(&data)?;
        s.sign_to_vec()?
    };
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..per_round {
            let mut s = Signer::new(MessageDigest::sha1(), &key)?;
            s.update(&data)?;
            std::hint::black_box(s.sign_to_vec()?);
            for _ in 0..2 {
                let mut v = Verifier::new(MessageDigest::sha1(), &key)?;
                v.update(&data)?;
                anyhow::ensure!(v.verify(&sig)?, "verification");
            }
        }
        times.push(started.elapsed().as_secs_f64() * 1e6 / per_round as f64);
    }
    times.sort_by(f64::total_cmp);
    let (us, median) = (times[0], times[rounds / 2]);
    // One RSA-2048 signature alone (SHA-256, as the certificate's seal):
    // the unit of a sealed certificate's cost.
    let mut signs = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..per_round {
            let mut s = Signer::new(MessageDigest::sha256(), &key)?;
            s.update(&data)?;
            std::hint::black_box(s.sign_to_vec()?);
        }
        signs.push(started.elapsed().as_secs_f64() * 1e6 / per_round as f64);
    }
    signs.sort_by(f64::total_cmp);
    let sign_us = signs[0];
    println!("crypto floor: {us:.1} µs per signed request (1 RSA-2048 sign + 2 verifies, OpenSSL, one core; fastest of {rounds} rounds of {per_round}, median {median:.1} µs); one RSA-2048 signature alone {sign_us:.1} µs");
    println!("RESULT op=crypto-floor us={us:.1} sign_us={sign_us:.1}");
    Ok(())
}

/// The three kinds of 5010 in the `5010mix` workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MixStep {
    Enrol,
    Change,
    Cancel,
}

/// Requests between two steps on the same subject (×3 positions), so that
/// with 32 connections a subject's change never overtakes its enrolment.
const MIX_LAG: usize = 500;

/// `5010mix`: position `i` of a phase is an enrolment, a change of section or
/// a cancellation (in turn), each on a generated plain elector of Roma that
/// the previous step reached `MIX_LAG` rounds earlier. The warm-up uses its
/// own subjects. `None` while a step has no subject yet (early positions):
/// the caller sends a move of a demo elector instead.
fn mix_step(phase: &str, warmup: usize, i: usize) -> Option<(MixStep, u64)> {
    let base = if phase == "W" { 0 } else { warmup / 3 + 1 };
    let round = i / 3;
    let (step, back) = match i % 3 {
        0 => (MixStep::Enrol, 0),
        1 => (MixStep::Change, MIX_LAG),
        _ => (MixStep::Cancel, 2 * MIX_LAG),
    };
    round.checked_sub(back).map(|r| (step, (base + r) as u64))
}

/// Subjects the `5010mix` workload needs in the registry for `warmup` +
/// `requests` positions.
fn mix_subjects(warmup: usize, requests: usize) -> usize {
    warmup / 3 + 1 + requests / 3 + 1
}

/// Now, as `dataOraRichiesta` and the bodies' timestamps write it.
fn timestamp() -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&f)
        .expect("timestamp")
}

fn move_demo_elector(
    roma: &urna_service::demo::DemoComune,
    comune: &urna_wire::Element,
    id: &str,
    ts: &str,
    i: usize,
) -> String {
    use urna_wire::Element;
    let person = (i as u32) % 9;
    let sezione = ((i as u32 / 9) % roma.sections) + 1;
    let liste = build::liste_generale(
        comune,
        &sezione.to_string(),
        roma.circ_senato,
        roma.circ_camera,
    );
    let body = [
        Element::leaf("idSoggetto", urna_service::demo::subject_id(roma, person)),
        liste,
        Element::new("datiControllo").with_child(Element::leaf("tipoMutazione", "01")),
    ];
    build::richiesta5010(&Testata::new(id, roma.istat, "5010", ts), &body)
}

/// Sends every body (POST to `url`), or with `get` every path (GET of
/// `url` + path), over `connections` connections; a reply counts as a
/// success when it is a SOAP reply with `esitoOperazione` 0000, or for GET
/// a 2xx status.
async fn drive(
    client: &reqwest::Client,
    url: &str,
    bodies: Arc<Vec<String>>,
    connections: usize,
    get: bool,
) -> (Vec<u32>, usize, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url, bodies, next) = (
            client.clone(),
            url.to_string(),
            bodies.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let t = Instant::now();
                let request = if get {
                    client.get(format!("{url}{body}"))
                } else {
                    client
                        .post(&url)
                        .header("Content-Type", "text/xml; charset=UTF-8")
                        .body(body.clone())
                };
                let ok = match request.send().await {
                    Ok(r) => {
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        status.is_success()
                            && (get || text.contains("<esitoOperazione>0000</esitoOperazione>"))
                    }
                    Err(e) => {
                        if errors == 0 {
                            eprintln!("first failure: {e}");
                        }
                        false
                    }
                };
                lat.push(t.elapsed().as_micros() as u32);
                if !ok {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("task");
        all.extend(l);
        errors += e;
    }
    (all, errors, started.elapsed())
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    urna_security::wss::init_openssl();
    if args.crypto_floor {
        return crypto_floor();
    }
    if args.isolation {
        return isolation::run(isolation::Isolation {
            url: args.url,
            ca: args.ca,
            light: (args.cert, args.key),
            flood: (args.flood_cert, args.flood_key),
            light_rate: args.light_rate,
            flood_rate: args.flood_rate,
            seconds: args.seconds,
            run_id: args.run_id,
        });
    }
    if args.download {
        return download::run(download::Download {
            url: args.url,
            ca: args.ca,
            cert: args.cert,
            key: args.key,
            database: args.database,
            server_pid: args
                .server_pid
                .ok_or_else(|| anyhow::anyhow!("--download needs --server-pid"))?,
            sizes_mb: args.download_mb,
            run_id: args.run_id,
        });
    }
    if args.worst_case {
        return worst_case::run(args.max_body, Default::default());
    }
    if let Some(dir) = &args.wss_micro {
        return wss_micro::run(dir, args.messages, args.rounds);
    }
    if args.print_mix_subjects {
        let n = mix_subjects(args.warmup, args.requests);
        println!("{}", generate::plain_elector_index(n as u64) + 1);
        return Ok(());
    }
    if args.in_process {
        let family = match args.op.as_str() {
            "3008" | "3002" => 3000,
            "6001" => 6001,
            _ => 5000,
        };
        return inproc::run(&bodies(&args, "I", args.requests), family);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let ca = std::fs::read_to_string(&args.ca)?;
        let id = Issued {
            cert_pem: std::fs::read_to_string(&args.cert)?,
            key_pem: std::fs::read_to_string(&args.key)?,
            serial_hex: String::new(),
        };
        let client = urna_testkit::client(&ca, Some(&id))?;
        let get = args.op.starts_with("riepilogo");
        let path = match args.op.as_str() {
            "3008" | "3002" => urna_testkit::P3000,
            "6001" => urna_testkit::P6001,
            _ if get => "",
            _ => urna_testkit::P5000,
        };
        let url = format!("{}{}", args.url.trim_end_matches('/'), path);
        let sign = |b: Vec<String>| -> anyhow::Result<Vec<String>> {
            if args.unsigned || get {
                Ok(b)
            } else {
                sign_all(b, &args.cert, &args.key)
            }
        };
        // Both sets are signed before the warm-up, so the warm connections
        // go straight into the timed window (an idle keep-alive connection
        // may be closed by the server meanwhile).
        let warm = Arc::new(sign(bodies(&args, "W", args.warmup))?);
        let timed = Arc::new(sign(bodies(&args, "T", args.requests))?);
        let (_, werr, _) = drive(&client, &url, warm, args.connections, get).await;
        anyhow::ensure!(werr == 0, "{werr} warm-up requests failed");
        let cpu0 = args.server_pid.and_then(cpu_seconds);
        let (mut lat, errors, wall) = drive(&client, &url, timed, args.connections, get).await;
        let cpu1 = args.server_pid.and_then(cpu_seconds);
        lat.sort_unstable();
        let n = lat.len();
        let rps = n as f64 / wall.as_secs_f64();
        println!(
            "op={} connections={} requests={n} errors={errors} wall={:.2}s",
            args.op,
            args.connections,
            wall.as_secs_f64()
        );
        println!("throughput: {rps:.0} req/s");
        println!(
            "latency: p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
            pct(&lat, 0.5),
            pct(&lat, 0.9),
            pct(&lat, 0.99),
            pct(&lat, 1.0)
        );
        if let (Some(a), Some(b)) = (cpu0, cpu1) {
            println!(
                "server CPU: {:.1} µs/request ({:.2} s total)",
                (b - a) * 1e6 / n as f64,
                b - a
            );
        }
        println!(
            "RESULT op={} rps={rps:.0} p50_ms={:.2} p99_ms={:.2} errors={errors}",
            args.op,
            pct(&lat, 0.5),
            pct(&lat, 0.99)
        );
        anyhow::ensure!(errors == 0, "{errors} requests failed");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_steps_on_a_subject_come_in_order_and_far_apart() {
        let (warmup, requests) = (2_000, 40_000);
        let mut seen: std::collections::HashMap<u64, Vec<(MixStep, usize)>> = Default::default();
        for (phase, n, offset) in [("W", warmup, 0), ("T", requests, warmup)] {
            for i in 0..n {
                if let Some((step, subject)) = mix_step(phase, warmup, i) {
                    seen.entry(subject).or_default().push((step, offset + i));
                }
            }
        }
        let mut counts = [0usize; 3];
        for (subject, steps) in &seen {
            assert!(*subject < mix_subjects(warmup, requests) as u64);
            assert_eq!(steps[0].0, MixStep::Enrol, "subject {subject}: {steps:?}");
            for w in steps.windows(2) {
                assert!(
                    w[1].1 >= w[0].1 + 3 * MIX_LAG,
                    "subject {subject}: {steps:?}"
                );
            }
            let order: Vec<MixStep> = steps.iter().map(|s| s.0).collect();
            assert!(
                [
                    &[MixStep::Enrol][..],
                    &[MixStep::Enrol, MixStep::Change],
                    &[MixStep::Enrol, MixStep::Change, MixStep::Cancel]
                ]
                .contains(&order.as_slice()),
                "subject {subject}: {order:?}"
            );
            for s in steps {
                counts[s.0 as usize] += 1;
            }
        }
        // The timed window is a real mix: each kind is close to a third.
        assert!(counts.iter().all(|c| *c > requests / 4), "{counts:?}");
    }
}
