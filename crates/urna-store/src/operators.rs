//! The operators registered for each comune, with their profiles
//! (`urna_domain::operator`).

use diesel::prelude::*;
use urna_domain::operator::Profiles;

use crate::schema::operators;
use crate::{AnyConnection, StoreError};

/// One registered operator.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = operators)]
pub struct OperatorRow {
    pub comune_istat: String,
    pub codice_fiscale: String,
    /// `elettorale`, `anagrafe`, comma-separated.
    pub profiles: String,
}

impl OperatorRow {
    pub fn profiles(&self) -> Result<Profiles, StoreError> {
        Profiles::parse(&self.profiles).map_err(StoreError::Data)
    }
}

/// Registers an operator, or replaces its profiles.
pub fn put(conn: &mut AnyConnection, row: &OperatorRow) -> Result<(), StoreError> {
    crate::per_backend!(conn, |c| diesel::insert_into(operators::table)
        .values(row)
        .on_conflict((operators::comune_istat, operators::codice_fiscale))
        .do_update()
        .set(operators::profiles.eq(&row.profiles))
        .execute(c))?;
    Ok(())
}

/// The profiles of `codice_fiscale` for `istat`, if registered.
pub fn profiles(
    conn: &mut AnyConnection,
    istat: &str,
    codice_fiscale: &str,
) -> Result<Option<Profiles>, StoreError> {
    let row: Option<OperatorRow> = operators::table
        .find((istat, codice_fiscale))
        .select(OperatorRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| r.profiles()).transpose()
}

/// Every operator, or those of one comune.
pub fn list(conn: &mut AnyConnection, istat: Option<&str>) -> Result<Vec<OperatorRow>, StoreError> {
    let mut q = operators::table
        .select(OperatorRow::as_select())
        .order((operators::comune_istat, operators::codice_fiscale))
        .into_boxed();
    if let Some(i) = istat {
        q = q.filter(operators::comune_istat.eq(i.to_string()));
    }
    Ok(q.load(conn)?)
}

/// Removes an operator; true when there was one.
pub fn remove(
    conn: &mut AnyConnection,
    istat: &str,
    codice_fiscale: &str,
) -> Result<bool, StoreError> {
    Ok(diesel::delete(operators::table.find((istat, codice_fiscale))).execute(conn)? > 0)
}
