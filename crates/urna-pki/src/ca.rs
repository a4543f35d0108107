//! The in-memory certificate authority and the certificates it issues.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevokedCertParams, RsaKeySize, SerialNumber, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use urna_domain::StationId;

use crate::{PkiError, ORGANIZATION, OU_ANPR, OU_ANPR_LONG, OU_POSTAZIONI};

/// Validity of the CA certificate, in years from now.
const CA_VALIDITY_YEARS: i32 = 10;
/// Validity of the TLS server certificate, in years from now.
const SERVER_VALIDITY_YEARS: i32 = 5;
/// Validity of station certificates, in years from now (ANPR issues 6-year certificates).
const STATION_VALIDITY_YEARS: i32 = 6;
/// How far in the past issued certificates start to be valid, to tolerate clock skew.
const BACKDATE: Duration = Duration::hours(1);
/// `nextUpdate` of a CRL, from now.
const CRL_NEXT_UPDATE: Duration = Duration::days(30);

/// OID of `organizationalUnitName` (2.5.4.11). rcgen's [`DistinguishedName`] holds one
/// value per attribute type, so the second `OU` of station subjects is pushed as a
/// "custom" type carrying the same OID.
const OID_OU: [u64; 4] = [2, 5, 4, 11];

/// A certificate authority held in memory (certificate + private key, both PEM).
///
/// Keys are ECDSA P-256 (see the crate documentation: ANPR uses RSA 2048).
pub struct Ca {
    cert_pem: String,
    key_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl fmt::Debug for Ca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ca")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"[elided]")
            .finish()
    }
}

/// An issued certificate with its private key (PKCS#8 PEM) and serial number.
#[derive(Clone, PartialEq, Eq)]
pub struct Issued {
    /// The certificate, PEM (`CERTIFICATE`).
    pub cert_pem: String,
    /// The private key, PKCS#8 PEM (`PRIVATE KEY`).
    pub key_pem: String,
    /// The serial number, lowercase hex without separators or leading zero bytes
    /// (the form [`Ca::crl_pem`] and [`crate::StationCert::serial_hex`] use).
    pub serial_hex: String,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"[elided]")
            .field("serial_hex", &self.serial_hex)
            .finish()
    }
}

