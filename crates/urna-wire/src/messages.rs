//! ANPR's messages for the section services (and the 5010 root, dispatched
//! already): the operation table, request extraction from the validated tree and
//! the response writers (docs/anpr-interface.md §Replies and §Sections).

use urna_domain::elector::{
    CancBlock, ComRegBlock, Flags, ListReq, ListeBlock, Mutation5010, TipiMutazione, UeBlock,
};
use urna_domain::header::{Received, RequestHeader, TipoOperazione};
use urna_domain::ids::IdError;
use urna_domain::section::{AddressCodes, ComuneRef, SectionInput};
use urna_domain::Anomaly;

use crate::ns;
use crate::tree::Element;
use crate::xml::Out;

/// The operations urna dispatches, keyed by the qualified name of the Body's
/// first child (soapAction is always empty: docs/anpr-interface.md §Endpoints, "SOAP binding").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// 5010 `mutazione_liste_elettorali`
    Mutazione5010,
    /// 5011 `mutazione_liste_sezioni`
    Mutazione5011,
    /// 3008 `consultazione_sezione`
    Consultazione3008,
    /// 3002 `interrogazioneCittadino_famiglia_convivenza`, electoral parts
    Interrogazione3002,
    /// 3003 `gestione_richieste`: the comune's past requests
    Richieste3003,
    /// 2012 `cancellazione_sezione`
    Cancellazione2012,
    /// 6001 `emissioneCertificato` (the electoral certificates 21 and 22)
    Certificato6001,
    /// 5008 `mutazione_scheda`: accepted on the wire only to refuse the
    /// legacy electoral datum it may carry.
    Mutazione5008,
    /// 1002 `iscrizione_altriMotivi`: likewise.
    Iscrizione1002,
    /// A002 `AIRE_iscrizioneAltriMotivi`: likewise.
    IscrizioneAireA002,
    /// 4001 `estrazione_dati_cittadini`: an asynchronous extraction.
    Estrazione4001,
    /// 4005 `richieste_asincrone`: its state; past exchanges.
    Asincrone4005,
    /// 7001 `scarica_tabelle`: a decode table.
    Tabelle7001,
    /// 7002 `download_file`: the file of an asynchronous operation.
    Download7002,
    /// 7003 `elenco_versioni`: the interface versions served.
    Versioni7003,
}

/// The AIRE port's family, "A000" (the only one that is not a number):
/// written as the hexadecimal number that reads the same.
pub const AIRE_FAMILY: u16 = 0xA000;

/// A port family as ANPR names it: `5000`, …, `A000`.
pub fn family_label(family: u16) -> String {
    if family == AIRE_FAMILY {
        "A000".into()
    } else {
        family.to_string()
    }
}

impl Operation {
    pub const ALL: [Operation; 15] = [
        Operation::Mutazione5010,
        Operation::Mutazione5011,
        Operation::Consultazione3008,
        Operation::Interrogazione3002,
        Operation::Richieste3003,
        Operation::Cancellazione2012,
        Operation::Certificato6001,
        Operation::Mutazione5008,
        Operation::Iscrizione1002,
        Operation::IscrizioneAireA002,
        Operation::Estrazione4001,
        Operation::Asincrone4005,
        Operation::Tabelle7001,
        Operation::Download7002,
        Operation::Versioni7003,
    ];

