//! 3002 `interrogazioneCittadino_famiglia_convivenza`, electoral parts: how
//! the search criteria find subjects, and who sees which electoral data
//! (docs/consultation.md, "3002"; rules R-Q1…R-Q6 of docs/rules.md).

use time::Date;

use crate::{Anomaly, Code};

/// `criteriRicerca` and `datiNascita/dataEvento`, as far as urna searches by them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Criteria {
    pub codice_fiscale: Option<String>,
    pub cognome: Option<String>,
    pub nome: Option<String>,
    pub sesso: Option<String>,
    pub data_nascita: Option<Date>,
    /// `idSchedaSoggettoANPR`.
    pub id_scheda: Option<String>,
    /// `idANPR` (urna's subjects have one identifier, which serves as both).
    pub id_anpr: Option<String>,
}

/// A schema-valid `Richiesta3002`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request3002 {
    pub criteria: Criteria,
    /// `datiAnagraficiRichiesti` (Tabella 16 codes, as sent).
    pub requested: Vec<String>,
}

impl Request3002 {
    /// Whether the electoral data are asked for: code 18 (`listaElettorale`)
    /// or 1 (the whole record).
    pub fn wants_electoral(&self) -> bool {
        self.requested
            .iter()
            .any(|c| matches!(c.trim().trim_start_matches('0'), "1" | "18"))
    }
}

/// The one key the store is searched by; the other criteria filter what it
/// finds ([`Criteria::matches`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    Id(String),
    CodiceFiscale(String),
    Names {
        cognome: String,
        nome: String,
        born: Date,
    },
}

/// R-Q1: a search needs the idSchedaSoggettoANPR (or idANPR), the codice
/// fiscale, or surname, name and birth date together (`senzaCognome` and
/// `senzaNome` stand for an empty surname or name); anything less would
/// read a comune's registry by sex or by name alone. EN148 otherwise.
pub fn search(c: &Criteria) -> Result<Search, Anomaly> {
    if let Some(id) = c.id_scheda.as_ref().or(c.id_anpr.as_ref()) {
        return Ok(Search::Id(id.trim().to_string()));
    }
    if let Some(cf) = &c.codice_fiscale {
        return Ok(Search::CodiceFiscale(cf.trim().to_ascii_uppercase()));
    }
    match (&c.cognome, &c.nome, c.data_nascita) {
        (Some(cognome), Some(nome), Some(born)) => Ok(Search::Names {
            cognome: cognome.trim().to_string(),
            nome: nome.trim().to_string(),
            born,
        }),
        _ => Err(Anomaly::new(
            Code::EN148,
            "criteri di ricerca insufficienti: indicare il codice fiscale, \
             l'idSchedaSoggettoANPR, o cognome, nome e data di nascita",
        )
        .object("criteriRicerca")),
    }
}

/// What a found subject must also match: every criterion given, names
/// without regard to case, sex as M/F in either case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub codice_fiscale: &'a str,
    pub cognome: &'a str,
    pub nome: &'a str,
    pub sesso: &'a str,
    pub data_nascita: Option<Date>,
}

impl Criteria {
    /// R-Q2: all criteria apply together.
    pub fn matches(&self, s: &Candidate<'_>) -> bool {
        let same = |given: &Option<String>, found: &str| {
            given
                .as_deref()
                .is_none_or(|g| g.trim().eq_ignore_ascii_case(found.trim()))
        };
        same(&self.id_scheda, s.id)
            && same(&self.id_anpr, s.id)
            && same(&self.codice_fiscale, s.codice_fiscale)
            && same(&self.cognome, s.cognome)
            && same(&self.nome, s.nome)
            && same(&self.sesso, s.sesso)
            && self.data_nascita.is_none_or(|d| Some(d) == s.data_nascita)
    }
}

/// R-Q2: nothing found (after every criterion) is a KO, EN130.
pub fn nothing_found() -> Anomaly {
    Anomaly::new(Code::EN130, "").object("criteriRicerca")
}

/// The caller's right to electoral detail (R-Q4): the operator's profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Ufficiale elettorale (or a caller the deployment does not profile:
    /// tools, tests of the layers below the security frame, unknown
    /// operators admitted by `allow_unknown_operators`).
    Electoral,
    /// A registry operator without the electoral profile.
    Registry,
}

/// How much of a subject's electoral data a reply carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectoralView {
    /// None: not asked for, several subjects found (R-Q3), or the subject was
    /// never communicated to the electoral lists (R-Q6).
    Nothing,
    /// The legacy `listaElettorale` only: the `elettore` flag and the comune.
    Flag,
    /// `listaElettorale` and `listaElettoraleCompleta`; `detail` false for an
    /// elector of another comune (R-Q5): certifiability and each list with its
    /// section number, without flags, circumscriptions, cancellation or the
    /// section's seat.
    Complete { detail: bool },
}

/// What one subject's block shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    pub viewer: Viewer,
    pub wants_electoral: bool,
    /// More than one subject matched.
    pub several: bool,
    /// The subject has an electoral record (takeover or a 5010).
    pub communicated: bool,
    /// The subject's lists are the sending comune's (or it has none elsewhere).
    pub own: bool,
}

