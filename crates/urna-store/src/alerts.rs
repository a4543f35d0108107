//! Alerts and how far the audit log has been evaluated (migration
//! `alerts`; the rules are urna-domain's `alerts`, the evaluation
//! urna-service's).

use diesel::prelude::*;

use crate::schema::{alert_cursor, alerts, audit_log, blocks, electors, operations, subjects};
use crate::{AnyConnection, StoreError};

/// An audit entry as the rules read it, with the subject of its operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub seq: i64,
    pub at_ms: i64,
    pub operation: String,
    pub outcome: String,
    pub station: String,
    pub operator: Option<String>,
    pub comune: Option<String>,
    pub subject: Option<String>,
    /// The comune of the general list the subject is on now, when it is
    /// an elector.
    pub subject_comune: Option<String>,
}

type AuditColumns = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// Entries after `after` (all with `None`), oldest first, at most `limit`;
/// and from `from_ms` on, up to `upto` included, when warming.
fn events(
    conn: &mut AnyConnection,
    after: Option<i64>,
    upto: Option<i64>,
    from_ms: Option<i64>,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    let mut q = audit_log::table
        .select((
            audit_log::seq,
            audit_log::at_ms,
            audit_log::operation,
            audit_log::outcome,
            audit_log::station,
            audit_log::operator,
            audit_log::comune,
            audit_log::id_operazione_anpr,
        ))
        .order(audit_log::seq)
        .limit(limit)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(audit_log::seq.gt(a));
    }
    if let Some(u) = upto {
        q = q.filter(audit_log::seq.le(u));
    }
    if let Some(f) = from_ms {
        q = q.filter(audit_log::at_ms.gt(f));
    }
    let rows: Vec<AuditColumns> = q.load(conn)?;
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.7).collect();
    let subjects: std::collections::HashMap<i64, String> = if ids.is_empty() {
        Default::default()
    } else {
        operations::table
            .filter(operations::id.eq_any(&ids))
            .filter(operations::subject_key.is_not_null())
            .select((operations::id, operations::subject_key.assume_not_null()))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect()
    };
    let comuni = subject_comuni(conn, subjects.values())?;
    Ok(rows
        .into_iter()
        .map(|r| EventRow {
            seq: r.0,
            at_ms: r.1,
            operation: r.2,
            outcome: r.3,
            station: r.4,
            operator: r.5,
            comune: r.6,
            subject: r.7.and_then(|id| subjects.get(&id).cloned()),
            subject_comune: r
                .7
                .and_then(|id| subjects.get(&id))
                .and_then(|s| comuni.get(s).cloned()),
        })
        .collect())
}

/// The general-list comune of each subject key (an idSchedaSoggettoANPR or
/// a codice fiscale, as sent) that names an elector.
fn subject_comuni<'a>(
    conn: &mut AnyConnection,
    keys: impl Iterator<Item = &'a String>,
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let (ids, cfs): (Vec<&String>, Vec<&String>) =
        keys.partition(|k| k.bytes().all(|b| b.is_ascii_digit()));
    // Subject id per key.
    let mut id_of: std::collections::HashMap<String, String> =
        ids.into_iter().map(|k| (k.clone(), k.clone())).collect();
    if !cfs.is_empty() {
        let found: Vec<(String, String)> = subjects::table
            .filter(subjects::codice_fiscale.eq_any(&cfs))
            .select((subjects::codice_fiscale, subjects::id_soggetto))
            .load(conn)?;
        id_of.extend(found);
    }
    if id_of.is_empty() {
        return Ok(Default::default());
    }
    let listed: std::collections::HashMap<String, String> = electors::table
        .filter(electors::id_soggetto.eq_any(id_of.values()))
        .filter(electors::gen_comune.is_not_null())
        .select((
            electors::id_soggetto,
            electors::gen_comune.assume_not_null(),
        ))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(id_of
        .into_iter()
        .filter_map(|(key, id)| listed.get(&id).map(|c| (key, c.clone())))
        .collect())
}

/// The entries after `after`, oldest first, at most `limit`.
pub fn after(
    conn: &mut AnyConnection,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    events(conn, after, None, None, limit)
}

/// The entries up to `upto` written after `from_ms` (a window to rebuild),
/// oldest first, at most `limit`.
pub fn window(
    conn: &mut AnyConnection,
    upto: i64,
    from_ms: i64,
    limit: i64,
) -> Result<Vec<EventRow>, StoreError> {
    events(conn, None, Some(upto), Some(from_ms), limit)
}

/// The stations and operators of the entries up to `upto`.
pub fn known(
    conn: &mut AnyConnection,
    upto: i64,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let stations = audit_log::table
        .filter(audit_log::seq.le(upto))
        .select(audit_log::station)
        .distinct()
        .load(conn)?;
    let operators = audit_log::table
        .filter(audit_log::seq.le(upto))
        .filter(audit_log::operator.is_not_null())
        .select(audit_log::operator.assume_not_null())
        .distinct()
        .load(conn)?;
    Ok((stations, operators))
}

