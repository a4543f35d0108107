//! Verification of a sealed certificate, for the public verification page.
//!
//! The checks, in order: the PDF has exactly one signature field whose
//! `/Sig` dictionary is a PAdES seal (`/SubFilter /ETSI.CAdES.detached`);
//! its `/ByteRange` is `[0 a b c]` with `b + c` = the file's length and the
//! gap `a..b` exactly the `<hex>` string that is that dictionary's
//! `/Contents` (so every other byte of the file is signed, and nothing was
//! appended after the seal); the CMS in `/Contents` has one signer and
//! verifies (OpenSSL `CMS_verify`) over the two ranges, with the signer's
//! certificate chaining to the trusted CA at the current time.
//!
//! A PAdES B-T seal also carries a signature time-stamp (the unsigned
//! attribute `id-aa-signatureTimeStampToken`). It is not required; when
//! present it must be a token whose signature verifies with the
//! certificate it carries and whose imprint is SHA-256 of the signature
//! value, else the seal is refused ([`CertError::TimeStamp`]): the
//! unsigned attributes lie in `/Contents`, outside what the seal signs, so
//! a changed token is seen only here. The authority's certificate is not
//! checked against a trust anchor (the caller gives only the seal's CA).

use std::panic::{catch_unwind, AssertUnwindSafe};

use der::Decode;
use lopdf::{Dictionary, Document, Object};
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::CertError;

/// What a valid seal says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealInfo {
    /// The subject of the seal certificate (RFC 4514, most specific first,
    /// e.g. `CN=urna sigillo elettronico (sviluppo),OU=ANPR,O=Ministero
    /// dell'Interno,C=IT`).
    pub signer: String,
    /// The claimed signing time, the `/M` of the signature dictionary (PAdES
    /// B-B has no time stamp: it is the sealer's word).
    pub signed_at: OffsetDateTime,
    /// A B-T seal's signature time-stamp: the genTime of its token, whose
    /// imprint is the signature value (the earliest, if there are several).
    /// `None` for a B-B seal.
    pub timestamp: Option<OffsetDateTime>,
}

/// Verifies the seal of `pdf` against the CA certificate(s) in
/// `trusted_ca_pem` (see the module documentation for the checks).
pub fn verify_seal(pdf: &[u8], trusted_ca_pem: &[u8]) -> Result<SealInfo, CertError> {
    // lopdf is not written for hostile input: a panic while parsing is a
    // malformed PDF here, not a crash of the verification page.
    let doc = catch_unwind(AssertUnwindSafe(|| Document::load_mem(pdf)))
        .map_err(|_| CertError::Malformed("the PDF parser gave up on this file".into()))?
        .map_err(|e| CertError::Malformed(e.to_string()))?;
    let sig = signature_dictionary(&doc)?;
    match sig.get(b"SubFilter").and_then(Object::as_name) {
        Ok(b"ETSI.CAdES.detached") => {}
        Ok(other) => {
            return Err(CertError::NotSealed(format!(
                "/SubFilter /{} is not /ETSI.CAdES.detached",
                String::from_utf8_lossy(other)
            )))
        }
        Err(_) => return Err(CertError::NotSealed("no /SubFilter".into())),
    }
    let contents = match sig.get(b"Contents") {
        Ok(Object::String(bytes, _)) => bytes.clone(),
        _ => return Err(CertError::NotSealed("no /Contents string".into())),
    };
    let (start, end) = check_coverage(pdf, sig, &contents)?;
    let cms_der = der_prefix(&contents)
        .ok_or_else(|| CertError::InvalidSeal("/Contents is not a DER CMS object".into()))?;
    let Signer {
        subject: signer,
        signature,
        tokens,
    } = signer_of(cms_der)?;

    let mut store = X509StoreBuilder::new().map_err(ossl)?;
    let cas = X509::stack_from_pem(trusted_ca_pem)
        .map_err(|e| CertError::SealKey(format!("trusted CA PEM: {e}")))?;
    if cas.is_empty() {
        return Err(CertError::SealKey(
            "no certificate in the trusted CA PEM".into(),
        ));
    }
    for ca in cas {
        store.add_cert(ca).map_err(ossl)?;
    }
    let store = store.build();
    let mut cms = CmsContentInfo::from_der(cms_der)
        .map_err(|e| CertError::InvalidSeal(format!("CMS: {e}")))?;
    let mut signed = Vec::with_capacity(pdf.len() - (end - start));
    signed.extend_from_slice(&pdf[..start]);
    signed.extend_from_slice(&pdf[end..]);
    let no_extra: Stack<X509> = Stack::new().map_err(ossl)?;
    cms.verify(
        Some(&no_extra),
        Some(&store),
        Some(&signed),
        None,
        CMSOptions::BINARY,
    )
    .map_err(|e| CertError::InvalidSeal(format!("CMS verification: {e}")))?;

    let m = match sig.get(b"M") {
        Ok(Object::String(bytes, _)) => bytes.clone(),
        _ => return Err(CertError::NotSealed("no /M signing time".into())),
    };
    let signed_at = parse_pdf_date(&String::from_utf8_lossy(&m)).ok_or_else(|| {
        CertError::NotSealed(format!(
            "/M {:?} is not a PDF date",
            String::from_utf8_lossy(&m)
        ))
    })?;
    // Checked after the CMS itself: a token over a signature that does not
    // verify would say nothing.
    let mut timestamp: Option<OffsetDateTime> = None;
    for token in &tokens {
        let stamp =
            crate::timestamp::check_token(token, &signature).map_err(CertError::TimeStamp)?;
        timestamp = Some(timestamp.map_or(stamp.gen_time, |t| t.min(stamp.gen_time)));
    }
    Ok(SealInfo {
        signer,
        signed_at,
        timestamp,
    })
}

