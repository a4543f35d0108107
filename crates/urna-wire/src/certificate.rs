//! 6001 `emissioneCertificato` on the wire (docs/anpr-interface.md §6001):
//! the request read into [`Request6001`], the `Risposta6001OK` written with
//! the certificate inline (base64) in `file/certificatoPdf`.

use base64::Engine;
use urna_domain::certificate::{Control, Generalita, Request6001, Requester};
use urna_domain::date::parse_xs_date;
use urna_domain::header::RequestHeader;

use crate::messages::{testata, ResponseMeta, ESITO_OK};
use crate::stream::general_ref;
use crate::tree::Element;
use crate::xml::Out;

/// Reads a schema-valid `Richiesta6001`.
pub fn request_6001(root: &Element) -> Request6001 {
    let texts = |parent: Option<&Element>, list: &str| -> Vec<String> {
        parent
            .map(|p| {
                p.children_named(list)
                    .map(|e| e.text.trim().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let dati = root.child("datiControllo");
    let text = |n: &str| {
        dati.and_then(|d| d.text_of(n))
            .map(|t| t.trim().to_string())
    };
    let number = |n: &str| text(n).and_then(|t| t.parse().ok());
    let control = Control {
        officer_cognome: text("cognomeUffAnagrafe").unwrap_or_default(),
        officer_nome: text("nomeUffAnagrafe").unwrap_or_default(),
        tipo_richiedente: number("tipoRichiedente"),
        tipo_richiesta: number("tipoRichiesta"),
        pa_estera: number("paEstera"),
        emissione: number("emissione"),
        bollo: text("bollo").and_then(|t| t.parse().ok()),
        esenzione_diritti: number("esenzioneDiritti"),
        diritti: text("diritti").and_then(|t| t.parse().ok()),
        esenzione_bollo: number("esenzioneBollo"),
        descrizione_esenzione_bollo: text("descrizioneEsenzioneBollo"),
        annotazioni: texts(
            dati.and_then(|d| d.child("listaAnnotazioni")),
            "rigaAnnotazione",
        ),
        tipo_firma_elettorale: number("tipoFirmaElettorale"),
    };
    let requester = root.child("generalitaRichiedente").map(|r| Requester {
        generalita: r.child("generalita").map(generalita).unwrap_or_default(),
        document: r.child("docRiconoscimento").map(|d| {
            (
                d.text_of("estDocRiconoscimento")
                    .unwrap_or_default()
                    .to_string(),
                d.text_of("dataRilascio").and_then(parse_xs_date),
            )
        }),
    });
    Request6001 {
        types: texts(root.child("listaTipiCertificati"), "tipoCertificato"),
        languages: texts(root.child("linguaCertificato"), "tipoLinguaCertificato"),
        requester,
        holder: root
            .child("soggettoIntestatario")
            .and_then(|s| s.child("generalita"))
            .map(generalita)
            .unwrap_or_default(),
        control,
    }
}

fn generalita(g: &Element) -> Generalita {
    let text = |n: &str| g.text_of(n).map(|t| t.trim().to_string());
    Generalita {
        codice_fiscale: g
            .child("codiceFiscale")
            .and_then(|c| c.text_of("codFiscale"))
            .map(|t| t.trim().to_string()),
        cognome: text("cognome"),
        nome: text("nome"),
        sesso: text("sesso"),
        data_nascita: g.text_of("dataNascita").and_then(parse_xs_date),
        id_anpr: text("idSchedaSoggettoANPR"),
    }
}

/// What a `Risposta6001OK` carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateReply {
    /// `linguaCertificato`: the languages the certificate is written in.
    pub languages: Vec<String>,
    /// `listaTipiCertificato`: the certificate issued.
    pub kind: u8,
    /// `protocolloANPR/numeroProtocolloANPR` (none for a preview).
    pub protocol: Option<String>,
    /// `parametriRichiesta`: the request's control data, echoed.
    pub control: Control,
    /// `file/certificatoPdf` (none on the retry of a preview).
    pub pdf: Option<Vec<u8>>,
}

/// Writes `Risposta6001OK` (inside the `Risposta6001` the caller opened).
pub(crate) fn write_ok(
    o: &mut Out,
    req: &RequestHeader,
    meta: &ResponseMeta,
    r: &CertificateReply,
) {
    o.open("cert:Risposta6001OK");
    testata(o, req, meta, ESITO_OK);
    if !r.languages.is_empty() {
        o.open("linguaCertificato");
        for l in &r.languages {
            o.leaf("tipoLinguaCertificato", l);
        }
        o.close("linguaCertificato");
    }
    o.open("listaTipiCertificato")
        .leaf("tipoCertificato", &r.kind.to_string())
        .close("listaTipiCertificato");
    if let Some(p) = &r.protocol {
        o.open("protocolloANPR")
            .leaf("numeroProtocolloANPR", p)
            .close("protocolloANPR");
    }
    let c = &r.control;
    let n = |v: Option<u8>| v.map(|v| v.to_string());
    o.open("parametriRichiesta")
        .leaf(
            "tipoRichiedente",
            &n(c.tipo_richiedente).unwrap_or_default(),
        )
        .leaf("tipoRichiesta", &n(c.tipo_richiesta).unwrap_or_default())
        .leaf("paEstera", &n(c.pa_estera).unwrap_or_default())
        .leaf("emissione", &n(c.emissione).unwrap_or_default())
        .leaf("bollo", &c.bollo.unwrap_or(0).to_string())
        .opt_leaf("esenzioneDiritti", n(c.esenzione_diritti).as_deref())
        .leaf("diritti", &c.diritti.unwrap_or(0).to_string())
        .opt_leaf("esenzioneBollo", n(c.esenzione_bollo).as_deref())
        .opt_leaf(
            "descrizioneEsenzioneBollo",
            c.descrizione_esenzione_bollo.as_deref(),
        )
        .close("parametriRichiesta");
    if let Some(pdf) = &r.pdf {
        o.open("file").open("certificatoPdf");
        o.0.push_str(&base64::engine::general_purpose::STANDARD.encode(pdf));
        o.close("certificatoPdf").close("file");
    }
    o.close("cert:Risposta6001OK");
}

/// `reply`, a `Risposta6001` body written without the PDF, with `pdf` in
/// `file/certificatoPdf` where [`write_ok`] puts it: last in
/// `Risposta6001OK`. `None` when `reply` is not such a reply, or already
/// carries a PDF.
pub fn with_pdf(reply: &str, pdf: &[u8]) -> Option<String> {
    const END: &str = "</cert:Risposta6001OK>";
    if reply.contains("<certificatoPdf>") {
        return None;
    }
    let at = reply.rfind(END)?;
    let mut out = String::with_capacity(reply.len() + pdf.len() / 3 * 4 + 64);
    out.push_str(&reply[..at]);
    out.push_str("<file><certificatoPdf>");
    base64::engine::general_purpose::STANDARD.encode_string(pdf, &mut out);
    out.push_str("</certificatoPdf></file>");
    out.push_str(&reply[at..]);
    Some(out)
}

/// The address of a section's seat (`sezioneelettoraleind`) as printed on a
/// certificate, e.g. `VIA DELLE SCUOLE 1`, read from the section as stored
/// (the inner XML of its `sezione`). Empty when it has none.
pub fn seat_address(section_inner_xml: &str) -> String {
    use quick_xml::events::Event;
    let wrapped = format!("<s>{section_inner_xml}</s>");
    let mut reader = quick_xml::Reader::from_str(&wrapped);
    let mut path: Vec<String> = Vec::new();
    let (mut specie, mut toponimo, mut numero, mut lettera) =
        (String::new(), String::new(), String::new(), String::new());
    let mut leaf = |path: &[String], text: &str| {
        if !path.iter().any(|p| p == "sezioneelettoraleind") {
            return;
        }
        match path.last().map(String::as_str) {
            Some("specie") => specie.push_str(text),
            Some("denominazioneToponimo") => toponimo.push_str(text),
            Some("numero") => numero.push_str(text),
            Some("lettera") => lettera.push_str(text),
            _ => {}
        }
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Text(t)) => {
                let text = t.xml_content().map(|c| c.into_owned()).unwrap_or_default();
                leaf(&path, &text)
            }
            Ok(Event::GeneralRef(g)) => {
                let text = general_ref(&String::from_utf8_lossy(&g)).unwrap_or_default();
                leaf(&path, &text)
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    let civico = format!(
        "{numero}{}",
        if lettera.is_empty() {
            String::new()
        } else {
            format!("/{lettera}")
        }
    );
    [specie, toponimo, civico]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{write_response, Operation, Outcome};

    /// A remembered reply (without the PDF) completed by `with_pdf` is the
    /// reply that was sent.
    #[test]
    fn with_pdf_restores_the_reply_as_sent() {
        let reply = |pdf: Option<Vec<u8>>| {
            write_response(
                Operation::Certificato6001,
                &RequestHeader::example(),
                &ResponseMeta {
                    id_operazione_anpr: "42".into(),
                },
                &Outcome::Certificate(Box::new(CertificateReply {
                    languages: vec!["1".into()],
                    kind: 22,
                    protocol: Some("2026000000000042".into()),
                    control: Control::default(),
                    pdf,
                })),
            )
        };
        let pdf = b"%PDF-1.7 \x00\xff binary".to_vec();
        let sent = reply(Some(pdf.clone()));
        let kept = reply(None);
        assert_eq!(with_pdf(&kept, &pdf).as_deref(), Some(sent.as_str()));
        assert_eq!(with_pdf(&sent, &pdf), None);
        assert_eq!(with_pdf("<Risposta6001KO/>", &pdf), None);
    }

    #[test]
    fn the_seat_address_is_read_from_the_stored_section() {
        let stored = "<comune><nomeComune>ROMA</nomeComune></comune><sezioneelettoralenum>7</sezioneelettoralenum><sezioneelettoraledenom>SCUOLA</sezioneelettoraledenom><sezioneelettoraleind><cap>00184</cap><toponimo><specie>VIA</specie><denominazioneToponimo>DEI GRACCHI &amp; C.</denominazioneToponimo></toponimo><numeroCivico><numero>100</numero><lettera>B</lettera></numeroCivico></sezioneelettoraleind>";
        assert_eq!(seat_address(stored), "VIA DEI GRACCHI & C. 100/B");
        assert_eq!(
            seat_address("<sezioneelettoralenum>7</sezioneelettoralenum>"),
            ""
        );
    }
}
