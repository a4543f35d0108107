//! `--wss-micro DIR`: the security layer alone, on one thread, with the
//! messages written to DIR so that another WS-Security stack (the WSS4J
//! harness of `conformance-tests/peers/wss4j`) measures the same work on the
//! same bytes in the same run.
//!
//! * verify: N ANPR-profile requests (3008 reads and 5011 updates of the
//!   demo world; Timestamp, signed SAML assertion, message signature over
//!   Timestamp and Body, RSA-SHA1), each through the gate's strict parse
//!   and the security frame (`gate::verify_frame`: station CA, identity
//!   binding, IdPostazioneFirmato); the whole gate (dispatch, XSD, payload
//!   copy too) is printed beside it;
//! * sign: their replies, produced by the in-process service, signed with
//!   the service key by `ResponseSigner` (urna's defaults: RSA-SHA1,
//!   BinarySecurityToken).
//!
//! The message signature names its key by a BinarySecurityToken, not by
//! ANPR's inline X509Data: WSS4J 1.6 refuses the latter (BSP R5417), so both
//! sides measure the BST form.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use time::OffsetDateTime;
use urna_domain::header::HeaderPolicy;
use urna_pki::PkiDir;
use urna_security::gate::{self, Frame};
use urna_security::wss::sign::KeyInfoForm;
use urna_security::wss::verify::TlsPeer;
use urna_security::wss::{ClientSigner, Operator, Policy, ResponseSigner, SignatureAlg};
use urna_security::wss::{SigningKey, Trust};
use urna_service::demo::DEMO_COMUNI;
use urna_service::{Caller, Services};
use urna_store::Store;
use urna_wire::build::{self, Testata};

const STATION: &str = "058091-PC-0001";

fn read(p: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
}

/// Unsigned requests: 3008 single-section reads and 5011 updates, in turn.
fn requests(n: usize, run: &str) -> Vec<(u16, String)> {
    let roma = &DEMO_COMUNI[0];
    let ts = crate::timestamp();
    let comune = build::comune(roma.nome, roma.istat, roma.sigla);
    (0..n)
        .map(|i| {
            let id = format!("{run}W{i}");
            let section = (i as u32 % roma.sections) + 1;
            if i % 2 == 0 {
                let t = Testata::new(&id, roma.istat, "3008", &ts);
                (
                    3000,
                    build::richiesta3008(&t, &comune, Some(&section.to_string()), "1"),
                )
            } else {
                (5000, crate::rename_section(roma, &id, &ts, section, i))
            }
        })
        .collect()
}

