//! The registry operations that once carried the one electoral datum of the
//! time (`listaElettorale`, `elettore` S/N/P): 5008 (`mutazione_scheda`,
//! with `tipoMutazione` 05), 1002 (`iscrizione_altriMotivi`) and A002
//! (`AIRE_iscrizioneAltriMotivi`). Since the electoral takeover ANPR refuses
//! that datum with EN562: the electoral data change only through 5010
//! (docs/anpr-interface.md §Legacy carriers). urna gives that refusal, and
//! refuses the same operations without electoral data as outside its
//! service (urna keeps no registry records).

use urna_domain::header::RequestHeader;
use urna_domain::{Anomaly, Code};
use urna_store::AnyConnection;
use urna_wire::messages::Outcome;
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

/// Whether the request carries the legacy electoral datum anywhere.
pub(crate) struct Request {
    electoral: bool,
}

fn carries(e: &Element, name: &str) -> bool {
    e.name == name || e.children.iter().any(|c| carries(c, name))
}

/// The refusal of legacy carrier `op`, with or without the datum.
fn refusal(op: Operation, electoral: bool) -> Anomaly {
    if electoral {
        let (object, text) = match op {
            Operation::Mutazione5008 => (
                "liste",
                "i dati elettorali non si aggiornano con 5008: usare il servizio 5010 (mutazione_liste_elettorali)",
            ),
            _ => (
                "listaElettorale",
                "inserire i dati elettorali tramite il servizio 5010 (mutazione_liste_elettorali) ed eliminare la sezione listaElettorale",
            ),
        };
        Anomaly::new(Code::EN562, text)
            .object(object)
            .field("listaElettorale")
    } else {
        Anomaly::new(
            Code::EN174,
            format!(
                "urna gestisce le liste elettorali, non la scheda anagrafica: la {} si invia ad ANPR",
                op.code()
            ),
        )
    }
}

macro_rules! legacy_carrier {
    ($name:ident, $op:expr) => {
        pub(crate) struct $name;

        impl ServiceOperation for $name {
            const OPERATION: Operation = $op;
            type Request = Request;
            /// Nothing is ever written.
            type Change = std::convert::Infallible;

            fn extract(payload: &Element, _: &RequestHeader) -> Result<Request, ServiceError> {
                Ok(Request {
                    electoral: carries(payload, "listaElettorale"),
                })
            }

            fn plan(
                _: &mut Context<'_>,
                r: Request,
            ) -> Result<Decision<Self::Change>, ServiceError> {
                Ok(Err(vec![refusal(Self::OPERATION, r.electoral)]))
            }

            fn apply(
                _: &mut AnyConnection,
                change: Self::Change,
                _: Stamp,
            ) -> Result<Outcome, ServiceError> {
                match change {}
            }
        }
    };
}

legacy_carrier!(Legacy5008, Operation::Mutazione5008);
legacy_carrier!(Legacy1002, Operation::Iscrizione1002);
legacy_carrier!(LegacyA002, Operation::IscrizioneAireA002);
