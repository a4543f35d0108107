//! The WS-Security verifier never panics on any mutation of a genuinely
//! signed request. The request is signed once per process with a fresh
//! development PKI, and checked at its signing time, so mutations reach the
//! digests, signatures and binding rules instead of stopping at the clock.
//! Input: 4 bytes of position, then bytes written over the signed text there.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use urna_security::gate::{self, Frame};
use urna_security::wss::{ClientSigner, Operator, Policy, SigningKey, Trust};
use urna_wire::build::{self, Testata};

const STATION: &str = "058091-PC-0001";

struct Fixture {
    trust: Trust,
    signed: Vec<u8>,
    at: OffsetDateTime,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        urna_security::wss::init_openssl();
        let dir = tempfile::tempdir().unwrap();
        let pki = urna_pki::PkiDir::new(dir.path().join("pki"));
        pki.init(&["localhost"], &[STATION.parse().unwrap()]).unwrap();
        let trust = Trust::new(&std::fs::read(pki.ca_cert()).unwrap(), Some(&pki.crl()), vec![])
            .unwrap();
        let key = SigningKey::from_pem(
            &std::fs::read(pki.station_cert(STATION)).unwrap(),
            &std::fs::read(pki.station_key(STATION)).unwrap(),
        )
        .unwrap();
        let signer = ClientSigner::anpr(
            key,
            STATION,
            Operator { codice_fiscale: "RSSMRA80A01H501U".into(), application: "fuzz".into() },
        );
        let at = OffsetDateTime::now_utc();
        let t = Testata::new("FUZZ1", "058091", "3008", "2026-11-25T10:00:00Z");
        let request = build::richiesta3008(&t, &build::comune("ROMA", "058091", "RM"), Some("1"), "1");
        let signed = signer.sign(&request, at).unwrap().into_bytes();
        Fixture { trust, signed, at, _dir: dir }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let policy = Policy::default();
    let frame = Frame { policy: &policy, trust: &f.trust, tls: None, now: f.at };
    if data.len() < 4 {
        // The unmodified request is accepted: the fixture is sound.
        assert!(gate::check_with(&f.signed, 3000, Some(&frame)).is_ok());
        return;
    }
    let pos = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize % f.signed.len();
    let patch = &data[4..];
    let mut doc = f.signed[..pos].to_vec();
    doc.extend_from_slice(patch);
    doc.extend_from_slice(&f.signed[(pos + patch.len()).min(f.signed.len())..]);
    let _ = gate::check_with(&doc, 3000, Some(&frame));
});
