//! 7002 `download_file`: the file one of the comune's 4001 extractions
//! produced, by the 4001's idOperazioneANPR (gzip XML, `formato` `gz`). A
//! job not done yet, failed, of another comune or unknown is EN122 saying
//! which. The file is never read here: the reply names it
//! ([`StreamedFile`]) and the transport streams it from disk, so its size
//! costs no memory.

use urna_domain::header::RequestHeader;
use urna_domain::{Anomaly, Code};
use urna_store::{extractions, AnyConnection};
use urna_wire::messages::Outcome;
use urna_wire::tables::{id_operazione_7002, DownloadReply, StreamedFile};
use urna_wire::{Element, Operation};

use super::{Context, Decision, Reply, ServiceOperation, Stamp};
use crate::ServiceError;

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
        if !std::path::Path::new(&path).is_file() {
            return refuse(format!(
                "il file dell'operazione {id} non e' piu' disponibile sul server: ripetere l'estrazione con 4001"
            ));
        }
        let file = match (job.file_bytes, job.file_sha256) {
            (Some(bytes), Some(sha256)) => StreamedFile {
                path: path.into(),
                bytes: bytes as u64,
                sha256,
            },
            // A job finished before sizes and digests were recorded.
            _ => digest_file(&path)
                .map_err(|e| ServiceError::Corrupt(format!("extraction {id} file {path}: {e}")))?,
        };
        Ok(Ok(DownloadReply {
            id_operazione_anpr: id,
            file: Some(file),
            format: "gz".into(),
        }))
    }

    fn apply(_: &mut AnyConnection, r: DownloadReply, _: Stamp) -> Result<Outcome, ServiceError> {
        Ok(Outcome::Download(Box::new(r)))
    }

    /// A retry streams the same file again, found by the digest the
    /// remembered Body names; once the job has expired the reply goes
    /// without `contenutoFile`.
    fn replayed(
        conn: &mut AnyConnection,
        remembered: String,
        _: i64,
    ) -> Result<Reply, ServiceError> {
        let Some(sha256) = StreamedFile::named_in(&remembered).map(str::to_string) else {
            return Ok(Reply::body(remembered));
        };
        let kept = extractions::by_file_sha256(conn, &sha256)?.and_then(|job| {
            let path = job.file?;
            std::path::Path::new(&path).exists().then(|| StreamedFile {
                path: path.into(),
                bytes: job.file_bytes.unwrap_or_default() as u64,
                sha256: sha256.clone(),
            })
        });
        Ok(match kept {
            Some(file) => Reply {
                body: remembered,
                file: Some(file),
            },
            None => {
                let element = format!(
                    "<contenutoFile>{}</contenutoFile>",
                    urna_wire::tables::placeholder(&sha256)
                );
                Reply::body(remembered.replacen(&element, "", 1))
            }
        })
    }
}

/// Size and SHA-256 (hex) of the file at `path`, read in pieces.
fn digest_file(path: &str) -> std::io::Result<StreamedFile> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let bytes = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(StreamedFile {
        path: path.into(),
        bytes,
        sha256: hex::encode(hasher.finalize()),
    })
}
