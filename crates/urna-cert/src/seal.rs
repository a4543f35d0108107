//! The electronic seal: a PAdES baseline B-B signature over the whole file.
//!
//! 1. the writer (`crate::pdf`) puts in the certificate's own file a `/Sig`
//!    dictionary (`/Filter /Adobe.PPKLite`, `/SubFilter
//!    /ETSI.CAdES.detached`, a fixed-width `/ByteRange` placeholder, a
//!    `/Contents` placeholder of [`Sealer::signature_space`] bytes, `/M`), a signature
//!    widget over the seal box of the last page (an empty appearance
//!    stream: the box is already printed on the page), and the catalog's
//!    `/AcroForm` with `/SigFlags 3`;
//! 2. the `/ByteRange` placeholder is overwritten, at the same width, with
//!    the two ranges around `/Contents`;
//! 3. the two ranges are hashed (SHA-256) and signed as a detached CMS
//!    (RustCrypto `cms`, RSA PKCS#1 v1.5 with SHA-256), whose DER is written
//!    in hex into `/Contents`.
//!
//! The signature is in the file's first and only revision: the certificate
//! is sealed as it is made, so there is nothing to append to.
//!
//! [`Sealer::issue_timestamped`] makes a PAdES baseline B-T seal instead:
//! between 3 and the writing of `/Contents`, the caller's time-stamper is
//! given the SignerInfo's signature value and returns an RFC 3161 token
//! over it, which goes into the SignerInfo's unsigned attributes as
//! `id-aa-signatureTimeStampToken` (unsigned: the signature is already
//! made, and the token is over it). The `/Contents` reserved is then
//! larger by a token's allowance.

use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Decode, DecodePem, Encode, Sequence};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::attr::{Attribute, AttributeValue};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;

use crate::pdf::SealField;
use crate::{CertError, CertificateDoc};

/// Bytes reserved in `/Contents` beyond the certificates of the chain and
/// the signature value: the SignedData's and SignerInfo's structure, the
/// issuer and serial, the three signed attributes (about 400 bytes with a
/// long issuer name), with room to spare.
const CMS_OVERHEAD: usize = 1024;

/// Bytes reserved in `/Contents` for a time-stamp token (B-T): it carries
/// the authority's certificate and often its chain (the test authority's
/// token, with its CA, takes 2.3 KiB; a qualified authority's with a longer
/// chain and RSA-4096 keys, up to about three times that). The space is
/// reserved before the token exists, so it is generous; a token that still
/// does not fit is an error, never a cut signature.
const TIMESTAMP_SPACE: usize = 8192;

/// The caller's time-stamper: given the bytes to stamp (the signature
/// value; the request's message imprint is SHA-256 of them), the DER
/// TimeStampToken (a CMS ContentInfo) an RFC 3161 authority returned, or
/// why there is none.
pub type TimeStamper<'a> = &'a dyn Fn(&[u8]) -> Result<Vec<u8>, String>;

/// id-data (RFC 5652): the content type of a detached signature.
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// id-sha256.
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-aa-signingCertificateV2 (RFC 5035).
const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// The smallest RSA modulus accepted for the seal.
const MIN_RSA_BITS: usize = 2048;

/// `IssuerSerial` (RFC 5035): the signer certificate's issuer and serial.
#[derive(Clone, Debug, Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: SerialNumber,
}

/// `ESSCertIDv2` with the default hash algorithm (SHA-256), which DER omits.
#[derive(Clone, Debug, Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
    issuer_serial: IssuerSerial,
}

/// `SigningCertificateV2` without policies.
#[derive(Clone, Debug, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// RSA PKCS#1 v1.5 with SHA-256 computed by OpenSSL, in the shape the `cms`
/// builder takes (a `signature::Signer` with its verifying key). OpenSSL's
/// constant-time RSA is several times faster than the `rsa` crate's
/// bignums (the whole seal was dominated by them: 31% of its instructions),
/// and does not carry that crate's timing advisory (RUSTSEC-2023-0071).
struct OpensslRsa {
    key: openssl::pkey::PKey<openssl::pkey::Private>,
    verifying: rsa::pkcs1v15::VerifyingKey<Sha256>,
}

