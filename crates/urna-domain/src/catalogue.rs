//! The catalogue of every code urna emits: one definition per code, with the
//! severity and Italian wire text ANPR uses and an English explanation and remedy
//! for integrators. `docs/errors.md` is rendered from [`CATALOGUE`] (a test keeps
//! the file in step with this table).

use std::fmt;

/// `tipoErroreAnomalia`: `E` blocks the operation, `W` is a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn wire(self) -> &'static str {
        match self {
            Severity::Error => "E",
            Severity::Warning => "W",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident => $wire:literal, $sev:ident, $title:literal, $explanation:literal, $remedy:literal; )*) => {
        /// An error or warning code from ANPR's table of errors.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[allow(clippy::upper_case_acronyms)]
        pub enum Code { $( $variant, )* }

        /// Every code urna emits, in catalogue order.
        pub static CATALOGUE: &[Entry] = &[
            $( Entry {
                code: Code::$variant,
                wire: $wire,
                severity: Severity::$sev,
                title_it: $title,
                explanation: $explanation,
                remedy: $remedy,
            }, )*
        ];

        impl Code {
            /// The code as it travels in `codiceErroreAnomalia`.
            pub fn wire(self) -> &'static str {
                match self { $( Code::$variant => $wire, )* }
            }
        }
    };
}

/// One catalogue entry.
#[derive(Debug)]
pub struct Entry {
    pub code: Code,
    pub wire: &'static str,
    pub severity: Severity,
    /// Short Italian description, the start of the wire text.
    pub title_it: &'static str,
    pub explanation: &'static str,
    pub remedy: &'static str,
}

