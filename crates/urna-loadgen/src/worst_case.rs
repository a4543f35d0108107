//! `--worst-case`: what the most expensive body that passes the pre-scan
//! costs the gate, against a typical signed 5010, on one thread in one run.
//!
//! Each bomb fills a 5010 up to the body cap with one shape at the
//! pre-scan's limits (attributes, namespace declarations, elements, long
//! names, text, character references, comments) inside the signed Body, so
//! that the strict parse, both signature checks (C14N and digest of the whole
//! Body) and the XSD gate all see it; it is then signed by a valid station.
//! A bomb too big for the limits is shrunk until the pre-scan lets it
//! through: what is measured is what an attacker can get past the front line.
//! With `URNA_WORST_CASE_DIR` set, the typical message and the bombs are
//! written there.

use std::time::Instant;

use time::OffsetDateTime;
use urna_security::gate;
use urna_security::prescan::{self, Limits};
use urna_service::demo::DEMO_COMUNI;
use urna_wire::build;

use crate::wss_micro::Bench;

/// One shape of junk, `n` units of it and `len` bytes of filler per unit.
fn junk(shape: &str, n: usize, len: usize, limits: &Limits) -> String {
    let fill = |len: usize| "x".repeat(len);
    match shape {
        "attributes" => (0..n)
            .map(|i| {
                let attrs: String = (0..limits.max_attributes)
                    .map(|a| format!(" a{a}=\"{}\"", fill(len)))
                    .collect();
                format!("<j{i}{attrs}/>")
            })
            .collect(),
        "namespaces" => {
            // n nested elements, each declaring max_namespaces prefixes;
            // inside the deepest, elements that each use one of them, so
            // exclusive C14N renders a declaration on every one.
            let prefixes = n * limits.max_namespaces;
            let open: String = (0..n)
                .map(|i| {
                    let decls: String = (0..limits.max_namespaces)
                        .map(|k| {
                            let p = i * limits.max_namespaces + k;
                            let uri = fill(len.min(limits.max_name_bytes.saturating_sub(16)));
                            format!(" xmlns:p{p}=\"urn:{p}:{uri}\"")
                        })
                        .collect();
                    format!("<n{i}{decls}>")
                })
                .collect();
            let users: String = (0..limits.max_elements / 2)
                .map(|u| format!("<p{0}:u/>", u % prefixes.max(1)))
                .collect();
            let close: String = (0..n).rev().map(|i| format!("</n{i}>")).collect();
            format!("{open}{users}{close}")
        }
        "elements" => (0..n).map(|_| format!("<e>{}</e>", fill(len))).collect(),
        "long-names" => {
            let name = "n".repeat(limits.max_name_bytes);
            (0..n)
                .map(|_| format!("<{name} {name}=\"{}\"/>", fill(len)))
                .collect()
        }
        "text" => (0..n).map(|_| format!("<t>{}</t>", fill(len))).collect(),
        "references" => (0..n)
            .map(|_| format!("<r>{}</r>", "&amp;&#233;".repeat(len / 11)))
            .collect(),
        "comments" => (0..n).map(|_| format!("<!--{}-->", fill(len))).collect(),
        _ => unreachable!("unknown shape {shape}"),
    }
}

const SHAPES: &[&str] = &[
    "attributes",
    "namespaces",
    "elements",
    "long-names",
    "text",
    "references",
    "comments",
];