fn ossl(e: openssl::error::ErrorStack) -> CertError {
    CertError::InvalidSeal(format!("OpenSSL: {e}"))
}

/// The `/Sig` dictionary of the one signature field of the AcroForm.
fn signature_dictionary(doc: &Document) -> Result<&Dictionary, CertError> {
    let none = |why: &str| CertError::NotSealed(why.to_string());
    let catalog = doc
        .catalog()
        .map_err(|e| CertError::Malformed(format!("catalog: {e}")))?;
    let form = match catalog.get(b"AcroForm") {
        Ok(Object::Dictionary(d)) => d,
        Ok(Object::Reference(r)) => doc.get_dictionary(*r).map_err(|_| none("no /AcroForm"))?,
        _ => return Err(none("no /AcroForm")),
    };
    let fields = match form.get(b"Fields") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => doc
            .get_object(*r)
            .and_then(Object::as_array)
            .cloned()
            .map_err(|_| none("no /Fields"))?,
        _ => return Err(none("no /Fields")),
    };
    let mut found = Vec::new();
    for field in &fields {
        let Ok(id) = field.as_reference() else {
            continue;
        };
        let Ok(field) = doc.get_dictionary(id) else {
            continue;
        };
        if !matches!(field.get(b"FT").and_then(Object::as_name), Ok(b"Sig")) {
            continue;
        }
        let sig = match field.get(b"V") {
            Ok(Object::Reference(r)) => doc.get_dictionary(*r).ok(),
            Ok(Object::Dictionary(d)) => Some(d),
            _ => None,
        };
        if let Some(sig) = sig {
            found.push(sig);
        }
    }
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(none("no signed signature field")),
        more => Err(none(&format!(
            "{} signatures; a certificate carries exactly one seal",
            more.len()
        ))),
    }
}

/// Checks the `/ByteRange` of `sig` against the file and returns the gap
/// (the offsets of `/Contents`'s `<` and just past its `>`).
fn check_coverage(
    pdf: &[u8],
    sig: &Dictionary,
    contents: &[u8],
) -> Result<(usize, usize), CertError> {
    let bad = |why: String| CertError::Coverage(why);
    let range: Vec<i64> = match sig.get(b"ByteRange") {
        Ok(Object::Array(a)) => a.iter().map(|o| o.as_i64().unwrap_or(-1)).collect(),
        _ => return Err(CertError::NotSealed("no /ByteRange".into())),
    };
    let [a0, a1, b0, b1] = range[..] else {
        return Err(bad(format!(
            "/ByteRange has {} numbers, not 4",
            range.len()
        )));
    };
    let as_usize = |v: i64| usize::try_from(v).map_err(|_| bad(format!("/ByteRange holds {v}")));
    let (a0, a1, b0, b1) = (as_usize(a0)?, as_usize(a1)?, as_usize(b0)?, as_usize(b1)?);
    if a0 != 0 {
        return Err(bad(format!(
            "the first range starts at {a0}, not at the start of the file"
        )));
    }
    if b0.checked_add(b1) != Some(pdf.len()) {
        return Err(bad(format!(
            "the second range ends at {}, the file is {} bytes long",
            b0.saturating_add(b1),
            pdf.len()
        )));
    }
    if a1 >= b0 || b0 - a1 < 2 {
        return Err(bad(format!("the gap {a1}..{b0} is not a string")));
    }
    let gap = &pdf[a1..b0];
    if gap[0] != b'<' || gap[gap.len() - 1] != b'>' {
        return Err(bad(format!("the gap {a1}..{b0} is not a hex string")));
    }
    let hex = &gap[1..gap.len() - 1];
    if hex.len() != 2 * contents.len()
        || !hex
            .chunks(2)
            .zip(contents)
            .all(|(h, b)| hex_byte(h) == Some(*b))
    {
        return Err(bad(format!(
            "the gap {a1}..{b0} is not the signature dictionary's /Contents"
        )));
    }
    Ok((a1, b0))
}

fn hex_byte(h: &[u8]) -> Option<u8> {
    let s = std::str::from_utf8(h).ok()?;
    u8::from_str_radix(s, 16).ok()
}

