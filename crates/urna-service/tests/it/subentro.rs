//! The electoral takeover on both backends: generated files, the one-upload
//! rules, anomalies, EN556 with N017, and resuming an interrupted upload.

use crate::common;

use std::sync::Arc;

use urna_service::generate::{self, Spec};
use urna_service::subentro::{self, FileKind, SubentroError};
use urna_store::testing::TestDb;
use urna_store::{electors, Store};
use urna_wire::ns;

fn spec(electors: u64) -> Spec {
    common::ciampino_spec(electors, 7)
}

struct World {
    store: Arc<Store>,
    files: generate::Files,
    label: &'static str,
    _dir: tempfile::TempDir,
    _db: TestDb,
}

fn worlds(electors: u64) -> Vec<World> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let store = common::demo_store(&db);
            let dir = tempfile::tempdir().unwrap();
            let files = generate::generate(&spec(electors), dir.path()).unwrap();
            common::import_generated(&store, &files);
            World {
                store,
                files,
                label: db.label,
                _dir: dir,
                _db: db,
            }
        })
        .collect()
}

impl World {
    /// Stores a state for a subject of the lists file, so that an upload
    /// overwrites it; its id and the row.
    fn store_a_known_elector(&self) -> (String, electors::ElectorRow) {
        let known = spec(2500).subject_id(generate::plain_elector_index(5));
        let before = electors::ElectorRow::from_state(
            &known,
            &urna_domain::elector::ElectorState::default(),
            42,
            7,
        );
        self.store.write(|c| electors::put(c, &before)).unwrap();
        (known, before)
    }

    /// Uploads without progress reporting.
    fn upload(
        &self,
        istat: &str,
        kind: FileKind,
        path: &std::path::Path,
    ) -> Result<subentro::UploadReport, SubentroError> {
        subentro::upload(&self.store, istat, kind, path, &mut |_| {})
    }
}

fn gunzip(path: &std::path::Path) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn generated_files_are_schema_valid() {
    let dir = tempfile::tempdir().unwrap();
    let files = generate::generate(&spec(1200), dir.path()).unwrap();
    urna_security::gate::validate_document(&gunzip(&files.sezioni), "subentroSezioni.xsd").unwrap();
    urna_security::gate::validate_document(&gunzip(&files.liste), "subentroListe.xsd").unwrap();
    let text = String::from_utf8(gunzip(&files.liste)).unwrap();
    let n = text.matches("<listaSoggetto>").count() as u64;
    assert_eq!(n, generate::expected_records(&spec(1200)));
    assert!(text.contains(&format!("<numeroTotaleListe>{n}</numeroTotaleListe>")));
}

#[test]
fn sections_then_lists_once_each() {
    for w in worlds(2500) {
        let e = w
            .upload("058118", FileKind::Liste, &w.files.liste)
            .unwrap_err();
        assert!(
            matches!(e, SubentroError::Refused(ref m) if m.contains("R-T1")),
            "{}: {e}",
            w.label
        );
        let r = w
            .upload("058118", FileKind::Sezioni, &w.files.sezioni)
            .unwrap();
        assert_eq!(
            (r.records, r.loaded, r.anomalies),
            (w.files.sections, w.files.sections, 0),
            "{}",
            w.label
        );
        let e = w
            .upload("058118", FileKind::Sezioni, &w.files.sezioni)
            .unwrap_err();
        assert!(e.to_string().contains("gia' caricati"), "{e}");
        let r = w.upload("058118", FileKind::Liste, &w.files.liste).unwrap();
        assert_eq!(r.records, generate::expected_records(&spec(2500)));
        assert_eq!((r.loaded, r.anomalies), (r.records, 0), "{}", w.label);
        let s = w
            .store
            .read(|c| electors::get(c, &spec(2500).subject_id(100)))
            .unwrap();
        assert_eq!(s.general.unwrap().0.comune, "058118");
        assert_eq!(s.first_load.as_deref(), Some("058118"));
        assert_eq!(s.certificabile, Some(2));
        let eu = w
            .store
            .read(|c| electors::get(c, &spec(2500).subject_id(12)))
            .unwrap();
        assert!(eu.ue_comunali.is_some() && eu.ue_parlamento.is_some() && eu.general.is_none());
        assert!(w.upload("058118", FileKind::Liste, &w.files.liste).is_err());
    }
}

