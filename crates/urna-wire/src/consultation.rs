//! 3002 `interrogazioneCittadino_famiglia_convivenza`: the request's search
//! criteria and the reply's subject blocks (docs/anpr-interface.md, "3002").

use urna_domain::consultation::{Criteria, Request3002};
use urna_domain::date::parse_xs_date;
use urna_domain::elector::{ComReg, Flags};
use urna_domain::header::RequestHeader;
use urna_domain::Anomaly;

use crate::messages::{testata, ResponseMeta, ESITO_OK};
use crate::tree::Element;
use crate::xml::Out;

/// Reads a schema-valid `Richiesta3002`.
pub fn request_3002(root: &Element) -> Request3002 {
    let c = root.child("criteriRicerca");
    let text = |n: &str| {
        c.and_then(|c| c.text_of(n))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    Request3002 {
        criteria: Criteria {
            codice_fiscale: text("codiceFiscale"),
            // senzaCognome / senzaNome: the person has none, which the
            // registry keeps as an empty text.
            cognome: text("cognome").or_else(|| {
                c.and_then(|c| c.child("senzaCognome"))
                    .map(|_| String::new())
            }),
            nome: text("nome")
                .or_else(|| c.and_then(|c| c.child("senzaNome")).map(|_| String::new())),
            sesso: text("sesso"),
            data_nascita: root
                .at("datiNascita/dataEvento")
                .and_then(|d| parse_xs_date(d.text.trim())),
            id_scheda: text("idSchedaSoggettoANPR"),
            id_anpr: text("idANPR"),
        },
        requested: root
            .child("datiRichiesta")
            .map(|d| {
                d.children_named("datiAnagraficiRichiesti")
                    .map(|e| e.text.trim().to_string())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A `tipoComune`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComuneOut {
    pub nome: String,
    pub istat: String,
    pub sigla: String,
}

/// The list a `liste` record is about, with its section number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKind {
    General,
    UeComunali,
    UeParlamento,
    ComReg(ComReg),
}

/// One `liste` record of `listaElettoraleCompleta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRecord {
    pub kind: ListKind,
    pub comune: ComuneOut,
    pub sezione: String,
    pub elettore: bool,
    /// The consultation flags and circumscriptions (the general list's, in
    /// full view only).
    pub flags: Option<Flags>,
    /// The section's stored `sezione` content, trusted XML (full view only).
    pub sezione_xml: Option<String>,
    /// The doppia-lista markers: `tipoConsultazione`, `dataCancellazioneLista`.
    pub doppia: Option<(u8, String)>,
}

/// `listaElettoraleCompleta`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteLists {
    pub certificabilita: Option<u8>,
    /// `cancellazione`: the motive and the date.
    pub cancellazione: Option<(u8, String)>,
    pub liste: Vec<ListRecord>,
}

/// One `datiSoggetto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectBlock {
    pub id: String,
    pub codice_fiscale: String,
    pub cognome: String,
    pub nome: String,
    pub sesso: String,
    pub data_nascita: String,
    /// The legacy `listaElettorale`: the `elettore` flag and the comune of
    /// the general list.
    pub lista_elettorale: Option<(bool, Option<ComuneOut>)>,
    pub completa: Option<CompleteLists>,
}

/// What a `Risposta3002_OK` carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectsReply {
    pub subjects: Vec<SubjectBlock>,
    pub warnings: Vec<Anomaly>,
}

fn comune(o: &mut Out, c: &ComuneOut) {
    o.open("comune")
        .leaf("nomeComune", &c.nome)
        .leaf("codiceIstat", &c.istat)
        .leaf("siglaProvinciaIstat", &c.sigla)
        .close("comune");
}

fn sn(b: bool) -> &'static str {
    if b {
        "S"
    } else {
        "N"
    }
}

fn lista_5010(o: &mut Out, name: &str, r: &ListRecord) {
    o.open(name);
    comune(o, &r.comune);
    o.leaf("sezioneelettoralenum", &r.sezione).close(name);
}