pub fn run(dir: &Path, n: usize, rounds: usize) -> anyhow::Result<()> {
    anyhow::ensure!(n > 0 && rounds > 0, "--requests and --rounds must be > 0");
    std::fs::create_dir_all(dir)?;
    let bench = Bench::new("urna-wss-micro")?;
    let (pki, client) = (&bench.pki, &bench.client);
    let service = ResponseSigner {
        key: SigningKey::from_pem(
            &read(&pki.service_signer_cert())?,
            &read(&pki.service_signer_key())?,
        )?,
        algorithm: SignatureAlg::RsaSha1,
        key_info: KeyInfoForm::BinarySecurityToken,
        ttl_secs: 300,
    };

    // The messages, and the replies of the in-process service to them.
    let unsigned = requests(n, &format!("M{}", std::process::id()));
    let now = OffsetDateTime::now_utc();
    let signed: Vec<(u16, String)> = unsigned
        .iter()
        .map(|(family, b)| Ok((*family, client.sign(b, now)?)))
        .collect::<anyhow::Result<_>>()?;
    let db = tempfile::tempdir()?;
    let store = Arc::new(Store::open(
        &format!("sqlite://{}/urna.db", db.path().display()),
        2,
    )?);
    urna_service::demo::load(&store)?;
    let services = Services::new(store, HeaderPolicy::default());
    let caller = Caller {
        station: STATION.parse()?,
    };
    let mut replies = Vec::with_capacity(n);
    for (family, b) in &unsigned {
        let c = gate::check(b.as_bytes(), *family).map_err(|f| anyhow::anyhow!(f.message))?;
        let h = services.handle(c.operation, &c.payload, &caller, "wss-micro")?;
        anyhow::ensure!(
            h.body.contains("<esitoOperazione>0000</esitoOperazione>"),
            "KO: {}",
            h.body
        );
        replies.push(urna_wire::envelope::envelope(&h.body));
    }
    for (i, (_, s)) in signed.iter().enumerate() {
        std::fs::write(dir.join(format!("req-{i:06}.xml")), s)?;
    }
    for (i, r) in replies.iter().enumerate() {
        std::fs::write(dir.join(format!("resp-{i:06}.xml")), r)?;
    }
    std::fs::copy(pki.ca_cert(), dir.join("ca.crt"))?;
    std::fs::copy(pki.service_signer_cert(), dir.join("service.crt"))?;
    std::fs::copy(pki.service_signer_key(), dir.join("service.key"))?;

    let frame = |now| bench.frame(now);
    // One untimed round fills what a running server has warm (compiled
    // schemas, the chain check per signer and the CMS check per station);
    // the timed rounds follow.
    let (mut verify, mut whole_gate, mut sign) = (0f64, 0f64, 0f64);
    for round in 0..=rounds {
        let f = frame(OffsetDateTime::now_utc());
        let t0 = Instant::now();
        for (_, s) in &signed {
            gate::verify_frame(s.as_bytes(), &f).map_err(|e| anyhow::anyhow!(e.message))?;
        }
        let t1 = Instant::now();
        for (family, s) in &signed {
            gate::check_with(s.as_bytes(), *family, Some(&f))
                .map_err(|e| anyhow::anyhow!(e.message))?;
        }
        let t2 = Instant::now();
        let now = OffsetDateTime::now_utc();
        for r in &replies {
            std::hint::black_box(service.sign(r, now)?);
        }
        let t3 = Instant::now();
        if round > 0 {
            verify += (t1 - t0).as_secs_f64();
            whole_gate += (t2 - t1).as_secs_f64();
            sign += (t3 - t2).as_secs_f64();
        }
    }
    let per = |total: f64| total * 1e6 / (n * rounds) as f64;
    println!(
        "urna (1 thread): verify {:.1} µs/request (strict parse + security frame; the whole gate with dispatch, XSD and payload copy {:.1} µs), sign {:.1} µs/response; {n} messages x {rounds} rounds, written to {}",
        per(verify),
        per(whole_gate),
        per(sign),
        dir.display()
    );
    println!(
        "RESULT op=wss-micro side=urna verify_us={:.1} gate_us={:.1} sign_us={:.1}",
        per(verify),
        per(whole_gate),
        per(sign)
    );
    Ok(())
}

/// What measuring the security frame needs: a development PKI, a station's
/// ANPR-profile signer (BinarySecurityToken, messages fresh for an hour),
/// the station trust and the default policy.
pub struct Bench {
    _dir: tempfile::TempDir,
    pub pki: PkiDir,
    pub client: ClientSigner,
    pub trust: Trust,
    pub fingerprint: String,
    pub policy: Policy,
}

impl Bench {
    pub fn new(application: &str) -> anyhow::Result<Bench> {
        gate::init()?;
        let dir = tempfile::tempdir()?;
        let pki = PkiDir::new(dir.path().join("pki"));
        pki.init(&["localhost"], &[STATION.parse()?])?;
        let station_pem = read(&pki.station_cert(STATION))?;
        let station = SigningKey::from_pem(&station_pem, &read(&pki.station_key(STATION))?)?;
        let fingerprint = hex_sha256(&station.cert.to_der()?);
        let mut client = ClientSigner::anpr(
            station,
            STATION,
            Operator {
                codice_fiscale: urna_testkit::TEST_OPERATOR.into(),
                application: application.into(),
            },
        );
        client.key_info = KeyInfoForm::BinarySecurityToken;
        // The messages must stay fresh through every measurement.
        client.ttl_secs = 3600;
        let trust = Trust::new(&read(&pki.ca_cert())?, Some(&pki.crl()), Vec::new())
            .map_err(|e| anyhow::anyhow!("station trust: {e}"))?;
        Ok(Bench {
            _dir: dir,
            pki,
            client,
            trust,
            fingerprint,
            policy: Policy::default(),
        })
    }

    /// The security frame a gate thread of the server checks with.
    pub fn frame(&self, now: OffsetDateTime) -> Frame<'_> {
        Frame {
            policy: &self.policy,
            trust: &self.trust,
            tls: Some(TlsPeer {
                fingerprint_sha256: &self.fingerprint,
                cn: STATION,
            }),
            now,
        }
    }
}

fn hex_sha256(der: &[u8]) -> String {
    openssl::sha::sha256(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
