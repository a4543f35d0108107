//! The values a request carries into the services and the answer it gets back.

use urna_domain::StationId;
use urna_store::StoreError;
use urna_wire::{Element, Operation};

/// Who is calling: the station identity from the TLS client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub station: StationId,
}

/// What the verified security frame established about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    /// The operator's codice fiscale (SAML NameID).
    pub operator: String,
    /// SHA-256 of the message signature: accepted once.
    pub replay_key: String,
    /// Until when the message could be accepted (Unix ms).
    pub expires_ms: i64,
}

/// One request of a batch.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub op: Operation,
    pub payload: &'a Element,
    pub caller: &'a Caller,
    pub correlation_id: &'a str,
    /// `None` when the security frame is not required (tools, tests of the
    /// layers below it).
    pub auth: Option<&'a Authentication>,
}

/// How a request was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Ok,
    Ko,
    /// Same idOperazioneComune and same content: the stored answer, nothing executed.
    Replay,
}

impl Settled {
    pub fn as_str(self) -> &'static str {
        match self {
            Settled::Ok => "OK",
            Settled::Ko => "KO",
            Settled::Replay => "REPLAY",
        }
    }
}

/// The answer to send (the Body child) and what the log needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The reply's Body child; with a [`Handled::file`], its placeholder
    /// stands where the file's content goes.
    pub body: String,
    /// A file the transport streams into the reply (7002).
    pub file: Option<urna_wire::tables::StreamedFile>,
    pub id_operazione_anpr: i64,
    pub settled: Settled,
    pub codes: Vec<&'static str>,
}

/// Why a request got no ANPR reply (the transport answers with a fault).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// codMittente names another comune than the caller's certificate.
    #[error("codMittente {cod_mittente} differs from the comune {cert_istat} of the station certificate {cn}")]
    IdentityMismatch {
        cod_mittente: String,
        cert_istat: String,
        cn: String,
    },
    /// The same signed message was already accepted (replay protection).
    #[error("this message (its signature) was already accepted; sign every request anew")]
    Replay,
    /// The SAML operator is not registered for the comune.
    #[error("operator {operator} is not registered for comune {comune}: register the operator (urna operators add) before calling")]
    OperatorUnknown { operator: String, comune: String },
    /// The operator lacks the profile the operation needs.
    #[error("operator {operator} of comune {comune} has profiles [{held}]; operation {operation} needs the {required} profile (ufficiale elettorale)")]
    OperatorNotProfiled {
        operator: String,
        comune: String,
        operation: &'static str,
        required: urna_domain::operator::Profile,
        held: String,
    },
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The certificate could not be produced (no seal configured, or the
    /// document or its seal failed).
    #[error("the certificate could not be produced: {0}")]
    Certificate(String),
}
