//! Integration tests of urna-cert: the rendered and sealed documents as
//! files, checked by this crate's verifier, by lopdf and the RustCrypto
//! `cms` decoder for the PDF/A and PAdES structure, and by independent
//! tools (`peers.rs`: qpdf, pdfsig, pdftoppm + zbarimg, pyHanko).

mod peers;
mod timestamp;

use std::sync::OnceLock;

use der::{Decode, Encode};
use lopdf::{Document, Object};
use sha2::{Digest, Sha256};
use urna_cert::{
    render, verify_seal, CertError, CertificateDoc, CertificateType, Languages, Sealer,
};

/// A development CA and its seal certificate, made once per test process.
pub struct Pki {
    pub ca_pem: String,
    pub sealer: Sealer,
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let ca = urna_pki::Ca::generate(urna_pki::DEV_CA_COMMON_NAME).unwrap();
        let seal = ca.issue_seal().unwrap();
        Pki {
            ca_pem: ca.cert_pem().to_string(),
            sealer: Sealer::from_pem(&seal.cert_pem, &seal.key_pem).unwrap(),
        }
    })
}

/// The example certificate (22, Italian), in `languages`, of `kind`.
pub fn doc(kind: CertificateType, languages: Languages) -> CertificateDoc {
    let mut d = CertificateDoc::example();
    d.kind = kind;
    d.languages = languages;
    d
}

/// The example, rendered and sealed.
pub fn sealed(d: &CertificateDoc) -> Vec<u8> {
    pki().sealer.issue(d).unwrap()
}

/// `pdf` with one byte changed inside the first signed range: 40 bytes into
/// the first stream (compressed page content or font), so the file still
/// parses and only the signature can tell.
pub fn tampered(pdf: &[u8]) -> Vec<u8> {
    let mut t = pdf.to_vec();
    let at = find(&t, b"stream\n").expect("a stream") + 40;
    t[at] ^= 0x01;
    t
}

fn sha256(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

#[test]
fn the_same_document_gives_the_same_bytes_rendered_and_sealed() {
    for languages in Languages::ALL {
        let d = doc(CertificateType::Iscrizione, languages);
        let (a, b) = (render(&d).unwrap(), render(&d).unwrap());
        assert_eq!(sha256(&a), sha256(&b), "{languages:?}");
        // RSA PKCS#1 v1.5 is deterministic: the seal too.
        let (sa, sb) = (
            pki().sealer.issue(&d).unwrap(),
            pki().sealer.issue(&d).unwrap(),
        );
        assert_eq!(sha256(&sa), sha256(&sb), "{languages:?}");
    }
}

#[test]
fn every_type_language_and_preview_renders_as_a4_pdf_a_2b() {
    for kind in CertificateType::ALL {
        for languages in Languages::ALL {
            for preview in [false, true] {
                let mut d = doc(kind, languages);
                d.preview = preview;
                if preview {
                    d.protocol = None;
                    d.contrassegno = None;
                }
                let pdf =
                    render(&d).unwrap_or_else(|e| panic!("{kind:?} {languages:?} {preview}: {e}"));
                let what = format!("{kind:?} {languages:?} preview={preview}");
                let text = String::from_utf8_lossy(&pdf);
                // The PDF/A-2b identification, and metadata equal to /Info.
                assert!(text.contains("<pdfaid:part>2</pdfaid:part>"), "{what}");
                assert!(
                    text.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
                    "{what}"
                );
                assert!(text.contains("<rdf:li>it-IT</rdf:li>"), "{what}");
                assert!(text.contains("<dc:title>"), "{what}");
                assert!(
                    text.contains("<xmp:CreateDate>2026-12-05T10:30:00+01:00</xmp:CreateDate>"),
                    "{what}"
                );
                let parsed = Document::load_mem(&pdf).unwrap();
                let info = parsed
                    .get_dictionary(parsed.trailer.get(b"Info").unwrap().as_reference().unwrap())
                    .unwrap();
                let info_str = |k: &[u8]| {
                    String::from_utf8(info.get(k).unwrap().as_str().unwrap().to_vec()).unwrap()
                };
                assert_eq!(
                    info_str(b"CreationDate"),
                    "D:20261205103000+01'00",
                    "{what}"
                );
                assert_eq!(info_str(b"ModDate"), "D:20261205103000+01'00", "{what}");
                assert!(
                    text.contains(&format!(
                        "<pdf:Producer>{}</pdf:Producer>",
                        info_str(b"Producer")
                    )),
                    "{what}"
                );
                assert!(
                    text.contains(&format!(
                        "<xmp:CreatorTool>{}</xmp:CreatorTool>",
                        info_str(b"Creator")
                    )),
                    "{what}"
                );
                let pages = parsed.get_pages();
                assert_eq!(pages.len(), 1, "{what}");
                for id in pages.values() {
                    let page = parsed.get_dictionary(*id).unwrap();
                    let media: Vec<f32> = page
                        .get(b"MediaBox")
                        .unwrap()
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|o| o.as_float().unwrap())
                        .collect();
                    assert_eq!(media, [0.0, 0.0, 595.276, 841.89], "{what}");
                }
                // Fonts embedded (as subsets).
                let fonts = parsed
                    .objects
                    .values()
                    .filter_map(|o| o.as_dict().ok())
                    .filter(|d| d.has(b"FontFile2"))
                    .count();
                assert_eq!(fonts, 2, "{what}: DejaVu Sans and Sans Bold");
            }
        }
    }
}

