//! What an electoral certificate says: the typed input of [`crate::render`].

use time::{Date, OffsetDateTime};

pub use urna_domain::certificate::{CertificateType, Language, Signatory};

/// The languages a certificate is printed in: Italian alone, or Italian with
/// the language of a recognised minority, every text in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Languages {
    /// Italian only.
    It,
    /// Italian and German (province of Bolzano).
    ItDe,
    /// Italian and French (Valle d'Aosta).
    ItFr,
    /// Italian and Slovenian.
    ItSl,
}

impl Languages {
    /// Every language set.
    pub const ALL: [Languages; 4] = [
        Languages::It,
        Languages::ItDe,
        Languages::ItFr,
        Languages::ItSl,
    ];

    /// The second language, if the certificate is bilingual.
    pub fn second(self) -> Option<Language> {
        match self {
            Languages::It => None,
            Languages::ItDe => Some(Language::De),
            Languages::ItFr => Some(Language::Fr),
            Languages::ItSl => Some(Language::Sl),
        }
    }

    /// The set a 6001 request's `linguaCertificato` asks for: no language or
    /// `IT` alone is Italian; `IT` with one of `DE`, `FR`, `SL` (or that
    /// language alone) is the bilingual form. `None` for any other
    /// combination (two minority languages).
    pub fn from_languages(languages: &[Language]) -> Option<Languages> {
        let mut second = None;
        for l in languages {
            match (l, second) {
                (Language::It, _) => {}
                (other, None) => second = Some(*other),
                (other, Some(s)) if s == *other => {}
                _ => return None,
            }
        }
        Some(match second {
            None => Languages::It,
            Some(Language::De) => Languages::ItDe,
            Some(Language::Fr) => Languages::ItFr,
            Some(Language::Sl) => Languages::ItSl,
            Some(Language::It) => Languages::It,
        })
    }
}

/// The holder's sex, which also chooses "iscritto" or "iscritta".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Male (`M`).
    M,
    /// Female (`F`).
    F,
}

/// The holder of the certificate (`soggettoIntestatario`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Surname (cognome).
    pub surname: String,
    /// Given name(s) (nome).
    pub name: String,
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub birth_date: Date,
    /// Place of birth as printed, e.g. `ROMA (RM)` or `PARIGI (FRANCIA)`.
    pub birth_place: String,
    /// Codice fiscale.
    pub codice_fiscale: String,
}

/// A comune as printed: name and province sigla.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comune {
    /// Name, e.g. `ROMA` or `BOLZANO/BOZEN`.
    pub name: String,
    /// Province sigla, e.g. `RM`.
    pub province: String,
}

/// An electoral list a certificate can state the holder is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElectoralList {
    /// The general list (Italian citizens).
    General,
    /// The additional list of EU citizens for municipal elections.
    EuMunicipal,
    /// The additional list of EU citizens for the election of the members
    /// of the European Parliament elected in Italy.
    EuParliament,
}

/// A polling section and its seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section number as the comune created it (`sezioneelettoralenum`:
    /// usually digits, but any text, e.g. `A-7`).
    pub number: String,
    /// Denomination of the seat, e.g. `SCUOLA PRIMARIA G. MAZZINI`.
    pub seat_name: String,
    /// Address of the seat, e.g. `VIA DEI GRACCHI 100`.
    pub seat_address: String,
}

/// The electoral data the certificate states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectoralData {
    /// The comune whose lists the holder is on.
    pub comune: Comune,
    /// The lists the certificate states: the general list, or for an EU
    /// citizen one or both additional lists. Required (non-empty) for
    /// [`CertificateType::Iscrizione`]; may be empty for
    /// [`CertificateType::GodimentoDirittiPolitici`] (a citizen cancelled
    /// from the lists who keeps political rights).
    pub lists: Vec<ElectoralList>,
    /// The section and its seat: required for [`CertificateType::Iscrizione`].
    pub section: Option<Section>,
}

/// Who issues the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// The issuing comune (any comune may issue an electoral certificate
    /// for any citizen).
    pub comune: Comune,
    /// Surname of the officer (`cognomeUffAnagrafe`).
    pub officer_surname: String,
    /// Name of the officer (`nomeUffAnagrafe`).
    pub officer_name: String,
    /// Who signs (`tipoFirmaElettorale`).
    pub signatory: Signatory,
}

/// The "contrassegno elettronico": a QR code with the verification address
/// and its short code, so that a paper copy can be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contrassegno {
    /// The verification URL the QR code encodes.
    pub url: String,
    /// The short human-readable code printed beside it.
    pub code: String,
}

