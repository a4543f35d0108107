//! PAdES baseline B-T: a seal whose signature value is time-stamped by an
//! RFC 3161 authority, here `openssl ts -reply` with its own CA (urna-cert
//! depends on none of urna's crates, so not urna-testkit's HTTP TSA: the
//! time-stamper closure runs `openssl ts` itself).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use der::{Decode, Encode};
use lopdf::{Document, Object};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use urna_cert::{verify_seal, CertError, CertificateDoc};

use crate::{find, pki};

/// A local time-stamping authority: a CA, a TSA certificate it issued
/// (extended key usage timeStamping, critical) and `openssl ts`'s
/// configuration, in a directory kept for the test process.
pub struct Tsa {
    dir: tempfile::TempDir,
    /// One `openssl ts -reply` at a time: they share the serial file.
    lock: Mutex<u32>,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn tsa() -> &'static Tsa {
    static TSA: OnceLock<Tsa> = OnceLock::new();
    TSA.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                "ca.crt", "-days", "2", "-subj", "/CN=urna-cert test TSA CA", "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        openssl(
            d,
            &[
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
                "-subj", "/CN=urna-cert test TSA",
            ],
        );
        std::fs::write(
            d.join("ext.cnf"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-set_serial", "2", "-days", "2", "-out", "tsa.crt", "-extfile", "ext.cnf",
            ],
        );
        std::fs::write(d.join("serial"), "01\n").unwrap();
        std::fs::write(
            d.join("tsa.cnf"),
            format!(
                "[tsa]\ndefault_tsa = tsa1\n[tsa1]\ndir = {}\nserial = $dir/serial\n\
                 crypto_device = builtin\nsigner_cert = $dir/tsa.crt\ncerts = $dir/ca.crt\n\
                 signer_key = $dir/tsa.key\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1\n\
                 digests = sha256\naccuracy = secs:1\nordering = yes\ntsa_name = yes\n\
                 ess_cert_id_chain = no\ness_cert_id_alg = sha256\n",
                d.display()
            ),
        )
        .unwrap();
        Tsa {
            dir,
            lock: Mutex::new(0),
        }
    })
}

impl Tsa {
    /// The CA's certificate (PEM): what a verifier trusts for time-stamps.
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    /// A DER TimeStampToken over SHA-256 of `bytes`, as a TSA answers a
    /// request that asks for its certificate. Without a nonce, so that
    /// every token has the same length (the moved-token test swaps two).
    pub fn stamp(&self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let mut n = self.lock.lock().unwrap();
        *n += 1;
        let d = self.dir.path();
        let (q, t) = (format!("q{n}.tsq"), format!("t{n}.der"));
        let digest = hex::encode(Sha256::digest(bytes));
        openssl(
            d,
            &[
                "ts",
                "-query",
                "-digest",
                &digest,
                "-sha256",
                "-cert",
                "-no_nonce",
                "-out",
                &q,
            ],
        );
        openssl(
            d,
            &[
                "ts",
                "-reply",
                "-config",
                "tsa.cnf",
                "-queryfile",
                &q,
                "-token_out",
                "-out",
                &t,
            ],
        );
        std::fs::read(d.join(&t)).map_err(|e| e.to_string())
    }
}

/// The example, rendered and sealed with a signature time-stamp.
pub fn stamped(d: &CertificateDoc) -> Vec<u8> {
    pki()
        .sealer
        .issue_timestamped(d, &|b| tsa().stamp(b))
        .unwrap()
}

/// The DER CMS in the `/Contents` of `pdf`'s signature, and the offset of
/// the `<` of `/Contents` in the file.
fn contents(pdf: &[u8]) -> (Vec<u8>, usize) {
    let doc = Document::load_mem(pdf).unwrap();
    let sig = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .find(|d| matches!(d.get(b"Type").and_then(Object::as_name), Ok(b"Sig")))
        .expect("a /Sig dictionary")
        .clone();
    let bytes = sig.get(b"Contents").unwrap().as_str().unwrap().to_vec();
    let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]])) + 4;
    let at = find(pdf, b"/Contents<").unwrap() + "/Contents".len();
    (bytes[..len].to_vec(), at)
}

/// The one SignerInfo of a CMS.
fn signer_of(cms_der: &[u8]) -> cms::signed_data::SignerInfo {
    let info = cms::content_info::ContentInfo::from_der(cms_der).unwrap();
    let data: cms::signed_data::SignedData = info.content.decode_as().unwrap();
    data.signer_infos.0.get(0).unwrap().clone()
}

/// The signature time-stamp token of a SignerInfo, as DER.
fn token_of(signer: &cms::signed_data::SignerInfo) -> Vec<u8> {
    let attrs = signer.unsigned_attrs.as_ref().expect("unsigned attributes");
    let attr = attrs
        .iter()
        .find(|a| a.oid.to_string() == "1.2.840.113549.1.9.16.2.14")
        .expect("id-aa-signatureTimeStampToken");
    assert_eq!(attr.values.len(), 1);
    attr.values.get(0).unwrap().to_der().unwrap()
}

/// `pdf` with its CMS `from` replaced by `to` (same length) in the hex of
/// `/Contents`.
fn replace_in_contents(pdf: &[u8], at: usize, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let (hex_from, hex_to) = (hex::encode_upper(from), hex::encode_upper(to));
    let start = find(&pdf[at..], hex_from.as_bytes()).expect("the bytes in /Contents") + at;
    let mut out = pdf.to_vec();
    out[start..start + hex_to.len()].copy_from_slice(hex_to.as_bytes());
    out
}

