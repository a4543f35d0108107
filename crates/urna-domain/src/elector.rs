//! The 5010 rulebook (docs/anpr-interface.md §5010; rules R-E1…R-E25 in
//! docs/rules.md): given who the subject is, their current electoral state
//! and a 5010 request, compute the new state or the precise reasons why not.
//!
//! Blocks are applied in this order: cancellation (05), general list (01),
//! EU lists (02), Bolzano/Trento/Aosta lists (03), certifiability (04); so a
//! single message may, for instance, cancel an EU list and enrol the subject in
//! the general list, or enrol and set certifiability (see `docs/rules.md`).

use serde::{Deserialize, Serialize};
use time::Date;

use crate::catalogue::{Anomaly, Code};
use crate::section::{ComuneRef, ConstituencyKind, ConstituencyTable, SenderComune};

/// A list placement: comune (ISTAT) and exact section number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRef {
    pub comune: String,
    pub sezione: String,
}

/// The additional lists of the provinces of Bolzano and Trento and of Valle d'Aosta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ComReg {
    Bolzano,
    Trento,
    Aosta,
}

impl ComReg {
    pub fn key(self) -> &'static str {
        match self {
            ComReg::Bolzano => "bolzano",
            ComReg::Trento => "trento",
            ComReg::Aosta => "aosta",
        }
    }

    pub fn from_key(s: &str) -> Option<Self> {
        [ComReg::Bolzano, ComReg::Trento, ComReg::Aosta]
            .into_iter()
            .find(|k| k.key() == s)
    }

    /// Province (sigla) whose comuni keep this list.
    pub fn province(self) -> &'static str {
        match self {
            ComReg::Bolzano => "BZ",
            ComReg::Trento => "TN",
            ComReg::Aosta => "AO",
        }
    }
}

/// Consultation flags and circumscriptions (R-E6, R-E7).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub referendum: bool,
    pub membriue: bool,
    pub senato: bool,
    pub circ_senato: Option<String>,
    pub camera: bool,
    pub circ_camera: Option<String>,
    pub regionali: bool,
    pub comunali: bool,
    pub circoscrizionali: bool,
}

impl Flags {
    fn any(&self) -> bool {
        self.referendum
            || self.membriue
            || self.senato
            || self.camera
            || self.regionali
            || self.comunali
            || self.circoscrizionali
    }
}

/// `soggettoCertificabile` in its electoral meaning (ANPR's file
/// DEC_CERTIFICABILITA_ELE), independent of the registry's (Tabella 42).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectoralCertifiability {
    /// 0: no electoral certificate.
    None,
    /// 1: only the certificate of enjoyment of political rights (21).
    Partial,
    /// 2: both certificates.
    Full,
}

impl ElectoralCertifiability {
    pub const ALL: [ElectoralCertifiability; 3] = [
        ElectoralCertifiability::None,
        ElectoralCertifiability::Partial,
        ElectoralCertifiability::Full,
    ];

    pub fn code(self) -> u8 {
        match self {
            ElectoralCertifiability::None => 0,
            ElectoralCertifiability::Partial => 1,
            ElectoralCertifiability::Full => 2,
        }
    }

    pub fn from_code(code: u8) -> Option<ElectoralCertifiability> {
        ElectoralCertifiability::ALL
            .into_iter()
            .find(|c| c.code() == code)
    }

    pub fn description(self) -> &'static str {
        match self {
            ElectoralCertifiability::None => "NON CERTIFICABILE",
            ElectoralCertifiability::Partial => "CERTIFICABILITA' PARZIALE",
            ElectoralCertifiability::Full => "CERTIFICABILITA' COMPLETA",
        }
    }
}

/// `tipoRevisione`: the revision a 5010 belongs to (the XSD's enumeration;
/// only PRIMOCARICAMENTO changes what the rules do).
pub const TIPI_REVISIONE: [(&str, &str); 5] = [
    ("PRIMOCARICAMENTO", "PRIMO CARICAMENTO (SUBENTRO)"),
    ("SEMESTRALE", "REVISIONE SEMESTRALE"),
    ("DINAMICA", "REVISIONE DINAMICA"),
    ("STRAORDINARIA", "REVISIONE STRAORDINARIA"),
    ("ALTRA", "ALTRA REVISIONE"),
];

/// The electoral lists a subject can be on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    General,
    UeComunali,
    UeParlamento,
    /// The additional lists of Bolzano, Trento and Valle d'Aosta.
    ComReg,
}

impl ListKind {
    /// The list's Italian name, as the KO texts use it.
    pub fn name(self) -> &'static str {
        match self {
            ListKind::General => "lista generale",
            ListKind::UeComunali => "lista aggiunta UE comunali",
            ListKind::UeParlamento => "lista aggiunta UE Parlamento europeo",
            ListKind::ComReg => "lista aggiunta comunale/regionale",
        }
    }
}

/// `motivoCancellazione`, the electoral cancellation reasons (ANPR's file
/// DEC_MOTIVO_CANC_ELE): what a 5010 cancellation accepts and 7001 lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancellationMotive {
    /// 1
    Emigration,
    /// 2: puts the subject in the "cancellando" state.
    Untraceable,
    /// 3
    Death,
    /// 4
    Various,
    /// 5
    UeComunali,
    /// 6
    UeParlamento,
    /// 7
    ComReg,
    /// 8: a general list sent by mistake (R-E10).
    Annulment,
    /// 9
    LossOfRightAndEmigration,
}

impl CancellationMotive {
    pub const ALL: [CancellationMotive; 9] = [
        CancellationMotive::Emigration,
        CancellationMotive::Untraceable,
        CancellationMotive::Death,
        CancellationMotive::Various,
        CancellationMotive::UeComunali,
        CancellationMotive::UeParlamento,
        CancellationMotive::ComReg,
        CancellationMotive::Annulment,
        CancellationMotive::LossOfRightAndEmigration,
    ];

    pub fn code(self) -> u8 {
        CancellationMotive::ALL
            .iter()
            .position(|m| *m == self)
            .map_or(0, |i| i as u8 + 1)
    }

    pub fn from_code(code: u8) -> Option<CancellationMotive> {
        CancellationMotive::ALL
            .get(usize::from(code).checked_sub(1)?)
            .copied()
    }

    /// The codes accepted, for a KO text: `1..9`.
    pub fn codes_text() -> String {
        format!("1..{}", CancellationMotive::ALL.len())
    }

    /// The list the motive cancels from.
    pub fn list(self) -> ListKind {
        match self {
            CancellationMotive::UeComunali => ListKind::UeComunali,
            CancellationMotive::UeParlamento => ListKind::UeParlamento,
            CancellationMotive::ComReg => ListKind::ComReg,
            _ => ListKind::General,
        }
    }

    /// The description of ANPR's table.
    pub fn description(self) -> &'static str {
        match self {
            CancellationMotive::Emigration => "TRASFERIMENTO RESIDENZA",
            CancellationMotive::Untraceable => "IRREPERIBILITA'",
            CancellationMotive::Death => "MORTE",
            CancellationMotive::Various => "MOTIVI VARI",
            CancellationMotive::UeComunali => "CANCELLAZIONE LISTA AGGIUNTA UE COMUNALI",
            CancellationMotive::UeParlamento => {
                "CANCELLAZIONE LISTA AGGIUNTA UE PARLAMENTO EUROPEO"
            }
            CancellationMotive::ComReg => "CANCELLAZIONE LISTA AGGIUNTA COMUNALI REGIONALI",
            CancellationMotive::Annulment => "CANCELLAZIONE LISTA GENERALE",
            CancellationMotive::LossOfRightAndEmigration => {
                "PERDITA DEL DIRITTO ELETTORALE E TRASFERIMENTO RESIDENZA"
            }
        }
    }
}

