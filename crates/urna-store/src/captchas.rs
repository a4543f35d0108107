//! The public verification page's challenges (`captchas`): issued per page
//! view, answered once before they expire; a solved one is the page's
//! short-lived permission to show that certificate.

use diesel::prelude::*;

use crate::schema::captchas;
use crate::{AnyConnection, StoreError};

/// Open: waiting for its answer.
pub const OPEN: i32 = 0;
/// Answered right: the certificate may be shown until `expires_at`.
pub const SOLVED: i32 = 1;
/// Answered wrong, or expired unanswered.
pub const FAILED: i32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = captchas)]
pub struct CaptchaRow {
    /// 128 random bits, hex: the form's hidden field.
    pub id: String,
    pub certificate_id: String,
    /// The expected answer.
    pub answer: String,
    /// The client's address, to bound its failed attempts.
    pub client: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub state: i32,
}

pub fn insert(conn: &mut AnyConnection, row: &CaptchaRow) -> Result<(), StoreError> {
    crate::per_backend!(conn, |c| diesel::insert_into(captchas::table)
        .values(row)
        .execute(c))?;
    Ok(())
}

/// The challenge `id` of `certificate_id`, whatever its state.
pub fn get(
    conn: &mut AnyConnection,
    id: &str,
    certificate_id: &str,
) -> Result<Option<CaptchaRow>, StoreError> {
    Ok(captchas::table
        .find(id)
        .filter(captchas::certificate_id.eq(certificate_id))
        .select(CaptchaRow::as_select())
        .first(conn)
        .optional()?)
}

/// Moves an open challenge to `state` (and its expiry); false when it was
/// not open any more (answered already: single use).
pub fn settle(
    conn: &mut AnyConnection,
    id: &str,
    state: i32,
    expires_at: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(captchas::table.find(id).filter(captchas::state.eq(OPEN)))
        .set((
            captchas::state.eq(state),
            captchas::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// How many challenges `client` failed since `since_ms`.
pub fn failed_since(
    conn: &mut AnyConnection,
    client: &str,
    since_ms: i64,
) -> Result<i64, StoreError> {
    Ok(captchas::table
        .filter(captchas::client.eq(client))
        .filter(captchas::created_at.ge(since_ms))
        .filter(captchas::state.eq(FAILED))
        .count()
        .get_result(conn)?)
}

/// How many challenges `client` was given since `since_ms`.
pub fn issued_since(
    conn: &mut AnyConnection,
    client: &str,
    since_ms: i64,
) -> Result<i64, StoreError> {
    Ok(captchas::table
        .filter(captchas::client.eq(client))
        .filter(captchas::created_at.ge(since_ms))
        .count()
        .get_result(conn)?)
}

/// Deletes the challenges that expired before `before_ms`.
pub fn sweep(conn: &mut AnyConnection, before_ms: i64) -> Result<usize, StoreError> {
    Ok(diesel::delete(captchas::table.filter(captchas::expires_at.lt(before_ms))).execute(conn)?)
}