codes! {
    EN527 => "EN527", Error,
        "Informazioni sull'operazione da fornire in caso di assistenza",
        "Diagnostic entry appended to every KO: the server date and the idOperazioneANPR of the refused operation.",
        "Quote the date and idOperazioneANPR when asking for support; they identify the operation in urna's log.";
    EN562 => "EN562", Error,
        "Dati elettorali non congruenti",
        "Electoral consistency error: a circumscription or college value not in the reference table (exact, case-sensitive match), a missing section number, or a 2012 deletion of a section still referenced by electors.",
        "Read the field and value in the error; use the exact spelling of the constituency table loaded for the comune, or move the electors to another section before deleting this one.";
    EN378 => "EN378", Error,
        "Il comune del seggio deve coincidere con il comune competente",
        "The polling station address (sezioneelettoraleind/comune) lies in a comune other than the one sending the request.",
        "Send the address of a polling station inside the comune, with its ISTAT code, or fix codMittente.";
    EN557 => "EN557", Error,
        "Sezione elettorale inesistente",
        "The section named by comune + sezioneelettoralenum (exact string match) does not exist.",
        "Create the section with 5011 first, or send the section number exactly as it was created (\"1\" and \"01\" are different sections).";
    EN130 => "EN130", Error,
        "Nessun soggetto trovato",
        "3002: no subject of the registry matches all the search criteria given (the key, and every other criterion sent with it).",
        "Check the criteria; send fewer of them (the codice fiscale alone finds a subject).";
    EN189 => "EN189", Error,
        "Tabella di decodifica inesistente",
        "7001: urna has no decode table with the idTabella asked. The text lists the numbers it serves (docs/tables.md).",
        "Ask one of the numbers listed: 013, 014, 039, 901..906.";
    EHR14 => "EHR14", Error,
        "Valore non previsto per elettore alla data di riferimento",
        "4001: elettoreAllaDataRiferimento is anything but S (the only selection ANPR allows: electors at the reference date).",
        "Send S, or leave the element out to extract non-electors too.";
    EHR28 => "EHR28", Error,
        "Eta' minima maggiore dell'eta' massima",
        "4001: etaMinimaAllaDataRiferimento is above etaMassimaAllaDataRiferimento.",
        "Send a minimum age not above the maximum.";
    EHR29 => "EHR29", Error,
        "Data di riferimento non valida",
        "4001: dataRiferimento is later than the server's date (urna's reading of ANPR's date rule for the extraction).",
        "Send today's date or an earlier one.";
    EHR30 => "EHR30", Error,
        "Data di riferimento obbligatoria",
        "4001: an age selection (etaMinima/etaMassimaAllaDataRiferimento) without dataRiferimento.",
        "Send dataRiferimento with the age selection.";
    EN122 => "EN122", Error,
        "La richiesta effettuata non produce alcun risultato",
        "A consultation (3008) matched nothing: no such section, or the comune has no sections.",
        "Check the section number (exact string) or create sections with 5011.";
    EN204 => "EN204", Error,
        "Operazione non consentita: comune non competente",
        "The request concerns data another comune holds: its sections, a list or the certifiability of a subject it keeps, or a cancellation motive that fits no list of the subject (R-E9, R-E11). The text names the holder.",
        "Send requests for the comune's own sections and lists; ask the holder named in the text to cancel first, or use the motive that fits the list (1-4/8/9 general, 5/6 EU, 7 Bolzano/Trento/Aosta).";
    EN079 => "EN079", Error,
        "idOperazioneComune gia' utilizzato per un servizio diverso",
        "The idOperazioneComune was already used by this comune for another operation code.",
        "Use a new idOperazioneComune for every new operation; reuse one only to retry exactly the same request.";
    EN148 => "EN148", Error,
        "Controllo non superato",
        "A generic check failed: wrong tipoInvio for this environment, wrong codDestinatario version, an invalid 3008 tipoRichiesta, a 3002 without enough search criteria, or an idOperazioneComune reused with different content.",
        "Read the text: it names the field, the value received and the values accepted.";
    EHR97 => "EHR97", Error,
        "Data decorrenza obbligatoria per i servizi di registrazione",
        "testataRichiesta/dataDecorrenza is optional in the XSD but required by 5010 and 5011.",
        "Send dataDecorrenza (the effective date of the change) in the request header.";
    EHR18 => "EHR18", Error,
        "Data decorrenza successiva alla data odierna",
        "The effective date (dataDecorrenza) is in the future.",
        "Send the change on or after its effective date.";
    EHR19 => "EHR19", Error,
        "Data protocollo successiva alla data odierna",
        "dataProtocolloComune is in the future.",
        "Send the protocol date as registered by the comune, not later than today.";
    EHR09 => "EHR09", Error,
        "Data richiesta errata o incompatibile con la data di sistema",
        "dataOraRichiesta is further from the server clock than the configured tolerance.",
        "Synchronise the workstation clock (NTP) and send the current time.";
    EHR26 => "EHR26", Error,
        "Tipo operazione non ammesso",
        "tipoOperazione must be C (citizen request), V (correction) or R (rectification).",
        "Send one of C, V, R.";
    SP000 => "SP000", Error,
        "Tipo operazione non ammesso per il servizio",
        "operazioneRichiesta does not match the request element (e.g. 5011 inside Richiesta5010).",
        "Send operazioneRichiesta equal to the number in the root element name.";
    EC090 => "EC090", Error,
        "Comune inesistente o non valido alla data odierna",
        "codMittente is not the ISTAT code of a comune that is active today in urna's municipalities table.",
        "Send the 6-digit ISTAT code of an active comune; an operator loads the current table with `urna tables import-comuni`.";
    ES023 => "ES023", Error,
        "Specie fonte obbligatoria in presenza del codice specie",
        "toponimo/codSpecie was sent without toponimo/specieFonte.",
        "Send specieFonte together with codSpecie.";
    ES024 => "ES024", Error,
        "Toponimo fonte obbligatorio in presenza del codice toponimo",
        "toponimo/codToponimo was sent without toponimo/toponimoFonte.",
        "Send toponimoFonte together with codToponimo.";
    ES025 => "ES025", Error,
        "Civico fonte obbligatorio in presenza del codice civico",
        "numeroCivico/codiceCivico was sent without numeroCivico/civicoFonte.",
        "Send civicoFonte together with codiceCivico.";
    EN185 => "EN185", Error,
        "idSchedaSoggettoANPR non presente o dati incongruenti",
        "The idSoggetto of a 5010 is not in urna's registry of subjects.",
        "Send the numeric ANPR subject id (idSchedaSoggettoANPR), not the alphanumeric ID ANPR; load the subject with `urna subjects import`.";
    EN556 => "EN556", Error,
        "Primo caricamento della lista generale gia' effettuato",
        "A first load (tipoRevisione PRIMOCARICAMENTO or the subentro file) of a subject already first-loaded, by another comune or earlier by the same one. Both comuni are notified (N017).",
        "Agree with the other comune named in the text on who holds the subject; the holder keeps the list, the other cancels it from its data.";
    EN560 => "EN560", Error,
        "Iscrizione non consentita: il soggetto non e' un cancellando",
        "The subject is still enrolled in another comune's list (a 'non elettore' counts as enrolled); only after that comune cancels them (motive 1, 2, 4 or 9) may another enrol them.",
        "Ask the comune named in the text to send its cancellation (5010 tipoMutazione 05), then resend the enrolment.";
    EN565 => "EN565", Error,
        "Lista aggiunta UE non inseribile: il soggetto ha cittadinanza italiana",
        "EU additional lists (tipoMutazione 02) are for citizens of other EU states.",
        "Enrol Italian citizens in the general list (tipoMutazione 01).";
    EN389 => "EN389", Error,
        "Data decorrenza precedente a quella dell'ultima operazione sui dati elettorali",
        "dataDecorrenza is earlier than the effective date of the last accepted change to the subject's list data.",
        "Send changes in order of effective date; correct an older change by resending the current data.";
    EC023 => "EC023", Error,
        "Codice soggettoCertificabile non valido",
        "Electoral certifiability must be 0 (non certificabile), 1 (parziale) or 2 (completa).",
        "Send 0, 1 or 2 in certificabilita/soggettoCertificabile with tipoMutazione 04.";
    EC070 => "EC070", Error,
        "Codice tipo certificato non presente nella tabella di riferimento",
        "6001: a tipoCertificato that is not a code of Tabella 13 (1..20) nor an electoral certificate (21, 22).",
        "Send 21 (godimento dei diritti politici) or 22 (iscrizione nelle liste elettorali).";
    EN174 => "EN174", Error,
        "Operazione non consentita per il tipo dato richiesto",
        "6001: what the request asks is not allowed for electoral certificates: a registry certificate (1..20, issued by ANPR, not by urna), a stamp-duty exemption other than USO ELETTORALE O REFERENDARIO (esenzioneBollo 11), or a data request (tipoRichiesta 2). 3002, as a warning (W) beside the reply: the operator asked for electoral data without the electoral profile, and gets only the listaElettorale flag.",
        "Ask for certificate 21 or 22 with esenzioneBollo 11 and tipoRichiesta 1; registry certificates come from ANPR. For 3002's electoral detail, call as an operator registered with the electoral profile.";
    EN153 => "EN153", Error,
        "Tipo certificato richiedibile singolarmente",
        "6001: electoral certificates are requested one per call; the request named more than one tipoCertificato.",
        "Send one request per certificate, each with its own idOperazioneComune.";
    EN281 => "EN281", Error,
        "Descrizione esenzione bollo obbligatoria",
        "6001: esenzioneBollo 99 (other) requires descrizioneEsenzioneBollo.",
        "Describe the exemption, or use the electoral exemption 11.";
    EN282 => "EN282", Error,
        "Descrizione esenzione bollo troppo lunga",
        "6001: descrizioneEsenzioneBollo is longer than 256 characters.",
        "Shorten the description to 256 characters.";
    EN283 => "EN283", Error,
        "Valore esenzione diritti non valido",
        "6001: esenzioneDiritti is 0 (not exempt) or 1 (exempt).",
        "Send 0 or 1, or leave the element out.";
    ES114 => "ES114", Error,
        "Tipo richiedente non valido",
        "6001: tipoRichiedente is 1 (someone other than the holder), 2 (the holder) or 3 (a person of a public administration).",
        "Send 1, 2 or 3.";
    ES115 => "ES115", Error,
        "Generalita' del richiedente obbligatorie",
        "6001: with tipoRichiedente 1 the requester is not the holder, so generalitaRichiedente must say who it is.",
        "Send generalitaRichiedente, or tipoRichiedente 2 if the holder asks.";
    EN391 => "EN391", Error,
        "Documento di riconoscimento del richiedente obbligatorio",
        "6001: with tipoRichiedente 3 (a person of a public administration) the requester's identity document is required.",
        "Send generalitaRichiedente/docRiconoscimento with its reference and issue date.";
    EN286 => "EN286", Error,
        "Documento di riconoscimento non valido",
        "6001: the requester's identity document cannot be valid: its issue date is after today.",
        "Check dataRilascio of the document.";
    EN042 => "EN042", Error,
        "Soggetto non presente in ANPR",
        "6001: no subject of the registry matches the holder's search keys (idSchedaSoggettoANPR, codice fiscale, or surname, name and birth date).",
        "Check the keys; the codice fiscale or idSchedaSoggettoANPR find a subject unambiguously.";
    EN043 => "EN043", Error,
        "Piu' soggetti corrispondono ai dati indicati",
        "6001: surname, name and birth date match more than one subject.",
        "Add the codice fiscale or idSchedaSoggettoANPR.";
    EN068 => "EN068", Error,
        "Nome non corrispondente",
        "6001: the holder's nome differs from the registry's (compared without regard to case).",
        "Send the name as registered, or leave it out and search by codice fiscale.";
    EN069 => "EN069", Error,
        "Cognome non corrispondente",
        "6001: the holder's cognome differs from the registry's (compared without regard to case).",
        "Send the surname as registered, or leave it out and search by codice fiscale.";
    EN070 => "EN070", Error,
        "Codice fiscale non corrispondente",
        "6001: the codice fiscale differs from the registry's for the subject found by idSchedaSoggettoANPR.",
        "Send the subject's codice fiscale, or only one of the two keys.";
    EN071 => "EN071", Error,
        "Data di nascita non corrispondente",
        "6001: the holder's birth date differs from the registry's.",
        "Send the birth date as registered.";
    EN075 => "EN075", Error,
        "Sesso non corrispondente",
        "6001: the holder's sex differs from the registry's.",
        "Send the sex as registered, or leave it out.";
    EN229 => "EN229", Error,
        "Certificato non emettibile: soggetto cancellato dall'ANPR",
        "6001: the holder is cancelled from ANPR (dead, emigrated without AIRE registration, untraceable).",
        "No electoral certificate can be issued for the subject.";
    EN047 => "EN047", Error,
        "Il soggetto risulta",
        "6001: the holder's electoral state does not allow the certificate: not an elector, not certifiable (certifiability 0), only partially certifiable (1: only certificate 21), or in no list (22 needs the general list or, for EU citizens, an EU additional list). The text says which.",
        "Issue the certificate the text names, or correct the electoral data with 5010 first.";
}

