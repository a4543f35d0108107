//! Constituency tables (the Ministry "standard fields", R-S2;
//! docs/anpr-interface.md §Sections, "Constituency tables").
//!
//! File format (`urna tables import-constituencies FILE`): CSV with header
//! `tipo,codice_istat,valore`; `tipo` is one of `camera`, `senato`,
//! `regionali`, `ue`; `codice_istat` is a comune's 6-digit code or `*` for every
//! comune; `valore` is the exact string (matched case-sensitively).

use std::collections::HashSet;
use std::io::Read;

use diesel::prelude::*;
use urna_domain::section::{ConstituencyKind, ConstituencyTable};

use crate::schema::constituencies;
use crate::{AnyConnection, Store, StoreError};

/// One valid value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Queryable, Insertable)]
#[diesel(table_name = constituencies)]
pub struct Entry {
    pub kind: String,
    pub comune_istat: String,
    pub value: String,
}

/// The values valid for one comune.
#[derive(Debug, Clone, Default)]
pub struct ComuneConstituencies(HashSet<(ConstituencyKind, String)>);

impl ConstituencyTable for ComuneConstituencies {
    fn contains(&self, kind: ConstituencyKind, value: &str) -> bool {
        self.0.contains(&(kind, value.to_string()))
    }
}

/// Loads the values that apply to `istat` (its own and the `*` ones).
pub fn for_comune(
    conn: &mut AnyConnection,
    istat: &str,
) -> Result<ComuneConstituencies, StoreError> {
    let rows: Vec<(String, String)> = constituencies::table
        .filter(
            constituencies::comune_istat
                .eq(istat)
                .or(constituencies::comune_istat.eq("*")),
        )
        .select((constituencies::kind, constituencies::value))
        .load(conn)?;
    Ok(ComuneConstituencies(
        rows.into_iter()
            .filter_map(|(k, v)| ConstituencyKind::from_key(&k).map(|k| (k, v)))
            .collect(),
    ))
}

/// The rows that apply to `istat` (its own and the `*` ones), ordered by
/// kind, comune and value: the table 7001 hands out for the comune.
pub fn rows_for_comune(conn: &mut AnyConnection, istat: &str) -> Result<Vec<Entry>, StoreError> {
    Ok(constituencies::table
        .filter(
            constituencies::comune_istat
                .eq(istat)
                .or(constituencies::comune_istat.eq("*")),
        )
        .order((
            constituencies::kind,
            constituencies::comune_istat,
            constituencies::value,
        ))
        .select((
            constituencies::kind,
            constituencies::comune_istat,
            constituencies::value,
        ))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(kind, comune_istat, value)| Entry {
            kind,
            comune_istat,
            value,
        })
        .collect())
}

/// Inserts entries, ignoring those already present.
pub fn insert(conn: &mut AnyConnection, entries: &[Entry]) -> Result<usize, StoreError> {
    let mut n = 0;
    match conn {
        AnyConnection::Postgresql(c) => {
            for chunk in entries.chunks(500) {
                n += diesel::insert_into(constituencies::table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(c)?;
            }
        }
        AnyConnection::Sqlite(c) => {
            for e in entries {
                n += diesel::insert_into(constituencies::table)
                    .values(e)
                    .on_conflict_do_nothing()
                    .execute(c)?;
            }
        }
    }
    Ok(n)
}

/// Reads and validates a constituency file; returns the entries or the first
/// problem with its line number.
pub fn parse_file(input: impl Read) -> Result<Vec<Entry>, StoreError> {
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::None)
        .from_reader(input);
    let headers = csv
        .headers()
        .map_err(|e| StoreError::Data(format!("constituency file: {e}")))?
        .clone();
    if headers.iter().collect::<Vec<_>>() != ["tipo", "codice_istat", "valore"] {
        return Err(StoreError::Data(
            "constituency file: the header must be tipo,codice_istat,valore".into(),
        ));
    }
    let mut out = Vec::new();
    for (i, rec) in csv.records().enumerate() {
        let line = i + 2;
        let rec =
            rec.map_err(|e| StoreError::Data(format!("constituency file line {line}: {e}")))?;
        let (kind, istat, value) = (&rec[0], &rec[1], &rec[2]);
        if ConstituencyKind::from_key(kind).is_none() {
            return Err(StoreError::Data(format!(
                "constituency file line {line}: tipo {kind:?} is not camera, senato, regionali or ue"
            )));
        }
        if istat != "*" && (istat.len() != 6 || !istat.bytes().all(|b| b.is_ascii_digit())) {
            return Err(StoreError::Data(format!(
                "constituency file line {line}: codice_istat {istat:?} must be 6 digits or *"
            )));
        }
        if value.is_empty() || value.chars().count() > 200 {
            return Err(StoreError::Data(format!(
                "constituency file line {line}: valore must be 1..200 characters"
            )));
        }
        out.push(Entry {
            kind: kind.into(),
            comune_istat: istat.into(),
            value: value.into(),
        });
    }
    Ok(out)
}

/// Imports a constituency file in one transaction.
pub fn import_file(store: &Store, input: impl Read) -> Result<usize, StoreError> {
    let entries = parse_file(input)?;
    store.write(|c| insert(c, &entries))
}
