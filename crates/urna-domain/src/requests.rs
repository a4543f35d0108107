//! 3003 `gestione_richieste`: a comune's past requests to urna, the
//! electoral ones included, by id, by period and kind, or by subject (rules
//! R-R1…R-R3 of docs/rules.md).

use time::{Date, Duration};

use crate::{Anomaly, Code};

/// `ricercaSingolaRichiesta`, `ricercaElenchiRichieste` or
/// `parametriRicercaSoggetto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search3003 {
    ById(i64),
    ByComuneId(String),
    List {
        /// `statoLavorazione`: 1 accepted, 2 refused, 3 a repeated request.
        state: Option<u8>,
        operations: Vec<String>,
        period: (Date, Date),
    },
    Subject {
        key: String,
        period: Option<(Date, Date)>,
    },
}

/// A schema-valid `Richiesta3003`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request3003 {
    pub search: Search3003,
    /// `numeroPagina`, from 1.
    pub page: Option<u64>,
}

/// Requests per page of the reply.
pub const PAGE_SIZE: u64 = 50;

/// R-R2: a period is at most this long (as ANPR's 4005 since ANPR05).
pub const MAX_PERIOD_DAYS: i64 = 180;

/// The outcome the operation log records for `statoLavorazione`.
pub fn outcome_of_state(state: u8) -> Option<&'static str> {
    match state {
        1 => Some("OK"),
        2 => Some("KO"),
        3 => Some("REPLAY"),
        _ => None,
    }
}

/// `statoLavorazione` of a logged outcome.
pub fn state_of_outcome(outcome: &str) -> u8 {
    match outcome {
        "OK" => 1,
        "KO" => 2,
        _ => 3,
    }
}

/// R-R1, R-R2: the request's checks; the search as a period of dates.
pub fn check(r: &Request3003) -> Result<(), Anomaly> {
    let period = match &r.search {
        Search3003::List { state, period, .. } => {
            if let Some(s) = state {
                if outcome_of_state(*s).is_none() {
                    return Err(Anomaly::new(
                        Code::EN148,
                        format!("statoLavorazione {s} non previsto: 1 (accolta), 2 (respinta) o 3 (ripetuta)"),
                    )
                    .field("statoLavorazione")
                    .value(s.to_string()));
                }
            }
            Some(period)
        }
        Search3003::Subject { period, .. } => period.as_ref(),
        _ => None,
    };
    if let Some((from, to)) = period {
        if from > to {
            return Err(Anomaly::new(
                Code::EN148,
                format!(
                    "periodoRiferimentoRichieste: dataInizio {from} successiva a dataFine {to}"
                ),
            )
            .field("periodoRiferimentoRichieste"));
        }
        if *to - *from > Duration::days(MAX_PERIOD_DAYS) {
            return Err(Anomaly::new(
                Code::EN148,
                format!("periodoRiferimentoRichieste: al massimo {MAX_PERIOD_DAYS} giorni ({from} - {to})"),
            )
            .field("periodoRiferimentoRichieste"));
        }
    }
    if r.page == Some(0) {
        return Err(Anomaly::new(Code::EN148, "numeroPagina parte da 1")
            .field("numeroPagina")
            .value("0"));
    }
    Ok(())
}

/// R-R3: nothing found (or a page past the last) is EN122.
pub fn nothing_found() -> Anomaly {
    Anomaly::new(
        Code::EN122,
        "nessuna richiesta del comune corrisponde ai criteri",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn list(from: Date, to: Date) -> Request3003 {
        Request3003 {
            search: Search3003::List {
                state: None,
                operations: vec![],
                period: (from, to),
            },
            page: None,
        }
    }

    #[test]
    fn periods_run_forward_and_last_at_most_180_days() {
        assert!(check(&list(date!(2025 - 01 - 01), date!(2025 - 06 - 30))).is_ok());
        let e = check(&list(date!(2025 - 02 - 01), date!(2025 - 01 - 01))).unwrap_err();
        assert_eq!(e.code, Code::EN148);
        assert!(e.text.contains("successiva"), "{}", e.text);
        let e = check(&list(date!(2025 - 01 - 01), date!(2025 - 12 - 31))).unwrap_err();
        assert!(e.text.contains("180 giorni"), "{}", e.text);
    }

    #[test]
    fn states_and_pages_are_checked() {
        let mut r = list(date!(2025 - 01 - 01), date!(2025 - 01 - 02));
        r.search = Search3003::List {
            state: Some(4),
            operations: vec![],
            period: (date!(2025 - 01 - 01), date!(2025 - 01 - 02)),
        };
        assert_eq!(
            check(&r).unwrap_err().field.as_deref(),
            Some("statoLavorazione")
        );
        let r = Request3003 {
            search: Search3003::ById(1),
            page: Some(0),
        };
        assert_eq!(
            check(&r).unwrap_err().field.as_deref(),
            Some("numeroPagina")
        );
        for s in 1..=3 {
            assert_eq!(state_of_outcome(outcome_of_state(s).unwrap()), s);
        }
    }
}