impl signature::Keypair for OpensslRsa {
    type VerifyingKey = rsa::pkcs1v15::VerifyingKey<Sha256>;

    fn verifying_key(&self) -> Self::VerifyingKey {
        self.verifying.clone()
    }
}

impl spki::DynSignatureAlgorithmIdentifier for OpensslRsa {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        self.verifying.signature_algorithm_identifier()
    }
}

impl signature::Signer<rsa::pkcs1v15::Signature> for OpensslRsa {
    fn try_sign(&self, msg: &[u8]) -> Result<rsa::pkcs1v15::Signature, signature::Error> {
        let mut s = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &self.key)
            .map_err(signature::Error::from_source)?;
        s.update(msg).map_err(signature::Error::from_source)?;
        let bytes = s.sign_to_vec().map_err(signature::Error::from_source)?;
        rsa::pkcs1v15::Signature::try_from(bytes.as_slice())
    }
}

/// The key and certificate chain that seal certificates.
pub struct Sealer {
    key: OpensslRsa,
    /// The signer's certificate first, then the rest of the chain as given.
    chain: Vec<Certificate>,
    /// The length of a signature value (the modulus').
    key_bytes: usize,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field(
                "signer",
                &self
                    .chain
                    .first()
                    .map(|c| c.tbs_certificate.subject.to_string()),
            )
            .field("key", &"[elided]")
            .finish()
    }
}

