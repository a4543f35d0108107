//! Audit records: one per request, appended to the hash-chained log at the
//! end of the request's own transaction, or, for requests refused before the
//! services ran, in a transaction of their own.

use std::borrow::Cow;

use urna_store::StoreError;
use urna_wire::{FaultReason, Operation};

use crate::{Caller, Services, Settled};

/// An audit entry waiting to be appended: at the end of its request's
/// transaction, or for a refusal ([`Services::refusal`]) by
/// [`Services::audit_refusals`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    at_ms: i64,
    operation: &'static str,
    /// `OK`, `KO`, `REPLAY`, or `FAULT:<reason>`.
    outcome: Cow<'static, str>,
    id_operazione_anpr: Option<i64>,
    comune: Option<String>,
    station: String,
    /// The SAML operator.
    operator: Option<String>,
    /// `wss-saml` (station + operator), `tls` (station alone), `system`
    /// (urna's own housekeeping), `anonymous-captcha` (the public page).
    auth_mode: &'static str,
    request_digest: String,
    response_digest: String,
}

/// What a served request's audit entry says, besides its answer.
pub(crate) struct Served<'a> {
    pub at_ms: i64,
    pub op: Operation,
    pub comune: &'a str,
    pub station: &'a str,
    pub operator: Option<&'a str>,
    pub request_digest: &'a str,
}

impl Served<'_> {
    /// The entry of this request settled as `outcome` under operation `id`.
    pub fn record(&self, outcome: Settled, id: i64, body: &str) -> AuditRecord {
        AuditRecord {
            at_ms: self.at_ms,
            operation: self.op.code(),
            outcome: Cow::Borrowed(outcome.as_str()),
            id_operazione_anpr: Some(id),
            comune: Some(self.comune.to_string()),
            station: self.station.to_string(),
            operator: self.operator.map(str::to_string),
            auth_mode: auth_mode(self.operator.is_some()),
            request_digest: self.request_digest.to_string(),
            response_digest: sha256_hex(body.as_bytes()),
        }
    }
}

impl AuditRecord {
    /// An entry that is not a SOAP request: urna's housekeeping or a view
    /// of the public page. `subject` (e.g. a certificate id, a bearer
    /// secret) is recorded only as its SHA-256.
    pub(crate) fn event(
        at_ms: i64,
        operation: &'static str,
        outcome: impl Into<String>,
        station: impl Into<String>,
        auth_mode: &'static str,
        subject: &str,
    ) -> AuditRecord {
        AuditRecord {
            at_ms,
            operation,
            outcome: Cow::Owned(outcome.into()),
            id_operazione_anpr: None,
            comune: None,
            station: station.into(),
            operator: None,
            auth_mode,
            request_digest: sha256_hex(subject.as_bytes()),
            response_digest: sha256_hex(b""),
        }
    }

    pub(crate) fn entry(&self) -> urna_store::audit::Entry<'_> {
        urna_store::audit::Entry {
            at_ms: self.at_ms,
            operation: self.operation,
            outcome: &self.outcome,
            id_operazione_anpr: self.id_operazione_anpr,
            comune: self.comune.as_deref(),
            station: &self.station,
            operator: self.operator.as_deref(),
            auth_mode: self.auth_mode,
            request_digest: &self.request_digest,
            response_digest: &self.response_digest,
        }
    }
}

/// How the caller was authenticated: by a SAML operator inside WS-Security,
/// or by the station's TLS certificate alone.
pub(crate) fn auth_mode(has_operator: bool) -> &'static str {
    if has_operator {
        "wss-saml"
    } else {
        "tls"
    }
}

impl Services {
    /// The audit entry of a request refused before the services ran
    /// (security frame, XSD, dispatch, replay), with its digests computed
    /// here, on the caller's thread; [`Services::audit_refusals`] appends it.
    #[allow(clippy::too_many_arguments)]
    pub fn refusal(
        &self,
        op: Option<Operation>,
        caller: &Caller,
        comune: Option<&str>,
        operator: Option<&str>,
        request: &[u8],
        reason: FaultReason,
        response: &str,
    ) -> AuditRecord {
        let now = self.now();
        AuditRecord {
            at_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            operation: op.map_or("unknown", |o| o.code()),
            outcome: Cow::Owned(format!("FAULT:{reason}")),
            id_operazione_anpr: None,
            comune: comune.map(str::to_string),
            station: caller.station.cn(),
            operator: operator.map(str::to_string),
            auth_mode: auth_mode(operator.is_some()),
            request_digest: sha256_hex(request),
            response_digest: sha256_hex(response.as_bytes()),
        }
    }

    /// Appends refusals to the audit log, all in one transaction: the log
    /// keeps refusals too.
    #[tracing::instrument(skip_all, fields(refusals = refusals.len()))]
    pub fn audit_refusals(&self, refusals: &[AuditRecord]) -> Result<(), StoreError> {
        self.store().write(|conn| {
            for r in refusals {
                urna_store::audit::append(conn, &r.entry())?;
            }
            Ok(())
        })
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(data))
}
