//! 3003 `gestione_richieste`: the request's search and the reply's list of
//! past requests (docs/anpr-interface.md, "3003").

use std::io::Write;

use base64::Engine;
use urna_domain::date::parse_xs_date;
use urna_domain::header::RequestHeader;
use urna_domain::requests::{Request3003, Search3003};

use crate::messages::{testata, ResponseMeta, ESITO_OK};
use crate::tree::Element;
use crate::xml::Out;

fn period(e: Option<&Element>) -> Option<(time::Date, time::Date)> {
    let e = e?;
    Some((
        parse_xs_date(e.text_of("dataInizio")?.trim())?,
        parse_xs_date(e.text_of("dataFine")?.trim())?,
    ))
}

/// Reads a schema-valid `Richiesta3003` (`None` only if the schema let
/// through what it should not).
pub fn request_3003(root: &Element) -> Option<Request3003> {
    let search = if let Some(s) = root.child("ricercaSingolaRichiesta") {
        match s.text_of("idOperazioneANPR") {
            Some(id) => Search3003::ById(id.trim().parse().ok()?),
            None => Search3003::ByComuneId(s.text_of("idOperazioneComune")?.trim().to_string()),
        }
    } else if let Some(l) = root.child("ricercaElenchiRichieste") {
        Search3003::List {
            state: match l.text_of("statoLavorazione") {
                Some(s) => Some(s.trim().parse().ok()?),
                None => None,
            },
            operations: l
                .children_named("operazioneRichiesta")
                .map(|o| o.text.trim().to_string())
                .collect(),
            period: period(l.child("periodoRiferimentoRichieste"))?,
        }
    } else {
        let p = root.child("parametriRicercaSoggetto")?;
        Search3003::Subject {
            key: p
                .text_of("idSchedaSoggettoANPR")
                .or_else(|| p.text_of("codiceFiscale"))?
                .trim()
                .to_ascii_uppercase(),
            period: period(p.child("periodoRiferimentoRichieste")),
        }
    };
    let page = match root.text_of("numeroPagina") {
        Some(p) => Some(p.trim().parse().ok()?),
        None => None,
    };
    Some(Request3003 { search, page })
}

/// One past request as the reply lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastRequest {
    pub id_operazione_anpr: i64,
    pub id_operazione_comune: String,
    pub operation: String,
    /// xs:dateTime of its reception.
    pub received: String,
    pub state: u8,
    /// The error codes of a refusal, comma-separated.
    pub codes: String,
    /// The request's payload and the reply's Body child, as stored.
    pub request: Option<String>,
    pub response: Option<String>,
}

/// What a `Risposta3003_OK` carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestsReply {
    pub requests: Vec<PastRequest>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}

/// gzip, then base64: ANPR's `gz` format for exchanged contents.
pub fn gz_base64(text: &str) -> String {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes())
        .expect("writing to memory does not fail");
    let bytes = gz.finish().expect("writing to memory does not fail");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The request and reply of a past exchange, gzip in base64, each with its
/// format (`gz`), as 3003 and 4005 list them.
pub(crate) fn write_contents(o: &mut Out, p: &PastRequest) {
    if let Some(x) = &p.request {
        o.leaf("contenutoRichiesta", &gz_base64(x))
            .leaf("formatoRichiesta", "gz");
    }
    if let Some(x) = &p.response {
        o.leaf("contenutoRisposta", &gz_base64(x))
            .leaf("formatoRisposta", "gz");
    }
}

/// Writes `Risposta3003_OK` (inside the `Risposta3003` the caller opened).
pub(crate) fn write_ok(o: &mut Out, req: &RequestHeader, meta: &ResponseMeta, r: &RequestsReply) {
    o.open("c3:Risposta3003_OK");
    testata(o, req, meta, ESITO_OK);
    o.open("elencoRisposte");
    for p in &r.requests {
        o.open("risposta")
            .leaf("idOperazioneANPR", &p.id_operazione_anpr.to_string())
            .leaf("idOperazioneComune", &p.id_operazione_comune)
            .leaf("operazioneRichiesta", &p.operation)
            .leaf("dataOraRicezione", &p.received)
            .leaf("statoLavorazione", &p.state.to_string())
            .opt_leaf(
                "codiciErrore",
                Some(p.codes.as_str()).filter(|c| !c.is_empty()),
            );
        write_contents(o, p);
        o.close("risposta");
    }
    o.close("elencoRisposte");
    o.open("datiPaginazione")
        .leaf("paginaCorrente", &r.page.to_string())
        .leaf("pagineTotali", &r.pages.to_string())
        .leaf("risposteTotali", &r.total.to_string())
        .close("datiPaginazione");
    o.close("c3:Risposta3003_OK");
}
