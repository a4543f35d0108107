//! HTTPS endpoint for the takeover files, on the mTLS port, for gestionali:
//!
//! * `POST /subentro/{istat}/sezioni` and `POST /subentro/{istat}/liste`: the
//!   body (plain or gzip XML) is streamed to a file under the upload
//!   directory, never held in memory, then loaded in the background;
//!   the answer is `202 Accepted`.
//! * `GET /subentro/{istat}`: the comune's jobs as JSON (poll it for the outcome).
//!
//! The station certificate must belong to the comune in the path.

use std::io::Write;
use std::path::PathBuf;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;
use urna_service::subentro::{FileKind, SubentroError};
use urna_wire::{FaultReason, SecurityReason};

use crate::app::AppState;
use crate::tls::PeerIdentity;

fn json(status: StatusCode, v: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(v.to_string())
}

/// Why a takeover request is refused: one JSON shape (`reason`, `message`)
/// and one status each.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The TLS identity does not allow the comune in the path.
    #[error("{message}")]
    Identity {
        reason: FaultReason,
        message: String,
    },
    #[error("{0}: use sezioni or liste")]
    UnknownKind(String),
    /// R-T1, R-T2, R-T5 or an inactive comune: answered before the body.
    #[error("{0}")]
    Refused(String),
    #[error("cannot read the request body: {0}")]
    Body(String),
    #[error("the file exceeds {0} bytes")]
    TooLarge(u64),
    #[error("{0}")]
    Storage(String),
    #[error("{0}")]
    Worker(String),
}

impl UploadError {
    fn reason(&self) -> &'static str {
        match self {
            UploadError::Identity { reason, .. } => reason.code(),
            UploadError::UnknownKind(_) => "unknown-file-kind",
            UploadError::Refused(_) => "subentro-refused",
            UploadError::Body(_) => "bad-http-body",
            UploadError::TooLarge(_) => "upload-too-large",
            UploadError::Storage(_) => "storage-unavailable",
            UploadError::Worker(_) => "worker-failure",
        }
    }
}

impl ResponseError for UploadError {
    fn status_code(&self) -> StatusCode {
        match self {
            UploadError::Identity { .. } => StatusCode::FORBIDDEN,
            UploadError::UnknownKind(_) => StatusCode::NOT_FOUND,
            UploadError::Refused(_) => StatusCode::CONFLICT,
            UploadError::Body(_) => StatusCode::BAD_REQUEST,
            UploadError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::Storage(_) | UploadError::Worker(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        json(
            self.status_code(),
            serde_json::json!({ "reason": self.reason(), "message": self.to_string() }),
        )
    }
}

impl From<std::io::Error> for UploadError {
    fn from(e: std::io::Error) -> Self {
        UploadError::Storage(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for UploadError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        UploadError::Worker(e.to_string())
    }
}

/// The caller's comune, if the connection carries a valid station certificate for `istat`.
fn authorise(req: &HttpRequest, istat: &str) -> Result<(), UploadError> {
    match req.conn_data::<PeerIdentity>() {
        Some(PeerIdentity::Station(s)) if s.station.istat.as_str() == istat => Ok(()),
        Some(PeerIdentity::Station(s)) => Err(UploadError::Identity {
            reason: SecurityReason::IdentityMismatch.into(),
            message: format!(
                "the station {} belongs to comune {}, not {istat}",
                s.station.cn(),
                s.station.istat
            ),
        }),
        Some(PeerIdentity::Refused { reason, message }) => Err(UploadError::Identity {
            reason: *reason,
            message: message.clone(),
        }),
        None => Err(UploadError::Identity {
            reason: FaultReason::NoClientCertificate,
            message: "a station certificate is required".into(),
        }),
    }
}

pub async fn post(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    mut body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, UploadError> {
    let (istat, kind) = path.into_inner();
    authorise(&req, &istat)?;
    let kind = match kind.as_str() {
        "sezioni" => FileKind::Sezioni,
        "liste" => FileKind::Liste,
        other => return Err(UploadError::UnknownKind(other.into())),
    };
    // Refusals that need no file (R-T1, R-T2, R-T5) are answered before the
    // body is read, so the sender learns them at once.
    let (services, i) = (state.services.clone(), istat.clone());
    match web::block(move || services.subentro_admissible(&i, kind)).await? {
        Ok(()) => {}
        Err(SubentroError::Store(e)) => return Err(UploadError::Storage(e.to_string())),
        Err(why) => return Err(UploadError::Refused(why.to_string())),
    }
    let dir = state.upload_dir.clone();
    std::fs::create_dir_all(&dir)
        .map_err(|e| UploadError::Storage(format!("upload directory {}: {e}", dir.display())))?;
    let file: PathBuf = dir.join(format!(
        "{istat}-{}-{}.upload",
        kind.key(),
        uuid::Uuid::new_v4().simple()
    ));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| UploadError::Body(e.to_string()))?;
        size += chunk.len() as u64;
        if size > state.max_upload_bytes {
            drop(out);
            let _ = std::fs::remove_file(&file);
            return Err(UploadError::TooLarge(state.max_upload_bytes));
        }
        out.write_all(&chunk)?;
    }
    out.flush()?;
    drop(out);
    let (services, istat2, file2) = (state.services.clone(), istat.clone(), file.clone());
    tokio::task::spawn_blocking(move || {
        match services.subentro_upload(&istat2, kind, &file2) {
            Ok(r) => {
                tracing::info!(comune = %istat2, job = r.job_id, records = r.records, anomalies = r.anomalies, "subentro upload done")
            }
            Err(e) => tracing::warn!(comune = %istat2, error = %e, "subentro upload refused"),
        }
        let _ = std::fs::remove_file(&file2);
    });
    Ok(json(
        StatusCode::ACCEPTED,
        serde_json::json!({ "comune": istat, "kind": kind.key(), "bytes": size, "status": format!("/subentro/{istat}") }),
    ))
}

pub async fn status(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, UploadError> {
    let istat = path.into_inner();
    authorise(&req, &istat)?;
    let (services, i) = (state.services.clone(), istat.clone());
    let jobs = web::block(move || services.subentro_jobs(&i))
        .await?
        .map_err(|e| UploadError::Storage(e.to_string()))?;
    Ok(json(
        StatusCode::OK,
        serde_json::json!({
            "comune": istat,
            "jobs": jobs.iter().map(|j| serde_json::json!({
                "id": j.id, "kind": j.kind, "state": j.state().as_str(), "records": j.records_done,
                "loaded": j.loaded, "anomalies": j.anomalies, "declared": j.declared,
                "error": j.error,
            })).collect::<Vec<_>>(),
        }),
    ))
}
