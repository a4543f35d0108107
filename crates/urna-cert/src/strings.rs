//! Every text the certificate prints, one [`Strings`] per language.
//!
//! Templates carry placeholders replaced by the layout: `{comune}` (name and
//! province of the comune of the lists), `{n}` and `{m}` (page numbers).
//! Terms follow the administrative usage of each area: German as used in the
//! province of Bolzano ("Wahlsprengel" for the polling section,
//! "Steuernummer" for the codice fiscale), French as used in Valle d'Aosta
//! ("syndic" for the mayor), the eIDAS terms for the electronic seal
//! (sigillo elettronico, elektronisches Siegel, cachet électronique,
//! elektronski žig).

use crate::model::{CertificateType, ElectoralList, Language, Sex, Signatory};

/// The printed texts of one language.
#[derive(Debug)]
pub(crate) struct Strings {
    /// First line of every page: the authority, no logo.
    pub heading: &'static str,
    /// "Comune di" before the issuing comune's name, under the heading.
    pub comune_of: &'static str,
    /// Title of certificate 21.
    pub title_godimento: &'static str,
    /// Title of certificate 22.
    pub title_iscrizione: &'static str,
    /// The sentence that introduces the holder.
    pub intro: &'static str,
    /// Holder labels.
    pub surname: &'static str,
    pub name: &'static str,
    pub sex: &'static str,
    pub male: &'static str,
    pub female: &'static str,
    pub birth_date: &'static str,
    pub birth_place: &'static str,
    pub codice_fiscale: &'static str,
    /// Certificate 22's statement, male and female forms; `{comune}`.
    pub enrolled_m: &'static str,
    pub enrolled_f: &'static str,
    /// Certificate 21's statement.
    pub enjoys_rights: &'static str,
    /// Electoral data labels.
    pub list_comune: &'static str,
    pub lists: &'static str,
    pub list_general: &'static str,
    pub list_eu_municipal: &'static str,
    pub list_eu_parliament: &'static str,
    pub section_number: &'static str,
    pub section_seat: &'static str,
    /// Label of the stamp-duty exemption (the use the certificate is for).
    pub exemption: &'static str,
    /// Heading of the annotations.
    pub annotations: &'static str,
    /// Issue labels.
    pub issuing_comune: &'static str,
    pub officer: &'static str,
    pub issue_date: &'static str,
    pub protocol: &'static str,
    /// Who signs.
    pub signatory_delegate: &'static str,
    pub signatory_deputy: &'static str,
    pub signatory_mayor: &'static str,
    /// The seal box at the bottom of the last page.
    pub sealed: &'static str,
    pub sealed_detail: &'static str,
    /// The contrassegno beside the QR code.
    pub contrassegno: &'static str,
    pub contrassegno_code: &'static str,
    pub contrassegno_verify: &'static str,
    /// The word across a preview.
    pub preview: &'static str,
    /// Page numbering; `{n}`, `{m}`.
    pub page: &'static str,
}

impl Strings {
    /// The texts of `language`.
    pub fn of(language: Language) -> &'static Strings {
        match language {
            Language::It => &IT,
            Language::De => &DE,
            Language::Fr => &FR,
            Language::Sl => &SL,
        }
    }

    /// The title of a certificate type.
    pub fn title(&self, kind: CertificateType) -> &'static str {
        match kind {
            CertificateType::GodimentoDirittiPolitici => self.title_godimento,
            CertificateType::Iscrizione => self.title_iscrizione,
        }
    }

    /// The sex as printed.
    pub fn sex_value(&self, sex: Sex) -> &'static str {
        match sex {
            Sex::M => self.male,
            Sex::F => self.female,
        }
    }

    /// Certificate 22's statement in the holder's gender.
    pub fn enrolled(&self, sex: Sex) -> &'static str {
        match sex {
            Sex::M => self.enrolled_m,
            Sex::F => self.enrolled_f,
        }
    }

    /// The name of an electoral list.
    pub fn list(&self, list: ElectoralList) -> &'static str {
        match list {
            ElectoralList::General => self.list_general,
            ElectoralList::EuMunicipal => self.list_eu_municipal,
            ElectoralList::EuParliament => self.list_eu_parliament,
        }
    }

    /// Who signs, as printed above the signature.
    pub fn signatory(&self, signatory: Signatory) -> &'static str {
        match signatory {
            Signatory::Delegate => self.signatory_delegate,
            Signatory::DeputyMayor => self.signatory_deputy,
            Signatory::Mayor => self.signatory_mayor,
        }
    }
}