/// A cancellation of the general list: who, why, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub comune: String,
    pub motivo: u8,
    #[serde(with = "crate::date::serde_ymd")]
    pub data: Date,
}

impl Cancellation {
    /// After motives 1, 2, 4 and 9 another comune may enrol the subject (the
    /// "cancellando" state, R-E8); after 3 (death) nobody may.
    pub fn frees_subject(&self) -> bool {
        matches!(self.motivo, 1 | 2 | 4 | 9)
    }
}

/// "Doppia lista": still votes in `comune` for one consultation (R-E13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doppia {
    pub comune: String,
    pub tipo: u8,
    #[serde(with = "crate::date::serde_ymd")]
    pub data: Date,
}

/// The current electoral state of one subject (the decree keeps no history).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElectorState {
    pub elettore: Option<bool>,
    /// Active general list and the effective date it started.
    pub general: Option<(ListRef, Date)>,
    pub cancelled: Option<Cancellation>,
    pub ue_comunali: Option<ListRef>,
    pub ue_parlamento: Option<ListRef>,
    pub comreg: Option<(ComReg, ListRef)>,
    pub flags: Option<Flags>,
    pub flags_comune: Option<String>,
    pub certificabile: Option<u8>,
    pub cert_comune: Option<String>,
    pub doppia: Option<Doppia>,
    pub first_load: Option<String>,
    pub last_decorrenza: Option<Date>,
}

impl ElectorState {
    /// The list that decides competence over the subject's personal
    /// electoral data: the general list, else an additional one.
    fn main_list(&self) -> Option<ListRef> {
        self.general
            .as_ref()
            .map(|(l, _)| l.clone())
            .or(self.ue_comunali.clone())
            .or(self.ue_parlamento.clone())
            .or(self.comreg.as_ref().map(|(_, l)| l.clone()))
    }
}

/// Citizenship as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Citizenship {
    Italian,
    OtherEu,
    NonEu,
}

/// The four partitions of the foreign constituency ("ripartizioni della
/// circoscrizione Estero", law 459/2001 art. 6), in which electors
/// registered in AIRE vote for the Camera and the Senato. The wire value of
/// `circoscrcameradeputati` / `circoscrsenatorepubblica` is the label
/// (docs/decisions.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ripartizione {
    Europa = 1,
    AmericaMeridionale = 2,
    AmericaSettentrionaleCentrale = 3,
    AfricaAsiaOceaniaAntartide = 4,
}

impl Ripartizione {
    pub const ALL: [Ripartizione; 4] = [
        Ripartizione::Europa,
        Ripartizione::AmericaMeridionale,
        Ripartizione::AmericaSettentrionaleCentrale,
        Ripartizione::AfricaAsiaOceaniaAntartide,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Ripartizione::Europa => "EUROPA",
            Ripartizione::AmericaMeridionale => "AMERICA MERIDIONALE",
            Ripartizione::AmericaSettentrionaleCentrale => "AMERICA SETTENTRIONALE E CENTRALE",
            Ripartizione::AfricaAsiaOceaniaAntartide => "AFRICA, ASIA, OCEANIA E ANTARTIDE",
        }
    }

    pub fn from_label(s: &str) -> Option<Ripartizione> {
        Self::ALL.into_iter().find(|r| r.label() == s)
    }

    pub fn from_number(n: u8) -> Option<Ripartizione> {
        Self::ALL.into_iter().find(|r| *r as u8 == n)
    }
}

/// Registration in AIRE (Italians resident abroad).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aire {
    No,
    /// Registered in AIRE; the partition of the state of residence, when
    /// the registry records it.
    Yes(Option<Ripartizione>),
}

/// What the registry says about the subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectFacts {
    pub citizenship: Citizenship,
    /// Cancelled from ANPR: list data may still be updated (R-E20).
    pub cancelled_from_anpr: bool,
    /// ISTAT code of the comune of residence (None: not recorded, or AIRE).
    pub residence: Option<String>,
    pub aire: Aire,
}

/// A list named by a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListReq {
    pub comune: ComuneRef,
    pub sezione: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UeBlock {
    pub comunali: Option<bool>,
    pub comunali_list: Option<ListReq>,
    pub parlamento: Option<bool>,
    pub parlamento_list: Option<ListReq>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComRegBlock {
    pub bolzano: Option<bool>,
    pub trento: Option<bool>,
    pub aosta: Option<bool>,
    pub list: Option<ListReq>,
}

/// The `liste` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListeBlock {
    pub elettore: bool,
    pub generale: Option<ListReq>,
    pub ue: Option<UeBlock>,
    pub comreg: Option<ComRegBlock>,
    pub flags: Flags,
}

/// The `cancellazione` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancBlock {
    pub motivo: u8,
    pub tipo_consultazione: Option<u8>,
    pub data_cancellazione_lista: Option<Date>,
}

/// One `datiControllo/tipoMutazione` value: a block of the 5010 the request
/// asks ANPR to acquire (R-E1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TipoMutazione {
    /// 01: elettore, the general list and the flags (`liste`).
    Liste,
    /// 02: the EU additional lists (`liste/listaAggiuntaUE`).
    ListaUe,
    /// 03: the Bolzano/Trento/Aosta additional lists (`liste/listaAggiuntaComReg`).
    ListaComReg,
    /// 04: certifiability (`certificabilita`).
    Certificabilita,
    /// 05: cancellation from the lists (`cancellazione`).
    Cancellazione,
}

impl TipoMutazione {
    pub const ALL: [TipoMutazione; 5] = [
        TipoMutazione::Liste,
        TipoMutazione::ListaUe,
        TipoMutazione::ListaComReg,
        TipoMutazione::Certificabilita,
        TipoMutazione::Cancellazione,
    ];

    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            TipoMutazione::Liste => "01",
            TipoMutazione::ListaUe => "02",
            TipoMutazione::ListaComReg => "03",
            TipoMutazione::Certificabilita => "04",
            TipoMutazione::Cancellazione => "05",
        }
    }

    pub fn from_code(code: &str) -> Option<TipoMutazione> {
        TipoMutazione::ALL.into_iter().find(|t| t.code() == code)
    }

    /// What the type acquires, for the decode table.
    pub fn description(self) -> &'static str {
        match self {
            TipoMutazione::Liste => "DATI ELETTORE E LISTA GENERALE",
            TipoMutazione::ListaUe => "LISTE AGGIUNTE UE",
            TipoMutazione::ListaComReg => "LISTE AGGIUNTE COMUNALI REGIONALI",
            TipoMutazione::Certificabilita => "CERTIFICABILITA' ELETTORALE",
            TipoMutazione::Cancellazione => "CANCELLAZIONE DALLE LISTE",
        }
    }
}

/// The `tipoMutazione` values of a request: the known ones as a set, the
/// others as received (each refused with EN562).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TipiMutazione {
    known: std::collections::BTreeSet<TipoMutazione>,
    unknown: Vec<String>,
}

impl TipiMutazione {
    /// Reads the values as received (trimmed by the caller).
    pub fn parse<'a>(codes: impl IntoIterator<Item = &'a str>) -> TipiMutazione {
        let mut tipi = TipiMutazione::default();
        for code in codes {
            match TipoMutazione::from_code(code) {
                Some(t) => {
                    tipi.known.insert(t);
                }
                None => tipi.unknown.push(code.to_string()),
            }
        }
        tipi
    }

    pub fn contains(&self, t: TipoMutazione) -> bool {
        self.known.contains(&t)
    }

    pub fn insert(&mut self, t: TipoMutazione) {
        self.known.insert(t);
    }

    /// The values that name no block, in the order received.
    pub fn unknown(&self) -> &[String] {
        &self.unknown
    }
}

impl FromIterator<TipoMutazione> for TipiMutazione {
    fn from_iter<I: IntoIterator<Item = TipoMutazione>>(iter: I) -> Self {
        TipiMutazione {
            known: iter.into_iter().collect(),
            unknown: Vec::new(),
        }
    }
}

