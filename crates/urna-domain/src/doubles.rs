//! Double registrations ("doppie iscrizioni", rules R-D1…R-D3 of
//! docs/rules.md): a subject on the general list of one comune that another
//! comune's takeover also lists. urna keeps one general list per subject, so
//! the second placement is never written: it is recorded as an anomaly both
//! comuni see, until the comune that is not competent resolves it.

use crate::elector::ElectorState;

/// R-D1: the comune holding the subject on its general list, when `sender`'s
/// first load of the subject meets it there.
pub fn holder_met_by<'s>(sender: &str, current: &'s ElectorState) -> Option<&'s str> {
    current
        .general
        .as_ref()
        .map(|(l, _)| l.comune.as_str())
        .filter(|holder| *holder != sender)
}

/// R-D2: a double registration held by `holder` is over once the subject is
/// no longer on `holder`'s general list (cancelled or moved by the holder).
pub fn resolved_by_holder(holder: &str, state: &ElectorState) -> bool {
    state.general.as_ref().map(|(l, _)| l.comune.as_str()) != Some(holder)
}

/// R-D3: a comune's standing on double registrations, one of the conditions
/// of the contribution request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// No open double registration involves the comune.
    pub resolved: bool,
    /// When the last one closed (Unix ms), if any ever did.
    pub since: Option<i64>,
}

/// The status from the comune's double registrations as `(closed_at)` of
/// each: `None` while open.
pub fn status(closed: impl IntoIterator<Item = Option<i64>>) -> Status {
    let mut s = Status {
        resolved: true,
        since: None,
    };
    for c in closed {
        match c {
            None => s.resolved = false,
            Some(at) => s.since = Some(s.since.map_or(at, |t: i64| t.max(at))),
        }
    }
    if !s.resolved {
        s.since = None;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elector::ListRef;
    use time::macros::date;

    fn on_list_of(comune: &str) -> ElectorState {
        ElectorState {
            elettore: Some(true),
            general: Some((
                ListRef {
                    comune: comune.into(),
                    sezione: "1".into(),
                },
                date!(2024 - 01 - 01),
            )),
            ..ElectorState::default()
        }
    }

    #[test]
    fn a_first_load_meeting_another_comunes_list_is_a_double_registration() {
        assert_eq!(
            holder_met_by("015146", &on_list_of("058091")),
            Some("058091")
        );
        assert_eq!(holder_met_by("058091", &on_list_of("058091")), None);
        assert_eq!(holder_met_by("015146", &ElectorState::default()), None);
    }

    #[test]
    fn the_holder_resolves_by_no_longer_holding() {
        assert!(!resolved_by_holder("058091", &on_list_of("058091")));
        assert!(resolved_by_holder("058091", &on_list_of("015146")));
        assert!(resolved_by_holder("058091", &ElectorState::default()));
    }

    #[test]
    fn status_is_resolved_when_nothing_is_open_since_the_last_closure() {
        assert_eq!(
            status([]),
            Status {
                resolved: true,
                since: None
            }
        );
        assert_eq!(
            status([Some(5), Some(9), Some(7)]),
            Status {
                resolved: true,
                since: Some(9)
            }
        );
        assert_eq!(
            status([Some(5), None]),
            Status {
                resolved: false,
                since: None
            }
        );
    }
}
