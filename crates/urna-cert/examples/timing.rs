//! Times `render` (an unsealed certificate) and `Sealer::issue` (a sealed
//! one) on the crate's example certificate, beside one RSA signature with
//! the same key: the costs of one 6001 (docs/certificates.md,
//! "Performance").
//!
//! `cargo run --release -p urna-cert --example timing -- [rounds] [pki dir]`
//! (a PKI from `urna pki init`, which holds `seal.crt` and `seal.key`; without
//! one, a throw-away CA issues a development seal certificate).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rounds: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
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
    let pkey = openssl::pkey::PKey::private_key_from_pem(key.as_bytes())?;
    let doc = urna_cert::CertificateDoc::example();
    // The first call prepares the per-process parts (fonts, profile).
    let mut pdf = urna_cert::render(&doc)?;
    let time = |f: &mut dyn FnMut() -> Result<(), Box<dyn std::error::Error>>| {
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            f()?;
        }
        Ok::<f64, Box<dyn std::error::Error>>(
            started.elapsed().as_secs_f64() * 1e3 / f64::from(rounds),
        )
    };
    let render = time(&mut || {
        pdf = urna_cert::render(&doc)?;
        Ok(())
    })?;
    let mut sealed = Vec::new();
    let issue = time(&mut || {
        sealed = sealer.issue(&doc)?;
        Ok(())
    })?;
    let sign = time(&mut || {
        let mut s = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey)?;
        s.update(b"0123456789abcdef0123456789abcdef")?;
        std::hint::black_box(s.sign_to_vec()?);
        Ok(())
    })?;
    println!(
        "render {render:.3} ms, issue (render + seal) {issue:.3} ms, one RSA signature {sign:.3} ms \
         (issue = {:.2}x); unsealed PDF {} bytes, sealed {} bytes",
        issue / sign,
        pdf.len(),
        sealed.len()
    );
    Ok(())
}
