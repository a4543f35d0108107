//! 5010 over the gate and the service, on both backends, including sequences
//! across two comuni.

use crate::common;

use urna_service::{demo, Caller, Handled, Services, Settled};
use urna_store::testing::TestDb;
use urna_store::{electors, subjects};
use urna_wire::build::{self, Testata};
use urna_wire::Element;

const SUBJECT: &str = "4000000001";

struct World {
    services: Services,
    label: &'static str,
    _db: TestDb,
}

fn worlds() -> Vec<World> {
    TestDb::all()
        .into_iter()
        .map(|db| {
            let store = common::demo_store(&db);
            // A new Italian subject with no electoral data, resident in Roma.
            let mut s = demo::subject_row(&demo::DEMO_COMUNI[0], 0);
            s.id_soggetto = SUBJECT.into();
            store.write(|c| subjects::upsert(c, &[s])).unwrap();
            let services = common::services(store);
            World {
                services,
                label: db.label,
                _db: db,
            }
        })
        .collect()
}

struct Comune {
    istat: &'static str,
    nome: &'static str,
    sigla: &'static str,
    camera: &'static str,
    senato: &'static str,
}

const ROMA: Comune = Comune {
    istat: "058091",
    nome: "ROMA",
    sigla: "RM",
    camera: "LAZIO 1",
    senato: "LAZIO",
};
const MILANO: Comune = Comune {
    istat: "015146",
    nome: "MILANO",
    sigla: "MI",
    camera: "LOMBARDIA 1",
    senato: "LOMBARDIA",
};
const BOLZANO: Comune = Comune {
    istat: "021008",
    nome: "BOLZANO",
    sigla: "BZ",
    camera: "TRENTINO-ALTO ADIGE/SUDTIROL",
    senato: "TRENTINO-ALTO ADIGE/SUDTIROL",
};

fn lista(c: &Comune, sezione: &str, name: &str) -> Element {
    Element::new(name)
        .with_child(build::comune(c.nome, c.istat, c.sigla))
        .with_child(Element::leaf("sezioneelettoralenum", sezione))
}

fn flags(mut l: Element, c: &Comune) -> Element {
    for (n, v) in [
        ("referendumnazionali", "S"),
        ("elezionimembriue", "S"),
        ("senatorepubblica", "S"),
        ("circoscrsenatorepubblica", c.senato),
        ("cameradeputati", "S"),
        ("circoscrcameradeputati", c.camera),
        ("regionali", "S"),
        ("comunali", "S"),
        ("circoscrizionali", "N"),
    ] {
        l = l.with_child(Element::leaf(n, v));
    }
    l
}

fn generale(c: &Comune, sezione: &str) -> Element {
    flags(
        Element::new("liste")
            .with_child(Element::leaf("elettore", "S"))
            .with_child(lista(c, sezione, "listaGenerale")),
        c,
    )
}

/// A Bolzano additional list in a section of `c` (the comune the subject left).
fn bolzano_list(c: &Comune, sezione: &str) -> Element {
    let comreg = Element::new("listaAggiuntaComReg")
        .with_child(Element::leaf("comregelettorebolzano", "S"))
        .with_child(lista(c, sezione, "listaBolTreVal"));
    flags(
        Element::new("liste")
            .with_child(Element::leaf("elettore", "S"))
            .with_child(comreg),
        c,
    )
}

fn controllo(tipi: &[&str]) -> Element {
    tipi.iter().fold(Element::new("datiControllo"), |e, t| {
        e.with_child(Element::leaf("tipoMutazione", *t))
    })
}

fn cancellazione(motivo: &str) -> Element {
    Element::new("cancellazione").with_child(Element::leaf("motivoCancellazione", motivo))
}

impl World {
    /// The subject now lives in `c`.
    fn move_to(&self, c: &Comune) {
        let store = self.services.store_arc();
        let mut s = store
            .read(|conn| subjects::get(conn, SUBJECT))
            .unwrap()
            .unwrap();
        s.comune_residenza = Some(c.istat.into());
        store.write(|conn| subjects::upsert(conn, &[s])).unwrap();
    }

    fn send(&self, from: &Comune, id_op: &str, decorrenza: &str, body: Vec<Element>) -> Handled {
        let mut t = Testata::new(id_op, from.istat, "5010", "2025-01-10T10:00:00Z");
        t.data_decorrenza = Some(decorrenza.into());
        let mut all = vec![Element::leaf("idSoggetto", SUBJECT)];
        all.extend(body);
        let xml = build::richiesta5010(&t, &all);
        let checked = urna_security::gate::check(xml.as_bytes(), 5000)
            .unwrap_or_else(|f| panic!("{}: {f:?}\n{xml}", self.label));
        let caller = Caller {
            station: format!("{}-PC-0001", from.istat).parse().unwrap(),
        };
        let h = self
            .services
            .handle(checked.operation, &checked.payload, &caller, "t")
            .unwrap();
        if let Err(e) =
            urna_security::gate::validate_document(h.body.as_bytes(), "5000mutazione.xsd")
        {
            panic!("reply not schema-valid: {e:?}");
        }
        h
    }