static IT: Strings = Strings {
    heading: "Ministero dell'Interno — Anagrafe Nazionale della Popolazione Residente",
    comune_of: "Comune di",
    title_godimento: "Certificato di godimento dei diritti politici",
    title_iscrizione: "Certificato di iscrizione nelle liste elettorali",
    intro: "Visti gli atti d'ufficio, si certifica che la persona di seguito indicata",
    surname: "Cognome",
    name: "Nome",
    sex: "Sesso",
    male: "maschile",
    female: "femminile",
    birth_date: "Data di nascita",
    birth_place: "Luogo di nascita",
    codice_fiscale: "Codice fiscale",
    enrolled_m: "risulta iscritto nelle liste elettorali del Comune di {comune}.",
    enrolled_f: "risulta iscritta nelle liste elettorali del Comune di {comune}.",
    enjoys_rights: "gode dei diritti politici.",
    list_comune: "Comune delle liste elettorali",
    lists: "Lista elettorale",
    list_general: "lista generale",
    list_eu_municipal: "lista aggiunta dei cittadini dell'Unione europea per le elezioni comunali",
    list_eu_parliament: "lista aggiunta dei cittadini dell'Unione europea per l'elezione dei membri del Parlamento europeo spettanti all'Italia",
    section_number: "Sezione elettorale n.",
    section_seat: "Sede della sezione",
    exemption: "Rilasciato in esenzione dall'imposta di bollo per",
    annotations: "Annotazioni",
    issuing_comune: "Comune di rilascio",
    officer: "Funzionario incaricato",
    issue_date: "Data di rilascio",
    protocol: "Protocollo ANPR n.",
    signatory_delegate: "Il delegato del Sindaco",
    signatory_deputy: "Il Vice Sindaco",
    signatory_mayor: "Il Sindaco",
    sealed: "Documento sigillato elettronicamente dal Ministero dell'Interno",
    sealed_detail: "Il sigillo elettronico garantisce l'origine e l'integrità del documento.",
    contrassegno: "Contrassegno elettronico",
    contrassegno_code: "Codice di verifica",
    contrassegno_verify: "Verificare il documento all'indirizzo",
    preview: "ANTEPRIMA",
    page: "Pagina {n} di {m}",
};

