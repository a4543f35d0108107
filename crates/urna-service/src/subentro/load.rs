//! Reading a takeover file: decompressing, hashing and parsing it into
//! chunks of records on a thread of its own, while the caller's thread
//! applies them ([`super::run`]).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use urna_store::subentro::JobState;
use urna_store::subentro::{self as jobs};
use urna_store::{subjects, Store, StoreError};
use urna_wire::{ns, stream, Element};

use super::run::Run;
use super::{admissible, now_ms, FileKind, Progress, SubentroError, Tuning, UploadReport};

/// A parsed chunk, the total the file declares (once seen), and for a lists
/// file the registry rows of the chunk's subjects.
pub(super) struct Parsed {
    pub records: Vec<(u64, Element)>,
    pub declared: Option<i32>,
    pub subjects: Result<HashMap<String, subjects::SubjectRow>, StoreError>,
}

/// The registry rows of a chunk's subjects, read by the reader thread on a
/// connection of its own while the writer applies the previous chunk (the
/// registry is not what a takeover changes), so that query leaves the
/// writer's path.
fn subjects_of(
    store: &Store,
    kind: FileKind,
    records: &[(u64, Element)],
) -> Result<HashMap<String, subjects::SubjectRow>, StoreError> {
    if kind == FileKind::Sezioni {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = records
        .iter()
        .filter_map(|(_, r)| r.text_of("idSchedaSoggettoANPR").map(str::to_string))
        .collect();
    store.read(|c| subjects::get_many(c, &ids))
}

fn open(path: &Path) -> Result<Box<dyn BufRead + Send>, SubentroError> {
    let mut f = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
    let gz = f.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(f),
        ))
    } else {
        Box::new(f)
    })
}

fn sha256_of(path: &Path) -> Result<String, SubentroError> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// [`upload`] with explicit chunk and transaction sizes.
pub fn upload_tuned(
    store: &Store,
    istat: &str,
    kind: FileKind,
    path: &Path,
    tuning: Tuning,
    progress: &mut dyn FnMut(Progress),
) -> Result<UploadReport, SubentroError> {
    assert!(
        tuning.chunk > 0 && tuning.chunks_per_commit > 0,
        "{tuning:?}"
    );
    let today = OffsetDateTime::now_utc().date();
    let sha = sha256_of(path)?;
    let (sender, job_id, resume_from, loaded_before, anomalies_before) = store.write(|c| -> Result<_, SubentroError> {
        let (sender, previous) = admissible(c, istat, kind, &today.to_string())?;
        if let Some(j) = previous.iter().find(|j| j.state() == JobState::Running) {
            if j.file_sha256 != sha {
                return Err(SubentroError::Refused(format!(
                    "job {} for this comune was interrupted while loading another file; upload that same file to resume it",
                    j.id
                )));
            }
            return Ok((sender, j.id, j.records_done as u64, j.loaded as u64, j.anomalies as u64));
        }
        let id = jobs::start(c, istat, kind.key(), &sha, now_ms())?;
        Ok((sender, id, 0, 0, 0))
    })?;
    let mut run = Run::new(store, &sender, kind, job_id, today)?;
    run.done = resume_from;
    run.loaded = loaded_before;
    run.anomalies = anomalies_before;
    let (root_ns, root, record, depth) = match kind {
        FileKind::Sezioni => (ns::SUBENTRO_SEZIONI, "subentroSezioni", "sezione", 3),
        FileKind::Liste => (ns::SUBENTRO_LISTE, "subentroListe", "listaSoggetto", 3),
    };
    // Two stages on two threads: the reader decompresses and parses the
    // file into chunks of records; this thread applies the rules and writes.
    // The bounded channel keeps at most two chunks in flight, so memory stays
    // independent of the file size.
    let input = open(path)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(2);
    let (parsed, applied) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let declared = std::cell::Cell::new(None::<i32>);
            let mut chunk: Vec<(u64, Element)> = Vec::with_capacity(tuning.chunk);
            let result = stream::for_each_record(
                input,
                root_ns,
                root,
                record,
                depth,
                |k, v| {
                    if k == "numeroTotaleSezioni" || k == "numeroTotaleListe" {
                        declared.set(v.parse().ok());
                    }
                },
                |i, e| {
                    if i < resume_from {
                        return true;
                    }
                    chunk.push((i, e));
                    if chunk.len() < tuning.chunk {
                        return true;
                    }
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(tuning.chunk));
                    let subjects = subjects_of(store, kind, &full);
                    // A closed channel means the writer stopped on an error.
                    tx.send(Parsed {
                        records: full,
                        declared: declared.get(),
                        subjects,
                    })
                    .is_ok()
                },
            );
            if result.is_ok() {
                // The last, partial chunk goes only after a clean end of file:
                // a broken file must not commit records past its last chunk.
                let subjects = subjects_of(store, kind, &chunk);
                let _ = tx.send(Parsed {
                    records: chunk,
                    declared: declared.get(),
                    subjects,
                });
            }
            result
        });
        let mut applied = Ok(());
        loop {
            match run.commit_group(&rx, tuning.chunks_per_commit) {
                Err(e) => {
                    applied = Err(e);
                    break;
                }
                Ok((received, declared)) => {
                    if received > 0 {
                        progress(Progress {
                            done: run.done,
                            anomalies: run.anomalies,
                            declared: declared.and_then(|n| u64::try_from(n).ok()),
                            resumed_from: resume_from,
                        });
                    }
                    if received < tuning.chunks_per_commit {
                        break;
                    }
                }
            }
        }
        drop(rx);
        let parsed = reader.join().unwrap_or_else(|_| {
            Err(stream::StreamError {
                message: "the reader thread panicked".into(),
                byte: 0,
            })
        });
        (parsed, applied)
    });
    applied?;
    let total = match parsed {
        Ok(total) => total,
        Err(e) => {
            // A structurally broken file (truncated, not XML, wrong root):
            // undo what it applied so a corrected file can be sent anew.
            let error = format!("{} (byte {})", e.message, e.byte);
            store.write(|c| -> Result<(), StoreError> {
                let job = jobs::jobs(c, istat, kind.key())?
                    .into_iter()
                    .find(|j| j.id == job_id)
                    .ok_or_else(|| StoreError::Data(format!("job {job_id} vanished")))?;
                jobs::fail_and_roll_back(c, &job, &format!("EN009 {error}"), now_ms())
            })?;
            return Err(SubentroError::NotXml(error));
        }
    };
    store.write(|c| jobs::finish(c, job_id, JobState::Done, now_ms()))?;
    Ok(UploadReport {
        job_id,
        records: total,
        loaded: run.loaded,
        anomalies: run.anomalies,
        resumed_from: resume_from,
    })
}
