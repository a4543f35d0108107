//! 6001: the electoral certificates end to end below the transport, on
//! every backend: request → gate → rules → issued, sealed, stored → reply.

use base64::Engine;
use urna_service::certificates::CertificateIssuer;
use urna_service::demo::{self, DEMO_COMUNI};
use urna_service::{Caller, Handled, Services, Settled};
use urna_store::testing::TestDb;
use urna_wire::build::{self, Testata};
use urna_wire::Element;

use crate::common;

const NOW: &str = "2025-01-10T10:00:00Z";

struct World {
    services: Services,
    label: &'static str,
    _db: TestDb,
    _pki: tempfile::TempDir,
}

fn issuer(dir: &std::path::Path) -> CertificateIssuer {
    let pki = urna_pki::PkiDir::new(dir);
    pki.init(&["localhost"], &[]).unwrap();
    let seal = pki.load_seal().unwrap();
    let sealer = urna_cert::Sealer::from_pem(&seal.cert_pem, &seal.key_pem).unwrap();
    CertificateIssuer::new(
        sealer,
        std::fs::read(pki.ca_cert()).unwrap(),
        "https://localhost:8443/verifica",
        time::Duration::days(183),
    )
}

fn worlds() -> Vec<World> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let pki = tempfile::tempdir().unwrap();
            let store = common::demo_store(&db);
            let services = common::services(store).with_certificates(issuer(pki.path()));
            World {
                services,
                label: db.label,
                _db: db,
                _pki: pki,
            }
        })
        .collect()
}

fn roma() -> &'static demo::DemoComune {
    &DEMO_COMUNI[0]
}

fn cf(i: u32) -> String {
    demo::subject_row(roma(), i).codice_fiscale
}

fn request(id: &str, from: &str, tipo: &str, cf: &str, emissione: &str) -> String {
    build::richiesta6001(
        &Testata::new(id, from, "6001", NOW),
        &[
            build::tipi_certificati(&[tipo]),
            build::intestatario_cf(cf),
            build::dati_controllo_elettorale(emissione),
        ],
    )
}

impl World {
    fn send(&self, xml: &str, from: &str) -> Handled {
        let checked = urna_security::gate::check(xml.as_bytes(), 6001)
            .unwrap_or_else(|f| panic!("{}: gate refused: {f:?}", self.label));
        let caller = Caller {
            station: format!("{from}-PC-0001").parse().unwrap(),
        };
        let h = self
            .services
            .handle(checked.operation, &checked.payload, &caller, "corr-6001")
            .unwrap();
        // Every reply validates against the 6001 schema.
        if let Err(e) =
            urna_security::gate::validate_document(h.body.as_bytes(), "6001certificazione.xsd")
        {
            panic!("{}: reply not schema-valid: {e:?}\n{}", self.label, h.body);
        }
        h
    }

    /// The certificate the 6001 answered by `h` issued.
    fn issued(&self, h: &Handled) -> urna_store::certificates::CertificateRow {
        self.services
            .store()
            .read(|c| urna_store::certificates::by_operation(c, h.id_operazione_anpr))
            .unwrap()
            .expect("a stored certificate")
    }

    fn certificates(&self) -> usize {
        self.services
            .store()
            .read(|c| urna_store::certificates::of_holder(c, &demo::subject_id(roma(), 0)))
            .unwrap()
            .len()
    }
}

/// The audit entries of `operation`, oldest first.
fn audited(w: &World, operation: &str) -> Vec<urna_store::audit::Row> {
    common::audited(w.services.store(), operation)
}

fn pdf(h: &Handled) -> Vec<u8> {
    let start = h.body.find("<certificatoPdf>").expect("a PDF") + "<certificatoPdf>".len();
    let end = h.body.find("</certificatoPdf>").unwrap();
    base64::engine::general_purpose::STANDARD
        .decode(&h.body[start..end])
        .unwrap()
}