#[test]
fn a_first_load_conflict_is_an_anomaly_and_notifies_both_comuni() {
    for w in worlds(50) {
        w.upload("058118", FileKind::Sezioni, &w.files.sezioni)
            .unwrap();
        w.upload("058118", FileKind::Liste, &w.files.liste).unwrap();
        // Fiumicino's file: a Ciampino subject (conflict) and a bad section.
        let comune = "<comune><nomeComune>FIUMICINO</nomeComune><codiceIstat>058120</codiceIstat><siglaProvinciaIstat>RM</siglaProvinciaIstat></comune>";
        let rec = |id: &str, sez: &str| {
            format!("<listaSoggetto><idSchedaSoggettoANPR>{id}</idSchedaSoggettoANPR><lista><elettore>S</elettore><listaGenerale>{comune}<sezioneelettoralenum>{sez}</sezioneelettoralenum></listaGenerale><referendumnazionali>S</referendumnazionali><elezionimembriue>S</elezionimembriue><senatorepubblica>S</senatorepubblica><circoscrsenatorepubblica>LAZIO</circoscrsenatorepubblica><cameradeputati>S</cameradeputati><circoscrcameradeputati>LAZIO 1</circoscrcameradeputati><regionali>S</regionali><comunali>S</comunali><circoscrizionali>N</circoscrizionali></lista></listaSoggetto>")
        };
        let file = format!(
            "<l:subentroListe xmlns:l=\"{}\"><datiFornitura><versioneFornitura>1</versioneFornitura><numeroTotaleListe>2</numeroTotaleListe></datiFornitura><listeElettorali>{}{}</listeElettorali></l:subentroListe>",
            ns::SUBENTRO_LISTE,
            rec(&spec(50).subject_id(30), "1"),
            rec("9058120011", "999")
        );
        let path = w._dir.path().join("fiumicino.xml");
        std::fs::write(&path, file).unwrap();
        let r = w.upload("058120", FileKind::Liste, &path).unwrap();
        assert_eq!((r.records, r.loaded), (2, 0), "{}", w.label);
        let report = w
            .store
            .read(|c| urna_store::subentro::anomalies(c, r.job_id))
            .unwrap();
        let codes: Vec<_> = report
            .iter()
            .map(|a| (a.record_no, a.code.as_str()))
            .collect();
        assert!(
            codes.contains(&(1, "EN556")) && codes.contains(&(2, "EN557")),
            "{codes:?}"
        );
        let en556 = report.iter().find(|a| a.code == "EN556").unwrap();
        assert!(
            en556.text.contains("CIAMPINO (RM) 058118"),
            "{}",
            en556.text
        );
        for (to, other) in [("058120", "058118"), ("058118", "058120")] {
            let n = w
                .store
                .read(|c| urna_store::subentro::notifications_for(c, to))
                .unwrap();
            assert_eq!(n.len(), 1, "{}: {to}", w.label);
            assert_eq!(
                (n[0].code.as_str(), n[0].other_comune.as_str()),
                ("N017", other)
            );
        }
    }
}

#[test]
fn an_interrupted_upload_resumes_without_duplicates() {
    for w in worlds(2500) {
        w.upload("058118", FileKind::Sezioni, &w.files.sezioni)
            .unwrap();
        // The process dies right after the first committed chunk.
        let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            subentro::upload_tuned(
                &w.store,
                "058118",
                FileKind::Liste,
                &w.files.liste,
                subentro::Tuning {
                    chunk: subentro::CHUNK,
                    chunks_per_commit: 1,
                },
                &mut |_| panic!("killed"),
            )
        }));
        assert!(crashed.is_err());
        let job = w
            .store
            .read(|c| urna_store::subentro::jobs(c, "058118", "liste"))
            .unwrap()
            .remove(0);
        assert_eq!(
            (job.state().as_str(), job.records_done as usize),
            ("running", subentro::CHUNK),
            "{}",
            w.label
        );
        let r = w.upload("058118", FileKind::Liste, &w.files.liste).unwrap();
        assert_eq!(r.resumed_from, subentro::CHUNK as u64);
        assert_eq!(r.job_id, job.id);
        let expected = generate::expected_records(&spec(2500));
        assert_eq!(r.records, expected);
        // Every record loaded exactly once: no EN556 from re-applying the first chunk.
        let job = w
            .store
            .read(|c| urna_store::subentro::jobs(c, "058118", "liste"))
            .unwrap()
            .remove(0);
        assert_eq!(
            (job.state().as_str(), job.loaded as u64, job.anomalies),
            ("done", expected, 0),
            "{}",
            w.label
        );
    }
}

