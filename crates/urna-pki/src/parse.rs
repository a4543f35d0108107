//! Reading certificates: PEM helpers and the station identity of a client certificate.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use urna_domain::StationId;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::pem::Pem;
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

use crate::ca::serial_hex;
use crate::{PkiError, OU_POSTAZIONI};

/// What urna reads from a station certificate presented by a client
/// (docs/security.md, "Station certificates").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationCert {
    /// The identity in the subject CN (`<ISTAT>-<CO|PC>-<NNNN>`).
    pub station: StationId,
    /// The subject as an RFC 4514 string, most specific attribute first, e.g.
    /// `CN=058091-PC-0001,OU=Postazioni di lavoro,OU=Anagrafe Nazionale Popolazione
    /// Residente,O=Ministero dell'Interno,C=IT`.
    pub subject: String,
    /// SHA-256 of the certificate DER, lowercase hex (64 digits, no separators).
    pub fingerprint_sha256: String,
    /// Serial number, lowercase hex without separators or leading zero bytes
    /// (as in [`crate::Issued::serial_hex`]).
    pub serial_hex: String,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

/// Parses a DER certificate and extracts the station identity from its subject.
///
/// Fails with [`PkiError::Parse`] if the DER is not a certificate, and with
/// [`PkiError::NotAStation`] (with a message saying what is wrong) if the subject has no CN
/// or several, if the CN does not have the form `<ISTAT>-<CO|PC>-<NNNN>`, or if the
/// subject lacks `OU=Postazioni di lavoro`. Validity dates, issuer and signature are
/// **not** checked here (that is the TLS layer's job).
pub fn station_cert(der: &[u8]) -> Result<StationCert, PkiError> {
    let (rest, x509) =
        x509_parser::parse_x509_certificate(der).map_err(|e| PkiError::Parse(e.to_string()))?;
    if !rest.is_empty() {
        return Err(PkiError::Parse(format!(
            "{} trailing bytes after the certificate",
            rest.len()
        )));
    }
    let subject_name = x509.subject();
    let subject = rfc4514(subject_name);
    let cns: Vec<_> = subject_name.iter_common_name().collect();
    let cn = match cns.as_slice() {
        [] => {
            return Err(PkiError::NotAStation(format!(
                "subject {subject:?} has no CN"
            )))
        }
        [cn] => cn.as_str().map_err(|_| {
            PkiError::NotAStation(format!("subject {subject:?}: the CN is not a text string"))
        })?,
        _ => {
            return Err(PkiError::NotAStation(format!(
                "subject {subject:?} has {} CN attributes, expected one",
                cns.len()
            )))
        }
    };
    let station: StationId = cn.parse().map_err(|_| {
        PkiError::NotAStation(format!(
            "CN {cn:?} does not have the form <ISTAT>-<CO|PC>-<NNNN> (e.g. 058091-PC-0001)"
        ))
    })?;
    let has_ou = subject_name
        .iter_organizational_unit()
        .any(|ou| ou.as_str() == Ok(OU_POSTAZIONI));
    if !has_ou {
        return Err(PkiError::NotAStation(format!(
            "subject {subject:?} lacks OU={OU_POSTAZIONI}"
        )));
    }
    Ok(StationCert {
        station,
        subject,
        fingerprint_sha256: hex::encode(Sha256::digest(der)),
        serial_hex: serial_hex(x509.raw_serial()),
        not_after: x509.validity().not_after.to_datetime(),
    })
}

/// [`station_cert`] on the first certificate of a PEM string.
pub fn station_cert_pem(pem: &str) -> Result<StationCert, PkiError> {
    let ders = pem_certs_to_der(pem)?;
    station_cert(&ders[0])
}

/// The DER of every `CERTIFICATE` block of a PEM bundle, in order (other blocks, e.g.
/// keys, are skipped). Fails if a block is malformed or if there is no certificate.
pub fn pem_certs_to_der(pem: &str) -> Result<Vec<Vec<u8>>, PkiError> {
    pem_blocks(pem, "CERTIFICATE")
}

/// The DER of every `X509 CRL` block of a PEM string, in order. Fails if a block is
/// malformed or if there is no CRL.
pub fn pem_crls_to_der(pem: &str) -> Result<Vec<Vec<u8>>, PkiError> {
    pem_blocks(pem, "X509 CRL")
}

fn pem_blocks(pem: &str, label: &str) -> Result<Vec<Vec<u8>>, PkiError> {
    let mut out = Vec::new();
    for block in Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| PkiError::Pem(e.to_string()))?;
        if block.label == label {
            out.push(block.contents);
        }
    }
    if out.is_empty() {
        return Err(PkiError::Pem(format!("no {label} block found")));
    }
    Ok(out)
}