    pub fn from_qname(ns: &str, name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.request_ns() == ns && op.request_element() == name)
    }

    /// The four-digit code carried in `operazioneRichiesta`.
    pub fn code(self) -> &'static str {
        match self {
            Operation::Mutazione5010 => "5010",
            Operation::Mutazione5011 => "5011",
            Operation::Consultazione3008 => "3008",
            Operation::Interrogazione3002 => "3002",
            Operation::Richieste3003 => "3003",
            Operation::Cancellazione2012 => "2012",
            Operation::Certificato6001 => "6001",
            Operation::Mutazione5008 => "5008",
            Operation::Iscrizione1002 => "1002",
            Operation::IscrizioneAireA002 => "A002",
            Operation::Estrazione4001 => "4001",
            Operation::Asincrone4005 => "4005",
            Operation::Tabelle7001 => "7001",
            Operation::Download7002 => "7002",
            Operation::Versioni7003 => "7003",
        }
    }

    /// The WSDL operation name.
    pub fn wsdl_name(self) -> &'static str {
        match self {
            Operation::Mutazione5010 => "mutazione_liste_elettorali",
            Operation::Mutazione5011 => "mutazione_liste_sezioni",
            Operation::Consultazione3008 => "consultazione_sezione",
            Operation::Interrogazione3002 => "interrogazioneCittadino_famiglia_convivenza",
            Operation::Richieste3003 => "gestione_richieste",
            Operation::Cancellazione2012 => "cancellazione_sezione",
            Operation::Certificato6001 => "emissioneCertificato",
            Operation::Mutazione5008 => "mutazione_scheda",
            Operation::Iscrizione1002 => "iscrizione_altriMotivi",
            Operation::IscrizioneAireA002 => "AIRE_iscrizioneAltriMotivi",
            Operation::Estrazione4001 => "estrazione_dati_cittadini",
            Operation::Asincrone4005 => "richieste_asincrone",
            Operation::Tabelle7001 => "scarica_tabelle",
            Operation::Download7002 => "download_file",
            Operation::Versioni7003 => "elenco_versioni",
        }
    }

    /// Port family the operation is served on.
    pub fn family(self) -> u16 {
        match self {
            Operation::Mutazione5010 | Operation::Mutazione5011 | Operation::Mutazione5008 => 5000,
            Operation::Consultazione3008
            | Operation::Interrogazione3002
            | Operation::Richieste3003 => 3000,
            Operation::Cancellazione2012 => 2000,
            Operation::Certificato6001 => 6001,
            Operation::Iscrizione1002 => 1000,
            Operation::IscrizioneAireA002 => AIRE_FAMILY,
            Operation::Estrazione4001 | Operation::Asincrone4005 => 4000,
            Operation::Tabelle7001 | Operation::Download7002 | Operation::Versioni7003 => 7001,
        }
    }

    pub fn request_ns(self) -> &'static str {
        match self.family() {
            5000 => ns::M5,
            3000 => ns::C3,
            6001 => ns::CERT,
            1000 => ns::I1,
            AIRE_FAMILY => ns::A0,
            7001 => ns::T7,
            4000 => ns::E4,
            _ => ns::C2,
        }
    }

    pub fn request_element(self) -> &'static str {
        match self {
            Operation::Mutazione5010 => "Richiesta5010",
            Operation::Mutazione5011 => "Richiesta5011",
            Operation::Consultazione3008 => "Richiesta3008",
            Operation::Interrogazione3002 => "Richiesta3002",
            Operation::Richieste3003 => "Richiesta3003",
            Operation::Cancellazione2012 => "Richiesta2012",
            Operation::Certificato6001 => "Richiesta6001",
            Operation::Mutazione5008 => "Richiesta5008",
            Operation::Iscrizione1002 => "Richiesta1002",
            Operation::IscrizioneAireA002 => "RichiestaA002",
            Operation::Estrazione4001 => "Richiesta4001",
            Operation::Asincrone4005 => "Richiesta4005",
            Operation::Tabelle7001 => "Richiesta7001",
            Operation::Download7002 => "Richiesta7002",
            Operation::Versioni7003 => "Richiesta7003",
        }
    }

    fn response_element(self) -> &'static str {
        match self {
            Operation::Mutazione5010 => "Risposta5010",
            Operation::Mutazione5011 => "Risposta5011",
            Operation::Consultazione3008 => "Risposta3008",
            Operation::Interrogazione3002 => "Risposta3002",
            Operation::Richieste3003 => "Risposta3003",
            Operation::Cancellazione2012 => "Risposta2012",
            Operation::Certificato6001 => "Risposta6001",
            Operation::Mutazione5008 => "Risposta5008",
            Operation::Iscrizione1002 => "Risposta1002",
            Operation::IscrizioneAireA002 => "RispostaA002",
            Operation::Estrazione4001 => "Risposta4001",
            Operation::Asincrone4005 => "Risposta4005",
            Operation::Tabelle7001 => "Risposta7001",
            Operation::Download7002 => "Risposta7002",
            Operation::Versioni7003 => "Risposta7003",
        }
    }

    fn prefix(self) -> &'static str {
        match self.family() {
            5000 => "m5",
            3000 => "c3",
            6001 => "cert",
            1000 => "i1",
            AIRE_FAMILY => "a0",
            7001 => "t7",
            4000 => "e4",
            _ => "c2",
        }
    }

    /// The binary element its reply sends as an MTOM/XOP part when the
    /// client accepts MTOM (6001's certificate, 7001's archive, 7002's file).
    pub fn mtom_part(self) -> Option<&'static crate::mtom::Optimized> {
        match self {
            Operation::Certificato6001 => Some(&crate::mtom::CERTIFICATO_PDF),
            Operation::Tabelle7001 => Some(&crate::mtom::XML_FILE),
            Operation::Download7002 => Some(&crate::mtom::CONTENUTO_FILE),
            _ => None,
        }
    }

    /// Registration services need `dataDecorrenza` (R-H6).
    pub fn is_registration(self) -> bool {
        matches!(self, Operation::Mutazione5010 | Operation::Mutazione5011)
    }

    /// Operations that change state (and therefore run in a write transaction).
    pub fn is_mutation(self) -> bool {
        !matches!(
            self,
            Operation::Consultazione3008
                | Operation::Interrogazione3002
                | Operation::Richieste3003
                | Operation::Asincrone4005
                | Operation::Tabelle7001
                | Operation::Download7002
                | Operation::Versioni7003
        )
    }
}

