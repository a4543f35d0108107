//! 4001 `estrazione_dati_cittadini`, electoral data: the selections a
//! comune's extraction accepts and the rules that check them (R-X1…R-X4,
//! docs/rules.md), and which elector a selection keeps.

use time::Date;

use crate::catalogue::{Anomaly, Code};
use crate::elector::{ElectorState, ListKind};

/// `datiAnagraficiRichiesti` code of the electoral data (Tabella 16).
pub const ELECTORAL_DATA: &str = "18";

/// The selections of `ulterioriSelezioni`, as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selections {
    pub requested: Vec<String>,
    pub reference_date: Option<Date>,
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    pub elettore: Option<String>,
    pub sex: Option<String>,
    pub citizenship: Option<String>,
    pub list: Option<String>,
    pub section: Option<String>,
}

/// An accepted selection: what [`Criteria::keeps`] checks each elector
/// against. Stored with the job (JSON), so that a restarted job extracts
/// what was asked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Criteria {
    #[serde(with = "crate::date::serde_ymd")]
    pub reference_date: Date,
    pub min_age: Option<u32>,
    pub max_age: Option<u32>,
    /// Only electors (`elettore` S, on a list) at the reference date.
    pub electors_only: bool,
    pub sex: Option<String>,
    pub citizenship: Option<String>,
    pub list: Option<String>,
    pub section: Option<String>,
}

/// What [`Criteria::keeps`] needs of a subject besides its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person<'a> {
    pub sex: &'a str,
    pub born: Option<Date>,
    /// `IT`, `UE` or `EXTRA`.
    pub citizenship: &'a str,
}