#[test]
fn sections_upload_is_disabled_after_a_5011_and_broken_files_are_en009() {
    for w in worlds(50) {
        // R-T2: an accepted 5011 of the comune disables the sections upload.
        w.store
            .write(|c| {
                urna_store::operations::insert(
                    c,
                    &urna_store::operations::NewOperation {
                        comune_istat: "058118",
                        id_operazione_comune: "S1",
                        operation: "5011",
                        station_cn: "058118-PC-0001",
                        correlation_id: "t",
                        received_at: 1,
                        outcome: "OK",
                        codes: "",
                        request_digest: "d",
                        operator: None,
                        auth_mode: "tls",
                        subject_key: None,
                    },
                )
            })
            .unwrap();
        let e = w
            .upload("058118", FileKind::Sezioni, &w.files.sezioni)
            .unwrap_err();
        assert!(e.to_string().contains("R-T2"), "{}: {e}", w.label);
        // EN009: the decompressed file is not valid XML.
        let bad = w._dir.path().join("broken.xml");
        std::fs::write(&bad, "<l:subentroListe xmlns:l=\"http://sogei.it/ANPR/subentroListe\"><listeElettorali><listaSoggetto>").unwrap();
        let section = urna_store::sections::SectionRow {
            comune_istat: "058118".into(),
            numero: "1".into(),
            denominazione: "S".into(),
            payload: String::new(),
            updated_at: 0,
            last_operation: 0,
        };
        w.store
            .write(|c| urna_store::sections::upsert(c, &section))
            .unwrap();
        let e = w.upload("058118", FileKind::Liste, &bad).unwrap_err();
        assert!(matches!(e, SubentroError::NotXml(_)), "{}: {e}", w.label);
        assert!(e.to_string().contains("EN009"));
    }
}

#[test]
fn a_file_broken_mid_way_is_rolled_back_and_a_corrected_file_loads() {
    for w in worlds(2500) {
        w.upload("058118", FileKind::Sezioni, &w.files.sezioni)
            .unwrap();
        // A subject of the file that already has a stored state: the job
        // overwrites it, the rollback must give it back.
        let (known, before) = w.store_a_known_elector();
        let demo_electors = w.store.read(electors::count).unwrap();
        // The lists file cut after its second chunk of records, inside a
        // record: the first chunks commit, then the reader finds the break.
        let xml = String::from_utf8(gunzip(&w.files.liste)).unwrap();
        let cut = xml
            .match_indices("<listaSoggetto>")
            .nth(2 * subentro::CHUNK + 10)
            .unwrap()
            .0;
        let broken = w._dir.path().join("truncated.xml");
        std::fs::write(&broken, &xml[..cut + 40]).unwrap();
        let e = subentro::upload_tuned(
            &w.store,
            "058118",
            FileKind::Liste,
            &broken,
            subentro::Tuning {
                chunk: subentro::CHUNK,
                chunks_per_commit: 1,
            },
            &mut |_| {},
        )
        .unwrap_err();
        assert!(matches!(e, SubentroError::NotXml(_)), "{}: {e}", w.label);
        let job = w
            .store
            .read(|c| urna_store::subentro::jobs(c, "058118", "liste"))
            .unwrap()
            .remove(0);
        assert_eq!(
            job.state(),
            urna_store::subentro::JobState::Failed,
            "{}",
            w.label
        );
        assert!(
            job.error.as_deref().is_some_and(|e| e.starts_with("EN009")),
            "{}: {:?}",
            w.label,
            job.error
        );
        // Rolled back: the chunks committed before the break are gone.
        assert_eq!(
            w.store.read(electors::count).unwrap(),
            demo_electors,
            "{}",
            w.label
        );
        let restored = w
            .store
            .read(|c| electors::get_rows(c, std::slice::from_ref(&known)))
            .unwrap();
        assert_eq!(restored.get(&known), Some(&before), "{}", w.label);
        // The corrected file is a new upload that loads everything.
        let r = w.upload("058118", FileKind::Liste, &w.files.liste).unwrap();
        assert_ne!(r.job_id, job.id);
        assert_eq!(r.resumed_from, 0);
        assert_eq!(r.records, generate::expected_records(&spec(2500)));
        assert_eq!(
            w.store.read(electors::count).unwrap(),
            demo_electors - 1 + r.loaded as i64,
            "{}",
            w.label
        );
    }
}

