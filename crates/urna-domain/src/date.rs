//! Calendar dates as the wire (`xs:date`) and the store write them:
//! `YYYY-MM-DD`, which is also how [`time::Date`] displays.

use time::Date;

/// Parses an `xs:date` (`YYYY-MM-DD`, optionally followed by a timezone,
/// which a calendar date of the lists does not need).
pub fn parse_xs_date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.get(..10)?, &fmt).ok()
}

/// `#[serde(with = "urna_domain::date::serde_ymd")]`: a [`Date`] as a
/// `YYYY-MM-DD` string (the form the stored JSON details always had).
pub mod serde_ymd {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(d)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse_xs_date(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a YYYY-MM-DD date")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn dates_display_and_parse_as_yyyy_mm_dd() {
        assert_eq!(date!(2025 - 01 - 10).to_string(), "2025-01-10");
        assert_eq!(parse_xs_date("2025-01-10"), Some(date!(2025 - 01 - 10)));
        assert_eq!(
            parse_xs_date("2025-01-10+01:00"),
            Some(date!(2025 - 01 - 10))
        );
        assert_eq!(parse_xs_date("2025-13-10"), None);
        assert_eq!(parse_xs_date("10/01/2025"), None);
    }

    #[test]
    fn serde_ymd_round_trips_as_a_string() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct D(#[serde(with = "serde_ymd")] Date);
        let json = serde_json::to_string(&D(date!(2025 - 06 - 08))).unwrap();
        assert_eq!(json, "\"2025-06-08\"");
        assert_eq!(
            serde_json::from_str::<D>(&json).unwrap(),
            D(date!(2025 - 06 - 08))
        );
        assert!(serde_json::from_str::<D>("\"2025-6-8\"").is_err());
    }
}
