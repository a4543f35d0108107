//! Rules of the section services: 5011 create/update, 2012 delete, 3008
//! consultation (docs/anpr-interface.md §Sections, rules R-S1..R-S5).

use crate::catalogue::{Anomaly, Code};

/// A `tipoComune` / `tipoComuneRichiesta` reference as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComuneRef {
    pub nome: String,
    pub istat: Option<String>,
    pub sigla: String,
}

/// The comune that sent the request (from the municipalities table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderComune {
    pub istat: String,
    pub nome: String,
    pub sigla: String,
}

impl SenderComune {
    fn label(&self) -> String {
        format!("{} ({}) {}", self.nome, self.sigla, self.istat)
    }

    /// Does `c` name this comune? By ISTAT code when given, else by name.
    fn is(&self, c: &ComuneRef) -> bool {
        match &c.istat {
            Some(istat) => istat == &self.istat,
            None => c.nome.trim().eq_ignore_ascii_case(self.nome.trim()),
        }
    }
}

/// Which codes in an address require their "fonte" (ES023..ES025).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressCodes {
    pub cod_specie: bool,
    pub specie_fonte: bool,
    pub cod_toponimo: bool,
    pub toponimo_fonte: bool,
    pub codice_civico: bool,
    pub civico_fonte: bool,
}

/// The parts of a 5011 `sezione` the rules look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionInput {
    pub owner: Option<ComuneRef>,
    pub number: Option<String>,
    pub name: String,
    pub address_comune: ComuneRef,
    pub address_codes: AddressCodes,
    pub circ_ue: Option<String>,
    pub collegio_camera: String,
    pub circ_regionali: String,
    pub collegio_senato: String,
}

/// The Ministry "standard field" tables a section is checked against (R-S2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConstituencyKind {
    /// `collegiocameradeputati`
    Camera,
    /// `collegiosenatorepubblica`
    Senato,
    /// `circoscrregionali`
    Regionali,
    /// `circoscrelezionimembriue`
    ParlamentoUe,
    /// An elector's `circoscrcameradeputati` (5010).
    CircCamera,
    /// An elector's `circoscrsenatorepubblica` (5010).
    CircSenato,
}

impl ConstituencyKind {
    pub const ALL: [ConstituencyKind; 6] = [
        ConstituencyKind::Camera,
        ConstituencyKind::Senato,
        ConstituencyKind::Regionali,
        ConstituencyKind::ParlamentoUe,
        ConstituencyKind::CircCamera,
        ConstituencyKind::CircSenato,
    ];

    /// Name used in the constituency file format and the database.
    pub fn key(self) -> &'static str {
        match self {
            ConstituencyKind::Camera => "camera",
            ConstituencyKind::Senato => "senato",
            ConstituencyKind::Regionali => "regionali",
            ConstituencyKind::ParlamentoUe => "ue",
            ConstituencyKind::CircCamera => "circ_camera",
            ConstituencyKind::CircSenato => "circ_senato",
        }
    }

    pub fn from_key(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }

    /// The wire element carrying the value.
    pub fn element(self) -> &'static str {
        match self {
            ConstituencyKind::Camera => "collegiocameradeputati",
            ConstituencyKind::Senato => "collegiosenatorepubblica",
            ConstituencyKind::Regionali => "circoscrregionali",
            ConstituencyKind::ParlamentoUe => "circoscrelezionimembriue",
            ConstituencyKind::CircCamera => "circoscrcameradeputati",
            ConstituencyKind::CircSenato => "circoscrsenatorepubblica",
        }
    }

    /// The Italian field description used in EN562 texts.
    pub fn description_it(self) -> &'static str {
        match self {
            ConstituencyKind::Camera => {
                "Collegio plurinominale e collegio uninominale per la Camera dei deputati"
            }
            ConstituencyKind::Senato => {
                "Collegio plurinominale e collegio uninominale per il Senato della Repubblica"
            }
            ConstituencyKind::Regionali => "Circoscrizione per le elezioni regionali",
            ConstituencyKind::ParlamentoUe => {
                "Circoscrizione per le elezioni dei membri del Parlamento europeo"
            }
            ConstituencyKind::CircCamera => "Circoscrizione per la Camera dei deputati",
            ConstituencyKind::CircSenato => "Circoscrizione per il Senato della Repubblica",
        }
    }
}

