//! 2012 (`cancellazioneSezione2012`): deletes a section of the sender that no
//! elector refers to.

use urna_domain::header::RequestHeader;
use urna_domain::section::{self, ComuneRef, DeleteTarget};
use urna_store::{electors, sections, AnyConnection};
use urna_wire::messages::Outcome;
use urna_wire::{Element, Operation};

use super::{requested_comune, Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct SectionDelete;

pub(crate) struct Request {
    comune: ComuneRef,
    numero: String,
}

/// The section to delete.
pub(crate) struct Change {
    istat: String,
    numero: String,
}

impl ServiceOperation for SectionDelete {
    const OPERATION: Operation = Operation::Cancellazione2012;
    type Request = Request;
    type Change = Change;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request, ServiceError> {
        let dati = payload.child("datiSezione");
        Ok(Request {
            comune: requested_comune(dati),
            numero: dati
                .and_then(|d| d.text_of("sezioneelettoralenum"))
                .unwrap_or_default()
                .to_string(),
        })
    }

    fn plan(ctx: &mut Context<'_>, request: Request) -> Result<Decision<Change>, ServiceError> {
        let sender = &ctx.sender;
        if let Some(e) = section::check_own_comune(sender, &request.comune) {
            return Ok(Err(vec![e]));
        }
        let numero = request.numero;
        let target = match sections::get(ctx.conn, &sender.istat, &numero)? {
            None => DeleteTarget::Missing,
            Some(_) => DeleteTarget::Present {
                referencing_electors: electors::referencing(ctx.conn, &sender.istat, &numero)?
                    as u64,
            },
        };
        let errors = section::check_delete(sender, &numero, target);
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        Ok(Ok(Change {
            istat: sender.istat.clone(),
            numero,
        }))
    }

    fn apply(conn: &mut AnyConnection, change: Change, _: Stamp) -> Result<Outcome, ServiceError> {
        sections::delete(conn, &change.istat, &change.numero)?;
        Ok(Outcome::Done { warnings: vec![] })
    }
}