static DE: Strings = Strings {
    heading: "Innenministerium — Nationales Register der ansässigen Bevölkerung",
    comune_of: "Gemeinde",
    title_godimento: "Bescheinigung über den Genuss der politischen Rechte",
    title_iscrizione: "Bescheinigung über die Eintragung in die Wählerlisten",
    intro: "Aufgrund der Amtsakten wird bescheinigt, dass die nachstehend angeführte Person",
    surname: "Nachname",
    name: "Vorname",
    sex: "Geschlecht",
    male: "männlich",
    female: "weiblich",
    birth_date: "Geburtsdatum",
    birth_place: "Geburtsort",
    codice_fiscale: "Steuernummer",
    enrolled_m: "in den Wählerlisten der Gemeinde {comune} eingetragen ist.",
    enrolled_f: "in den Wählerlisten der Gemeinde {comune} eingetragen ist.",
    enjoys_rights: "im Genuss der politischen Rechte ist.",
    list_comune: "Gemeinde der Wählerlisten",
    lists: "Wählerliste",
    list_general: "allgemeine Wählerliste",
    list_eu_municipal: "Zusatzliste der Bürger der Europäischen Union für die Gemeindewahlen",
    list_eu_parliament: "Zusatzliste der Bürger der Europäischen Union für die Wahl der auf Italien entfallenden Mitglieder des Europäischen Parlaments",
    section_number: "Wahlsprengel Nr.",
    section_seat: "Sitz des Wahlsprengels",
    exemption: "Stempelsteuerfrei ausgestellt für",
    annotations: "Anmerkungen",
    issuing_comune: "Ausstellende Gemeinde",
    officer: "Zuständiger Beamter",
    issue_date: "Ausstellungsdatum",
    protocol: "ANPR-Protokoll Nr.",
    signatory_delegate: "Der Beauftragte des Bürgermeisters",
    signatory_deputy: "Der Vizebürgermeister",
    signatory_mayor: "Der Bürgermeister",
    sealed: "Vom Innenministerium mit elektronischem Siegel versehenes Dokument",
    sealed_detail: "Das elektronische Siegel gewährleistet Herkunft und Unversehrtheit des Dokuments.",
    contrassegno: "Elektronisches Prüfzeichen",
    contrassegno_code: "Prüfcode",
    contrassegno_verify: "Das Dokument kann überprüft werden unter",
    preview: "VORSCHAU",
    page: "Seite {n} von {m}",
};

static FR: Strings = Strings {
    heading: "Ministère de l'Intérieur — Registre national de la population résidente",
    comune_of: "Commune de",
    title_godimento: "Certificat de jouissance des droits politiques",
    title_iscrizione: "Certificat d'inscription sur les listes électorales",
    intro: "Vu les actes de l'administration, il est certifié que la personne indiquée ci-dessous",
    surname: "Nom",
    name: "Prénom",
    sex: "Sexe",
    male: "masculin",
    female: "féminin",
    birth_date: "Date de naissance",
    birth_place: "Lieu de naissance",
    codice_fiscale: "Code fiscal",
    enrolled_m: "est inscrit sur les listes électorales de la Commune de {comune}.",
    enrolled_f: "est inscrite sur les listes électorales de la Commune de {comune}.",
    enjoys_rights: "jouit de ses droits politiques.",
    list_comune: "Commune des listes électorales",
    lists: "Liste électorale",
    list_general: "liste générale",
    list_eu_municipal: "liste complémentaire des citoyens de l'Union européenne pour les élections communales",
    list_eu_parliament: "liste complémentaire des citoyens de l'Union européenne pour l'élection des membres du Parlement européen revenant à l'Italie",
    section_number: "Section électorale n°",
    section_seat: "Siège de la section",
    exemption: "Délivré en exemption du droit de timbre pour",
    annotations: "Annotations",
    issuing_comune: "Commune de délivrance",
    officer: "Fonctionnaire chargé",
    issue_date: "Date de délivrance",
    protocol: "Protocole ANPR n°",
    signatory_delegate: "Le délégué du syndic",
    signatory_deputy: "Le vice-syndic",
    signatory_mayor: "Le syndic",
    sealed: "Document revêtu du cachet électronique du Ministère de l'Intérieur",
    sealed_detail: "Le cachet électronique garantit l'origine et l'intégrité du document.",
    contrassegno: "Marque électronique",
    contrassegno_code: "Code de vérification",
    contrassegno_verify: "Le document peut être vérifié à l'adresse",
    preview: "APERÇU",
    page: "Page {n} sur {m}",
};

