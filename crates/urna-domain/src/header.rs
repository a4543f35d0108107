//! Checks on `testataRichiesta` that need no stored state (docs/anpr-interface.md
//! §Header: fields, version tags, rules R-H1…R-H6).

use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::catalogue::{Anomaly, Code};
use crate::ids::{CodiceIstat, IdOperazioneComune};

/// A header value as received: its text, which the reply echoes and an
/// anomaly quotes, and its meaning when it has one the rules know (`None`
/// otherwise: the rule concerned refuses it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received<T> {
    pub text: String,
    pub value: Option<T>,
}

impl<T> Received<T> {
    pub fn parse(text: impl Into<String>, parse: impl FnOnce(&str) -> Option<T>) -> Self {
        let text = text.into();
        let value = parse(&text);
        Received { text, value }
    }
}

impl Received<Date> {
    /// An `xs:date`.
    pub fn date(text: impl Into<String>) -> Self {
        Received::parse(text, parse_xs_date)
    }
}

impl Received<OffsetDateTime> {
    /// An `xs:dateTime`.
    pub fn date_time(text: impl Into<String>) -> Self {
        Received::parse(text, parse_xs_datetime)
    }
}

/// `tipoOperazione` (docs/anpr-interface.md §Header; EHR26): C = citizen
/// request, V = correction, R = rectification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipoOperazione {
    C,
    V,
    R,
}

impl TipoOperazione {
    pub fn parse(code: &str) -> Option<TipoOperazione> {
        match code {
            "C" => Some(TipoOperazione::C),
            "V" => Some(TipoOperazione::V),
            "R" => Some(TipoOperazione::R),
            _ => None,
        }
    }
}

/// `tipoTestataRichiesta`, read from a schema-valid request: the identifiers
/// typed, the values the rules judge with their text, the free texts and
/// open code sets (version tag, environment tag) as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    pub id_operazione_comune: IdOperazioneComune,
    pub cod_mittente: CodiceIstat,
    /// The interface version tag (`ANPR03`..`ANPR05`), checked against the policy.
    pub cod_destinatario: String,
    /// The operation code the sender means; checked against the request element.
    pub operazione_richiesta: String,
    pub data_ora_richiesta: Received<OffsetDateTime>,
    pub tipo_operazione: Received<TipoOperazione>,
    pub protocollo_comune: Option<String>,
    pub data_protocollo_comune: Option<Received<Date>>,
    /// The environment tag (`TEST`, `PRE_SUB`, `PROD`), checked against the policy.
    pub tipo_invio: String,
    pub data_decorrenza: Option<Received<Date>>,
    pub data_definizione_pratica: Option<Received<Date>>,
    pub nome_applicativo: Option<String>,
    pub versione_applicativo: Option<String>,
    pub fornitore_applicativo: Option<String>,
}

impl RequestHeader {
    /// A complete header that passes the rules on 2025-01-10: a 5011 from
    /// ROMA (058091), id `A1`, ANPR05, TEST, effective that day. A starting
    /// point for tests and examples (`..RequestHeader::example()`).
    pub fn example() -> RequestHeader {
        RequestHeader {
            id_operazione_comune: "A1".parse().expect("valid id"),
            cod_mittente: "058091".parse().expect("valid ISTAT code"),
            cod_destinatario: "ANPR05".into(),
            operazione_richiesta: "5011".into(),
            data_ora_richiesta: Received::date_time("2025-01-10T10:00:00"),
            tipo_operazione: Received::parse("V", TipoOperazione::parse),
            protocollo_comune: None,
            data_protocollo_comune: None,
            tipo_invio: "TEST".into(),
            data_decorrenza: Some(Received::date("2025-01-10")),
            data_definizione_pratica: None,
            nome_applicativo: None,
            versione_applicativo: None,
            fornitore_applicativo: None,
        }
    }

    /// The effective date, once the header rules accepted it.
    pub fn decorrenza(&self) -> Option<Date> {
        self.data_decorrenza.as_ref().and_then(|d| d.value)
    }
}

