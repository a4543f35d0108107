//! The demo world of `make run`: a few real comuni (rows as in ANPR's archive,
//! so a later archive import updates them in place), an illustrative
//! constituency table and some sections each, bilingual where the comune is.
//!
//! The Ministry's real constituency strings are not public in machine-readable
//! form (docs/anpr-interface.md §Sections, "Constituency tables"); the demo
//! values only follow their shape.

use urna_domain::elector::{ElectorState, Flags, ListRef};
use urna_domain::section::ConstituencyKind;
use urna_store::comuni::{self, ComuneRow};
use urna_store::constituencies::{self, Entry};
use urna_store::{sections, Store, StoreError};
use urna_wire::Element;

/// A demo comune: archive row data plus the values of its sections.
pub struct DemoComune {
    pub archive_id: i64,
    pub istat: &'static str,
    pub catastale: &'static str,
    pub nome: &'static str,
    pub altro_nome: Option<&'static str>,
    pub sigla: &'static str,
    /// Postal code of the polling stations.
    pub cap: &'static str,
    pub valid_from: &'static str,
    pub sections: u32,
    pub camera: &'static str,
    pub senato: &'static str,
    pub regionali: &'static str,
    pub ue: &'static str,
    /// Electors' circumscriptions (`circoscrcameradeputati`, `circoscrsenatorepubblica`).
    pub circ_camera: &'static str,
    pub circ_senato: &'static str,
    /// Second language for `altraLinguaSezione` (idLingua, street word).
    pub second_language: Option<(&'static str, &'static str)>,
}

pub const DEMO_COMUNI: &[DemoComune] = &[
    DemoComune {
        archive_id: 8165,
        istat: "058091",
        catastale: "H501",
        nome: "ROMA",
        altro_nome: None,
        sigla: "RM",
        cap: "00184",
        valid_from: "1992-04-04",
        sections: 12,
        camera: "LAZIO 1 - U01",
        senato: "LAZIO - U01",
        regionali: "ROMA",
        ue: "ITALIA CENTRALE",
        circ_camera: "LAZIO 1",
        circ_senato: "LAZIO",
        second_language: None,
    },
    DemoComune {
        archive_id: 11171,
        istat: "058120",
        catastale: "M297",
        nome: "FIUMICINO",
        altro_nome: None,
        sigla: "RM",
        cap: "00054",
        valid_from: "1992-04-04",
        sections: 3,
        camera: "LAZIO 1 - U06",
        senato: "LAZIO - U03",
        regionali: "ROMA",
        ue: "ITALIA CENTRALE",
        circ_camera: "LAZIO 1",
        circ_senato: "LAZIO",
        second_language: None,
    },
    DemoComune {
        archive_id: 5646,
        istat: "015146",
        catastale: "F205",
        nome: "MILANO",
        altro_nome: None,
        sigla: "MI",
        cap: "20121",
        valid_from: "1997-07-26",
        sections: 8,
        camera: "LOMBARDIA 1 - U01",
        senato: "LOMBARDIA - U01",
        regionali: "MILANO",
        ue: "ITALIA NORD-OCCIDENTALE",
        circ_camera: "LOMBARDIA 1",
        circ_senato: "LOMBARDIA",
        second_language: None,
    },
    DemoComune {
        archive_id: 21857,
        istat: "021008",
        catastale: "A952",
        nome: "BOLZANO",
        altro_nome: Some("BOZEN"),
        sigla: "BZ",
        cap: "39100",
        valid_from: "1927-01-12",
        sections: 4,
        camera: "TRENTINO-ALTO ADIGE/SUDTIROL - U01",
        senato: "TRENTINO-ALTO ADIGE/SUDTIROL - U01",
        regionali: "BOLZANO",
        ue: "ITALIA NORD-ORIENTALE",
        circ_camera: "TRENTINO-ALTO ADIGE/SUDTIROL",
        circ_senato: "TRENTINO-ALTO ADIGE/SUDTIROL",
        second_language: Some(("2", "STRASSE")),
    },
    DemoComune {
        archive_id: 10208,
        istat: "022205",
        catastale: "L378",
        nome: "TRENTO",
        altro_nome: None,
        sigla: "TN",
        cap: "38122",
        valid_from: "1968-07-03",
        sections: 4,
        camera: "TRENTINO-ALTO ADIGE/SUDTIROL - U03",
        senato: "TRENTINO-ALTO ADIGE/SUDTIROL - U03",
        regionali: "TRENTO",
        ue: "ITALIA NORD-ORIENTALE",
        circ_camera: "TRENTINO-ALTO ADIGE/SUDTIROL",
        circ_senato: "TRENTINO-ALTO ADIGE/SUDTIROL",
        second_language: None,
    },
    DemoComune {
        archive_id: 352,
        istat: "007003",
        catastale: "A326",
        nome: "AOSTA",
        altro_nome: Some("AOSTE"),
        sigla: "AO",
        cap: "11100",
        valid_from: "1946-05-15",
        sections: 3,
        camera: "VALLE D'AOSTA - U01",
        senato: "VALLE D'AOSTA - U01",
        regionali: "AOSTA",
        ue: "ITALIA NORD-OCCIDENTALE",
        circ_camera: "VALLE D'AOSTA",
        circ_senato: "VALLE D'AOSTA",
        second_language: Some(("3", "RUE")),
    },
];

