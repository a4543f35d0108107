//! The registry of subjects: who a 5010 `idSoggetto` is.
//!
//! Import format (`urna subjects import FILE`): UTF-8 CSV with the header
//! `id_soggetto,codice_fiscale,cognome,nome,sesso,data_nascita,luogo_nascita,cittadinanza,comune_residenza,aire,certificabile_anagrafe,cancellato_anpr`
//! * `id_soggetto`: the numeric ANPR subject id (1..16 digits);
//! * `codice_fiscale`: checked (structure, omocodia, check character) and
//!   required to agree with `sesso` (M/F) and `data_nascita` (YYYY-MM-DD);
//! * `luogo_nascita`: cadastral code of the comune (or foreign state code);
//! * `cittadinanza`: `IT`, `UE` (another EU state) or `EXTRA`;
//! * `comune_residenza`: ISTAT code, empty for AIRE residents abroad;
//! * `aire`: `N` (or empty), `S` (registered in AIRE), or `S1`..`S4`
//!   (registered in AIRE, resident in a state of that partition of the
//!   foreign constituency: 1 Europa, 2 America meridionale, 3 America
//!   settentrionale e centrale, 4 Africa, Asia, Oceania e Antartide); stored
//!   as 0, 1, or 2..5.
//! * `cancellato_anpr`: `S`/`N`; `certificabile_anagrafe`: 0..4 or empty.

use std::io::Read;

use diesel::prelude::*;
use urna_domain::codice_fiscale::CodiceFiscale;
use urna_domain::elector::{Aire, Citizenship, Ripartizione, SubjectFacts};

use crate::schema::subjects;
use crate::{AnyConnection, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = subjects, treat_none_as_null = true)]
pub struct SubjectRow {
    pub id_soggetto: String,
    pub codice_fiscale: String,
    pub cognome: String,
    pub nome: String,
    pub sesso: String,
    pub data_nascita: String,
    pub luogo_nascita: String,
    pub cittadinanza: String,
    pub comune_residenza: Option<String>,
    pub aire: i32,
    pub certificabile_anagrafe: Option<i32>,
    pub cancellato_anpr: i32,
}

impl SubjectRow {
    pub fn facts(&self) -> SubjectFacts {
        SubjectFacts {
            citizenship: match self.cittadinanza.as_str() {
                "IT" => Citizenship::Italian,
                "UE" => Citizenship::OtherEu,
                _ => Citizenship::NonEu,
            },
            cancelled_from_anpr: self.cancellato_anpr != 0,
            residence: self.comune_residenza.clone(),
            aire: match self.aire {
                0 => Aire::No,
                n => Aire::Yes(u8::try_from(n - 1).ok().and_then(Ripartizione::from_number)),
            },
        }
    }
}

pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<SubjectRow>, StoreError> {
    Ok(subjects::table
        .find(id)
        .select(SubjectRow::as_select())
        .first(conn)
        .optional()?)
}

/// Many subjects at once (absent ids are not in the map).
/// The subjects with this codice fiscale (normally one).
pub fn by_codice_fiscale(
    conn: &mut AnyConnection,
    codice_fiscale: &str,
) -> Result<Vec<SubjectRow>, StoreError> {
    Ok(subjects::table
        .filter(subjects::codice_fiscale.eq(codice_fiscale.to_ascii_uppercase()))
        .select(SubjectRow::as_select())
        .limit(16)
        .load(conn)?)
}

/// The subjects with this surname and name (as registered, in capitals)
/// born on `data_nascita` (`YYYY-MM-DD`).
pub fn by_names(
    conn: &mut AnyConnection,
    cognome: &str,
    nome: &str,
    data_nascita: &str,
) -> Result<Vec<SubjectRow>, StoreError> {
    Ok(subjects::table
        .filter(subjects::cognome.eq(cognome.trim().to_uppercase()))
        .filter(subjects::nome.eq(nome.trim().to_uppercase()))
        .filter(subjects::data_nascita.eq(data_nascita))
        .select(SubjectRow::as_select())
        .limit(16)
        .load(conn)?)
}

pub fn get_many(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, SubjectRow>, StoreError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(5000) {
        let rows: Vec<SubjectRow> = subjects::table
            .filter(subjects::id_soggetto.eq_any(chunk))
            .select(SubjectRow::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|r| (r.id_soggetto.clone(), r)));
    }
    Ok(out)
}

