//! The background side of 4001: a worker claims an extraction job, reads
//! the comune's electors from one snapshot (the export's streams, a page at
//! a time), keeps those the selection keeps and writes them, gzip, to a file
//! in the extraction directory; 7002 downloads it. A job whose node stopped
//! is claimed again once its lease expires and run from its beginning (a
//! new snapshot, the file rewritten): nothing partial is ever served.

use std::io::Write;
use std::path::{Path, PathBuf};

use urna_domain::date::parse_xs_date;
use urna_domain::extraction::{age_on, Criteria, Person};
use urna_store::{comuni, electors, extractions, subjects, StoreError};
use urna_wire::build;
use urna_wire::extraction::{write_file_end, write_file_start, write_subject};

use crate::export::{lista, ExportError, Merged, PAGE};
use crate::Services;

/// Where extractions are written, how long a claim lasts without progress
/// before another node takes the job over, and how long an ended job and
/// its file are kept (`None`: forever).
#[derive(Debug, Clone)]
pub struct ExtractionSettings {
    pub dir: PathBuf,
    pub lease_ms: i64,
    pub keep_ms: Option<i64>,
}

/// An extraction's file: where, its size and SHA-256 (hex), and the counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub counts: Counts,
}

/// Subjects an extraction read, and how many it kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub read: u64,
    pub kept: u64,
}

impl Services {
    /// Claims the oldest waiting extraction and runs it to its end: its id,
    /// or `None` when none waits. A failure is recorded on the job (state
    /// 99, the reason), not returned.
    pub fn run_next_extraction(&self, s: &ExtractionSettings) -> Result<Option<i64>, StoreError> {
        let now = self.now_ms();
        let Some(job) = self
            .store
            .write(|c| extractions::claim(c, now, s.lease_ms))?
        else {
            return Ok(None);
        };
        let outcome = self.extract(&job, &s.dir);
        self.record_end(job.id, &outcome)?;
        if let Err(e) = outcome {
            tracing::warn!(job = job.id, error = %e, "extraction failed");
        }
        Ok(Some(job.id))
    }

    /// Runs an extraction of comune `istat` now, outside the SOAP path
    /// (`urna extract`, the benchmark): recorded as a job with a negative id
    /// (never an idOperazioneANPR), claimed and run here. Its file and
    /// counts.
    pub fn extract_now(
        &self,
        istat: &str,
        criteria: &Criteria,
        dir: &Path,
    ) -> Result<Extracted, ExportError> {
        let now = self.now_ms();
        let json = serde_json::to_string(criteria)
            .map_err(|e| StoreError::Data(format!("extraction criteria: {e}")))?;
        let id = -now;
        self.store
            .write(|c| extractions::create(c, id, istat, &json, now))?;
        let job = self
            .store
            .read(|c| extractions::get(c, id))?
            .ok_or_else(|| StoreError::Data(format!("extraction {id} vanished")))?;
        let outcome = self.extract(&job, dir);
        self.record_end(id, &outcome)?;
        outcome
    }

    /// Records how a job ended: its file, or why it failed.
    fn record_end(
        &self,
        id: i64,
        outcome: &Result<Extracted, ExportError>,
    ) -> Result<(), StoreError> {
        let now = self.now_ms();
        let path;
        let end = match outcome {
            Ok(x) => {
                path = x.path.to_string_lossy();
                Ok(extractions::ResultFile {
                    path: &path,
                    bytes: x.bytes as i64,
                    sha256: &x.sha256,
                })
            }
            Err(e) => Err(e.to_string()),
        };
        let end = end.as_ref().map(|f| *f).map_err(String::as_str);
        self.store.write(|c| extractions::finish(c, id, end, now))
    }

    /// Deletes the extractions that ended more than `keep_ms` ago, their
    /// files with them (they hold personal data), each deletion an audit
    /// entry; how many.
    pub fn sweep_extractions(&self, s: &ExtractionSettings) -> Result<usize, StoreError> {
        let Some(keep) = s.keep_ms else {
            return Ok(0);
        };
        let now = self.now_ms();
        self.store.write(|c| {
            let gone = extractions::sweep(c, now - keep)?;
            for (id, file) in &gone {
                if let Some(f) = file {
                    if let Err(e) = std::fs::remove_file(f) {
                        if e.kind() != std::io::ErrorKind::NotFound {
                            tracing::warn!(job = id, file = f, error = %e, "an expired extraction's file could not be deleted");
                        }
                    }
                }
                let entry = crate::AuditRecord::event(
                    now,
                    "extraction-expired",
                    "DELETED",
                    "urna",
                    "system",
                    &id.to_string(),
                );
                urna_store::audit::append(c, &entry.entry())?;
            }
            Ok(gone.len())
        })
    }

