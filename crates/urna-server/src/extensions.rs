//! urna's own additions to ANPR's interface, under `/urna/`, marked in every
//! reply with the header `X-Urna-Extension: 1` (docs/certificates.md,
//! "Which certificates a subject can obtain").
//!
//! * `GET /urna/certificati/{codice_fiscale}`: which electoral certificates
//!   a 6001 would issue now for the subject, and each refusal's code and
//!   text, so that a gestionale need not probe 6001 with failing calls
//!   (italia/anpr#5233). Any station may ask, as any comune may issue.
//! * `GET /soggetti/{id or codice fiscale}/liste`: who holds the subject:
//!   every list placement (comune, section, since), the cancellation, the
//!   certifiability and the last operation, the facts a KO names, so that a
//!   blocked comune knows whom to call. Any station may ask.
//! * `GET /riepiloghi/{istat}[/{sezione}]`: the comune's electors per
//!   section, list and sex (JSON, or CSV with `?formato=csv`), counted when
//!   read. Only the comune's own stations.
//! * `GET /doppie-iscrizioni/{istat}`: the comune's double registrations
//!   (as holder or claimant, open first) and whether they are all resolved,
//!   since when. Only the comune's own stations.
//! * `GET /export/{istat}/{file}`: the comune's electoral export (takeover
//!   formats and CSV), streamed; only the comune's own stations, each
//!   download audited (docs/export.md).

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

/// The refusal of a connection without a valid station certificate.
fn station_refusal(req: &HttpRequest) -> Option<HttpResponse> {
    use actix_web::http::StatusCode;
    match req.conn_data::<PeerIdentity>() {
        Some(PeerIdentity::Station(_)) => None,
        Some(PeerIdentity::Refused { reason, message }) => Some(reply(
            StatusCode::FORBIDDEN,
            json!({"reason": reason.code(), "message": message}),
        )),
        None => Some(reply(
            StatusCode::FORBIDDEN,
            json!({"reason": FaultReason::NoClientCertificate.code(), "message": "a station certificate is required"}),
        )),
    }
}

fn unavailable(e: impl std::fmt::Display, reason: FaultReason) -> HttpResponse {
    reply(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        json!({"reason": reason.code(), "message": e.to_string()}),
    )
}

/// `GET /soggetti/{key}/liste`.
pub async fn placements(
    req: HttpRequest,
    key: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    if let Some(refused) = station_refusal(&req) {
        return refused;
    }
    let key = key.into_inner();
    if !(1..=20).contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"reason": "bad-subject-key", "message": format!("{key:?} is neither an idSoggetto nor a codice fiscale")}),
        );
    }
    let services = state.services.clone();
    match web::block(move || services.placements(&key)).await {
        Ok(Ok(Some(p))) => reply(StatusCode::OK, json!(p)),
        Ok(Ok(None)) => reply(
            StatusCode::NOT_FOUND,
            json!({"reason": "subject-not-found", "message": "no single subject has this idSoggetto or codice fiscale"}),
        ),
        Ok(Err(e)) => unavailable(e, FaultReason::StorageUnavailable),
        Err(e) => unavailable(e, FaultReason::WorkerFailure),
    }
}

pub async fn eligibility(
    req: HttpRequest,
    codice_fiscale: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    if let Some(refused) = station_refusal(&req) {
        return refused;
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
        Ok(Err(e)) => unavailable(e, FaultReason::StorageUnavailable),
        Err(e) => unavailable(e, FaultReason::WorkerFailure),
    }
}

/// The refusal of a connection that is not a station of comune `istat`.
fn own_comune_refusal(req: &HttpRequest, istat: &str) -> Option<HttpResponse> {
    use actix_web::http::StatusCode;
    if let Some(refused) = station_refusal(req) {
        return Some(refused);
    }
    match req.conn_data::<PeerIdentity>() {
        Some(PeerIdentity::Station(s)) if s.station.istat.as_str() != istat => Some(reply(
            StatusCode::FORBIDDEN,
            json!({"reason": urna_wire::SecurityReason::IdentityMismatch.code(), "message": format!("the station {} belongs to comune {}, not {istat}", s.station.cn(), s.station.istat)}),
        )),
        _ => None,
    }
}

/// `GET /doppie-iscrizioni/{istat}`: the comune's double registrations and
/// its status.
pub async fn double_registrations(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let istat = path.into_inner();
    if let Some(refused) = own_comune_refusal(&req, &istat) {
        return refused;
    }
    let services = state.services.clone();
    match web::block(move || services.double_registrations(&istat)).await {
        Ok(Ok(d)) => reply(StatusCode::OK, json!(d)),
        Ok(Err(e)) => unavailable(e, FaultReason::StorageUnavailable),
        Err(e) => unavailable(e, FaultReason::WorkerFailure),
    }
}

