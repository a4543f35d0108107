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

use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use urna_service::subentro::{self, FileKind};

use crate::app::AppState;
use crate::tls::PeerIdentity;

fn json(status: actix_web::http::StatusCode, v: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(v.to_string())
}

fn refuse(status: actix_web::http::StatusCode, reason: &str, message: String) -> HttpResponse {
    json(
        status,
        serde_json::json!({ "reason": reason, "message": message }),
    )
}

/// The caller's comune, if the connection carries a valid station certificate for `istat`.
fn authorise(req: &HttpRequest, istat: &str) -> Result<(), HttpResponse> {
    use actix_web::http::StatusCode;
    match req.conn_data::<PeerIdentity>() {
        Some(PeerIdentity::Station(s)) if s.station.istat.as_str() == istat => Ok(()),
        Some(PeerIdentity::Station(s)) => Err(refuse(
            StatusCode::FORBIDDEN,
            "identity-mismatch",
            format!(
                "the station {} belongs to comune {}, not {istat}",
                s.station.cn(),
                s.station.istat
            ),
        )),
        Some(PeerIdentity::Refused { reason, message }) => {
            Err(refuse(StatusCode::FORBIDDEN, reason, message.clone()))
        }
        None => Err(refuse(
            StatusCode::FORBIDDEN,
            "no-client-certificate",
            "a station certificate is required".into(),
        )),
    }
}

pub async fn post(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    mut body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let (istat, kind) = path.into_inner();
    if let Err(r) = authorise(&req, &istat) {
        return r;
    }
    let kind = match kind.as_str() {
        "sezioni" => FileKind::Sezioni,
        "liste" => FileKind::Liste,
        other => {
            return refuse(
                StatusCode::NOT_FOUND,
                "unknown-file-kind",
                format!("{other}: use sezioni or liste"),
            )
        }
    };
    // Refusals that need no file (R-T1, R-T2, R-T5) are answered before the
    // body is read, so the sender learns them at once.
    let store = state.services.store_arc();
    let (i, today) = (
        istat.clone(),
        time::OffsetDateTime::now_utc().date().to_string(),
    );
    let admissible = web::block(move || {
        store.read(|c| match subentro::admissible(c, &i, kind, &today) {
            Ok(_) => Ok(None),
            Err(subentro::SubentroError::Refused(why)) => Ok(Some(why)),
            Err(subentro::SubentroError::Store(e)) => Err(e),
            Err(other) => Ok(Some(other.to_string())),
        })
    })
    .await;
    match admissible {
        Ok(Ok(None)) => {}
        Ok(Ok(Some(why))) => return refuse(StatusCode::CONFLICT, "subentro-refused", why),
        Ok(Err(e)) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage-unavailable",
                e.to_string(),
            )
        }
        Err(e) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "worker-failure",
                e.to_string(),
            )
        }
    }
    let dir = state.upload_dir.clone();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage-unavailable",
            format!("upload directory {}: {e}", dir.display()),
        );
    }
    let file: PathBuf = dir.join(format!(
        "{istat}-{}-{}.upload",
        kind.key(),
        uuid::Uuid::new_v4().simple()
    ));
    let mut out = match std::fs::File::create(&file) {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage-unavailable",
                e.to_string(),
            )
        }
    };
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => return refuse(StatusCode::BAD_REQUEST, "bad-http-body", e.to_string()),
        };
        size += chunk.len() as u64;
        if size > state.max_upload_bytes {
            drop(out);
            let _ = std::fs::remove_file(&file);
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "upload-too-large",
                format!("the file exceeds {} bytes", state.max_upload_bytes),
            );
        }
        if let Err(e) = out.write_all(&chunk) {
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "storage-unavailable",
                e.to_string(),
            );
        }
    }
    if let Err(e) = out.flush() {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "storage-unavailable",
            e.to_string(),
        );
    }
    drop(out);
    let store = state.services.store_arc();
    let (istat2, file2) = (istat.clone(), file.clone());
    tokio::task::spawn_blocking(move || {
        let r = subentro::upload(&store, &istat2, kind, &file2, &mut |_| {});
        match &r {
            Ok(r) => {
                tracing::info!(comune = %istat2, job = r.job_id, records = r.records, anomalies = r.anomalies, "subentro upload done")
            }
            Err(e) => tracing::warn!(comune = %istat2, error = %e, "subentro upload refused"),
        }
        let _ = std::fs::remove_file(&file2);
    });
    json(
        StatusCode::ACCEPTED,
        serde_json::json!({ "comune": istat, "kind": kind.key(), "bytes": size, "status": format!("/subentro/{istat}") }),
    )
}

pub async fn status(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let istat = path.into_inner();
    if let Err(r) = authorise(&req, &istat) {
        return r;
    }
    let store = state.services.store_arc();
    let i = istat.clone();
    let jobs = web::block(move || {
        store.read(|c| {
            let mut v = urna_store::subentro::jobs(c, &i, "sezioni")?;
            v.extend(urna_store::subentro::jobs(c, &i, "liste")?);
            Ok(v)
        })
    })
    .await;
    match jobs {
        Ok(Ok(jobs)) => json(
            actix_web::http::StatusCode::OK,
            serde_json::json!({
                "comune": istat,
                "jobs": jobs.iter().map(|j| serde_json::json!({
                    "id": j.id, "kind": j.kind, "state": j.state, "records": j.records_done,
                    "loaded": j.loaded, "anomalies": j.anomalies, "declared": j.declared,
                    "error": j.error,
                })).collect::<Vec<_>>(),
            }),
        ),
        Ok(Err(e)) => refuse(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "storage-unavailable",
            e.to_string(),
        ),
        Err(e) => refuse(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "worker-failure",
            e.to_string(),
        ),
    }
}