/// What [`load`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub comuni: usize,
    pub constituencies: usize,
    pub sections: usize,
    pub subjects: usize,
    pub electors: usize,
    pub operators: usize,
}

/// Demo people per comune: 0..=8 Italian electors in the general list, 9 an
/// Italian non-elector, 10 a citizen of another EU state in the EU municipal
/// list, 11 a non-EU citizen with no electoral data.
pub const SUBJECTS_PER_COMUNE: u32 = 12;

const SURNAMES: [&str; 12] = [
    "ROSSI", "BIANCHI", "FERRARI", "ESPOSITO", "RUSSO", "ROMANO", "COLOMBO", "RICCI", "MARINO",
    "GRECO", "BRUNO", "GALLO",
];
const MEN: [&str; 6] = ["MARIO", "LUCA", "GIUSEPPE", "MARCO", "ANDREA", "PAOLO"];
const WOMEN: [&str; 6] = ["ANNA", "GIULIA", "MARIA", "SARA", "LAURA", "CHIARA"];

/// The numeric ANPR subject id of demo person `i` of comune `c` (10 digits).
pub fn subject_id(c: &DemoComune, i: u32) -> String {
    format!("9{}{:03}", c.istat, i)
}

/// Registry row of demo person `i` of comune `c` (valid codice fiscale).
pub fn subject_row(c: &DemoComune, i: u32) -> urna_store::subjects::SubjectRow {
    let female = i.is_multiple_of(2);
    let year = 1950 + (i as i32 * 7) % 55;
    let month = time::Month::try_from((i % 12) as u8 + 1).expect("month");
    let birth = time::Date::from_calendar_date(year, month, (i * 3 % 28) as u8 + 1).expect("date");
    let surname = SURNAMES[(i as usize + c.archive_id as usize) % SURNAMES.len()];
    let name = if female {
        WOMEN[i as usize % 6]
    } else {
        MEN[i as usize % 6]
    };
    let cf = urna_domain::codice_fiscale::CodiceFiscale::compose(
        surname,
        name,
        birth,
        female,
        c.catastale,
    );
    urna_store::subjects::SubjectRow {
        id_soggetto: subject_id(c, i),
        codice_fiscale: cf.to_string(),
        cognome: surname.into(),
        nome: name.into(),
        sesso: if female { "F" } else { "M" }.into(),
        data_nascita: birth.to_string(),
        luogo_nascita: c.catastale.into(),
        cittadinanza: match i {
            10 => "UE",
            11 => "EXTRA",
            _ => "IT",
        }
        .into(),
        comune_residenza: Some(c.istat.into()),
        aire: 0,
        certificabile_anagrafe: Some(2),
        cancellato_anpr: 0,
    }
}

/// The demo operators of every demo comune: codice fiscale and profiles.
/// The first is the operator the test kit, `urna wss sign` and the
/// conformance suite sign as.
pub const DEMO_OPERATORS: &[(&str, &str)] = &[
    ("RSSMRA80A01H501U", "elettorale,anagrafe"),
    ("BNCLRA85M41F205C", "elettorale"),
    ("VRDGPP75C15H501P", "anagrafe"),
];

/// Electoral state of demo person `i` (see [`SUBJECTS_PER_COMUNE`]).
pub fn elector_state(c: &DemoComune, i: u32) -> Option<ElectorState> {
    let section = ListRef {
        comune: c.istat.into(),
        sezione: ((i % c.sections) + 1).to_string(),
    };
    let flags = |on: bool| Flags {
        referendum: on,
        membriue: on,
        senato: on,
        circ_senato: on.then(|| c.circ_senato.to_string()),
        camera: on,
        circ_camera: on.then(|| c.circ_camera.to_string()),
        regionali: on,
        comunali: on,
        circoscrizionali: false,
    };
    let base = ElectorState {
        flags_comune: Some(c.istat.into()),
        last_decorrenza: Some(time::macros::date!(2024 - 01 - 01)),
        ..Default::default()
    };
    match i {
        0..=8 => Some(ElectorState {
            elettore: Some(true),
            general: Some((section, time::macros::date!(2024 - 01 - 01))),
            flags: Some(flags(true)),
            certificabile: Some(2),
            cert_comune: Some(c.istat.into()),
            ..base
        }),
        9 => Some(ElectorState {
            elettore: Some(false),
            flags: Some(flags(false)),
            ..base
        }),
        10 => Some(ElectorState {
            elettore: Some(true),
            ue_comunali: Some(section),
            flags: Some(Flags {
                comunali: true,
                ..flags(false)
            }),
            ..base
        }),
        _ => None,
    }
}

/// The comune's row as in ANPR's archive.
pub fn comune_row(c: &DemoComune) -> ComuneRow {
    ComuneRow {
        id: c.archive_id,
        istat: c.istat.into(),
        cod_catastale: c.catastale.into(),
        nome: c.nome.into(),
        altro_nome: c.altro_nome.map(Into::into),
        sigla: c.sigla.into(),
        valid_from: c.valid_from.into(),
        valid_to: "9999-12-31".into(),
        stato: "A".into(),
    }
}

