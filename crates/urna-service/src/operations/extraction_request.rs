//! 4001 `estrazione_dati_cittadini`, electoral data: the selection checked
//! (R-X1…R-X4), the job recorded under the request's idOperazioneANPR and
//! answered at once; a background worker extracts (`crate::extraction`),
//! 4005 follows it, 7002 downloads the file.

use urna_domain::extraction::{self, Criteria};
use urna_domain::header::RequestHeader;
use urna_store::{extractions, AnyConnection};
use urna_wire::extraction::{criteria_4001, selections_4001, ExtractionReply};
use urna_wire::messages::Outcome;
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct ExtractionRequest;

pub(crate) struct Request {
    selections: extraction::Selections,
    echo: Element,
}

pub(crate) struct Accepted {
    istat: String,
    criteria: Criteria,
    echo: Element,
    now_ms: i64,
}

impl ServiceOperation for ExtractionRequest {
    const OPERATION: Operation = Operation::Estrazione4001;
    type Request = Request;
    type Change = Accepted;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request, ServiceError> {
        Ok(Request {
            selections: selections_4001(payload),
            echo: criteria_4001(payload),
        })
    }

    fn plan(ctx: &mut Context<'_>, r: Request) -> Result<Decision<Accepted>, ServiceError> {
        Ok(
            extraction::check(&r.selections, ctx.now.date()).map(|criteria| Accepted {
                istat: ctx.sender.istat.clone(),
                criteria,
                echo: r.echo,
                now_ms: ctx.now_ms(),
            }),
        )
    }

    fn apply(conn: &mut AnyConnection, a: Accepted, stamp: Stamp) -> Result<Outcome, ServiceError> {
        let criteria = serde_json::to_string(&a.criteria)
            .map_err(|e| ServiceError::Corrupt(format!("extraction criteria: {e}")))?;
        extractions::create(
            conn,
            stamp.id_operazione_anpr,
            &a.istat,
            &criteria,
            a.now_ms,
        )?;
        Ok(Outcome::Extraction(Box::new(ExtractionReply {
            criteria: a.echo,
            id_operazione_anpr: stamp.id_operazione_anpr.to_string(),
        })))
    }
}
