//! urna's domain: the business rules of ANPR's electoral services, as pure functions.
//!
//! Nothing in this crate performs I/O. Every rule takes plain values (the parsed
//! request, a snapshot of the state it needs) and returns the anomalies it finds,
//! each carrying an EN code from [`catalogue`].
#![forbid(unsafe_code)]

pub mod alerts;
pub mod catalogue;
pub mod certificate;
pub mod codice_fiscale;
pub mod consultation;
pub mod date;
pub mod doubles;
pub mod elector;
pub mod extraction;
pub mod header;
pub mod ids;
pub mod operator;
pub mod requests;
pub mod section;
pub mod tables;

pub use catalogue::{Anomaly, Code, Severity};
pub use ids::{CodiceIstat, IdOperazioneComune, StationId};