/// `urna subentro reset` (test environments) forgets a lists upload
/// exactly: every elector the upload created is removed (electors,
/// non-electors, EU-list and AIRE electors alike), one it overwrote gets its
/// state back, and the demo electors are untouched.
#[test]
fn reset_removes_what_the_upload_wrote_and_restores_what_it_overwrote() {
    for w in worlds(2500) {
        w.upload("058118", FileKind::Sezioni, &w.files.sezioni)
            .unwrap();
        let (known, before) = w.store_a_known_elector();
        let electors_before = w.store.read(electors::count).unwrap();
        let r = w.upload("058118", FileKind::Liste, &w.files.liste).unwrap();
        assert_eq!((r.loaded, r.anomalies), (r.records, 0), "{}", w.label);
        // The mixed file: EU-list electors (12), non-electors (16), AIRE (23).
        let mixed: Vec<String> = [12, 16, 23, 100]
            .iter()
            .map(|i| spec(2500).subject_id(*i))
            .collect();
        let loaded = w.store.read(|c| electors::get_rows(c, &mixed)).unwrap();
        assert_eq!(loaded.len(), mixed.len(), "{}", w.label);

        let removed = w
            .store
            .write(|c| urna_store::subentro::reset_lists(c, "058118"))
            .unwrap();
        assert_eq!(removed as u64, r.records, "{}", w.label);
        assert_eq!(
            w.store.read(electors::count).unwrap(),
            electors_before,
            "{}: nothing the upload created is left",
            w.label
        );
        let after = w.store.read(|c| electors::get_rows(c, &mixed)).unwrap();
        assert!(after.is_empty(), "{}: {after:?}", w.label);
        let restored = w
            .store
            .read(|c| electors::get_rows(c, std::slice::from_ref(&known)))
            .unwrap();
        assert_eq!(restored.get(&known), Some(&before), "{}", w.label);
        // And the upload can be made again.
        let again = w.upload("058118", FileKind::Liste, &w.files.liste).unwrap();
        assert_eq!(again.loaded, r.records, "{}", w.label);
    }
}

/// A 5010 cancellation (motive 1, emigration) of `subject` sent by `istat`
/// now (the takeover is dated today).
fn cancellation(id: &str, istat: &str, subject: &str) -> String {
    use urna_wire::Element;
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    urna_wire::build::richiesta5010(
        &urna_wire::build::Testata::new(id, istat, "5010", &now),
        &[
            Element::leaf("idSoggetto", subject),
            Element::new("cancellazione").with_child(Element::leaf("motivoCancellazione", "1")),
            Element::new("datiControllo").with_child(Element::leaf("tipoMutazione", "05")),
        ],
    )
}

