//! 4001 → 4005 → 7002 on every backend: an extraction is answered at once
//! with its id, run by the worker, followed with 4005 and downloaded with
//! 7002 (gzip, schema-valid, what the selection keeps); its rules' codes;
//! a job whose node stopped is run again; 4005 lists past exchanges with
//! their request and reply, at most 180 days back.

use std::io::Read;
use std::sync::Arc;

use base64::Engine;
use urna_service::extraction::ExtractionSettings;
use urna_service::generate::{self, Spec};
use urna_service::subentro::{self, FileKind};
use urna_service::{Caller, Handled, Services, Settled};
use urna_store::testing::TestDb;
use urna_store::{extractions, Store};
use urna_wire::build::{self, Testata};
use urna_wire::{Element, Operation};

use crate::common::{self, text};

const ISTAT: &str = "058118";
const NOW: &str = "2025-01-10T10:00:00Z";

fn spec() -> Spec {
    common::ciampino_spec(1500, 5)
}

struct World {
    store: Arc<Store>,
    services: Services,
    settings: ExtractionSettings,
    label: &'static str,
    _dir: tempfile::TempDir,
    _db: TestDb,
}

fn worlds() -> Vec<World> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let store = common::demo_store(&db);
            let dir = tempfile::tempdir().unwrap();
            let files = generate::generate(&spec(), dir.path()).unwrap();
            common::import_generated(&store, &files);
            subentro::upload(
                &store,
                ISTAT,
                FileKind::Sezioni,
                &files.sezioni,
                &mut |_| {},
            )
            .unwrap();
            subentro::upload(&store, ISTAT, FileKind::Liste, &files.liste, &mut |_| {}).unwrap();
            World {
                services: common::services(store.clone()),
                store,
                settings: ExtractionSettings {
                    dir: dir.path().join("extractions"),
                    lease_ms: 60_000,
                    keep_ms: Some(7 * 86_400_000),
                },
                label: db.label,
                _dir: dir,
                _db: db,
            }
        })
        .collect()
}

impl World {
    fn send(&self, op: Operation, id: &str, body: &[Element]) -> Handled {
        let t = Testata::new(id, ISTAT, op.code(), NOW);
        let xml = build::richiesta_legacy(op, &t, body);
        let family = op.family();
        let checked = urna_security::gate::check(xml.as_bytes(), family)
            .unwrap_or_else(|f| panic!("gate refused: {f:?}"));
        let caller = Caller {
            station: format!("{ISTAT}-PC-0001").parse().unwrap(),
        };
        let h = self
            .services
            .handle(checked.operation, &checked.payload, &caller, "corr-4001")
            .unwrap();
        let schema = if family == 4000 {
            "4000estrazione.xsd"
        } else {
            "7001scaricoTabelle.xsd"
        };
        if let Err(e) = urna_security::gate::validate_document(h.body.as_bytes(), schema) {
            panic!("reply not schema-valid: {e:?}\n{}", h.body);
        }
        h
    }

    /// A 4001 with these selections; its idOperazioneANPR.
    fn extract(&self, id: &str, selections: &[(&str, &str)]) -> Handled {
        let mut u = Element::new("ulterioriSelezioni");
        for (k, v) in selections {
            u = u.with_child(Element::leaf(*k, *v));
        }
        let mut c = Element::new("criteriRicerca")
            .with_child(Element::leaf("datiAnagraficiRichiesti", "18"));
        if !selections.is_empty() {
            c = c.with_child(u);
        }
        self.send(Operation::Estrazione4001, id, &[c])
    }

    fn status(&self, id: &str, job: i64) -> Handled {
        self.send(
            Operation::Asincrone4005,
            id,
            &[Element::new("verificaStato")
                .with_child(Element::leaf("idOperazioneANPR", job.to_string()))],
        )
    }

    /// The 7002 reply for `job`.
    fn download_reply(&self, id: &str, job: i64) -> Handled {
        let xml = build::richiesta7000(
            Operation::Download7002,
            &Testata::new(id, ISTAT, "7002", NOW),
            &[Element::leaf("idOperazioneANPR", job.to_string())],
        );
        let checked = urna_security::gate::check(xml.as_bytes(), 7001).unwrap();
        let caller = Caller {
            station: format!("{ISTAT}-PC-0001").parse().unwrap(),
        };
        self.services
            .handle(checked.operation, &checked.payload, &caller, "corr-7002")
            .unwrap()
    }

