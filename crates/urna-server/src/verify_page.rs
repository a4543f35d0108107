//! The public verification page of the electoral certificates
//! (docs/certificates.md, "Verification"): server-rendered HTML that works
//! without JavaScript, on the same HTTPS port as the services but without a
//! client certificate.
//!
//! * `GET /verifica/{id}`: the contrassegno's URL (a smartphone opens it from
//!   the QR code): a challenge; `POST` answers it and shows the certificate,
//!   its seal checked, and its PDF (`GET /verifica/{id}/pdf?sfida=…`).
//! * `GET /verifica`: for a PC, upload a picture of the QR code (`POST
//!   /verifica`, decoded here) or type the short code (`POST /verifica/codice`).

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::TryStreamExt;
use serde::Deserialize;
use urna_service::verification::{Lookup, Verdict};

use crate::app::AppState;

/// Largest accepted picture of a QR code.
const MAX_QR_BYTES: usize = 2 << 20;
/// Largest accepted picture, in pixels per side (a small file can declare a
/// huge image).
const MAX_QR_SIDE: u32 = 6000;

#[derive(Template)]
#[template(path = "verifica/start.html")]
struct Start {
    max_kib: usize,
}

#[derive(Template)]
#[template(path = "verifica/challenge.html")]
struct ChallengePage {
    id: String,
    captcha_id: String,
    questions: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "verifica/message.html")]
struct Message {
    title: &'static str,
    text: String,
    again: Option<String>,
}

/// The result page's labels in a certificate's second language.
struct Labels {
    lang: &'static str,
    title: &'static str,
    certificate: &'static str,
    holder: &'static str,
    born: &'static str,
    issued_by: &'static str,
    issued_at: &'static str,
    expires_at: &'static str,
    download: &'static str,
}

/// The second language of a certificate written in `languages` (`IT,DE`, …).
fn second_language(languages: &str) -> Option<Labels> {
    let code = languages.split(',').map(str::trim).find(|l| *l != "IT")?;
    Some(match code {
        "DE" => Labels {
            lang: "de",
            title: "Wahlbescheinigung überprüft",
            certificate: "Bescheinigung",
            holder: "Inhaber",
            born: "Geburtsdatum",
            issued_by: "Ausgestellt von der Gemeinde (ISTAT-Kennziffer)",
            issued_at: "Ausgestellt am",
            expires_at: "Gültig bis",
            download: "Bescheinigung herunterladen (PDF)",
        },
        "FR" => Labels {
            lang: "fr",
            title: "Certificat électoral vérifié",
            certificate: "Certificat",
            holder: "Titulaire",
            born: "Date de naissance",
            issued_by: "Délivré par la commune (code ISTAT)",
            issued_at: "Délivré le",
            expires_at: "Valable jusqu'au",
            download: "Télécharger le certificat (PDF)",
        },
        "SL" => Labels {
            lang: "sl",
            title: "Volilno potrdilo preverjeno",
            certificate: "Potrdilo",
            holder: "Imetnik",
            born: "Datum rojstva",
            issued_by: "Izdala občina (koda ISTAT)",
            issued_at: "Izdano dne",
            expires_at: "Veljavno do",
            download: "Prenesi potrdilo (PDF)",
        },
        _ => return None,
    })
}

#[derive(Template)]
#[template(path = "verifica/result.html")]
struct ResultPage {
    second: Option<Labels>,
    kind: String,
    holder: String,
    born: String,
    issued_by: String,
    issued_at: String,
    expires_at: String,
    seal: Result<urna_service::verification::SealView, String>,
    pdf: String,
}

fn html(status: actix_web::http::StatusCode, page: impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                "Content-Security-Policy",
                "default-src 'self'; style-src 'unsafe-inline'; object-src 'self'",
            ))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "verification page template");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn message(
    status: actix_web::http::StatusCode,
    title: &'static str,
    text: impl Into<String>,
    again: Option<String>,
) -> HttpResponse {
    html(
        status,
        Message {
            title,
            text: text.into(),
            again,
        },
    )
}

fn unavailable(e: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "verification page: storage failure");
    message(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        "Servizio non disponibile",
        "La verifica non e' disponibile in questo momento: riprovare piu' tardi.",
        None,
    )
}

/// The page for a client address an alert rule blocked.
fn blocked(req: &HttpRequest, state: &AppState) -> Option<HttpResponse> {
    let until = state
        .blocks
        .address_until(req.peer_addr().map(|a| a.ip()))?;
    Some(message(
        actix_web::http::StatusCode::FORBIDDEN,
        "Accesso bloccato",
        format!("Troppi tentativi da questo indirizzo: la verifica e' bloccata fino alle {until} (UTC)."),
        None,
    ))
}