/// R-D1…R-D3: a takeover listing another comune's elector records a double
/// registration both comuni see; the claimant's cancellation closes it and
/// leaves the holder's list alone; the scan re-derives it from the takeover
/// history; the holder's cancellation closes it too.
#[test]
fn double_registrations_are_recorded_at_takeover_and_close_when_resolved() {
    for w in worlds(50) {
        let label = w.label;
        w.upload("058118", FileKind::Sezioni, &w.files.sezioni)
            .unwrap();
        w.upload("058118", FileKind::Liste, &w.files.liste).unwrap();
        let subject = spec(50).subject_id(generate::plain_elector_index(3));
        let comune = "<comune><nomeComune>FIUMICINO</nomeComune><codiceIstat>058120</codiceIstat><siglaProvinciaIstat>RM</siglaProvinciaIstat></comune>";
        let file = format!(
            "<l:subentroListe xmlns:l=\"{}\"><datiFornitura><versioneFornitura>1</versioneFornitura><numeroTotaleListe>1</numeroTotaleListe></datiFornitura><listeElettorali><listaSoggetto><idSchedaSoggettoANPR>{subject}</idSchedaSoggettoANPR><lista><elettore>S</elettore><listaGenerale>{comune}<sezioneelettoralenum>1</sezioneelettoralenum></listaGenerale><referendumnazionali>S</referendumnazionali><elezionimembriue>S</elezionimembriue><senatorepubblica>S</senatorepubblica><cameradeputati>S</cameradeputati><regionali>S</regionali><comunali>S</comunali><circoscrizionali>N</circoscrizionali></lista></listaSoggetto></listeElettorali></l:subentroListe>",
            ns::SUBENTRO_LISTE,
        );
        let path = w._dir.path().join("fiumicino.xml");
        std::fs::write(&path, file).unwrap();
        w.upload("058120", FileKind::Liste, &path).unwrap();
        // The real clock: the takeover dated its records today.
        let services = urna_service::Services::new(
            w.store.clone(),
            urna_domain::header::HeaderPolicy::default(),
        );
        for istat in ["058118", "058120"] {
            let d = services.double_registrations(istat).unwrap();
            assert!(!d.stato.resolved, "{label}: {istat}");
            assert_eq!(d.doppie_iscrizioni.len(), 1, "{label}: {istat}");
            let r = &d.doppie_iscrizioni[0];
            assert_eq!(
                (
                    r.id_soggetto.as_str(),
                    r.holder_comune.as_str(),
                    r.claimant_comune.as_str()
                ),
                (subject.as_str(), "058118", "058120"),
                "{label}"
            );
            assert!(r.closed_at.is_none() && r.source.starts_with("subentro "));
        }
        assert!(
            services
                .double_registrations("058091")
                .unwrap()
                .stato
                .resolved
        );

        let send = |xml: String, from: &str| {
            let checked = urna_security::gate::check(xml.as_bytes(), 5000).unwrap();
            let caller = urna_service::Caller {
                station: format!("{from}-PC-0001").parse().unwrap(),
            };
            services
                .handle(checked.operation, &checked.payload, &caller, "c")
                .unwrap()
        };
        // Fiumicino, not competent, cancels: the record closes, Ciampino
        // keeps the subject.
        let h = send(cancellation("DR1", "058120", &subject), "058120");
        assert_eq!(h.settled, urna_service::Settled::Ok, "{label}: {}", h.body);
        let d = services.double_registrations("058120").unwrap();
        assert!(
            d.stato.resolved && d.stato.since.is_some(),
            "{label}: {d:?}"
        );
        assert!(
            d.doppie_iscrizioni[0]
                .closed_reason
                .as_deref()
                .unwrap()
                .contains("058120 ha cancellato"),
            "{label}"
        );
        let state = w.store.read(|c| electors::get(c, &subject)).unwrap();
        assert_eq!(state.general.unwrap().0.comune, "058118", "{label}");
        // Without the record, the scan finds the pair again in the takeover
        // history (once); a second scan changes nothing.
        w.store
            .write(|c| {
                use diesel::prelude::*;
                diesel::delete(urna_store::schema::double_registrations::table).execute(c)?;
                Ok::<(), urna_store::StoreError>(())
            })
            .unwrap();
        let r = services.scan_double_registrations().unwrap();
        assert_eq!((r.opened, r.closed), (1, 0), "{label}");
        assert_eq!(
            services.scan_double_registrations().unwrap(),
            urna_service::doubles::ScanReport::default(),
            "{label}"
        );
        // Ciampino cancels: the holder no longer holds it.
        let h = send(cancellation("DR2", "058118", &subject), "058118");
        assert_eq!(h.settled, urna_service::Settled::Ok, "{label}: {}", h.body);
        let d = services.double_registrations("058118").unwrap();
        assert!(d.stato.resolved, "{label}: {d:?}");
        assert!(d.doppie_iscrizioni[0]
            .closed_reason
            .as_deref()
            .unwrap()
            .contains("058118 non ha piu'"));
        assert_eq!(
            services.scan_double_registrations().unwrap(),
            urna_service::doubles::ScanReport::default(),
            "{label}"
        );
    }
}