impl Ca {
    /// A new self-signed CA: subject `CN=<common_name>, OU=ANPR, O=Ministero dell'Interno,
    /// C=IT` (e.g. `common_name` = [`crate::DEV_CA_COMMON_NAME`]), valid from one hour ago
    /// to 10 years from now, basicConstraints `CA:true, pathlen:0` and keyUsage
    /// `keyCertSign, cRLSign, digitalSignature` (cRLSign lets rustls/webpki accept its CRLs).
    pub fn generate(common_name: &str) -> Result<Ca, PkiError> {
        let now = OffsetDateTime::now_utc();
        let key = new_key()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(&[
            (DnType::OrganizationalUnitName, OU_ANPR),
            (DnType::CommonName, common_name),
        ]);
        params.not_before = now - BACKDATE;
        params.not_after = add_years(now, CA_VALIDITY_YEARS);
        params.serial_number = Some(new_serial(&key));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key)?;
        Ok(Ca {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads a CA from PEM strings (certificate, private key) as returned by
    /// [`Ca::cert_pem`] / [`Ca::key_pem`]. Checks that the certificate is a CA and that
    /// the key is its key.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Ca, PkiError> {
        let ders = crate::pem_certs_to_der(cert_pem)?;
        let der = ders
            .first()
            .ok_or_else(|| PkiError::Pem("no certificate".into()))?;
        let (_, x509) =
            x509_parser::parse_x509_certificate(der).map_err(|e| PkiError::Parse(e.to_string()))?;
        let subject = x509.subject().to_string();
        match x509.basic_constraints() {
            Ok(Some(bc)) if bc.value.ca => {}
            Ok(_) => return Err(PkiError::NotACa(format!("{subject} has no CA:true"))),
            Err(e) => return Err(PkiError::Parse(e.to_string())),
        }
        let key = KeyPair::from_pem(key_pem).map_err(|e| PkiError::Key(e.to_string()))?;
        if x509.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return Err(PkiError::Key(format!(
                "the private key does not match the public key of {subject}"
            )));
        }
        let issuer = Issuer::from_ca_cert_der(&der.as_slice().into(), key)?;
        Ok(Ca {
            cert_pem: cert_pem.to_string(),
            key_pem: key_pem.to_string(),
            issuer,
        })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The CA private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The CA certificate, DER.
    pub fn cert_der(&self) -> Result<Vec<u8>, PkiError> {
        crate::pem_certs_to_der(&self.cert_pem)?
            .into_iter()
            .next()
            .ok_or_else(|| PkiError::Pem("no certificate".into()))
    }

    /// A TLS server certificate (extendedKeyUsage `serverAuth`) for the given DNS names
    /// and IP addresses (strings such as `"localhost"`, `"127.0.0.1"`, `"::1"`), all put
    /// in subjectAltName; the first one is also the subject CN. Valid from one hour ago to
    /// 5 years from now.
    pub fn issue_server(&self, names: &[&str]) -> Result<Issued, PkiError> {
        let first = names
            .first()
            .ok_or_else(|| PkiError::InvalidName("no server name given".into()))?;
        if let Some(bad) = names.iter().find(|n| !is_dns_name_or_ip(n)) {
            return Err(PkiError::InvalidName(format!(
                "{bad:?} is neither a DNS name nor an IP address"
            )));
        }
        let sans: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(sans)
            .map_err(|e| PkiError::InvalidName(format!("{names:?}: {e}")))?;
        params.distinguished_name = dn(&[
            (DnType::OrganizationalUnitName, OU_ANPR),
            (DnType::CommonName, first),
        ]);
        let now = OffsetDateTime::now_utc();
        params.not_before = now - BACKDATE;
        params.not_after = add_years(now, SERVER_VALIDITY_YEARS);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params)
    }