    fn ok(&self, from: &Comune, id_op: &str, decorrenza: &str, body: Vec<Element>) {
        let h = self.send(from, id_op, decorrenza, body);
        assert_eq!(h.settled, Settled::Ok, "{}: {}", self.label, h.body);
    }

    fn ko(&self, from: &Comune, id_op: &str, decorrenza: &str, body: Vec<Element>) -> Handled {
        let h = self.send(from, id_op, decorrenza, body);
        assert_eq!(h.settled, Settled::Ko, "{}: {}", self.label, h.body);
        h
    }

    fn state(&self) -> urna_domain::elector::ElectorState {
        self.services
            .store()
            .read(|c| electors::get(c, SUBJECT))
            .unwrap()
    }
}

#[test]
fn cancel_in_a_then_enrol_in_b_and_the_reverse_order_is_refused() {
    for w in worlds() {
        w.ok(
            &ROMA,
            "E1",
            "2025-01-02",
            vec![generale(&ROMA, "1"), controllo(&["01"])],
        );
        assert_eq!(w.state().general.unwrap().0.comune, "058091", "{}", w.label);
        // Milano first: refused, naming Roma and the section.
        let h = w.ko(
            &MILANO,
            "E2",
            "2025-01-03",
            vec![generale(&MILANO, "1"), controllo(&["01"])],
        );
        assert_eq!(h.codes, ["EN560", "EN527"]);
        assert!(h.body.contains("ROMA (RM) 058091, sezione 1"), "{}", h.body);
        // Roma cancels for transfer; Milano enrols.
        w.ok(
            &ROMA,
            "E3",
            "2025-01-04",
            vec![cancellazione("1"), controllo(&["05"])],
        );
        w.ok(
            &MILANO,
            "E4",
            "2025-01-05",
            vec![generale(&MILANO, "1"), controllo(&["01"])],
        );
        let s = w.state();
        assert_eq!(s.general.unwrap().0.comune, "015146");
        assert!(s.cancelled.is_none());
        // Roma no longer holds anything.
        let h = w.ko(
            &ROMA,
            "E5",
            "2025-01-06",
            vec![cancellazione("1"), controllo(&["05"])],
        );
        assert_eq!(h.codes, ["EN204", "EN527"]);
    }
}

#[test]
fn first_load_of_the_same_subject_by_two_comuni_is_en556() {
    for w in worlds() {
        let revisione = || Element::leaf("tipoRevisione", "PRIMOCARICAMENTO");
        w.ok(
            &ROMA,
            "F1",
            "2025-01-02",
            vec![generale(&ROMA, "1"), revisione(), controllo(&["01"])],
        );
        w.ok(
            &ROMA,
            "F2",
            "2025-01-03",
            vec![cancellazione("1"), controllo(&["05"])],
        );
        let h = w.ko(
            &MILANO,
            "F3",
            "2025-01-04",
            vec![generale(&MILANO, "1"), revisione(), controllo(&["01"])],
        );
        assert_eq!(h.codes, ["EN556", "EN527"], "{}", w.label);
        assert!(h.body.contains("ROMA (RM) 058091"));
        // Without PRIMOCARICAMENTO it is an ordinary enrolment.
        w.ok(
            &MILANO,
            "F4",
            "2025-01-04",
            vec![generale(&MILANO, "1"), controllo(&["01"])],
        );
    }
}