/// The client's address (the one the connection comes from).
fn client(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// A certificate id is 32 hex digits; anything else is unknown without a lookup.
fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn lookup_page(id: String, lookup: Lookup) -> HttpResponse {
    use actix_web::http::StatusCode;
    match lookup {
        Lookup::Challenge(c) => html(
            StatusCode::OK,
            ChallengePage {
                id,
                captcha_id: c.captcha_id,
                questions: c.questions,
            },
        ),
        Lookup::Unknown => not_found(),
        Lookup::Expired => expired(),
        Lookup::TooMany => too_many(),
    }
}

fn not_found() -> HttpResponse {
    message(
        actix_web::http::StatusCode::NOT_FOUND,
        "Certificato non trovato",
        "Nessun certificato corrisponde a questo contrassegno: non e' mai stato rilasciato, oppure e' scaduto ed e' stato cancellato.",
        None,
    )
}

fn expired() -> HttpResponse {
    message(
        actix_web::http::StatusCode::GONE,
        "Certificato scaduto",
        "Il certificato e' scaduto: non ha piu' valore e non puo' essere mostrato.",
        None,
    )
}

fn too_many() -> HttpResponse {
    message(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "Troppi tentativi",
        "Da questo indirizzo sono arrivati troppi tentativi: riprovare fra dieci minuti.",
        None,
    )
}

/// `GET /verifica`.
pub async fn start() -> HttpResponse {
    html(
        actix_web::http::StatusCode::OK,
        Start {
            max_kib: MAX_QR_BYTES / 1024,
        },
    )
}

/// `GET /verifica/{id}`: a challenge for the certificate.
pub async fn challenge(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    if let Some(page) = blocked(&req, &state) {
        return page;
    }
    let id = id.into_inner();
    if !valid_id(&id) {
        return not_found();
    }
    let (services, who, cid) = (state.services.clone(), client(&req), id.clone());
    match web::block(move || services.verification_challenge(&cid, &who)).await {
        Ok(Ok(lookup)) => lookup_page(id, lookup),
        Ok(Err(e)) => unavailable(e),
        Err(e) => unavailable(e),
    }
}

#[derive(Deserialize)]
pub struct Answer {
    sfida: String,
    risposta: String,
}

/// `POST /verifica/{id}`: the answer; the certificate when it is right.
pub async fn answer(
    req: HttpRequest,
    id: web::Path<String>,
    form: web::Form<Answer>,
    state: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    if let Some(page) = blocked(&req, &state) {
        return page;
    }
    let id = id.into_inner();
    if !valid_id(&id) {
        return not_found();
    }
    let form = form.into_inner();
    let (services, who, cid, sfida) = (
        state.services.clone(),
        client(&req),
        id.clone(),
        form.sfida.clone(),
    );
    let verdict =
        match web::block(move || services.verification_answer(&cid, &sfida, &form.risposta, &who))
            .await
        {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return unavailable(e),
            Err(e) => return unavailable(e),
        };
    match verdict {
        Verdict::Shown(v) => {
            let day = |ms: i64| {
                time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                    .map(|t| {
                        let d = t.date();
                        format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
                    })
                    .unwrap_or_default()
            };
            html(
                StatusCode::OK,
                ResultPage {
                    second: second_language(&v.languages),
                    kind: match v.kind {
                        21 => "21 — godimento dei diritti politici".into(),
                        22 => "22 — iscrizione nelle liste elettorali".into(),
                        other => other.to_string(),
                    },
                    holder: v.holder,
                    born: v.born,
                    issued_by: v.issued_by,
                    issued_at: day(v.issued_at_ms),
                    expires_at: day(v.expires_at_ms),
                    seal: v.seal,
                    pdf: format!("/verifica/{}/pdf?sfida={}", v.id, form.sfida),
                },
            )
        }
        Verdict::Refused => message(
            StatusCode::FORBIDDEN,
            "Risposta non valida",
            "La risposta non e' corretta, oppure la domanda e' scaduta o gia' usata.",
            Some(format!("/verifica/{id}")),
        ),
        Verdict::Unknown => not_found(),
        Verdict::Expired => expired(),
        Verdict::TooMany => too_many(),
    }
}

#[derive(Deserialize)]
pub struct Solved {
    sfida: String,
}

/// `GET /verifica/{id}/pdf?sfida=…`: the PDF, while the solved challenge lasts.
pub async fn pdf(
    id: web::Path<String>,
    q: web::Query<Solved>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let id = id.into_inner();
    if !valid_id(&id) {
        return not_found();
    }
    let (services, sfida) = (state.services.clone(), q.into_inner().sfida);
    match web::block(move || services.verification_pdf(&id, &sfida)).await {
        Ok(Ok(Some(pdf))) => HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                "inline; filename=\"certificato-elettorale.pdf\"",
            ))
            .body(pdf),
        Ok(Ok(None)) => message(
            actix_web::http::StatusCode::FORBIDDEN,
            "Documento non disponibile",
            "Il documento si puo' scaricare solo per poco tempo dopo la risposta alla domanda.",
            None,
        ),
        Ok(Err(e)) => unavailable(e),
        Err(e) => unavailable(e),
    }
}

