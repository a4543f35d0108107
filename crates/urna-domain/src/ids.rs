//! Parse-don't-validate newtypes for the identifiers that cross the wire.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("ISTAT code must be exactly 6 ASCII digits, got {0:?}")]
    Istat(String),
    #[error("idOperazioneComune must be 1..30 characters of [0-9a-zA-Z], got {0:?}")]
    IdOperazione(String),
    #[error("station certificate CN must look like <ISTAT>-<CO|PC>-<NNNN>, got {0:?}")]
    Station(String),
}

/// A comune's 6-digit ISTAT code (`tipoCodiceIstatComune`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct CodiceIstat(String);

impl CodiceIstat {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CodiceIstat {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(CodiceIstat(s.to_string()))
        } else {
            Err(IdError::Istat(s.to_string()))
        }
    }
}

impl fmt::Display for CodiceIstat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The client-assigned operation id, the idempotency key (docs/anpr-interface.md
/// §Header, R-H1..R-H3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdOperazioneComune(String);

impl IdOperazioneComune {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for IdOperazioneComune {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if (1..=30).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(IdOperazioneComune(s.to_string()))
        } else {
            Err(IdError::IdOperazione(s.to_string()))
        }
    }
}

/// Kind of station certificate: `CO` (comune/server) or `PC` (workstation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StationKind {
    Co,
    Pc,
}

/// The identity in a station certificate's subject: `CN=<ISTAT>-<TT>-<NNNN>`
/// (docs/security.md, "Station certificates").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StationId {
    pub istat: CodiceIstat,
    pub kind: StationKind,
    pub number: String,
}

impl StationId {
    pub fn cn(&self) -> String {
        self.to_string()
    }
}

impl FromStr for StationId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || IdError::Station(s.to_string());
        let mut parts = s.split('-');
        let (istat, kind, number) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(i), Some(k), Some(n), None) => (i, k, n),
            _ => return Err(err()),
        };
        let istat = istat.parse().map_err(|_| err())?;
        let kind = match kind {
            "CO" => StationKind::Co,
            "PC" => StationKind::Pc,
            _ => return Err(err()),
        };
        if number.len() != 4 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        Ok(StationId {
            istat,
            kind,
            number: number.to_string(),
        })
    }
}

impl fmt::Display for StationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            StationKind::Co => "CO",
            StationKind::Pc => "PC",
        };
        write!(f, "{}-{}-{}", self.istat, kind, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istat_is_six_digits() {
        assert!("058091".parse::<CodiceIstat>().is_ok());
        for bad in ["58091", "0580911", "05809a", "", " 58091"] {
            assert!(bad.parse::<CodiceIstat>().is_err(), "{bad}");
        }
    }

    #[test]
    fn id_operazione_is_alphanumeric_up_to_30() {
        assert!("A1b2C3".parse::<IdOperazioneComune>().is_ok());
        assert!("x".repeat(30).parse::<IdOperazioneComune>().is_ok());
        assert!("x".repeat(31).parse::<IdOperazioneComune>().is_err());
        assert!("a-b".parse::<IdOperazioneComune>().is_err());
        assert!("".parse::<IdOperazioneComune>().is_err());
    }

    #[test]
    fn station_cn_round_trips() {
        let s: StationId = "058091-PC-0001".parse().unwrap();
        assert_eq!(s.istat.as_str(), "058091");
        assert_eq!(s.kind, StationKind::Pc);
        assert_eq!(s.cn(), "058091-PC-0001");
        assert!("058091-CO-9999".parse::<StationId>().is_ok());
        for bad in [
            "058091-XX-0001",
            "058091-PC-001",
            "58091-PC-0001",
            "058091-PC-0001-1",
            "058091PC0001",
        ] {
            assert!(bad.parse::<StationId>().is_err(), "{bad}");
        }
    }
}