/// What the deployment accepts in the header.
#[derive(Debug, Clone)]
pub struct HeaderPolicy {
    /// `codDestinatario` tags accepted for the electoral services
    /// (docs/anpr-interface.md §Header, "Version tags"; urna's default: docs/decisions.md).
    pub accepted_versions: Vec<String>,
    /// The environment tag this server plays (`TEST`, `PRE_SUB`, `PROD`).
    pub tipo_invio: String,
    /// Largest accepted distance between `dataOraRichiesta` and the server clock.
    pub max_clock_skew: time::Duration,
}

impl Default for HeaderPolicy {
    fn default() -> Self {
        HeaderPolicy {
            accepted_versions: vec!["ANPR03".into(), "ANPR04".into(), "ANPR05".into()],
            tipo_invio: "TEST".into(),
            max_clock_skew: time::Duration::hours(24),
        }
    }
}

pub use crate::date::parse_xs_date;

/// Parses an `xs:dateTime`; without a timezone the value is read as Italian
/// local time (UTC+1), which is what gestionali send.
pub fn parse_xs_datetime(s: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    let (main, _) = s.split_once('Z').unwrap_or((s, ""));
    PrimitiveDateTime::parse(main, &fmt)
        .ok()
        .map(|p| p.assume_offset(UtcOffset::from_hms(1, 0, 0).expect("valid offset")))
}