/// `esitoOperazione` values: what real replies show, not the XSD annotation
/// (docs/anpr-interface.md §Replies, "esitoOperazione"; docs/decisions.md).
pub const ESITO_OK: &str = "0000";
pub const ESITO_KO: &str = "XXXX";

/// Reads `testataRichiesta` from a request root.
pub fn parse_header(root: &Element) -> Result<RequestHeader, IdError> {
    let t = root.child("testataRichiesta");
    let get = |n: &str| t.and_then(|t| t.text_of(n)).map(str::to_string);
    let text = |n: &str| get(n).unwrap_or_default();
    Ok(RequestHeader {
        id_operazione_comune: text("idOperazioneComune").parse()?,
        cod_mittente: text("codMittente").parse()?,
        cod_destinatario: text("codDestinatario"),
        operazione_richiesta: text("operazioneRichiesta"),
        data_ora_richiesta: Received::date_time(text("dataOraRichiesta")),
        tipo_operazione: Received::parse(text("tipoOperazione"), TipoOperazione::parse),
        protocollo_comune: get("protocolloComune"),
        data_protocollo_comune: get("dataProtocolloComune").map(Received::date),
        tipo_invio: text("tipoInvio"),
        data_decorrenza: get("dataDecorrenza").map(Received::date),
        data_definizione_pratica: get("dataDefinizionePratica").map(Received::date),
        nome_applicativo: get("nomeApplicativo"),
        versione_applicativo: get("versioneApplicativo"),
        fornitore_applicativo: get("fornitoreApplicativo"),
    })
}

/// Digest of a request for idempotency: the whole payload except
/// `testataRichiesta/dataOraRichiesta`, a transmission timestamp that a retry
/// may legitimately renew.
pub fn request_digest(root: &Element) -> [u8; 32] {
    root.digest(&|e| e.name == "dataOraRichiesta")
}

/// The request's payload (the Body's child) as XML in its namespace, as
/// 3003 returns it: re-serialised from the validated tree, so without the
/// envelope, the signature and insignificant white space.
pub fn request_xml(op: Operation, root: &Element) -> String {
    let q = format!("{}:{}", op.prefix(), op.request_element());
    let mut o = Out::with_capacity(2048);
    o.open_ns(&q, op.prefix(), op.request_ns());
    o.0.push_str(&root.inner_xml());
    o.close(&q);
    o.0
}

