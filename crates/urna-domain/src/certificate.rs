//! 6001 `emissioneCertificato` for the two electoral certificates
//! (docs/anpr-interface.md §6001; rules R-C1…R-C9 in docs/rules.md): what the
//! request may ask, who the holder is, and which certificate, if any, the
//! holder's electoral state allows.
//!
//! Everything here is pure: the service layer finds the holder and reads
//! their state, these functions decide.

use time::Date;

use crate::catalogue::{Anomaly, Code};
use crate::elector::{Citizenship, ElectorState};

/// The electoral certificates of Tabella 13 (codes 21 and 22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateType {
    /// 21: "godimento dei diritti politici".
    GodimentoDirittiPolitici,
    /// 22: "iscrizione nelle liste elettorali".
    Iscrizione,
}

impl CertificateType {
    /// Both types, in code order.
    pub const ALL: [CertificateType; 2] = [
        CertificateType::GodimentoDirittiPolitici,
        CertificateType::Iscrizione,
    ];

    pub fn code(self) -> u8 {
        match self {
            CertificateType::GodimentoDirittiPolitici => 21,
            CertificateType::Iscrizione => 22,
        }
    }

    pub fn from_code(code: u8) -> Option<CertificateType> {
        match code {
            21 => Some(CertificateType::GodimentoDirittiPolitici),
            22 => Some(CertificateType::Iscrizione),
            _ => None,
        }
    }

    /// The certificate's Italian name, as ANPR's tables give it.
    pub fn name_it(self) -> &'static str {
        match self {
            CertificateType::GodimentoDirittiPolitici => "godimento dei diritti politici",
            CertificateType::Iscrizione => "iscrizione nelle liste elettorali",
        }
    }
}

/// The registry certificates of Tabella 13 (codes 1..20), which ANPR issues
/// and urna does not.
pub const REGISTRY_CERTIFICATES: [&str; 20] = [
    "anagrafico di nascita",
    "anagrafico di morte",
    "anagrafico di matrimonio",
    "di cancellazione anagrafica",
    "di cittadinanza",
    "storico di cittadinanza",
    "di esistenza in vita",
    "di residenza",
    "storico di residenza",
    "di residenza AIRE",
    "di stato civile",
    "di stato di famiglia",
    "di stato di famiglia e di stato civile",
    "di residenza in convivenza",
    "di stato di famiglia AIRE",
    "di stato di famiglia con rapporti di parentela",
    "di stato libero",
    "anagrafico di unione civile",
    "di contratto di convivenza",
    "storico di residenza alla data",
];

/// `emissione`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emission {
    /// 1: at the counter.
    Counter,
    /// 2: via Internet.
    Internet,
    /// 3: a preview (ANTEPRIMA): not stored, no contrassegno, no protocol.
    Preview,
}

/// `tipoFirmaElettorale`: who signs the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Signatory {
    /// 1: a person delegated by the mayor.
    Delegate,
    /// 2: the deputy mayor (pro tempore).
    DeputyMayor,
    /// 3, or absent: the mayor (pro tempore).
    #[default]
    Mayor,
}

impl Signatory {
    /// The signatory of a `tipoFirmaElettorale` value; `None` (absent) is the
    /// mayor; `Some` of anything but 1, 2, 3 is not a signatory.
    pub fn from_code(code: Option<u8>) -> Option<Signatory> {
        match code {
            Some(1) => Some(Signatory::Delegate),
            Some(2) => Some(Signatory::DeputyMayor),
            Some(3) | None => Some(Signatory::Mayor),
            Some(_) => None,
        }
    }

    pub const ALL: [Signatory; 3] = [
        Signatory::Delegate,
        Signatory::DeputyMayor,
        Signatory::Mayor,
    ];

    /// Who signs, for the decode table.
    pub fn description(self) -> &'static str {
        match self {
            Signatory::Delegate => "DELEGATO DEL SINDACO",
            Signatory::DeputyMayor => "VICE SINDACO",
            Signatory::Mayor => "SINDACO",
        }
    }

    /// The `tipoFirmaElettorale` code: 1, 2 or 3.
    pub fn code(self) -> u8 {
        match self {
            Signatory::Delegate => 1,
            Signatory::DeputyMayor => 2,
            Signatory::Mayor => 3,
        }
    }
}

