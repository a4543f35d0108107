//! The electoral takeover ("subentro", spec §14, R-T1…R-T5): the
//! `subentroSezioni` and `subentroListe` files of a comune, plain or gzip.
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

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::Receiver;

use crate::view::ReadView;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use urna_domain::elector::{apply_5010, Mutation5010};
use urna_domain::section::{self, SenderComune};
use urna_domain::{Anomaly, Code};
use urna_store::subentro::JobState;
use urna_store::subentro::{self as jobs, AnomalyRow};
use urna_store::{comuni, electors, sections, subjects, AnyConnection, Backend, Store, StoreError};
use urna_wire::{messages, ns, stream, Element};

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

/// A parsed chunk, the total the file declares (once seen), and for a lists
/// file the registry rows of the chunk's subjects.
struct Parsed {
    records: Vec<(u64, Element)>,
    declared: Option<i32>,
    subjects: Result<HashMap<String, subjects::SubjectRow>, StoreError>,
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
    let today = OffsetDateTime::now_utc().date().to_string();
    let sha = sha256_of(path)?;
    let (sender, job_id, resume_from, loaded_before, anomalies_before) = store.write(|c| -> Result<_, SubentroError> {
        let (sender, previous) = admissible(c, istat, kind, &today)?;
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
    let mut run = Run::new(store, &sender, kind, job_id, &today)?;
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

/// State of one upload.
struct Run<'a> {
    store: &'a Store,
    sender: &'a SenderComune,
    kind: FileKind,
    job: i64,
    today: String,
    /// What the rules look up; its sections grow as a sections file loads.
    view: ReadView,
    done: u64,
    loaded: u64,
    anomalies: u64,
}

impl<'a> Run<'a> {
    fn new(
        store: &'a Store,
        sender: &'a SenderComune,
        kind: FileKind,
        job: i64,
        today: &str,
    ) -> Result<Self, SubentroError> {
        let view = store.read(|c| {
            let sections = sections::list(c, &sender.istat)?
                .into_iter()
                .map(|r| r.numero)
                .collect();
            ReadView::new(c, sender, sections)
        })?;
        Ok(Run {
            store,
            sender,
            kind,
            job,
            today: today.into(),
            view,
            done: 0,
            loaded: 0,
            anomalies: 0,
        })
    }

    /// Receives up to `chunks` chunks from `rx` and applies them, their
    /// anomalies and the job's checkpoint in one transaction. Returns the
    /// chunks received and the declared total; fewer chunks than asked means
    /// the reader is done.
    fn commit_group(
        &mut self,
        rx: &Receiver<Parsed>,
        chunks: usize,
    ) -> Result<(usize, Option<i32>), SubentroError> {
        let (received, records, loaded, anomalies, declared) =
            self.store.write(|c| -> Result<_, StoreError> {
                urna_store::prepare_bulk_load(c)?;
                let (mut received, mut records, mut loaded, mut anomalies) = (0, 0u64, 0u64, 0u64);
                let mut declared = None;
                while received < chunks {
                    let Ok(parsed) = rx.recv() else { break };
                    received += 1;
                    declared = parsed.declared;
                    records += parsed.records.len() as u64;
                    let (l, a) = self.apply(c, parsed.records, parsed.subjects?)?;
                    loaded += l;
                    anomalies += a;
                }
                if records > 0 {
                    jobs::checkpoint(
                        c,
                        self.job,
                        (self.done + records) as i32,
                        (self.loaded + loaded) as i32,
                        (self.anomalies + anomalies) as i32,
                        declared,
                    )?;
                }
                Ok((received, records, loaded, anomalies, declared))
            })?;
        self.done += records;
        self.loaded += loaded;
        self.anomalies += anomalies;
        Ok((received, declared))
    }

    /// Applies one chunk inside the caller's transaction; returns the records
    /// loaded and the anomalies raised.
    fn apply(
        &mut self,
        c: &mut AnyConnection,
        records: Vec<(u64, Element)>,
        registry: HashMap<String, subjects::SubjectRow>,
    ) -> Result<(u64, u64), StoreError> {
        let (mut loaded, mut anomalies) = (0u64, 0u64);
        // Lists: what the chunk's subjects hold, in one query (who they are
        // came with the chunk).
        let mut batch = match self.kind {
            FileKind::Liste => {
                let ids: Vec<String> = records
                    .iter()
                    .filter_map(|(_, r)| r.text_of("idSchedaSoggettoANPR").map(str::to_string))
                    .collect();
                let stored = electors::get_rows(c, &ids)?;
                let states = stored
                    .iter()
                    .map(|(id, r)| Ok((id.clone(), r.to_state()?)))
                    .collect::<Result<_, StoreError>>()?;
                Some(Batch {
                    subjects: registry,
                    stored,
                    states,
                    changed: HashSet::new(),
                })
            }
            FileKind::Sezioni => None,
        };
        for (i, rec) in &records {
            let errors = match &mut batch {
                None => self.section(c, rec)?,
                Some(b) => self.elector(c, rec, b)?,
            };
            if errors.is_empty() {
                loaded += 1;
            }
            let subject = rec.text_of("idSchedaSoggettoANPR").map(str::to_string);
            for a in &errors {
                anomalies += 1;
                jobs::add_anomaly(
                    c,
                    &AnomalyRow {
                        job_id: self.job,
                        record_no: *i as i32 + 1,
                        id_soggetto: subject.clone(),
                        code: a.code.wire().into(),
                        field: a.field.clone(),
                        value: a.value.clone(),
                        text: a.text.clone(),
                    },
                )?;
            }
        }
        if let Some(b) = batch {
            let now = now_ms();
            // Rows carry the job as their last operation (negated, to tell
            // it from idOperazioneANPR); overwritten rows keep a
            // before-image, so a broken file can be rolled back exactly.
            let (existing, new): (Vec<_>, Vec<_>) = b
                .changed
                .iter()
                .map(|id| electors::ElectorRow::from_state(id, &b.states[id], -self.job, now))
                .partition(|r| b.stored.contains_key(&r.id_soggetto));
            let images: Vec<_> = existing
                .iter()
                .filter_map(|r| b.stored.get(&r.id_soggetto))
                .filter(|before| before.last_operation != -self.job)
                .collect();
            jobs::save_before_images(c, self.job, &images)?;
            electors::put_many(c, &existing)?;
            electors::insert_new(c, &new)?;
        }
        Ok((loaded, anomalies))
    }

    fn section(
        &mut self,
        c: &mut AnyConnection,
        rec: &Element,
    ) -> Result<Vec<Anomaly>, StoreError> {
        let input = messages::section_input(rec);
        let errors = section::check_upsert(self.sender, &input, self.view.table());
        if !errors.is_empty() {
            return Ok(errors);
        }
        let numero = input.number.unwrap_or_default();
        sections::upsert(
            c,
            &sections::SectionRow {
                comune_istat: self.sender.istat.clone(),
                numero: numero.clone(),
                denominazione: input.name,
                payload: crate::handler::with_owner(rec, self.sender).inner_xml(),
                updated_at: now_ms(),
                last_operation: 0,
            },
        )?;
        self.view.add_section(numero);
        Ok(vec![])
    }

    fn elector(
        &mut self,
        c: &mut AnyConnection,
        rec: &Element,
        b: &mut Batch,
    ) -> Result<Vec<Anomaly>, StoreError> {
        let id = rec
            .text_of("idSchedaSoggettoANPR")
            .unwrap_or_default()
            .to_string();
        let Some(lista) = rec.child("lista") else {
            return Ok(vec![
                Anomaly::new(Code::EN562, "listaSoggetto senza lista").field("lista")
            ]);
        };
        let liste = messages::liste_block(lista);
        let mut tipi = vec!["01".to_string()];
        if liste.ue.is_some() {
            tipi.push("02".into());
        }
        if liste.comreg.is_some() {
            tipi.push("03".into());
        }
        let cert = rec.child("certificabilita").map(|b| {
            b.text_of("soggettoCertificabile")
                .map(|v| v.trim().to_string())
        });
        if matches!(cert, Some(Some(_))) {
            tipi.push("04".into());
        }
        let m = Mutation5010 {
            id_soggetto: id.clone(),
            tipi,
            liste: Some(liste),
            certificabile: cert,
            cancellazione: None,
            primo_caricamento: true,
            decorrenza: self.today.clone(),
        };
        let subject = b.subjects.get(&id).map(|s| s.facts());
        let current = b.states.get(&id).cloned().unwrap_or_default();
        self.view.learn_comuni(
            c,
            [
                current.first_load.clone(),
                current.general.as_ref().map(|(l, _)| l.comune.clone()),
                subject.as_ref().and_then(|s| s.residence.clone()),
            ]
            .into_iter()
            .flatten(),
            &self.today,
        )?;
        match apply_5010(self.sender, subject.as_ref(), &current, &m, &self.view) {
            Ok(state) => {
                // Later records of the chunk see this one (a subject twice
                // in the file gets EN556 the second time).
                b.states.insert(id.clone(), state);
                b.changed.insert(id);
                Ok(vec![])
            }
            Err(errors) => {
                // R-T3: a first-load conflict notifies both comuni (N017).
                if errors.iter().any(|a| a.code == Code::EN556) {
                    if let Some(other) = current
                        .first_load
                        .as_ref()
                        .filter(|o| **o != self.sender.istat)
                    {
                        let now = now_ms();
                        jobs::notify(
                            c,
                            "N017",
                            &self.sender.istat,
                            &id,
                            other,
                            Some(self.job),
                            now,
                        )?;
                        jobs::notify(
                            c,
                            "N017",
                            other,
                            &id,
                            &self.sender.istat,
                            Some(self.job),
                            now,
                        )?;
                    }
                }
                Ok(errors)
            }
        }
    }
}

/// A chunk's prefetched subjects and states, and which states changed.
struct Batch {
    subjects: HashMap<String, subjects::SubjectRow>,
    states: HashMap<String, urna_domain::elector::ElectorState>,
    /// The rows of subjects that had a stored state when the chunk began.
    stored: HashMap<String, electors::ElectorRow>,
    changed: HashSet<String>,
}