/// The last entry evaluated (`None`: never).
pub fn cursor(conn: &mut AnyConnection) -> Result<Option<i64>, StoreError> {
    Ok(alert_cursor::table
        .find(1)
        .select(alert_cursor::seq)
        .first::<Option<i64>>(conn)?)
}

/// Moves the cursor from `from` to `to`; false when another node moved it
/// first (the caller's transaction must then not commit what it found).
pub fn advance(conn: &mut AnyConnection, from: Option<i64>, to: i64) -> Result<bool, StoreError> {
    let q = diesel::update(alert_cursor::table.find(1)).set(alert_cursor::seq.eq(to));
    let n = match from {
        Some(f) => q.filter(alert_cursor::seq.eq(f)).execute(conn)?,
        None => diesel::update(
            alert_cursor::table
                .find(1)
                .filter(alert_cursor::seq.is_null()),
        )
        .set(alert_cursor::seq.eq(to))
        .execute(conn)?,
    };
    Ok(n == 1)
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = alerts)]
pub struct AlertRow {
    pub id: i64,
    pub rule: String,
    pub severity: String,
    pub alert_key: String,
    pub seq: i64,
    pub at_ms: i64,
    /// The window's entries, comma-separated.
    pub entries: String,
    pub value: i64,
    pub threshold: i64,
    pub description: String,
    pub acked_at: Option<i64>,
    pub acked_by: Option<String>,
}

/// A new alert (the id is the store's).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = alerts)]
pub struct NewAlert<'a> {
    pub rule: &'a str,
    pub severity: &'a str,
    pub alert_key: &'a str,
    pub seq: i64,
    pub at_ms: i64,
    pub entries: &'a str,
    pub value: i64,
    pub threshold: i64,
    pub description: &'a str,
}

pub fn insert(conn: &mut AnyConnection, a: &NewAlert<'_>) -> Result<(), StoreError> {
    diesel::insert_into(alerts::table).values(a).execute(conn)?;
    Ok(())
}

/// Stores `a` unless the same rule already fired for the same key and
/// entry (a condition found again); whether it was new.
pub fn insert_once(conn: &mut AnyConnection, a: &NewAlert<'_>) -> Result<bool, StoreError> {
    let n = crate::per_backend!(conn, |c| diesel::insert_into(alerts::table)
        .values(a)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// The latest alerts first; only those not acknowledged unless `all`.
pub fn list(conn: &mut AnyConnection, all: bool, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
    let mut q = alerts::table
        .select(AlertRow::as_select())
        .order(alerts::id.desc())
        .limit(limit)
        .into_boxed();
    if !all {
        q = q.filter(alerts::acked_at.is_null());
    }
    Ok(q.load(conn)?)
}

/// Acknowledges alert `id`; false when there is no such alert or it was
/// acknowledged already.
pub fn ack(conn: &mut AnyConnection, id: i64, by: &str, now_ms: i64) -> Result<bool, StoreError> {
    Ok(
        diesel::update(alerts::table.find(id).filter(alerts::acked_at.is_null()))
            .set((alerts::acked_at.eq(now_ms), alerts::acked_by.eq(by)))
            .execute(conn)?
            == 1,
    )
}

/// A station or an address refused until `until_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = blocks)]
pub struct BlockRow {
    /// `station` or `address`.
    pub kind: String,
    pub block_key: String,
    pub until_ms: i64,
    pub rule: String,
    pub created_at: i64,
}

/// Blocks `b.block_key` until `b.until_ms`, or later if it already was.
pub fn block(conn: &mut AnyConnection, b: &BlockRow) -> Result<(), StoreError> {
    let existing: Option<i64> = blocks::table
        .find((&b.kind, &b.block_key))
        .select(blocks::until_ms)
        .first(conn)
        .optional()?;
    match existing {
        Some(until) if until >= b.until_ms => {}
        Some(_) => {
            diesel::update(blocks::table.find((&b.kind, &b.block_key)))
                .set((blocks::until_ms.eq(b.until_ms), blocks::rule.eq(&b.rule)))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(blocks::table).values(b).execute(conn)?;
        }
    }
    Ok(())
}

/// The blocks still in force at `now_ms`.
pub fn active_blocks(conn: &mut AnyConnection, now_ms: i64) -> Result<Vec<BlockRow>, StoreError> {
    Ok(blocks::table
        .filter(blocks::until_ms.gt(now_ms))
        .select(BlockRow::as_select())
        .order((blocks::kind, blocks::block_key))
        .load(conn)?)
}

/// Lifts a block; false when there was none in force.
pub fn unblock(
    conn: &mut AnyConnection,
    kind: &str,
    key: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    Ok(diesel::delete(
        blocks::table
            .find((kind, key))
            .filter(blocks::until_ms.gt(now_ms)),
    )
    .execute(conn)?
        == 1)
}