#[test]
fn a_sealed_certificate_stays_under_60_kb() {
    for kind in CertificateType::ALL {
        for languages in Languages::ALL {
            let pdf = sealed(&doc(kind, languages));
            assert!(
                pdf.len() <= 60 * 1024,
                "{kind:?} {languages:?}: {} bytes",
                pdf.len()
            );
        }
    }
}

#[test]
fn verify_seal_accepts_the_sealed_file() {
    let d = CertificateDoc::example();
    let info = verify_seal(&sealed(&d), pki().ca_pem.as_bytes()).unwrap();
    assert_eq!(
        info.signer,
        "CN=urna sigillo elettronico (sviluppo),OU=ANPR,O=Ministero dell'Interno,C=IT"
    );
    assert_eq!(info.signed_at, d.issued_at);
}

#[test]
fn verify_seal_rejects_a_changed_byte_a_foreign_key_and_unsealed_or_extended_files() {
    let d = CertificateDoc::example();
    let pdf = sealed(&d);
    let ca = pki().ca_pem.as_bytes();
    assert!(matches!(
        verify_seal(&tampered(&pdf), ca),
        Err(CertError::InvalidSeal(_))
    ));
    // A byte of the signature itself.
    let mut t = pdf.clone();
    let contents = find(&t, b"/Contents<").unwrap() + 12;
    t[contents] = if t[contents] == b'0' { b'1' } else { b'0' };
    assert!(verify_seal(&t, ca).is_err());
    // Sealed by a key of another CA.
    let other = urna_pki::Ca::generate("CA estranea").unwrap();
    let foreign = other.issue_seal().unwrap();
    let foreign = Sealer::from_pem(&foreign.cert_pem, &foreign.key_pem).unwrap();
    let by_foreign = foreign.issue(&d).unwrap();
    assert!(matches!(
        verify_seal(&by_foreign, ca),
        Err(CertError::InvalidSeal(_))
    ));
    assert!(verify_seal(&by_foreign, other.cert_pem().as_bytes()).is_ok());
    // Not sealed at all.
    assert!(matches!(
        verify_seal(&render(&d).unwrap(), ca),
        Err(CertError::NotSealed(_))
    ));
    // Bytes appended after the seal are not covered.
    let mut longer = pdf.clone();
    longer.extend_from_slice(b"\n% appended\n");
    assert!(matches!(
        verify_seal(&longer, ca),
        Err(CertError::Coverage(_))
    ));
    // A preview is not sealed.
    let mut preview = d.clone();
    preview.preview = true;
    preview.protocol = None;
    preview.contrassegno = None;
    assert!(matches!(
        pki().sealer.issue(&preview),
        Err(CertError::Inconsistent(_))
    ));
}