/// Tabella 14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    It,
    De,
    Fr,
    Sl,
}

impl Language {
    pub const ALL: [Language; 4] = [Language::It, Language::De, Language::Fr, Language::Sl];

    /// The language's Italian name, for the decode table.
    pub fn name_it(self) -> &'static str {
        match self {
            Language::It => "ITALIANO",
            Language::De => "TEDESCO",
            Language::Fr => "FRANCESE",
            Language::Sl => "SLOVENO",
        }
    }

    pub fn from_code(code: &str) -> Option<Language> {
        match code.to_ascii_uppercase().as_str() {
            "IT" => Some(Language::It),
            "DE" => Some(Language::De),
            "FR" => Some(Language::Fr),
            "SL" => Some(Language::Sl),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::It => "IT",
            Language::De => "DE",
            Language::Fr => "FR",
            Language::Sl => "SL",
        }
    }

    /// The second language of the comuni of a province, where one is
    /// official: German in Bolzano, French in Valle d'Aosta, Slovenian in
    /// the provinces of Trieste, Gorizia and Udine (for the comuni whose
    /// archive row carries a second name).
    pub fn of_province(sigla: &str) -> Option<Language> {
        match sigla {
            "BZ" => Some(Language::De),
            "AO" => Some(Language::Fr),
            "TS" | "GO" | "UD" => Some(Language::Sl),
            _ => None,
        }
    }
}

/// `td:tipoGeneralita` as far as urna uses it to find and check a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generalita {
    pub codice_fiscale: Option<String>,
    pub cognome: Option<String>,
    pub nome: Option<String>,
    pub sesso: Option<String>,
    pub data_nascita: Option<Date>,
    pub id_anpr: Option<String>,
}

/// `generalitaRichiedente`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requester {
    pub generalita: Generalita,
    /// `docRiconoscimento`: the document's reference and its issue date.
    pub document: Option<(String, Option<Date>)>,
}

/// `datiControllo` (`tipoDatiControllo6001`), digits read as numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    pub officer_cognome: String,
    pub officer_nome: String,
    pub tipo_richiedente: Option<u8>,
    pub tipo_richiesta: Option<u8>,
    pub pa_estera: Option<u8>,
    pub emissione: Option<u8>,
    pub bollo: Option<u32>,
    pub esenzione_diritti: Option<u8>,
    pub diritti: Option<u32>,
    pub esenzione_bollo: Option<u8>,
    pub descrizione_esenzione_bollo: Option<String>,
    pub annotazioni: Vec<String>,
    pub tipo_firma_elettorale: Option<u8>,
}

/// A 6001 request, as the rules see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request6001 {
    /// `listaTipiCertificati/tipoCertificato`, as received.
    pub types: Vec<String>,
    /// `linguaCertificato/tipoLinguaCertificato`, as received.
    pub languages: Vec<String>,
    pub requester: Option<Requester>,
    pub holder: Generalita,
    pub control: Control,
}

/// `esenzioneBollo` for "USO ELETTORALE O REFERENDARIO" (docs/decisions.md).
pub const ESENZIONE_USO_ELETTORALE: u8 = 11;

/// Tabella 39, the stamp-duty exemptions, with urna's code 11 for the
/// electoral use (the only one 21 and 22 accept).
pub const ESENZIONI_BOLLO: [(u8, &str); 13] = [
    (0, "NON ESENTE"),
    (1, "ONLUS"),
    (2, "SOCIETA' SPORTIVE"),
    (3, "PROCEDIMENTI GIUDIZIARI"),
    (4, "CONSULENTE TECNICO D'UFFICIO O CURATORE FALLIMENTARE"),
    (
        5,
        "PROCEDIMENTI DI INTERDIZIONE, INABILITAZIONE O AMMINISTRAZIONE DI SOSTEGNO",
    ),
    (6, "ADOZIONE, AFFIDAMENTO O TUTELA DI MINORI"),
    (7, "SEPARAZIONE O DIVORZIO"),
    (8, "VARIAZIONE DELLA TOPONOMASTICA"),
    (9, "PENSIONE ESTERA"),
    (10, "SCAMBIO TRA PUBBLICHE AMMINISTRAZIONI"),
    (ESENZIONE_USO_ELETTORALE, USO_ELETTORALE),
    (99, "ALTRO (DESCRIZIONE OBBLIGATORIA)"),
];
/// The exemption's text, printed on the certificate.
pub const USO_ELETTORALE: &str = "USO ELETTORALE O REFERENDARIO";

