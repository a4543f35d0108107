//! The SOAP endpoint: one request through the pipeline.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use tracing::Instrument;
use urna_security::prescan;
use urna_service::{Caller, ServiceError};
use urna_wire::envelope::Fault;
use urna_wire::schemas::Port;
use urna_wire::FaultReason;

use crate::app::AppState;
use crate::config::MtomMode;
use crate::pipeline::Body;
use crate::tls::PeerIdentity;

pub(crate) const XML: &str = "text/xml; charset=UTF-8";

fn reply(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type(XML).body(body)
}

/// An answer: `text/xml`, or MTOM/XOP's `multipart/related`.
fn answer_response(body: Body) -> HttpResponse {
    match body {
        Body::Xml(envelope) => reply(StatusCode::OK, envelope),
        Body::Mtom(m) => HttpResponse::Ok().content_type(m.content_type).body(m.body),
        Body::Streamed(s) => crate::streamed::response(*s),
    }
}

fn fault_response(f: &Fault, envelope: String) -> HttpResponse {
    // ANPR's gateway answers every fault with HTTP 500 (docs/security.md,
    // "Transport"); a request urna cannot read as SOAP 1.1 at all gets 415
    // (WS-I BP R1120).
    let status = match f.reason {
        FaultReason::UnsupportedMediaType | FaultReason::SoapVersionMismatch => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut r = HttpResponse::build(status);
    r.content_type(XML);
    if let Some(s) = f.retry_after {
        r.insert_header(("Retry-After", s.to_string()));
    }
    r.body(envelope)
}

/// POST on a port's endpoint path.
pub async fn endpoint(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    port: &'static Port,
) -> HttpResponse {
    use actix_web::HttpMessage;
    // The id the observe middleware gave the request (a new one when the
    // endpoint runs without it, as in unit tests).
    let correlation = req
        .extensions()
        .get::<crate::observe::Correlation>()
        .map(|c| c.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(crate::observe::Logged);
    let span = tracing::info_span!(
        "request",
        correlation_id = %correlation,
        port = %urna_wire::messages::family_label(port.family),
        station = tracing::field::Empty,
        comune = tracing::field::Empty,
        operation = tracing::field::Empty,
    );
    let started = Instant::now();
    async move {
        let (op, outcome, response) = match pipeline(&req, payload, &state, port, &correlation).await {
            Ok((op, outcome, body)) => (op, outcome, answer_response(body)),
            Err((op, f, envelope)) => {
                let f = f.correlation(&correlation);
                tracing::warn!(reason = f.reason.code(), message = %f.message, line = f.line, column = f.column, "fault");
                // Faults raised before the request threads (TLS identity,
                // size, pre-scan) go out unsigned; the others come signed.
                let envelope = envelope.unwrap_or_else(|| {
                    crate::security::redact(f.clone(), state.verbose_faults).to_envelope()
                });
                (op, f.reason.code(), fault_response(&f, envelope))
            }
        };
        let elapsed = started.elapsed();
        metrics::counter!("urna_requests_total", "operation" => op, "outcome" => outcome).increment(1);
        metrics::histogram!("urna_request_duration_seconds", "operation" => op).record(elapsed.as_secs_f64());
        tracing::info!(outcome, duration_us = elapsed.as_micros() as u64, "done");
        response
    }
    .instrument(span)
    .await
}

/// The operation, the outcome and the body to send; or the fault as logged,
/// with its envelope when a request thread already built (and signed) it.
type PipelineResult =
    Result<(&'static str, &'static str, Body), (&'static str, Fault, Option<String>)>;

async fn pipeline(
    req: &HttpRequest,
    mut payload: web::Payload,
    state: &AppState,
    port: &'static Port,
    correlation: &str,
) -> PipelineResult {
    let unknown = "unknown";
    // Station identity from the TLS layer.
    let station = match req.conn_data::<PeerIdentity>() {
        Some(PeerIdentity::Station(s)) => s.clone(),
        Some(PeerIdentity::Refused { reason, message }) => {
            return Err((unknown, Fault::policy(*reason, message.clone()), None))
        }
        None => {
            return Err((
                unknown,
                Fault::policy(
                    FaultReason::NoClientCertificate,
                    "the connection is not TLS with a client certificate",
                ),
                None,
            ))
        }
    };
    let span = tracing::Span::current();
    span.record("station", station.station.cn().as_str());
    // 0. Blocks the alert rules set, then quotas, before any work on the body.
    if let Some(f) = state
        .blocks
        .refusal(&station.station.cn(), req.peer_addr().map(|a| a.ip()))
    {
        return Err((unknown, f, None));
    }
    if let Some(limiter) = &state.limiter {
        limiter
            .admit(&station.station.cn(), station.station.istat.as_str())
            .await
            .map_err(|f| (unknown, f, None))?;
    }
    // 1. Content-Type, then the size cap while reading.
    check_content_type(
        req.headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("(not ASCII)")),
    )
    .map_err(|f| (unknown, f, None))?;
    let max = state.max_body;
    if let Some(len) = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > max {
            return Err((unknown, too_large(max), None));
        }
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            (
                unknown,
                Fault::client(
                    FaultReason::BadHttpBody,
                    format!("cannot read the request body: {e}"),
                ),
                None,
            )
        })?;
        if body.len() + chunk.len() > max {
            return Err((unknown, too_large(max), None));
        }
        body.extend_from_slice(&chunk);
    }
    // 1b. Streaming pre-scan.
    prescan::prescan(&body, state.limits).map_err(|f| (unknown, f, None))?;
    // 2–7. Strict parse, security frame, dispatch, XSD gate and the service,
    // on the gate and request threads (pipeline.rs).
    let job = crate::pipeline::Job {
        body: body.to_vec(),
        family: port.family,
        caller: Caller {
            station: station.station.clone(),
        },
        correlation: correlation.to_string(),
        tls: Some((station.fingerprint_sha256.clone(), station.station.cn())),
        mtom: wants_mtom(state.mtom, accept(req).as_deref()),
    };
    // One station's share of the pipeline (fair.rs).
    let _slot = state.in_flight.enter(&station.station.cn()).await;
    let result = state.requests.submit(job).await.map_err(|e| {
        (
            unknown,
            Fault::server(FaultReason::WorkerFailure, e.to_string()),
            None,
        )
    })?;
    match result {
        Ok((op, handled, body)) => {
            span.record("operation", op.code());
            span.record("comune", station.station.istat.as_str());
            tracing::info!(
                id_operazione_anpr = handled.id_operazione_anpr,
                settled = handled.settled.as_str(),
                codes = %handled.codes.join(","),
                mtom = body.is_mtom(),
                "answered"
            );
            Ok((op.code(), handled.settled.as_str(), body))
        }
        Err((op, f, envelope)) => Err((op.map(|o| o.code()).unwrap_or(unknown), f, Some(envelope))),
    }
}

