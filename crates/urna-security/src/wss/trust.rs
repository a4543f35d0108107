//! Which signer certificates urna trusts: issued by the station CA (with its
//! CRLs), a station subject (`CN=<ISTAT>-<CO|PC>-<NNNN>`, `OU=Postazioni di
//! lavoro`), keyUsage digitalSignature. Results are cached per certificate
//! fingerprint for a short time, so a busy station costs one chain check a
//! minute, and a revocation is seen within that minute of a CRL reload.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openssl::nid::Nid;
use openssl::pkey::{PKey, Public};
use openssl::ssl::SslFiletype;
use openssl::stack::Stack;
use openssl::x509::store::{X509Lookup, X509Store, X509StoreBuilder};
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509StoreContext, X509VerifyResult, X509};

use urna_domain::StationId;

use super::{Reason, SecurityError};

/// How long a chain check result is reused.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Beyond this many fingerprints the cache is emptied (bounded memory).
const CACHE_MAX: usize = 10_000;

/// A trusted station signer (shared by every request thread; use
/// [`Signer::thread_cert`] for OpenSSL operations).
#[derive(Debug)]
pub struct Signer {
    pub cert: X509,
    pub key: PKey<Public>,
    /// The station its CN names (`<ISTAT>-<TT>-<NNNN>`).
    pub station: StationId,
    /// SHA-256 of the DER (hex).
    pub fingerprint: String,
    /// Subject, for messages.
    pub subject: String,
    /// DER of the certificate.
    pub der: Vec<u8>,
}

impl Signer {
    /// This thread's copy of the certificate and its public key.
    pub fn thread_cert(&self) -> Result<(X509, PKey<Public>), SecurityError> {
        super::per_thread::cert(&self.der).map_err(internal)
    }
}

type Cached = (Instant, Result<Arc<Signer>, SecurityError>);

/// The station CA, its CRLs and the registered stations.
pub struct Trust {
    store: X509Store,
    /// Registered station certificates by (issuer DN, decimal serial), for
    /// KeyInfo by X509IssuerSerial.
    by_issuer_serial: HashMap<(String, String), X509>,
    cache: Mutex<HashMap<[u8; 32], Cached>>,
    check_lock: Mutex<()>,
    /// IdPostazioneFirmato values already verified (per signer and value).
    cms_verified: Mutex<std::collections::HashSet<[u8; 32]>>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("registered", &self.by_issuer_serial.len())
            .finish()
    }
}