/// What the request asks, once its own rules hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub kind: CertificateType,
    pub emission: Emission,
    pub signatory: Signatory,
    /// The languages the request names besides Italian (empty: decided by
    /// the comune of the list).
    pub languages: Vec<Language>,
}

/// R-C1…R-C5: the rules on the request alone. `today` bounds the requester's
/// document date.
pub fn check_request(r: &Request6001, today: Date) -> Result<Asked, Vec<Anomaly>> {
    let mut errors = Vec::new();
    // R-C1: only 21 and 22, one at a time.
    let mut kinds = Vec::new();
    for code in &r.types {
        let n: u8 = code.trim().parse().unwrap_or(0);
        match CertificateType::from_code(n) {
            Some(k) => kinds.push(k),
            None if (1..=20).contains(&n) => errors.push(
                Anomaly::new(
                    Code::EN174,
                    format!(
                        "urna rilascia solo i certificati elettorali 21 e 22; il certificato {n} ({}) e' rilasciato da ANPR",
                        REGISTRY_CERTIFICATES[usize::from(n) - 1]
                    ),
                )
                .field("tipoCertificato")
                .value(code),
            ),
            None => errors.push(
                Anomaly::new(Code::EC070, format!("codice {code} (ammessi 1..22)"))
                    .field("tipoCertificato")
                    .value(code),
            ),
        }
    }
    if errors.is_empty() && kinds.len() > 1 {
        errors.push(
            Anomaly::new(
                Code::EN153,
                "i certificati elettorali si richiedono uno per volta: un solo tipoCertificato",
            )
            .field("listaTipiCertificati"),
        );
    }
    // R-C2: the electoral exemption from stamp duty.
    let c = &r.control;
    if c.esenzione_bollo != Some(ESENZIONE_USO_ELETTORALE) {
        errors.push(
            Anomaly::new(
                Code::EN174,
                format!("per i certificati elettorali e' necessario usare {USO_ELETTORALE} come Esenzione Bollo (esenzioneBollo {ESENZIONE_USO_ELETTORALE})"),
            )
            .field("esenzioneBollo")
            .value(c.esenzione_bollo.map(|e| e.to_string()).unwrap_or_default()),
        );
    }
    let description = c.descrizione_esenzione_bollo.as_deref().unwrap_or("");
    if c.esenzione_bollo == Some(99) && description.trim().is_empty() {
        errors.push(
            Anomaly::new(
                Code::EN281,
                "esenzioneBollo 99 richiede descrizioneEsenzioneBollo",
            )
            .field("descrizioneEsenzioneBollo"),
        );
    }
    if description.chars().count() > 256 {
        errors.push(
            Anomaly::new(Code::EN282, "al massimo 256 caratteri")
                .field("descrizioneEsenzioneBollo"),
        );
    }
    // R-C3: fees.
    if let Some(e) = c.esenzione_diritti {
        if e > 1 {
            errors.push(
                Anomaly::new(Code::EN283, "valori ammessi 0, 1")
                    .field("esenzioneDiritti")
                    .value(e.to_string()),
            );
        }
    }
    // R-C4: who asks, and their document.
    match c.tipo_richiedente {
        Some(1) if r.requester.is_none() => errors.push(
            Anomaly::new(
                Code::ES115,
                "tipoRichiedente 1 (richiedente diverso dall'intestatario) richiede generalitaRichiedente",
            )
            .field("generalitaRichiedente"),
        ),
        Some(1) | Some(2) => {}
        Some(3) => match r.requester.as_ref().and_then(|q| q.document.as_ref()) {
            None => errors.push(
                Anomaly::new(
                    Code::EN391,
                    "tipoRichiedente 3 richiede il documento di riconoscimento del richiedente",
                )
                .field("generalitaRichiedente/docRiconoscimento"),
            ),
            Some((_, Some(issued))) if *issued > today => errors.push(
                Anomaly::new(
                    Code::EN286,
                    format!("data di rilascio {issued} successiva alla data odierna"),
                )
                .field("docRiconoscimento/dataRilascio")
                .value(issued.to_string()),
            ),
            Some(_) => {}
        },
        other => errors.push(
            Anomaly::new(Code::ES114, "valori ammessi 1, 2, 3")
                .field("tipoRichiedente")
                .value(other.map(|v| v.to_string()).unwrap_or_default()),
        ),
    }
    // R-C5: what is issued, how, signed by whom, in which languages.
    if c.tipo_richiesta != Some(1) {
        errors.push(
            Anomaly::new(
                Code::EN174,
                "i certificati elettorali si rilasciano solo come certificato (tipoRichiesta 1)",
            )
            .field("tipoRichiesta")
            .value(c.tipo_richiesta.map(|v| v.to_string()).unwrap_or_default()),
        );
    }
    let emission = match c.emissione {
        Some(1) => Some(Emission::Counter),
        Some(2) => Some(Emission::Internet),
        Some(3) => Some(Emission::Preview),
        other => {
            errors.push(
                Anomaly::new(Code::EN148, "emissione: valori ammessi 1, 2, 3")
                    .field("emissione")
                    .value(other.map(|v| v.to_string()).unwrap_or_default()),
            );
            None
        }
    };
    let signatory = Signatory::from_code(c.tipo_firma_elettorale);
    if let (None, Some(other)) = (signatory, c.tipo_firma_elettorale) {
        errors.push(
            Anomaly::new(Code::EN148, "tipoFirmaElettorale: valori ammessi 1, 2, 3")
                .field("tipoFirmaElettorale")
                .value(other.to_string()),
        );
    }
    let mut languages = Vec::new();
    for code in &r.languages {
        match Language::from_code(code) {
            Some(Language::It) => {}
            Some(l) if !languages.contains(&l) => languages.push(l),
            Some(_) => {}
            None => errors.push(
                Anomaly::new(
                    Code::EN148,
                    "tipoLinguaCertificato: valori ammessi IT, DE, FR, SL",
                )
                .field("tipoLinguaCertificato")
                .value(code),
            ),
        }
    }
    if languages.len() > 1 {
        errors.push(
            Anomaly::new(
                Code::EN148,
                "un certificato e' in italiano o bilingue: al massimo una lingua oltre IT",
            )
            .field("linguaCertificato"),
        );
    }
    match (errors.is_empty(), kinds.first(), emission, signatory) {
        (true, Some(&kind), Some(emission), Some(signatory)) => Ok(Asked {
            kind,
            emission,
            signatory,
            languages,
        }),
        _ => Err(errors),
    }
}