/// The subject a request is about, as sent (its idSchedaSoggettoANPR, else
/// its codice fiscale): 5010's `idSoggetto`, 6001's holder, 3002's criteria.
/// What 3003 finds a subject's requests by.
pub fn subject_key(op: Operation, root: &Element) -> Option<String> {
    let keys = |e: Option<&Element>, cf_path: &str| {
        let e = e?;
        e.text_of("idSchedaSoggettoANPR")
            .or_else(|| e.at(cf_path).map(|c| c.text.as_str()))
            .map(|t| t.trim().to_ascii_uppercase())
            .filter(|t| !t.is_empty())
    };
    match op {
        Operation::Mutazione5010 => root.text_of("idSoggetto").map(|t| t.trim().to_string()),
        Operation::Certificato6001 => keys(
            root.at("soggettoIntestatario/generalita"),
            "codiceFiscale/codFiscale",
        ),
        Operation::Interrogazione3002 => keys(root.child("criteriRicerca"), "codiceFiscale"),
        _ => None,
    }
}

/// Reads a `tipoComune` / `tipoComuneRichiesta`.
pub fn comune_ref(e: &Element) -> ComuneRef {
    ComuneRef {
        nome: e.text_of("nomeComune").unwrap_or_default().to_string(),
        istat: e.text_of("codiceIstat").map(str::to_string),
        sigla: e
            .text_of("siglaProvinciaIstat")
            .unwrap_or_default()
            .to_string(),
    }
}

/// Reads the parts of a `tipoListaSezioni5011` that the rules need.
pub fn section_input(s: &Element) -> SectionInput {
    let ind = s.child("sezioneelettoraleind");
    let has = |path: &str| ind.and_then(|i| i.at(path)).is_some();
    SectionInput {
        owner: s.child("comune").map(comune_ref),
        number: s.text_of("sezioneelettoralenum").map(str::to_string),
        name: s
            .text_of("sezioneelettoraledenom")
            .unwrap_or_default()
            .to_string(),
        address_comune: ind
            .and_then(|i| i.child("comune"))
            .map(comune_ref)
            .unwrap_or_default(),
        address_codes: AddressCodes {
            cod_specie: has("toponimo/codSpecie"),
            specie_fonte: has("toponimo/specieFonte"),
            cod_toponimo: has("toponimo/codToponimo"),
            toponimo_fonte: has("toponimo/toponimoFonte"),
            codice_civico: has("numeroCivico/codiceCivico"),
            civico_fonte: has("numeroCivico/civicoFonte"),
        },
        circ_ue: s.text_of("circoscrelezionimembriue").map(str::to_string),
        collegio_camera: s
            .text_of("collegiocameradeputati")
            .unwrap_or_default()
            .to_string(),
        circ_regionali: s
            .text_of("circoscrregionali")
            .unwrap_or_default()
            .to_string(),
        collegio_senato: s
            .text_of("collegiosenatorepubblica")
            .unwrap_or_default()
            .to_string(),
    }
}

fn sn(e: &Element, name: &str) -> Option<bool> {
    e.text_of(name).map(|v| v.eq_ignore_ascii_case("S"))
}

fn list_req(e: Option<&Element>) -> Option<ListReq> {
    let e = e?;
    Some(ListReq {
        comune: e.child("comune").map(comune_ref).unwrap_or_default(),
        sezione: e
            .text_of("sezioneelettoralenum")
            .unwrap_or_default()
            .to_string(),
    })
}