    /// The 7002 file of `job`, un-gzipped (the reply checked against the
    /// schema with the file's base64 in place).
    fn download(&self, id: &str, job: i64) -> String {
        let h = self.download_reply(id, job);
        assert_eq!(h.settled, Settled::Ok, "{}: {}", self.label, h.body);
        assert!(h.body.contains("<formato>gz</formato>"));
        let gz = streamed(&h);
        let mut xml = String::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_string(&mut xml)
            .unwrap();
        urna_security::gate::validate_document(xml.as_bytes(), "4000estrazione.xsd")
            .unwrap_or_else(|e| panic!("file not schema-valid: {e:?}"));
        xml
    }
}

fn job_of(h: &Handled) -> i64 {
    assert_eq!(h.settled, Settled::Ok, "{}", h.body);
    text(&h.body, "idOperazioneANPR").parse().unwrap()
}

fn values<'a>(file: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    file.split(&open)
        .skip(1)
        .map(|r| &r[..r.find('<').unwrap()])
        .collect()
}

#[test]
fn an_extraction_is_answered_at_once_run_followed_and_downloaded() {
    for w in worlds() {
        let all = job_of(&w.extract("X1", &[]));
        let women = job_of(&w.extract("X2", &[("sesso", "F")]));
        let electors = job_of(&w.extract("X3", &[("elettoreAllaDataRiferimento", "S")]));
        let old = job_of(&w.extract(
            "X4",
            &[
                ("dataRiferimento", "2025-01-10"),
                ("etaMinimaAllaDataRiferimento", "65"),
            ],
        ));
        // Answered, not yet run: state 0, and 7002 says so.
        let h = w.status("S0", all);
        assert_eq!(text(&h.body, "statoRichiesta"), "0", "{}", w.label);
        // The worker runs them in order, then finds nothing.
        for job in [all, women, electors, old] {
            assert_eq!(
                w.services.run_next_extraction(&w.settings).unwrap(),
                Some(job)
            );
        }
        assert_eq!(w.services.run_next_extraction(&w.settings).unwrap(), None);
        let h = w.status("S1", all);
        assert_eq!(
            text(&h.body, "statoRichiesta"),
            "2",
            "{}: {}",
            w.label,
            h.body
        );
        assert!(h.body.contains("<dataDisponibilita>"), "{}", h.body);
        assert!(h.body.contains("<progressivoCorrente>"), "{}", h.body);

        let file = w.download("D1", all);
        let n = values(&file, "idSchedaSoggettoANPR").len();
        assert_eq!(text(&file, "numeroSoggetti"), n.to_string());
        assert_eq!(
            n as u64,
            generate::expected_records(&spec()),
            "{}: every listed subject",
            w.label
        );
        let f = w.download("D2", women);
        let sexes = values(&f, "sesso");
        assert!(
            !sexes.is_empty() && sexes.iter().all(|s| *s == "F"),
            "{}",
            w.label
        );
        assert!(sexes.len() < n);
        let e = w.download("D3", electors);
        let flags = values(&e, "elettore");
        assert!(
            flags.iter().all(|s| *s == "S") && flags.len() < n,
            "{}",
            w.label
        );
        let o = w.download("D4", old);
        let ages: Vec<u32> = values(&o, "etaCittadino")
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        assert!(
            !ages.is_empty() && ages.iter().all(|a| *a >= 65),
            "{}",
            w.label
        );
    }
}

#[test]
fn the_rules_of_a_selection_and_unknown_jobs() {
    for w in worlds() {
        let codes = |h: Handled| h.codes.clone();
        assert_eq!(
            codes(w.extract("R1", &[("elettoreAllaDataRiferimento", "N")])),
            ["EHR14", "EN527"],
            "{}",
            w.label
        );
        assert_eq!(
            codes(w.extract("R2", &[("etaMinimaAllaDataRiferimento", "18")])),
            ["EHR30", "EN527"]
        );
        assert_eq!(
            codes(w.extract(
                "R3",
                &[
                    ("dataRiferimento", "2025-01-10"),
                    ("etaMinimaAllaDataRiferimento", "70"),
                    ("etaMassimaAllaDataRiferimento", "60"),
                ]
            )),
            ["EHR28", "EN527"]
        );
        assert_eq!(
            codes(w.extract("R4", &[("dataRiferimento", "2025-02-01")])),
            ["EHR29", "EN527"]
        );
        let c = Element::new("criteriRicerca")
            .with_child(Element::leaf("datiAnagraficiRichiesti", "01"));
        assert_eq!(
            codes(w.send(Operation::Estrazione4001, "R5", &[c])),
            ["EN174", "EN527"]
        );
        // Unknown, or not done yet.
        assert_eq!(codes(w.status("R6", 999_999)), ["EN122", "EN527"]);
        let job = job_of(&w.extract("R7", &[]));
        let h = w.download_reply("R8", job);
        assert_eq!(h.codes, ["EN122", "EN527"]);
        assert!(
            h.body
                .contains("non e' ancora disponibile (statoRichiesta 0)"),
            "{}",
            h.body
        );
    }
}

