//! Writes example certificates into a directory: each type in each language
//! set, sealed with a throw-away development PKI (urna-pki), plus an
//! unsealed preview; and `ca.crt`, the CA their seals chain to.
//!
//!     cargo run -p urna-cert --example render -- OUTDIR
//!
//! scripts/render-certificates.sh turns their first pages into the images of
//! docs/certificates/.

use std::path::PathBuf;

use time::macros::{date, datetime};
use urna_cert::{
    render, CertificateDoc, CertificateType, Comune, Contrassegno, ElectoralList, Languages,
    Sealer, Section, Sex, Signatory,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: render OUTDIR")?);
    std::fs::create_dir_all(&out)?;
    let ca = urna_pki::Ca::generate(urna_pki::DEV_CA_COMMON_NAME)?;
    let seal = ca.issue_seal()?;
    let sealer = Sealer::from_pem(&seal.cert_pem, &seal.key_pem)?;
    std::fs::write(out.join("ca.crt"), ca.cert_pem())?;

    for languages in Languages::ALL {
        for kind in CertificateType::ALL {
            let doc = example(kind, languages);
            let name = format!("{}-{}", kind_name(kind), languages_name(languages));
            let pdf = sealer.issue(&doc)?;
            let path = out.join(format!("{name}.pdf"));
            std::fs::write(&path, &pdf)?;
            println!("{} ({} bytes)", path.display(), pdf.len());
        }
    }
    let mut preview = example(CertificateType::Iscrizione, Languages::It);
    preview.preview = true;
    preview.protocol = None;
    preview.contrassegno = None;
    let pdf = render(&preview)?;
    let path = out.join("anteprima-it.pdf");
    std::fs::write(&path, &pdf)?;
    println!("{} ({} bytes, not sealed)", path.display(), pdf.len());
    Ok(())
}

fn kind_name(kind: CertificateType) -> &'static str {
    match kind {
        CertificateType::GodimentoDirittiPolitici => "godimento",
        CertificateType::Iscrizione => "iscrizione",
    }
}

fn languages_name(languages: Languages) -> &'static str {
    match languages {
        Languages::It => "it",
        Languages::ItDe => "it-de",
        Languages::ItFr => "it-fr",
        Languages::ItSl => "it-sl",
    }
}

fn comune(name: &str, province: &str) -> Comune {
    Comune {
        name: name.into(),
        province: province.into(),
    }
}

/// A plausible certificate for the area where `languages` is used.
fn example(kind: CertificateType, languages: Languages) -> CertificateDoc {
    let mut doc = CertificateDoc::example();
    doc.kind = kind;
    doc.languages = languages;
    match languages {
        Languages::It => {
            doc.annotations = vec!["Certificato rilasciato su richiesta dell'interessata.".into()];
        }
        Languages::ItDe => {
            doc.holder.surname = "OBERHOFER".into();
            doc.holder.name = "JOHANN".into();
            doc.holder.sex = Sex::M;
            doc.holder.birth_date = date!(1975 - 06 - 14);
            doc.holder.birth_place = "BOLZANO/BOZEN (BZ)".into();
            doc.holder.codice_fiscale = "BRHJNN75H14A952A".into();
            doc.electoral.comune = comune("BOLZANO/BOZEN", "BZ");
            doc.electoral.section = Some(Section {
                number: "27".into(),
                seat_name: "SCUOLA ELEMENTARE J. W. VON GOETHE / GRUNDSCHULE J. W. VON GOETHE"
                    .into(),
                seat_address: "VIA DEI CAPPUCCINI 29 / KAPUZINERGASSE 29".into(),
            });
            doc.issuer.comune = comune("BOLZANO/BOZEN", "BZ");
            doc.issuer.officer_surname = "GRUBER".into();
            doc.issuer.officer_name = "ANNA".into();
            doc.issuer.signatory = Signatory::Delegate;
        }
        Languages::ItFr => {
            doc.holder.surname = "DUPONT".into();
            doc.holder.name = "CLAIRE".into();
            doc.holder.birth_date = date!(1988 - 09 - 03);
            doc.holder.birth_place = "LIONE (FRANCIA)".into();
            doc.holder.codice_fiscale = "DPNCLR88P43Z110D".into();
            doc.electoral.comune = comune("AOSTA/AOSTE", "AO");
            // An EU citizen: the additional lists.
            doc.electoral.lists = vec![ElectoralList::EuMunicipal, ElectoralList::EuParliament];
            doc.electoral.section = Some(Section {
                number: "12".into(),
                seat_name: "SCUOLA PRIMARIA SAN FRANCESCO".into(),
                seat_address: "PIAZZA CHANOUX 1".into(),
            });
            doc.issuer.comune = comune("AOSTA/AOSTE", "AO");
            doc.issuer.signatory = Signatory::DeputyMayor;
        }
        Languages::ItSl => {
            doc.holder.surname = "KOCJANČIČ".into();
            doc.holder.name = "MARKO".into();
            doc.holder.sex = Sex::M;
            doc.holder.birth_date = date!(1969 - 02 - 21);
            doc.holder.birth_place = "TRIESTE (TS)".into();
            doc.holder.codice_fiscale = "KCJMRK69B21L424I".into();
            doc.electoral.comune = comune("SAN DORLIGO DELLA VALLE/DOLINA", "TS");
            doc.electoral.section = Some(Section {
                number: "3".into(),
                seat_name: "SCUOLA PRIMARIA CON LINGUA D'INSEGNAMENTO SLOVENA".into(),
                seat_address: "BAGNOLI DELLA ROSANDRA/BOLJUNEC 412".into(),
            });
            doc.issuer.comune = comune("SAN DORLIGO DELLA VALLE/DOLINA", "TS");
        }
    }
    if kind == CertificateType::GodimentoDirittiPolitici && languages == Languages::ItFr {
        // Certificate 21 is for citizens: an Italian elector of Aosta.
        doc.holder.surname = "PERRIN".into();
        doc.holder.name = "LUCIA".into();
        doc.holder.birth_place = "AOSTA/AOSTE (AO)".into();
        doc.holder.codice_fiscale = "PRRLCU88P43A326Z".into();
        doc.electoral.lists = vec![ElectoralList::General];
    }
    doc.issued_at = datetime!(2026-12-05 10:30:00 +01:00);
    doc.contrassegno = Some(Contrassegno {
        url: format!("https://127.0.0.1:8443/verifica/{}", code(&doc)),
        code: code(&doc),
    });
    doc
}

/// A short code derived from the document, as a verification service would
/// assign one.
fn code(doc: &CertificateDoc) -> String {
    let seed: u32 = doc
        .holder
        .codice_fiscale
        .bytes()
        .fold(doc.kind.code().into(), |h, b| {
            h.wrapping_mul(31).wrapping_add(b.into())
        });
    let alphabet = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut s = String::new();
    let mut v = seed;
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            s.push('-');
        }
        s.push(alphabet[(v % 32) as usize] as char);
        v = v.rotate_right(5) ^ 0x9E37_79B9;
    }
    s
}