impl Code {
    pub fn entry(self) -> &'static Entry {
        CATALOGUE
            .iter()
            .find(|e| e.code == self)
            .expect("every code has a catalogue entry")
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.wire())
    }
}

/// One `tipoErroriAnomalia`: the code, its severity, the Italian text (max 240
/// characters on the wire) and the object, field and value it concerns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Anomaly {
    pub code: Code,
    pub severity: Severity,
    pub text: String,
    pub object: Option<String>,
    pub field: Option<String>,
    pub value: Option<String>,
}

impl Anomaly {
    /// An anomaly with the catalogue's severity and a text made of the catalogue
    /// title followed by `detail`.
    pub fn new(code: Code, detail: impl AsRef<str>) -> Self {
        let entry = code.entry();
        let detail = detail.as_ref();
        let text = if detail.is_empty() {
            entry.title_it.to_string()
        } else {
            format!("{}: {}", entry.title_it, detail)
        };
        Anomaly {
            code,
            severity: entry.severity,
            text: truncate_240(text),
            object: None,
            field: None,
            value: None,
        }
    }

    pub fn object(mut self, object: impl Into<String>) -> Self {
        self.object = Some(truncate_240(object.into()));
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(truncate_240(field.into()));
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(truncate_240(value.into()));
        self
    }