#[derive(serde::Deserialize)]
pub struct Format {
    formato: Option<String>,
}

/// `GET /riepiloghi/{istat}` and `GET /riepiloghi/{istat}/{sezione}`.
pub async fn summary(
    req: HttpRequest,
    path: web::Path<(String, Option<String>)>,
    format: web::Query<Format>,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let (istat, section) = path.into_inner();
    if let Some(refused) = own_comune_refusal(&req, &istat) {
        return refused;
    }
    let services = state.services.clone();
    let summary = match web::block(move || services.summary(&istat, section.as_deref())).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return unavailable(e, FaultReason::StorageUnavailable),
        Err(e) => return unavailable(e, FaultReason::WorkerFailure),
    };
    match format.formato.as_deref() {
        Some("csv") => HttpResponse::Ok()
            .insert_header(("X-Urna-Extension", "1"))
            .content_type("text/csv; charset=utf-8")
            .body(summary.to_csv()),
        _ => reply(StatusCode::OK, json!(summary)),
    }
}

/// What the export's worker thread hands the response: a piece of the file,
/// or why it stopped.
enum ExportPiece {
    Bytes(web::Bytes),
    Failed(actix_web::http::StatusCode, String),
}

/// A `Write` that sends what is written to the response in pieces of
/// [`ExportSink::PIECE`] bytes, blocking while the client is behind (the
/// channel holds a few pieces): memory stays bounded whatever the size.
struct ExportSink {
    tx: tokio::sync::mpsc::Sender<ExportPiece>,
    buf: Vec<u8>,
}

impl ExportSink {
    const PIECE: usize = 64 * 1024;

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buf, Vec::with_capacity(Self::PIECE));
        self.tx
            .blocking_send(ExportPiece::Bytes(piece.into()))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl std::io::Write for ExportSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= Self::PIECE {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `GET /export/{istat}/{file}`: the comune's electoral export, streamed
/// (`subentroSezioni-<ISTAT>.xml.gz`, `subentroListe-<ISTAT>.xml.gz`,
/// `elettori-<ISTAT>.csv`; docs/export.md). Only the comune's own stations;
/// each download is an audit entry.
pub async fn export(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    use futures_util::StreamExt;
    use urna_service::export::{ExportError, Flavour};
    let (istat, file) = path.into_inner();
    if let Some(refused) = own_comune_refusal(&req, &istat) {
        return refused;
    }
    let station = match req.conn_data::<PeerIdentity>() {
        Some(PeerIdentity::Station(s)) => s.station.cn(),
        _ => String::new(),
    };
    let Some(flavour) = Flavour::from_file_name(&file, &istat) else {
        let files: Vec<String> = Flavour::ALL.iter().map(|f| f.file_name(&istat)).collect();
        return reply(
            StatusCode::NOT_FOUND,
            json!({"message": format!("no export file {file:?}"), "files": files}),
        );
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ExportPiece>(4);
    let services = state.services.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut sink = ExportSink {
            tx: tx.clone(),
            buf: Vec::with_capacity(ExportSink::PIECE),
        };
        let result = services
            .export_file(&station, "tls", &istat, flavour, &mut sink, &mut |_, _| {})
            .and_then(|_| sink.send().map_err(ExportError::from));
        if let Err(e) = result {
            let status = match e {
                ExportError::UnknownComune(_) => StatusCode::NOT_FOUND,
                ExportError::Empty { .. } => StatusCode::CONFLICT,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            let _ = tx.blocking_send(ExportPiece::Failed(status, e.to_string()));
        }
    });
    // The status is decided by the first piece: a refusal before any byte
    // is a JSON error; a failure later cuts the stream (the gzip or CSV is
    // then visibly incomplete).
    let first = match rx.recv().await {
        Some(ExportPiece::Bytes(b)) => b,
        Some(ExportPiece::Failed(status, message)) => {
            return reply(status, json!({"message": message}))
        }
        None => {
            return unavailable("the export stopped", FaultReason::WorkerFailure);
        }
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| {
            let item = match piece {
                ExportPiece::Bytes(b) => Ok(b),
                ExportPiece::Failed(_, m) => Err(actix_web::error::ErrorInternalServerError(m)),
            };
            (item, rx)
        })
    });
    let body =
        futures_util::stream::once(async move { Ok::<_, actix_web::Error>(first) }).chain(rest);
    HttpResponse::Ok()
        .insert_header(("X-Urna-Extension", "1"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .content_type(if flavour.gzipped() {
            "application/gzip"
        } else {
            "text/csv; charset=utf-8"
        })
        .streaming(body)
}