static SL: Strings = Strings {
    heading: "Ministrstvo za notranje zadeve — Nacionalni register stalnega prebivalstva",
    comune_of: "Občina",
    title_godimento: "Potrdilo o uživanju političnih pravic",
    title_iscrizione: "Potrdilo o vpisu v volilne imenike",
    intro: "Na podlagi uradnih spisov se potrjuje, da spodaj navedena oseba",
    surname: "Priimek",
    name: "Ime",
    sex: "Spol",
    male: "moški",
    female: "ženski",
    birth_date: "Datum rojstva",
    birth_place: "Kraj rojstva",
    codice_fiscale: "Davčna številka",
    enrolled_m: "je vpisan v volilne imenike Občine {comune}.",
    enrolled_f: "je vpisana v volilne imenike Občine {comune}.",
    enjoys_rights: "uživa politične pravice.",
    list_comune: "Občina volilnih imenikov",
    lists: "Volilni imenik",
    list_general: "splošni volilni imenik",
    list_eu_municipal: "dodatni volilni imenik državljanov Evropske unije za občinske volitve",
    list_eu_parliament: "dodatni volilni imenik državljanov Evropske unije za volitve članov Evropskega parlamenta, ki pripadajo Italiji",
    section_number: "Volilna sekcija št.",
    section_seat: "Sedež volilne sekcije",
    exemption: "Izdano brez plačila kolkovine za",
    annotations: "Opombe",
    issuing_comune: "Občina izdaje",
    officer: "Pristojni uradnik",
    issue_date: "Datum izdaje",
    protocol: "Protokol ANPR št.",
    signatory_delegate: "Pooblaščenec župana",
    signatory_deputy: "Podžupan",
    signatory_mayor: "Župan",
    sealed: "Dokument z elektronskim žigom Ministrstva za notranje zadeve",
    sealed_detail: "Elektronski žig zagotavlja izvor in celovitost dokumenta.",
    contrassegno: "Elektronska oznaka",
    contrassegno_code: "Koda za preverjanje",
    contrassegno_verify: "Dokument je mogoče preveriti na naslovu",
    preview: "PREDOGLED",
    page: "Stran {n} od {m}",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &Strings) -> Vec<&'static str> {
        vec![
            s.heading,
            s.comune_of,
            s.title_godimento,
            s.title_iscrizione,
            s.intro,
            s.surname,
            s.name,
            s.sex,
            s.male,
            s.female,
            s.birth_date,
            s.birth_place,
            s.codice_fiscale,
            s.enrolled_m,
            s.enrolled_f,
            s.enjoys_rights,
            s.list_comune,
            s.lists,
            s.list_general,
            s.list_eu_municipal,
            s.list_eu_parliament,
            s.section_number,
            s.section_seat,
            s.exemption,
            s.annotations,
            s.issuing_comune,
            s.officer,
            s.issue_date,
            s.protocol,
            s.signatory_delegate,
            s.signatory_deputy,
            s.signatory_mayor,
            s.sealed,
            s.sealed_detail,
            s.contrassegno,
            s.contrassegno_code,
            s.contrassegno_verify,
            s.preview,
            s.page,
        ]
    }

    #[test]
    fn every_language_has_every_text_and_its_placeholders() {
        for l in [Language::It, Language::De, Language::Fr, Language::Sl] {
            let s = Strings::of(l);
            for text in all(s) {
                assert!(!text.trim().is_empty(), "{l:?}");
                assert_eq!(text, text.trim(), "{l:?}: {text:?}");
            }
            for t in [s.enrolled_m, s.enrolled_f] {
                assert_eq!(t.matches("{comune}").count(), 1, "{l:?}: {t}");
            }
            assert!(s.page.contains("{n}") && s.page.contains("{m}"), "{l:?}");
        }
    }

    #[test]
    fn the_signatories_and_titles_of_the_italian_model() {
        let it = Strings::of(Language::It);
        assert_eq!(it.signatory(Signatory::Delegate), "Il delegato del Sindaco");
        assert_eq!(it.signatory(Signatory::DeputyMayor), "Il Vice Sindaco");
        assert_eq!(it.signatory(Signatory::Mayor), "Il Sindaco");
        assert_eq!(
            it.title(CertificateType::Iscrizione),
            "Certificato di iscrizione nelle liste elettorali"
        );
        assert!(it.enrolled(Sex::F).starts_with("risulta iscritta"));
        assert!(it.enrolled(Sex::M).starts_with("risulta iscritto"));
    }
}