/// One electoral certificate: everything [`crate::render`] prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDoc {
    /// Which certificate.
    pub kind: CertificateType,
    /// Italian, or Italian and a minority language.
    pub languages: Languages,
    /// A preview (`emissione` 3): the word ANTEPRIMA across every page, no
    /// protocol number, no contrassegno.
    pub preview: bool,
    /// The holder.
    pub holder: Holder,
    /// The electoral data stated.
    pub electoral: ElectoralData,
    /// The issuing comune and officer, and who signs.
    pub issuer: Issuer,
    /// The stamp-duty exemption printed, e.g. `USO ELETTORALE O REFERENDARIO`.
    pub exemption: String,
    /// The date and time of issue: printed (date), and the PDF's creation
    /// date, so the same input gives the same bytes.
    pub issued_at: OffsetDateTime,
    /// ANPR's protocol number: required unless `preview`, absent for previews.
    pub protocol: Option<String>,
    /// The `listaAnnotazioni` rows, printed in order.
    pub annotations: Vec<String>,
    /// The contrassegno: absent for previews, optional otherwise.
    pub contrassegno: Option<Contrassegno>,
}

impl CertificateDoc {
    /// A complete example (a Roman elector, certificate 22, Italian, not a
    /// preview) for tests, examples and documentation.
    pub fn example() -> CertificateDoc {
        use time::macros::{date, datetime};
        CertificateDoc {
            kind: CertificateType::Iscrizione,
            languages: Languages::It,
            preview: false,
            holder: Holder {
                surname: "ROSSI".into(),
                name: "MARIA".into(),
                sex: Sex::F,
                birth_date: date!(1980 - 01 - 01),
                birth_place: "ROMA (RM)".into(),
                codice_fiscale: "RSSMRA80A41H501Y".into(),
            },
            electoral: ElectoralData {
                comune: Comune {
                    name: "ROMA".into(),
                    province: "RM".into(),
                },
                lists: vec![ElectoralList::General],
                section: Some(Section {
                    number: "954".into(),
                    seat_name: "SCUOLA PRIMARIA GIUSEPPE MAZZINI".into(),
                    seat_address: "VIA DEI GRACCHI 100".into(),
                }),
            },
            issuer: Issuer {
                comune: Comune {
                    name: "ROMA".into(),
                    province: "RM".into(),
                },
                officer_surname: "BIANCHI".into(),
                officer_name: "LAURA".into(),
                signatory: Signatory::Mayor,
            },
            exemption: "USO ELETTORALE O REFERENDARIO".into(),
            issued_at: datetime!(2026-12-05 10:30:00 +01:00),
            protocol: Some("2026000012345678".into()),
            annotations: vec![],
            contrassegno: Some(Contrassegno {
                url: "https://127.0.0.1:8443/verifica/7K3Q-9F2M-X4TB".into(),
                code: "7K3Q-9F2M-X4TB".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in CertificateType::ALL {
            assert_eq!(CertificateType::from_code(t.code()), Some(t));
        }
        assert_eq!(CertificateType::Iscrizione.code(), 22);
        assert_eq!(CertificateType::GodimentoDirittiPolitici.code(), 21);
        assert_eq!(CertificateType::from_code(8), None);
        for l in [Language::It, Language::De, Language::Fr, Language::Sl] {
            assert_eq!(Language::from_code(l.code()), Some(l));
            assert_eq!(Language::from_code(&l.code().to_lowercase()), Some(l));
        }
        assert_eq!(Language::from_code("EN"), None);
        assert_eq!(Signatory::from_code(None), Some(Signatory::Mayor));
        for s in [
            Signatory::Delegate,
            Signatory::DeputyMayor,
            Signatory::Mayor,
        ] {
            assert_eq!(Signatory::from_code(Some(s.code())), Some(s));
        }
        assert_eq!(Signatory::from_code(Some(4)), None);
    }

    #[test]
    fn language_sets_of_a_request() {
        use Language::*;
        assert_eq!(Languages::from_languages(&[]), Some(Languages::It));
        assert_eq!(Languages::from_languages(&[It]), Some(Languages::It));
        assert_eq!(Languages::from_languages(&[It, De]), Some(Languages::ItDe));
        assert_eq!(Languages::from_languages(&[Sl]), Some(Languages::ItSl));
        assert_eq!(
            Languages::from_languages(&[Fr, It, Fr]),
            Some(Languages::ItFr)
        );
        assert_eq!(Languages::from_languages(&[De, Fr]), None);
        for l in Languages::ALL {
            assert_eq!(l.second().is_none(), l == Languages::It);
        }
    }
}
