//! Riepiloghi equal a recount of the lists after every kind of change: a
//! seeded random sequence of 5010 moves, enrolments, EU-list enrolments and
//! cancellations, checked after each step, on every backend.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use urna_service::demo::{self, DEMO_COMUNI};
use urna_service::{Caller, Services, Settled};
use urna_store::testing::TestDb;
use urna_wire::build::{self, Testata};
use urna_wire::Element;

use crate::common;

/// (list, section, sex) → electors, recounted from every demo subject's state.
fn recount(services: &Services, istat: &str) -> BTreeMap<(String, String, String), i64> {
    let mut out = BTreeMap::new();
    for c in DEMO_COMUNI {
        for i in 0..demo::SUBJECTS_PER_COMUNE {
            let id = demo::subject_id(c, i);
            let sex = demo::subject_row(c, i).sesso;
            let s = services
                .store()
                .read(|conn| urna_store::electors::get(conn, &id))
                .unwrap();
            if s.elettore != Some(true) {
                continue;
            }
            let mut count = |lista: &str, l: &urna_domain::elector::ListRef| {
                if l.comune == istat {
                    *out.entry((lista.to_string(), l.sezione.clone(), sex.clone()))
                        .or_default() += 1;
                }
            };
            if let Some((l, _)) = &s.general {
                count("generale", l);
            }
            if let Some(l) = &s.ue_comunali {
                count("aggiunta-ue-comunali", l);
            }
            if let Some(l) = &s.ue_parlamento {
                count("aggiunta-ue-parlamento", l);
            }
        }
    }
    out
}

fn summarised(services: &Services, istat: &str) -> BTreeMap<(String, String, String), i64> {
    let s = services.summary(istat, None).unwrap();
    let mut out = BTreeMap::new();
    for sec in s.sezioni {
        for (lista, n) in sec.liste {
            for (sex, k) in [("M", n.m), ("F", n.f)] {
                if k > 0 {
                    out.insert((lista.clone(), sec.sezione.clone(), sex.to_string()), k);
                }
            }
        }
    }
    out
}

#[test]
fn summaries_equal_a_recount_after_every_change() {
    for db in TestDb::all() {
        let label = db.label;
        let services = common::services(common::demo_store(&db));
        let roma = &DEMO_COMUNI[0];
        let caller = Caller {
            station: "058091-PC-0001".parse().unwrap(),
        };
        let comune = build::comune("ROMA", "058091", "RM");
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261205);
        let mut accepted = 0;
        assert_eq!(
            summarised(&services, "058091"),
            recount(&services, "058091"),
            "{label}: demo"
        );
        for step in 0..40 {
            let who = rng.random_range(0..11u32);
            let section = rng.random_range(1..=roma.sections).to_string();
            let controllo = |t: &str| {
                Element::new("datiControllo").with_child(Element::leaf("tipoMutazione", t))
            };
            let body = match rng.random_range(0..3) {
                // Enrol or move on the general list.
                0 => vec![
                    build::liste_generale(&comune, &section, roma.circ_senato, roma.circ_camera),
                    controllo("01"),
                ],
                // Cancel from the general list (motive 2: emigrated).
                1 => vec![
                    Element::new("cancellazione")
                        .with_child(Element::leaf("motivoCancellazione", "2")),
                    controllo("05"),
                ],
                // Not an elector any more.
                _ => vec![
                    {
                        let mut l = build::liste_generale(
                            &comune,
                            &section,
                            roma.circ_senato,
                            roma.circ_camera,
                        );
                        l.children.retain(|c| c.name != "listaGenerale");
                        for c in &mut l.children {
                            if c.name == "elettore" || c.children.is_empty() {
                                c.text = "N".into();
                            }
                        }
                        l
                    },
                    controllo("01"),
                ],
            };
            let mut all = vec![Element::leaf("idSoggetto", demo::subject_id(roma, who))];
            all.extend(body);
            let xml = build::richiesta5010(
                &Testata::new(
                    &format!("SU{step}"),
                    "058091",
                    "5010",
                    "2025-01-10T10:00:00Z",
                ),
                &all,
            );
            let checked = urna_security::gate::check(xml.as_bytes(), 5000).unwrap();
            let h = services
                .handle(checked.operation, &checked.payload, &caller, "c")
                .unwrap();
            // Accepted or refused, the summary is the recount.
            assert!(matches!(h.settled, Settled::Ok | Settled::Ko), "{label}");
            accepted += usize::from(h.settled == Settled::Ok);
            assert_eq!(
                summarised(&services, "058091"),
                recount(&services, "058091"),
                "{label}: after step {step} ({:?}): {}",
                h.codes,
                h.body
            );
        }
        assert!(
            accepted >= 15,
            "{label}: only {accepted} of 40 changes were accepted"
        );
    }
}

#[test]
fn a_section_summary_and_the_csv() {
    for db in TestDb::all() {
        let services = common::services(common::demo_store(&db));
        let whole = services.summary("058091", None).unwrap();
        let one = services.summary("058091", Some("1")).unwrap();
        assert_eq!(one.sezioni.len(), 1, "{}", db.label);
        assert_eq!(one.sezioni[0], whole.sezioni[0]);
        let csv = whole.to_csv();
        assert!(
            csv.starts_with("sezione,lista,M,F,totale\n1,generale,"),
            "{csv}"
        );
        assert!(csv.contains("\ntotale,generale,"), "{csv}");
    }
}
