//! The 4000 port, electoral parts: 4001 `estrazione_dati_cittadini`
//! (asynchronous extraction), 4005 `richieste_asincrone` (its state, and the
//! comune's past exchanges), and the file a 4001 produces
//! (docs/anpr-interface.md, "4000").

use std::io::Write;

use urna_domain::date::parse_xs_date;
use urna_domain::extraction::Selections;
use urna_domain::header::RequestHeader;

use crate::messages::{testata, ResponseMeta, ESITO_OK};
use crate::requests::{write_contents, PastRequest};
use crate::tree::Element;
use crate::xml::Out;

/// The selections of a schema-valid `Richiesta4001`.
pub fn selections_4001(root: &Element) -> Selections {
    let c = root.child("criteriRicerca");
    let u = c.and_then(|c| c.child("ulterioriSelezioni"));
    let text = |n: &str| u.and_then(|u| u.text_of(n)).map(|t| t.trim().to_string());
    Selections {
        requested: c
            .map(|c| {
                c.children_named("datiAnagraficiRichiesti")
                    .map(|d| d.text.trim().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        reference_date: text("dataRiferimento").and_then(|d| parse_xs_date(&d)),
        min_age: text("etaMinimaAllaDataRiferimento").and_then(|a| a.parse().ok()),
        max_age: text("etaMassimaAllaDataRiferimento").and_then(|a| a.parse().ok()),
        elettore: text("elettoreAllaDataRiferimento"),
        sex: text("sesso"),
        citizenship: text("cittadinanza"),
        list: text("tipoLista"),
        section: text("sezioneelettoralenum"),
    }
}

/// The `criteriRicerca` of a request, to echo.
pub fn criteria_4001(root: &Element) -> Element {
    root.child("criteriRicerca")
        .cloned()
        .unwrap_or_else(|| Element::new("criteriRicerca"))
}

/// What a `Richiesta4005` asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request4005 {
    /// `verificaStato`: the state of an asynchronous request.
    Status(String),
    /// `elaborazione` by `idOperazioneANPR`: one past exchange.
    Exchange(String),
    /// `elaborazione` by period and operations: past exchanges.
    Exchanges {
        from: time::Date,
        to: time::Date,
        operations: Vec<String>,
    },
}

/// Reads a schema-valid `Richiesta4005` (`None` only if the schema let
/// through what it should not).
pub fn request_4005(root: &Element) -> Option<Request4005> {
    if let Some(v) = root.child("verificaStato") {
        return Some(Request4005::Status(
            v.text_of("idOperazioneANPR")?.trim().to_string(),
        ));
    }
    let e = root.child("elaborazione")?;
    if let Some(id) = e.text_of("idOperazioneANPR") {
        return Some(Request4005::Exchange(id.trim().to_string()));
    }
    Some(Request4005::Exchanges {
        from: parse_xs_date(e.text_of("dataInizio")?.trim())?,
        to: parse_xs_date(e.text_of("dataFine")?.trim())?,
        operations: e
            .children_named("operazioneRichiesta")
            .map(|o| o.text.trim().to_string())
            .collect(),
    })
}

/// What a `RispostaMultipla4001` carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractionReply {
    pub criteria: Element,
    pub id_operazione_anpr: String,
}

/// What a `RispostaMultipla4005` carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AsyncReply {
    /// `statoRichiesta`, `idOperazioneANPR`, `dataDisponibilita`
    /// (xs:dateTime) and `datiFornitura` (done, total) of a job.
    pub state: Option<i32>,
    pub id_operazione_anpr: Option<String>,
    pub available: Option<String>,
    pub progress: Option<(i64, i64)>,
    /// `elencoRisposte`: past exchanges.
    pub exchanges: Option<Vec<PastRequest>>,
}

pub(crate) fn write_4001(
    o: &mut Out,
    req: &RequestHeader,
    meta: &ResponseMeta,
    r: &ExtractionReply,
) {
    o.open("e4:RispostaMultipla4001");
    testata(o, req, meta, ESITO_OK);
    r.criteria.write_into(&mut o.0);
    o.leaf("idOperazioneANPR", &r.id_operazione_anpr);
    o.close("e4:RispostaMultipla4001");
}

pub(crate) fn write_4005(o: &mut Out, req: &RequestHeader, meta: &ResponseMeta, r: &AsyncReply) {
    o.open("e4:RispostaMultipla4005");
    testata(o, req, meta, ESITO_OK);
    o.opt_leaf("statoRichiesta", r.state.map(|s| s.to_string()).as_deref())
        .opt_leaf("idOperazioneANPR", r.id_operazione_anpr.as_deref())
        .opt_leaf("dataDisponibilita", r.available.as_deref());
    if let Some((done, total)) = r.progress {
        o.open("datiFornitura")
            .leaf("progressivoCorrente", &done.to_string())
            .leaf("progressivoTotale", &total.to_string())
            .close("datiFornitura");
    }
    if let Some(list) = &r.exchanges {
        o.open("elencoRisposte");
        for p in list {
            o.open("risposta")
                .leaf("idOperazioneANPR", &p.id_operazione_anpr.to_string())
                .leaf("statoLavorazione", &p.state.to_string())
                .leaf("tipoOperazione", &p.operation);
            write_contents(o, p);
            o.close("risposta");
        }
        o.close("elencoRisposte");
    }
    o.close("e4:RispostaMultipla4005");
}

/// Writes the file of a 4001, a record at a time: the opening (the job's id
/// and reference date), then [`write_subject`] per subject, then
/// [`write_file_end`].
pub fn write_file_start(out: &mut dyn Write, id: u64, reference: &str) -> std::io::Result<()> {
    write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><e4:estrazione4001 xmlns:e4=\"{}\"><idOperazioneANPR>{id}</idOperazioneANPR><dataRiferimento>{reference}</dataRiferimento>",
        crate::ns::E4
    )
}

/// One `soggetto`: the subject's fields in schema order, `lista` last.
pub fn write_subject(
    out: &mut dyn Write,
    fields: [(&str, &str); 7],
    lista: &Element,
) -> std::io::Result<()> {
    let mut s = Element::new("soggetto");
    for (name, value) in fields {
        s = s.with_child(Element::leaf(name, value));
    }
    let mut buf = String::with_capacity(1024);
    s.with_child(lista.clone()).write_into(&mut buf);
    out.write_all(buf.as_bytes())
}

pub fn write_file_end(out: &mut dyn Write, subjects: u64) -> std::io::Result<()> {
    write!(
        out,
        "<numeroSoggetti>{subjects}</numeroSoggetti></e4:estrazione4001>"
    )
}
