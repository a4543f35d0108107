//! The decode tables of the electoral services, as 7001 `scarica_tabelle`
//! hands them out (docs/tables.md). Each is built from the definitions the
//! rules themselves use (the enums and constants of `elector.rs` and
//! `certificate.rs`), so that a table and the rule that checks its codes
//! cannot disagree.
//!
//! Numbers: ANPR's for its published tables (13 certificate types, 14
//! languages, 39 stamp-duty exemptions); for the electoral tables, whose
//! 7001 numbers ANPR's sources do not establish, urna's own in the 900s,
//! named after ANPR's files (DEC_MOTIVO_CANC_ELE, …). The constituency
//! values are a comune's data, not a code list: 7001 reads them from the
//! store ([`CONSTITUENCIES`]).

use crate::certificate::{
    CertificateType, Language, Signatory, ESENZIONI_BOLLO, REGISTRY_CERTIFICATES,
};
use crate::elector::{CancellationMotive, ElectoralCertifiability, TipoMutazione, TIPI_REVISIONE};

/// A decode table: its number, the name of its file, and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// `idTabella` (three digits on the wire).
    pub id: u16,
    /// The file's name in the archive 7001 returns, without `.csv`.
    pub name: &'static str,
    /// The column names of the CSV's header.
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<String>>,
}

/// The number of the constituency values table (kind, comune, value), which
/// 7001 reads from the store.
pub const CONSTITUENCIES: u16 = 906;

const CODE_DESCRIPTION: &[&str] = &["CODICE", "DESCRIZIONE"];

fn rows<C: ToString, D: ToString>(pairs: impl IntoIterator<Item = (C, D)>) -> Vec<Vec<String>> {
    pairs
        .into_iter()
        .map(|(c, d)| vec![c.to_string(), d.to_string()])
        .collect()
}

/// Every code table (the constituency values excepted), by number.
pub fn all() -> Vec<Table> {
    vec![
        Table {
            id: 13,
            name: "TIPO_CERTIFICATO",
            columns: CODE_DESCRIPTION,
            rows: rows(
                REGISTRY_CERTIFICATES
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (i + 1, format!("CERTIFICATO {}", name.to_uppercase())))
                    .chain(CertificateType::ALL.iter().map(|t| {
                        (
                            usize::from(t.code()),
                            format!("CERTIFICATO DI {}", t.name_it().to_uppercase()),
                        )
                    })),
            ),
        },
        Table {
            id: 14,
            name: "LINGUA_CERTIFICATO",
            columns: CODE_DESCRIPTION,
            rows: rows(Language::ALL.iter().map(|l| (l.code(), l.name_it()))),
        },
        Table {
            id: 39,
            name: "ESENZIONE_BOLLO",
            columns: CODE_DESCRIPTION,
            rows: rows(ESENZIONI_BOLLO),
        },
        Table {
            id: 901,
            name: "DEC_MOTIVO_CANC_ELE",
            columns: &["CODICE", "DESCRIZIONE", "LISTA"],
            rows: CancellationMotive::ALL
                .iter()
                .map(|m| {
                    vec![
                        m.code().to_string(),
                        m.description().to_string(),
                        m.list().name().to_uppercase(),
                    ]
                })
                .collect(),
        },
        Table {
            id: 902,
            name: "DEC_CERTIFICABILITA_ELE",
            columns: CODE_DESCRIPTION,
            rows: rows(
                ElectoralCertifiability::ALL
                    .iter()
                    .map(|c| (c.code(), c.description())),
            ),
        },
        Table {
            id: 903,
            name: "DEC_TIPO_REVISIONE_ELE",
            columns: CODE_DESCRIPTION,
            rows: rows(TIPI_REVISIONE),
        },
        Table {
            id: 904,
            name: "DEC_TIPO_MUTAZIONE_ELE",
            columns: CODE_DESCRIPTION,
            rows: rows(
                TipoMutazione::ALL
                    .iter()
                    .map(|t| (t.code(), t.description())),
            ),
        },
        Table {
            id: 905,
            name: "DEC_FIRMA_ELE",
            columns: CODE_DESCRIPTION,
            rows: rows(Signatory::ALL.iter().map(|s| (s.code(), s.description()))),
        },
    ]
}

