//! The operation log (every request, accepted or refused; its id is the
//! idOperazioneANPR) and the idempotency store.

use diesel::prelude::*;

use crate::cached::Cached;
use crate::schema::{idempotency, operations};
use crate::{per_backend, AnyConnection, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = operations)]
pub struct NewOperation<'a> {
    pub comune_istat: &'a str,
    pub id_operazione_comune: &'a str,
    pub operation: &'a str,
    pub station_cn: &'a str,
    pub correlation_id: &'a str,
    pub received_at: i64,
    pub outcome: &'a str,
    pub codes: &'a str,
    pub request_digest: &'a str,
    /// The operator's codice fiscale (SAML NameID), when the frame was verified.
    pub operator: Option<&'a str>,
    /// `wss-saml` or `tls`.
    pub auth_mode: &'a str,
    /// The subject the request is about (5010, 6001, 3002): its
    /// idSchedaSoggettoANPR or codice fiscale as sent.
    pub subject_key: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = operations)]
pub struct OperationRow {
    pub id: i64,
    pub comune_istat: String,
    pub id_operazione_comune: String,
    pub operation: String,
    pub station_cn: String,
    pub correlation_id: String,
    pub received_at: i64,
    pub outcome: String,
    pub codes: String,
    pub request_digest: String,
    pub operator: Option<String>,
    pub auth_mode: String,
    pub subject_key: Option<String>,
}

/// Appends an operation and returns its id (the idOperazioneANPR).
pub fn insert(conn: &mut AnyConnection, op: &NewOperation<'_>) -> Result<i64, StoreError> {
    // Written out, so that it is prepared once per connection (see `cached`).
    let q = Cached::new(
        "INSERT INTO operations (comune_istat, id_operazione_comune, operation, station_cn, \
         correlation_id, received_at, outcome, codes, request_digest, operator, auth_mode, \
         subject_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        vec![
            op.comune_istat.into(),
            op.id_operazione_comune.into(),
            op.operation.into(),
            op.station_cn.into(),
            op.correlation_id.into(),
            op.received_at.into(),
            op.outcome.into(),
            op.codes.into(),
            op.request_digest.into(),
            op.operator.into(),
            op.auth_mode.into(),
            op.subject_key.into(),
        ],
    )
    .returning::<diesel::sql_types::BigInt>();
    Ok(per_backend!(conn, |c| q.get_result(c))?)
}

pub fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<OperationRow>, StoreError> {
    Ok(operations::table
        .find(id)
        .select(OperationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(operations::table.count().get_result(conn)?)
}

/// The stored answer to (comune, idOperazioneComune).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency)]
pub struct Remembered {
    pub comune_istat: String,
    pub id_operazione_comune: String,
    pub operation: String,
    pub request_digest: String,
    pub operation_id: i64,
    pub response: String,
    /// The request's payload (the Body's child) as received, for 3003.
    pub request: Option<String>,
}

pub fn remembered(
    conn: &mut AnyConnection,
    istat: &str,
    id_operazione_comune: &str,
) -> Result<Option<Remembered>, StoreError> {
    Ok(idempotency::table
        .find((istat, id_operazione_comune))
        .select(Remembered::as_select())
        .first(conn)
        .optional()?)
}

/// The stored answers to several idOperazioneComune of one comune, in one
/// query.
pub fn remembered_many(
    conn: &mut AnyConnection,
    istat: &str,
    ids: &[String],
) -> Result<Vec<Remembered>, StoreError> {
    Ok(idempotency::table
        .filter(idempotency::comune_istat.eq(istat))
        .filter(idempotency::id_operazione_comune.eq_any(ids))
        .select(Remembered::as_select())
        .load(conn)?)
}

/// Stores an answer; a concurrent duplicate fails with a unique violation.
pub fn remember(conn: &mut AnyConnection, r: &Remembered) -> Result<(), StoreError> {
    // Written out, so that it is prepared once per connection (see `cached`).
    let q = Cached::new(
        "INSERT INTO idempotency (comune_istat, id_operazione_comune, operation, \
         request_digest, operation_id, response, request) VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            (&r.comune_istat).into(),
            (&r.id_operazione_comune).into(),
            (&r.operation).into(),
            (&r.request_digest).into(),
            r.operation_id.into(),
            (&r.response).into(),
            r.request.as_deref().into(),
        ],
    );
    per_backend!(conn, |c| q.execute(c))?;
    Ok(())
}

/// Which of a comune's operations a 3003 search reads; every field given
/// narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter<'a> {
    pub comune: &'a str,
    pub id: Option<i64>,
    pub id_operazione_comune: Option<&'a str>,
    /// Received at or after (Unix ms).
    pub from_ms: Option<i64>,
    /// Received before (Unix ms).
    pub to_ms: Option<i64>,
    /// Operation codes (none: all).
    pub operations: &'a [String],
    /// `OK`, `KO` or `REPLAY`.
    pub outcome: Option<&'a str>,
    /// Subject keys (none: any); an operation matches one of them.
    pub subject_keys: &'a [String],
}

/// A page of the operations `f` selects, oldest first, and how many it
/// selects in all. Served by the indexes on (comune, received_at) and
/// (comune, subject_key).
pub fn search(
    conn: &mut AnyConnection,
    f: &Filter<'_>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<OperationRow>, i64), StoreError> {
    let query = || {
        let mut q = operations::table
            .filter(operations::comune_istat.eq(f.comune.to_string()))
            .into_boxed();
        if let Some(id) = f.id {
            q = q.filter(operations::id.eq(id));
        }
        if let Some(i) = f.id_operazione_comune {
            q = q.filter(operations::id_operazione_comune.eq(i.to_string()));
        }
        if let Some(t) = f.from_ms {
            q = q.filter(operations::received_at.ge(t));
        }
        if let Some(t) = f.to_ms {
            q = q.filter(operations::received_at.lt(t));
        }
        if !f.operations.is_empty() {
            q = q.filter(operations::operation.eq_any(f.operations.to_vec()));
        }
        if let Some(o) = f.outcome {
            q = q.filter(operations::outcome.eq(o.to_string()));
        }
        if !f.subject_keys.is_empty() {
            q = q.filter(operations::subject_key.eq_any(f.subject_keys.to_vec()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows = query()
        .select(OperationRow::as_select())
        .order(operations::id)
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    Ok((rows, total))
}

/// Forgets the remembered requests and replies (idempotency, 3003, 4005)
/// of the operations received before `before_ms`; how many. The operation
/// records themselves stay.
pub fn forget_before(conn: &mut AnyConnection, before_ms: i64) -> Result<usize, StoreError> {
    let old = operations::table
        .filter(operations::received_at.lt(before_ms))
        .select(operations::id);
    Ok(
        diesel::delete(idempotency::table.filter(idempotency::operation_id.eq_any(old)))
            .execute(conn)?,
    )
}