/// Inserts or replaces subjects.
pub fn upsert(conn: &mut AnyConnection, rows: &[SubjectRow]) -> Result<(), StoreError> {
    match conn {
        AnyConnection::Postgresql(c) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(subjects::table)
                    .values(chunk)
                    .on_conflict(subjects::id_soggetto)
                    .do_update()
                    .set((
                        subjects::codice_fiscale
                            .eq(diesel::upsert::excluded(subjects::codice_fiscale)),
                        subjects::cognome.eq(diesel::upsert::excluded(subjects::cognome)),
                        subjects::nome.eq(diesel::upsert::excluded(subjects::nome)),
                        subjects::sesso.eq(diesel::upsert::excluded(subjects::sesso)),
                        subjects::data_nascita.eq(diesel::upsert::excluded(subjects::data_nascita)),
                        subjects::luogo_nascita
                            .eq(diesel::upsert::excluded(subjects::luogo_nascita)),
                        subjects::cittadinanza.eq(diesel::upsert::excluded(subjects::cittadinanza)),
                        subjects::comune_residenza
                            .eq(diesel::upsert::excluded(subjects::comune_residenza)),
                        subjects::aire.eq(diesel::upsert::excluded(subjects::aire)),
                        subjects::certificabile_anagrafe
                            .eq(diesel::upsert::excluded(subjects::certificabile_anagrafe)),
                        subjects::cancellato_anpr
                            .eq(diesel::upsert::excluded(subjects::cancellato_anpr)),
                    ))
                    .execute(c)?;
            }
        }
        AnyConnection::Sqlite(c) => {
            for r in rows {
                diesel::insert_into(subjects::table)
                    .values(r)
                    .on_conflict(subjects::id_soggetto)
                    .do_update()
                    .set(r)
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Outcome of an import: rows stored, rows refused (line, reason).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    pub rejected: Vec<(u64, String)>,
}

const HEADER: [&str; 12] = [
    "id_soggetto",
    "codice_fiscale",
    "cognome",
    "nome",
    "sesso",
    "data_nascita",
    "luogo_nascita",
    "cittadinanza",
    "comune_residenza",
    "aire",
    "certificabile_anagrafe",
    "cancellato_anpr",
];

/// Validates one record; the reason when it is refused.
pub fn parse_record(r: &csv::StringRecord) -> Result<SubjectRow, String> {
    if r.len() != HEADER.len() {
        return Err(format!("{} fields, expected {}", r.len(), HEADER.len()));
    }
    let f = |i: usize| r[i].trim();
    let id = f(0);
    if id.is_empty() || id.len() > 16 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("id_soggetto {id:?} must be 1..16 digits"));
    }
    let cf: CodiceFiscale = f(1).parse().map_err(|e| format!("{e}"))?;
    let female = match f(4) {
        "M" => false,
        "F" => true,
        s => return Err(format!("sesso {s:?} must be M or F")),
    };
    let birth = urna_domain::header::parse_xs_date(f(5))
        .filter(|_| f(5).len() == 10)
        .ok_or_else(|| format!("data_nascita {:?} is not a date YYYY-MM-DD", f(5)))?;
    if !cf.agrees_with(birth, female) {
        return Err(format!(
            "codice fiscale {cf} does not encode sesso {} and data_nascita {}",
            f(4),
            f(5)
        ));
    }
    if !matches!(f(7), "IT" | "UE" | "EXTRA") {
        return Err(format!("cittadinanza {:?} must be IT, UE or EXTRA", f(7)));
    }
    let residenza = (!f(8).is_empty()).then(|| f(8).to_string());
    if let Some(r) = &residenza {
        if r.len() != 6 || !r.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "comune_residenza {r:?} must be an ISTAT code (6 digits) or empty"
            ));
        }
    }
    let sn = |i: usize, name: &str| match f(i) {
        "S" => Ok(1),
        "N" | "" => Ok(0),
        s => Err(format!("{name} {s:?} must be S or N")),
    };
    let cert = match f(10) {
        "" => None,
        s => Some(
            s.parse::<i32>()
                .ok()
                .filter(|v| (0..=4).contains(v))
                .ok_or_else(|| format!("certificabile_anagrafe {s:?} must be 0..4"))?,
        ),
    };
    Ok(SubjectRow {
        id_soggetto: id.into(),
        codice_fiscale: cf.to_string(),
        cognome: f(2).into(),
        nome: f(3).into(),
        sesso: f(4).into(),
        data_nascita: f(5).into(),
        luogo_nascita: f(6).into(),
        cittadinanza: f(7).into(),
        comune_residenza: residenza,
        aire: match f(9) {
            "N" | "" => 0,
            "S" => 1,
            s => match s.strip_prefix('S').and_then(|n| n.parse::<u8>().ok()) {
                Some(n @ 1..=4) => 1 + i32::from(n),
                _ => return Err(format!("aire {s:?} must be S, S1..S4 (partition) or N")),
            },
        },
        certificabile_anagrafe: cert,
        cancellato_anpr: sn(11, "cancellato_anpr")?,
    })
}

/// Streams a subjects file into the registry: rows are checked and written in
/// chunks (one transaction per chunk of 5,000, so memory does not grow with
/// the file); bad rows are reported and skipped.
pub fn import_csv(store: &Store, input: impl Read) -> Result<ImportReport, StoreError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = csv
        .headers()
        .map_err(|e| StoreError::Data(format!("subjects file: {e}")))?
        .clone();
    if headers.iter().map(str::trim).collect::<Vec<_>>() != HEADER {
        return Err(StoreError::Data(format!(
            "subjects file: the header must be {}",
            HEADER.join(",")
        )));
    }
    let mut report = ImportReport::default();
    let mut batch = Vec::with_capacity(5000);
    let mut record = csv::StringRecord::new();
    loop {
        let more = match csv.read_record(&mut record) {
            Ok(m) => m,
            Err(e) => {
                report
                    .rejected
                    .push((e.position().map(|p| p.line()).unwrap_or(0), e.to_string()));
                continue;
            }
        };
        if more {
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            match parse_record(&record) {
                Ok(r) => batch.push(r),
                Err(why) => report.rejected.push((line, why)),
            }
        }
        if batch.len() >= 5000 || (!more && !batch.is_empty()) {
            store.write(|c| upsert(c, &batch))?;
            report.imported += batch.len();
            batch.clear();
        }
        if !more {
            break;
        }
    }
    Ok(report)
}
