//! Checks on `testataRichiesta` (spec §4.1, §15.14, §18.1) that need no stored state.

use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::catalogue::{Anomaly, Code};

/// `tipoTestataRichiesta`, as received (XSD-valid, so lengths and patterns hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestHeader {
    pub id_operazione_comune: String,
    pub cod_mittente: String,
    pub cod_destinatario: String,
    pub operazione_richiesta: String,
    pub data_ora_richiesta: String,
    pub tipo_operazione: String,
    pub protocollo_comune: Option<String>,
    pub data_protocollo_comune: Option<String>,
    pub tipo_invio: String,
    pub data_decorrenza: Option<String>,
    pub data_definizione_pratica: Option<String>,
    pub nome_applicativo: Option<String>,
    pub versione_applicativo: Option<String>,
    pub fornitore_applicativo: Option<String>,
}

/// What the deployment accepts in the header.
#[derive(Debug, Clone)]
pub struct HeaderPolicy {
    /// `codDestinatario` tags accepted for the electoral services (spec §15.14).
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
    if !matches!(h.tipo_operazione.as_str(), "C" | "V" | "R") {
        out.push(
            Anomaly::new(Code::EHR26, "valori ammessi C, V, R")
                .field("tipoOperazione")
                .value(&h.tipo_operazione),
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
    match parse_xs_datetime(&h.data_ora_richiesta) {
        Some(t) if (t - now).abs() <= policy.max_clock_skew => {}
        _ => out.push(
            Anomaly::new(
                Code::EHR09,
                format!(
                    "data richiesta {} incompatibile con la data di sistema {}",
                    h.data_ora_richiesta,
                    now.date()
                ),
            )
            .field("dataOraRichiesta")
            .value(&h.data_ora_richiesta),
        ),
    }
    let today = now.date();
    match (&h.data_decorrenza, registration) {
        (None, true) => out.push(Anomaly::new(Code::EHR97, "").field("dataDecorrenza")),
        (Some(d), _) if parse_xs_date(d).is_some_and(|d| d > today) => out.push(
            Anomaly::new(Code::EHR18, format!("{d} successiva a {today}"))
                .field("dataDecorrenza")
                .value(d),
        ),
        _ => {}
    }
    if let Some(d) = &h.data_protocollo_comune {
        if parse_xs_date(d).is_some_and(|d| d > today) {
            out.push(
                Anomaly::new(Code::EHR19, format!("{d} successiva a {today}"))
                    .field("dataProtocolloComune")
                    .value(d),
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
        RequestHeader {
            id_operazione_comune: "A1".into(),
            cod_mittente: "058091".into(),
            cod_destinatario: "ANPR05".into(),
            operazione_richiesta: "5011".into(),
            data_ora_richiesta: "2025-01-10T10:00:00".into(),
            tipo_operazione: "V".into(),
            tipo_invio: "TEST".into(),
            data_decorrenza: Some("2025-01-10".into()),
            ..Default::default()
        }
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
            tipo_operazione: "X".into(),
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
            data_ora_richiesta: "2024-01-10T10:00:00".into(),
            ..header()
        };
        assert_eq!(codes(&h, true), ["EHR09"]);
        let h = RequestHeader {
            data_ora_richiesta: "2025-01-10T10:00:00Z".into(),
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
            data_decorrenza: Some("2025-02-01".into()),
            ..header()
        };
        assert_eq!(codes(&h, true), ["EHR18"]);
        let h = RequestHeader {
            data_protocollo_comune: Some("2025-02-01".into()),
            ..header()
        };
        assert_eq!(codes(&h, true), ["EHR19"]);
    }

    #[test]
    fn xs_dates_with_timezones_parse() {
        assert!(parse_xs_date("2025-01-10+01:00").is_some());
        assert!(parse_xs_date("2025-01-10Z").is_some());
        assert!(parse_xs_datetime("2025-01-10T10:00:00.123+02:00").is_some());
        assert!(parse_xs_datetime("2025-01-10T10:00:00.5").is_some());
    }
}
