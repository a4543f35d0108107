//! The tamper-evident audit log: an append-only hash chain.
//!
//! * [`append`] runs in the caller's transaction (the same one as the
//!   operation's effect). It takes the chain head row (`FOR UPDATE` on
//!   PostgreSQL, so appends from several urna nodes serialise; on SQLite the
//!   writer lock already does), computes the entry's hash over the previous
//!   hash and every field, and moves the head.
//! * The database refuses UPDATE and DELETE of entries (triggers on both
//!   backends; TRUNCATE too on PostgreSQL).
//! * [`verify`] recomputes the chain from the first entry and reports the
//!   first entry whose link or content does not match.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::cached::Cached;
use crate::schema::{audit_head, audit_log};
use crate::{per_backend, AnyConnection, StoreError};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One operation to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub at_ms: i64,
    /// `5010`, `5011`, … or `unknown` when the request was refused before dispatch.
    pub operation: &'a str,
    /// `OK`, `KO`, `REPLAY`, or `FAULT:<reason>`.
    pub outcome: &'a str,
    pub id_operazione_anpr: Option<i64>,
    pub comune: Option<&'a str>,
    /// Station CN of the TLS certificate.
    pub station: &'a str,
    /// Operator codice fiscale (SAML NameID).
    pub operator: Option<&'a str>,
    /// `wss-saml` or `tls`.
    pub auth_mode: &'a str,
    /// SHA-256 (hex) of the request bytes and of the response envelope.
    pub request_digest: &'a str,
    pub response_digest: &'a str,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Row {
    pub seq: i64,
    pub at_ms: i64,
    pub operation: String,
    pub outcome: String,
    pub id_operazione_anpr: Option<i64>,
    pub comune: Option<String>,
    pub station: String,
    pub operator: Option<String>,
    pub auth_mode: String,
    pub request_digest: String,
    pub response_digest: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Row {
    fn entry(&self) -> Entry<'_> {
        Entry {
            at_ms: self.at_ms,
            operation: &self.operation,
            outcome: &self.outcome,
            id_operazione_anpr: self.id_operazione_anpr,
            comune: self.comune.as_deref(),
            station: &self.station,
            operator: self.operator.as_deref(),
            auth_mode: &self.auth_mode,
            request_digest: &self.request_digest,
            response_digest: &self.response_digest,
        }
    }
}

/// The entry hash: SHA-256 over the previous hash, the sequence number and
/// every field, each length-prefixed (no separator ambiguity), absent
/// values distinct from empty ones.
pub fn chain_hash(prev: &str, seq: i64, e: &Entry<'_>) -> String {
    let mut h = Sha256::new();
    let mut field = |v: Option<&str>| match v {
        None => h.update(b"-;"),
        Some(v) => {
            h.update(format!("{}:", v.len()).as_bytes());
            h.update(v.as_bytes());
            h.update(b";");
        }
    };
    let seq = seq.to_string();
    let at = e.at_ms.to_string();
    let id = e.id_operazione_anpr.map(|i| i.to_string());
    field(Some("urna-audit-v1"));
    field(Some(prev));
    field(Some(&seq));
    field(Some(&at));
    field(Some(e.operation));
    field(Some(e.outcome));
    field(id.as_deref());
    field(e.comune);
    field(Some(e.station));
    field(e.operator);
    field(Some(e.auth_mode));
    field(Some(e.request_digest));
    field(Some(e.response_digest));
    hex::encode(h.finalize())
}

/// The chain head: the last sequence number and its hash.
pub fn head(conn: &mut AnyConnection) -> Result<(i64, String), StoreError> {
    Ok(audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash))
        .first(conn)?)
}

/// Appends `e` in the caller's transaction; returns its sequence number.
pub fn append(conn: &mut AnyConnection, e: &Entry<'_>) -> Result<i64, StoreError> {
    let (seq, prev): (i64, String) = match conn {
        AnyConnection::Postgresql(c) => audit_head::table
            .find(1)
            .select((audit_head::seq, audit_head::hash))
            .for_update()
            .first(c)?,
        AnyConnection::Sqlite(c) => audit_head::table
            .find(1)
            .select((audit_head::seq, audit_head::hash))
            .first(c)?,
    };
    let seq = seq + 1;
    let hash = chain_hash(&prev, seq, e);
    // Written out, so that they are prepared once per connection (see
    // `cached`).
    let insert = Cached::new(
        "INSERT INTO audit_log (seq, at_ms, operation, outcome, id_operazione_anpr, comune, \
         station, operator, auth_mode, request_digest, response_digest, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            seq.into(),
            e.at_ms.into(),
            e.operation.into(),
            e.outcome.into(),
            e.id_operazione_anpr.into(),
            e.comune.into(),
            e.station.into(),
            e.operator.into(),
            e.auth_mode.into(),
            e.request_digest.into(),
            e.response_digest.into(),
            (&prev).into(),
            (&hash).into(),
        ],
    );
    let head = Cached::new(
        "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
        vec![seq.into(), (&hash).into()],
    );
    per_backend!(conn, |c| insert.execute(c))?;
    per_backend!(conn, |c| head.execute(c))?;
    Ok(seq)
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Entries checked.
    pub entries: i64,
    /// The recomputed hash of the last entry (GENESIS when empty).
    pub last_hash: String,
    /// The first entry that breaks the chain, and why.
    pub first_broken: Option<(i64, String)>,
    /// Recomputed hashes at the sequence numbers asked for (signed heads).
    pub hashes_at: Vec<(i64, Option<String>)>,
}