/// Lookup in the constituency tables valid for one comune (exact, case-sensitive).
pub trait ConstituencyTable {
    fn contains(&self, kind: ConstituencyKind, value: &str) -> bool;
}

/// 5011: every rule a section must satisfy before it is stored.
pub fn check_upsert(
    sender: &SenderComune,
    s: &SectionInput,
    table: &dyn ConstituencyTable,
) -> Vec<Anomaly> {
    let mut out = Vec::new();
    if let Some(owner) = &s.owner {
        if !sender.is(owner) {
            out.push(
                Anomaly::new(
                    Code::EN204,
                    format!(
                        "la sezione appartiene a {} ma la richiesta e' del comune {}",
                        owner_label(owner),
                        sender.label()
                    ),
                )
                .object("sezione/comune")
                .field("codiceIstat")
                .value(owner.istat.clone().unwrap_or_else(|| owner.nome.clone())),
            );
        }
    }
    if s.number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        out.push(
            Anomaly::new(
                Code::EN562,
                "sezioneelettoralenum obbligatorio: e' la chiave della sezione",
            )
            .object("sezione")
            .field("sezioneelettoralenum"),
        );
    }
    if !sender.is(&s.address_comune) {
        out.push(
            Anomaly::new(
                Code::EN378,
                format!(
                    "il seggio e' nel comune {}, non in {}",
                    owner_label(&s.address_comune),
                    sender.label()
                ),
            )
            .object("sezioneelettoraleind/comune")
            .field("codiceIstat")
            .value(
                s.address_comune
                    .istat
                    .clone()
                    .unwrap_or_else(|| s.address_comune.nome.clone()),
            ),
        );
    }
    let c = s.address_codes;
    for (code, given, fonte, field) in [
        (Code::ES023, c.cod_specie, c.specie_fonte, "specieFonte"),
        (
            Code::ES024,
            c.cod_toponimo,
            c.toponimo_fonte,
            "toponimoFonte",
        ),
        (Code::ES025, c.codice_civico, c.civico_fonte, "civicoFonte"),
    ] {
        if given && !fonte {
            out.push(
                Anomaly::new(code, "")
                    .object("sezioneelettoraleind")
                    .field(field),
            );
        }
    }
    let values = [
        (ConstituencyKind::Camera, Some(&s.collegio_camera)),
        (ConstituencyKind::Senato, Some(&s.collegio_senato)),
        (ConstituencyKind::Regionali, Some(&s.circ_regionali)),
        (ConstituencyKind::ParlamentoUe, s.circ_ue.as_ref()),
    ];
    for (kind, value) in values {
        if let Some(v) = value {
            if !table.contains(kind, v) {
                out.push(
                    Anomaly::new(
                        Code::EN562,
                        format!(
                            "campo \"{}\" non presente nella tabella di riferimento del comune {} (confronto esatto)",
                            kind.description_it(),
                            sender.istat
                        ),
                    )
                    .object("sezione")
                    .field(kind.element())
                    .value(v.as_str()),
                );
            }
        }
    }
    out
}

fn owner_label(c: &ComuneRef) -> String {
    match &c.istat {
        Some(i) => format!("{} ({}) {}", c.nome, c.sigla, i),
        None => format!("{} ({})", c.nome, c.sigla),
    }
}

/// The comune named in a 2012/3008 request must be the sender (EN204).
pub fn check_own_comune(sender: &SenderComune, requested: &ComuneRef) -> Option<Anomaly> {
    (!sender.is(requested)).then(|| {
        Anomaly::new(
            Code::EN204,
            format!(
                "richiesta per il comune {} inviata dal comune {}",
                owner_label(requested),
                sender.label()
            ),
        )
        .object("comune")
        .field("codiceIstat")
        .value(requested.istat.clone().unwrap_or_default())
    })
}

/// 2012: what is known about the section to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteTarget {
    Missing,
    Present { referencing_electors: u64 },
}