/// Whole years from `born` to `on`.
pub fn age_on(born: Date, on: Date) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// The rules of a 4001 selection (`today` the server's date):
/// * R-X1 the electoral data (18) must be among those asked (EN174);
/// * R-X2 `elettoreAllaDataRiferimento` is S or absent (EHR14);
/// * R-X3 an age needs `dataRiferimento` (EHR30), a minimum above the
///   maximum is refused (EHR28);
/// * R-X4 the reference date is not in the future (EHR29).
pub fn check(s: &Selections, today: Date) -> Result<Criteria, Vec<Anomaly>> {
    let mut errors = Vec::new();
    if !s
        .requested
        .iter()
        .any(|r| r.trim().trim_start_matches('0') == ELECTORAL_DATA)
    {
        errors.push(
            Anomaly::new(
                Code::EN174,
                format!(
                    "urna estrae solo i dati elettorali: datiAnagraficiRichiesti deve comprendere {ELECTORAL_DATA} (ricevuti: {})",
                    s.requested.join(", ")
                ),
            )
            .field("datiAnagraficiRichiesti"),
        );
    }
    if let Some(e) = s.elettore.as_deref().filter(|e| *e != "S") {
        errors.push(
            Anomaly::new(
                Code::EHR14,
                format!("valore {e} non previsto per elettore alla data di riferimento (solo S)"),
            )
            .field("elettoreAllaDataRiferimento")
            .value(e),
        );
    }
    if (s.min_age.is_some() || s.max_age.is_some()) && s.reference_date.is_none() {
        errors.push(
            Anomaly::new(
                Code::EHR30,
                "l'eta' alla data di riferimento richiede dataRiferimento",
            )
            .field("dataRiferimento"),
        );
    }
    if let (Some(min), Some(max)) = (s.min_age, s.max_age) {
        if min > max {
            errors.push(
                Anomaly::new(
                    Code::EHR28,
                    format!("eta' minima {min} maggiore dell'eta' massima {max}"),
                )
                .field("etaMinimaAllaDataRiferimento")
                .value(min.to_string()),
            );
        }
    }
    if let Some(d) = s.reference_date.filter(|d| *d > today) {
        errors.push(
            Anomaly::new(
                Code::EHR29,
                format!("dataRiferimento {d} successiva alla data odierna {today}"),
            )
            .field("dataRiferimento")
            .value(d.to_string()),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Criteria {
        reference_date: s.reference_date.unwrap_or(today),
        min_age: s.min_age,
        max_age: s.max_age,
        electors_only: s.elettore.is_some(),
        sex: s.sex.clone(),
        citizenship: s.citizenship.clone(),
        list: s.list.clone(),
        section: s.section.clone(),
    })
}

impl Criteria {
    /// Whether the elector `state` of comune `istat`, person `p`, is kept.
    pub fn keeps(&self, istat: &str, state: &ElectorState, p: &Person<'_>) -> bool {
        if state.cancelled.is_some() {
            return false;
        }
        let lists: Vec<(ListKind, &str)> = [
            (ListKind::General, state.general.as_ref().map(|(l, _)| l)),
            (ListKind::UeComunali, state.ue_comunali.as_ref()),
            (ListKind::UeParlamento, state.ue_parlamento.as_ref()),
            (ListKind::ComReg, state.comreg.as_ref().map(|(_, l)| l)),
        ]
        .into_iter()
        .filter_map(|(k, l)| {
            l.filter(|l| l.comune == istat)
                .map(|l| (k, l.sezione.as_str()))
        })
        .collect();
        if self.electors_only && (state.elettore != Some(true) || lists.is_empty()) {
            return false;
        }
        if let Some(want) = &self.list {
            let kind = match want.as_str() {
                "GENERALE" => ListKind::General,
                "UE_COMUNALI" => ListKind::UeComunali,
                "UE_PARLAMENTO" => ListKind::UeParlamento,
                _ => ListKind::ComReg,
            };
            if !lists
                .iter()
                .any(|(k, s)| *k == kind && self.section.as_deref().is_none_or(|want| want == *s))
            {
                return false;
            }
        } else if let Some(section) = &self.section {
            if !lists.iter().any(|(_, s)| s == section) {
                return false;
            }
        }
        if self.sex.as_deref().is_some_and(|s| s != p.sex) {
            return false;
        }
        if self
            .citizenship
            .as_deref()
            .is_some_and(|c| c != p.citizenship)
        {
            return false;
        }
        if self.min_age.is_some() || self.max_age.is_some() {
            let Some(born) = p.born else { return false };
            let age = age_on(born, self.reference_date);
            if self.min_age.is_some_and(|m| age < m) || self.max_age.is_some_and(|m| age > m) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elector::ListRef;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 01 - 10);

    fn sel() -> Selections {
        Selections {
            requested: vec!["18".into()],
            ..Selections::default()
        }
    }

    fn codes(r: Result<Criteria, Vec<Anomaly>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .iter()
            .map(|a| a.code.wire())
            .collect()
    }

    #[test]
    fn the_rules_of_a_selection() {
        assert_eq!(check(&sel(), TODAY).unwrap().reference_date, TODAY);
        let mut s = sel();
        s.requested = vec!["1".into()];
        assert_eq!(codes(check(&s, TODAY)), ["EN174"]);
        let mut s = sel();
        s.elettore = Some("N".into());
        assert_eq!(codes(check(&s, TODAY)), ["EHR14"]);
        let mut s = sel();
        s.min_age = Some(18);
        assert_eq!(codes(check(&s, TODAY)), ["EHR30"]);
        s.reference_date = Some(TODAY);
        s.max_age = Some(17);
        assert_eq!(codes(check(&s, TODAY)), ["EHR28"]);
        let mut s = sel();
        s.reference_date = Some(date!(2025 - 01 - 11));
        assert_eq!(codes(check(&s, TODAY)), ["EHR29"]);
    }

    #[test]
    fn ages_are_whole_years_at_the_reference_date() {
        assert_eq!(age_on(date!(2007 - 01 - 10), TODAY), 18);
        assert_eq!(age_on(date!(2007 - 01 - 11), TODAY), 17);
        assert_eq!(age_on(date!(2000 - 02 - 29), date!(2001 - 02 - 28)), 0);
    }

    #[test]
    fn what_a_selection_keeps() {
        let state = ElectorState {
            elettore: Some(true),
            general: Some((
                ListRef {
                    comune: "058091".into(),
                    sezione: "7".into(),
                },
                TODAY,
            )),
            ..ElectorState::default()
        };
        let p = Person {
            sex: "F",
            born: Some(date!(1990 - 05 - 01)),
            citizenship: "IT",
        };
        let mut s = sel();
        s.elettore = Some("S".into());
        s.reference_date = Some(TODAY);
        s.min_age = Some(30);
        let c = check(&s, TODAY).unwrap();
        assert!(c.keeps("058091", &state, &p));
        assert!(!c.keeps("015146", &state, &p), "another comune's list");
        let older = Criteria {
            min_age: Some(35),
            ..c.clone()
        };
        assert!(!older.keeps("058091", &state, &p));
        let section = Criteria {
            list: Some("GENERALE".into()),
            section: Some("8".into()),
            ..c.clone()
        };
        assert!(!section.keeps("058091", &state, &p));
        let men = Criteria {
            sex: Some("M".into()),
            ..c.clone()
        };
        assert!(!men.keeps("058091", &state, &p));
        let non_elector = ElectorState {
            elettore: Some(false),
            ..state.clone()
        };
        assert!(!c.keeps("058091", &non_elector, &p));
    }
}