/// A 5010 request, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation5010 {
    pub id_soggetto: String,
    pub tipi: TipiMutazione,
    pub liste: Option<ListeBlock>,
    /// `certificabilita/soggettoCertificabile`, when the block is present.
    pub certificabile: Option<Option<String>>,
    pub cancellazione: Option<CancBlock>,
    pub primo_caricamento: bool,
    /// `dataDecorrenza`.
    pub decorrenza: Date,
}

/// Lookups the rules need (pre-fetched by the caller).
pub trait World {
    fn section_exists(&self, istat: &str, numero: &str) -> bool;
    /// The sender's constituency table.
    fn constituencies(&self) -> &dyn ConstituencyTable;
    /// "NOME (XX) 123456" for messages.
    fn comune_label(&self, istat: &str) -> String;
    fn comune_sigla(&self, istat: &str) -> Option<String>;
}

struct Check<'a> {
    sender: &'a SenderComune,
    world: &'a dyn World,
    errors: Vec<Anomaly>,
}

impl Check<'_> {
    fn err(&mut self, a: Anomaly) {
        self.errors.push(a);
    }

    /// A list the sender wants to write: must be its own comune and an
    /// existing section (EN204, EN557, R-E24).
    fn own_list(&mut self, what: &str, l: &ListReq) -> Option<ListRef> {
        let istat = l.comune.istat.clone().unwrap_or_default();
        let own = match &l.comune.istat {
            Some(i) => i == &self.sender.istat,
            None => l.comune.nome.trim().eq_ignore_ascii_case(&self.sender.nome),
        };
        if !own {
            self.err(
                Anomaly::new(
                    Code::EN204,
                    format!(
                        "{what}: la lista indicata e' del comune {} {}, la richiesta del comune {}; un comune puo' iscrivere solo nelle proprie liste",
                        l.comune.nome, istat, self.sender.istat
                    ),
                )
                .object(what)
                .field("comune/codiceIstat")
                .value(istat),
            );
            return None;
        }
        if !self.world.section_exists(&self.sender.istat, &l.sezione) {
            self.err(
                Anomaly::new(
                    Code::EN557,
                    format!(
                        "{what}: sezione elettorale numero {} del comune {} ({}) inesistente; crearla con 5011",
                        l.sezione, self.sender.nome, self.sender.sigla
                    ),
                )
                .object(what)
                .field("sezioneelettoralenum")
                .value(&l.sezione),
            );
            return None;
        }
        Some(ListRef {
            comune: self.sender.istat.clone(),
            sezione: l.sezione.clone(),
        })
    }

    fn not_competent(&mut self, what: &str, holder: &ListRef, remedy: &str) {
        let label = self.world.comune_label(&holder.comune);
        self.err(
            Anomaly::new(
                Code::EN204,
                format!(
                    "{what} del soggetto e' tenuta dal comune {label}, sezione {}: {remedy}",
                    holder.sezione
                ),
            )
            .object(what)
            .field("comune")
            .value(&holder.comune),
        );
    }
}

/// Applies a 5010 to the current state (pure). `subject` is `None` when the
/// id is not in the registry.
pub fn apply_5010(
    sender: &SenderComune,
    subject: Option<&SubjectFacts>,
    current: &ElectorState,
    m: &Mutation5010,
    world: &dyn World,
) -> Result<ElectorState, Vec<Anomaly>> {
    let mut c = Check {
        sender,
        world,
        errors: Vec::new(),
    };
    let Some(subject) = subject else {
        return Err(vec![Anomaly::new(
            Code::EN185,
            format!(
                "idSoggetto {} non presente nell'anagrafe dei soggetti",
                m.id_soggetto
            ),
        )
        .field("idSoggetto")
        .value(&m.id_soggetto)]);
    };
    let has = |t: TipoMutazione| m.tipi.contains(t);
    // R-E1: only the named blocks are acquired; a named block must be there.
    for t in m.tipi.unknown() {
        c.err(
            Anomaly::new(
                Code::EN562,
                format!("tipoMutazione {t} non previsto: valori ammessi 01..05"),
            )
            .field("datiControllo/tipoMutazione")
            .value(t),
        );
    }
    let need = |c: &mut Check<'_>, t: TipoMutazione, present: bool, block: &str| {
        if has(t) && !present {
            c.err(
                Anomaly::new(
                    Code::EN562,
                    format!("tipoMutazione {} richiede il blocco {block}", t.code()),
                )
                .field(block)
                .value(t.code()),
            );
        }
    };
    let liste = m.liste.as_ref();
    need(&mut c, TipoMutazione::Liste, liste.is_some(), "liste");
    need(
        &mut c,
        TipoMutazione::ListaUe,
        liste.and_then(|l| l.ue.as_ref()).is_some(),
        "liste/listaAggiuntaUE",
    );
    need(
        &mut c,
        TipoMutazione::ListaComReg,
        liste.and_then(|l| l.comreg.as_ref()).is_some(),
        "liste/listaAggiuntaComReg",
    );
    need(
        &mut c,
        TipoMutazione::Certificabilita,
        m.certificabile.as_ref().is_some_and(|v| v.is_some()),
        "certificabilita/soggettoCertificabile",
    );
    need(
        &mut c,
        TipoMutazione::Cancellazione,
        m.cancellazione.is_some(),
        "cancellazione",
    );
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    // R-E19: effective dates only move forward.
    if let Some(last) = &current.last_decorrenza {
        if m.decorrenza < *last {
            c.err(
                Anomaly::new(
                    Code::EN389,
                    format!("data decorrenza {} precedente alla data decorrenza {} dell'ultima operazione sui dati elettorali", m.decorrenza, last),
                )
                .field("testataRichiesta/dataDecorrenza")
                .value(m.decorrenza.to_string()),
            );
            return Err(c.errors);
        }
    }
    let _ = subject.cancelled_from_anpr; // R-E20: allowed, nothing to check.
    let mut next = current.clone();

    // 05 — cancellation (R-E9…R-E11, R-E13).
    if has(TipoMutazione::Cancellazione) {
        if let Some(k) = &m.cancellazione {
            cancel(&mut c, &mut next, k, m.decorrenza);
        }
    }
    // 01 — elettore, general list, flags (R-E2…R-E8, R-E12, R-E14, R-E24).
    if has(TipoMutazione::Liste) {
        if let Some(l) = liste {
            general(&mut c, &mut next, l, subject, m);
        }
    }
    // 02 — EU additional lists (R-E15, R-E16).
    if has(TipoMutazione::ListaUe) {
        if let Some(ue) = liste.and_then(|l| l.ue.as_ref()) {
            eu_lists(&mut c, &mut next, ue, subject);
        }
    }
    // 03 — Bolzano/Trento/Aosta additional lists (R-E16…R-E18).
    if has(TipoMutazione::ListaComReg) {
        if let Some(cr) = liste.and_then(|l| l.comreg.as_ref()) {
            comreg(&mut c, &mut next, cr, subject);
        }
    }
    if has(TipoMutazione::Liste) || has(TipoMutazione::ListaUe) || has(TipoMutazione::ListaComReg) {
        if let Some(l) = liste {
            next.elettore = Some(l.elettore);
        }
    }
    // 04 — certifiability (R-E21).
    if has(TipoMutazione::Certificabilita) {
        if let Some(Some(v)) = &m.certificabile {
            certifiability(&mut c, &mut next, v, subject);
        }
    }
    // First load (EN556, R-T3).
    if m.primo_caricamento && next.general.is_some() && has(TipoMutazione::Liste) {
        match &current.first_load {
            Some(by) => {
                let label = world.comune_label(by);
                c.err(
                    Anomaly::new(
                        Code::EN556,
                        format!(
                            "primo caricamento della lista generale per il soggetto {} gia' effettuato dal comune {label}",
                            m.id_soggetto
                        ),
                    )
                    .field("tipoRevisione")
                    .value("PRIMOCARICAMENTO"),
                );
            }
            None => next.first_load = Some(sender.istat.clone()),
        }
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    next.last_decorrenza = Some(m.decorrenza);
    Ok(next)
}