fn see(id: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/verifica/{id}")))
        .finish()
}

#[derive(Deserialize)]
pub struct Code {
    codice: String,
}

/// `POST /verifica/codice`: the short code typed in.
pub async fn by_code(form: web::Form<Code>, state: web::Data<AppState>) -> HttpResponse {
    let (services, code) = (state.services.clone(), form.into_inner().codice);
    match web::block(move || services.certificate_by_code(&code)).await {
        Ok(Ok(Some(id))) => see(&id),
        Ok(Ok(None)) => not_found(),
        Ok(Err(e)) => unavailable(e),
        Err(e) => unavailable(e),
    }
}

/// `POST /verifica`: a picture of the QR code, decoded here.
pub async fn upload(mut payload: Multipart) -> HttpResponse {
    use actix_web::http::StatusCode;
    let refuse = |text: &str| {
        message(
            StatusCode::BAD_REQUEST,
            "Immagine non valida",
            text.to_string(),
            Some("/verifica".into()),
        )
    };
    let mut bytes = Vec::new();
    loop {
        let mut field = match payload.try_next().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return refuse("Il modulo inviato non e' leggibile."),
        };
        if field.name() != Some("qr") {
            continue;
        }
        loop {
            match field.try_next().await {
                Ok(Some(chunk)) => {
                    if bytes.len() + chunk.len() > MAX_QR_BYTES {
                        return refuse("L'immagine supera la dimensione massima.");
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(_) => return refuse("Il modulo inviato non e' leggibile."),
            }
        }
    }
    let decoded = web::block(move || decode_qr(&bytes)).await;
    match decoded {
        Ok(Ok(url)) => match certificate_id_of(&url) {
            Some(id) => see(&id),
            None => refuse("Il codice QR non e' il contrassegno di un certificato elettorale."),
        },
        Ok(Err(why)) => refuse(&why),
        Err(_) => refuse("L'immagine non e' leggibile."),
    }
}

/// The text of the QR code in a PNG or JPEG picture.
fn decode_qr(bytes: &[u8]) -> Result<String, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| "L'immagine non e' leggibile.".to_string())?;
    match reader.format() {
        Some(image::ImageFormat::Png) | Some(image::ImageFormat::Jpeg) => {}
        _ => return Err("Sono accettate solo immagini PNG o JPEG.".into()),
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_QR_SIDE);
    limits.max_image_height = Some(MAX_QR_SIDE);
    limits.max_alloc = Some(256 << 20);
    reader.limits(limits);
    let picture = reader
        .decode()
        .map_err(|_| "L'immagine non e' leggibile o e' troppo grande.".to_string())?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(picture);
    for grid in prepared.detect_grids() {
        if let Ok((_, text)) = grid.decode() {
            return Ok(text);
        }
    }
    Err(
        "Nell'immagine non si trova un codice QR leggibile: provare con una foto piu' nitida."
            .into(),
    )
}

/// The certificate id at the end of a contrassegno's URL (`…/verifica/<id>`).
fn certificate_id_of(url: &str) -> Option<String> {
    let (_, tail) = url.trim().rsplit_once("/verifica/")?;
    let id = tail.split(['?', '#', '/']).next()?;
    valid_id(id).then(|| id.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilingual_certificates_get_bilingual_labels() {
        assert!(second_language("IT").is_none());
        assert_eq!(second_language("IT,DE").unwrap().holder, "Inhaber");
        assert_eq!(second_language("IT,FR").unwrap().lang, "fr");
        assert_eq!(second_language("IT,SL").unwrap().lang, "sl");
    }

    #[test]
    fn the_id_is_read_from_a_contrassegno_url() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            certificate_id_of(&format!("https://urna.example/verifica/{id}")).as_deref(),
            Some(id)
        );
        assert_eq!(
            certificate_id_of(&format!("https://x/verifica/{}?a=1", id.to_uppercase())).as_deref(),
            Some(id)
        );
        assert!(certificate_id_of("https://x/verifica/123").is_none());
        assert!(certificate_id_of("https://x/altro/0123456789abcdef0123456789abcdef").is_none());
    }

    #[test]
    fn pictures_that_are_not_png_or_jpeg_or_hold_no_code_are_refused() {
        assert!(decode_qr(b"GIF89a....").is_err());
        assert!(decode_qr(b"not an image").is_err());
        let mut png = Vec::new();
        image::DynamicImage::new_luma8(64, 64)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(decode_qr(&png).unwrap_err().contains("codice QR"));
    }
}