/// 2012: a section can be deleted only if it exists and no elector refers to it
/// (R-S5: refusals are blocking EN562).
pub fn check_delete(sender: &SenderComune, number: &str, target: DeleteTarget) -> Vec<Anomaly> {
    match target {
        DeleteTarget::Missing => vec![section_missing(sender, number)],
        DeleteTarget::Present {
            referencing_electors: 0,
        } => vec![],
        DeleteTarget::Present {
            referencing_electors: n,
        } => vec![Anomaly::new(
            Code::EN562,
            format!(
                "la sezione {number} non puo' essere cancellata: {n} elettori vi risultano iscritti; spostarli in un'altra sezione (5010) prima della cancellazione"
            ),
        )
        .object("datiSezione")
        .field("sezioneelettoralenum")
        .value(number)],
    }
}

/// EN557 for a section that does not exist (R-E24).
pub fn section_missing(sender: &SenderComune, number: &str) -> Anomaly {
    Anomaly::new(
        Code::EN557,
        format!(
            "sezione elettorale numero {} del comune {} ({}) inesistente",
            number, sender.nome, sender.sigla
        ),
    )
    .field("sezioneelettoralenum")
    .value(number)
}

/// 3008: what the consultation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionQuery {
    One(String),
    All,
}

/// 3008: interprets `tipoRichiesta` (R-S4): "1" one section (number required),
/// "2" all sections of the comune.
pub fn parse_query(tipo: &str, number: Option<&str>) -> Result<SectionQuery, Anomaly> {
    match (tipo.trim(), number) {
        ("1", Some(n)) => Ok(SectionQuery::One(n.to_string())),
        ("1", None) => Err(Anomaly::new(
            Code::EN148,
            "tipoRichiesta 1 richiede sezioneelettoralenum",
        )
        .field("sezioneelettoralenum")),
        ("2", _) => Ok(SectionQuery::All),
        (other, _) => Err(Anomaly::new(
            Code::EN148,
            format!("tipoRichiesta {other} non previsto: valori ammessi 1 (una sezione), 2 (tutte le sezioni del comune)"),
        )
        .field("tipoRichiesta")
        .value(other)),
    }
}

