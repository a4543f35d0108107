//! Double registrations ("doppie iscrizioni"): a subject on the general list
//! of one comune (the holder) that another comune's takeover also lists (the
//! claimant). A row is open until the double placement disappears
//! (docs/consultation.md, "Double registrations").

use diesel::prelude::*;

use crate::schema::double_registrations as dr;
use crate::{AnyConnection, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = dr)]
pub struct DoubleRow {
    pub id: i64,
    pub id_soggetto: String,
    pub holder_comune: String,
    pub claimant_comune: String,
    pub detected_at: i64,
    /// `subentro <job id>` or `scan`.
    pub source: String,
    pub closed_at: Option<i64>,
    pub closed_reason: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = dr)]
struct NewDouble<'a> {
    id_soggetto: &'a str,
    holder_comune: &'a str,
    claimant_comune: &'a str,
    detected_at: i64,
    source: &'a str,
}

/// Records the double registration unless the same one is open already;
/// whether a row was added.
pub fn open(
    conn: &mut AnyConnection,
    id_soggetto: &str,
    holder: &str,
    claimant: &str,
    at_ms: i64,
    source: &str,
) -> Result<bool, StoreError> {
    let exists: i64 = dr::table
        .filter(dr::id_soggetto.eq(id_soggetto))
        .filter(dr::holder_comune.eq(holder))
        .filter(dr::claimant_comune.eq(claimant))
        .filter(dr::closed_at.is_null())
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let row = NewDouble {
        id_soggetto,
        holder_comune: holder,
        claimant_comune: claimant,
        detected_at: at_ms,
        source,
    };
    crate::per_backend!(conn, |c| diesel::insert_into(dr::table)
        .values(&row)
        .execute(c))?;
    Ok(true)
}

/// Whether the double registration was ever recorded, open or closed.
pub fn ever(
    conn: &mut AnyConnection,
    id_soggetto: &str,
    holder: &str,
    claimant: &str,
) -> Result<bool, StoreError> {
    let n: i64 = dr::table
        .filter(dr::id_soggetto.eq(id_soggetto))
        .filter(dr::holder_comune.eq(holder))
        .filter(dr::claimant_comune.eq(claimant))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The open double registrations of a subject.
pub fn open_for_subject(
    conn: &mut AnyConnection,
    id_soggetto: &str,
) -> Result<Vec<DoubleRow>, StoreError> {
    Ok(dr::table
        .filter(dr::id_soggetto.eq(id_soggetto))
        .filter(dr::closed_at.is_null())
        .select(DoubleRow::as_select())
        .order(dr::id)
        .load(conn)?)
}

/// Every open double registration.
pub fn all_open(conn: &mut AnyConnection) -> Result<Vec<DoubleRow>, StoreError> {
    Ok(dr::table
        .filter(dr::closed_at.is_null())
        .select(DoubleRow::as_select())
        .order(dr::id)
        .load(conn)?)
}

/// The double registrations a comune is part of, as holder or claimant,
/// open ones first, then the closed ones, newest first.
pub fn for_comune(conn: &mut AnyConnection, istat: &str) -> Result<Vec<DoubleRow>, StoreError> {
    let mut rows: Vec<DoubleRow> = dr::table
        .filter(
            dr::holder_comune
                .eq(istat)
                .or(dr::claimant_comune.eq(istat)),
        )
        .select(DoubleRow::as_select())
        .order(dr::id.desc())
        .load(conn)?;
    rows.sort_by_key(|r| r.closed_at.is_some());
    Ok(rows)
}

/// Closes row `id` with `reason`.
pub fn close(
    conn: &mut AnyConnection,
    id: i64,
    at_ms: i64,
    reason: &str,
) -> Result<(), StoreError> {
    diesel::update(dr::table.find(id).filter(dr::closed_at.is_null()))
        .set((dr::closed_at.eq(at_ms), dr::closed_reason.eq(reason)))
        .execute(conn)?;
    Ok(())
}

/// The N017 pairs of the takeover history: (subject, comune, other comune).
pub fn notified_pairs(
    conn: &mut AnyConnection,
) -> Result<Vec<(String, String, String)>, StoreError> {
    use crate::schema::notifications as n;
    Ok(n::table
        .filter(n::code.eq("N017"))
        .select((n::id_soggetto, n::comune_istat, n::other_comune))
        .distinct()
        .load(conn)?)
}
