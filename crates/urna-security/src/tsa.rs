//! RFC 3161 time-stamps: the request urna sends a time-stamping authority
//! for an imprint, the token taken from its reply, and the verification of
//! a token (the TSA's CMS signature chained to a trusted certificate with
//! the time-stamping purpose, the imprint, the time).
//!
//! The ASN.1 is small and fixed (TimeStampReq, TimeStampResp, TSTInfo), so
//! it is written and read with yasna; the CMS signature check is OpenSSL's
//! `CMS_verify`, as for every other signature urna checks.

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509PurposeId, X509};
use time::OffsetDateTime;
use yasna::models::ObjectIdentifier;

const SHA256: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 1];

/// A TimeStampReq (DER) for a SHA-256 `imprint`, asking for the TSA's
/// certificate in the token.
pub fn request(imprint: &[u8; 32], nonce: u64) -> Vec<u8> {
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_u8(1);
            w.next().write_sequence(|w| {
                w.next().write_sequence(|w| {
                    w.next().write_oid(&ObjectIdentifier::from_slice(SHA256));
                    w.next().write_null();
                });
                w.next().write_bytes(imprint);
            });
            w.next().write_u64(nonce);
            w.next().write_bool(true);
        })
    })
}

/// The TimeStampToken (a CMS ContentInfo, DER) of a TimeStampResp, when its
/// status is granted (0) or granted with modifications (1).
pub fn token_from_response(der: &[u8]) -> Result<Vec<u8>, String> {
    let (status, token) = yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let status = r.next().read_sequence(|r| {
                let s = r.next().read_u32()?;
                while r.read_optional(|r| r.read_der())?.is_some() {}
                Ok(s)
            })?;
            let token = r.read_optional(|r| r.read_der())?;
            Ok((status, token))
        })
    })
    .map_err(|e| format!("the time-stamp reply is not a TimeStampResp: {e}"))?;
    match (status, token) {
        (0 | 1, Some(t)) => Ok(t),
        (0 | 1, None) => Err("the time-stamp reply grants but carries no token".into()),
        (s, _) => Err(format!(
            "the time-stamping authority refused (PKIStatus {s})"
        )),
    }
}

/// The certificates a token's signer must chain to (the TSA's certificate
/// itself or its CA), used with the time-stamping purpose.
pub struct TsaTrust(X509Store);

impl TsaTrust {
    pub fn from_pem(pem: &[u8]) -> Result<TsaTrust, String> {
        crate::wss::init_openssl();
        let certs = X509::stack_from_pem(pem).map_err(|e| format!("TSA certificate: {e}"))?;
        if certs.is_empty() {
            return Err("no certificate in the TSA certificate file".into());
        }
        let mut b = X509StoreBuilder::new().map_err(|e| e.to_string())?;
        for c in certs {
            b.add_cert(c).map_err(|e| e.to_string())?;
        }
        b.set_purpose(X509PurposeId::TIMESTAMP_SIGN)
            .map_err(|e| e.to_string())?;
        // The TSA's own certificate may be the anchor.
        b.set_flags(X509VerifyFlags::PARTIAL_CHAIN)
            .map_err(|e| e.to_string())?;
        Ok(TsaTrust(b.build()))
    }
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub gen_time: OffsetDateTime,
}

/// Verifies `token` (DER TimeStampToken): the CMS signature and its signer's
/// chain to `trust` with the time-stamping purpose, and that it stamps the
/// SHA-256 `imprint`; returns the time it vouches for.
pub fn verify_token(token: &[u8], imprint: &[u8; 32], trust: &TsaTrust) -> Result<Stamp, String> {
    crate::wss::init_openssl();
    let mut cms =
        CmsContentInfo::from_der(token).map_err(|e| format!("the token is not CMS: {e}"))?;
    let mut tst = Vec::new();
    cms.verify(
        None,
        Some(&trust.0),
        None,
        Some(&mut tst),
        CMSOptions::BINARY,
    )
    .map_err(|e| {
        format!("the token's signature does not verify against the TSA certificate: {e}")
    })?;
    let (alg, hash, gen_time) = yasna::parse_der(&tst, |r| {
        r.read_sequence(|r| {
            let _version = r.next().read_u8()?;
            let _policy = r.next().read_oid()?;
            let (alg, hash) = r.next().read_sequence(|r| {
                let alg = r.next().read_sequence(|r| {
                    let oid = r.next().read_oid()?;
                    r.read_optional(|r| r.read_null())?;
                    Ok(oid)
                })?;
                Ok((alg, r.next().read_bytes()?))
            })?;
            let _serial = r.next().read_der()?;
            let gen_time = *r.next().read_generalized_time()?.datetime();
            while r.read_optional(|r| r.read_der())?.is_some() {}
            Ok((alg, hash, gen_time))
        })
    })
    .map_err(|e| format!("the token's content is not a TSTInfo: {e}"))?;
    if alg != ObjectIdentifier::from_slice(SHA256) || hash != imprint {
        return Err("the token stamps another message (its imprint differs)".into());
    }
    Ok(Stamp { gen_time })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_der_with_the_imprint() {
        let der = request(&[7u8; 32], 42);
        let (v, hash, nonce, cert) = yasna::parse_der(&der, |r| {
            r.read_sequence(|r| {
                let v = r.next().read_u8()?;
                let hash = r.next().read_sequence(|r| {
                    r.next().read_sequence(|r| {
                        r.next().read_oid()?;
                        r.next().read_null()
                    })?;
                    r.next().read_bytes()
                })?;
                Ok((v, hash, r.next().read_u64()?, r.next().read_bool()?))
            })
        })
        .unwrap();
        assert_eq!((v, hash, nonce, cert), (1, vec![7u8; 32], 42, true));
    }

    #[test]
    fn a_refusal_or_junk_is_no_token() {
        // status 2 (rejection), no token
        let refused = yasna::construct_der(|w| {
            w.write_sequence(|w| w.next().write_sequence(|w| w.next().write_u8(2)))
        });
        assert!(token_from_response(&refused)
            .unwrap_err()
            .contains("PKIStatus 2"));
        assert!(token_from_response(b"not der").is_err());
    }
}