/// Reads a `tipoListaElettorale5010` (`liste` in 5010, `lista` in subentro files).
pub fn liste_block(l: &Element) -> ListeBlock {
    let flag = |n: &str| sn(l, n).unwrap_or(false);
    ListeBlock {
        elettore: flag("elettore"),
        generale: list_req(l.child("listaGenerale")),
        ue: l.child("listaAggiuntaUE").map(|u| UeBlock {
            comunali: sn(u, "ueelettorecomunali"),
            comunali_list: list_req(u.child("listaAggiuntaUEComunali")),
            parlamento: sn(u, "ueelettoreparlamento"),
            parlamento_list: list_req(u.child("listaAggiuntaUEParlamento")),
        }),
        comreg: l.child("listaAggiuntaComReg").map(|c| ComRegBlock {
            bolzano: sn(c, "comregelettorebolzano"),
            trento: sn(c, "comregelettoretrento"),
            aosta: sn(c, "comregelettorevalledaosta"),
            list: list_req(c.child("listaBolTreVal")),
        }),
        flags: Flags {
            referendum: flag("referendumnazionali"),
            membriue: flag("elezionimembriue"),
            senato: flag("senatorepubblica"),
            circ_senato: l.text_of("circoscrsenatorepubblica").map(str::to_string),
            camera: flag("cameradeputati"),
            circ_camera: l.text_of("circoscrcameradeputati").map(str::to_string),
            regionali: flag("regionali"),
            comunali: flag("comunali"),
            circoscrizionali: flag("circoscrizionali"),
        },
    }
}

/// Reads a schema-valid `Richiesta5010` (docs/anpr-interface.md §5010, "Request").
pub fn mutation_5010(root: &Element, decorrenza: time::Date) -> Mutation5010 {
    Mutation5010 {
        id_soggetto: root.text_of("idSoggetto").unwrap_or_default().to_string(),
        tipi: root
            .child("datiControllo")
            .map(|d| TipiMutazione::parse(d.children_named("tipoMutazione").map(|t| t.text.trim())))
            .unwrap_or_default(),
        liste: root.child("liste").map(liste_block),
        certificabile: root.child("certificabilita").map(|c| {
            c.text_of("soggettoCertificabile")
                .map(|v| v.trim().to_string())
        }),
        cancellazione: root.child("cancellazione").map(|c| CancBlock {
            motivo: c
                .text_of("motivoCancellazione")
                .and_then(|m| m.trim().parse().ok())
                .unwrap_or(0),
            tipo_consultazione: c
                .text_of("tipoConsultazione")
                .and_then(|m| m.trim().parse().ok()),
            data_cancellazione_lista: c
                .text_of("dataCancellazioneLista")
                .and_then(urna_domain::date::parse_xs_date),
        }),
        primo_caricamento: root.text_of("tipoRevisione") == Some("PRIMOCARICAMENTO"),
        decorrenza,
    }
}

/// What a response carries besides its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `Risposta_Comune` with optional warnings (5010, 5011, 2012).
    Done { warnings: Vec<Anomaly> },
    /// `Risposta3008_OK` with the stored sections: each the inner XML of a
    /// `sezione` as produced by [`Element::inner_xml`] (trusted, already escaped).
    Sections(Vec<String>),
    /// `rispostaKO` (6001: `Risposta6001KO`): the blocking errors (the
    /// EN527 entry included).
    Ko(Vec<Anomaly>),
    /// `Risposta6001OK`: an electoral certificate.
    Certificate(Box<crate::certificate::CertificateReply>),
    /// `Risposta3002_OK`: the subjects found.
    Subjects(Box<crate::consultation::SubjectsReply>),
    /// `Risposta3003_OK`: past requests.
    Requests(Box<crate::requests::RequestsReply>),
    /// `RispostaMultipla4001`: an extraction accepted.
    Extraction(Box<crate::extraction::ExtractionReply>),
    /// `RispostaMultipla4005`: a job's state, or past exchanges.
    Async(Box<crate::extraction::AsyncReply>),
    /// `RispostaMultipla7001`: a decode table.
    Table(Box<crate::tables::TableReply>),
    /// `RispostaMultipla7002`: a file.
    Download(Box<crate::tables::DownloadReply>),
    /// `RispostaMultipla7003`: the versions served.
    Versions(Box<crate::tables::VersionsReply>),
}

impl Outcome {
    /// The file the transport streams into the reply, if any.
    pub fn streamed_file(&self) -> Option<&crate::tables::StreamedFile> {
        match self {
            Outcome::Download(r) => r.file.as_ref(),
            _ => None,
        }
    }
}

/// Values the server adds to the echoed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMeta {
    pub id_operazione_anpr: String,
}

