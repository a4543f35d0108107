//! Times `render` and `seal` on the crate's example certificate: the two
//! costs of one 6001 (docs/certificates.md, "Performance").
//!
//! `cargo run --release -p urna-cert --example timing -- [rounds] [pki dir]`
//! (a PKI from `urna pki init`, which holds `seal.crt` and `seal.key`; without
//! one, a throw-away CA issues a development seal certificate).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rounds: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let (cert, key) = match args.next() {
        Some(dir) => (
            std::fs::read_to_string(format!("{dir}/seal.crt"))?,
            std::fs::read_to_string(format!("{dir}/seal.key"))?,
        ),
        None => {
            let seal = urna_pki::Ca::generate("urna timing CA")?.issue_seal()?;
            (seal.cert_pem, seal.key_pem)
        }
    };
    let sealer = urna_cert::Sealer::from_pem(&cert, &key)?;
    let doc = urna_cert::CertificateDoc::example();
    let started = std::time::Instant::now();
    let mut pdf = Vec::new();
    for _ in 0..rounds {
        pdf = urna_cert::render(&doc)?;
    }
    let render = started.elapsed().as_secs_f64() * 1e3 / f64::from(rounds);
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(sealer.seal(&pdf, doc.issued_at)?);
    }
    let seal = started.elapsed().as_secs_f64() * 1e3 / f64::from(rounds);
    println!(
        "render {render:.2} ms, seal {seal:.2} ms, unsealed PDF {} bytes",
        pdf.len()
    );
    Ok(())
}