/// The request's `Accept` header, its lines joined (a value that is not
/// visible ASCII is left out); `None` without one.
fn accept(req: &HttpRequest) -> Option<String> {
    let values: Vec<&str> = req
        .headers()
        .get_all(actix_web::http::header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Whether a 6001 reply that carries a PDF goes out as MTOM/XOP
/// (docs/decisions.md). `auto`: yes unless the request has an `Accept`
/// header and none of its media ranges with a non-zero `q` admits
/// `multipart/related` (`*/*`, `multipart/*`, `multipart/related`) or names
/// `application/xop+xml`, the root part's type. So `Accept: text/xml` (or
/// any list of XML types) asks for inline base64, and a request without
/// `Accept`, or with an empty one, gets MTOM, as from ANPR.
pub(crate) fn wants_mtom(mode: MtomMode, accept: Option<&str>) -> bool {
    match mode {
        MtomMode::Always => true,
        MtomMode::Never => false,
        MtomMode::Auto => match accept.map(str::trim) {
            None | Some("") => true,
            Some(accept) => accept.split(',').any(admits_mtom),
        },
    }
}

/// One media range of an `Accept` header (RFC 9110 §12.5.1) admits MTOM.
fn admits_mtom(range: &str) -> bool {
    let mut parts = range.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let refused = parts.any(|p| match p.split_once('=') {
        Some((k, v)) => {
            k.trim().eq_ignore_ascii_case("q") && v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
        }
        None => false,
    });
    !refused
        && matches!(
            media.as_str(),
            "*/*" | "multipart/*" | "multipart/related" | "application/xop+xml"
        )
}

/// SOAP 1.1 over HTTP is `text/xml` (any charset parameter; WS-I Basic
/// Profile R1120 family). `application/soap+xml` is SOAP 1.2, which ANPR does
/// not speak either; `multipart/related` (MTOM) is for operations that take
/// attachments, and no request of these ports does.
pub(crate) fn check_content_type(value: Option<&str>) -> Result<(), Fault> {
    let received = value.unwrap_or("").trim();
    let essence = received
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let shown = if received.is_empty() {
        "none"
    } else {
        received
    };
    match essence.as_str() {
        "text/xml" => Ok(()),
        "application/soap+xml" => Err(Fault::client(
            FaultReason::SoapVersionMismatch,
            format!("Content-Type {shown} is SOAP 1.2; urna, like ANPR, speaks SOAP 1.1: send Content-Type text/xml; charset=UTF-8 and a http://schemas.xmlsoap.org/soap/envelope/ envelope"),
        )),
        "multipart/related" => Err(Fault::client(
            FaultReason::UnsupportedMediaType,
            format!("Content-Type {shown}: no operation of this port takes attachments; send the request as text/xml; charset=UTF-8"),
        )),
        _ => Err(Fault::client(
            FaultReason::UnsupportedMediaType,
            format!("Content-Type {shown} is not accepted: a SOAP 1.1 request is text/xml; charset=UTF-8"),
        )),
    }
}

fn too_large(max: usize) -> Fault {
    Fault::client(
        FaultReason::BodyTooLarge,
        format!("the request body exceeds the limit of {max} bytes (server.max_body_bytes); bulk loads go through the subentro upload"),
    )
}

pub(crate) fn service_fault(e: ServiceError) -> Fault {
    match e {
        ServiceError::IdentityMismatch { .. } => {
            Fault::policy(urna_wire::SecurityReason::IdentityMismatch, e.to_string())
                .path("/testataRichiesta/codMittente")
        }
        ServiceError::Replay => Fault::policy(urna_wire::SecurityReason::Replay, e.to_string()),
        ServiceError::OperatorUnknown { .. } => {
            Fault::policy(FaultReason::OperatorUnknown, e.to_string())
                .path("/Security/Assertion/Subject/NameID")
        }
        ServiceError::OperatorNotProfiled { .. } => {
            Fault::policy(FaultReason::OperatorNotProfiled, e.to_string())
                .path("/Security/Assertion/Subject/NameID")
        }
        ServiceError::Store(e) => {
            tracing::error!(error = %e, "storage failure");
            Fault::server(FaultReason::StorageUnavailable, format!("the database is unavailable; nothing was changed, retry with the same idOperazioneComune ({e})"))
        }
        ServiceError::Corrupt(m) => Fault::server(FaultReason::Internal, m),
        ServiceError::Certificate(m) => {
            tracing::error!(error = %m, "certificate not produced");
            Fault::server(FaultReason::CertificateFailed, m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{check_content_type, wants_mtom};
    use crate::config::MtomMode;
    use urna_wire::FaultReason;

    #[test]
    fn mtom_unless_the_accept_header_rules_it_out() {
        let auto = |a: Option<&str>| wants_mtom(MtomMode::Auto, a);
        for yes in [
            None,
            Some(""),
            Some("  "),
            Some("*/*"),
            Some("multipart/related"),
            Some("Multipart/Related; type=\"application/xop+xml\""),
            Some("text/xml, multipart/related"),
            Some("text/xml, multipart/*;q=0.5"),
            Some("application/xop+xml"),
            Some("text/xml;q=1, */*;q=0.1"),
            Some("text/xml, */*; q=0.001"),
        ] {
            assert!(auto(yes), "{yes:?}");
        }
        for no in [
            "text/xml",
            "text/xml; charset=UTF-8",
            "application/xml, text/xml",
            "application/soap+xml",
            "text/xml, application/xml, application/soap+xml",
            "text/*",
            "application/*",
            "application/json",
            "text/xml, multipart/related;q=0",
            "text/xml, */*;q=0.0",
            "text/xml, multipart/related; Q=0.000",
        ] {
            assert!(!auto(Some(no)), "{no}");
        }
        for a in [None, Some("text/xml"), Some("*/*")] {
            assert!(wants_mtom(MtomMode::Always, a), "{a:?}");
            assert!(!wants_mtom(MtomMode::Never, a), "{a:?}");
        }
    }

    #[test]
    fn content_type_is_soap_1_1() {
        for ok in [
            "text/xml",
            "text/xml; charset=UTF-8",
            "Text/XML;charset=iso-8859-1",
            " text/xml ; charset=\"utf-8\"",
        ] {
            assert!(check_content_type(Some(ok)).is_ok(), "{ok}");
        }
        let reason = |v: Option<&str>| check_content_type(v).unwrap_err().reason;
        assert_eq!(
            reason(Some("application/soap+xml; charset=utf-8")),
            FaultReason::SoapVersionMismatch
        );
        for bad in [
            None,
            Some(""),
            Some("application/json"),
            Some("text/plain"),
            Some("text/xmlx"),
            Some("multipart/related; type=\"application/xop+xml\""),
        ] {
            assert_eq!(reason(bad), FaultReason::UnsupportedMediaType, "{bad:?}");
        }
        let f = check_content_type(Some("application/json")).unwrap_err();
        assert!(
            f.message.contains("application/json") && f.message.contains("text/xml"),
            "{}",
            f.message
        );
        assert!(check_content_type(None)
            .unwrap_err()
            .message
            .contains("none"));
    }
}