    pub fn is_blocking(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The EN527 support entry ANPR appends to every KO.
    pub fn support_entry(server_time: &str, id_operazione_anpr: &str) -> Self {
        Anomaly::new(Code::EN527, "").with_text(format!(
            "{} : data {} , idOperazioneANPR {}",
            Code::EN527.entry().title_it,
            server_time,
            id_operazione_anpr
        ))
    }

    /// The same anomaly as a warning (`W`): ANPR sends some codes either
    /// way, blocking in one operation and informative in another.
    pub fn as_warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    fn with_text(mut self, text: String) -> Self {
        self.text = truncate_240(text);
        self
    }
}

/// ANPR's text fields are at most 240 characters.
fn truncate_240(s: String) -> String {
    if s.chars().count() <= 240 {
        s
    } else {
        s.chars().take(239).chain(std::iter::once('…')).collect()
    }
}

/// Renders the catalogue as the Markdown of `docs/errors.md`.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# Error catalogue\n\n\
         Generated from `crates/urna-domain/src/catalogue.rs` (the test \
         `catalogue::tests::docs_errors_md_is_current` fails when this file is stale; \
         run `make docs` to regenerate it).\n\n\
         Every KO (`rispostaKO`) lists one or more of these codes, then the `EN527` \
         support entry. `E` blocks the operation; `W` is a warning.\n\n\
         | Code | Type | Wire text (Italian) | Meaning | Remedy |\n|---|---|---|---|---|\n",
    );
    for e in CATALOGUE {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            e.wire,
            e.severity.wire(),
            e.title_it,
            e.explanation,
            e.remedy
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_fit_the_wire_pattern() {
        let mut seen = std::collections::HashSet::new();
        for e in CATALOGUE {
            assert!(seen.insert(e.wire), "duplicate {}", e.wire);
            assert!(e.wire.len() <= 6 && e.wire.chars().all(|c| c.is_ascii_alphanumeric()));
            assert_eq!(e.code.wire(), e.wire);
        }
    }

    #[test]
    fn anomaly_text_is_capped_at_240_chars() {
        let a = Anomaly::new(Code::EN562, "x".repeat(500));
        assert_eq!(a.text.chars().count(), 240);
    }

    #[test]
    fn support_entry_names_date_and_operation() {
        let a = Anomaly::support_entry("2025-01-10 10:00:00", "42");
        assert_eq!(a.code, Code::EN527);
        assert!(a.text.contains("data 2025-01-10 10:00:00"));
        assert!(a.text.ends_with("idOperazioneANPR 42"));
    }

    #[test]
    fn docs_errors_md_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/errors.md");
        let rendered = render_markdown();
        if std::env::var_os("URNA_UPDATE_DOCS").is_some() {
            std::fs::write(path, &rendered).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == rendered,
            "docs/errors.md is stale: run `make docs`"
        );
    }
}