impl Sealer {
    /// A sealer from PEM: `cert_pem` holds the seal certificate, optionally
    /// followed by its chain (every certificate is put in the signature);
    /// `key_pem` its RSA private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA
    /// PRIVATE KEY`). The key must be RSA of at least 2048 bits and belong to
    /// the first certificate.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Sealer, CertError> {
        let chain = pem_certificates(cert_pem)?;
        let signer = chain
            .first()
            .ok_or_else(|| CertError::SealKey("no certificate in the PEM".into()))?;
        let key = RsaPrivateKey::from_pkcs8_pem(key_pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(key_pem))
            .map_err(|e| CertError::SealKey(format!("private key: not an RSA key in PEM ({e})")))?;
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(CertError::SealKey(format!(
                "RSA key of {} bits; at least {MIN_RSA_BITS} are required",
                key.size() * 8
            )));
        }
        let spki = signer
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CertError::SealKey(format!("certificate key: {e}")))?;
        let cert_key = spki::SubjectPublicKeyInfoRef::from_der(&spki)
            .ok()
            .and_then(|s| RsaPublicKey::try_from(s).ok())
            .ok_or_else(|| CertError::SealKey("the certificate's key is not RSA".into()))?;
        if cert_key != key.to_public_key() {
            return Err(CertError::SealKey(format!(
                "the private key does not belong to {}",
                signer.tbs_certificate.subject
            )));
        }
        let openssl_key =
            openssl::pkey::PKey::private_key_from_pem(key_pem.as_bytes()).map_err(|e| {
                CertError::SealKey(format!("private key: OpenSSL cannot read it ({e})"))
            })?;
        Ok(Sealer {
            key: OpensslRsa {
                key: openssl_key,
                verifying: rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key.to_public_key()),
            },
            chain,
            key_bytes: key.size(),
        })
    }

    /// Bytes reserved in a sealed file for the DER signature (`/Contents`,
    /// written as twice as many hex digits): what this key and chain need,
    /// plus the time-stamp token's allowance when `timestamped`. Sized to
    /// the chain rather than fixed, so that a development seal does not
    /// carry the zeros of a qualified one's longer chain.
    pub fn signature_space(&self, timestamped: bool) -> usize {
        let chain: usize = self
            .chain
            .iter()
            .map(|c| c.to_der().map_or(4096, |d| d.len()))
            .sum();
        let space = chain + self.key_bytes + CMS_OVERHEAD;
        let space = space.div_ceil(256) * 256;
        if timestamped {
            space + TIMESTAMP_SPACE
        } else {
            space
        }
    }

    /// The subject of the seal certificate, e.g. `CN=urna sigillo
    /// elettronico (sviluppo),OU=ANPR,O=Ministero dell'Interno,C=IT`.
    pub fn subject(&self) -> String {
        self.chain
            .first()
            .map(|c| c.tbs_certificate.subject.to_string())
            .unwrap_or_default()
    }

    /// The sealed PDF of `doc` (which must not be a preview), its `/M`
    /// signing time the issue time. The same document and key give the
    /// same bytes. Refuses what [`crate::render`] refuses.
    pub fn issue(&self, doc: &CertificateDoc) -> Result<Vec<u8>, CertError> {
        self.issue_with(doc, None)
    }

    /// [`Sealer::issue`] as a PAdES baseline B-T seal: `stamp` is called
    /// once with the signature value and returns an RFC 3161
    /// TimeStampToken over it, put in the signature's unsigned attributes.
    /// The token is checked (a signed TSTInfo whose imprint is SHA-256 of
    /// the signature value) before it is used; a failing time-stamper or a
    /// token that does not stamp this signature is [`CertError::TimeStamp`],
    /// and no seal is made.
    pub fn issue_timestamped(
        &self,
        doc: &CertificateDoc,
        stamp: TimeStamper<'_>,
    ) -> Result<Vec<u8>, CertError> {
        self.issue_with(doc, Some(stamp))
    }

    fn issue_with(
        &self,
        doc: &CertificateDoc,
        stamp: Option<TimeStamper<'_>>,
    ) -> Result<Vec<u8>, CertError> {
        if doc.preview {
            return Err(CertError::Inconsistent("a preview is not sealed"));
        }
        let reserved = self.signature_space(stamp.is_some());
        let field = SealField {
            reserved,
            at: pdf_date(doc.issued_at),
        };
        let written = crate::write(doc, Some(&field))?;
        let mut out = written.bytes;
        let at = written
            .signature_at
            .ok_or_else(|| CertError::Malformed("the signature field was not written".into()))?;
        let contents = find_contents(&mut out, at, reserved)?;
        patch_byte_range(&mut out, at, contents)?;
        let (start, end) = contents;
        let mut hasher = Sha256::new();
        hasher.update(&out[..start]);
        hasher.update(&out[end..]);
        let mut cms = self.cms(&hasher.finalize())?;
        if let Some(stamp) = stamp {
            cms = add_signature_time_stamp(&cms, stamp)?;
        }
        if cms.len() > reserved {
            return Err(CertError::Signing(format!(
                "the signature takes {} bytes, more than the {reserved} reserved",
                cms.len()
            )));
        }
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for (i, b) in cms.iter().enumerate() {
            out[start + 1 + 2 * i] = HEX[usize::from(b >> 4)];
            out[start + 2 + 2 * i] = HEX[usize::from(b & 0xF)];
        }
        Ok(out)
    }

    /// The detached CMS SignedData over a message digest: signed attributes
    /// contentType, messageDigest, signingCertificateV2 (no signingTime: in
    /// PAdES the time is `/M`), the chain in `certificates`.
    fn cms(&self, digest: &[u8]) -> Result<Vec<u8>, CertError> {
        let err =
            |what: &str, e: &dyn std::fmt::Display| CertError::Signing(format!("{what}: {e}"));
        let signer = self
            .chain
            .first()
            .ok_or_else(|| CertError::Signing("no signer certificate".into()))?;
        let content = EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        };
        let sha256 = AlgorithmIdentifierOwned {
            oid: ID_SHA256,
            parameters: None,
        };
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: signer.tbs_certificate.issuer.clone(),
            serial_number: signer.tbs_certificate.serial_number.clone(),
        });
        let mut info =
            SignerInfoBuilder::new(&self.key, sid, sha256.clone(), &content, Some(digest))
                .map_err(|e| err("signer info", &e))?;
        info.add_signed_attribute(signing_certificate_v2(signer)?)
            .map_err(|e| err("signingCertificateV2", &e))?;
        let mut data = SignedDataBuilder::new(&content);
        data.add_digest_algorithm(sha256)
            .map_err(|e| err("digest algorithm", &e))?;
        for cert in &self.chain {
            data.add_certificate(CertificateChoices::Certificate(cert.clone()))
                .map_err(|e| err("certificate", &e))?;
        }
        data.add_signer_info::<OpensslRsa, rsa::pkcs1v15::Signature>(info)
            .map_err(|e| err("signature", &e))?;
        data.build()
            .map_err(|e| err("building", &e))?
            .to_der()
            .map_err(|e| err("encoding", &e))
    }
}

