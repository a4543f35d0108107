//! Idempotency (R-H1, R-H2): an `idOperazioneComune` names one request of
//! one comune for ever. Sent again with the same content it gets the answer
//! remembered the first time; with other content, or for another operation,
//! it is refused and that refusal is not remembered (the id stays the first
//! request's).

use urna_domain::{Anomaly, Code};
use urna_store::operations::{self, Remembered};
use urna_store::{AnyConnection, StoreError};
use urna_wire::Operation;

/// What the comune's earlier use of an `idOperazioneComune` means for a request.
pub(crate) enum Prior {
    /// Never used: run the request.
    Fresh,
    /// The same request again: send the remembered answer, execute nothing.
    Replay(Remembered),
    /// Used by another request: refuse with these anomalies, remember nothing.
    Taken(Vec<Anomaly>),
}

/// Looks up the id in the comune's remembered answers.
pub(crate) fn prior(
    conn: &mut AnyConnection,
    istat: &str,
    id_op: &str,
    op: Operation,
    digest: &str,
) -> Result<Prior, StoreError> {
    let Some(r) = operations::remembered(conn, istat, id_op)? else {
        return Ok(Prior::Fresh);
    };
    if r.operation == op.code() && r.request_digest == digest {
        return Ok(Prior::Replay(r));
    }
    let anomaly = if r.operation != op.code() {
        Anomaly::new(
            Code::EN079,
            format!(
                "idOperazioneComune {id_op} gia' utilizzato per il servizio {} (idOperazioneANPR {})",
                r.operation, r.operation_id
            ),
        )
    } else {
        Anomaly::new(
            Code::EN148,
            format!(
                "idOperazioneComune {id_op} gia' utilizzato per una richiesta {} con contenuto diverso (idOperazioneANPR {}): per una nuova operazione usare un nuovo idOperazioneComune",
                r.operation, r.operation_id
            ),
        )
    };
    Ok(Prior::Taken(vec![anomaly
        .field("idOperazioneComune")
        .value(id_op)]))
}
