//! 4005 `richieste_asincrone`: `verificaStato`, the state of one of the
//! comune's 4001 extractions; `elaborazione`, its past exchanges with their
//! stored request and reply (the 3003 search: R-R1…R-R3, at most 180 days
//! back), to download again an answer a gestionale lost.

use time::OffsetDateTime;
use urna_domain::header::RequestHeader;
use urna_domain::requests::{Request3003, Search3003, PAGE_SIZE};
use urna_domain::{Anomaly, Code};
use urna_store::{extractions, AnyConnection};
use urna_wire::extraction::{request_4005, AsyncReply, Request4005};
use urna_wire::messages::Outcome;
use urna_wire::{Element, Operation};

use super::request_search::search;
use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct AsyncRequests;

fn not_found(id: &str) -> Anomaly {
    Anomaly::new(
        Code::EN122,
        format!("nessuna richiesta asincrona del comune con idOperazioneANPR {id}"),
    )
    .field("idOperazioneANPR")
    .value(id)
}

fn date_time(ms: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

impl ServiceOperation for AsyncRequests {
    const OPERATION: Operation = Operation::Asincrone4005;
    type Request = Request4005;
    type Change = AsyncReply;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request4005, ServiceError> {
        request_4005(payload).ok_or_else(|| {
            ServiceError::Corrupt("a 4005 past the schema without its choice".into())
        })
    }

    fn plan(ctx: &mut Context<'_>, r: Request4005) -> Result<Decision<AsyncReply>, ServiceError> {
        let search_of = |search| Request3003 { search, page: None };
        let request = match r {
            Request4005::Status(id) => {
                let job = match id.parse::<i64>() {
                    Ok(n) => extractions::get(ctx.conn, n)?,
                    Err(_) => None,
                };
                let Some(job) = job.filter(|j| j.comune_istat == ctx.sender.istat) else {
                    return Ok(Err(vec![not_found(&id)]));
                };
                return Ok(Ok(AsyncReply {
                    state: Some(job.state),
                    id_operazione_anpr: Some(id),
                    available: job
                        .finished_at
                        .filter(|_| job.state == extractions::DONE)
                        .and_then(date_time),
                    progress: job.total.map(|t| (job.done, t)),
                    exchanges: None,
                }));
            }
            Request4005::Exchange(id) => match id.parse::<i64>() {
                Ok(n) => search_of(Search3003::ById(n)),
                Err(_) => return Ok(Err(vec![not_found(&id)])),
            },
            Request4005::Exchanges {
                from,
                to,
                operations,
            } => search_of(Search3003::List {
                state: None,
                operations,
                period: (from, to),
            }),
        };
        Ok(search(ctx, &request)?.and_then(|found| {
            if found.total > PAGE_SIZE {
                return Err(vec![Anomaly::new(
                    Code::EN148,
                    format!(
                        "{} richieste nel periodo, piu' delle {PAGE_SIZE} che una risposta elenca: restringere il periodo o le operazioni, o usare 3003 (a pagine)",
                        found.total
                    ),
                )
                .field("elaborazione")]);
            }
            Ok(AsyncReply {
                exchanges: Some(found.requests),
                ..AsyncReply::default()
            })
        }))
    }

    fn apply(_: &mut AnyConnection, r: AsyncReply, _: Stamp) -> Result<Outcome, ServiceError> {
        Ok(Outcome::Async(Box::new(r)))
    }
}