#[test]
fn any_comune_issues_a_sealed_certificate_kept_and_returned_again_on_retry() {
    for w in worlds() {
        // Milano issues Roma's elector's certificate of enrolment.
        let h = w.send(&request("C1", "015146", "22", &cf(0), "1"), "015146");
        assert_eq!(h.settled, Settled::Ok, "{}: {}", w.label, h.body);
        let bytes = pdf(&h);
        assert!(bytes.starts_with(b"%PDF-"), "{}", w.label);
        assert!(
            h.body.contains(&format!(
                "<numeroProtocolloANPR>{}</numeroProtocolloANPR>",
                h.id_operazione_anpr
            )),
            "{}",
            w.label
        );
        assert_eq!(w.certificates(), 1, "{}: stored", w.label);
        let stored = w.issued(&h);
        assert_eq!(stored.pdf, bytes, "{}", w.label);
        assert_eq!(stored.comune_istat, "015146");
        assert_eq!(
            stored.expires_at - stored.issued_at,
            183 * 24 * 3600 * 1000,
            "{}",
            w.label
        );
        let again = w.send(&request("C1", "015146", "22", &cf(0), "1"), "015146");
        assert_eq!(again.settled, Settled::Replay, "{}", w.label);
        assert_eq!(pdf(&again), bytes, "{}: the same certificate", w.label);
        assert_eq!(w.certificates(), 1, "{}: not issued twice", w.label);
    }
}

#[test]
fn a_preview_is_neither_stored_nor_returned_on_retry() {
    for w in worlds() {
        let h = w.send(&request("P1", "058091", "21", &cf(1), "3"), "058091");
        assert_eq!(h.settled, Settled::Ok, "{}: {}", w.label, h.body);
        assert!(pdf(&h).starts_with(b"%PDF-"));
        assert!(!h.body.contains("<protocolloANPR>"), "{}", w.label);
        let again = w.send(&request("P1", "058091", "21", &cf(1), "3"), "058091");
        assert_eq!(again.settled, Settled::Replay);
        assert!(!again.body.contains("<certificatoPdf>"), "{}", again.body);
        let kept = w
            .services
            .store()
            .read(|c| urna_store::certificates::of_holder(c, &demo::subject_id(roma(), 1)))
            .unwrap();
        assert!(kept.is_empty(), "{}", w.label);
    }
}

#[test]
fn the_electoral_state_refuses_with_its_reason() {
    for w in worlds() {
        // Demo person 9 is not an elector.
        let h = w.send(&request("K1", "058091", "22", &cf(9), "1"), "058091");
        assert_eq!(h.codes, ["EN047", "EN527"], "{}", w.label);
        assert!(h.body.contains("non elettore"), "{}", h.body);
        // Partial certifiability: only 21.
        w.services
            .store()
            .write(|c| {
                let id = demo::subject_id(roma(), 2);
                let mut s = urna_store::electors::get(c, &id)?;
                s.certificabile = Some(1);
                urna_store::electors::put(
                    c,
                    &urna_store::electors::ElectorRow::from_state(&id, &s, 0, 0),
                )
            })
            .unwrap();
        let h = w.send(&request("K2", "058091", "22", &cf(2), "1"), "058091");
        assert_eq!(h.codes, ["EN047", "EN527"], "{}", w.label);
        assert!(h.body.contains("solo il certificato 21"), "{}", h.body);
        let h = w.send(&request("K3", "058091", "21", &cf(2), "1"), "058091");
        assert_eq!(h.settled, Settled::Ok, "{}: {}", w.label, h.body);
        // Unknown holder, registry certificate, wrong exemption.
        let h = w.send(
            &request("K4", "058091", "22", "RSSMRA80A01H501U", "1"),
            "058091",
        );
        assert_eq!(h.codes, ["EN042", "EN527"], "{}", w.label);
        let h = w.send(&request("K5", "058091", "8", &cf(0), "1"), "058091");
        assert_eq!(h.codes, ["EN174", "EN527"], "{}", w.label);
        let h = w.send(&request("K6", "058091", "99", &cf(0), "1"), "058091");
        assert_eq!(h.codes, ["EC070", "EN527"], "{}", w.label);
        common::assert_reply("6001_ko_ec070", &h.body);
    }
}