/// `cms` (a ContentInfo of SignedData with one signer) with a signature
/// time-stamp from `stamp` added to its signer's unsigned attributes.
/// Decoding and encoding again leaves every other byte as it was: the CMS
/// was DER to begin with.
fn add_signature_time_stamp(cms: &[u8], stamp: TimeStamper<'_>) -> Result<Vec<u8>, CertError> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerInfos};
    let err = |what: &str, e: &dyn std::fmt::Display| CertError::Signing(format!("{what}: {e}"));
    let mut info = ContentInfo::from_der(cms).map_err(|e| err("re-reading the CMS", &e))?;
    let mut data: SignedData = info
        .content
        .decode_as()
        .map_err(|e| err("re-reading the SignedData", &e))?;
    let mut signers = data.signer_infos.0.into_vec();
    let [signer] = signers.as_mut_slice() else {
        return Err(CertError::Signing(format!(
            "{} signers in the CMS, not one",
            signers.len()
        )));
    };
    let value = signer.signature.as_bytes();
    let token = stamp(value).map_err(|e| CertError::TimeStamp(format!("the time-stamper: {e}")))?;
    crate::timestamp::check_token(&token, value).map_err(CertError::TimeStamp)?;
    let token = AttributeValue::from_der(&token)
        .map_err(|e| CertError::TimeStamp(format!("the token is not DER: {e}")))?;
    let mut values = SetOfVec::new();
    values
        .insert(token)
        .map_err(|e| err("signatureTimeStampToken", &e))?;
    let mut attributes = signer.unsigned_attrs.take().unwrap_or_default();
    attributes
        .insert(Attribute {
            oid: crate::timestamp::ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
            values,
        })
        .map_err(|e| err("unsigned attributes", &e))?;
    signer.unsigned_attrs = Some(attributes);
    data.signer_infos =
        SignerInfos(SetOfVec::try_from(signers).map_err(|e| err("signer infos", &e))?);
    info.content = der::Any::encode_from(&data).map_err(|e| err("encoding", &e))?;
    info.to_der().map_err(|e| err("encoding", &e))
}

/// The certificates of a PEM text, in order. (x509-cert's
/// `load_pem_chain` panics on an empty text: this splits the blocks itself.)
fn pem_certificates(pem: &str) -> Result<Vec<Certificate>, CertError> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut certs = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let end = rest[start..]
            .find(END)
            .map(|e| start + e + END.len())
            .ok_or_else(|| CertError::SealKey("certificate PEM: a block has no END line".into()))?;
        let cert = Certificate::from_pem(&rest.as_bytes()[start..end])
            .map_err(|e| CertError::SealKey(format!("certificate PEM: {e}")))?;
        certs.push(cert);
        rest = &rest[end..];
    }
    Ok(certs)
}