    /// A station certificate for `station`, valid from `not_before` to `not_after`
    /// (written as given, at one-second precision, even if already expired).
    ///
    /// Subject `CN=<station>, OU=Postazioni di lavoro, OU=Anagrafe Nazionale Popolazione
    /// Residente, O=Ministero dell'Interno, C=IT`; basicConstraints `CA:false` (critical),
    /// keyUsage `digitalSignature` (critical), extendedKeyUsage `clientAuth`.
    pub fn issue_station(
        &self,
        station: &StationId,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Issued, PkiError> {
        if not_before >= not_after {
            return Err(PkiError::InvalidValidity {
                not_before,
                not_after,
            });
        }
        let cn = station.cn();
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(&[
            (DnType::OrganizationalUnitName, OU_ANPR_LONG),
            (DnType::CustomDnType(OID_OU.to_vec()), OU_POSTAZIONI),
            (DnType::CommonName, &cn),
        ]);
        params.not_before = not_before;
        params.not_after = not_after;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue_with(params, rsa_key(&cn)?)
    }

    /// urna's service signing certificate (RSA 2048, keyUsage
    /// `digitalSignature`): the key that signs every response
    /// (docs/security.md, "Signed responses").
    /// Subject `CN=urna service signing, OU=ANPR, O=Ministero dell'Interno, C=IT`,
    /// valid from one hour ago to 5 years from now.
    pub fn issue_service_signer(&self) -> Result<Issued, PkiError> {
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(&[
            (DnType::OrganizationalUnitName, OU_ANPR),
            (DnType::CommonName, SERVICE_SIGNER_CN),
        ]);
        params.not_before = now - BACKDATE;
        params.not_after = add_years(now, SERVER_VALIDITY_YEARS);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        self.issue_with(params, rsa_key(SERVICE_SIGNER_CN)?)
    }

    /// urna's electronic seal certificate ("sigillo elettronico"): the key that
    /// seals the electoral certificates (crate `urna-cert`). RSA 2048, keyUsage
    /// (critical) `digitalSignature` and `nonRepudiation` (contentCommitment),
    /// the bits a seal needs; no extendedKeyUsage, which would restrict it
    /// (OpenSSL's CMS check refuses an EKU without emailProtection).
    /// Subject `CN=urna sigillo elettronico (sviluppo), OU=ANPR,
    /// O=Ministero dell'Interno, C=IT`, valid from one hour ago to 5 years from now.
    pub fn issue_seal(&self) -> Result<Issued, PkiError> {
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(&[
            (DnType::OrganizationalUnitName, OU_ANPR),
            (DnType::CommonName, SEAL_CN),
        ]);
        params.not_before = now - BACKDATE;
        params.not_after = add_years(now, SERVER_VALIDITY_YEARS);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        self.issue_with(params, rsa_key(SEAL_CN)?)
    }

    /// [`Ca::issue_station`] with ANPR's validity: from one hour ago to 6 years from now.
    pub fn issue_station_default(&self, station: &StationId) -> Result<Issued, PkiError> {
        let now = OffsetDateTime::now_utc();
        self.issue_station(
            station,
            now - BACKDATE,
            add_years(now, STATION_VALIDITY_YEARS),
        )
    }

    /// A CRL (PEM, `X509 CRL`) signed by this CA revoking the given serial numbers
    /// (hex as in [`Issued::serial_hex`]; `:` separators, upper case and leading zeros are
    /// tolerated, duplicates are dropped). thisUpdate and the revocation dates are now,
    /// nextUpdate is 30 days from now; the CRL number increases with time.
    pub fn crl_pem(&self, revoked_serials_hex: &[String]) -> Result<String, PkiError> {
        let now = OffsetDateTime::now_utc();
        let mut serials: Vec<Vec<u8>> = Vec::with_capacity(revoked_serials_hex.len());
        for s in revoked_serials_hex {
            let bytes = parse_serial(s)?;
            if !serials.contains(&bytes) {
                serials.push(bytes);
            }
        }
        let crl_number = u128::try_from(now.unix_timestamp_nanos()).unwrap_or(0);
        let params = CertificateRevocationListParams {
            this_update: now,
            next_update: now + CRL_NEXT_UPDATE,
            crl_number: SerialNumber::from_slice(&crl_number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(s),
                    revocation_time: now,
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.pem()?)
    }

    fn issue(&self, params: CertificateParams) -> Result<Issued, PkiError> {
        self.issue_with(params, new_key()?)
    }

    fn issue_with(&self, mut params: CertificateParams, key: KeyPair) -> Result<Issued, PkiError> {
        let serial = new_serial(&key);
        let serial_hex = hex::encode(serial.to_bytes());
        params.serial_number = Some(serial);
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            serial_hex,
        })
    }
}

/// An IP address, or a DNS name (LDH labels of 1 to 63 characters, at most 253 in all,
/// optionally starting with the wildcard label `*`).
fn is_dns_name_or_ip(name: &str) -> bool {
    if name.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = name.strip_prefix("*.").unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A fresh key pair (ECDSA P-256).
fn new_key() -> Result<KeyPair, PkiError> {
    Ok(KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?)
}

/// Subject CN of the service signing certificate.
pub const SERVICE_SIGNER_CN: &str = "urna service signing";

/// Subject CN of the electronic seal certificate ([`Ca::issue_seal`]).
pub const SEAL_CN: &str = "urna sigillo elettronico (sviluppo)";

/// An RSA 2048 key for `owner` (a station CN, or the service signer). RSA
/// generation takes tens of milliseconds, so within one process the key of
/// an owner is generated once and reused by later certificates of that
/// owner (test suites build many development PKIs); certificates, serial
/// numbers and CAs are always new.
fn rsa_key(owner: &str) -> Result<KeyPair, PkiError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static KEYS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| Mutex::new(HashMap::new()));
    let cached = keys
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(owner)
        .cloned();
    if let Some(pem) = cached {
        return Ok(KeyPair::from_pem_and_sign_algo(&pem, &PKCS_RSA_SHA256)?);
    }
    let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)?;
    keys.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(owner.to_string(), key.serialize_pem());
    Ok(key)
}

