//! The electoral takeover ("subentro": docs/anpr-interface.md §Takeover files;
//! rules R-T1…R-T5 in docs/rules.md): the `subentroSezioni` and
//! `subentroListe` files of a comune, plain or gzip.
//!
//! * Streaming: records are read one at a time ([`urna_wire::stream`]) and
//!   written in chunks; memory does not depend on the file size.
//! * Every record goes through the same rules as 5011 / 5010 with
//!   `tipoRevisione` PRIMOCARICAMENTO; a refused record becomes an anomaly of
//!   the outcome report and the file goes on. EN556 conflicts notify both
//!   comuni (N017).
//! * Each chunk, its anomalies and the job's checkpoint commit in one
//!   transaction. After a crash, uploading the same file again **resumes**
//!   after the last committed record (the file's SHA-256 must match);
//!   nothing acknowledged is lost, nothing is applied twice.

mod load;
mod run;

use std::path::Path;

use urna_domain::section::SenderComune;
use urna_store::subentro::JobState;
use urna_store::subentro::{self as jobs};
use urna_store::{comuni, sections, AnyConnection, Backend, Store, StoreError};

pub use load::upload_tuned;

/// Which file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Sezioni,
    Liste,
}

impl FileKind {
    pub fn key(self) -> &'static str {
        match self {
            FileKind::Sezioni => "sezioni",
            FileKind::Liste => "liste",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SubentroError {
    #[error("{0}")]
    Refused(String),
    #[error("the file is not valid XML (EN009): {0}")]
    NotXml(String),
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadReport {
    pub job_id: i64,
    pub records: u64,
    pub loaded: u64,
    pub anomalies: u64,
    /// Records skipped because an interrupted run had already committed them.
    pub resumed_from: u64,
}

/// Records per parsed chunk: the unit handed from the reader thread to the
/// writer, and the granularity of resuming.
pub const CHUNK: usize = 1000;

/// How an upload is cut into chunks and transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuning {
    /// Records per chunk (one `SELECT` of subjects and states per chunk).
    pub chunk: usize,
    /// Chunks per transaction; the checkpoint commits with them.
    pub chunks_per_commit: usize,
}

impl Tuning {
    /// Measured with `make bench-subentro`. On SQLite a transaction of
    /// 64,000 records: records arrive in arbitrary section order, so every
    /// commit rewrites one leaf of the list index per section, and larger
    /// groups write each such page once for more records (2M records: 88 s
    /// with one chunk per commit, 44 s with 64). On PostgreSQL 4,000 records
    /// per transaction: fewer WAL flushes, progress still acknowledged often.
    pub fn for_backend(backend: Backend) -> Tuning {
        match backend {
            Backend::Sqlite => Tuning {
                chunk: CHUNK,
                chunks_per_commit: 64,
            },
            Backend::Postgres => Tuning {
                chunk: CHUNK,
                chunks_per_commit: 4,
            },
        }
    }
}

fn now_ms() -> i64 {
    urna_store::now_millis()
}

/// Whether `istat` may upload a `kind` file now (R-T1, R-T2, R-T5): the
/// checks that need no file, also run by the HTTPS endpoint before it reads
/// the body. Returns the sender and the comune's earlier jobs of that kind.
pub fn admissible(
    c: &mut AnyConnection,
    istat: &str,
    kind: FileKind,
    today: &str,
) -> Result<(SenderComune, Vec<jobs::Job>), SubentroError> {
    let Some(row) = comuni::active(c, istat, today)? else {
        return Err(SubentroError::Refused(format!(
            "{istat} is not an active comune"
        )));
    };
    let sender = SenderComune {
        istat: row.istat,
        nome: row.nome,
        sigla: row.sigla,
    };
    let previous = jobs::jobs(c, istat, kind.key())?;
    if previous.iter().any(|j| j.state() == JobState::Done) {
        return Err(SubentroError::Refused(format!(
            "I file elettorali sono stati gia' caricati: the {} file of comune {istat} was already loaded (R-T1, R-T5)",
            kind.key()
        )));
    }
    let resuming = previous.iter().any(|j| j.state() == JobState::Running);
    match kind {
        FileKind::Sezioni if !resuming && jobs::accepted_since(c, istat, "5011", 0)? => {
            return Err(SubentroError::Refused(
                "sections were already sent with 5011: the sections upload is disabled (R-T2)"
                    .into(),
            ))
        }
        FileKind::Liste if sections::count(c, istat)? == 0 => {
            return Err(SubentroError::Refused(
                "load the sections first (R-T1): the comune has none".into(),
            ))
        }
        _ => {}
    }
    Ok((sender, previous))
}

/// Where an upload stands, after a committed chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Records committed so far (including those of a resumed run).
    pub done: u64,
    pub anomalies: u64,
    /// The record count the file declares (`numeroTotaleListe` /
    /// `numeroTotaleSezioni`), when it does: what an ETA is computed from.
    pub declared: Option<u64>,
    /// Records this run skipped because an interrupted run committed them.
    pub resumed_from: u64,
}

/// Loads a takeover file for `istat`; `progress` is called after every
/// commit.
pub fn upload(
    store: &Store,
    istat: &str,
    kind: FileKind,
    path: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<UploadReport, SubentroError> {
    let tuning = Tuning::for_backend(store.backend());
    upload_tuned(store, istat, kind, path, tuning, progress)
}