/// The largest signed bomb of `shape` that passes the pre-scan and the body
/// cap: as many units as the limits allow, filled up to the cap.
fn bomb(
    shape: &str,
    bench: &Bench,
    limits: &Limits,
    max_body: usize,
    id: &str,
) -> anyhow::Result<String> {
    let roma = &DEMO_COMUNI[0];
    let ts = crate::timestamp();
    let typical = crate::move_demo_elector(
        roma,
        &build::comune(roma.nome, roma.istat, roma.sigla),
        id,
        &ts,
        0,
    );
    let at = typical
        .find("<testataRichiesta")
        .ok_or_else(|| anyhow::anyhow!("no testataRichiesta in the 5010"))?;
    let mut units = match shape {
        "attributes" => limits.max_total_attributes / limits.max_attributes,
        "namespaces" => (limits.max_total_attributes / limits.max_namespaces).min(limits.max_depth),
        "text" | "references" => max_body / limits.max_text_bytes.max(1) + 1,
        _ => limits.max_elements,
    };
    let now = OffsetDateTime::now_utc();
    let per_unit = match shape {
        "attributes" => limits.max_attributes,
        "namespaces" => limits.max_namespaces,
        _ => 1,
    };
    let mut budget = max_body.saturating_sub(bench.client.sign(&typical, now)?.len());
    while units > 0 && budget > 0 {
        let len = (budget / units / per_unit).min(limits.max_text_bytes.saturating_sub(16));
        let body = format!(
            "{}{}{}",
            &typical[..at],
            junk(shape, units, len, limits),
            &typical[at..]
        );
        let signed = bench.client.sign(&body, now)?;
        let too_big = signed.len() > max_body;
        if too_big && len > 0 {
            budget = budget * 19 / 20;
        } else if too_big || prescan::prescan(signed.as_bytes(), *limits).is_err() {
            units = units * 19 / 20;
        } else {
            return Ok(signed);
        }
    }
    anyhow::bail!("no {shape} bomb passes the pre-scan")
}

/// Fastest of `rounds` timings of the pre-scan and gate over `bodies`, in
/// µs per body.
fn time_gate(bench: &Bench, limits: &Limits, bodies: &[String], rounds: usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let frame = bench.frame(OffsetDateTime::now_utc());
        let t0 = Instant::now();
        for b in bodies {
            let _ = prescan::prescan(b.as_bytes(), *limits);
            let _ = std::hint::black_box(gate::check_with(b.as_bytes(), 5000, Some(&frame)));
        }
        best = best.min(t0.elapsed().as_secs_f64() * 1e6 / bodies.len() as f64);
    }
    best
}

pub fn run(max_body: usize, limits: Limits) -> anyhow::Result<()> {
    let bench = Bench::new("urna-worst-case")?;
    let roma = &DEMO_COMUNI[0];
    let ts = crate::timestamp();
    let comune = build::comune(roma.nome, roma.istat, roma.sigla);
    let now = OffsetDateTime::now_utc();
    let typical: Vec<String> = (0..200)
        .map(|i| {
            let b = crate::move_demo_elector(roma, &comune, &format!("WT{i}"), &ts, i);
            Ok(bench.client.sign(&b, now)?)
        })
        .collect::<anyhow::Result<_>>()?;
    {
        let frame = bench.frame(OffsetDateTime::now_utc());
        gate::check_with(typical[0].as_bytes(), 5000, Some(&frame))
            .map_err(|f| anyhow::anyhow!("the typical 5010 is refused: {}", f.message))?;
    }
    if let Some(dir) = std::env::var_os("URNA_WORST_CASE_DIR") {
        std::fs::write(std::path::Path::new(&dir).join("typical.xml"), &typical[0])?;
    }
    let base = time_gate(&bench, &limits, &typical, 7);
    println!(
        "typical signed 5010 ({} bytes): pre-scan + gate {base:.0} µs",
        typical[0].len()
    );
    let mut worst = (0f64, "");
    for shape in SHAPES {
        let b = bomb(shape, &bench, &limits, max_body, &format!("WB{shape}"))?;
        if let Some(dir) = std::env::var_os("URNA_WORST_CASE_DIR") {
            std::fs::write(std::path::Path::new(&dir).join(format!("{shape}.xml")), &b)?;
        }
        let frame = bench.frame(OffsetDateTime::now_utc());
        let outcome = match gate::check_with(b.as_bytes(), 5000, Some(&frame)) {
            Ok(_) => "accepted".to_string(),
            Err(f) => format!("refused: {}", f.reason),
        };
        let us = time_gate(&bench, &limits, std::slice::from_ref(&b), 7);
        println!(
            "  {shape:11} {:7} bytes: {:6.2} ms of CPU = {:5.2}x typical ({outcome})",
            b.len(),
            us / 1000.0,
            us / base
        );
        if us > worst.0 {
            worst = (us, shape);
        }
    }
    println!(
        "worst-case body past the pre-scan: {:.2} ms of CPU ({}) = {:.2}x a typical signed 5010 (target <= 5)",
        worst.0 / 1000.0,
        worst.1,
        worst.0 / base
    );
    println!(
        "RESULT op=worst-case typical_us={base:.1} worst_us={:.1} worst={} ratio={:.2}",
        worst.0,
        worst.1,
        worst.0 / base
    );
    Ok(())
}
