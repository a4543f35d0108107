//! The errors of rendering, sealing and verifying a certificate.

/// Everything that can go wrong in this crate. Each message names the field,
/// the limit or the check concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// A required text field is empty (or only spaces).
    #[error("{field} is empty")]
    EmptyField {
        /// The field, e.g. `holder.surname`.
        field: &'static str,
    },
    /// A text field holds a control character (line break, tab, …): the
    /// layout wraps text itself and prints every field on its own lines.
    #[error("{field} contains the control character U+{code:04X}")]
    ControlCharacter {
        /// The field.
        field: &'static str,
        /// The character's code point.
        code: u32,
    },
    /// A text field holds a character the embedded font (DejaVu Sans) has no
    /// glyph for; PDF/A forbids printing it as a missing glyph.
    #[error("{field} contains {ch:?} (U+{code:04X}), which the certificate font cannot print", code = *ch as u32)]
    UnsupportedCharacter {
        /// The field.
        field: &'static str,
        /// The character.
        ch: char,
    },
    /// A text field is longer than the certificate prints.
    #[error("{field} is {len} characters long; at most {max} are printed")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length in characters.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The document's fields contradict each other or the certificate type.
    #[error("inconsistent certificate: {0}")]
    Inconsistent(&'static str),
    /// More annotations than the certificate's pages hold.
    #[error("{given} annotations do not fit: at most {fit} fit on the {max_pages} pages of a certificate")]
    TooManyAnnotations {
        /// Annotations given.
        given: usize,
        /// How many of them fit.
        fit: usize,
        /// The page limit.
        max_pages: usize,
    },
    /// The QR code of the contrassegno could not be made (URL too long).
    #[error("contrassegno URL cannot be encoded as a QR code: {0}")]
    Qr(String),
    /// The PDF could not be written: the embedded faces do not load or
    /// lack a glyph of the text (which [`crate::render`]'s checks refuse
    /// earlier), or a subset could not be made.
    #[error("the PDF could not be written as PDF/A-2b: {0}")]
    Pdf(String),
    /// The seal's certificate or key could not be loaded, or do not match.
    #[error("seal key or certificate: {0}")]
    SealKey(String),
    /// The PDF to seal or verify is not one this crate can handle.
    #[error("malformed PDF: {0}")]
    Malformed(String),
    /// The CMS signature could not be built, or does not fit the space
    /// reserved for it.
    #[error("signature: {0}")]
    Signing(String),
    /// The signature time-stamp of a B-T seal: the caller's time-stamper
    /// failed, or a token (given to [`crate::Sealer::seal_timestamped`], or
    /// found by [`crate::verify_seal`]) is not a signed TSTInfo over the
    /// signature value.
    #[error("signature time-stamp: {0}")]
    TimeStamp(String),
    /// [`crate::verify_seal`]: the PDF carries no seal.
    #[error("the PDF is not sealed: {0}")]
    NotSealed(String),
    /// [`crate::verify_seal`]: the signed byte ranges are not the whole file
    /// except the signature itself.
    #[error("the seal does not cover the whole file: {0}")]
    Coverage(String),
    /// [`crate::verify_seal`]: the CMS signature does not verify over the
    /// signed bytes, or its signer does not chain to the trusted CA.
    #[error("the seal is not valid: {0}")]
    InvalidSeal(String),
}
