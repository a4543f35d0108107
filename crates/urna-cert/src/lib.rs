//! The electoral certificates of ANPR operation 6001 — type 21 "Certificato
//! di godimento dei diritti politici" and type 22 "Certificato di iscrizione
//! nelle liste elettorali" — as PDF documents, and their electronic seal.
//! docs/certificates.md describes the document; this crate is the pure
//! library the 6001 service calls: no I/O, no clock, no randomness.
//!
//! * [`render`]: a [`CertificateDoc`] → an unsealed PDF/A-2b (A4, DejaVu Sans
//!   subsets embedded, `it-IT` and the title in the metadata), written by
//!   `pdf.rs` on `pdf-writer` from parts prepared once per process. The
//!   same document gives the same bytes: the PDF's dates come from
//!   [`CertificateDoc::issued_at`] and its ids are hashes of its content.
//! * [`Sealer::issue`]: the same document with the PAdES baseline B-B
//!   electronic seal (`/SubFilter /ETSI.CAdES.detached`) in its only
//!   revision, with a signature widget over the seal box the layout prints
//!   at the bottom of the last page.
//! * [`verify_seal`]: the checks a public verification page makes.
//!
//! # CMS back end
//!
//! The seal's CMS is built with RustCrypto's `cms` (`SignerInfoBuilder`),
//! RSA PKCS#1 v1.5 with SHA-256 from the `rsa` crate: its signed attributes
//! are exactly contentType, messageDigest and the signingCertificateV2 this
//! crate adds, with no signingTime, which is what PAdES baseline B-B wants
//! (the claimed time is the dictionary's `/M`). OpenSSL's `CMS_sign` always
//! adds signingTime, so it is not used to sign; [`verify_seal`] uses
//! OpenSSL's `CMS_verify` (and its certificate store for the chain), an
//! implementation independent of the one that signed.
//!
//! # PDF/A-2b
//!
//! `pdf.rs` lists what makes the file PDF/A-2b and where each requirement
//! is met; the seal's field keeps it (the widget has the Print flag and an
//! `/AP` with only `/N`, a form XObject; the AcroForm has no
//! `/NeedAppearances`; the `/ByteRange` covers the whole file but
//! `/Contents`, which is one DER CMS with one signer and its certificate).
//! The tests check each of these on the written files; no full PDF/A
//! validator (veraPDF) is available to them. docs/certificates.md says why
//! the writer is urna's own rather than a general PDF/A library's.
#![forbid(unsafe_code)]

mod error;
mod layout;
mod model;
mod pdf;
mod qr;
mod seal;
mod strings;
mod timestamp;
mod verify;

pub use error::CertError;
pub use model::{
    CertificateDoc, CertificateType, Comune, Contrassegno, ElectoralData, ElectoralList, Holder,
    Issuer, Language, Languages, Section, Sex, Signatory,
};
pub use seal::{Sealer, TimeStamper};
pub use verify::{verify_seal, SealInfo};

/// The largest number of pages of a certificate; more annotations than fit
/// are refused ([`CertError::TooManyAnnotations`]).
pub const MAX_PAGES: usize = layout::MAX_PAGES;

/// Length limits of the printed fields, in characters: those of ANPR's
/// schema where it has one (names 80, annotations 240, exemption description
/// 256, protocol 30 digits), and bounds that keep the layout on its pages
/// for the others.
mod limits {
    pub const NAME: usize = 80;
    pub const PLACE: usize = 120;
    pub const CODICE_FISCALE: usize = 16;
    pub const COMUNE: usize = 100;
    pub const PROVINCE: usize = 4;
    pub const SEAT: usize = 200;
    pub const EXEMPTION: usize = 256;
    pub const PROTOCOL: usize = 30;
    pub const ANNOTATION: usize = 240;
    pub const URL: usize = 200;
    pub const CODE: usize = 40;
}

/// Renders `doc` as an unsealed PDF/A-2b document.
///
/// Refuses, with the field named, empty required fields, control
/// characters, characters DejaVu Sans cannot print, fields over their
/// length limit, a preview with a protocol number or contrassegno, a real
/// certificate without a protocol number, a certificate 22 without lists or
/// section, and more annotations than [`MAX_PAGES`] pages hold. Long texts
/// wrap; nothing is cut silently.
pub fn render(doc: &CertificateDoc) -> Result<Vec<u8>, CertError> {
    write(doc, None).map(|w| w.bytes)
}

