//! 3003 (`gestione_richieste`): the comune's own past requests to urna,
//! electoral ones included, with their stored request and reply
//! (docs/consultation.md, "3003"; rules R-R1…R-R3).

use time::{Duration, OffsetDateTime, Time};

use urna_domain::header::RequestHeader;
use urna_domain::requests::{
    self, outcome_of_state, state_of_outcome, Request3003, Search3003, PAGE_SIZE,
};
use urna_store::operations::{self, Filter, OperationRow};
use urna_store::{subjects, AnyConnection};
use urna_wire::messages::Outcome;
use urna_wire::requests::{request_3003, PastRequest, RequestsReply};
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct RequestSearch;

impl ServiceOperation for RequestSearch {
    const OPERATION: Operation = Operation::Richieste3003;
    type Request = Request3003;
    /// The reply, assembled from what the plan read.
    type Change = RequestsReply;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request3003, ServiceError> {
        request_3003(payload).ok_or_else(|| {
            ServiceError::Corrupt("a 3003 past the schema without its search".into())
        })
    }

    fn plan(
        ctx: &mut Context<'_>,
        request: Request3003,
    ) -> Result<Decision<RequestsReply>, ServiceError> {
        search(ctx, &request)
    }

    fn apply(_: &mut AnyConnection, r: RequestsReply, _: Stamp) -> Result<Outcome, ServiceError> {
        Ok(Outcome::Requests(Box::new(r)))
    }
}

/// The comune's past requests a 3003 search names (R-R1…R-R3): one page,
/// each with its stored request and reply. 4005's `elaborazione` asks the
/// same.
pub(crate) fn search(
    ctx: &mut Context<'_>,
    request: &Request3003,
) -> Result<Decision<RequestsReply>, ServiceError> {
    {
        if let Err(e) = requests::check(request) {
            return Ok(Err(vec![e]));
        }
        let istat = ctx.sender.istat.clone();
        let day_ms = |d: time::Date| {
            (OffsetDateTime::new_utc(d, Time::MIDNIGHT).unix_timestamp_nanos() / 1_000_000) as i64
        };
        let span = |(from, to): (time::Date, time::Date)| {
            (Some(day_ms(from)), Some(day_ms(to + Duration::days(1))))
        };
        let mut keys = Vec::new();
        let mut ops = Vec::new();
        let mut filter = Filter {
            comune: &istat,
            ..Filter::default()
        };
        match &request.search {
            Search3003::ById(id) => filter.id = Some(*id),
            Search3003::ByComuneId(id) => filter.id_operazione_comune = Some(id),
            Search3003::List {
                state,
                operations,
                period,
            } => {
                (filter.from_ms, filter.to_ms) = span(*period);
                filter.outcome = state.and_then(outcome_of_state);
                ops.clone_from(operations);
            }
            Search3003::Subject { key, period } => {
                if let Some(p) = period {
                    (filter.from_ms, filter.to_ms) = span(*p);
                }
                // The subject's id and codice fiscale both name it.
                keys.push(key.clone());
                let found = match subjects::get(ctx.conn, key)? {
                    Some(s) => vec![s],
                    None => subjects::by_codice_fiscale(ctx.conn, key)?,
                };
                for s in found {
                    keys.push(s.id_soggetto);
                    keys.push(s.codice_fiscale);
                }
                keys.sort();
                keys.dedup();
            }
        }
        filter.operations = &ops;
        filter.subject_keys = &keys;
        let page = request.page.unwrap_or(1);
        let offset = ((page - 1) * PAGE_SIZE) as i64;
        let (rows, total) = operations::search(ctx.conn, &filter, offset, PAGE_SIZE as i64)?;
        if rows.is_empty() {
            return Ok(Err(vec![requests::nothing_found()]));
        }
        let ids: Vec<String> = rows
            .iter()
            .map(|r| r.id_operazione_comune.clone())
            .collect();
        let remembered = operations::remembered_many(ctx.conn, &istat, &ids)?;
        let listed = rows
            .into_iter()
            .map(|row| {
                let kept = remembered.iter().find(|r| {
                    r.id_operazione_comune == row.id_operazione_comune
                        && r.operation == row.operation
                });
                past(row, kept)
            })
            .collect();
        let total = total as u64;
        Ok(Ok(RequestsReply {
            requests: listed,
            page,
            pages: total.div_ceil(PAGE_SIZE),
            total,
        }))
    }
}

/// A logged operation with the request and reply remembered under its
/// idOperazioneComune (a repeated request shows the first one's).
fn past(row: OperationRow, kept: Option<&operations::Remembered>) -> PastRequest {
    let received =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.received_at) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
    PastRequest {
        id_operazione_anpr: row.id,
        id_operazione_comune: row.id_operazione_comune,
        operation: row.operation,
        received,
        state: state_of_outcome(&row.outcome),
        codes: row.codes,
        request: kept.and_then(|r| r.request.clone()),
        response: kept.map(|r| r.response.clone()),
    }
}