/// The file a 7002 reply streams, checked against its recorded size and
/// digest, and the reply with its base64 in place of the placeholder
/// checked against the schema.
fn streamed(h: &Handled) -> Vec<u8> {
    use sha2::Digest;
    let f = h.file.as_ref().expect("a 7002 reply streams a file");
    let gz = std::fs::read(&f.path).unwrap();
    assert_eq!(gz.len() as u64, f.bytes);
    assert_eq!(hex::encode(sha2::Sha256::digest(&gz)), f.sha256);
    let (before, after) = f.split(&h.body).expect("the placeholder in the reply");
    let whole = format!(
        "{before}{}{after}",
        base64::engine::general_purpose::STANDARD.encode(&gz)
    );
    urna_security::gate::validate_document(whole.as_bytes(), "7001scaricoTabelle.xsd").unwrap();
    gz
}

#[test]
fn a_retried_download_streams_the_file_again_until_it_expires() {
    for w in worlds() {
        let job = job_of(&w.extract("Y1", &[]));
        w.services.run_next_extraction(&w.settings).unwrap();
        let first = w.download_reply("Y2", job);
        assert_eq!(first.settled, Settled::Ok, "{}", first.body);
        let again = w.download_reply("Y2", job);
        assert_eq!(
            again.settled,
            Settled::Replay,
            "{}: {}",
            w.label,
            again.body
        );
        assert_eq!(again.file, first.file);
        assert_eq!(streamed(&again), streamed(&first));
        // Once swept, a retry answers the same reply without the file.
        w.store
            .write(|c| {
                diesel::RunQueryDsl::execute(
                    diesel::sql_query("UPDATE extraction_jobs SET finished_at = 0"),
                    c,
                )
                .map(|_| ())
                .map_err(urna_store::StoreError::from)
            })
            .unwrap();
        assert!(w.services.sweep_extractions(&w.settings).unwrap() >= 1);
        let gone = w.download_reply("Y2", job);
        assert_eq!(gone.settled, Settled::Replay);
        assert_eq!(gone.file, None);
        assert!(!gone.body.contains("contenutoFile"), "{}", gone.body);
        assert!(gone.body.contains("<formato>gz</formato>"), "{}", gone.body);
        urna_security::gate::validate_document(gone.body.as_bytes(), "7001scaricoTabelle.xsd")
            .unwrap();
    }
}

#[test]
fn a_job_whose_node_stopped_is_run_again_after_its_lease() {
    for w in worlds() {
        let job = job_of(&w.extract("L1", &[]));
        // A node claimed it and stopped: processing, claimed long ago.
        let claimed = w
            .store
            .write(|c| extractions::claim(c, 0, 60_000))
            .unwrap()
            .unwrap();
        assert_eq!((claimed.id, claimed.state), (job, extractions::PROCESSING));
        // Within the lease nobody else takes it…
        let fresh = ExtractionSettings {
            lease_ms: i64::MAX / 2,
            ..w.settings.clone()
        };
        assert_eq!(
            w.services.run_next_extraction(&fresh).unwrap(),
            None,
            "{}",
            w.label
        );
        // …after it, the next worker runs it from the beginning.
        assert_eq!(
            w.services.run_next_extraction(&w.settings).unwrap(),
            Some(job)
        );
        let h = w.status("L2", job);
        assert_eq!(text(&h.body, "statoRichiesta"), "2", "{}", h.body);
        assert!(!w.download("L3", job).is_empty());
    }
}

