//! 4001 extraction jobs (migration `extraction_jobs`): created by the
//! request, claimed and run by a background worker of any node, followed
//! by 4005 and downloaded by 7002.

use diesel::prelude::*;

use crate::schema::extraction_jobs;
use crate::{AnyConnection, StoreError};

/// `statoRichiesta` values.
pub const INSERTED: i32 = 0;
pub const PROCESSING: i32 = 1;
pub const DONE: i32 = 2;
pub const REFUSED: i32 = 3;
pub const FAILED: i32 = 99;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = extraction_jobs)]
pub struct JobRow {
    /// The 4001's idOperazioneANPR.
    pub id: i64,
    pub comune_istat: String,
    /// The accepted selection, JSON.
    pub criteria: String,
    pub state: i32,
    /// Subjects read so far, and how many the comune has (known once
    /// counted).
    pub done: i64,
    pub total: Option<i64>,
    pub created_at: i64,
    pub claimed_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The result's path, once done.
    pub file: Option<String>,
    pub error: Option<String>,
    /// The result's size and SHA-256 (hex), recorded with it.
    pub file_bytes: Option<i64>,
    pub file_sha256: Option<String>,
}

/// A finished job's result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultFile<'a> {
    pub path: &'a str,
    pub bytes: i64,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: &'a str,
}

pub fn create(
    conn: &mut AnyConnection,
    id: i64,
    istat: &str,
    criteria: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    diesel::insert_into(extraction_jobs::table)
        .values(&JobRow {
            id,
            comune_istat: istat.to_string(),
            criteria: criteria.to_string(),
            state: INSERTED,
            done: 0,
            total: None,
            created_at: now_ms,
            claimed_at: None,
            finished_at: None,
            file: None,
            error: None,
            file_bytes: None,
            file_sha256: None,
        })
        .execute(conn)?;
    Ok(())
}

pub fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<JobRow>, StoreError> {
    Ok(extraction_jobs::table
        .find(id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}

/// A done job whose file has SHA-256 `sha256` (hex): what a remembered
/// 7002 reply names.
pub fn by_file_sha256(
    conn: &mut AnyConnection,
    sha256: &str,
) -> Result<Option<JobRow>, StoreError> {
    Ok(extraction_jobs::table
        .filter(extraction_jobs::file_sha256.eq(sha256))
        .filter(extraction_jobs::state.eq(DONE))
        .select(JobRow::as_select())
        .first(conn)
        .optional()?)
}

/// Claims the oldest job waiting, or processing under a claim older than
/// `lease_ms` (its node stopped): the claim is a conditional update, so of
/// two nodes claiming the same job one gets it.
pub fn claim(
    conn: &mut AnyConnection,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<JobRow>, StoreError> {
    let stale = now_ms - lease_ms;
    let claimable = || {
        extraction_jobs::state
            .eq(INSERTED)
            .or(extraction_jobs::state
                .eq(PROCESSING)
                .and(extraction_jobs::claimed_at.lt(stale)))
    };
    let Some(id) = extraction_jobs::table
        .filter(claimable())
        .order(extraction_jobs::id)
        .select(extraction_jobs::id)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let claimed = diesel::update(extraction_jobs::table.find(id).filter(claimable()))
        .set((
            extraction_jobs::state.eq(PROCESSING),
            extraction_jobs::claimed_at.eq(now_ms),
            extraction_jobs::done.eq(0),
        ))
        .execute(conn)?;
    if claimed == 0 {
        return Ok(None);
    }
    get(conn, id)
}

/// Records progress, renewing the claim.
pub fn progress(
    conn: &mut AnyConnection,
    id: i64,
    done: i64,
    total: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    diesel::update(extraction_jobs::table.find(id))
        .set((
            extraction_jobs::done.eq(done),
            extraction_jobs::total.eq(total),
            extraction_jobs::claimed_at.eq(now_ms),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends a job: `DONE` with its file, or `FAILED` with why.
pub fn finish(
    conn: &mut AnyConnection,
    id: i64,
    end: Result<ResultFile<'_>, &str>,
    now_ms: i64,
) -> Result<(), StoreError> {
    let (state, file, error) = match end {
        Ok(f) => (DONE, Some(f), None),
        Err(why) => (FAILED, None, Some(why)),
    };
    diesel::update(extraction_jobs::table.find(id))
        .set((
            extraction_jobs::state.eq(state),
            extraction_jobs::file.eq(file.map(|f| f.path)),
            extraction_jobs::file_bytes.eq(file.map(|f| f.bytes)),
            extraction_jobs::file_sha256.eq(file.map(|f| f.sha256)),
            extraction_jobs::error.eq(error),
            extraction_jobs::finished_at.eq(now_ms),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes the jobs that ended (done or failed) before `before_ms`; their
/// ids and files, for the caller to remove and audit.
pub fn sweep(
    conn: &mut AnyConnection,
    before_ms: i64,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    let ended = || {
        extraction_jobs::table
            .filter(extraction_jobs::state.eq_any([DONE, FAILED]))
            .filter(extraction_jobs::finished_at.lt(before_ms))
    };
    let gone: Vec<(i64, Option<String>)> = ended()
        .select((extraction_jobs::id, extraction_jobs::file))
        .load(conn)?;
    let ids: Vec<i64> = gone.iter().map(|(id, _)| *id).collect();
    diesel::delete(extraction_jobs::table.filter(extraction_jobs::id.eq_any(ids))).execute(conn)?;
    Ok(gone)
}