#[test]
fn the_holder_is_named_by_names_and_birth_date_or_by_codice_fiscale() {
    for w in worlds() {
        let row = demo::subject_row(roma(), 3);
        let holder = |cf: Option<&str>| {
            let mut g = Element::new("generalita");
            if let Some(cf) = cf {
                g = g.with_child(
                    Element::new("codiceFiscale").with_child(Element::leaf("codFiscale", cf)),
                );
            }
            Element::new("soggettoIntestatario").with_child(
                g.with_child(Element::leaf("cognome", row.cognome.to_lowercase()))
                    .with_child(Element::leaf("nome", &row.nome))
                    .with_child(Element::leaf("dataNascita", &row.data_nascita)),
            )
        };
        let send = |id: &str, who: Element| {
            w.send(
                &build::richiesta6001(
                    &Testata::new(id, "058091", "6001", NOW),
                    &[
                        build::tipi_certificati(&["22"]),
                        who,
                        build::dati_controllo_elettorale("1"),
                    ],
                ),
                "058091",
            )
        };
        // Every demo comune has a person 3 of the same name born the same day.
        let h = send("N1", holder(None));
        assert_eq!(h.codes, ["EN043", "EN527"], "{}", w.label);
        // The codice fiscale decides; the names given (any case) must match.
        let h = send("N2", holder(Some(&row.codice_fiscale)));
        assert_eq!(h.settled, Settled::Ok, "{}: {}", w.label, h.body);
        let other = demo::subject_row(roma(), 4).codice_fiscale;
        let h = send("N3", holder(Some(&other)));
        assert!(
            h.codes.contains(&"EN069") || h.codes.contains(&"EN068"),
            "{}: {:?}",
            w.label,
            h.codes
        );
    }
}

#[test]
fn expired_certificates_are_swept_and_the_deletion_audited() {
    for w in worlds() {
        let h = w.send(&request("S1", "058091", "22", &cf(0), "1"), "058091");
        assert_eq!(h.settled, Settled::Ok, "{}: {}", w.label, h.body);
        assert_eq!(
            w.services.sweep_certificates().unwrap(),
            0,
            "{}: not yet",
            w.label
        );
        let later = w
            .services
            .clone()
            .with_clock(|| time::macros::datetime!(2025-07-13 09:00 UTC));
        assert_eq!(later.sweep_certificates().unwrap(), 1, "{}", w.label);
        assert_eq!(w.certificates(), 0, "{}", w.label);
        // No copy outlives it: the remembered reply holds no PDF, and a
        // retry now gets the reply without one.
        let kept = w
            .services
            .store()
            .read(|c| urna_store::operations::remembered(c, "058091", "S1"))
            .unwrap()
            .unwrap();
        assert!(!kept.response.contains("<certificatoPdf>"), "{}", w.label);
        let again = w.send(&request("S1", "058091", "22", &cf(0), "1"), "058091");
        assert_eq!(again.settled, Settled::Replay, "{}", w.label);
        assert!(!again.body.contains("<certificatoPdf>"), "{}", w.label);
        assert!(again.body.contains("<numeroProtocolloANPR>"), "{}", w.label);
        let log = audited(&w, "certificate-expired");
        assert_eq!(log.len(), 1, "{}", w.label);
        let last = log.last().unwrap();
        assert_eq!(
            (
                last.operation.as_str(),
                last.outcome.as_str(),
                last.auth_mode.as_str()
            ),
            ("certificate-expired", "DELETED", "system"),
            "{}",
            w.label
        );
    }
}

fn answer_of(w: &World, captcha: &str, certificate: &str) -> String {
    w.services
        .store()
        .read(|c| urna_store::captchas::get(c, captcha, certificate))
        .unwrap()
        .unwrap()
        .answer
}