fn cancel(c: &mut Check<'_>, next: &mut ElectorState, k: &CancBlock, decorrenza: Date) {
    let sender = c.sender.istat.clone();
    let motive_field = |a: Anomaly| {
        a.object("cancellazione")
            .field("motivoCancellazione")
            .value(k.motivo.to_string())
    };
    // R-E13: doppia lista needs both the consultation type and its date.
    if k.tipo_consultazione.is_some() != k.data_cancellazione_lista.is_some() {
        c.err(
            Anomaly::new(Code::EN562, "doppia lista: indicare insieme tipoConsultazione e dataCancellazioneLista (data della consultazione)")
                .object("cancellazione")
                .field("tipoConsultazione"),
        );
        return;
    }
    let Some(motive) = CancellationMotive::from_code(k.motivo) else {
        c.err(motive_field(Anomaly::new(
            Code::EN204,
            format!(
                "motivoCancellazione {} non previsto ({})",
                k.motivo,
                CancellationMotive::codes_text()
            ),
        )));
        return;
    };
    let list = motive.list();
    let list_name = list.name();
    let held = match list {
        ListKind::General => next.general.as_ref().map(|(l, _)| l.clone()),
        ListKind::UeComunali => next.ue_comunali.clone(),
        ListKind::UeParlamento => next.ue_parlamento.clone(),
        ListKind::ComReg => next.comreg.as_ref().map(|(_, l)| l.clone()),
    };
    match held {
        None => {
            // R-E9/R-E11: the motive must fit a list the subject has.
            c.err(motive_field(Anomaly::new(
                Code::EN204,
                format!(
                    "motivo {} riguarda la {list_name}, ma il soggetto non vi risulta iscritto",
                    k.motivo
                ),
            )));
        }
        Some(l) if l.comune != sender => {
            c.not_competent(list_name, &l, "solo quel comune puo' cancellarla");
        }
        Some(_) => match motive {
            // R-E10: annulment of a general list sent by mistake.
            CancellationMotive::Annulment => {
                next.general = None;
                if next.first_load.as_deref() == Some(sender.as_str()) {
                    next.first_load = None;
                }
            }
            CancellationMotive::UeComunali => next.ue_comunali = None,
            CancellationMotive::UeParlamento => next.ue_parlamento = None,
            CancellationMotive::ComReg => next.comreg = None,
            _ => {
                let m = motive.code();
                next.general = None;
                next.cancelled = Some(Cancellation {
                    comune: sender.clone(),
                    motivo: m,
                    data: decorrenza,
                });
                if let (Some(t), Some(d)) = (k.tipo_consultazione, &k.data_cancellazione_lista) {
                    next.doppia = Some(Doppia {
                        comune: sender.clone(),
                        tipo: t,
                        data: *d,
                    });
                }
            }
        },
    }
}

fn general(
    c: &mut Check<'_>,
    next: &mut ElectorState,
    l: &ListeBlock,
    subject: &SubjectFacts,
    m: &Mutation5010,
) {
    let sender = c.sender.istat.clone();
    // Competence over the flags and the list: the holder of the general list.
    if let Some((held, _)) = &next.general {
        if held.comune != sender {
            let held = held.clone();
            // R-E8: enrolment only after the other comune's cancellation.
            c.err(
                Anomaly::new(
                    Code::EN560,
                    format!(
                        "il soggetto e' iscritto nella lista generale del comune {}, sezione {}: quel comune deve prima cancellarlo (5010 tipoMutazione 05)",
                        c.world.comune_label(&held.comune),
                        held.sezione
                    ),
                )
                .object("liste/listaGenerale")
                .field("idSoggetto")
                .value(&m.id_soggetto),
            );
            return;
        }
    }
    if next.general.is_none() && l.generale.is_some() {
        if let Some(k) = &next.cancelled {
            if !k.frees_subject() {
                c.err(
                    Anomaly::new(
                        Code::EN560,
                        format!(
                            "il soggetto e' stato cancellato dal comune {} con motivo {} (decesso): non e' iscrivibile",
                            c.world.comune_label(&k.comune),
                            k.motivo
                        ),
                    )
                    .object("liste/listaGenerale"),
                );
                return;
            }
        }
    }
    // R-E4, R-E12: a non-elector has no (new) list and every flag N.
    if !l.elettore {
        if l.generale.is_some() {
            c.err(
                Anomaly::new(Code::EN562, "elettore N: non indicare listaGenerale (la perdita della capacita' non e' una cancellazione)")
                    .object("liste")
                    .field("listaGenerale"),
            );
        }
        if l.flags.any() {
            c.err(
                Anomaly::new(
                    Code::EN562,
                    "elettore N: tutti i flag delle consultazioni devono essere N",
                )
                .object("liste")
                .field("elettore")
                .value("N"),
            );
        }
    }
    // R-E14: no general list while an EU additional list exists.
    if l.generale.is_some() && (next.ue_comunali.is_some() || next.ue_parlamento.is_some()) {
        let ue = next
            .ue_comunali
            .clone()
            .or(next.ue_parlamento.clone())
            .expect("one is set");
        c.err(
            Anomaly::new(
                Code::EN562,
                format!(
                    "la lista generale non puo' essere inserita: il soggetto e' in una lista aggiunta UE del comune {} (sezione {}); cancellarla prima con motivo 5/6",
                    c.world.comune_label(&ue.comune),
                    ue.sezione
                ),
            )
            .object("liste/listaGenerale"),
        );
    }
    // R-E7: circumscriptions are mandatory with their flag and must match the
    // table; R-E25: an AIRE elector's are the foreign partition instead.
    let table = c.world.constituencies();
    for (flag, value, kind) in [
        (
            l.flags.senato,
            &l.flags.circ_senato,
            ConstituencyKind::CircSenato,
        ),
        (
            l.flags.camera,
            &l.flags.circ_camera,
            ConstituencyKind::CircCamera,
        ),
    ] {
        let foreign = value.as_deref().and_then(Ripartizione::from_label);
        match (value, subject.aire) {
            (None, _) if flag => c.err(
                Anomaly::new(
                    Code::EN562,
                    format!(
                        "campo \"{}\" obbligatorio con il flag a S",
                        kind.description_it()
                    ),
                )
                .object("liste")
                .field(kind.element()),
            ),
            (None, _) => {}
            (Some(v), Aire::Yes(expected)) => {
                let fits = match expected {
                    Some(e) => foreign == Some(e),
                    None => foreign.is_some(),
                };
                if !fits {
                    let wanted = match expected {
                        Some(e) => format!("\"{}\"", e.label()),
                        None => Ripartizione::ALL
                            .iter()
                            .map(|r| r.label())
                            .collect::<Vec<_>>()
                            .join(" | "),
                    };
                    c.err(
                        Anomaly::new(
                            Code::EN562,
                            format!(
                                "elettore AIRE: {} e' la ripartizione della circoscrizione Estero {wanted}",
                                kind.element()
                            ),
                        )
                        .object("liste")
                        .field(kind.element())
                        .value(v.as_str()),
                    );
                }
            }
            (Some(v), Aire::No) if foreign.is_some() => c.err(
                Anomaly::new(
                    Code::EN562,
                    format!(
                        "campo \"{}\": la ripartizione della circoscrizione Estero vale solo per gli elettori iscritti all'AIRE",
                        kind.description_it()
                    ),
                )
                .object("liste")
                .field(kind.element())
                .value(v.as_str()),
            ),
            (Some(v), Aire::No) if !table.contains(kind, v) => c.err(
                Anomaly::new(
                    Code::EN562,
                    format!(
                        "campo \"{}\" non presente nella tabella di riferimento (confronto esatto)",
                        kind.description_it()
                    ),
                )
                .object("liste")
                .field(kind.element())
                .value(v.as_str()),
            ),
            _ => {}
        }
    }
    if let Some(g) = &l.generale {
        if let Some(list) = c.own_list("liste/listaGenerale", g) {
            let since = match &next.general {
                Some((old, since)) if old.comune == list.comune => *since,
                _ => m.decorrenza,
            };
            next.general = Some((list, since));
            next.cancelled = None;
        }
    }
    next.flags = Some(l.flags.clone());
    next.flags_comune = Some(sender);
}