/// The demo constituency entries for one comune.
pub fn constituency_entries(c: &DemoComune) -> Vec<Entry> {
    [
        (ConstituencyKind::Camera, c.camera),
        (ConstituencyKind::Senato, c.senato),
        (ConstituencyKind::Regionali, c.regionali),
        (ConstituencyKind::ParlamentoUe, c.ue),
        (ConstituencyKind::CircCamera, c.circ_camera),
        (ConstituencyKind::CircSenato, c.circ_senato),
    ]
    .into_iter()
    .map(|(k, v)| Entry {
        kind: k.key().into(),
        comune_istat: c.istat.into(),
        value: v.into(),
    })
    .collect()
}

fn comune_el(c: &DemoComune) -> Element {
    Element::new("comune")
        .with_child(Element::leaf("nomeComune", c.nome))
        .with_child(Element::leaf("codiceIstat", c.istat))
        .with_child(Element::leaf("siglaProvinciaIstat", c.sigla))
}

/// A demo section `n` of comune `c`, as a 5011 `sezione` tree.
pub fn section_tree(c: &DemoComune, n: u32) -> Element {
    let school = format!("SCUOLA PRIMARIA N. {n}");
    let street = format!("DELLE SCUOLE {n}");
    let mut s = Element::new("sezione")
        .with_child(comune_el(c))
        .with_child(Element::leaf("sezioneelettoralenum", n.to_string()))
        .with_child(Element::leaf("sezioneelettoraledenom", &school))
        .with_child(
            Element::new("sezioneelettoraleind")
                .with_child(Element::leaf("cap", c.cap))
                .with_child(comune_el(c))
                .with_child(
                    Element::new("toponimo")
                        .with_child(Element::leaf("specie", "VIA"))
                        .with_child(Element::leaf("denominazioneToponimo", &street)),
                )
                .with_child(
                    Element::new("numeroCivico").with_child(Element::leaf("numero", n.to_string())),
                ),
        )
        .with_child(Element::leaf("circoscrelezionimembriue", c.ue))
        .with_child(Element::leaf("collegiocameradeputati", c.camera))
        .with_child(Element::leaf("circoscrregionali", c.regionali))
        .with_child(Element::leaf("collegiosenatorepubblica", c.senato));
    if let Some((lingua, word)) = c.second_language {
        s = s.with_child(
            Element::new("altraLinguaSezione")
                .with_child(Element::leaf(
                    "sezioneelettoraledenomtrad",
                    format!("SCHULE {n}"),
                ))
                .with_child(
                    Element::new("altraLinguaIndirizzo")
                        .with_child(Element::leaf("idLingua", lingua))
                        .with_child(Element::leaf("specie", word))
                        .with_child(Element::leaf("denominazioneToponimo", format!("SCHUL {n}"))),
                ),
        );
    }
    s
}

/// Loads the demo world; idempotent (sections are added only to comuni that have none).
pub fn load(store: &Store) -> Result<DemoReport, StoreError> {
    store.write(|conn| {
        let mut report = DemoReport::default();
        let rows: Vec<ComuneRow> = DEMO_COMUNI.iter().map(comune_row).collect();
        comuni::upsert(conn, &rows)?;
        report.comuni = rows.len();
        for c in DEMO_COMUNI {
            report.constituencies += constituencies::insert(conn, &constituency_entries(c))?;
            let people: Vec<_> = (0..SUBJECTS_PER_COMUNE)
                .map(|i| subject_row(c, i))
                .collect();
            urna_store::subjects::upsert(conn, &people)?;
            report.subjects += people.len();
            for (cf, profiles) in DEMO_OPERATORS {
                urna_store::operators::put(
                    conn,
                    &urna_store::operators::OperatorRow {
                        comune_istat: c.istat.into(),
                        codice_fiscale: (*cf).into(),
                        profiles: (*profiles).into(),
                    },
                )?;
            }
            report.operators += DEMO_OPERATORS.len();
            if sections::count(conn, c.istat)? > 0 {
                continue;
            }
            for n in 1..=c.sections {
                let tree = section_tree(c, n);
                sections::upsert(
                    conn,
                    &sections::SectionRow {
                        comune_istat: c.istat.into(),
                        numero: n.to_string(),
                        denominazione: format!("SCUOLA PRIMARIA N. {n}"),
                        payload: tree.inner_xml(),
                        updated_at: urna_store::now_millis(),
                        last_operation: 0,
                    },
                )?;
                report.sections += 1;
            }
            for i in 0..SUBJECTS_PER_COMUNE {
                if let Some(state) = elector_state(c, i) {
                    let row = urna_store::electors::ElectorRow::from_state(
                        &subject_id(c, i),
                        &state,
                        0,
                        urna_store::now_millis(),
                    );
                    urna_store::electors::put(conn, &row)?;
                    report.electors += 1;
                }
            }
        }
        Ok(report)
    })
}