/// The code table numbered `id`.
pub fn get(id: u16) -> Option<Table> {
    all().into_iter().find(|t| t.id == id)
}

impl Table {
    /// The table as CSV (UTF-8, comma-separated, a header row; a field
    /// with a comma, quote or line break quoted).
    pub fn csv(&self) -> String {
        let field = |v: &str| {
            if v.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                v.to_string()
            }
        };
        let mut out = self.columns.join(",");
        out.push('\n');
        for row in &self.rows {
            let line: Vec<String> = row.iter().map(|v| field(v)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_three_digits() {
        let ids: Vec<u16> = all().iter().map(|t| t.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        assert!(ids.iter().chain([&CONSTITUENCIES]).all(|i| *i < 1000));
        assert!(get(CONSTITUENCIES).is_none(), "read from the store");
    }

    /// The tables are the rules' definitions: every code a table lists is
    /// one the rules accept, and the other way round.
    #[test]
    fn tables_list_exactly_the_codes_the_rules_accept() {
        let codes = |id: u16| -> Vec<String> {
            get(id).unwrap().rows.iter().map(|r| r[0].clone()).collect()
        };
        let motives = codes(901);
        assert_eq!(motives.len(), 9);
        for code in 0..=20u8 {
            assert_eq!(
                CancellationMotive::from_code(code).is_some(),
                motives.contains(&code.to_string()),
                "{code}"
            );
        }
        for code in 0..=9u8 {
            assert_eq!(
                ElectoralCertifiability::from_code(code).is_some(),
                codes(902).contains(&code.to_string()),
                "{code}"
            );
        }
        for code in ["00", "01", "02", "03", "04", "05", "06", "1"] {
            assert_eq!(
                TipoMutazione::from_code(code).is_some(),
                codes(904).contains(&code.to_string()),
                "{code}"
            );
        }
        assert!(codes(13).contains(&"21".into()) && codes(13).contains(&"22".into()));
        assert_eq!(codes(13).len(), 22);
        assert!(codes(39).contains(&crate::certificate::ESENZIONE_USO_ELETTORALE.to_string()));
        assert_eq!(codes(14), ["IT", "DE", "FR", "SL"]);
    }

    /// tipoRevisione is checked by the schema: its pattern and the table
    /// hold the same values.
    #[test]
    fn revision_types_are_the_schemas() {
        let xsd = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../xsd/tipoDato.xsd"
        ))
        .unwrap();
        let at = xsd.find("name=\"tipoRevisione\"").unwrap();
        let pattern = &xsd[at..];
        let start = pattern.find("<xs:pattern value=\"").unwrap() + "<xs:pattern value=\"".len();
        let end = start + pattern[start..].find('"').unwrap();
        let values: Vec<&str> = pattern[start..end].split('|').collect();
        let table: Vec<&str> = TIPI_REVISIONE.iter().map(|(c, _)| *c).collect();
        assert_eq!(values, table);
    }

    #[test]
    fn csv_has_a_header_and_quotes_what_needs_it() {
        let t = Table {
            id: 1,
            name: "X",
            columns: CODE_DESCRIPTION,
            rows: vec![vec!["1".into(), "A, B \"C\"".into()]],
        };
        assert_eq!(t.csv(), "CODICE,DESCRIZIONE\n1,\"A, B \"\"C\"\"\"\n");
        let motives = get(901).unwrap().csv();
        assert!(
            motives.starts_with(
                "CODICE,DESCRIZIONE,LISTA\n1,TRASFERIMENTO RESIDENZA,LISTA GENERALE\n"
            ),
            "{motives}"
        );
    }
}