fn record(o: &mut Out, r: &ListRecord) {
    o.open("liste").leaf("elettore", sn(r.elettore));
    match r.kind {
        ListKind::General => lista_5010(o, "listaGenerale", r),
        ListKind::UeComunali => {
            o.open("listaAggiuntaUE").leaf("ueelettorecomunali", "S");
            lista_5010(o, "listaAggiuntaUEComunali", r);
            o.close("listaAggiuntaUE");
        }
        ListKind::UeParlamento => {
            o.open("listaAggiuntaUE").leaf("ueelettoreparlamento", "S");
            lista_5010(o, "listaAggiuntaUEParlamento", r);
            o.close("listaAggiuntaUE");
        }
        ListKind::ComReg(k) => {
            let flag = match k {
                ComReg::Bolzano => "comregelettorebolzano",
                ComReg::Trento => "comregelettoretrento",
                ComReg::Aosta => "comregelettorevalledaosta",
            };
            o.open("listaAggiuntaComReg").leaf(flag, "S");
            lista_5010(o, "listaBolTreVal", r);
            o.close("listaAggiuntaComReg");
        }
    }
    if let Some(f) = &r.flags {
        o.leaf("referendumnazionali", sn(f.referendum))
            .leaf("elezionimembriue", sn(f.membriue))
            .leaf("senatorepubblica", sn(f.senato))
            .opt_leaf("circoscrsenatorepubblica", f.circ_senato.as_deref())
            .leaf("cameradeputati", sn(f.camera))
            .opt_leaf("circoscrcameradeputati", f.circ_camera.as_deref())
            .leaf("regionali", sn(f.regionali))
            .leaf("comunali", sn(f.comunali))
            .leaf("circoscrizionali", sn(f.circoscrizionali));
    }
    if let Some(x) = &r.sezione_xml {
        o.open("sezione");
        o.0.push_str(x);
        o.close("sezione");
    }
    if let Some((tipo, data)) = &r.doppia {
        o.leaf("tipoConsultazione", &tipo.to_string())
            .leaf("dataCancellazioneLista", data);
    }
    o.close("liste");
}

fn subject(o: &mut Out, s: &SubjectBlock) {
    o.open("datiSoggetto");
    o.open("identificativi")
        .leaf("idANPR", &s.id)
        .close("identificativi");
    o.open("generalita");
    if !s.codice_fiscale.is_empty() {
        o.open("codiceFiscale")
            .leaf("codFiscale", &s.codice_fiscale)
            .close("codiceFiscale");
    }
    o.leaf("cognome", &s.cognome)
        .leaf("nome", &s.nome)
        .opt_leaf("sesso", Some(s.sesso.as_str()).filter(|x| !x.is_empty()))
        .opt_leaf(
            "dataNascita",
            Some(s.data_nascita.as_str()).filter(|x| !x.is_empty()),
        )
        .leaf("idSchedaSoggettoANPR", &s.id)
        .close("generalita");
    if let Some((elettore, c)) = &s.lista_elettorale {
        o.open("listaElettorale").leaf("elettore", sn(*elettore));
        if let Some(c) = c {
            comune(o, c);
        }
        o.close("listaElettorale");
    }
    if let Some(c) = &s.completa {
        o.open("listaElettoraleCompleta").opt_leaf(
            "certificabilita",
            c.certificabilita.map(|v| v.to_string()).as_deref(),
        );
        if let Some((motivo, data)) = &c.cancellazione {
            o.open("cancellazione")
                .leaf("motivoCancellazione", &motivo.to_string())
                .leaf("dataCancellazioneLista", data)
                .close("cancellazione");
        }
        for r in &c.liste {
            record(o, r);
        }
        o.close("listaElettoraleCompleta");
    }
    o.close("datiSoggetto");
}