/// What the registry knows of the holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub id_anpr: String,
    pub codice_fiscale: String,
    pub cognome: String,
    pub nome: String,
    pub sesso: String,
    pub data_nascita: Option<Date>,
    pub citizenship: Citizenship,
    pub cancelled_from_anpr: bool,
}

/// How the search keys found the holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    None,
    One(Box<Holder>),
    Many(usize),
}

/// R-C6: the holder named by the search keys, whose other given data match
/// the registry (EN042, EN043, EN068…EN075).
pub fn identify(given: &Generalita, found: Found, today: Date) -> Result<Holder, Vec<Anomaly>> {
    let holder = match found {
        Found::None => {
            return Err(vec![Anomaly::new(
                Code::EN042,
                format!("nessun soggetto corrisponde ai dati dell'intestatario alla data {today}"),
            )
            .object("soggettoIntestatario")])
        }
        Found::Many(n) => {
            return Err(vec![Anomaly::new(
                Code::EN043,
                format!("{n} soggetti corrispondono ai dati dell'intestatario: indicare il codice fiscale o idSchedaSoggettoANPR"),
            )
            .object("soggettoIntestatario")])
        }
        Found::One(h) => *h,
    };
    let same = |given: &Option<String>, known: &str| {
        given
            .as_deref()
            .is_none_or(|g| g.trim().eq_ignore_ascii_case(known.trim()))
    };
    let mut errors = Vec::new();
    let mut mismatch = |code: Code, field: &str, given: String, known: &str| {
        errors.push(
            Anomaly::new(
                code,
                format!("{field} {given} diverso da quello in ANPR ({known})"),
            )
            .object("soggettoIntestatario/generalita")
            .field(field)
            .value(given),
        );
    };
    if !same(&given.nome, &holder.nome) {
        mismatch(
            Code::EN068,
            "nome",
            given.nome.clone().unwrap_or_default(),
            &holder.nome,
        );
    }
    if !same(&given.cognome, &holder.cognome) {
        mismatch(
            Code::EN069,
            "cognome",
            given.cognome.clone().unwrap_or_default(),
            &holder.cognome,
        );
    }
    if !same(&given.codice_fiscale, &holder.codice_fiscale) {
        mismatch(
            Code::EN070,
            "codFiscale",
            given.codice_fiscale.clone().unwrap_or_default(),
            &holder.codice_fiscale,
        );
    }
    if let (Some(g), Some(k)) = (given.data_nascita, holder.data_nascita) {
        if g != k {
            mismatch(Code::EN071, "dataNascita", g.to_string(), &k.to_string());
        }
    }
    if !same(&given.sesso, &holder.sesso) {
        mismatch(
            Code::EN075,
            "sesso",
            given.sesso.clone().unwrap_or_default(),
            &holder.sesso,
        );
    }
    if errors.is_empty() {
        Ok(holder)
    } else {
        Err(errors)
    }
}

