//! urna's development PKI, mimicking ANPR's (docs/security.md, "Station certificates").
//!
//! * a test CA, by default `CN=CA Postazioni Svil, OU=ANPR, O=Ministero dell'Interno, C=IT`
//!   ([`Ca`]);
//! * **station** (postazione / workstation) certificates with subject
//!   `CN=<ISTAT>-<TT>-<NNNN>, OU=Postazioni di lavoro, OU=Anagrafe Nazionale Popolazione
//!   Residente, O=Ministero dell'Interno, C=IT` (`TT` = `CO` or `PC`), basicConstraints
//!   `CA:false` (critical), extendedKeyUsage `clientAuth`, keyUsage `digitalSignature`
//!   (critical) ([`Ca::issue_station`]);
//! * a TLS server certificate (`serverAuth`) for e.g. `localhost` and `127.0.0.1`
//!   ([`Ca::issue_server`]);
//! * urna's RSA 2048 electronic seal certificate, which seals the electoral
//!   certificates of crate `urna-cert` ([`Ca::issue_seal`]);
//! * CRLs revoking station certificates ([`Ca::crl_pem`]);
//! * the on-disk layout used by `urna pki …` and the server ([`PkiDir`]);
//! * the parser urna applies to the certificate a client presents ([`station_cert`]).
//!
//! # Key algorithm
//!
//! Station keys and urna's service signing key are **RSA 2048**, as ANPR's,
//! because the XML signatures of the security frame are RSA-SHA1/RSA-SHA256. The CA and the TLS server key are ECDSA P-256 (fast
//! to generate; certificate signatures are not part of the XML profile).
#![forbid(unsafe_code)]

mod ca;
mod dir;
mod parse;

use std::path::PathBuf;

pub use ca::{Ca, Issued, SEAL_CN, SERVICE_SIGNER_CN};
pub use dir::{InitReport, PkiDir};
pub use parse::{pem_certs_to_der, pem_crls_to_der, station_cert, station_cert_pem, StationCert};

/// Common name of the development CA, as in ANPR's test environment.
pub const DEV_CA_COMMON_NAME: &str = "CA Postazioni Svil";

/// `O=` of every certificate subject issued here.
pub const ORGANIZATION: &str = "Ministero dell'Interno";

/// The `OU=` that marks a station (workstation) certificate.
pub const OU_POSTAZIONI: &str = "Postazioni di lavoro";

/// The second `OU=` of a station certificate.
pub const OU_ANPR_LONG: &str = "Anagrafe Nazionale Popolazione Residente";

/// The `OU=` of the CA (and of the server certificate).
pub const OU_ANPR: &str = "ANPR";

/// Errors of the development PKI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// Certificate or key generation/signing failed (rcgen).
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// Reading or writing a file of the PKI directory failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Malformed PEM data.
    #[error("invalid PEM: {0}")]
    Pem(String),
    /// A certificate or CRL could not be parsed (DER).
    #[error("invalid certificate: {0}")]
    Parse(String),
    /// The private key could not be loaded, or does not belong to the certificate.
    #[error("invalid private key: {0}")]
    Key(String),
    /// The certificate given as CA is not a CA certificate.
    #[error("not a CA certificate: {0}")]
    NotACa(String),
    /// The certificate is not a station (postazione) certificate.
    #[error("not a station certificate: {0}")]
    NotAStation(String),
    /// A string that is not a station CN `<ISTAT>-<CO|PC>-<NNNN>` was given.
    #[error("invalid station CN {0:?}: expected <ISTAT>-<CO|PC>-<NNNN>, e.g. 058091-PC-0001")]
    InvalidStation(String),
    /// No certificate for this station in the PKI directory.
    #[error("no certificate for station {cn} (expected {})", path.display())]
    UnknownStation {
        /// The station CN.
        cn: String,
        /// Where its certificate was looked for.
        path: PathBuf,
    },
    /// The PKI directory has no CA (run `init` first).
    #[error("no CA in {} (initialise the PKI first)", .0.display())]
    NotInitialised(PathBuf),
    /// Invalid server names (none, or not a DNS name / IP address).
    #[error("invalid server name(s): {0}")]
    InvalidName(String),
    /// `not_before` is not earlier than `not_after`.
    #[error("invalid validity: not_before {not_before} is not earlier than not_after {not_after}")]
    InvalidValidity {
        /// Requested start of validity.
        not_before: time::OffsetDateTime,
        /// Requested end of validity.
        not_after: time::OffsetDateTime,
    },
    /// A serial number that is not hexadecimal.
    #[error("invalid serial number {0:?}: expected hexadecimal digits")]
    InvalidSerial(String),
}