#[test]
fn a_time_stamped_seal_carries_a_token_over_its_signature_value() {
    let d = CertificateDoc::example();
    let before = OffsetDateTime::now_utc() - time::Duration::seconds(5);
    let pdf = stamped(&d);
    let after = OffsetDateTime::now_utc() + time::Duration::seconds(5);

    let info = verify_seal(&pdf, pki().ca_pem.as_bytes()).unwrap();
    assert_eq!(info.signed_at, d.issued_at, "/M is still the signing time");
    let ts = info.timestamp.expect("the time-stamp is reported");
    assert!(
        before <= ts && ts <= after,
        "{ts} not between {before} and {after}"
    );
    // A B-B seal has none.
    let plain = crate::sealed(&d);
    assert_eq!(
        verify_seal(&plain, pki().ca_pem.as_bytes())
            .unwrap()
            .timestamp,
        None
    );

    let (cms_der, _) = contents(&pdf);
    assert!(cms_der.len() <= pki().sealer.signature_space(true));
    eprintln!(
        "B-T: CMS {} bytes of {} reserved; file {} bytes (B-B {})",
        cms_der.len(),
        pki().sealer.signature_space(true),
        pdf.len(),
        plain.len()
    );
    let signer = signer_of(&cms_der);
    // The signed attributes are those of a B-B seal (the signature value
    // differs: the larger reservation moves the /ByteRange).
    let (plain_der, _) = contents(&plain);
    assert_eq!(
        signer.signed_attrs,
        signer_of(&plain_der).signed_attrs.map(|a| {
            a.into_vec()
                .into_iter()
                .map(|mut attr| {
                    // messageDigest is over other bytes too.
                    if attr.oid.to_string() == "1.2.840.113549.1.9.4" {
                        attr.values = signer
                            .signed_attrs
                            .as_ref()
                            .unwrap()
                            .iter()
                            .find(|a| a.oid == attr.oid)
                            .unwrap()
                            .values
                            .clone();
                    }
                    attr
                })
                .collect::<Vec<_>>()
                .try_into()
                .unwrap()
        })
    );
    // The token: a SignedData of a TSTInfo (id-ct-TSTInfo) whose imprint is
    // SHA-256 of the signature value.
    let token = token_of(&signer);
    let info = cms::content_info::ContentInfo::from_der(&token).unwrap();
    let data: cms::signed_data::SignedData = info.content.decode_as().unwrap();
    assert_eq!(
        data.encap_content_info.econtent_type.to_string(),
        "1.2.840.113549.1.9.16.1.4"
    );
    let tst = data.encap_content_info.econtent.unwrap().value().to_vec();
    let imprint = Sha256::digest(signer.signature.as_bytes());
    assert!(
        find(&tst, imprint.as_slice()).is_some(),
        "the TSTInfo holds SHA-256 of the signature value"
    );
    // The gap of /ByteRange is the larger reservation.
    let start = find(&pdf, b"/Contents<").unwrap() + "/Contents".len();
    let end = start + pdf[start..].iter().position(|b| *b == b'>').unwrap() + 1;
    assert_eq!(end - start, 2 * pki().sealer.signature_space(true) + 2);
}

#[test]
fn a_changed_or_moved_token_is_reported_and_a_failing_stamper_seals_nothing() {
    let d = CertificateDoc::example();
    let ca = pki().ca_pem.as_bytes();
    let pdf = stamped(&d);
    let (cms_der, at) = contents(&pdf);
    let token = token_of(&signer_of(&cms_der));

    // The last byte of the token is the last of the authority's signature:
    // the DER still parses, the token's signature no longer verifies. The
    // seal's own signature does not cover its unsigned attributes, so only
    // the token check sees it.
    let mut changed = token.clone();
    *changed.last_mut().unwrap() ^= 0x01;
    let t = replace_in_contents(&pdf, at, &token, &changed);
    match verify_seal(&t, ca) {
        Err(CertError::TimeStamp(why)) => assert!(why.contains("signature"), "{why}"),
        other => panic!("a changed token: {other:?}"),
    }

    // A valid token of another seal (same authority, same length): its
    // imprint is another signature's.
    let mut other = d.clone();
    other.holder.surname = "VERDI".into();
    let other_pdf = stamped(&other);
    let (other_der, _) = contents(&other_pdf);
    let other_token = token_of(&signer_of(&other_der));
    assert_eq!(other_token.len(), token.len(), "same shape of token");
    let moved = replace_in_contents(&pdf, at, &token, &other_token);
    match verify_seal(&moved, ca) {
        Err(CertError::TimeStamp(why)) => assert!(why.contains("imprint"), "{why}"),
        other => panic!("a moved token: {other:?}"),
    }

    // Sealing: a time-stamper that fails, or answers for other bytes,
    // makes no seal.
    let failing: urna_cert::TimeStamper<'_> = &|_| Err("connection refused".to_string());
    match pki().sealer.issue_timestamped(&d, failing) {
        Err(CertError::TimeStamp(why)) => assert!(why.contains("connection refused"), "{why}"),
        other => panic!("a failing time-stamper: {other:?}"),
    }
    let elsewhere: urna_cert::TimeStamper<'_> = &|_| tsa().stamp(b"other bytes");
    assert!(matches!(
        pki().sealer.issue_timestamped(&d, elsewhere),
        Err(CertError::TimeStamp(_))
    ));
    let junk: urna_cert::TimeStamper<'_> = &|_| Ok(b"not a token".to_vec());
    assert!(matches!(
        pki().sealer.issue_timestamped(&d, junk),
        Err(CertError::TimeStamp(_))
    ));
}