/// Recomputes the chain from the first entry, in pages; `at` are sequence
/// numbers whose recomputed hash the caller wants (to compare with signed
/// heads).
pub fn verify(conn: &mut AnyConnection, at: &[i64]) -> Result<Report, StoreError> {
    verify_after(conn, 0, GENESIS, at)
}

/// Recomputes the chain after entry `seq`, whose hash is taken to be
/// `hash` (checked before): what a periodic check adds to the last one.
/// `entries` in the report counts every entry up to the last one.
pub fn verify_after(
    conn: &mut AnyConnection,
    seq: i64,
    hash: &str,
    at: &[i64],
) -> Result<Report, StoreError> {
    const PAGE: i64 = 10_000;
    let mut expected_seq = seq + 1;
    let mut prev = hash.to_string();
    let mut first_broken: Option<(i64, String)> = None;
    let mut found: std::collections::HashMap<i64, String> = Default::default();
    loop {
        let rows: Vec<Row> = audit_log::table
            .filter(audit_log::seq.ge(expected_seq))
            .order(audit_log::seq)
            .limit(PAGE)
            .select(Row::as_select())
            .load(conn)?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            if first_broken.is_none() {
                let why = if r.seq != expected_seq {
                    Some(format!(
                        "entry {expected_seq} is missing (next is {})",
                        r.seq
                    ))
                } else if r.prev_hash != prev {
                    Some(format!(
                        "prev_hash {} is not the hash {} of entry {}",
                        r.prev_hash,
                        prev,
                        r.seq - 1
                    ))
                } else if chain_hash(&prev, r.seq, &r.entry()) != r.hash {
                    Some("its content does not match its hash (the entry was changed)".to_string())
                } else {
                    None
                };
                if let Some(why) = why {
                    first_broken = Some((expected_seq.min(r.seq), why));
                }
            }
            // Continue with the recomputed hash, so later heads compare
            // against what the chain should be.
            prev = chain_hash(&prev, r.seq, &r.entry());
            if at.contains(&r.seq) {
                found.insert(r.seq, prev.clone());
            }
            expected_seq = r.seq + 1;
        }
    }
    let (head_seq, head_hash) = head(conn)?;
    if first_broken.is_none() && (head_seq != expected_seq - 1 || head_hash != prev) {
        first_broken = Some((
            head_seq.min(expected_seq),
            format!(
                "the chain head says entry {head_seq} with hash {head_hash}, the table ends at {} with {prev}",
                expected_seq - 1
            ),
        ));
    }
    Ok(Report {
        entries: expected_seq - 1,
        last_hash: prev,
        first_broken,
        hashes_at: at.iter().map(|s| (*s, found.get(s).cloned())).collect(),
    })
}

/// When entry `seq` was written (milliseconds), if the table has it.
pub fn at_ms_of(conn: &mut AnyConnection, seq: i64) -> Result<Option<i64>, StoreError> {
    Ok(audit_log::table
        .find(seq)
        .select(audit_log::at_ms)
        .first(conn)
        .optional()?)
}

/// Which entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The operator's codice fiscale (SAML NameID).
    pub operator: Option<String>,
    /// `6001`, `certificate-view`, …
    pub operation: Option<String>,
    /// From this time (Unix ms, included).
    pub from_ms: Option<i64>,
    /// Until this time (Unix ms, excluded).
    pub to_ms: Option<i64>,
    /// At most this many, oldest first.
    pub limit: i64,
}

/// The entries matching `f`, oldest first.
pub fn list(conn: &mut AnyConnection, f: &Filter) -> Result<Vec<Row>, StoreError> {
    let mut q = audit_log::table
        .select(Row::as_select())
        .order(audit_log::seq)
        .limit(f.limit.max(0))
        .into_boxed();
    if let Some(o) = &f.operator {
        q = q.filter(audit_log::operator.eq(o.to_ascii_uppercase()));
    }
    if let Some(op) = &f.operation {
        q = q.filter(audit_log::operation.eq(op.clone()));
    }
    if let Some(t) = f.from_ms {
        q = q.filter(audit_log::at_ms.ge(t));
    }
    if let Some(t) = f.to_ms {
        q = q.filter(audit_log::at_ms.lt(t));
    }
    Ok(q.load(conn)?)
}
