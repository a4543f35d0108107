//! One module per ANPR operation, each implementing [`ServiceOperation`]:
//! read the typed request from the schema-valid tree, plan it against what is
//! stored (reads only), apply the accepted change inside the request's
//! transaction, render the reply. The batch machinery (`crate::batch`) runs
//! every operation the same way: idempotency, the operation record, the
//! remembered answer and the audit entry are its business, not theirs.
//!
//! Adding an operation: a module here, one line in [`registered`], its
//! `Operation` variant and XSD in `urna-wire` (see ARCHITECTURE.md).

mod async_requests;
mod certificate_issue;
mod elector_mutation;
mod extraction_request;
mod file_download;
mod legacy;
mod request_search;
mod section_delete;
mod section_query;
mod section_upsert;
mod subject_query;
mod table_download;
mod versions;

use std::sync::Arc;
use time::OffsetDateTime;

use urna_domain::consultation::Viewer;
use urna_domain::header::{check_header, HeaderPolicy, RequestHeader};
use urna_domain::section::{ComuneRef, SenderComune};
use urna_domain::{Anomaly, Code};
use urna_store::{comuni, AnyConnection};
use urna_wire::messages::{self, Outcome, ResponseMeta};
use urna_wire::tables::StreamedFile;
use urna_wire::{Element, Operation};

use crate::certificates::CertificateIssuer;
use crate::{ServiceError, Services};

pub(crate) use certificate_issue::{find_holder, holder_of};
pub(crate) use section_upsert::with_owner;

/// The rules' verdict: the change to write, or the blocking anomalies.
pub(crate) type Decision<C> = Result<C, Vec<Anomaly>>;

/// What an operation's plan may read: the request's transaction (before any
/// write), the sending comune as the registry knows it, the header, the clock.
pub(crate) struct Context<'a> {
    pub conn: &'a mut AnyConnection,
    pub sender: SenderComune,
    pub header: &'a RequestHeader,
    pub now: OffsetDateTime,
    /// The certificate issuer, when the deployment has one (6001).
    pub certificates: Option<Arc<CertificateIssuer>>,
    /// Whether the operator sees electoral detail (its profile).
    pub viewer: Viewer,
    /// The header policy the request was checked against (7003 lists its
    /// versions).
    pub policy: &'a HeaderPolicy,
}

impl Context<'_> {
    /// The server's date, as stored dates are compared (`YYYY-MM-DD`).
    pub fn today(&self) -> String {
        self.now.date().to_string()
    }

    pub fn now_ms(&self) -> i64 {
        (self.now.unix_timestamp_nanos() / 1_000_000) as i64
    }
}

/// The operation record a change is written under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stamp {
    /// The `idOperazioneANPR` given to the request.
    pub id_operazione_anpr: i64,
    /// When the request was received (Unix ms).
    pub received_at: i64,
}

/// One ANPR operation.
pub(crate) trait ServiceOperation {
    /// The operation served.
    const OPERATION: Operation;
    /// The request, read from the schema-valid payload.
    type Request;
    /// What the rules accepted, to be written by [`ServiceOperation::apply`].
    type Change: 'static;

    /// Reads the typed request. The payload passed the XSD, so a missing
    /// required element is a server defect ([`ServiceError::Corrupt`]).
    fn extract(payload: &Element, header: &RequestHeader) -> Result<Self::Request, ServiceError>;

    /// Applies the business rules; reads only.
    fn plan(
        ctx: &mut Context<'_>,
        request: Self::Request,
    ) -> Result<Decision<Self::Change>, ServiceError>;

    /// Writes the accepted change in the request's transaction and says what
    /// the reply carries.
    fn apply(
        conn: &mut AnyConnection,
        change: Self::Change,
        stamp: Stamp,
    ) -> Result<Outcome, ServiceError>;

    /// The reply's Body child.
    fn render(header: &RequestHeader, meta: &ResponseMeta, outcome: &Outcome) -> String {
        messages::write_response(Self::OPERATION, header, meta, outcome)
    }

    /// The reply a retry with the same idOperazioneComune gets, when it is
    /// not the one sent (`None`: the same).
    fn remembered_reply(_: &RequestHeader, _: &ResponseMeta, _: &Outcome) -> Option<String> {
        None
    }

    /// The reply a retry sends, from the remembered one of operation
    /// `operation_id` (the same, unless the operation keeps part of it
    /// elsewhere).
    fn replayed(
        _: &mut AnyConnection,
        remembered: String,
        _operation_id: i64,
    ) -> Result<Reply, ServiceError> {
        Ok(Reply::body(remembered))
    }
}

