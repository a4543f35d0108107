//! Observability on every route: a correlation id (response header
//! `X-Correlation-Id`, and in every log line of the request through its
//! span), a JSON log line per request, and the metrics
//! `urna_http_requests_total{route,status}` and
//! `urna_http_request_duration_seconds{route}`. The SOAP endpoint writes its
//! own, richer line (operation, outcome, fault reason) under the same id.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing::Instrument;

use crate::tls::PeerIdentity;

/// The request's correlation id (in the request's extensions).
#[derive(Debug, Clone)]
pub struct Correlation(pub String);

/// Set by a handler that logs the request's outcome itself.
#[derive(Debug, Clone, Copy)]
pub struct Logged;

pub const HEADER: &str = "x-correlation-id";

/// The middleware (`actix_web::middleware::from_fn`).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let correlation = uuid::Uuid::new_v4().simple().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "(unmatched)".into());
    let station = match req.conn_data::<PeerIdentity>() {
        Some(PeerIdentity::Station(s)) => s.station.cn(),
        Some(PeerIdentity::Refused { .. }) => "(refused)".into(),
        None => "(none)".into(),
    };
    req.extensions_mut()
        .insert(Correlation(correlation.clone()));
    let span = tracing::info_span!(
        "http",
        correlation_id = %correlation,
        method = %req.method(),
        route = %route,
        station = %station,
    );
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    metrics::counter!("urna_http_requests_total", "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("urna_http_request_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
    if let Ok(v) = HeaderValue::from_str(&correlation) {
        res.headers_mut().insert(HeaderName::from_static(HEADER), v);
    }
    if res.request().extensions().get::<Logged>().is_none() {
        span.in_scope(|| {
            tracing::info!(status, duration_us = elapsed.as_micros() as u64, "done");
        });
    }
    Ok(res)
}