fn eu_lists(c: &mut Check<'_>, next: &mut ElectorState, ue: &UeBlock, subject: &SubjectFacts) {
    if subject.citizenship == Citizenship::Italian {
        c.err(Anomaly::new(Code::EN565, "").object("liste/listaAggiuntaUE"));
        return;
    }
    if let Some((g, _)) = &next.general {
        let g = g.clone();
        c.err(
            Anomaly::new(
                Code::EN562,
                format!(
                    "lista aggiunta UE non inseribile: il soggetto e' nella lista generale del comune {} (sezione {})",
                    c.world.comune_label(&g.comune),
                    g.sezione
                ),
            )
            .object("liste/listaAggiuntaUE"),
        );
        return;
    }
    for (flag, list, slot, name) in [
        (ue.comunali, &ue.comunali_list, 0, "listaAggiuntaUEComunali"),
        (
            ue.parlamento,
            &ue.parlamento_list,
            1,
            "listaAggiuntaUEParlamento",
        ),
    ] {
        let current = if slot == 0 {
            next.ue_comunali.clone()
        } else {
            next.ue_parlamento.clone()
        };
        if let Some(held) = &current {
            if held.comune != c.sender.istat && (flag == Some(true) || list.is_some()) {
                c.err(
                    Anomaly::new(
                        Code::EN560,
                        format!(
                            "il soggetto e' nella {name} del comune {}, sezione {}: quel comune deve prima cancellarlo",
                            c.world.comune_label(&held.comune),
                            held.sezione
                        ),
                    )
                    .object(format!("liste/listaAggiuntaUE/{name}")),
                );
                continue;
            }
        }
        match (flag, list) {
            (Some(true), Some(l)) => {
                if let Some(r) = c.own_list(&format!("liste/listaAggiuntaUE/{name}"), l) {
                    if slot == 0 {
                        next.ue_comunali = Some(r)
                    } else {
                        next.ue_parlamento = Some(r)
                    }
                }
            }
            (Some(true), None) => c.err(
                Anomaly::new(Code::EN562, format!("flag a S senza {name}"))
                    .object("liste/listaAggiuntaUE")
                    .field(name),
            ),
            (_, Some(_)) => c.err(
                Anomaly::new(
                    Code::EN562,
                    format!("{name} indicata senza il relativo flag a S"),
                )
                .object("liste/listaAggiuntaUE")
                .field(name),
            ),
            _ => {}
        }
    }
}

fn comreg(c: &mut Check<'_>, next: &mut ElectorState, b: &ComRegBlock, subject: &SubjectFacts) {
    let set: Vec<ComReg> = [
        (b.bolzano, ComReg::Bolzano),
        (b.trento, ComReg::Trento),
        (b.aosta, ComReg::Aosta),
    ]
    .into_iter()
    .filter(|(f, _)| *f == Some(true))
    .map(|(_, k)| k)
    .collect();
    // R-E17: one flag at most.
    if set.len() > 1 {
        c.err(
            Anomaly::new(
                Code::EN562,
                "Indicare un solo flag a S per la lista aggiunta comunale/regionale",
            )
            .object("liste/listaAggiuntaComReg"),
        );
        return;
    }
    let Some(kind) = set.first().copied() else {
        if b.list.is_some() {
            c.err(
                Anomaly::new(Code::EN562, "listaBolTreVal indicata senza un flag a S")
                    .object("liste/listaAggiuntaComReg"),
            );
        }
        return;
    };
    let Some(l) = &b.list else {
        c.err(
            Anomaly::new(Code::EN562, "flag a S senza listaBolTreVal")
                .object("liste/listaAggiuntaComReg")
                .field("listaBolTreVal"),
        );
        return;
    };
    if let Some((_, held)) = &next.comreg {
        if held.comune != c.sender.istat {
            let held = held.clone();
            c.not_competent(
                "la lista aggiunta comunale/regionale",
                &held,
                "solo quel comune puo' modificarla o cancellarla (motivo 7)",
            );
            return;
        }
    }
    // R-E18: the list is held by the comune the subject left on moving into
    // the province/region of the list without the residence period: not the
    // comune of residence, which is in that province/region and holds (or
    // will hold) the general list.
    let what = format!("lista aggiunta {}", kind.key());
    let refuse = |c: &mut Check<'_>, msg: String| {
        c.err(
            Anomaly::new(Code::EN562, msg)
                .object("liste/listaAggiuntaComReg")
                .value(&c.sender.istat),
        )
    };
    match &subject.residence {
        Some(r) if *r == c.sender.istat => {
            return refuse(
                c,
                format!(
                    "la {what} e' tenuta dal comune di precedente residenza; il comune {} e' quello di residenza del soggetto e ne tiene la lista generale",
                    c.sender.istat
                ),
            )
        }
        Some(r) if c.world.comune_sigla(r).as_deref() != Some(kind.province()) => {
            let label = c.world.comune_label(r);
            return refuse(
                c,
                format!(
                    "la {what} riguarda chi risiede nella provincia {}: il soggetto risiede a {label}",
                    kind.province()
                ),
            );
        }
        None => {
            return refuse(
                c,
                format!(
                    "la {what} riguarda chi risiede nella provincia {}: il soggetto non vi ha residenza",
                    kind.province()
                ),
            )
        }
        Some(_) => {}
    }
    if let Some((g, _)) = &next.general {
        if g.comune == c.sender.istat {
            let g = g.clone();
            return refuse(
                c,
                format!(
                    "il comune {} tiene la lista generale del soggetto (sezione {}): la {what} si iscrive dopo averlo cancellato dalla lista generale per trasferimento, anche nello stesso messaggio (tipoMutazione 05 con 03)",
                    c.sender.istat, g.sezione
                ),
            );
        }
    }
    if let Some(r) = c.own_list("liste/listaAggiuntaComReg/listaBolTreVal", l) {
        next.comreg = Some((kind, r));
    }
}