/// A reply's Body child, and the file the transport streams into it.
#[derive(Debug)]
pub(crate) struct Reply {
    pub body: String,
    pub file: Option<StreamedFile>,
}

impl Reply {
    pub fn body(body: String) -> Reply {
        Reply { body, file: None }
    }
}

/// An accepted change with its operation's type erased, so that the batch
/// machinery is one code path for every operation.
pub(crate) type Apply = Box<dyn FnOnce(&mut AnyConnection, Stamp) -> Result<Outcome, ServiceError>>;

/// An operation as the batch machinery calls it.
pub(crate) struct Registered {
    op: Operation,
    plan: fn(&mut Context<'_>, &Element) -> Result<Decision<Apply>, ServiceError>,
    pub render: fn(&RequestHeader, &ResponseMeta, &Outcome) -> String,
    pub remembered_reply: fn(&RequestHeader, &ResponseMeta, &Outcome) -> Option<String>,
    pub replayed: fn(&mut AnyConnection, String, i64) -> Result<Reply, ServiceError>,
}

impl Registered {
    fn of<O: ServiceOperation>() -> Registered {
        Registered {
            op: O::OPERATION,
            plan: |ctx, payload| {
                let request = O::extract(payload, ctx.header)?;
                Ok(O::plan(ctx, request)?.map(|change| -> Apply {
                    Box::new(move |conn, stamp| O::apply(conn, change, stamp))
                }))
            },
            render: O::render,
            remembered_reply: O::remembered_reply,
            replayed: O::replayed,
        }
    }

    /// The header rules every operation shares, then the operation's own
    /// plan; reads only.
    pub fn plan(
        &self,
        conn: &mut AnyConnection,
        payload: &Element,
        header: &RequestHeader,
        now: OffsetDateTime,
        services: &Services,
        viewer: Viewer,
    ) -> Result<Decision<Apply>, ServiceError> {
        let today = now.date().to_string();
        let Some(comune) = comuni::active(conn, header.cod_mittente.as_str(), &today)? else {
            return Ok(Err(vec![Anomaly::new(
                Code::EC090,
                format!(
                    "codMittente {} non e' un comune attivo alla data {today}",
                    header.cod_mittente
                ),
            )
            .field("codMittente")
            .value(header.cod_mittente.as_str())]));
        };
        let op = self.op;
        let errors = check_header(
            header,
            op.code(),
            op.is_registration(),
            now,
            &services.policy,
        );
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        let mut ctx = Context {
            conn,
            sender: SenderComune {
                istat: comune.istat,
                nome: comune.nome,
                sigla: comune.sigla,
            },
            header,
            now,
            certificates: services.certificates.clone(),
            viewer,
            policy: &services.policy,
        };
        (self.plan)(&mut ctx, payload)
    }
}

/// The module serving `op`: the registry of operations.
pub(crate) fn registered(op: Operation) -> Registered {
    match op {
        Operation::Mutazione5011 => Registered::of::<section_upsert::SectionUpsert>(),
        Operation::Cancellazione2012 => Registered::of::<section_delete::SectionDelete>(),
        Operation::Consultazione3008 => Registered::of::<section_query::SectionQuery>(),
        Operation::Interrogazione3002 => Registered::of::<subject_query::SubjectQuery>(),
        Operation::Richieste3003 => Registered::of::<request_search::RequestSearch>(),
        Operation::Mutazione5010 => Registered::of::<elector_mutation::ElectorMutation>(),
        Operation::Certificato6001 => Registered::of::<certificate_issue::CertificateIssue>(),
        Operation::Mutazione5008 => Registered::of::<legacy::Legacy5008>(),
        Operation::Iscrizione1002 => Registered::of::<legacy::Legacy1002>(),
        Operation::IscrizioneAireA002 => Registered::of::<legacy::LegacyA002>(),
        Operation::Estrazione4001 => Registered::of::<extraction_request::ExtractionRequest>(),
        Operation::Asincrone4005 => Registered::of::<async_requests::AsyncRequests>(),
        Operation::Tabelle7001 => Registered::of::<table_download::TableDownload>(),
        Operation::Download7002 => Registered::of::<file_download::FileDownload>(),
        Operation::Versioni7003 => Registered::of::<versions::Versions>(),
    }
}

/// The comune a 2012/3008 names in `block/comune` (empty when absent).
fn requested_comune(block: Option<&Element>) -> ComuneRef {
    block
        .and_then(|b| b.child("comune"))
        .map(messages::comune_ref)
        .unwrap_or_default()
}
