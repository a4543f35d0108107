//! 7002 `download_file`: the file an asynchronous operation of the comune
//! produced, by its idOperazioneANPR. urna has no asynchronous operation
//! yet (4001 extraction is to come, docs/anpr-interface.md, "7002"), so
//! every id is answered EN122: there is no file to download.

use urna_domain::header::RequestHeader;
use urna_domain::{Anomaly, Code};
use urna_store::AnyConnection;
use urna_wire::messages::Outcome;
use urna_wire::tables::id_operazione_7002;
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct FileDownload;

impl ServiceOperation for FileDownload {
    const OPERATION: Operation = Operation::Download7002;
    type Request = String;
    type Change = std::convert::Infallible;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<String, ServiceError> {
        Ok(id_operazione_7002(payload))
    }

    fn plan(_: &mut Context<'_>, id: String) -> Result<Decision<Self::Change>, ServiceError> {
        Ok(Err(vec![Anomaly::new(
            Code::EN122,
            format!("nessun file per l'operazione {id}: il comune non ha richieste asincrone con questo identificativo"),
        )
        .field("idOperazioneANPR")
        .value(&id)]))
    }

    fn apply(
        _: &mut AnyConnection,
        never: Self::Change,
        _: Stamp,
    ) -> Result<Outcome, ServiceError> {
        match never {}
    }
}
