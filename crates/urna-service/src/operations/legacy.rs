//! 5008 (`mutazione_scheda`): the registry record, which urna does not keep.
//! Before the electoral takeover it carried the one electoral datum of the
//! time (`liste/listaElettorale`, `elettore` S/N/P, with `tipoMutazione`
//! 05); since then ANPR refuses it with EN562: the electoral data change
//! only through 5010 (docs/anpr-interface.md §Legacy carriers). urna gives
//! that refusal, and refuses a 5008 without electoral data as outside its
//! service.

use urna_domain::header::RequestHeader;
use urna_domain::{Anomaly, Code};
use urna_store::AnyConnection;
use urna_wire::messages::Outcome;
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct Legacy5008;

/// Whether the request carries the legacy electoral datum anywhere.
pub(crate) struct Request {
    electoral: bool,
}

fn carries(e: &Element, name: &str) -> bool {
    e.name == name || e.children.iter().any(|c| carries(c, name))
}

impl ServiceOperation for Legacy5008 {
    const OPERATION: Operation = Operation::Mutazione5008;
    type Request = Request;
    /// Nothing is ever written.
    type Change = std::convert::Infallible;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request, ServiceError> {
        Ok(Request {
            electoral: carries(payload, "listaElettorale"),
        })
    }

    fn plan(_: &mut Context<'_>, r: Request) -> Result<Decision<Self::Change>, ServiceError> {
        Ok(Err(vec![if r.electoral {
            Anomaly::new(
                Code::EN562,
                "i dati elettorali non si aggiornano con 5008: usare il servizio 5010 (mutazione_liste_elettorali)",
            )
            .object("liste")
            .field("listaElettorale")
        } else {
            Anomaly::new(
                Code::EN174,
                "urna gestisce le liste elettorali, non la scheda anagrafica: la 5008 si invia ad ANPR",
            )
        }]))
    }

    fn apply(
        _: &mut AnyConnection,
        change: Self::Change,
        _: Stamp,
    ) -> Result<Outcome, ServiceError> {
        match change {}
    }
}