/// Header rules that need no stored state. `expected_op` is the code implied by
/// the request element; `registration` is true for 5010/5011 (R-H6).
pub fn check_header(
    h: &RequestHeader,
    expected_op: &str,
    registration: bool,
    now: OffsetDateTime,
    policy: &HeaderPolicy,
) -> Vec<Anomaly> {
    let mut out = Vec::new();
    if !policy
        .accepted_versions
        .iter()
        .any(|v| v == &h.cod_destinatario)
    {
        out.push(
            Anomaly::new(
                Code::EN148,
                format!(
                    "CodDestinatario diverso da {}",
                    policy.accepted_versions.join(", ")
                ),
            )
            .field("codDestinatario")
            .value(&h.cod_destinatario),
        );
    }
    if h.operazione_richiesta != expected_op {
        out.push(
            Anomaly::new(
                Code::SP000,
                format!(
                    "operazioneRichiesta {} non corrisponde alla richiesta {}",
                    h.operazione_richiesta, expected_op
                ),
            )
            .field("operazioneRichiesta")
            .value(&h.operazione_richiesta),
        );
    }
    if h.tipo_operazione.value.is_none() {
        out.push(
            Anomaly::new(Code::EHR26, "valori ammessi C, V, R")
                .field("tipoOperazione")
                .value(&h.tipo_operazione.text),
        );
    }
    if h.tipo_invio != policy.tipo_invio {
        out.push(
            Anomaly::new(
                Code::EN148,
                format!(
                    "Valore errato di tipoInvio {}: questo ambiente accetta {}",
                    h.tipo_invio, policy.tipo_invio
                ),
            )
            .field("tipoInvio")
            .value(&h.tipo_invio),
        );
    }
    match h.data_ora_richiesta.value {
        Some(t) if (t - now).abs() <= policy.max_clock_skew => {}
        _ => out.push(
            Anomaly::new(
                Code::EHR09,
                format!(
                    "data richiesta {} incompatibile con la data di sistema {}",
                    h.data_ora_richiesta.text,
                    now.date()
                ),
            )
            .field("dataOraRichiesta")
            .value(&h.data_ora_richiesta.text),
        ),
    }
    let today = now.date();
    match (&h.data_decorrenza, registration) {
        (None, true) => out.push(Anomaly::new(Code::EHR97, "").field("dataDecorrenza")),
        // An xs:date the rules cannot place on the calendar (a year
        // outside 0000-9999): the effective date must be a plain date.
        (Some(d), _) if d.value.is_none() => out.push(
            Anomaly::new(
                Code::EN148,
                format!("dataDecorrenza {} non e' una data AAAA-MM-GG", d.text),
            )
            .field("dataDecorrenza")
            .value(&d.text),
        ),
        (Some(d), _) if d.value.is_some_and(|d| d > today) => out.push(
            Anomaly::new(Code::EHR18, format!("{} successiva a {today}", d.text))
                .field("dataDecorrenza")
                .value(&d.text),
        ),
        _ => {}
    }
    if let Some(d) = &h.data_protocollo_comune {
        if d.value.is_some_and(|d| d > today) {
            out.push(
                Anomaly::new(Code::EHR19, format!("{} successiva a {today}", d.text))
                    .field("dataProtocolloComune")
                    .value(&d.text),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn header() -> RequestHeader {
        RequestHeader::example()
    }

    const NOW: OffsetDateTime = datetime!(2025-01-10 09:30 UTC);

    fn codes(h: &RequestHeader, registration: bool) -> Vec<&'static str> {
        check_header(h, "5011", registration, NOW, &HeaderPolicy::default())
            .iter()
            .map(|a| a.code.wire())
            .collect()
    }

    #[test]
    fn a_good_header_passes() {
        assert!(codes(&header(), true).is_empty());
    }

    #[test]
    fn version_tag_below_anpr03_is_refused() {
        let h = RequestHeader {
            cod_destinatario: "ANPR02".into(),
            ..header()
        };
        assert_eq!(codes(&h, true), ["EN148"]);
    }

    #[test]
    fn operation_must_match_root_element() {
        let h = RequestHeader {
            operazione_richiesta: "5010".into(),
            ..header()
        };
        assert_eq!(codes(&h, true), ["SP000"]);
    }

    #[test]
    fn tipo_operazione_must_be_c_v_or_r() {
        let h = RequestHeader {
            tipo_operazione: Received::parse("X", TipoOperazione::parse),
            ..header()
        };
        assert_eq!(codes(&h, true), ["EHR26"]);
    }

    #[test]
    fn tipo_invio_must_match_environment() {
        let h = RequestHeader {
            tipo_invio: "PROD".into(),
            ..header()
        };
        let a = check_header(&h, "5011", true, NOW, &HeaderPolicy::default());
        assert_eq!(a[0].code, Code::EN148);
        assert!(a[0].text.contains("tipoInvio PROD"));
    }

    #[test]
    fn request_time_far_from_server_clock_is_refused() {
        let h = RequestHeader {
            data_ora_richiesta: Received::date_time("2024-01-10T10:00:00"),
            ..header()
        };
        assert_eq!(codes(&h, true), ["EHR09"]);
        let h = RequestHeader {
            data_ora_richiesta: Received::date_time("2025-01-10T10:00:00Z"),
            ..header()
        };
        assert!(codes(&h, true).is_empty());
    }

    #[test]
    fn data_decorrenza_is_required_for_registrations_only() {
        let h = RequestHeader {
            data_decorrenza: None,
            ..header()
        };
        assert_eq!(codes(&h, true), ["EHR97"]);
        assert!(codes(&h, false).is_empty());
    }

    #[test]
    fn future_dates_are_refused() {
        let h = RequestHeader {
            data_decorrenza: Some(Received::date("2025-02-01")),
            ..header()
        };
        assert_eq!(codes(&h, true), ["EHR18"]);
        let h = RequestHeader {
            data_protocollo_comune: Some(Received::date("2025-02-01")),
            ..header()
        };
        assert_eq!(codes(&h, true), ["EHR19"]);
    }

    #[test]
    fn an_effective_date_off_the_calendar_is_refused() {
        let h = RequestHeader {
            data_decorrenza: Some(Received::date("12025-01-10")),
            ..header()
        };
        let a = check_header(&h, "5011", true, NOW, &HeaderPolicy::default());
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].code, Code::EN148);
        assert!(a[0].text.contains("12025-01-10"), "{}", a[0].text);
    }

    #[test]
    fn xs_dates_with_timezones_parse() {
        assert!(parse_xs_date("2025-01-10+01:00").is_some());
        assert!(parse_xs_date("2025-01-10Z").is_some());
        assert!(parse_xs_datetime("2025-01-10T10:00:00.123+02:00").is_some());
        assert!(parse_xs_datetime("2025-01-10T10:00:00.5").is_some());
    }
}