/// The signingCertificateV2 attribute naming `cert` (SHA-256 of its DER,
/// issuer and serial).
fn signing_certificate_v2(cert: &Certificate) -> Result<Attribute, CertError> {
    let err = |e: der::Error| CertError::Signing(format!("signingCertificateV2: {e}"));
    let der = cert.to_der().map_err(err)?;
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(Sha256::digest(&der).to_vec()).map_err(err)?,
            issuer_serial: IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    cert.tbs_certificate.issuer.clone(),
                )],
                serial_number: cert.tbs_certificate.serial_number.clone(),
            },
        }],
    };
    let value = AttributeValue::from_der(&value.to_der().map_err(err)?).map_err(err)?;
    let mut values = SetOfVec::new();
    values.insert(value).map_err(err)?;
    Ok(Attribute {
        oid: ID_AA_SIGNING_CERTIFICATE_V2,
        values,
    })
}

/// The `/Contents` placeholder in the update (after `from`), written as the
/// literal string `(00…0)`: turned into the empty hex string `<00…0>` of the
/// same width, and the offsets of its `<` and just past its `>`.
fn find_contents(
    out: &mut [u8],
    from: usize,
    reserved: usize,
) -> Result<(usize, usize), CertError> {
    let len = 2 * reserved + 2;
    let start = out[from..]
        .windows(len)
        .position(|w| {
            w[0] == b'(' && w[len - 1] == b')' && w[1..len - 1].iter().all(|b| *b == b'0')
        })
        .map(|p| p + from)
        .ok_or_else(|| CertError::Malformed("the /Contents placeholder was not written".into()))?;
    out[start] = b'<';
    out[start + len - 1] = b'>';
    Ok((start, start + len))
}

/// Overwrites the `/ByteRange` placeholder (after `from`) with `[0 a b c]`
/// at the same width (padding spaces before `]`).
fn patch_byte_range(
    out: &mut [u8],
    from: usize,
    (start, end): (usize, usize),
) -> Result<(), CertError> {
    let missing = || CertError::Malformed("the /ByteRange placeholder was not written".into());
    let key = out[from..]
        .windows(10)
        .position(|w| w == b"/ByteRange")
        .map(|p| p + from)
        .ok_or_else(missing)?;
    let open = out[key..]
        .iter()
        .position(|b| *b == b'[')
        .ok_or_else(missing)?
        + key;
    let close = out[open..]
        .iter()
        .position(|b| *b == b']')
        .ok_or_else(missing)?
        + open;
    let total = out.len();
    let value = format!("[0 {start} {end} {}", total - end);
    let width = close - open;
    if value.len() > width {
        return Err(missing());
    }
    out[open..close].copy_from_slice(format!("{value:<width$}").as_bytes());
    Ok(())
}

/// A PDF date string, `D:YYYYMMDDHHmmSS+HH'mm'`.
pub(crate) fn pdf_date(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "D:[year][month][day][hour][minute][second][offset_hour sign:mandatory]'[offset_minute]'"
    );
    t.format(format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn pem_blocks_are_split_without_panicking() {
        for junk in [
            "",
            "\n",
            "-----BEGIN CERTIFICATE-----",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        ] {
            assert!(
                matches!(Sealer::from_pem(junk, ""), Err(CertError::SealKey(_))),
                "{junk:?}"
            );
        }
    }

    #[test]
    fn pdf_dates() {
        assert_eq!(
            pdf_date(datetime!(2026-12-05 10:30:00 +01:00)),
            "D:20261205103000+01'00'"
        );
        assert_eq!(
            pdf_date(datetime!(2026-01-02 03:04:05 -03:30)),
            "D:20260102030405-03'30'"
        );
        assert_eq!(
            pdf_date(datetime!(2026-01-02 03:04:05 UTC)),
            "D:20260102030405+00'00'"
        );
    }

    #[test]
    fn byte_range_is_patched_in_place() {
        let mut out =
            b"%PDF...<</ByteRange [0 9999999999 9999999999 9999999999]/Contents <0000>>>".to_vec();
        let before = out.len();
        patch_byte_range(&mut out, 0, (60, 66)).unwrap();
        assert_eq!(out.len(), before);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(&format!("/ByteRange [0 60 66 {}", before - 66)),
            "{text}"
        );
        assert!(text.contains(" ]/Contents"), "{text}");
    }
}