/// [`render`], with the signature field of `seal` when given.
fn write(doc: &CertificateDoc, seal: Option<&pdf::SealField>) -> Result<pdf::Written, CertError> {
    validate(doc)?;
    let pages = layout::finish_pages(doc, layout::layout(doc)?);
    let title = layout::title(doc);
    pdf::write(
        &pdf::Info {
            title: &title,
            issued_at: doc.issued_at,
        },
        &pages,
        seal,
    )
}

/// Checks a printed text field.
fn text(field: &'static str, value: &str, max: usize) -> Result<(), CertError> {
    if value.trim().is_empty() {
        return Err(CertError::EmptyField { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(CertError::TooLong { field, len, max });
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(CertError::ControlCharacter {
            field,
            code: c as u32,
        });
    }
    if let Some(ch) = value.chars().find(|c| !layout::printable(*c)) {
        return Err(CertError::UnsupportedCharacter { field, ch });
    }
    Ok(())
}

fn comune(name: &'static str, province: &'static str, c: &Comune) -> Result<(), CertError> {
    text(name, &c.name, limits::COMUNE)?;
    text(province, &c.province, limits::PROVINCE)
}

/// Every check of [`render`] before the layout.
fn validate(doc: &CertificateDoc) -> Result<(), CertError> {
    use limits::*;
    let h = &doc.holder;
    text("holder.surname", &h.surname, NAME)?;
    text("holder.name", &h.name, NAME)?;
    text("holder.birth_place", &h.birth_place, PLACE)?;
    text("holder.codice_fiscale", &h.codice_fiscale, CODICE_FISCALE)?;
    let e = &doc.electoral;
    comune(
        "electoral.comune.name",
        "electoral.comune.province",
        &e.comune,
    )?;
    if let Some(s) = &e.section {
        text("electoral.section.seat_name", &s.seat_name, SEAT)?;
        text("electoral.section.seat_address", &s.seat_address, SEAT)?;
        text("electoral.section.number", &s.number, SEAT)?;
        if s.number.trim().is_empty() {
            return Err(CertError::Inconsistent("a section without a number"));
        }
    }
    let i = &doc.issuer;
    comune("issuer.comune.name", "issuer.comune.province", &i.comune)?;
    text("issuer.officer_surname", &i.officer_surname, NAME)?;
    text("issuer.officer_name", &i.officer_name, NAME)?;
    text("exemption", &doc.exemption, EXEMPTION)?;
    for a in &doc.annotations {
        text("annotations", a, ANNOTATION)?;
    }
    if let Some(p) = &doc.protocol {
        text("protocol", p, PROTOCOL)?;
    }
    if let Some(c) = &doc.contrassegno {
        text("contrassegno.url", &c.url, URL)?;
        text("contrassegno.code", &c.code, CODE)?;
    }

    for (n, list) in e.lists.iter().enumerate() {
        if e.lists[..n].contains(list) {
            return Err(CertError::Inconsistent("an electoral list is stated twice"));
        }
    }
    if e.lists.contains(&ElectoralList::General) && e.lists.len() > 1 {
        return Err(CertError::Inconsistent(
            "the general list and the EU citizens' additional lists exclude each other",
        ));
    }
    if doc.kind == CertificateType::Iscrizione {
        if e.lists.is_empty() {
            return Err(CertError::Inconsistent(
                "a certificate of enrolment (22) states at least one list",
            ));
        }
        if e.section.is_none() {
            return Err(CertError::Inconsistent(
                "a certificate of enrolment (22) states the section and its seat",
            ));
        }
    }
    if doc.preview {
        if doc.protocol.is_some() {
            return Err(CertError::Inconsistent(
                "a preview carries no protocol number",
            ));
        }
        if doc.contrassegno.is_some() {
            return Err(CertError::Inconsistent("a preview carries no contrassegno"));
        }
    } else if doc.protocol.is_none() {
        return Err(CertError::Inconsistent(
            "a certificate that is not a preview carries ANPR's protocol number",
        ));
    }
    if !(1..=9999).contains(&doc.issued_at.year()) {
        return Err(CertError::Inconsistent(
            "the issue year is not between 1 and 9999",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(doc: &CertificateDoc) -> Vec<u8> {
        render(doc).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn example_renders_as_pdf_a() {
        let pdf = rendered(&CertificateDoc::example());
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(
            text.contains("pdfaid:part>2<") || text.contains("pdfaid:part=\"2\""),
            "no PDF/A-2 id"
        );
        assert!(
            text.contains("pdfaid:conformance>B<") || text.contains("pdfaid:conformance=\"B\"")
        );
        assert!(text.contains("it-IT"));
        assert!(text.contains("/Lang(it-IT)"));
    }

    #[test]
    fn same_input_same_bytes() {
        let doc = CertificateDoc::example();
        assert_eq!(rendered(&doc), rendered(&doc));
        let mut later = doc.clone();
        later.issued_at += time::Duration::seconds(1);
        assert_ne!(rendered(&doc), rendered(&later));
    }

    #[test]
    fn field_errors_name_the_field() {
        let base = CertificateDoc::example();
        let mut d = base.clone();
        d.holder.surname = "  ".into();
        assert!(matches!(
            render(&d),
            Err(CertError::EmptyField {
                field: "holder.surname"
            })
        ));
        let mut d = base.clone();
        d.holder.name = "MARIA\nROSA".into();
        assert!(matches!(
            render(&d),
            Err(CertError::ControlCharacter {
                field: "holder.name",
                code: 10
            })
        ));
        let mut d = base.clone();
        d.holder.birth_place = "東京".into();
        let e = render(&d).unwrap_err();
        assert!(matches!(
            e,
            CertError::UnsupportedCharacter {
                field: "holder.birth_place",
                ch: '東'
            }
        ));
        assert_eq!(
            e.to_string(),
            "holder.birth_place contains '東' (U+6771), which the certificate font cannot print"
        );
        let mut d = base.clone();
        d.annotations = vec!["x".repeat(241)];
        assert!(matches!(
            render(&d),
            Err(CertError::TooLong {
                field: "annotations",
                len: 241,
                max: 240
            })
        ));
    }

    #[test]
    fn inconsistent_documents_are_refused() {
        let base = CertificateDoc::example();
        let mut d = base.clone();
        d.preview = true;
        assert!(matches!(render(&d), Err(CertError::Inconsistent(m)) if m.contains("protocol")));
        d.protocol = None;
        assert!(
            matches!(render(&d), Err(CertError::Inconsistent(m)) if m.contains("contrassegno"))
        );
        d.contrassegno = None;
        rendered(&d);
        let mut d = base.clone();
        d.protocol = None;
        assert!(matches!(render(&d), Err(CertError::Inconsistent(_))));
        let mut d = base.clone();
        d.electoral.section = None;
        assert!(matches!(render(&d), Err(CertError::Inconsistent(m)) if m.contains("section")));
        d.kind = CertificateType::GodimentoDirittiPolitici;
        rendered(&d);
        d.electoral.lists.clear();
        rendered(&d);
        let mut d = base.clone();
        d.electoral.lists = vec![ElectoralList::General, ElectoralList::EuMunicipal];
        assert!(matches!(render(&d), Err(CertError::Inconsistent(_))));
        d.electoral.lists = vec![ElectoralList::EuMunicipal, ElectoralList::EuMunicipal];
        assert!(matches!(render(&d), Err(CertError::Inconsistent(_))));
        d.electoral.lists = vec![ElectoralList::EuMunicipal, ElectoralList::EuParliament];
        rendered(&d);
    }

    #[test]
    fn long_texts_wrap_and_too_many_annotations_are_refused() {
        let mut d = CertificateDoc::example();
        d.languages = Languages::ItSl;
        d.holder.surname = "DE LA ROCHEFOUCAULD-".repeat(4);
        d.holder.name = "X".repeat(80);
        d.electoral.section.as_mut().unwrap().seat_name = "SCUOLA ".repeat(28);
        d.annotations = vec![
            "Annotazione lunga con parole diverse "
                .repeat(6)
                .trim()
                .to_string();
            8
        ];
        rendered(&d);
        d.annotations = vec![
            "Annotazione lunga con parole diverse "
                .repeat(6)
                .trim()
                .to_string();
            200
        ];
        match render(&d) {
            Err(CertError::TooManyAnnotations {
                given: 200,
                fit,
                max_pages: MAX_PAGES,
            }) => {
                assert!(fit > 8 && fit < 200, "{fit}");
                d.annotations.truncate(fit);
                rendered(&d);
                d.annotations.push(d.annotations[0].clone());
                assert!(matches!(
                    render(&d),
                    Err(CertError::TooManyAnnotations { .. })
                ));
            }
            other => panic!("{other:?}"),
        }
    }
}
