//! The signature time-stamp of a PAdES baseline B-T seal (ETSI EN 319 122-1
//! §5.3, EN 319 142-1 §5.4): an RFC 3161 TimeStampToken over the
//! SignerInfo's signature value, carried as the unsigned attribute
//! `id-aa-signatureTimeStampToken`.
//!
//! This crate does no I/O: the caller obtains the token from its
//! time-stamping authority, and [`check_token`] checks what can be checked
//! without a trust anchor for the authority — the token is a CMS
//! SignedData of a TSTInfo, its signature verifies with the certificate it
//! carries, and its message imprint is SHA-256 of the signature value.
//! Whether the authority itself is trusted is the caller's question (the
//! server checks each token against `audit.tsa_cert` as it arrives).

use der::asn1::{Any, Int, ObjectIdentifier, OctetString};
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use openssl::cms::{CMSOptions, CmsContentInfo};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// id-aa-signatureTimeStampToken (RFC 3161 appendix A).
pub(crate) const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// id-ct-TSTInfo: the content type of a TimeStampToken's SignedData.
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-sha256.
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// What [`check_token`] read from a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    /// The TSTInfo's genTime: when the authority saw the imprint.
    pub gen_time: OffsetDateTime,
}

/// Checks that `token` (DER TimeStampToken) stamps `stamped` (the signature
/// value): a SignedData of a TSTInfo whose CMS signature verifies with the
/// signer certificate the token carries (the chain of that certificate is
/// not checked here), with a SHA-256 message imprint equal to SHA-256 of
/// `stamped`. The error says which of these fails.
pub(crate) fn check_token(token: &[u8], stamped: &[u8]) -> Result<Stamp, String> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    let info =
        ContentInfo::from_der(token).map_err(|e| format!("the token is not a CMS object: {e}"))?;
    let data: SignedData = info
        .content
        .decode_as()
        .map_err(|e| format!("the token is not a CMS SignedData: {e}"))?;
    if data.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(format!(
            "the token's content is {}, not a TSTInfo",
            data.encap_content_info.econtent_type
        ));
    }
    let mut cms = CmsContentInfo::from_der(token)
        .map_err(|e| format!("the token is not a CMS object: {e}"))?;
    let mut tst = Vec::new();
    cms.verify(
        None,
        None,
        None,
        Some(&mut tst),
        CMSOptions::BINARY | CMSOptions::NO_SIGNER_CERT_VERIFY,
    )
    .map_err(|e| format!("the token's signature does not verify: {e}"))?;
    let (algorithm, imprint, gen_time) =
        parse_tst_info(&tst).map_err(|e| format!("the token's TSTInfo: {e}"))?;
    if algorithm != ID_SHA256 {
        return Err(format!(
            "the token's imprint is made with {algorithm}, not SHA-256"
        ));
    }
    if imprint != Sha256::digest(stamped).as_slice() {
        return Err("the token stamps another signature (its imprint differs)".into());
    }
    Ok(Stamp { gen_time })
}

/// The imprint's algorithm and hash, and the genTime, of a DER TSTInfo
/// (RFC 3161 §2.4.2); the fields after genTime are skipped.
fn parse_tst_info(der: &[u8]) -> Result<(ObjectIdentifier, Vec<u8>, OffsetDateTime), String> {
    let mut reader = SliceReader::new(der).map_err(|e| e.to_string())?;
    let (algorithm, imprint, gen_time) = reader
        .sequence(|r| {
            let _version: Int = r.decode()?;
            let _policy: ObjectIdentifier = r.decode()?;
            let (algorithm, imprint) = r.sequence(|r| {
                let algorithm: AlgorithmIdentifierOwned = r.decode()?;
                let hash: OctetString = r.decode()?;
                Ok((algorithm.oid, hash.into_bytes()))
            })?;
            let _serial: Int = r.decode()?;
            let gen_time: Any = r.decode()?;
            // accuracy, ordering, nonce, tsa, extensions
            while !r.is_finished() {
                let _: Any = r.decode()?;
            }
            Ok((algorithm, imprint, gen_time))
        })
        .map_err(|e| e.to_string())?;
    reader
        .finish(())
        .map_err(|e| format!("bytes after the TSTInfo: {e}"))?;
    if gen_time.tag() != Tag::GeneralizedTime {
        return Err(format!(
            "genTime is a {}, not a GeneralizedTime",
            gen_time.tag()
        ));
    }
    let text = std::str::from_utf8(gen_time.value()).unwrap_or_default();
    let gen_time = parse_generalized_time(text)
        .ok_or_else(|| format!("genTime {text:?} is not YYYYMMDDhhmmss[.f]Z"))?;
    Ok((algorithm, imprint, gen_time))
}

/// A GeneralizedTime as RFC 3161 requires it: `YYYYMMDDhhmmss`, optionally
/// a fraction of a second (kept to the nanosecond), then `Z`. der's own
/// GeneralizedTime refuses the fraction, which many authorities write.
fn parse_generalized_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.strip_suffix('Z')?;
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| whole[r].parse::<u16>().ok();
    let date = Date::from_calendar_date(
        i32::from(n(0..4)?),
        Month::try_from(u8::try_from(n(4..6)?).ok()?).ok()?,
        u8::try_from(n(6..8)?).ok()?,
    )
    .ok()?;
    let nanos = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let digits: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
            digits.parse::<u32>().ok()?
        }
        Some(_) => return None,
    };
    let time = Time::from_hms_nano(
        u8::try_from(n(8..10)?).ok()?,
        u8::try_from(n(10..12)?).ok()?,
        u8::try_from(n(12..14)?).ok()?,
        nanos,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn generalized_times_with_and_without_a_fraction() {
        assert_eq!(
            parse_generalized_time("20261205093000Z"),
            Some(datetime!(2026-12-05 09:30:00 UTC))
        );
        assert_eq!(
            parse_generalized_time("20261205093000.25Z"),
            Some(datetime!(2026-12-05 09:30:00.25 UTC))
        );
        for bad in [
            "",
            "20261205093000",
            "2026120509300Z",
            "20261305093000Z",
            "20261205093000.Z",
            "20261205093000.2xZ",
            "20261205093000+0100",
        ] {
            assert_eq!(parse_generalized_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn junk_is_not_a_token() {
        for junk in [&b""[..], b"\x30\x00", b"not der", &[0x30, 0x82, 0xff, 0xff]] {
            assert!(check_token(junk, b"sig").is_err());
        }
    }
}