/// R-E18 (italia/anpr#4012, #4340, #4010): the subject left Roma for
/// Bolzano without the residence period. Roma, the comune it left, holds the
/// Bolzano additional list; Bolzano, where it lives, the general list; only
/// Roma cancels the additional list (7), which leaves the general list alone.
#[test]
fn bolzano_list_in_the_previous_comune_with_the_general_list_in_the_new_one() {
    for w in worlds() {
        w.ok(
            &ROMA,
            "B0",
            "2025-01-01",
            vec![generale(&ROMA, "1"), controllo(&["01"])],
        );
        w.move_to(&BOLZANO);
        // The comune of residence does not hold it.
        let h = w.ko(
            &BOLZANO,
            "B1",
            "2025-01-02",
            vec![bolzano_list(&BOLZANO, "1"), controllo(&["03"])],
        );
        assert_eq!(h.codes, ["EN562", "EN527"], "{}", w.label);
        assert!(h.body.contains("precedente residenza"), "{}", h.body);
        // Nor does Roma while it holds the general list...
        let h = w.ko(
            &ROMA,
            "B2",
            "2025-01-02",
            vec![bolzano_list(&ROMA, "2"), controllo(&["03"])],
        );
        assert!(h.body.contains("tiene la lista generale"), "{}", h.body);
        // ...but it may cancel it for the transfer in the same message.
        w.ok(
            &ROMA,
            "B3",
            "2025-01-02",
            vec![
                bolzano_list(&ROMA, "2"),
                cancellazione("1"),
                controllo(&["03", "05"]),
            ],
        );
        w.ok(
            &BOLZANO,
            "B4",
            "2025-01-03",
            vec![generale(&BOLZANO, "1"), controllo(&["01"])],
        );
        let s = w.state();
        assert_eq!(s.comreg.as_ref().unwrap().1.comune, "058091", "{}", w.label);
        assert_eq!(s.general.as_ref().unwrap().0.comune, "021008");
        let h = w.ko(
            &BOLZANO,
            "B5",
            "2025-01-04",
            vec![cancellazione("7"), controllo(&["05"])],
        );
        assert_eq!(h.codes, ["EN204", "EN527"]);
        assert!(h.body.contains("ROMA (RM) 058091"), "{}", h.body);
        w.ok(
            &ROMA,
            "B6",
            "2025-01-04",
            vec![cancellazione("7"), controllo(&["05"])],
        );
        let after = w.state();
        assert!(after.comreg.is_none());
        assert_eq!(after.general, s.general, "motive 7 leaves the general list");
    }
}

#[test]
fn single_request_refusals() {
    for w in worlds() {
        // EN557: section missing.
        let h = w.ko(
            &ROMA,
            "K1",
            "2025-01-02",
            vec![generale(&ROMA, "999"), controllo(&["01"])],
        );
        assert_eq!(h.codes, ["EN557", "EN527"], "{}", w.label);
        // EN562: circumscription not in the table.
        let mut l = generale(&ROMA, "1");
        l.children
            .iter_mut()
            .find(|c| c.name == "circoscrcameradeputati")
            .unwrap()
            .text = "Lazio 1".into();
        assert_eq!(
            w.ko(&ROMA, "K2", "2025-01-02", vec![l, controllo(&["01"])])
                .codes,
            ["EN562", "EN527"]
        );
        // EN565: EU list for an Italian.
        let ue = Element::new("liste")
            .with_child(Element::leaf("elettore", "S"))
            .with_child(
                Element::new("listaAggiuntaUE")
                    .with_child(Element::leaf("ueelettorecomunali", "S"))
                    .with_child(lista(&ROMA, "1", "listaAggiuntaUEComunali")),
            );
        let ue = flags(ue, &ROMA);
        assert_eq!(
            w.ko(&ROMA, "K3", "2025-01-02", vec![ue, controllo(&["02"])])
                .codes,
            ["EN565", "EN527"]
        );
        // EN389: effective dates go forward.
        w.ok(
            &ROMA,
            "K4",
            "2025-01-05",
            vec![generale(&ROMA, "1"), controllo(&["01"])],
        );
        assert_eq!(
            w.ko(
                &ROMA,
                "K5",
                "2025-01-04",
                vec![generale(&ROMA, "2"), controllo(&["01"])]
            )
            .codes,
            ["EN389", "EN527"]
        );
        // EC023: certifiability out of range.
        let cert =
            Element::new("certificabilita").with_child(Element::leaf("soggettoCertificabile", "7"));
        assert_eq!(
            w.ko(&ROMA, "K6", "2025-01-06", vec![cert, controllo(&["04"])])
                .codes,
            ["EC023", "EN527"]
        );
        // Nothing of the refused requests was written.
        assert_eq!(w.state().general.unwrap().0.sezione, "1");
    }
}

#[test]
fn an_unknown_subject_is_en185() {
    for w in worlds() {
        let mut t = Testata::new("U1", ROMA.istat, "5010", "2025-01-10T10:00:00Z");
        t.data_decorrenza = Some("2025-01-02".into());
        let xml = build::richiesta5010(
            &t,
            &[
                Element::leaf("idSoggetto", "123"),
                generale(&ROMA, "1"),
                controllo(&["01"]),
            ],
        );
        let c = urna_security::gate::check(xml.as_bytes(), 5000).unwrap();
        let caller = Caller {
            station: "058091-PC-0001".parse().unwrap(),
        };
        let h = w
            .services
            .handle(c.operation, &c.payload, &caller, "t")
            .unwrap();
        assert_eq!(h.codes, ["EN185", "EN527"], "{}", w.label);
    }
}
