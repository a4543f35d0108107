//! urna's own additions to ANPR's interface, under `/urna/`, marked in every
//! reply with the header `X-Urna-Extension: 1` (docs/certificates.md,
//! "Which certificates a subject can obtain").
//!
//! `GET /urna/certificati/{codice_fiscale}`: which electoral certificates a
//! 6001 would issue now for the subject, and each refusal's code and text,
//! so that a gestionale need not probe 6001 with failing calls
//! (italia/anpr#5233). Any station may ask, as any comune may issue.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;
use urna_wire::FaultReason;

use crate::app::AppState;
use crate::tls::PeerIdentity;

fn reply(status: actix_web::http::StatusCode, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("X-Urna-Extension", "1"))
        .json(body)
}

pub async fn eligibility(
    req: HttpRequest,
    codice_fiscale: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    match req.conn_data::<PeerIdentity>() {
        Some(PeerIdentity::Station(_)) => {}
        Some(PeerIdentity::Refused { reason, message }) => {
            return reply(
                StatusCode::FORBIDDEN,
                json!({"reason": reason.code(), "message": message}),
            )
        }
        None => {
            return reply(
                StatusCode::FORBIDDEN,
                json!({"reason": FaultReason::NoClientCertificate.code(), "message": "a station certificate is required"}),
            )
        }
    }
    let cf = codice_fiscale.into_inner();
    if !(11..=16).contains(&cf.len()) || !cf.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"reason": "bad-codice-fiscale", "message": format!("{cf:?} is not a codice fiscale (11..16 letters and digits)")}),
        );
    }
    let (services, key) = (state.services.clone(), cf.clone());
    match web::block(move || services.certificate_eligibility(&key)).await {
        Ok(Ok(list)) => reply(
            StatusCode::OK,
            json!({"codiceFiscale": cf.to_ascii_uppercase(), "certificati": list}),
        ),
        Ok(Err(e)) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"reason": FaultReason::StorageUnavailable.code(), "message": e.to_string()}),
        ),
        Err(e) => reply(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"reason": FaultReason::WorkerFailure.code(), "message": e.to_string()}),
        ),
    }
}