/// The DER object at the start of `bytes` (the rest is the placeholder's
/// zero padding).
fn der_prefix(bytes: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    bytes.get(..header.checked_add(len)?)
}

/// What the verification needs of the one SignerInfo.
struct Signer {
    /// The subject of its certificate.
    subject: String,
    /// Its signature value.
    signature: Vec<u8>,
    /// The DER of each signature time-stamp token among its unsigned
    /// attributes.
    tokens: Vec<Vec<u8>>,
}

/// The one signer: its certificate's subject, signature value and
/// time-stamp tokens (RustCrypto `cms`; OpenSSL's verification then checks
/// the signature).
fn signer_of(cms_der: &[u8]) -> Result<Signer, CertError> {
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerIdentifier};
    use der::Encode;
    let invalid = |why: String| CertError::InvalidSeal(why);
    let info = ContentInfo::from_der(cms_der).map_err(|e| invalid(format!("CMS: {e}")))?;
    let data: SignedData = info
        .content
        .decode_as()
        .map_err(|e| invalid(format!("CMS SignedData: {e}")))?;
    let signers: Vec<_> = data.signer_infos.0.iter().collect();
    let [signer] = signers[..] else {
        return Err(invalid(format!(
            "{} signers; a seal has exactly one",
            signers.len()
        )));
    };
    let SignerIdentifier::IssuerAndSerialNumber(id) = &signer.sid else {
        return Err(invalid(
            "the signer is not named by issuer and serial number".into(),
        ));
    };
    let subject = data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|c| match c {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate.issuer == id.issuer
                    && c.tbs_certificate.serial_number == id.serial_number =>
            {
                Some(c.tbs_certificate.subject.to_string())
            }
            _ => None,
        })
        .ok_or_else(|| invalid("the signer's certificate is not in the signature".into()))?;
    let mut tokens = Vec::new();
    for attribute in signer.unsigned_attrs.iter().flat_map(|a| a.iter()) {
        if attribute.oid == crate::timestamp::ID_AA_SIGNATURE_TIME_STAMP_TOKEN {
            for value in attribute.values.iter() {
                tokens.push(value.to_der().map_err(|e| {
                    CertError::TimeStamp(format!("the token cannot be re-encoded: {e}"))
                })?);
            }
        }
    }
    Ok(Signer {
        subject,
        signature: signer.signature.as_bytes().to_vec(),
        tokens,
    })
}

/// A PDF date `D:YYYYMMDDHHmmSS` with `Z` or `±HH'mm'` (all parts present,
/// as [`crate::Sealer`] writes them).
pub(crate) fn parse_pdf_date(s: &str) -> Option<OffsetDateTime> {
    let s = s.strip_prefix("D:")?;
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let date = Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let time = Time::from_hms(
        u8::try_from(digits(8..10)?).ok()?,
        u8::try_from(digits(10..12)?).ok()?,
        u8::try_from(digits(12..14)?).ok()?,
    )
    .ok()?;
    let offset = match s.get(14..)? {
        "Z" | "Z00'00'" | "Z00'00" => UtcOffset::UTC,
        tz => {
            let sign: i8 = match tz.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let h = tz.get(1..3)?.parse::<i8>().ok()?;
            let m = tz.get(4..6)?.parse::<i8>().ok()?;
            if tz.get(3..4)? != "'" {
                return None;
            }
            UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
    };
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn pdf_dates_round_trip() {
        for t in [
            datetime!(2026-12-05 10:30:00 +01:00),
            datetime!(2026-01-02 03:04:05 -03:30),
            datetime!(1999-12-31 23:59:59 UTC),
        ] {
            let s = crate::seal::pdf_date(t);
            assert_eq!(parse_pdf_date(&s), Some(t), "{s}");
        }
        assert_eq!(
            parse_pdf_date("D:20261205103000Z"),
            Some(datetime!(2026-12-05 10:30:00 UTC))
        );
        for bad in [
            "",
            "D:2026",
            "20261205103000Z",
            "D:20261305103000Z",
            "D:2026120510300xZ",
            "D:20261205103000+01",
        ] {
            assert_eq!(parse_pdf_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn der_prefix_drops_padding() {
        assert_eq!(
            der_prefix(&[0x30, 0x02, 1, 2, 0, 0]),
            Some(&[0x30, 0x02, 1, 2][..])
        );
        assert_eq!(
            der_prefix(&[0x30, 0x81, 0x01, 9, 0]),
            Some(&[0x30, 0x81, 0x01, 9][..])
        );
        assert_eq!(der_prefix(&[0x30, 0x05, 1]), None);
        assert_eq!(der_prefix(&[0x04, 0x01, 1]), None);
        assert_eq!(der_prefix(&[0x30, 0x80]), None);
        assert_eq!(der_prefix(&[]), None);
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for input in [&b""[..], b"%PDF-1.7\n", b"not a pdf at all", &[0xff; 64]] {
            assert!(verify_seal(input, b"").is_err());
        }
    }
}