#[test]
fn the_public_page_shows_a_certificate_after_its_challenge_once() {
    use urna_service::verification::{Lookup, Verdict};
    for w in worlds() {
        let h = w.send(&request("V1", "058091", "22", &cf(0), "1"), "058091");
        let id = w.issued(&h).id;
        let code = w.issued(&h).code;
        assert_eq!(
            w.services
                .certificate_by_code(&code.to_lowercase())
                .unwrap(),
            Some(id.clone())
        );
        let s = &w.services;
        assert_eq!(
            s.verification_challenge("f00d", "10.0.0.1").unwrap(),
            Lookup::Unknown
        );
        let Lookup::Challenge(q) = s.verification_challenge(&id, "10.0.0.1").unwrap() else {
            panic!("{}: a challenge", w.label)
        };
        assert_eq!(q.questions[0].0, "IT");
        assert!(q.questions[0].1.starts_with("Quanto fa "), "{:?}", q);
        // A wrong answer spends the challenge.
        assert_eq!(
            s.verification_answer(&id, &q.captcha_id, "0", "10.0.0.1")
                .unwrap(),
            Verdict::Refused
        );
        let right = answer_of(&w, &q.captcha_id, &id);
        assert_eq!(
            s.verification_answer(&id, &q.captcha_id, &right, "10.0.0.1")
                .unwrap(),
            Verdict::Refused,
            "{}: single use",
            w.label
        );
        let Lookup::Challenge(q) = s.verification_challenge(&id, "10.0.0.1").unwrap() else {
            panic!()
        };
        assert!(
            s.verification_pdf(&id, &q.captcha_id).unwrap().is_none(),
            "not yet"
        );
        let right = answer_of(&w, &q.captcha_id, &id);
        let Verdict::Shown(view) = s
            .verification_answer(&id, &q.captcha_id, &right, "10.0.0.1")
            .unwrap()
        else {
            panic!("{}: shown", w.label)
        };
        let row = demo::subject_row(roma(), 0);
        assert_eq!(view.holder, format!("{} {}", row.cognome, row.nome));
        assert_eq!(view.kind, 22);
        let seal = view.seal.clone().expect("the seal verifies");
        assert!(seal.signer.contains("sigillo"), "{seal:?}");
        assert_eq!(seal.timestamp, None, "a B-B seal");
        let pdf = s.verification_pdf(&id, &q.captcha_id).unwrap().unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // Views and failures are audited, the id only as a digest.
        let log = audited(&w, "certificate-view");
        let outcomes: Vec<&str> = log.iter().map(|e| e.outcome.as_str()).collect();
        assert_eq!(
            outcomes,
            ["NOT-FOUND", "CAPTCHA-FAILED", "CAPTCHA-FAILED", "OK"],
            "{}",
            w.label
        );
        assert!(log
            .iter()
            .all(|e| e.auth_mode == "anonymous-captcha" && e.station == "web:10.0.0.1"));
        assert!(log.iter().all(|e| e.request_digest != id));
    }
}

#[test]
fn a_client_that_keeps_failing_must_wait() {
    use urna_service::verification::{Lookup, Verdict};
    for w in worlds() {
        let h = w.send(&request("V2", "058091", "21", &cf(1), "1"), "058091");
        let id = w.issued(&h).id;
        for _ in 0..5 {
            let Lookup::Challenge(q) = w.services.verification_challenge(&id, "10.0.0.2").unwrap()
            else {
                panic!()
            };
            assert_eq!(
                w.services
                    .verification_answer(&id, &q.captcha_id, "x", "10.0.0.2")
                    .unwrap(),
                Verdict::Refused
            );
        }
        assert_eq!(
            w.services.verification_challenge(&id, "10.0.0.2").unwrap(),
            Lookup::TooMany
        );
        // Another client is not affected.
        assert!(matches!(
            w.services.verification_challenge(&id, "10.0.0.3").unwrap(),
            Lookup::Challenge(_)
        ));
    }
}

#[test]
fn eligibility_says_which_certificates_and_why_not() {
    for w in worlds() {
        let yes_no = |cf: &str| -> Vec<(u8, bool, Vec<&'static str>)> {
            w.services
                .certificate_eligibility(cf)
                .unwrap()
                .into_iter()
                .map(|e| {
                    (
                        e.tipo,
                        e.issuable,
                        e.refusals.iter().map(|r| r.code).collect(),
                    )
                })
                .collect()
        };
        assert_eq!(
            yes_no(&cf(0)),
            [(21, true, vec![]), (22, true, vec![])],
            "{}",
            w.label
        );
        assert_eq!(
            yes_no(&cf(9)),
            [(21, false, vec!["EN047"]), (22, false, vec!["EN047"])],
            "{}: not an elector",
            w.label
        );
        assert_eq!(
            yes_no("RSSMRA80A01H501U"),
            [(21, false, vec!["EN042"]), (22, false, vec!["EN042"])],
            "{}",
            w.label
        );
    }
}
