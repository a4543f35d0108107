//! Applying a takeover's records: the same rules as 5011 / 5010, chunk by
//! chunk, each group of chunks with its anomalies and checkpoint in one
//! transaction.

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::Receiver;

use crate::view::ReadView;
use urna_domain::elector::{apply_5010, Mutation5010, TipiMutazione, TipoMutazione};
use urna_domain::section::{self, SenderComune};
use urna_domain::{Anomaly, Code};
use urna_store::subentro::{self as jobs, AnomalyRow};
use urna_store::{electors, sections, subjects, AnyConnection, Store, StoreError};
use urna_wire::{messages, Element};

use super::load::Parsed;
use super::{now_ms, FileKind, SubentroError};

/// State of one upload.
pub(super) struct Run<'a> {
    store: &'a Store,
    sender: &'a SenderComune,
    kind: FileKind,
    job: i64,
    today: time::Date,
    /// What the rules look up; its sections grow as a sections file loads.
    view: ReadView,
    pub done: u64,
    pub loaded: u64,
    pub anomalies: u64,
}

impl<'a> Run<'a> {
    pub fn new(
        store: &'a Store,
        sender: &'a SenderComune,
        kind: FileKind,
        job: i64,
        today: time::Date,
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
            today,
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
    pub fn commit_group(
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
                payload: crate::operations::with_owner(rec, self.sender).inner_xml(),
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
        let mut tipi = TipiMutazione::from_iter([TipoMutazione::Liste]);
        if liste.ue.is_some() {
            tipi.insert(TipoMutazione::ListaUe);
        }
        if liste.comreg.is_some() {
            tipi.insert(TipoMutazione::ListaComReg);
        }
        let cert = rec.child("certificabilita").map(|b| {
            b.text_of("soggettoCertificabile")
                .map(|v| v.trim().to_string())
        });
        if matches!(cert, Some(Some(_))) {
            tipi.insert(TipoMutazione::Certificabilita);
        }
        let m = Mutation5010 {
            id_soggetto: id.clone(),
            tipi,
            liste: Some(liste),
            certificabile: cert,
            cancellazione: None,
            primo_caricamento: true,
            decorrenza: self.today,
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
            &self.today.to_string(),
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
                // R-T3: a first-load conflict notifies both comuni (N017);
                // R-D1: met on another comune's general list, it is a
                // double registration.
                if errors.iter().any(|a| a.code == Code::EN556) {
                    if let Some(holder) =
                        urna_domain::doubles::holder_met_by(&self.sender.istat, &current)
                    {
                        urna_store::doubles::open(
                            c,
                            &id,
                            holder,
                            &self.sender.istat,
                            now_ms(),
                            &format!("subentro {}", self.job),
                        )?;
                    }
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