    fn extract(&self, job: &extractions::JobRow, dir: &Path) -> Result<Extracted, ExportError> {
        let criteria: Criteria = serde_json::from_str(&job.criteria)
            .map_err(|e| StoreError::Data(format!("extraction {} criteria: {e}", job.id)))?;
        std::fs::create_dir_all(dir)?;
        // A job run by `urna extract` has a negative id: its file is named
        // and headed by the number alone.
        let number = job.id.unsigned_abs();
        let path = dir.join(format!("{number}.xml.gz"));
        let part = dir.join(format!("{number}.xml.gz.part"));
        let file = Digesting::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::fs::File::create(&part)?,
        ));
        let mut out = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let istat = job.comune_istat.as_str();
        let reference = criteria.reference_date;
        let counts = self.store.snapshot(|c| -> Result<Counts, ExportError> {
            let comune = comuni::last_known(c, istat, &reference.to_string())?
                .ok_or_else(|| ExportError::UnknownComune(istat.to_string()))?;
            let owner = build::comune(&comune.nome, istat, &comune.sigla);
            let (total, _) = electors::export_count(c, istat)?;
            write_file_start(&mut out, number, &reference.to_string())?;
            let mut merged = Merged::new(istat);
            let (mut read, mut kept) = (0i64, 0u64);
            let mut page = Vec::with_capacity(PAGE as usize);
            loop {
                let row = merged.next(c)?;
                let full = row.is_none() || page.len() == PAGE as usize;
                if full && !page.is_empty() {
                    let ids: Vec<String> = page
                        .iter()
                        .map(|r: &electors::ElectorRow| r.id_soggetto.clone())
                        .collect();
                    let people = subjects::get_many(c, &ids)?;
                    for r in page.drain(..) {
                        read += 1;
                        let Some(p) = people.get(&r.id_soggetto) else {
                            continue;
                        };
                        let state = r.to_state()?;
                        let born = parse_xs_date(&p.data_nascita);
                        let person = Person {
                            sex: &p.sesso,
                            born,
                            citizenship: &p.cittadinanza,
                        };
                        if !criteria.keeps(istat, &state, &person) {
                            continue;
                        }
                        let age = born
                            .map(|b| age_on(b, reference).to_string())
                            .unwrap_or_default();
                        write_subject(
                            &mut out,
                            [
                                ("idSchedaSoggettoANPR", &r.id_soggetto),
                                ("codiceFiscale", &p.codice_fiscale),
                                ("cognome", &p.cognome),
                                ("nome", &p.nome),
                                ("sesso", &p.sesso),
                                ("dataNascita", &p.data_nascita),
                                ("etaCittadino", &age),
                            ],
                            &lista(&state, istat, &owner),
                        )?;
                        kept += 1;
                    }
                    let now = self.now_ms();
                    self.store
                        .write(|w| extractions::progress(w, job.id, read, total, now))?;
                }
                match row {
                    Some(r) => page.push(r),
                    None => break,
                }
            }
            write_file_end(&mut out, kept)?;
            Ok(Counts {
                read: read as u64,
                kept,
            })
        })?;
        let mut file = out.finish()?;
        file.inner.flush()?;
        file.inner.get_ref().sync_all()?;
        std::fs::rename(&part, &path)?;
        Ok(Extracted {
            path,
            bytes: file.bytes,
            sha256: hex::encode(sha2::Digest::finalize(file.sha256)),
            counts,
        })
    }
}

/// A `Write` that counts and digests what goes through it.
struct Digesting<W> {
    inner: W,
    bytes: u64,
    sha256: sha2::Sha256,
}

impl<W> Digesting<W> {
    fn new(inner: W) -> Self {
        use sha2::Digest;
        Digesting {
            inner,
            bytes: 0,
            sha256: sha2::Sha256::new(),
        }
    }
}

impl<W: Write> Write for Digesting<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(data)?;
        self.sha256.update(&data[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
