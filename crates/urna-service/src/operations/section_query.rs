//! 3008 (`consultazioneSezione3008`): one section of the sender, or all of them.

use urna_domain::header::RequestHeader;
use urna_domain::section::{self, ComuneRef};
use urna_store::{sections, AnyConnection};
use urna_wire::messages::Outcome;
use urna_wire::{Element, Operation};

use super::{requested_comune, Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct SectionQuery;

pub(crate) struct Request {
    comune: ComuneRef,
    tipo: String,
    number: Option<String>,
}

impl ServiceOperation for SectionQuery {
    const OPERATION: Operation = Operation::Consultazione3008;
    type Request = Request;
    /// The stored sections found, each the inner XML of a `sezione`.
    type Change = Vec<String>;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request, ServiceError> {
        let params = payload.child("parametriRicerca3008");
        let text = |n: &str| params.and_then(|p| p.text_of(n)).map(str::to_string);
        Ok(Request {
            comune: requested_comune(params),
            tipo: text("tipoRichiesta").unwrap_or_default(),
            number: text("sezioneelettoralenum"),
        })
    }

    fn plan(
        ctx: &mut Context<'_>,
        request: Request,
    ) -> Result<Decision<Vec<String>>, ServiceError> {
        let sender = &ctx.sender;
        if let Some(e) = section::check_own_comune(sender, &request.comune) {
            return Ok(Err(vec![e]));
        }
        let query = match section::parse_query(&request.tipo, request.number.as_deref()) {
            Ok(q) => q,
            Err(e) => return Ok(Err(vec![e])),
        };
        let rows = match &query {
            section::SectionQuery::One(n) => sections::get(ctx.conn, &sender.istat, n)?
                .into_iter()
                .collect(),
            section::SectionQuery::All => sections::list(ctx.conn, &sender.istat)?,
        };
        if rows.is_empty() {
            return Ok(Err(vec![section::nothing_found(&query)]));
        }
        Ok(Ok(rows.into_iter().map(|r| r.payload).collect()))
    }

    fn apply(_: &mut AnyConnection, found: Vec<String>, _: Stamp) -> Result<Outcome, ServiceError> {
        Ok(Outcome::Sections(found))
    }
}
