//! Issued electoral certificates (6001): the sealed PDF and what finds it,
//! kept until `expires_at` and then swept.

use diesel::prelude::*;

use crate::schema::certificates;
use crate::{AnyConnection, StoreError};

/// One issued certificate.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = certificates)]
pub struct CertificateRow {
    /// 32 hex digits (128 random bits): the contrassegno's URL names it.
    pub id: String,
    /// The short code printed beside the QR, for typing it in.
    pub code: String,
    /// The issuing comune.
    pub comune_istat: String,
    /// The holder.
    pub id_soggetto: String,
    /// 21 or 22.
    pub tipo: i32,
    /// The idOperazioneANPR of the 6001 that issued it (its protocol number).
    pub operation_id: i64,
    /// Unix ms.
    pub issued_at: i64,
    /// Unix ms; the sweeper deletes it afterwards.
    pub expires_at: i64,
    /// The Tabella 14 codes it is written in, e.g. `IT` or `IT,DE`.
    pub languages: String,
    pub pdf: Vec<u8>,
}

pub fn insert(conn: &mut AnyConnection, row: &CertificateRow) -> Result<(), StoreError> {
    crate::per_backend!(conn, |c| diesel::insert_into(certificates::table)
        .values(row)
        .execute(c))?;
    Ok(())
}

/// The certificate with this id, if it is still kept.
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<CertificateRow>, StoreError> {
    Ok(certificates::table
        .find(id)
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()?)
}

/// The certificate with this short code, if it is still kept.
pub fn by_code(conn: &mut AnyConnection, code: &str) -> Result<Option<CertificateRow>, StoreError> {
    Ok(certificates::table
        .filter(certificates::code.eq(code))
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()?)
}

/// The certificate a 6001 issued (for its idempotent retry).
pub fn by_operation(
    conn: &mut AnyConnection,
    operation_id: i64,
) -> Result<Option<CertificateRow>, StoreError> {
    Ok(certificates::table
        .filter(certificates::operation_id.eq(operation_id))
        .select(CertificateRow::as_select())
        .first(conn)
        .optional()?)
}

/// The holder's certificates still kept, newest first.
pub fn of_holder(
    conn: &mut AnyConnection,
    id_soggetto: &str,
) -> Result<Vec<CertificateRow>, StoreError> {
    Ok(certificates::table
        .filter(certificates::id_soggetto.eq(id_soggetto))
        .order(certificates::issued_at.desc())
        .select(CertificateRow::as_select())
        .load(conn)?)
}

/// Deletes the certificates expired at `now_ms`; their ids and holders, for
/// the audit log.
pub fn sweep(conn: &mut AnyConnection, now_ms: i64) -> Result<Vec<(String, String)>, StoreError> {
    let gone: Vec<(String, String)> = certificates::table
        .filter(certificates::expires_at.le(now_ms))
        .select((certificates::id, certificates::id_soggetto))
        .load(conn)?;
    let ids: Vec<&String> = gone.iter().map(|(id, _)| id).collect();
    diesel::delete(certificates::table.filter(certificates::id.eq_any(ids))).execute(conn)?;
    Ok(gone)
}