fn certifiability(c: &mut Check<'_>, next: &mut ElectorState, v: &str, subject: &SubjectFacts) {
    let Some(value) = v
        .parse::<u8>()
        .ok()
        .filter(|v| ElectoralCertifiability::from_code(*v).is_some())
    else {
        c.err(
            Anomaly::new(Code::EC023, "")
                .object("certificabilita")
                .field("soggettoCertificabile")
                .value(v),
        );
        return;
    };
    // R-E21: certifiability belongs to the holder of the subject's general
    // list; without one, to the holder of another list; when no comune
    // holds a list, to the comune of residence.
    match next.main_list() {
        Some(held) if held.comune != c.sender.istat => {
            c.not_competent(
                "la certificabilita' elettorale (lista)",
                &held,
                "la certificabilita' e' di competenza del comune che tiene la lista",
            );
            return;
        }
        None => {
            if let Some(r) = subject.residence.as_ref().filter(|r| **r != c.sender.istat) {
                let label = c.world.comune_label(r);
                c.err(
                    Anomaly::new(
                        Code::EN204,
                        format!(
                            "la certificabilita' elettorale di un soggetto che non e' in alcuna lista e' di competenza del comune di residenza {label}"
                        ),
                    )
                    .object("certificabilita")
                    .field("soggettoCertificabile")
                    .value(r),
                );
                return;
            }
        }
        Some(_) => {}
    }
    next.certificabile = Some(value);
    next.cert_comune = Some(c.sender.istat.clone());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use time::macros::date;

    #[test]
    fn tipi_mutazione_keep_known_codes_as_a_set_and_unknown_ones_as_received() {
        let t = TipiMutazione::parse(["05", "01", "07", "05", "1"]);
        assert!(t.contains(TipoMutazione::Liste) && t.contains(TipoMutazione::Cancellazione));
        assert!(!t.contains(TipoMutazione::ListaUe));
        assert_eq!(t.unknown(), ["07", "1"]);
        for k in TipoMutazione::ALL {
            assert_eq!(TipoMutazione::from_code(k.code()), Some(k));
        }
    }

    struct W {
        sections: HashSet<(&'static str, &'static str)>,
        table: T,
    }
    struct T;
    impl ConstituencyTable for T {
        fn contains(&self, kind: ConstituencyKind, value: &str) -> bool {
            matches!(
                (kind, value),
                (ConstituencyKind::CircCamera, "LAZIO 1")
                    | (ConstituencyKind::CircSenato, "LAZIO")
                    | (ConstituencyKind::CircCamera, "TRENTINO")
                    | (ConstituencyKind::CircSenato, "TRENTINO")
            )
        }
    }
    impl World for W {
        fn section_exists(&self, istat: &str, numero: &str) -> bool {
            self.sections
                .iter()
                .any(|(i, n)| *i == istat && *n == numero)
        }
        fn constituencies(&self) -> &dyn ConstituencyTable {
            &self.table
        }
        fn comune_label(&self, istat: &str) -> String {
            match istat {
                "058091" => "ROMA (RM) 058091".into(),
                "021008" => "BOLZANO (BZ) 021008".into(),
                other => other.into(),
            }
        }
        fn comune_sigla(&self, istat: &str) -> Option<String> {
            Some(
                match istat {
                    "058091" => "RM",
                    "021008" => "BZ",
                    "015146" => "MI",
                    _ => return None,
                }
                .into(),
            )
        }
    }

    fn world() -> W {
        W {
            sections: HashSet::from([
                ("058091", "1"),
                ("058091", "2"),
                ("021008", "1"),
                ("015146", "1"),
            ]),
            table: T,
        }
    }

    fn sender(istat: &str) -> SenderComune {
        let (nome, sigla) = match istat {
            "058091" => ("ROMA", "RM"),
            "021008" => ("BOLZANO", "BZ"),
            _ => ("MILANO", "MI"),
        };
        SenderComune {
            istat: istat.into(),
            nome: nome.into(),
            sigla: sigla.into(),
        }
    }

    fn list(istat: &str, n: &str) -> ListReq {
        ListReq {
            comune: ComuneRef {
                nome: String::new(),
                istat: Some(istat.into()),
                sigla: String::new(),
            },
            sezione: n.into(),
        }
    }

    fn flags() -> Flags {
        Flags {
            referendum: true,
            membriue: true,
            senato: true,
            circ_senato: Some("LAZIO".into()),
            camera: true,
            circ_camera: Some("LAZIO 1".into()),
            regionali: true,
            comunali: true,
            circoscrizionali: false,
        }
    }

    fn enrol(istat: &str, n: &str) -> Mutation5010 {
        Mutation5010 {
            id_soggetto: "100".into(),
            tipi: TipiMutazione::parse(["01"]),
            liste: Some(ListeBlock {
                elettore: true,
                generale: Some(list(istat, n)),
                ue: None,
                comreg: None,
                flags: flags(),
            }),
            certificabile: None,
            cancellazione: None,
            primo_caricamento: false,
            decorrenza: date!(2025 - 01 - 10),
        }
    }

    fn cancel(motivo: u8) -> Mutation5010 {
        Mutation5010 {
            tipi: TipiMutazione::parse(["05"]),
            liste: None,
            cancellazione: Some(CancBlock {
                motivo,
                tipo_consultazione: None,
                data_cancellazione_lista: None,
            }),
            ..enrol("058091", "1")
        }
    }

    const ITALIAN: SubjectFacts = SubjectFacts {
        citizenship: Citizenship::Italian,
        cancelled_from_anpr: false,
        residence: None,
        aire: Aire::No,
    };
    const EU: SubjectFacts = SubjectFacts {
        citizenship: Citizenship::OtherEu,
        cancelled_from_anpr: false,
        residence: None,
        aire: Aire::No,
    };

    fn resident_in(istat: &str) -> SubjectFacts {
        SubjectFacts {
            residence: Some(istat.into()),
            ..ITALIAN
        }
    }

    fn run(
        from: &str,
        st: &ElectorState,
        m: &Mutation5010,
    ) -> Result<ElectorState, Vec<&'static str>> {
        run_as(from, &ITALIAN, st, m)
    }

    fn run_as(
        from: &str,
        subject: &SubjectFacts,
        st: &ElectorState,
        m: &Mutation5010,
    ) -> Result<ElectorState, Vec<&'static str>> {
        apply_5010(&sender(from), Some(subject), st, m, &world())
            .map_err(|e| e.iter().map(|a| a.code.wire()).collect())
    }

    fn messages(
        from: &str,
        subject: &SubjectFacts,
        st: &ElectorState,
        m: &Mutation5010,
    ) -> Vec<String> {
        apply_5010(&sender(from), Some(subject), st, m, &world())
            .unwrap_err()
            .into_iter()
            .map(|a| a.text)
            .collect()
    }

    fn enrolled_in_roma() -> ElectorState {
        run("058091", &ElectorState::default(), &enrol("058091", "1")).unwrap()
    }

    #[test]
    fn enrolment_in_own_existing_section() {
        let s = enrolled_in_roma();
        assert_eq!(
            s.general.as_ref().unwrap().0,
            ListRef {
                comune: "058091".into(),
                sezione: "1".into()
            }
        );
        assert_eq!(s.elettore, Some(true));
        assert_eq!(s.last_decorrenza, Some(date!(2025 - 01 - 10)));
        assert_eq!(
            run("058091", &ElectorState::default(), &enrol("058091", "9")).unwrap_err(),
            ["EN557"]
        );
        assert_eq!(
            run("058091", &ElectorState::default(), &enrol("015146", "1")).unwrap_err(),
            ["EN204"]
        );
    }

    #[test]
    fn unknown_subject_is_en185() {
        let e = apply_5010(
            &sender("058091"),
            None,
            &ElectorState::default(),
            &enrol("058091", "1"),
            &world(),
        )
        .unwrap_err();
        assert_eq!(e[0].code, Code::EN185);
    }

    #[test]
    fn only_named_blocks_are_acquired_and_named_blocks_must_exist() {
        // Certifiability sent without 04 is ignored (R-E1).
        let mut m = enrol("058091", "1");
        m.certificabile = Some(Some("2".into()));
        assert_eq!(
            run("058091", &ElectorState::default(), &m)
                .unwrap()
                .certificabile,
            None
        );
        // 04 without the block.
        let m = Mutation5010 {
            tipi: TipiMutazione::parse(["04"]),
            ..enrol("058091", "1")
        };
        assert_eq!(
            run("058091", &ElectorState::default(), &m).unwrap_err(),
            ["EN562"]
        );
        let m = Mutation5010 {
            tipi: TipiMutazione::parse(["07"]),
            ..enrol("058091", "1")
        };
        assert_eq!(
            run("058091", &ElectorState::default(), &m).unwrap_err(),
            ["EN562"]
        );
    }

    #[test]
    fn another_comune_may_enrol_only_a_cancellando() {
        let roma = enrolled_in_roma();
        let e = apply_5010(
            &sender("015146"),
            Some(&ITALIAN),
            &roma,
            &enrol("015146", "1"),
            &world(),
        )
        .unwrap_err();
        assert_eq!(e[0].code, Code::EN560);
        assert!(
            e[0].text.contains("ROMA (RM) 058091, sezione 1"),
            "{}",
            e[0].text
        );
        // Roma cancels for transfer (motive 1): Milano may enrol.
        let mut k = cancel(1);
        k.decorrenza = date!(2025 - 02 - 01);
        let cancelled = run("058091", &roma, &k).unwrap();
        assert!(cancelled.general.is_none());
        let mut m = enrol("015146", "1");
        m.decorrenza = date!(2025 - 02 - 02);
        let milano = run("015146", &cancelled, &m).unwrap();
        assert_eq!(milano.general.unwrap().0.comune, "015146");
        // After death (3) nobody may enrol.
        let dead = run(
            "058091",
            &roma,
            &Mutation5010 {
                decorrenza: date!(2025 - 02 - 01),
                ..cancel(3)
            },
        )
        .unwrap();
        assert_eq!(run("015146", &dead, &m).unwrap_err(), ["EN560"]);
    }

    #[test]
    fn non_elector_has_no_list_and_all_flags_n() {
        let mut m = enrol("058091", "1");
        m.liste.as_mut().unwrap().elettore = false;
        assert_eq!(
            run("058091", &ElectorState::default(), &m).unwrap_err(),
            ["EN562", "EN562"]
        );
        let l = m.liste.as_mut().unwrap();
        l.generale = None;
        l.flags = Flags::default();
        let s = run("058091", &ElectorState::default(), &m).unwrap();
        assert_eq!(s.elettore, Some(false));
        // Loss of capacity keeps the general list (R-E12) and still counts as enrolled (EN560).
        let lost = run("058091", &enrolled_in_roma(), &m).unwrap();
        assert!(lost.general.is_some());
        assert_eq!(
            run("015146", &lost, &enrol("015146", "1")).unwrap_err(),
            ["EN560"]
        );
    }

    #[test]
    fn circumscriptions_are_mandatory_and_exact() {
        let mut m = enrol("058091", "1");
        m.liste.as_mut().unwrap().flags.circ_camera = None;
        assert_eq!(
            run("058091", &ElectorState::default(), &m).unwrap_err(),
            ["EN562"]
        );
        m.liste.as_mut().unwrap().flags.circ_camera = Some("lazio 1".into());
        let e = apply_5010(
            &sender("058091"),
            Some(&ITALIAN),
            &ElectorState::default(),
            &m,
            &world(),
        )
        .unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("circoscrcameradeputati"));
        assert_eq!(e[0].value.as_deref(), Some("lazio 1"));
    }

    #[test]
    fn effective_date_cannot_go_back() {
        let mut m = enrol("058091", "2");
        m.decorrenza = date!(2025 - 01 - 09);
        assert_eq!(
            run("058091", &enrolled_in_roma(), &m).unwrap_err(),
            ["EN389"]
        );
    }

    fn eu_enrol(flag_com: bool) -> Mutation5010 {
        Mutation5010 {
            tipi: TipiMutazione::parse(["02"]),
            liste: Some(ListeBlock {
                elettore: true,
                generale: None,
                ue: Some(UeBlock {
                    comunali: Some(flag_com),
                    comunali_list: flag_com.then(|| list("058091", "1")),
                    parlamento: None,
                    parlamento_list: None,
                }),
                comreg: None,
                flags: flags(),
            }),
            ..enrol("058091", "1")
        }
    }

    #[test]
    fn eu_lists_for_eu_citizens_only_and_never_beside_the_general_list() {
        assert_eq!(
            run("058091", &ElectorState::default(), &eu_enrol(true)).unwrap_err(),
            ["EN565"]
        );
        let eu = apply_5010(
            &sender("058091"),
            Some(&EU),
            &ElectorState::default(),
            &eu_enrol(true),
            &world(),
        )
        .unwrap();
        assert_eq!(eu.ue_comunali.as_ref().unwrap().sezione, "1");
        // R-E14: general list refused while the EU list exists.
        let e = apply_5010(
            &sender("058091"),
            Some(&EU),
            &eu,
            &Mutation5010 {
                decorrenza: date!(2025 - 01 - 11),
                ..enrol("058091", "1")
            },
            &world(),
        )
        .unwrap_err();
        assert_eq!(e[0].code, Code::EN562);
        // Cancel the EU list (5) and enrol in the general list in one message.
        let mut both = enrol("058091", "1");
        both.tipi = TipiMutazione::parse(["05", "01"]);
        both.cancellazione = Some(CancBlock {
            motivo: 5,
            tipo_consultazione: None,
            data_cancellazione_lista: None,
        });
        both.decorrenza = date!(2025 - 01 - 11);
        let s = apply_5010(&sender("058091"), Some(&EU), &eu, &both, &world()).unwrap();
        assert!(s.ue_comunali.is_none() && s.general.is_some());
    }

    #[test]
    fn cancellation_motives_fit_their_lists() {
        let roma = enrolled_in_roma();
        let later = |mut m: Mutation5010| {
            m.decorrenza = date!(2025 - 03 - 01);
            m
        };
        assert_eq!(
            run("058091", &roma, &later(cancel(5))).unwrap_err(),
            ["EN204"],
            "no EU list"
        );
        assert_eq!(
            run("058091", &roma, &later(cancel(7))).unwrap_err(),
            ["EN204"],
            "no Bolzano list"
        );
        assert_eq!(
            run("058091", &ElectorState::default(), &later(cancel(9))).unwrap_err(),
            ["EN204"],
            "R-E11"
        );
        assert_eq!(
            run("015146", &roma, &later(cancel(1))).unwrap_err(),
            ["EN204"],
            "not the holder"
        );
        // 8 annuls: as if never enrolled.
        let annulled = run("058091", &roma, &later(cancel(8))).unwrap();
        assert!(annulled.general.is_none() && annulled.cancelled.is_none());
        // 2 (irreperibilita') frees the subject; elettore unchanged (R-E2).
        let gone = run("058091", &roma, &later(cancel(2))).unwrap();
        assert_eq!(gone.cancelled.as_ref().unwrap().motivo, 2);
        assert_eq!(gone.elettore, Some(true));
    }

    #[test]
    fn doppia_lista_needs_type_and_date() {
        let mut k = cancel(1);
        k.decorrenza = date!(2025 - 03 - 01);
        k.cancellazione.as_mut().unwrap().tipo_consultazione = Some(1);
        assert_eq!(
            run("058091", &enrolled_in_roma(), &k).unwrap_err(),
            ["EN562"]
        );
        k.cancellazione.as_mut().unwrap().data_cancellazione_lista = Some(date!(2025 - 06 - 08));
        let s = run("058091", &enrolled_in_roma(), &k).unwrap();
        assert_eq!(
            s.doppia,
            Some(Doppia {
                comune: "058091".into(),
                tipo: 1,
                data: date!(2025 - 06 - 08)
            })
        );
    }

    fn comreg_enrol(from: &str, b: Option<bool>, t: Option<bool>) -> Mutation5010 {
        Mutation5010 {
            tipi: TipiMutazione::parse(["03"]),
            liste: Some(ListeBlock {
                elettore: true,
                generale: None,
                ue: None,
                comreg: Some(ComRegBlock {
                    bolzano: b,
                    trento: t,
                    aosta: None,
                    list: Some(list(from, "1")),
                }),
                flags: flags(),
            }),
            ..enrol(from, "1")
        }
    }

    /// R-E17, R-E18: one flag; the list is held by the comune the subject
    /// left (italia/anpr#4012, #4340, #4010), for a subject now resident in
    /// the list's province, while the general list is held elsewhere; only
    /// the holder cancels it (7), which leaves the general list alone.
    #[test]
    fn bolzano_lists_are_held_by_the_former_comune() {
        let in_bolzano = resident_in("021008");
        assert_eq!(
            run_as(
                "058091",
                &in_bolzano,
                &ElectorState::default(),
                &comreg_enrol("058091", Some(true), Some(true))
            )
            .unwrap_err(),
            ["EN562"]
        );
        // The comune of residence does not hold it.
        let m = messages(
            "021008",
            &in_bolzano,
            &ElectorState::default(),
            &comreg_enrol("021008", Some(true), None),
        );
        assert!(m[0].contains("precedente residenza"), "{m:?}");
        // A subject resident outside the province has none.
        let m = messages(
            "058091",
            &resident_in("015146"),
            &ElectorState::default(),
            &comreg_enrol("058091", Some(true), None),
        );
        assert!(
            m[0].contains("provincia BZ") && m[0].contains("015146"),
            "{m:?}"
        );
        // Roma, still holding the general list, must cancel it first...
        let roma_general = run_as(
            "058091",
            &in_bolzano,
            &ElectorState::default(),
            &enrol("058091", "1"),
        )
        .unwrap();
        let mut m = comreg_enrol("058091", Some(true), None);
        m.decorrenza = date!(2025 - 01 - 11);
        let msgs = messages("058091", &in_bolzano, &roma_general, &m);
        assert!(msgs[0].contains("tiene la lista generale"), "{msgs:?}");
        // ...which it may do in the same message (05 motive 1, then 03).
        m.tipi = TipiMutazione::parse(["05", "03"]);
        m.cancellazione = Some(CancBlock {
            motivo: 1,
            tipo_consultazione: None,
            data_cancellazione_lista: None,
        });
        let bz = run_as("058091", &in_bolzano, &roma_general, &m).unwrap();
        assert_eq!(bz.comreg.as_ref().unwrap().0, ComReg::Bolzano);
        assert_eq!(bz.comreg.as_ref().unwrap().1.comune, "058091");
        assert!(bz.general.is_none());
        // Bolzano enrols the general list while Roma keeps the additional one.
        let mut g = enrol("021008", "1");
        g.decorrenza = date!(2025 - 01 - 12);
        g.liste.as_mut().unwrap().flags.circ_senato = None;
        g.liste.as_mut().unwrap().flags.circ_camera = None;
        g.liste.as_mut().unwrap().flags.senato = false;
        g.liste.as_mut().unwrap().flags.camera = false;
        let both = run_as("021008", &in_bolzano, &bz, &g).unwrap();
        assert!(both.general.is_some() && both.comreg.is_some());
        // Only Roma may cancel it (7), and the general list stays.
        let mut k = cancel(7);
        k.decorrenza = date!(2025 - 01 - 13);
        assert_eq!(
            run_as("021008", &in_bolzano, &both, &k).unwrap_err(),
            ["EN204"]
        );
        let after = run_as("058091", &in_bolzano, &both, &k).unwrap();
        assert!(after.comreg.is_none());
        assert_eq!(after.general, both.general);
    }

    /// R-E21: the holder of the general list sets certifiability; with no
    /// list, the comune of residence.
    #[test]
    fn certifiability_values_and_competence() {
        let mut m = enrol("058091", "1");
        m.tipi = TipiMutazione::parse(["01", "04"]);
        m.certificabile = Some(Some("2".into()));
        let s = run("058091", &ElectorState::default(), &m).unwrap();
        assert_eq!(s.certificabile, Some(2));
        m.certificabile = Some(Some("3".into()));
        assert_eq!(
            run("058091", &ElectorState::default(), &m).unwrap_err(),
            ["EC023"]
        );
        let only4 = Mutation5010 {
            tipi: TipiMutazione::parse(["04"]),
            liste: None,
            certificabile: Some(Some("1".into())),
            decorrenza: date!(2025 - 01 - 11),
            ..enrol("058091", "1")
        };
        // Another comune, even the one of residence, names the holder.
        let m = messages("015146", &resident_in("015146"), &s, &only4);
        assert!(m[0].contains("ROMA (RM) 058091"), "{m:?}");
        assert_eq!(run("058091", &s, &only4).unwrap().certificabile, Some(1));
        // No list anywhere: the comune of residence, and only it.
        let none = ElectorState::default();
        assert_eq!(
            run_as("015146", &resident_in("058091"), &none, &only4).unwrap_err(),
            ["EN204"]
        );
        assert_eq!(
            run_as("058091", &resident_in("058091"), &none, &only4)
                .unwrap()
                .certificabile,
            Some(1)
        );
    }

    /// R-E25: an AIRE elector votes in the foreign constituency: a national
    /// circumscription gets EN562 naming the expected partition, and a
    /// partition is refused for anyone else.
    #[test]
    fn aire_electors_carry_the_foreign_partition() {
        let aire_eu = SubjectFacts {
            aire: Aire::Yes(Some(Ripartizione::Europa)),
            ..ITALIAN
        };
        let national = enrol("058091", "1");
        let m = messages("058091", &aire_eu, &ElectorState::default(), &national);
        assert_eq!(m.len(), 2, "Senato and Camera: {m:?}");
        assert!(
            m.iter()
                .all(|t| t.contains("\"EUROPA\"") && t.contains("AIRE")),
            "{m:?}"
        );
        let mut foreign = enrol("058091", "1");
        let f = &mut foreign.liste.as_mut().unwrap().flags;
        f.circ_senato = Some("EUROPA".into());
        f.circ_camera = Some("EUROPA".into());
        assert!(run_as("058091", &aire_eu, &ElectorState::default(), &foreign).is_ok());
        // Another partition than the registry's.
        let aire_am = SubjectFacts {
            aire: Aire::Yes(Some(Ripartizione::AmericaMeridionale)),
            ..ITALIAN
        };
        let m = messages("058091", &aire_am, &ElectorState::default(), &foreign);
        assert!(m[0].contains("\"AMERICA MERIDIONALE\""), "{m:?}");
        // Partition not recorded: any of the four.
        let aire = SubjectFacts {
            aire: Aire::Yes(None),
            ..ITALIAN
        };
        assert!(run_as("058091", &aire, &ElectorState::default(), &foreign).is_ok());
        let m = messages("058091", &aire, &ElectorState::default(), &national);
        assert!(m[0].contains("EUROPA | AMERICA MERIDIONALE | AMERICA SETTENTRIONALE E CENTRALE | AFRICA, ASIA, OCEANIA E ANTARTIDE"), "{m:?}");
        // Not in AIRE: no partition.
        let m = messages("058091", &ITALIAN, &ElectorState::default(), &foreign);
        assert!(
            m[0].contains("solo per gli elettori iscritti all'AIRE"),
            "{m:?}"
        );
    }

    #[test]
    fn first_load_happens_once() {
        let mut m = enrol("058091", "1");
        m.primo_caricamento = true;
        let s = run("058091", &ElectorState::default(), &m).unwrap();
        assert_eq!(s.first_load.as_deref(), Some("058091"));
        // Roma cancels (transfer); Milano's first load of the same subject: EN556.
        let gone = run(
            "058091",
            &s,
            &Mutation5010 {
                decorrenza: date!(2025 - 02 - 01),
                ..cancel(1)
            },
        )
        .unwrap();
        let mut mi = enrol("015146", "1");
        mi.primo_caricamento = true;
        mi.decorrenza = date!(2025 - 02 - 02);
        let e = apply_5010(&sender("015146"), Some(&ITALIAN), &gone, &mi, &world()).unwrap_err();
        assert_eq!(e[0].code, Code::EN556);
        assert!(e[0].text.contains("ROMA (RM) 058091"));
    }

    #[test]
    fn subjects_cancelled_from_anpr_may_still_be_updated() {
        let dead = SubjectFacts {
            cancelled_from_anpr: true,
            ..ITALIAN
        };
        assert!(apply_5010(
            &sender("058091"),
            Some(&dead),
            &ElectorState::default(),
            &enrol("058091", "1"),
            &world()
        )
        .is_ok());
    }
}
