//! 7002 `download_file`: the file one of the comune's 4001 extractions
//! produced, by the 4001's idOperazioneANPR (gzip XML, `formato` `gz`). A
//! job not done yet, failed, of another comune or unknown is EN122 saying
//! which. The file travels in the reply, so it is capped
//! ([`MAX_DOWNLOAD_BYTES`]); a larger one is refused with its size.

use urna_domain::header::RequestHeader;
use urna_domain::{Anomaly, Code};
use urna_store::{extractions, AnyConnection};
use urna_wire::messages::Outcome;
use urna_wire::tables::{id_operazione_7002, DownloadReply};
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

/// The largest file 7002 sends (compressed): 64 MiB, some 85 MiB of base64
/// in the reply.
pub(crate) const MAX_DOWNLOAD_BYTES: u64 = 64 << 20;

pub(crate) struct FileDownload;

impl ServiceOperation for FileDownload {
    const OPERATION: Operation = Operation::Download7002;
    type Request = String;
    type Change = DownloadReply;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<String, ServiceError> {
        Ok(id_operazione_7002(payload))
    }

    fn plan(ctx: &mut Context<'_>, id: String) -> Result<Decision<DownloadReply>, ServiceError> {
        let refuse = |text: String| {
            Ok(Err(vec![Anomaly::new(Code::EN122, text)
                .field("idOperazioneANPR")
                .value(&id)]))
        };
        let job = match id.parse::<i64>() {
            Ok(n) => extractions::get(ctx.conn, n)?,
            Err(_) => None,
        };
        let Some(job) = job.filter(|j| j.comune_istat == ctx.sender.istat) else {
            return refuse(format!(
                "nessun file per l'operazione {id}: il comune non ha richieste asincrone con questo identificativo"
            ));
        };
        let path = match (job.state, &job.file) {
            (extractions::DONE, Some(path)) => path.clone(),
            (extractions::FAILED, _) => {
                return refuse(format!(
                    "l'estrazione {id} non e' riuscita: {}",
                    job.error.as_deref().unwrap_or("errore interno")
                ))
            }
            (state, _) => {
                return refuse(format!(
                    "il file dell'operazione {id} non e' ancora disponibile (statoRichiesta {state}): verificarne lo stato con 4005"
                ))
            }
        };
        let size = std::fs::metadata(&path)
            .map_err(|e| ServiceError::Corrupt(format!("extraction {id} file {path}: {e}")))?
            .len();
        if size > MAX_DOWNLOAD_BYTES {
            return Ok(Err(vec![Anomaly::new(
                Code::EN148,
                format!(
                    "il file dell'operazione {id} e' di {size} byte, oltre i {MAX_DOWNLOAD_BYTES} che 7002 invia: restringere l'estrazione (sezione, lista, eta')"
                ),
            )
            .field("idOperazioneANPR")
            .value(&id)]));
        }
        let content = std::fs::read(&path)
            .map_err(|e| ServiceError::Corrupt(format!("extraction {id} file {path}: {e}")))?;
        Ok(Ok(DownloadReply {
            id_operazione_anpr: id,
            content,
            format: "gz".into(),
        }))
    }

    fn apply(_: &mut AnyConnection, r: DownloadReply, _: Stamp) -> Result<Outcome, ServiceError> {
        Ok(Outcome::Download(Box::new(r)))
    }
}