/// Writes the Body child of the response to `op` (docs/anpr-interface.md
/// §Replies; the 3008 reply: §Sections, "3008").
pub fn write_response(
    op: Operation,
    req: &RequestHeader,
    meta: &ResponseMeta,
    outcome: &Outcome,
) -> String {
    let mut o = Out::with_capacity(1024);
    let root = format!("{}:{}", op.prefix(), op.response_element());
    o.open_ns(&root, op.prefix(), op.request_ns());
    match outcome {
        Outcome::Done { warnings } => {
            o.open_ns("risp:Risposta_Comune", "risp", ns::RISP);
            testata(&mut o, req, meta, ESITO_OK);
            if warnings.is_empty() {
                o.empty("listaAnomalie");
            } else {
                o.open("listaAnomalie");
                for w in warnings {
                    anomaly(&mut o, "anomalie", w);
                }
                o.close("listaAnomalie");
            }
            o.close("risp:Risposta_Comune");
        }
        Outcome::Sections(sections) => {
            o.open("c3:Risposta3008_OK");
            testata(&mut o, req, meta, ESITO_OK);
            o.open("sezione");
            for s in sections {
                o.open("sezioni");
                o.0.push_str(s);
                o.close("sezioni");
            }
            o.close("sezione");
            o.close("c3:Risposta3008_OK");
        }
        Outcome::Certificate(reply) => crate::certificate::write_ok(&mut o, req, meta, reply),
        Outcome::Subjects(reply) => crate::consultation::write_ok(&mut o, req, meta, reply),
        Outcome::Requests(reply) => crate::requests::write_ok(&mut o, req, meta, reply),
        Outcome::Extraction(reply) => crate::extraction::write_4001(&mut o, req, meta, reply),
        Outcome::Async(reply) => crate::extraction::write_4005(&mut o, req, meta, reply),
        Outcome::Table(reply) => crate::tables::write_table(&mut o, req, meta, reply),
        Outcome::Download(reply) => crate::tables::write_download(&mut o, req, meta, reply),
        Outcome::Versions(reply) => crate::tables::write_versions(&mut o, req, meta, reply),
        Outcome::Ko(errors) => {
            let ko = match op {
                Operation::Certificato6001 => "cert:Risposta6001KO".to_string(),
                _ => format!("{}:rispostaKO", op.prefix()),
            };
            o.open(&ko);
            testata(&mut o, req, meta, ESITO_KO);
            o.open("listaErrori");
            for e in errors {
                anomaly(&mut o, "errore", e);
            }
            o.close("listaErrori");
            o.close(&ko);
        }
    }
    o.close(&root);
    o.0
}

pub(crate) fn testata(o: &mut Out, r: &RequestHeader, meta: &ResponseMeta, esito: &str) {
    o.open("testataRisposta")
        .leaf("idOperazioneComune", r.id_operazione_comune.as_str())
        .leaf("codMittente", r.cod_mittente.as_str())
        .leaf("codDestinatario", &r.cod_destinatario)
        .leaf("operazioneRichiesta", &r.operazione_richiesta)
        .leaf("dataOraRichiesta", &r.data_ora_richiesta.text)
        .opt_leaf("protocolloComune", r.protocollo_comune.as_deref())
        .opt_leaf(
            "dataProtocolloComune",
            r.data_protocollo_comune.as_ref().map(|d| d.text.as_str()),
        )
        .opt_leaf(
            "dataDecorrenza",
            r.data_decorrenza.as_ref().map(|d| d.text.as_str()),
        )
        .leaf("idOperazioneANPR", &meta.id_operazione_anpr)
        .leaf("esitoOperazione", esito)
        .close("testataRisposta");
}