/// RFC 4514 string of a name: RDNs in reverse DER order separated by `,`, multi-valued
/// RDNs joined by `+`, usual short names (CN, OU, O, C, L, ST, STREET, DC, UID) and dotted
/// OIDs otherwise, special characters backslash-escaped; values that are not strings
/// are written `#<hex of the value bytes>`.
pub(crate) fn rfc4514(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter()
        .map(|rdn| rdn.iter().map(attribute).collect::<Vec<_>>().join("+"))
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn attribute(attr: &AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type().to_id_string();
    let key = match oid.as_str() {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        other => other,
    };
    let value = attr.attr_value();
    let text = match attr.as_str() {
        Ok(s) => Some(s.to_string()),
        Err(_) if value.tag() == Tag::BmpString => {
            let units: Vec<u16> = value
                .data
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Err(_) => None,
    };
    match text {
        Some(s) => format!("{key}={}", escape(&s)),
        None => format!("{key}=#{}", hex::encode(value.data)),
    }
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ca;
    use rcgen::{CertificateParams, DnType, KeyPair};
    use urna_domain::ids::StationKind;

    fn ca() -> Ca {
        Ca::generate("CA Postazioni Svil").unwrap()
    }

    /// A certificate with an arbitrary subject, signed by nobody in particular.
    fn self_signed(subject: &[(DnType, &str)]) -> Vec<u8> {
        let mut params = CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        for (ty, v) in subject {
            params.distinguished_name.push(ty.clone(), *v);
        }
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn parses_a_station_certificate() {
        let ca = ca();
        let id: StationId = "058091-PC-0001".parse().unwrap();
        let issued = ca.issue_station_default(&id).unwrap();
        let der = pem_certs_to_der(&issued.cert_pem).unwrap().remove(0);
        let sc = station_cert(&der).unwrap();
        assert_eq!(sc.station, id);
        assert_eq!(sc.station.kind, StationKind::Pc);
        assert_eq!(
            sc.subject,
            "CN=058091-PC-0001,OU=Postazioni di lavoro,\
             OU=Anagrafe Nazionale Popolazione Residente,O=Ministero dell'Interno,C=IT"
        );
        assert_eq!(sc.serial_hex, issued.serial_hex);
        assert_eq!(sc.fingerprint_sha256.len(), 64);
        assert_eq!(sc.fingerprint_sha256, hex::encode(Sha256::digest(&der)));
        assert_eq!(
            sc.fingerprint_sha256,
            sc.fingerprint_sha256.to_ascii_lowercase()
        );
        assert!(sc.not_after > OffsetDateTime::now_utc());
        assert_eq!(station_cert_pem(&issued.cert_pem).unwrap(), sc);
    }

    #[test]
    fn refuses_non_station_cn() {
        let ca = ca();
        // The server certificate: CN=localhost.
        let server = ca.issue_server(&["localhost"]).unwrap();
        let der = pem_certs_to_der(&server.cert_pem).unwrap().remove(0);
        match station_cert(&der) {
            Err(PkiError::NotAStation(msg)) => {
                assert!(msg.contains("\"localhost\""), "{msg}");
                assert!(msg.contains("<ISTAT>-<CO|PC>-<NNNN>"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        // The CA itself.
        match station_cert(&ca.cert_der().unwrap()) {
            Err(PkiError::NotAStation(msg)) => assert!(msg.contains("CA Postazioni Svil")),
            other => panic!("{other:?}"),
        }
        for bad in ["058091-XX-0001", "058091-PC-001", "58091-PC-0001"] {
            let der = self_signed(&[
                (DnType::OrganizationalUnitName, OU_POSTAZIONI),
                (DnType::CommonName, bad),
            ]);
            assert!(
                matches!(station_cert(&der), Err(PkiError::NotAStation(m)) if m.contains(bad)),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_station_cn_without_ou() {
        let der = self_signed(&[
            (DnType::OrganizationalUnitName, "Altro"),
            (DnType::CommonName, "058091-PC-0001"),
        ]);
        match station_cert(&der) {
            Err(PkiError::NotAStation(msg)) => {
                assert!(msg.contains("lacks OU=Postazioni di lavoro"), "{msg}")
            }
            other => panic!("{other:?}"),
        }
        let der = self_signed(&[(DnType::OrganizationName, "X")]);
        assert!(matches!(station_cert(&der), Err(PkiError::NotAStation(m)) if m.contains("no CN")));
    }

    #[test]
    fn refuses_garbage() {
        assert!(matches!(station_cert(b"nope"), Err(PkiError::Parse(_))));
        assert!(matches!(pem_certs_to_der(""), Err(PkiError::Pem(_))));
        let key = KeyPair::generate().unwrap().serialize_pem();
        assert!(matches!(pem_certs_to_der(&key), Err(PkiError::Pem(_))));
    }

    #[test]
    fn pem_bundle() {
        let ca = ca();
        let issued = ca
            .issue_station_default(&"058091-CO-0000".parse().unwrap())
            .unwrap();
        let bundle = format!("{}{}{}", issued.key_pem, issued.cert_pem, ca.cert_pem());
        let ders = pem_certs_to_der(&bundle).unwrap();
        assert_eq!(ders.len(), 2);
        assert_eq!(ders[1], ca.cert_der().unwrap());
    }

    #[test]
    fn escapes_rfc4514_specials() {
        let der = self_signed(&[
            (DnType::OrganizationName, "A, B+C"),
            (DnType::CommonName, "#x "),
        ]);
        let (_, x) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(rfc4514(x.subject()), "CN=\\#x\\ ,O=A\\, B\\+C");
    }
}