#[test]
fn sealer_refuses_mismatched_or_weak_keys() {
    let ca = urna_pki::Ca::generate("CA").unwrap();
    let seal = ca.issue_seal().unwrap();
    let server = ca.issue_server(&["localhost"]).unwrap();
    // The server key is ECDSA: not an RSA seal key.
    assert!(matches!(
        Sealer::from_pem(&server.cert_pem, &server.key_pem),
        Err(CertError::SealKey(_))
    ));
    // The seal key with another certificate.
    let station = ca
        .issue_station_default(&"058091-PC-0001".parse().unwrap())
        .unwrap();
    let e = Sealer::from_pem(&station.cert_pem, &seal.key_pem).unwrap_err();
    assert!(e.to_string().contains("does not belong"), "{e}");
    assert!(matches!(
        Sealer::from_pem("", &seal.key_pem),
        Err(CertError::SealKey(_))
    ));
    assert!(matches!(
        Sealer::from_pem(&seal.cert_pem, "junk"),
        Err(CertError::SealKey(_))
    ));
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The signature field keeps the file PDF/A-2b (ISO 19005-2 6.3.2/6.3.3
/// annotations, 6.4.1 forms, 6.4.3 signatures, 6.1.3 trailer), and the CMS
/// is the PAdES B-B one.
#[test]
fn the_seal_keeps_pdf_a_2b_and_pades_b_b() {
    let d = doc(CertificateType::Iscrizione, Languages::ItDe);
    let pdf = pki().sealer.issue(&d).unwrap();
    assert!(
        pdf.ends_with(b"%%EOF\n") || pdf.ends_with(b"%%EOF"),
        "ends with %%EOF"
    );
    let after = Document::load_mem(&pdf).unwrap();
    // One revision, with a file /ID (6.1.3) and a cross-reference table.
    assert_eq!(pdf.windows(9).filter(|w| w == b"startxref").count(), 1);
    assert!(after.trailer.get(b"ID").is_ok());
    // The unsealed rendering of the same document: the same pages, no form.
    let plain = Document::load_mem(&render(&d).unwrap()).unwrap();
    assert!(plain.catalog().unwrap().get(b"AcroForm").is_err());
    assert_eq!(plain.get_pages().len(), after.get_pages().len());

    let catalog = after.catalog().unwrap();
    let form = catalog.get(b"AcroForm").unwrap().as_dict().unwrap();
    assert_eq!(form.get(b"SigFlags").unwrap().as_i64().unwrap(), 3);
    assert!(!form.has(b"NeedAppearances") && !form.has(b"XFA"));
    let fields = form.get(b"Fields").unwrap().as_array().unwrap();
    assert_eq!(fields.len(), 1);
    let widget_id = fields[0].as_reference().unwrap();
    let widget = after.get_dictionary(widget_id).unwrap();
    assert_eq!(
        widget.get(b"Subtype").unwrap().as_name().unwrap(),
        b"Widget"
    );
    assert_eq!(widget.get(b"FT").unwrap().as_name().unwrap(), b"Sig");
    // Print set, Hidden/Invisible/NoView/ToggleNoView clear (6.3.2).
    assert_eq!(widget.get(b"F").unwrap().as_i64().unwrap(), 4);
    // An appearance dictionary with only /N, a stream (6.3.3).
    let ap = widget.get(b"AP").unwrap().as_dict().unwrap();
    assert_eq!(ap.len(), 1);
    let n = after
        .get_object(ap.get(b"N").unwrap().as_reference().unwrap())
        .unwrap();
    assert!(matches!(n, Object::Stream(_)));
    // On the last page, over the seal box.
    let last = *after.get_pages().values().last().unwrap();
    assert_eq!(widget.get(b"P").unwrap().as_reference().unwrap(), last);
    let annots = after
        .get_dictionary(last)
        .unwrap()
        .get(b"Annots")
        .unwrap()
        .as_array()
        .unwrap();
    assert!(annots.contains(&Object::Reference(widget_id)));
    let rect: Vec<f32> = widget
        .get(b"Rect")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect();
    assert_eq!(rect, [56.0, 40.0, 539.276, 88.0]);

    let sig = after
        .get_dictionary(widget.get(b"V").unwrap().as_reference().unwrap())
        .unwrap();
    assert_eq!(
        sig.get(b"Filter").unwrap().as_name().unwrap(),
        b"Adobe.PPKLite"
    );
    assert_eq!(
        sig.get(b"SubFilter").unwrap().as_name().unwrap(),
        b"ETSI.CAdES.detached"
    );
    assert_eq!(
        sig.get(b"M").unwrap().as_str().unwrap(),
        b"D:20261205103000+01'00'"
    );
    let range: Vec<i64> = sig
        .get(b"ByteRange")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_i64().unwrap())
        .collect();
    assert_eq!(range[0], 0);
    assert_eq!((range[2] + range[3]) as usize, pdf.len());
    let gap = (range[2] - range[1]) as usize;
    assert_eq!(gap, 2 * pki().sealer.signature_space(false) + 2);

    // The CMS: DER, one SignerInfo, the signer's certificate included, signed
    // attributes contentType, messageDigest, signingCertificateV2 and no
    // signingTime, detached (6.4.3; ETSI EN 319 142-1 B-B).
    let contents = sig.get(b"Contents").unwrap().as_str().unwrap();
    let len = usize::from(u16::from_be_bytes([contents[2], contents[3]])) + 4;
    assert_eq!(contents[..2], [0x30, 0x82]);
    assert!(contents[len..].iter().all(|b| *b == 0));
    let info = cms::content_info::ContentInfo::from_der(&contents[..len]).unwrap();
    let data: cms::signed_data::SignedData = info.content.decode_as().unwrap();
    assert!(data.encap_content_info.econtent.is_none(), "detached");
    assert_eq!(data.signer_infos.0.len(), 1);
    assert_eq!(data.certificates.as_ref().unwrap().0.len(), 1);
    let signer = data.signer_infos.0.get(0).unwrap();
    let oids: Vec<String> = signer
        .signed_attrs
        .as_ref()
        .unwrap()
        .iter()
        .map(|a| a.oid.to_string())
        .collect();
    let mut sorted = oids.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "1.2.840.113549.1.9.16.2.47",
            "1.2.840.113549.1.9.3",
            "1.2.840.113549.1.9.4"
        ],
        "contentType, messageDigest, signingCertificateV2; no signingTime (1.2.840.113549.1.9.5)"
    );
    assert_eq!(signer.digest_alg.oid.to_string(), "2.16.840.1.101.3.4.2.1");
    // sha256WithRSAEncryption, 2048-bit.
    assert_eq!(
        signer.signature_algorithm.oid.to_string(),
        "1.2.840.113549.1.1.11"
    );
    assert_eq!(signer.signature.as_bytes().len(), 256);
    assert!(signer.to_der().is_ok());
}