/// A 16-byte positive serial number without a leading zero byte, derived from the
/// (fresh) public key, the time and a process-wide counter.
fn new_serial(key: &KeyPair) -> SerialNumber {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = Sha256::new();
    h.update(key.public_key_raw());
    h.update(
        OffsetDateTime::now_utc()
            .unix_timestamp_nanos()
            .to_be_bytes(),
    );
    h.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    let mut bytes = h.finalize()[..16].to_vec();
    // Positive (top bit clear) and never starting with a zero byte.
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    SerialNumber::from_slice(&bytes)
}

/// `C=IT, O=Ministero dell'Interno` followed by `rest`, in DER order (the RFC 4514 string
/// reads it backwards: `CN=…, OU=…, O=…, C=IT`).
fn dn(rest: &[(DnType, &str)]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("IT".try_into().expect("printable")),
    );
    dn.push(DnType::OrganizationName, ORGANIZATION);
    for (ty, value) in rest {
        dn.push(ty.clone(), *value);
    }
    dn
}

/// `dt` plus `years` calendar years (29 February becomes 28 February when needed).
pub(crate) fn add_years(dt: OffsetDateTime, years: i32) -> OffsetDateTime {
    let year = dt.year() + years;
    dt.replace_year(year)
        .or_else(|_| dt.replace_day(28).and_then(|d| d.replace_year(year)))
        .unwrap_or(dt + Duration::days(365 * i64::from(years)))
}

/// Normalises a hex serial: drops `:` separators and whitespace, accepts upper case,
/// strips leading zero bytes.
pub(crate) fn parse_serial(s: &str) -> Result<Vec<u8>, PkiError> {
    let mut digits: String = s
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if digits.is_empty() {
        return Err(PkiError::InvalidSerial(s.to_string()));
    }
    if digits.len() % 2 == 1 {
        digits.insert(0, '0');
    }
    let bytes = hex::decode(&digits).map_err(|_| PkiError::InvalidSerial(s.to_string()))?;
    Ok(strip_leading_zeros(&bytes).to_vec())
}

/// Serial bytes without leading zero bytes (at least one byte kept).
pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[first..]
}

