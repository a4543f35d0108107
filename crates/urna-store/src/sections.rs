//! Polling sections, keyed by comune + exact `sezioneelettoralenum` string.

use diesel::prelude::*;

use crate::cached::Cached;
use crate::schema::sections;
use crate::{per_backend, AnyConnection, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sections)]
pub struct SectionRow {
    pub comune_istat: String,
    pub numero: String,
    pub denominazione: String,
    /// The section's content as XML (the children of `sezione`, unqualified),
    /// written back verbatim by 3008.
    pub payload: String,
    pub updated_at: i64,
    pub last_operation: i64,
}

/// Creates or replaces a section (one statement on both backends).
pub fn upsert(conn: &mut AnyConnection, row: &SectionRow) -> Result<(), StoreError> {
    // Written out, so that it is prepared once per connection (see `cached`).
    let q = Cached::new(
        "INSERT INTO sections (comune_istat, numero, denominazione, payload, updated_at, \
         last_operation) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (comune_istat, numero) \
         DO UPDATE SET denominazione = excluded.denominazione, payload = excluded.payload, \
         updated_at = excluded.updated_at, last_operation = excluded.last_operation",
        vec![
            (&row.comune_istat).into(),
            (&row.numero).into(),
            (&row.denominazione).into(),
            (&row.payload).into(),
            row.updated_at.into(),
            row.last_operation.into(),
        ],
    );
    per_backend!(conn, |c| q.execute(c))?;
    Ok(())
}

pub fn get(
    conn: &mut AnyConnection,
    istat: &str,
    numero: &str,
) -> Result<Option<SectionRow>, StoreError> {
    Ok(sections::table
        .find((istat, numero))
        .select(SectionRow::as_select())
        .first(conn)
        .optional()?)
}

/// All sections of a comune, ordered by number (numeric numbers numerically).
pub fn list(conn: &mut AnyConnection, istat: &str) -> Result<Vec<SectionRow>, StoreError> {
    let mut rows: Vec<SectionRow> = sections::table
        .filter(sections::comune_istat.eq(istat))
        .select(SectionRow::as_select())
        .load(conn)?;
    rows.sort_by(|a, b| {
        (a.numero.parse::<u64>().ok(), &a.numero).cmp(&(b.numero.parse::<u64>().ok(), &b.numero))
    });
    Ok(rows)
}

pub fn delete(conn: &mut AnyConnection, istat: &str, numero: &str) -> Result<usize, StoreError> {
    Ok(diesel::delete(sections::table.find((istat, numero))).execute(conn)?)
}

pub fn count(conn: &mut AnyConnection, istat: &str) -> Result<i64, StoreError> {
    Ok(sections::table
        .filter(sections::comune_istat.eq(istat))
        .count()
        .get_result(conn)?)
}

/// Places an elector in a section's general list (tests and demo data).
pub fn place_elector(
    conn: &mut AnyConnection,
    id_soggetto: &str,
    istat: &str,
    numero: &str,
) -> Result<(), StoreError> {
    let mut state = crate::electors::get(conn, id_soggetto)?;
    state.elettore = Some(true);
    state.general = Some((
        urna_domain::elector::ListRef {
            comune: istat.into(),
            sezione: numero.into(),
        },
        time::Date::from_calendar_date(1970, time::Month::January, 1).expect("valid date"),
    ));
    crate::electors::put(
        conn,
        &crate::electors::ElectorRow::from_state(id_soggetto, &state, 0, crate::now_millis()),
    )
}