pub(crate) fn anomaly(o: &mut Out, name: &str, a: &Anomaly) {
    o.open(name)
        .leaf("codiceErroreAnomalia", a.code.wire())
        .leaf("tipoErroreAnomalia", a.severity.wire())
        .leaf("testoErroreAnomalia", &a.text)
        .opt_leaf("oggettoErroreAnomalia", a.object.as_deref())
        .opt_leaf("campoErroreAnomalia", a.field.as_deref())
        .opt_leaf("valoreErroreAnomalia", a.value.as_deref())
        .close(name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use urna_domain::Code;

    fn header() -> RequestHeader {
        RequestHeader::example()
    }

    fn meta() -> ResponseMeta {
        ResponseMeta {
            id_operazione_anpr: "42".into(),
        }
    }

    #[test]
    fn dispatch_by_qualified_name() {
        assert_eq!(
            Operation::from_qname(ns::M5, "Richiesta5011"),
            Some(Operation::Mutazione5011)
        );
        assert_eq!(
            Operation::from_qname(ns::C3, "Richiesta3008"),
            Some(Operation::Consultazione3008)
        );
        assert_eq!(
            Operation::from_qname(ns::C2, "Richiesta2012"),
            Some(Operation::Cancellazione2012)
        );
        assert_eq!(Operation::from_qname(ns::C3, "Richiesta5011"), None);
        assert_eq!(Operation::from_qname(ns::M5, "Richiesta5001"), None);
    }

    #[test]
    fn success_reply_has_risposta_comune_and_empty_anomalies() {
        let x = write_response(
            Operation::Mutazione5011,
            &header(),
            &meta(),
            &Outcome::Done { warnings: vec![] },
        );
        assert!(x.starts_with("<m5:Risposta5011 xmlns:m5=\"http://sogei.it/ANPR/5000mutazione\"><risp:Risposta_Comune xmlns:risp=\"http://sogei.it/ANPR/rispostaComune\"><testataRisposta><idOperazioneComune>A1</idOperazioneComune>"));
        assert!(x.contains("<dataDecorrenza>2025-01-10</dataDecorrenza><idOperazioneANPR>42</idOperazioneANPR><esitoOperazione>0000</esitoOperazione></testataRisposta><listaAnomalie></listaAnomalie>"));
    }

    #[test]
    fn ko_reply_lists_errors_in_family_namespace() {
        let errs = vec![Anomaly::new(Code::EN557, "x")
            .field("sezioneelettoralenum")
            .value("9")];
        let x = write_response(
            Operation::Cancellazione2012,
            &header(),
            &meta(),
            &Outcome::Ko(errs),
        );
        assert!(x.starts_with("<c2:Risposta2012 xmlns:c2=\"http://sogei.it/ANPR/2000cancellazione\"><c2:rispostaKO><testataRisposta>"));
        assert!(x.contains("<esitoOperazione>XXXX</esitoOperazione>"));
        assert!(x.contains("<errore><codiceErroreAnomalia>EN557</codiceErroreAnomalia><tipoErroreAnomalia>E</tipoErroreAnomalia>"));
        assert!(x.contains("<campoErroreAnomalia>sezioneelettoralenum</campoErroreAnomalia><valoreErroreAnomalia>9</valoreErroreAnomalia></errore>"));
    }

    #[test]
    fn sections_reply_renames_items() {
        let s = Element::new("sezione").with_child(Element::leaf("sezioneelettoralenum", "1"));
        let x = write_response(
            Operation::Consultazione3008,
            &header(),
            &meta(),
            &Outcome::Sections(vec![s.inner_xml()]),
        );
        assert!(x.contains("<c3:Risposta3008_OK><testataRisposta>"));
        assert!(x.contains("<sezione><sezioni><sezioneelettoralenum>1</sezioneelettoralenum></sezioni></sezione></c3:Risposta3008_OK></c3:Risposta3008>"));
    }

    #[test]
    fn digest_ignores_the_request_timestamp_only() {
        let req = |ts: &str, num: &str| {
            Element::new("Richiesta5011")
                .with_child(
                    Element::new("testataRichiesta")
                        .with_child(Element::leaf("dataOraRichiesta", ts)),
                )
                .with_child(
                    Element::new("sezione").with_child(Element::leaf("sezioneelettoralenum", num)),
                )
        };
        assert_eq!(
            request_digest(&req("a", "1")),
            request_digest(&req("b", "1"))
        );
        assert_ne!(
            request_digest(&req("a", "1")),
            request_digest(&req("a", "2"))
        );
    }
}