/// R-Q3…R-Q6.
pub fn electoral_view(s: Situation) -> ElectoralView {
    if !s.wants_electoral || s.several || !s.communicated {
        return ElectoralView::Nothing;
    }
    match s.viewer {
        Viewer::Registry => ElectoralView::Flag,
        Viewer::Electoral => ElectoralView::Complete { detail: s.own },
    }
}

/// R-Q4: the warning a registry operator gets when it asked for electoral data.
pub fn profile_warning() -> Anomaly {
    Anomaly::new(
        Code::EN174,
        "i dati elettorali di dettaglio (listaElettoraleCompleta) sono riservati \
         all'operatore con profilo di ufficiale elettorale",
    )
    .field("datiAnagraficiRichiesti")
    .value("18")
    .as_warning()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;
    use time::macros::date;

    fn names() -> Criteria {
        Criteria {
            cognome: Some("Rossi".into()),
            nome: Some("MARIA".into()),
            data_nascita: Some(date!(1980 - 01 - 01)),
            ..Criteria::default()
        }
    }

    #[test]
    fn search_takes_the_strongest_key() {
        let mut c = names();
        assert!(matches!(search(&c), Ok(Search::Names { .. })));
        let no_surname = Criteria {
            cognome: Some(String::new()),
            ..names()
        };
        assert_eq!(
            search(&no_surname),
            Ok(Search::Names {
                cognome: String::new(),
                nome: "MARIA".into(),
                born: date!(1980 - 01 - 01)
            })
        );
        c.codice_fiscale = Some("rssmra80a41h501x".into());
        assert_eq!(
            search(&c),
            Ok(Search::CodiceFiscale("RSSMRA80A41H501X".into()))
        );
        c.id_anpr = Some("77".into());
        assert_eq!(search(&c), Ok(Search::Id("77".into())));
        c.id_scheda = Some("42".into());
        assert_eq!(search(&c), Ok(Search::Id("42".into())));
    }

    #[test]
    fn insufficient_criteria_are_en148() {
        for c in [
            Criteria::default(),
            Criteria {
                cognome: Some("ROSSI".into()),
                nome: Some("MARIA".into()),
                ..Criteria::default()
            },
            Criteria {
                sesso: Some("F".into()),
                data_nascita: Some(date!(1980 - 01 - 01)),
                ..Criteria::default()
            },
        ] {
            let e = search(&c).unwrap_err();
            assert_eq!(e.code, Code::EN148);
            assert!(e.text.contains("codice fiscale"), "{}", e.text);
        }
    }

    #[test]
    fn every_criterion_filters() {
        let c = Criteria {
            sesso: Some("f".into()),
            ..names()
        };
        let found = Candidate {
            id: "1",
            codice_fiscale: "RSSMRA80A41H501X",
            cognome: "ROSSI",
            nome: "Maria",
            sesso: "F",
            data_nascita: Some(date!(1980 - 01 - 01)),
        };
        assert!(c.matches(&found));
        assert!(!c.matches(&Candidate {
            sesso: "M",
            ..found.clone()
        }));
        assert!(!c.matches(&Candidate {
            data_nascita: Some(date!(1980 - 01 - 02)),
            ..found.clone()
        }));
        let by_cf = Criteria {
            codice_fiscale: Some("RSSMRA80A41H501X".into()),
            cognome: Some("BIANCHI".into()),
            ..Criteria::default()
        };
        assert!(!by_cf.matches(&found));
    }

    #[test]
    fn electoral_data_are_asked_by_code_18_or_1() {
        let mut r = Request3002::default();
        assert!(!r.wants_electoral());
        r.requested = vec!["2".into(), "18".into()];
        assert!(r.wants_electoral());
        r.requested = vec!["01".into()];
        assert!(r.wants_electoral());
        r.requested = vec!["10".into()];
        assert!(!r.wants_electoral());
    }

    #[test]
    fn who_sees_what() {
        let base = Situation {
            viewer: Viewer::Electoral,
            wants_electoral: true,
            several: false,
            communicated: true,
            own: true,
        };
        assert_eq!(
            electoral_view(base),
            ElectoralView::Complete { detail: true }
        );
        assert_eq!(
            electoral_view(Situation { own: false, ..base }),
            ElectoralView::Complete { detail: false }
        );
        assert_eq!(
            electoral_view(Situation {
                viewer: Viewer::Registry,
                ..base
            }),
            ElectoralView::Flag
        );
        for s in [
            Situation {
                wants_electoral: false,
                ..base
            },
            Situation {
                several: true,
                ..base
            },
            Situation {
                communicated: false,
                ..base
            },
        ] {
            assert_eq!(electoral_view(s), ElectoralView::Nothing);
        }
        let w = profile_warning();
        assert_eq!((w.code, w.severity), (Code::EN174, Severity::Warning));
        assert!(w.text.contains("ufficiale elettorale"));
    }
}