/// Canonical serial hex: lowercase, no separators, no leading zero bytes.
pub(crate) fn serial_hex(bytes: &[u8]) -> String {
    hex::encode(strip_leading_zeros(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::datetime;
    use x509_parser::prelude::{parse_x509_certificate, parse_x509_crl};

    fn station(cn: &str) -> StationId {
        cn.parse().unwrap()
    }

    fn der(pem: &str) -> Vec<u8> {
        crate::pem_certs_to_der(pem).unwrap().remove(0)
    }

    #[test]
    fn generate_ca() {
        let ca = Ca::generate("CA Postazioni Svil").unwrap();
        assert!(ca.cert_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(ca.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
        let der = der(ca.cert_pem());
        let (_, x) = parse_x509_certificate(&der).unwrap();
        assert_eq!(
            x.subject().to_string(),
            "C=IT, O=Ministero dell'Interno, OU=ANPR, CN=CA Postazioni Svil"
        );
        assert_eq!(x.subject(), x.issuer());
        assert!(x.basic_constraints().unwrap().unwrap().value.ca);
        let ku = x.key_usage().unwrap().unwrap().value;
        assert!(ku.key_cert_sign() && ku.crl_sign());
        let years = (x.validity().not_after.to_datetime() - OffsetDateTime::now_utc()).whole_days();
        assert!((3650..=3655).contains(&years), "{years}");
    }

    #[test]
    fn ca_round_trips_through_pem() {
        let ca = Ca::generate("CA Postazioni Svil").unwrap();
        let again = Ca::from_pem(ca.cert_pem(), ca.key_pem()).unwrap();
        let issued = again
            .issue_station_default(&station("058091-PC-0001"))
            .unwrap();
        let der = der(&issued.cert_pem);
        let (_, x) = parse_x509_certificate(&der).unwrap();
        let ca_der = ca.cert_der().unwrap();
        let (_, cax) = parse_x509_certificate(&ca_der).unwrap();
        assert_eq!(x.issuer(), cax.subject());
        // A CRL is accepted from the reloaded CA too.
        again.crl_pem(&[issued.serial_hex]).unwrap();
    }

    #[test]
    fn from_pem_rejects_foreign_key_and_leaf() {
        let a = Ca::generate("A").unwrap();
        let b = Ca::generate("B").unwrap();
        assert!(matches!(
            Ca::from_pem(a.cert_pem(), b.key_pem()),
            Err(PkiError::Key(_))
        ));
        let leaf = a.issue_station_default(&station("058091-PC-0001")).unwrap();
        assert!(matches!(
            Ca::from_pem(&leaf.cert_pem, &leaf.key_pem),
            Err(PkiError::NotACa(_))
        ));
        assert!(Ca::from_pem("garbage", a.key_pem()).is_err());
    }

    #[test]
    fn issue_station_extensions() {
        let ca = Ca::generate("CA Postazioni Svil").unwrap();
        let issued = ca
            .issue_station_default(&station("058091-CO-9999"))
            .unwrap();
        assert!(issued.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let der = der(&issued.cert_pem);
        let (_, x) = parse_x509_certificate(&der).unwrap();
        assert_eq!(
            x.subject().to_string(),
            "C=IT, O=Ministero dell'Interno, OU=Anagrafe Nazionale Popolazione Residente, \
             OU=Postazioni di lavoro, CN=058091-CO-9999"
        );
        assert_eq!(
            x.issuer().to_string(),
            "C=IT, O=Ministero dell'Interno, OU=ANPR, CN=CA Postazioni Svil"
        );
        let bc = x.basic_constraints().unwrap().unwrap();
        assert!(bc.critical && !bc.value.ca);
        let ku = x.key_usage().unwrap().unwrap();
        assert!(ku.critical && ku.value.digital_signature() && !ku.value.key_cert_sign());
        let eku = x.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        assert_eq!(hex::encode(x.raw_serial()), issued.serial_hex);
        let days = (x.validity().not_after.to_datetime() - OffsetDateTime::now_utc()).whole_days();
        assert!((6 * 365..=6 * 365 + 2).contains(&days), "{days}");
        assert!(x.validity().not_before.to_datetime() < OffsetDateTime::now_utc());
    }

    #[test]
    fn validity_is_written_as_given_even_if_expired() {
        let ca = Ca::generate("CA Postazioni Svil").unwrap();
        let nb = datetime!(2019-01-01 00:00:00 UTC);
        let na = datetime!(2020-06-30 12:34:56 UTC);
        let issued = ca
            .issue_station(&station("058091-PC-0002"), nb, na)
            .unwrap();
        let der = der(&issued.cert_pem);
        let (_, x) = parse_x509_certificate(&der).unwrap();
        assert_eq!(x.validity().not_before.to_datetime(), nb);
        assert_eq!(x.validity().not_after.to_datetime(), na);
        assert!(!x.validity().is_valid());
        // Far-future dates use GeneralizedTime and are kept too.
        let na = datetime!(2051-03-01 00:00:00 UTC);
        let issued = ca
            .issue_station(&station("058091-PC-0002"), nb, na)
            .unwrap();
        let der = crate::pem_certs_to_der(&issued.cert_pem).unwrap().remove(0);
        assert_eq!(crate::station_cert(&der).unwrap().not_after, na);
        assert!(matches!(
            ca.issue_station(&station("058091-PC-0002"), na, nb),
            Err(PkiError::InvalidValidity { .. })
        ));
    }

    #[test]
    fn serials_are_distinct() {
        let ca = Ca::generate("CA").unwrap();
        let s = station("058091-PC-0001");
        let a = ca.issue_station_default(&s).unwrap();
        let b = ca.issue_station_default(&s).unwrap();
        assert_ne!(a.serial_hex, b.serial_hex);
        assert_eq!(a.serial_hex.len(), 32);
        assert_eq!(a.serial_hex, a.serial_hex.to_ascii_lowercase());
    }

    #[test]
    fn issue_server_sans() {
        let ca = Ca::generate("CA Postazioni Svil").unwrap();
        let issued = ca.issue_server(&["localhost", "127.0.0.1"]).unwrap();
        let der = der(&issued.cert_pem);
        let (_, x) = parse_x509_certificate(&der).unwrap();
        let san = x.subject_alternative_name().unwrap().unwrap().value;
        let names: Vec<String> = san.general_names.iter().map(|g| g.to_string()).collect();
        assert_eq!(names, ["DNSName(localhost)", "IPAddress(7f:00:00:01)"]);
        let eku = x.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && !eku.client_auth);
        assert!(!x.basic_constraints().unwrap().unwrap().value.ca);
        assert!(matches!(
            ca.issue_server(&[]),
            Err(PkiError::InvalidName(_))
        ));
        for bad in ["not a name!", "", "a..b", "-a.example", "localhost\n"] {
            assert!(
                matches!(
                    ca.issue_server(&["localhost", bad]),
                    Err(PkiError::InvalidName(_))
                ),
                "{bad:?}"
            );
        }
        ca.issue_server(&["*.example.it", "::1", "urna-dev"])
            .unwrap();
    }

    #[test]
    fn crl_lists_serials() {
        let ca = Ca::generate("CA Postazioni Svil").unwrap();
        let a = ca
            .issue_station_default(&station("058091-PC-0001"))
            .unwrap();
        let pem = ca
            .crl_pem(&[
                a.serial_hex.to_uppercase(),
                a.serial_hex.clone(),
                "00:0a".into(),
            ])
            .unwrap();
        assert!(pem.starts_with("-----BEGIN X509 CRL-----"));
        let der = crate::pem_crls_to_der(&pem).unwrap().remove(0);
        let (_, crl) = parse_x509_crl(&der).unwrap();
        let listed: Vec<String> = crl
            .iter_revoked_certificates()
            .map(|r| serial_hex(r.raw_serial()))
            .collect();
        assert_eq!(listed, [a.serial_hex.clone(), "0a".to_string()]);
        assert!(ca.crl_pem(&["xyz".into()]).is_err());
        let empty = ca.crl_pem(&[]).unwrap();
        let der = crate::pem_crls_to_der(&empty).unwrap().remove(0);
        let (_, crl) = parse_x509_crl(&der).unwrap();
        assert_eq!(crl.iter_revoked_certificates().count(), 0);
        let next = crl.next_update().unwrap().to_datetime();
        assert_eq!((next - crl.last_update().to_datetime()).whole_days(), 30);
    }

    #[test]
    fn issue_seal_extensions() {
        let ca = Ca::generate("CA Postazioni Svil").unwrap();
        let issued = ca.issue_seal().unwrap();
        let der = der(&issued.cert_pem);
        let (_, x) = parse_x509_certificate(&der).unwrap();
        assert_eq!(
            x.subject().to_string(),
            "C=IT, O=Ministero dell'Interno, OU=ANPR, CN=urna sigillo elettronico (sviluppo)"
        );
        assert_eq!(
            x.public_key().algorithm.algorithm,
            x509_parser::oid_registry::OID_PKCS1_RSAENCRYPTION
        );
        let ku = x.key_usage().unwrap().unwrap();
        assert!(ku.critical);
        let ku = ku.value;
        assert!(ku.digital_signature() && ku.non_repudiation() && !ku.key_cert_sign());
        assert!(x.extended_key_usage().unwrap().is_none());
        assert!(!x.basic_constraints().unwrap().unwrap().value.ca);
        assert_eq!(hex::encode(x.raw_serial()), issued.serial_hex);
    }

    #[test]
    fn add_years_handles_leap_day() {
        assert_eq!(
            add_years(datetime!(2024-02-29 10:00 UTC), 1),
            datetime!(2025-02-28 10:00 UTC)
        );
        assert_eq!(
            add_years(datetime!(2024-03-01 10:00 UTC), 6),
            datetime!(2030-03-01 10:00 UTC)
        );
    }
}