#[test]
fn past_exchanges_come_back_with_request_and_reply_within_180_days() {
    for w in worlds() {
        let job = job_of(&w.extract("P1", &[]));
        let elab = |id: &str, body: Element| w.send(Operation::Asincrone4005, id, &[body]);
        let h = elab(
            "P2",
            Element::new("elaborazione")
                .with_child(Element::leaf("idOperazioneANPR", job.to_string())),
        );
        assert_eq!(h.settled, Settled::Ok, "{}", h.body);
        assert_eq!(text(&h.body, "tipoOperazione"), "4001");
        assert_eq!(text(&h.body, "formatoRisposta"), "gz");
        let gz = base64::engine::general_purpose::STANDARD
            .decode(text(&h.body, "contenutoRisposta"))
            .unwrap();
        let mut reply = String::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_string(&mut reply)
            .unwrap();
        assert!(
            reply.contains(&format!("<idOperazioneANPR>{job}</idOperazioneANPR>")),
            "{reply}"
        );
        let period = |from: &str, to: &str| {
            Element::new("elaborazione")
                .with_child(Element::leaf("dataInizio", from))
                .with_child(Element::leaf("dataFine", to))
                .with_child(Element::leaf("operazioneRichiesta", "4001"))
        };
        let h = elab("P3", period("2025-01-01", "2025-01-10"));
        assert_eq!(
            h.body.matches("<risposta>").count(),
            1,
            "{}: {}",
            w.label,
            h.body
        );
        // More than 180 days back: refused, as ANPR05 does.
        let h = elab("P4", period("2024-01-01", "2025-01-10"));
        assert_eq!(h.settled, Settled::Ko, "{}", h.body);
    }
}

#[test]
fn ended_extractions_and_their_files_are_swept_after_the_retention_and_audited() {
    for w in worlds() {
        let job = job_of(&w.extract("K1", &[]));
        w.services.run_next_extraction(&w.settings).unwrap();
        let file = w
            .store
            .read(|c| extractions::get(c, job))
            .unwrap()
            .unwrap()
            .file
            .unwrap();
        assert!(std::path::Path::new(&file).exists());
        assert_eq!(
            w.services.sweep_extractions(&w.settings).unwrap(),
            0,
            "{}: kept",
            w.label
        );
        let later = w
            .services
            .clone()
            .with_clock(|| time::macros::datetime!(2025-01-18 09:00 UTC));
        assert_eq!(
            later.sweep_extractions(&w.settings).unwrap(),
            1,
            "{}",
            w.label
        );
        assert!(
            !std::path::Path::new(&file).exists(),
            "{}: the file is gone",
            w.label
        );
        assert_eq!(w.status("K2", job).codes, ["EN122", "EN527"]);
        let audited = common::audited(&w.store, "extraction-expired");
        assert_eq!(audited.len(), 1, "{}", w.label);
        assert_eq!(audited[0].auth_mode, "system");
    }
}

#[test]
fn a_failed_job_a_lost_file_and_too_many_past_exchanges_are_refused_precisely() {
    for w in worlds() {
        // A failed job: 7002 says why.
        let failed = job_of(&w.extract("F1", &[]));
        w.store
            .write(|c| extractions::finish(c, failed, Err("disk full"), 1))
            .unwrap();
        let h = w.download_reply("F2", failed);
        assert_eq!(h.codes, ["EN122", "EN527"], "{}", h.body);
        assert!(h.body.contains("non e' riuscita: disk full"), "{}", h.body);
        // A done job whose file is gone from the disk.
        let lost = job_of(&w.extract("F3", &[]));
        w.services.run_next_extraction(&w.settings).unwrap();
        let path = w
            .store
            .read(|c| extractions::get(c, lost))
            .unwrap()
            .unwrap()
            .file
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        let h = w.download_reply("F4", lost);
        assert_eq!(h.codes, ["EN122", "EN527"], "{}", h.body);
        assert!(h.body.contains("non e' piu' disponibile"), "{}", h.body);
        // More past exchanges than a 4005 lists: EN148, pointing to 3003.
        for i in 0..50 {
            job_of(&w.extract(&format!("M{i}"), &[]));
        }
        let h = w.send(
            Operation::Asincrone4005,
            "F5",
            &[Element::new("elaborazione")
                .with_child(Element::leaf("dataInizio", "2025-01-01"))
                .with_child(Element::leaf("dataFine", "2025-01-10"))],
        );
        assert_eq!(h.codes, ["EN148", "EN527"], "{}: {}", w.label, h.body);
        assert!(h.body.contains("usare 3003"), "{}", h.body);
    }
}
