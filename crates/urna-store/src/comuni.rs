//! Municipalities: lookup of active comuni and import of ANPR's archive
//! (`ANPR_archivio_comuni.csv`: UTF-8 with BOM, comma-separated, quoted).

use std::io::Read;

use diesel::prelude::*;

use crate::schema::comuni;
use diesel::upsert::excluded;

use crate::{AnyConnection, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = comuni)]
pub struct ComuneRow {
    pub id: i64,
    pub istat: String,
    pub cod_catastale: String,
    pub nome: String,
    pub altro_nome: Option<String>,
    pub sigla: String,
    pub valid_from: String,
    pub valid_to: String,
    pub stato: String,
}

/// The version of comune `istat` that is active on `today` (`YYYY-MM-DD`).
pub fn active(
    conn: &mut AnyConnection,
    istat: &str,
    today: &str,
) -> Result<Option<ComuneRow>, StoreError> {
    Ok(comuni::table
        .filter(comuni::istat.eq(istat))
        .filter(comuni::stato.eq("A"))
        .filter(comuni::valid_from.le(today))
        .filter(comuni::valid_to.ge(today))
        .order(comuni::valid_from.desc())
        .select(ComuneRow::as_select())
        .first(conn)
        .optional()?)
}

/// The version of comune `istat` active on `today`, else its latest one (a
/// comune merged or ceased since): what names it in a reply about data
/// recorded under it.
pub fn last_known(
    conn: &mut AnyConnection,
    istat: &str,
    today: &str,
) -> Result<Option<ComuneRow>, StoreError> {
    if let Some(c) = active(conn, istat, today)? {
        return Ok(Some(c));
    }
    Ok(comuni::table
        .filter(comuni::istat.eq(istat))
        .order((comuni::valid_to.desc(), comuni::valid_from.desc()))
        .select(ComuneRow::as_select())
        .first(conn)
        .optional()?)
}

/// Inserts or replaces rows (by archive id). PostgreSQL gets multi-row
/// statements; SQLite (no `DEFAULT` in multi-row inserts) one statement per row,
/// which inside the caller's transaction is as fast.
pub fn upsert(conn: &mut AnyConnection, rows: &[ComuneRow]) -> Result<(), StoreError> {
    macro_rules! stmt {
        ($values:expr) => {
            diesel::insert_into(comuni::table)
                .values($values)
                .on_conflict(comuni::id)
                .do_update()
                .set((
                    comuni::istat.eq(excluded(comuni::istat)),
                    comuni::cod_catastale.eq(excluded(comuni::cod_catastale)),
                    comuni::nome.eq(excluded(comuni::nome)),
                    comuni::altro_nome.eq(excluded(comuni::altro_nome)),
                    comuni::sigla.eq(excluded(comuni::sigla)),
                    comuni::valid_from.eq(excluded(comuni::valid_from)),
                    comuni::valid_to.eq(excluded(comuni::valid_to)),
                    comuni::stato.eq(excluded(comuni::stato)),
                ))
        };
    }
    match conn {
        AnyConnection::Postgresql(c) => {
            for chunk in rows.chunks(500) {
                stmt!(chunk).execute(c)?;
            }
        }
        AnyConnection::Sqlite(c) => {
            for row in rows {
                stmt!(row).execute(c)?;
            }
        }
    }
    Ok(())
}

/// Outcome of an archive import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: usize,
    pub active: usize,
    /// Rows refused, with their 1-based line and the reason.
    pub rejected: Vec<(u64, String)>,
}

#[derive(Debug, serde::Deserialize)]
struct ArchiveRecord {
    #[serde(rename = "ID")]
    id: i64,
    #[serde(rename = "DATAISTITUZIONE")]
    valid_from: String,
    #[serde(rename = "DATACESSAZIONE")]
    valid_to: String,
    #[serde(rename = "CODISTAT")]
    istat: String,
    #[serde(rename = "CODCATASTALE")]
    cod_catastale: String,
    #[serde(rename = "DENOMINAZIONE_IT")]
    nome: String,
    #[serde(rename = "ALTRADENOMINAZIONE")]
    altro_nome: String,
    #[serde(rename = "STATO")]
    stato: String,
    #[serde(rename = "SIGLAPROVINCIA")]
    sigla: String,
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Streams ANPR's municipalities archive into the table in one transaction:
/// rows are read and written in chunks, never all held in memory.
pub fn import_archive(store: &Store, input: impl Read) -> Result<ImportReport, StoreError> {
    // Skip a UTF-8 BOM.
    let mut input = std::io::BufReader::new(input);
    let mut bom = [0u8; 3];
    let n = read_up_to(&mut input, &mut bom)?;
    let head: Vec<u8> = if n == 3 && bom == [0xEF, 0xBB, 0xBF] {
        vec![]
    } else {
        bom[..n].to_vec()
    };
    let reader = std::io::Cursor::new(head).chain(input);
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| StoreError::Data(format!("cannot read the archive header: {e}")))?
        .clone();
    store.write(|conn| {
        let mut report = ImportReport::default();
        let mut batch = Vec::with_capacity(500);
        let mut record = csv::StringRecord::new();
        loop {
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    report.rejected.push((line, e.to_string()));
                    continue;
                }
            }
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let r: ArchiveRecord = match record.deserialize(Some(&headers)) {
                Ok(r) => r,
                Err(e) => {
                    report.rejected.push((line, e.to_string()));
                    continue;
                }
            };
            let problem = if r.istat.len() != 6 || !r.istat.bytes().all(|b| b.is_ascii_digit()) {
                Some(format!("CODISTAT {:?} is not 6 digits", r.istat))
            } else if !is_date(&r.valid_from) || !is_date(&r.valid_to) {
                Some("DATAISTITUZIONE/DATACESSAZIONE must be YYYY-MM-DD".to_string())
            } else if !matches!(r.stato.as_str(), "A" | "C" | "D") {
                Some(format!("STATO {:?} is not A, C or D", r.stato))
            } else {
                None
            };
            if let Some(p) = problem {
                report.rejected.push((line, p));
                continue;
            }
            if r.stato == "A" {
                report.active += 1;
            }
            batch.push(ComuneRow {
                id: r.id,
                istat: r.istat,
                cod_catastale: r.cod_catastale,
                nome: r.nome,
                altro_nome: (!r.altro_nome.is_empty()).then_some(r.altro_nome),
                sigla: r.sigla,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
                stato: r.stato,
            });
            if batch.len() == 500 {
                upsert(conn, &batch)?;
                report.imported += batch.len();
                batch.clear();
            }
        }
        upsert(conn, &batch)?;
        report.imported += batch.len();
        Ok(report)
    })
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, StoreError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(StoreError::Data(format!("cannot read the archive: {e}"))),
        }
    }
    Ok(n)
}