/// 3008 with no match: ANPR's answer is not established, so EN122 as in other
/// consultations (docs/decisions.md).
pub fn nothing_found(query: &SectionQuery) -> Anomaly {
    let detail = match query {
        SectionQuery::One(n) => format!("nessuna sezione con numero {n}"),
        SectionQuery::All => "il comune non ha sezioni elettorali".to_string(),
    };
    Anomaly::new(Code::EN122, detail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    struct Table(HashSet<(ConstituencyKind, &'static str)>);
    impl ConstituencyTable for Table {
        fn contains(&self, kind: ConstituencyKind, value: &str) -> bool {
            self.0.iter().any(|(k, v)| *k == kind && *v == value)
        }
    }

    fn table() -> Table {
        Table(HashSet::from([
            (ConstituencyKind::Camera, "LAZIO 1 - U01"),
            (ConstituencyKind::Senato, "LAZIO - U01"),
            (ConstituencyKind::Regionali, "ROMA"),
            (ConstituencyKind::ParlamentoUe, "ITALIA CENTRALE"),
        ]))
    }

    fn roma() -> SenderComune {
        SenderComune {
            istat: "058091".into(),
            nome: "ROMA".into(),
            sigla: "RM".into(),
        }
    }

    fn roma_ref() -> ComuneRef {
        ComuneRef {
            nome: "ROMA".into(),
            istat: Some("058091".into()),
            sigla: "RM".into(),
        }
    }

    fn section() -> SectionInput {
        SectionInput {
            owner: Some(roma_ref()),
            number: Some("1".into()),
            name: "SCUOLA".into(),
            address_comune: roma_ref(),
            address_codes: AddressCodes::default(),
            circ_ue: Some("ITALIA CENTRALE".into()),
            collegio_camera: "LAZIO 1 - U01".into(),
            circ_regionali: "ROMA".into(),
            collegio_senato: "LAZIO - U01".into(),
        }
    }

    fn codes(v: &[Anomaly]) -> Vec<&'static str> {
        v.iter().map(|a| a.code.wire()).collect()
    }

    #[test]
    fn a_consistent_section_passes() {
        assert!(check_upsert(&roma(), &section(), &table()).is_empty());
        let s = SectionInput {
            owner: None,
            circ_ue: None,
            ..section()
        };
        assert!(check_upsert(&roma(), &s, &table()).is_empty());
    }

    #[test]
    fn constituency_values_match_exactly_and_case_sensitively() {
        let s = SectionInput {
            collegio_camera: "Lazio 1 - U01".into(),
            ..section()
        };
        let a = check_upsert(&roma(), &s, &table());
        assert_eq!(codes(&a), ["EN562"]);
        assert_eq!(a[0].field.as_deref(), Some("collegiocameradeputati"));
        assert_eq!(a[0].value.as_deref(), Some("Lazio 1 - U01"));
        assert!(a[0].text.contains("Camera dei deputati"));
        for s in [
            SectionInput {
                collegio_senato: "X".into(),
                ..section()
            },
            SectionInput {
                circ_regionali: "X".into(),
                ..section()
            },
            SectionInput {
                circ_ue: Some("X".into()),
                ..section()
            },
        ] {
            assert_eq!(codes(&check_upsert(&roma(), &s, &table())), ["EN562"]);
        }
    }

    #[test]
    fn polling_station_must_be_in_the_comune() {
        let s = SectionInput {
            address_comune: ComuneRef {
                nome: "FIUMICINO".into(),
                istat: Some("058120".into()),
                sigla: "RM".into(),
            },
            ..section()
        };
        let a = check_upsert(&roma(), &s, &table());
        assert_eq!(codes(&a), ["EN378"]);
        assert!(a[0].text.contains("FIUMICINO"));
        // Without an ISTAT code the name decides.
        let s = SectionInput {
            address_comune: ComuneRef {
                nome: "roma".into(),
                istat: None,
                sigla: "RM".into(),
            },
            ..section()
        };
        assert!(check_upsert(&roma(), &s, &table()).is_empty());
    }

    #[test]
    fn section_of_another_comune_is_not_competent() {
        let s = SectionInput {
            owner: Some(ComuneRef {
                nome: "MILANO".into(),
                istat: Some("015146".into()),
                sigla: "MI".into(),
            }),
            ..section()
        };
        assert_eq!(codes(&check_upsert(&roma(), &s, &table())), ["EN204"]);
    }

    #[test]
    fn section_number_is_required() {
        for n in [None, Some("  ".to_string())] {
            let s = SectionInput {
                number: n,
                ..section()
            };
            assert_eq!(codes(&check_upsert(&roma(), &s, &table())), ["EN562"]);
        }
    }

    #[test]
    fn address_codes_need_their_source() {
        let mut s = section();
        s.address_codes = AddressCodes {
            cod_specie: true,
            cod_toponimo: true,
            codice_civico: true,
            ..Default::default()
        };
        assert_eq!(
            codes(&check_upsert(&roma(), &s, &table())),
            ["ES023", "ES024", "ES025"]
        );
        s.address_codes = AddressCodes {
            cod_specie: true,
            specie_fonte: true,
            ..Default::default()
        };
        assert!(check_upsert(&roma(), &s, &table()).is_empty());
    }

    #[test]
    fn delete_needs_an_unreferenced_existing_section() {
        assert_eq!(
            codes(&check_delete(&roma(), "1", DeleteTarget::Missing)),
            ["EN557"]
        );
        assert!(check_delete(
            &roma(),
            "1",
            DeleteTarget::Present {
                referencing_electors: 0
            }
        )
        .is_empty());
        let a = check_delete(
            &roma(),
            "1",
            DeleteTarget::Present {
                referencing_electors: 3,
            },
        );
        assert_eq!(codes(&a), ["EN562"]);
        assert!(a[0].is_blocking());
        assert!(a[0].text.contains("3 elettori"));
    }

    #[test]
    fn own_comune_only() {
        assert!(check_own_comune(&roma(), &roma_ref()).is_none());
        let milano = ComuneRef {
            nome: "MILANO".into(),
            istat: Some("015146".into()),
            sigla: "MI".into(),
        };
        assert_eq!(
            check_own_comune(&roma(), &milano).unwrap().code,
            Code::EN204
        );
    }

    #[test]
    fn consultation_types() {
        assert_eq!(
            parse_query("1", Some("7")),
            Ok(SectionQuery::One("7".into()))
        );
        assert_eq!(parse_query("2", None), Ok(SectionQuery::All));
        assert_eq!(parse_query("1", None).unwrap_err().code, Code::EN148);
        assert_eq!(parse_query("3", None).unwrap_err().code, Code::EN148);
        assert_eq!(nothing_found(&SectionQuery::All).code, Code::EN122);
    }
}
