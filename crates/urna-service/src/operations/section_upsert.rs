//! 5011 (`mutazioneSezione5011`): creates or updates one electoral section of
//! the sender.

use urna_domain::header::RequestHeader;
use urna_domain::section::{self, SectionInput, SenderComune};
use urna_store::{constituencies, sections, AnyConnection};
use urna_wire::messages::{self, Outcome};
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct SectionUpsert;

pub(crate) struct Request {
    input: SectionInput,
    /// The `sezione` as received: stored (with its owner) and returned by 3008.
    sezione: Element,
}

impl ServiceOperation for SectionUpsert {
    const OPERATION: Operation = Operation::Mutazione5011;
    type Request = Request;
    type Change = sections::SectionRow;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request, ServiceError> {
        let Some(sezione) = payload.child("sezione") else {
            return Err(ServiceError::Corrupt(
                "schema-valid 5011 without sezione".into(),
            ));
        };
        Ok(Request {
            input: messages::section_input(sezione),
            sezione: sezione.clone(),
        })
    }

    fn plan(
        ctx: &mut Context<'_>,
        request: Request,
    ) -> Result<Decision<sections::SectionRow>, ServiceError> {
        let sender = &ctx.sender;
        let table = constituencies::for_comune(ctx.conn, &sender.istat)?;
        let errors = section::check_upsert(sender, &request.input, &table);
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        Ok(Ok(sections::SectionRow {
            comune_istat: sender.istat.clone(),
            numero: request.input.number.unwrap_or_default(),
            denominazione: request.input.name,
            payload: with_owner(&request.sezione, sender).inner_xml(),
            updated_at: ctx.now_ms(),
            last_operation: 0,
        }))
    }

    fn apply(
        conn: &mut AnyConnection,
        mut row: sections::SectionRow,
        stamp: Stamp,
    ) -> Result<Outcome, ServiceError> {
        row.last_operation = stamp.id_operazione_anpr;
        sections::upsert(conn, &row)?;
        Ok(Outcome::Done { warnings: vec![] })
    }
}

/// The section as stored and returned by 3008: with its owning comune filled
/// in when the request left the optional `comune` out.
pub(crate) fn with_owner(sezione: &Element, sender: &SenderComune) -> Element {
    let mut s = sezione.clone();
    s.ns = None;
    s.name = "sezione".into();
    if s.child("comune").is_none() {
        let comune = Element::new("comune")
            .with_child(Element::leaf("nomeComune", &sender.nome))
            .with_child(Element::leaf("codiceIstat", &sender.istat))
            .with_child(Element::leaf("siglaProvinciaIstat", &sender.sigla));
        s.children.insert(0, comune);
    }
    s
}