/// A distinguished name as `C=IT, O=…, CN=…` (in certificate order).
pub fn dn_string(name: &openssl::x509::X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn entries(name: &openssl::x509::X509NameRef, nid: Nid) -> Vec<String> {
    name.entries_by_nid(nid)
        .filter_map(|e| e.data().to_string().ok())
        .collect()
}

/// Normalises an issuer DN written by a client (X509IssuerName, RFC 2253
/// or openssl style) for comparison: attribute values in order, lower case.
fn dn_key(dn: &str) -> String {
    dn.split([',', '/'])
        .filter_map(|part| part.split_once('='))
        .map(|(_, v)| v.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join("|")
}

fn cert_dn_key(name: &openssl::x509::X509NameRef) -> String {
    // Clients write the DN most-specific first (RFC 2253); certificates hold
    // it root first. Compare as a set-ordered list in RFC 2253 order.
    let mut parts: Vec<String> = name
        .entries()
        .filter_map(|e| e.data().to_string().ok().map(|v| v.to_lowercase()))
        .collect();
    parts.reverse();
    parts.join("|")
}

impl Trust {
    /// The CA certificate(s) in `ca_pem`, the CRLs in the PEM file `crl`
    /// (checked for every chain when given), and the registered station
    /// certificates (for issuer-serial key references).
    pub fn new(ca_pem: &[u8], crl: Option<&Path>, registered: Vec<X509>) -> Result<Trust, String> {
        super::init_openssl();
        let mut b = X509StoreBuilder::new().map_err(|e| e.to_string())?;
        for ca in X509::stack_from_pem(ca_pem).map_err(|e| format!("CA certificate: {e}"))? {
            b.add_cert(ca).map_err(|e| e.to_string())?;
        }
        if let Some(crl) = crl {
            let lookup = b
                .add_lookup(X509Lookup::file())
                .map_err(|e| e.to_string())?;
            lookup
                .load_crl_file(crl, SslFiletype::PEM)
                .map_err(|e| format!("CRL {}: {e}", crl.display()))?;
            b.set_flags(X509VerifyFlags::CRL_CHECK)
                .map_err(|e| e.to_string())?;
        }
        let by_issuer_serial = registered
            .into_iter()
            .filter_map(|c| {
                let serial = c
                    .serial_number()
                    .to_bn()
                    .ok()?
                    .to_dec_str()
                    .ok()?
                    .to_string();
                Some(((cert_dn_key(c.issuer_name()), serial), c))
            })
            .collect();
        Ok(Trust {
            store: b.build(),
            by_issuer_serial,
            cache: Mutex::new(HashMap::new()),
            check_lock: Mutex::new(()),
            cms_verified: Mutex::new(std::collections::HashSet::new()),
        })
    }

    /// Whether this IdPostazioneFirmato check (`key`: hash of signer,
    /// IdPostazione and value) already succeeded: the value is the same on
    /// every request of a station, so its CMS is verified once.
    pub fn cms_known(&self, key: &[u8; 32]) -> bool {
        self.cms_verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(key)
    }

    pub fn cms_remember(&self, key: [u8; 32]) {
        let mut set = self.cms_verified.lock().unwrap_or_else(|p| p.into_inner());
        if set.len() >= CACHE_MAX {
            set.clear();
        }
        set.insert(key);
    }

    /// The registered station certificate with this issuer and serial.
    pub fn by_issuer_serial(&self, issuer: &str, serial_decimal: &str) -> Option<&X509> {
        self.by_issuer_serial
            .get(&(dn_key(issuer), serial_decimal.trim().to_string()))
    }

    /// Checks a signer certificate (DER): chain to the station CA, CRLs,
    /// validity, station subject, keyUsage.
    pub fn signer(&self, der: &[u8]) -> Result<Arc<Signer>, SecurityError> {
        let fp = openssl::sha::sha256(der);
        if let Some((at, r)) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&fp)
        {
            if at.elapsed() < CACHE_TTL {
                return r.clone();
            }
        }
        let r = self.check(der, &fp).map(Arc::new);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(fp, (Instant::now(), r.clone()));
        r
    }

    fn check(&self, der: &[u8], fp: &[u8; 32]) -> Result<Signer, SecurityError> {
        let cert = X509::from_der(der).map_err(|e| {
            SecurityError::new(
                Reason::KeyInfoUnsupported,
                format!("the signer certificate is not DER X.509: {e}"),
            )
        })?;
        let subject = dn_string(cert.subject_name());
        // The store (and its CA key) is shared: chain checks one at a time
        // (they are rare: results are cached per fingerprint).
        let _serial = self.check_lock.lock().unwrap_or_else(|p| p.into_inner());
        let chain = Stack::new().map_err(internal)?;
        let mut ctx = X509StoreContext::new().map_err(internal)?;
        let verdict = ctx
            .init(&self.store, &cert, &chain, |c| {
                Ok(if c.verify_cert()? {
                    None
                } else {
                    Some(c.error())
                })
            })
            .map_err(internal)?;
        if let Some(err) = verdict {
            return Err(chain_error(err, &subject));
        }
        let cn = entries(cert.subject_name(), Nid::COMMONNAME)
            .pop()
            .unwrap_or_default();
        let ous = entries(cert.subject_name(), Nid::ORGANIZATIONALUNITNAME);
        let Ok(station) = cn.parse::<StationId>() else {
            return Err(SecurityError::new(
                Reason::NotAStationCertificate,
                format!("signer {subject}: CN is not <ISTAT>-<CO|PC>-<NNNN>"),
            ));
        };
        if !ous.iter().any(|o| o == "Postazioni di lavoro") {
            return Err(SecurityError::new(
                Reason::NotAStationCertificate,
                format!("signer {subject}: no OU=Postazioni di lavoro"),
            ));
        }
        let (_, parsed) = x509_parser::parse_x509_certificate(der).map_err(|e| {
            SecurityError::new(Reason::KeyInfoUnsupported, format!("signer {subject}: {e}"))
        })?;
        match parsed.key_usage() {
            Ok(Some(ku)) if ku.value.digital_signature() => {}
            _ => {
                return Err(SecurityError::new(
                    Reason::NotAStationCertificate,
                    format!("signer {subject}: keyUsage lacks digitalSignature"),
                ))
            }
        }
        let key = cert.public_key().map_err(internal)?;
        if key.rsa().is_err() {
            return Err(SecurityError::new(
                Reason::AlgorithmNotAllowed,
                format!("signer {subject}: the key is not RSA (RSA-SHA1/RSA-SHA256 only)"),
            ));
        }
        Ok(Signer {
            cert,
            key,
            der: der.to_vec(),
            station,
            fingerprint: hex::encode(fp),
            subject,
        })
    }
}

fn internal(e: openssl::error::ErrorStack) -> SecurityError {
    SecurityError::new(
        Reason::UntrustedCertificate,
        format!("certificate check failed: {e}"),
    )
}

fn chain_error(err: X509VerifyResult, subject: &str) -> SecurityError {
    // X509_V_ERR_* numbers (openssl/x509_vfy.h).
    const CERT_NOT_YET_VALID: i32 = 9;
    const CERT_HAS_EXPIRED: i32 = 10;
    const CERT_REVOKED: i32 = 23;
    let reason = match err.as_raw() {
        CERT_NOT_YET_VALID | CERT_HAS_EXPIRED => Reason::CertificateExpired,
        CERT_REVOKED => Reason::CertificateRevoked,
        _ => Reason::UntrustedCertificate,
    };
    SecurityError::new(reason, format!("signer {subject}: {}", err.error_string()))
}