/// Which lists a certificate of type 22 states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStated {
    Generale,
    AggiuntaUeComunali,
    AggiuntaUeParlamento,
}

/// What the certificate certifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certified {
    pub kind: CertificateType,
    /// The comune whose list holds the holder, and the section number.
    pub comune: String,
    pub sezione: String,
    pub lists: Vec<ListStated>,
}

/// R-C7…R-C9: whether the holder's electoral state allows the certificate.
pub fn certify(
    kind: CertificateType,
    holder: &Holder,
    state: &ElectorState,
) -> Result<Certified, Vec<Anomaly>> {
    let refuse = |code: Code, text: String| Err(vec![Anomaly::new(code, text)]);
    if holder.cancelled_from_anpr {
        return refuse(
            Code::EN229,
            "il soggetto risulta cancellato dall'ANPR".to_string(),
        );
    }
    if state.elettore != Some(true) {
        return refuse(
            Code::EN047,
            "non elettore: per il soggetto non si rilasciano certificati elettorali".to_string(),
        );
    }
    match (state.certificabile, kind) {
        (Some(0), _) => {
            return refuse(
                Code::EN047,
                "non certificabile: il certificato non puo' essere emesso".to_string(),
            )
        }
        (Some(1), CertificateType::Iscrizione) => {
            return refuse(
                Code::EN047,
                "certificabile parzialmente: puo' essere emesso solo il certificato 21 (godimento dei diritti politici)".to_string(),
            )
        }
        _ => {}
    }
    let mut lists = Vec::new();
    let mut place = None;
    if let Some((l, _)) = &state.general {
        lists.push(ListStated::Generale);
        place = Some(l.clone());
    }
    if holder.citizenship == Citizenship::OtherEu {
        if let Some(l) = &state.ue_comunali {
            lists.push(ListStated::AggiuntaUeComunali);
            place = place.or(Some(l.clone()));
        }
        if let Some(l) = &state.ue_parlamento {
            lists.push(ListStated::AggiuntaUeParlamento);
            place = place.or(Some(l.clone()));
        }
    }
    let Some(place) = place else {
        return refuse(
            Code::EN047,
            "non iscritto nella lista generale ne' nelle liste aggiunte UE: il certificato elettorale non puo' essere emesso".to_string(),
        );
    };
    if kind == CertificateType::GodimentoDirittiPolitici {
        lists.clear();
    }
    Ok(Certified {
        kind,
        comune: place.comune,
        sezione: place.sezione,
        lists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elector::ListRef;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 01 - 10);

    fn request() -> Request6001 {
        Request6001 {
            types: vec!["22".into()],
            languages: vec![],
            requester: None,
            holder: Generalita {
                codice_fiscale: Some("RSSMRA80A01H501U".into()),
                ..Generalita::default()
            },
            control: Control {
                officer_cognome: "BIANCHI".into(),
                officer_nome: "LAURA".into(),
                tipo_richiedente: Some(2),
                tipo_richiesta: Some(1),
                pa_estera: Some(0),
                emissione: Some(1),
                bollo: Some(0),
                esenzione_diritti: Some(1),
                diritti: Some(0),
                esenzione_bollo: Some(ESENZIONE_USO_ELETTORALE),
                ..Control::default()
            },
        }
    }

    fn codes(r: &Request6001) -> Vec<&'static str> {
        match check_request(r, TODAY) {
            Ok(_) => vec![],
            Err(e) => e.iter().map(|a| a.code.wire()).collect(),
        }
    }

    #[test]
    fn a_good_request_asks_for_one_certificate() {
        let a = check_request(&request(), TODAY).unwrap();
        assert_eq!(a.kind, CertificateType::Iscrizione);
        assert_eq!(a.emission, Emission::Counter);
        assert_eq!(a.signatory, Signatory::Mayor);
        assert!(a.languages.is_empty());
    }

    #[test]
    fn only_electoral_certificates_one_at_a_time() {
        let mut r = request();
        r.types = vec!["8".into()];
        let e = check_request(&r, TODAY).unwrap_err();
        assert_eq!(e[0].code, Code::EN174);
        assert!(e[0].text.contains("di residenza"), "{}", e[0].text);
        r.types = vec!["23".into()];
        assert_eq!(codes(&r), ["EC070"]);
        r.types = vec!["0".into()];
        assert_eq!(codes(&r), ["EC070"]);
        r.types = vec!["21".into(), "22".into()];
        assert_eq!(codes(&r), ["EN153"]);
    }

    #[test]
    fn the_electoral_stamp_exemption_is_required() {
        let mut r = request();
        r.control.esenzione_bollo = None;
        assert_eq!(codes(&r), ["EN174"]);
        r.control.esenzione_bollo = Some(99);
        assert_eq!(codes(&r), ["EN174", "EN281"]);
        r.control.descrizione_esenzione_bollo = Some("x".repeat(257));
        assert_eq!(codes(&r), ["EN174", "EN282"]);
    }

    #[test]
    fn fees_exemption_is_zero_or_one() {
        let mut r = request();
        r.control.esenzione_diritti = Some(2);
        assert_eq!(codes(&r), ["EN283"]);
    }

    #[test]
    fn requester_rules() {
        let mut r = request();
        r.control.tipo_richiedente = Some(1);
        assert_eq!(codes(&r), ["ES115"]);
        r.control.tipo_richiedente = Some(4);
        assert_eq!(codes(&r), ["ES114"]);
        r.control.tipo_richiedente = Some(3);
        assert_eq!(codes(&r), ["EN391"]);
        r.requester = Some(Requester {
            generalita: Generalita::default(),
            document: Some(("CA12345AB".into(), Some(date!(2025 - 02 - 01)))),
        });
        assert_eq!(codes(&r), ["EN286"]);
        r.requester.as_mut().unwrap().document = Some(("CA12345AB".into(), Some(TODAY)));
        assert!(codes(&r).is_empty());
    }

    #[test]
    fn issue_mode_signatory_and_languages() {
        let mut r = request();
        r.control.tipo_richiesta = Some(2);
        assert_eq!(codes(&r), ["EN174"]);
        let mut r = request();
        r.control.emissione = Some(3);
        assert_eq!(
            check_request(&r, TODAY).unwrap().emission,
            Emission::Preview
        );
        r.control.emissione = Some(4);
        assert_eq!(codes(&r), ["EN148"]);
        let mut r = request();
        for (v, s) in [
            (1, Signatory::Delegate),
            (2, Signatory::DeputyMayor),
            (3, Signatory::Mayor),
        ] {
            r.control.tipo_firma_elettorale = Some(v);
            assert_eq!(check_request(&r, TODAY).unwrap().signatory, s);
        }
        r.control.tipo_firma_elettorale = Some(5);
        assert_eq!(codes(&r), ["EN148"]);
        let mut r = request();
        r.languages = vec!["it".into(), "DE".into()];
        assert_eq!(check_request(&r, TODAY).unwrap().languages, [Language::De]);
        r.languages = vec!["DE".into(), "FR".into()];
        assert_eq!(codes(&r), ["EN148"]);
        r.languages = vec!["EN".into()];
        assert_eq!(codes(&r), ["EN148"]);
    }

    fn holder() -> Holder {
        Holder {
            id_anpr: "1001".into(),
            codice_fiscale: "RSSMRA80A01H501U".into(),
            cognome: "ROSSI".into(),
            nome: "MARIO".into(),
            sesso: "M".into(),
            data_nascita: Some(date!(1980 - 01 - 01)),
            citizenship: Citizenship::Italian,
            cancelled_from_anpr: false,
        }
    }

    #[test]
    fn the_holder_is_one_subject_whose_data_match() {
        let given = Generalita {
            codice_fiscale: Some("rssmra80a01h501u".into()),
            cognome: Some("Rossi".into()),
            ..Generalita::default()
        };
        assert!(identify(&given, Found::One(Box::new(holder())), TODAY).is_ok());
        let e = identify(&given, Found::None, TODAY).unwrap_err();
        assert_eq!(e[0].code, Code::EN042);
        let e = identify(&given, Found::Many(2), TODAY).unwrap_err();
        assert_eq!(e[0].code, Code::EN043);
        let wrong = Generalita {
            nome: Some("LUIGI".into()),
            cognome: Some("VERDI".into()),
            codice_fiscale: Some("VRDLGU80A01H501X".into()),
            data_nascita: Some(date!(1981 - 01 - 01)),
            sesso: Some("F".into()),
            id_anpr: None,
        };
        let e = identify(&wrong, Found::One(Box::new(holder())), TODAY).unwrap_err();
        let codes: Vec<_> = e.iter().map(|a| a.code.wire()).collect();
        assert_eq!(codes, ["EN068", "EN069", "EN070", "EN071", "EN075"]);
    }

    fn elector() -> ElectorState {
        ElectorState {
            elettore: Some(true),
            general: Some((
                ListRef {
                    comune: "058091".into(),
                    sezione: "7".into(),
                },
                date!(2024 - 01 - 01),
            )),
            certificabile: Some(2),
            ..ElectorState::default()
        }
    }

    #[test]
    fn the_electoral_state_decides() {
        let c = certify(CertificateType::Iscrizione, &holder(), &elector()).unwrap();
        assert_eq!((c.comune.as_str(), c.sezione.as_str()), ("058091", "7"));
        assert_eq!(c.lists, [ListStated::Generale]);
        let c = certify(
            CertificateType::GodimentoDirittiPolitici,
            &holder(),
            &elector(),
        )
        .unwrap();
        assert!(c.lists.is_empty());
        let mut gone = holder();
        gone.cancelled_from_anpr = true;
        let e = certify(CertificateType::Iscrizione, &gone, &elector()).unwrap_err();
        assert_eq!(e[0].code, Code::EN229);
        let mut s = elector();
        s.elettore = Some(false);
        let e = certify(CertificateType::Iscrizione, &holder(), &s).unwrap_err();
        assert!(e[0].text.contains("non elettore"), "{}", e[0].text);
        let mut s = elector();
        s.certificabile = Some(0);
        let e = certify(CertificateType::GodimentoDirittiPolitici, &holder(), &s).unwrap_err();
        assert!(e[0].text.contains("non certificabile"), "{}", e[0].text);
        s.certificabile = Some(1);
        let e = certify(CertificateType::Iscrizione, &holder(), &s).unwrap_err();
        assert_eq!(e[0].code, Code::EN047);
        assert!(
            e[0].text.contains("solo il certificato 21"),
            "{}",
            e[0].text
        );
        assert!(certify(CertificateType::GodimentoDirittiPolitici, &holder(), &s).is_ok());
        let mut s = elector();
        s.general = None;
        let e = certify(CertificateType::Iscrizione, &holder(), &s).unwrap_err();
        assert!(e[0].text.contains("lista generale"), "{}", e[0].text);
    }

    #[test]
    fn eu_citizens_are_certified_by_their_additional_lists() {
        let mut eu = holder();
        eu.citizenship = Citizenship::OtherEu;
        let mut s = elector();
        s.general = None;
        s.ue_comunali = Some(ListRef {
            comune: "058091".into(),
            sezione: "3".into(),
        });
        let c = certify(CertificateType::Iscrizione, &eu, &s).unwrap();
        assert_eq!(c.lists, [ListStated::AggiuntaUeComunali]);
        assert_eq!(c.sezione, "3");
        // An Italian citizen's EU list entry certifies nothing.
        assert!(certify(CertificateType::Iscrizione, &holder(), &s).is_err());
    }

    #[test]
    fn languages_of_provinces() {
        assert_eq!(Language::of_province("BZ"), Some(Language::De));
        assert_eq!(Language::of_province("AO"), Some(Language::Fr));
        assert_eq!(Language::of_province("TS"), Some(Language::Sl));
        assert_eq!(Language::of_province("RM"), None);
    }
}