/// Writes `Risposta3002_OK` (inside the `Risposta3002` the caller opened).
pub(crate) fn write_ok(o: &mut Out, req: &RequestHeader, meta: &ResponseMeta, r: &SubjectsReply) {
    o.open("c3:Risposta3002_OK");
    testata(o, req, meta, ESITO_OK);
    if !r.subjects.is_empty() {
        o.open("listaSoggetti");
        for s in &r.subjects {
            subject(o, s);
        }
        o.close("listaSoggetti");
    }
    if !r.warnings.is_empty() {
        o.open("listaAnomalie");
        for w in &r.warnings {
            crate::messages::anomaly(o, "errore", w);
        }
        o.close("listaAnomalie");
    }
    o.close("c3:Risposta3002_OK");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{write_response, Operation, Outcome};

    #[test]
    fn request_reads_criteria_and_requested_data() {
        let root = Element::new("Richiesta3002")
            .with_child(
                Element::new("criteriRicerca")
                    .with_child(Element::leaf("cognome", " ROSSI "))
                    .with_child(Element::leaf("nome", "MARIA"))
                    .with_child(Element::leaf("idSchedaSoggettoANPR", "")),
            )
            .with_child(
                Element::new("datiNascita").with_child(Element::leaf("dataEvento", "1980-01-01")),
            )
            .with_child(
                Element::new("datiRichiesta")
                    .with_child(Element::leaf("datiAnagraficiRichiesti", "18")),
            );
        let r = request_3002(&root);
        assert_eq!(r.criteria.cognome.as_deref(), Some("ROSSI"));
        assert_eq!(r.criteria.id_scheda, None);
        assert_eq!(
            r.criteria.data_nascita.map(|d| d.to_string()).as_deref(),
            Some("1980-01-01")
        );
        assert!(r.wants_electoral());
        let no_surname = Element::new("Richiesta3002").with_child(
            Element::new("criteriRicerca")
                .with_child(Element::leaf("senzaCognome", "1"))
                .with_child(Element::leaf("nome", "ADEBAYO")),
        );
        let r = request_3002(&no_surname);
        assert_eq!(r.criteria.cognome.as_deref(), Some(""));
        assert_eq!(r.criteria.nome.as_deref(), Some("ADEBAYO"));
    }

    #[test]
    fn reply_orders_the_subject_block_like_anpr() {
        let roma = ComuneOut {
            nome: "ROMA".into(),
            istat: "058091".into(),
            sigla: "RM".into(),
        };
        let reply = SubjectsReply {
            subjects: vec![SubjectBlock {
                id: "1".into(),
                codice_fiscale: "RSSMRA80A41H501X".into(),
                cognome: "ROSSI".into(),
                nome: "MARIA".into(),
                sesso: "F".into(),
                data_nascita: "1980-01-01".into(),
                lista_elettorale: Some((true, Some(roma.clone()))),
                completa: Some(CompleteLists {
                    certificabilita: Some(2),
                    cancellazione: None,
                    liste: vec![ListRecord {
                        kind: ListKind::UeComunali,
                        comune: roma,
                        sezione: "7".into(),
                        elettore: true,
                        flags: None,
                        sezione_xml: None,
                        doppia: Some((1, "2025-01-01".into())),
                    }],
                }),
            }],
            warnings: vec![],
        };
        let x = write_response(
            Operation::Interrogazione3002,
            &RequestHeader::example(),
            &ResponseMeta {
                id_operazione_anpr: "9".into(),
            },
            &Outcome::Subjects(Box::new(reply)),
        );
        let order = [
            "<c3:Risposta3002_OK><testataRisposta>",
            "<listaSoggetti><datiSoggetto><identificativi><idANPR>1</idANPR></identificativi><generalita><codiceFiscale><codFiscale>RSSMRA80A41H501X</codFiscale></codiceFiscale><cognome>ROSSI</cognome>",
            "<listaElettorale><elettore>S</elettore><comune><nomeComune>ROMA</nomeComune>",
            "<listaElettoraleCompleta><certificabilita>2</certificabilita><liste><elettore>S</elettore><listaAggiuntaUE><ueelettorecomunali>S</ueelettorecomunali><listaAggiuntaUEComunali>",
            "<sezioneelettoralenum>7</sezioneelettoralenum></listaAggiuntaUEComunali></listaAggiuntaUE><tipoConsultazione>1</tipoConsultazione><dataCancellazioneLista>2025-01-01</dataCancellazioneLista></liste>",
        ];
        let mut at = 0;
        for part in order {
            let found = x[at..]
                .find(part)
                .unwrap_or_else(|| panic!("{part} in {x}"));
            at += found + part.len();
        }
        assert!(!x.contains("listaAnomalie"));
    }
}
