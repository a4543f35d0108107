//! Current electoral state of subjects (one row each; the operation log keeps
//! the history of requests, not of list data). List placements are columns
//! (indexed, counted per section); the rest of the state is a JSON `detail`.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use time::Date;
use urna_domain::date::parse_xs_date;
use urna_domain::elector::{Cancellation, ComReg, Doppia, ElectorState, Flags, ListRef};

use crate::cached::Cached;
use crate::schema::electors;
use crate::{per_backend, AnyConnection, StoreError};

#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Serialize,
    Deserialize,
)]
#[diesel(table_name = electors, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ElectorRow {
    pub id_soggetto: String,
    pub elettore: Option<String>,
    pub gen_comune: Option<String>,
    pub gen_sezione: Option<String>,
    pub ue_com_comune: Option<String>,
    pub ue_com_sezione: Option<String>,
    pub ue_parl_comune: Option<String>,
    pub ue_parl_sezione: Option<String>,
    pub comreg_comune: Option<String>,
    pub comreg_sezione: Option<String>,
    pub certificabile: Option<i32>,
    pub first_load_comune: Option<String>,
    pub last_decorrenza: Option<String>,
    pub detail: String,
    pub last_operation: i64,
    pub updated_at: i64,
    /// The comune that sent the flags (also in `detail`): the owner of a
    /// subject on no list, for the export. Absent in before-images written
    /// before the column existed.
    #[serde(default)]
    pub flags_comune: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Detail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gen_since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cancelled: Option<Cancellation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comreg: Option<ComReg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    flags: Option<Flags>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    flags_comune: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cert_comune: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    doppia: Option<Doppia>,
}

fn list(c: &Option<String>, s: &Option<String>) -> Option<ListRef> {
    Some(ListRef {
        comune: c.clone()?,
        sezione: s.clone()?,
    })
}

fn split(l: Option<&ListRef>) -> (Option<String>, Option<String>) {
    l.map(|l| (Some(l.comune.clone()), Some(l.sezione.clone())))
        .unwrap_or((None, None))
}

impl ElectorRow {
    pub fn to_state(&self) -> Result<ElectorState, StoreError> {
        let d: Detail = serde_json::from_str(&self.detail)
            .map_err(|e| StoreError::Data(format!("elector {} detail: {e}", self.id_soggetto)))?;
        let date = |what: &str, s: &str| {
            parse_xs_date(s).ok_or_else(|| {
                StoreError::Data(format!(
                    "elector {}: {what} {s:?} is not a YYYY-MM-DD date",
                    self.id_soggetto
                ))
            })
        };
        // A list with no recorded start counts from the epoch: any later
        // effective date is later than it.
        let since = match &d.gen_since {
            Some(s) => date("gen_since", s)?,
            None => Date::from_calendar_date(1970, time::Month::January, 1).expect("valid date"),
        };
        let last_decorrenza = match &self.last_decorrenza {
            Some(s) => Some(date("last_decorrenza", s)?),
            None => None,
        };
        Ok(ElectorState {
            elettore: self.elettore.as_deref().map(|e| e == "S"),
            general: list(&self.gen_comune, &self.gen_sezione).map(|l| (l, since)),
            cancelled: d.cancelled,
            ue_comunali: list(&self.ue_com_comune, &self.ue_com_sezione),
            ue_parlamento: list(&self.ue_parl_comune, &self.ue_parl_sezione),
            comreg: d
                .comreg
                .zip(list(&self.comreg_comune, &self.comreg_sezione)),
            flags: d.flags,
            flags_comune: d.flags_comune,
            certificabile: self.certificabile.map(|c| c as u8),
            cert_comune: d.cert_comune,
            doppia: d.doppia,
            first_load: self.first_load_comune.clone(),
            last_decorrenza,
        })
    }

    pub fn from_state(
        id: &str,
        s: &ElectorState,
        last_operation: i64,
        updated_at: i64,
    ) -> ElectorRow {
        let (gen_comune, gen_sezione) = split(s.general.as_ref().map(|(l, _)| l));
        let (ue_com_comune, ue_com_sezione) = split(s.ue_comunali.as_ref());
        let (ue_parl_comune, ue_parl_sezione) = split(s.ue_parlamento.as_ref());
        let (comreg_comune, comreg_sezione) = split(s.comreg.as_ref().map(|(_, l)| l));
        let detail = Detail {
            gen_since: s.general.as_ref().map(|(_, since)| since.to_string()),
            cancelled: s.cancelled.clone(),
            comreg: s.comreg.as_ref().map(|(k, _)| *k),
            flags: s.flags.clone(),
            flags_comune: s.flags_comune.clone(),
            cert_comune: s.cert_comune.clone(),
            doppia: s.doppia.clone(),
        };
        ElectorRow {
            id_soggetto: id.to_string(),
            elettore: s.elettore.map(|e| if e { "S" } else { "N" }.to_string()),
            gen_comune,
            gen_sezione,
            ue_com_comune,
            ue_com_sezione,
            ue_parl_comune,
            ue_parl_sezione,
            comreg_comune,
            comreg_sezione,
            certificabile: s.certificabile.map(i32::from),
            first_load_comune: s.first_load.clone(),
            last_decorrenza: s.last_decorrenza.map(|d| d.to_string()),
            detail: serde_json::to_string(&detail).expect("detail serialises"),
            last_operation,
            updated_at,
            flags_comune: s.flags_comune.clone(),
        }
    }
}

/// The subject's current state (default when never communicated).
pub fn get(conn: &mut AnyConnection, id: &str) -> Result<ElectorState, StoreError> {
    let row: Option<ElectorRow> = electors::table
        .find(id)
        .select(ElectorRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| r.to_state())
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The stored row of a subject, if it has electoral data.
pub fn get_row(conn: &mut AnyConnection, id: &str) -> Result<Option<ElectorRow>, StoreError> {
    Ok(electors::table
        .find(id)
        .select(ElectorRow::as_select())
        .first(conn)
        .optional()?)
}

/// Current states of many subjects at once (absent ids are not in the map).
pub fn get_many(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, ElectorState>, StoreError> {
    get_rows(conn, ids)?
        .into_values()
        .map(|r| Ok((r.id_soggetto.clone(), r.to_state()?)))
        .collect()
}

/// The stored rows of many subjects at once (absent ids are not in the map).
pub fn get_rows(
    conn: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, ElectorRow>, StoreError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(5000) {
        let rows: Vec<ElectorRow> = electors::table
            .filter(electors::id_soggetto.eq_any(chunk))
            .select(ElectorRow::as_select())
            .load(conn)?;
        out.extend(rows.into_iter().map(|r| (r.id_soggetto.clone(), r)));
    }
    Ok(out)
}

/// Stores the states of subjects that had none (the caller read them inside
/// the same transaction and found no row): a binary `COPY` on PostgreSQL,
/// prepared single-row inserts on SQLite. A row that another transaction
/// inserted meanwhile makes the whole call fail (unique violation), so the
/// caller's transaction rolls back instead of overwriting it.
pub fn insert_new(conn: &mut AnyConnection, rows: &[ElectorRow]) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        AnyConnection::Postgresql(c) => {
            diesel::copy_from(electors::table)
                .from_insertable(rows)
                .execute(c)?;
        }
        AnyConnection::Sqlite(c) => {
            for r in rows {
                diesel::insert_into(electors::table).values(r).execute(c)?;
            }
        }
    }
    Ok(())
}

/// Stores many states: multi-row statements on PostgreSQL (one round trip
/// per 1000 rows), one statement per row on SQLite.
pub fn put_many(conn: &mut AnyConnection, rows: &[ElectorRow]) -> Result<(), StoreError> {
    use diesel::upsert::excluded;
    match conn {
        AnyConnection::Postgresql(c) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(electors::table)
                    .values(chunk)
                    .on_conflict(electors::id_soggetto)
                    .do_update()
                    .set((
                        electors::elettore.eq(excluded(electors::elettore)),
                        electors::gen_comune.eq(excluded(electors::gen_comune)),
                        electors::gen_sezione.eq(excluded(electors::gen_sezione)),
                        electors::ue_com_comune.eq(excluded(electors::ue_com_comune)),
                        electors::ue_com_sezione.eq(excluded(electors::ue_com_sezione)),
                        electors::ue_parl_comune.eq(excluded(electors::ue_parl_comune)),
                        electors::ue_parl_sezione.eq(excluded(electors::ue_parl_sezione)),
                        electors::comreg_comune.eq(excluded(electors::comreg_comune)),
                        electors::comreg_sezione.eq(excluded(electors::comreg_sezione)),
                        electors::certificabile.eq(excluded(electors::certificabile)),
                        electors::first_load_comune.eq(excluded(electors::first_load_comune)),
                        electors::last_decorrenza.eq(excluded(electors::last_decorrenza)),
                        electors::detail.eq(excluded(electors::detail)),
                        electors::last_operation.eq(excluded(electors::last_operation)),
                        electors::updated_at.eq(excluded(electors::updated_at)),
                        electors::flags_comune.eq(excluded(electors::flags_comune)),
                    ))
                    .execute(c)?;
            }
        }
        AnyConnection::Sqlite(_) => {
            for r in rows {
                put(conn, r)?;
            }
        }
    }
    Ok(())
}

/// How many subjects have a stored electoral state.
pub fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(electors::table.count().get_result(conn)?)
}

/// Removes the rows whose last operation is `operation`.
pub fn delete_by_operation(conn: &mut AnyConnection, operation: i64) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(electors::table.filter(electors::last_operation.eq(operation)))
            .execute(conn)?,
    )
}

/// Stores the subject's new state.
pub fn put(conn: &mut AnyConnection, row: &ElectorRow) -> Result<(), StoreError> {
    // Written out, so that it is prepared once per connection (see `cached`).
    const SQL: &str = "INSERT INTO electors (id_soggetto, elettore, gen_comune, gen_sezione, \
        ue_com_comune, ue_com_sezione, ue_parl_comune, ue_parl_sezione, comreg_comune, \
        comreg_sezione, certificabile, first_load_comune, last_decorrenza, detail, \
        last_operation, updated_at, flags_comune) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
        ON CONFLICT (id_soggetto) DO UPDATE SET elettore = excluded.elettore, \
        gen_comune = excluded.gen_comune, gen_sezione = excluded.gen_sezione, \
        ue_com_comune = excluded.ue_com_comune, ue_com_sezione = excluded.ue_com_sezione, \
        ue_parl_comune = excluded.ue_parl_comune, ue_parl_sezione = excluded.ue_parl_sezione, \
        comreg_comune = excluded.comreg_comune, comreg_sezione = excluded.comreg_sezione, \
        certificabile = excluded.certificabile, first_load_comune = excluded.first_load_comune, \
        last_decorrenza = excluded.last_decorrenza, detail = excluded.detail, \
        last_operation = excluded.last_operation, updated_at = excluded.updated_at, \
        flags_comune = excluded.flags_comune";
    let q = Cached::new(
        SQL,
        vec![
            (&row.id_soggetto).into(),
            (&row.elettore).into(),
            (&row.gen_comune).into(),
            (&row.gen_sezione).into(),
            (&row.ue_com_comune).into(),
            (&row.ue_com_sezione).into(),
            (&row.ue_parl_comune).into(),
            (&row.ue_parl_sezione).into(),
            (&row.comreg_comune).into(),
            (&row.comreg_sezione).into(),
            row.certificabile.into(),
            (&row.first_load_comune).into(),
            (&row.last_decorrenza).into(),
            (&row.detail).into(),
            row.last_operation.into(),
            row.updated_at.into(),
            (&row.flags_comune).into(),
        ],
    );
    per_backend!(conn, |c| q.execute(c))?;
    Ok(())
}

/// Electors any of whose lists point at this section.
pub fn referencing(conn: &mut AnyConnection, istat: &str, numero: &str) -> Result<i64, StoreError> {
    Ok(electors::table
        .filter(
            (electors::gen_comune
                .eq(istat)
                .and(electors::gen_sezione.eq(numero)))
            .or(electors::ue_com_comune
                .eq(istat)
                .and(electors::ue_com_sezione.eq(numero)))
            .or(electors::ue_parl_comune
                .eq(istat)
                .and(electors::ue_parl_sezione.eq(numero)))
            .or(electors::comreg_comune
                .eq(istat)
                .and(electors::comreg_sezione.eq(numero))),
        )
        .count()
        .get_result(conn)?)
}

/// The streams a comune's export reads, each in `id_soggetto` order on an
/// index of its own (migration `export_streams`): merged, they hold every
/// subject the comune lists or loaded, once per stream it appears in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportStream {
    /// On the comune's general list.
    General,
    /// On its EU list for municipal elections, with no general list.
    UeComunali,
    /// On its EU list for the European Parliament, with no general list.
    UeParlamento,
    /// On no list, with electoral data (flags) the comune sent: a
    /// non-elector.
    Unlisted,
}

impl ExportStream {
    pub const ALL: [ExportStream; 4] = [
        ExportStream::General,
        ExportStream::UeComunali,
        ExportStream::UeParlamento,
        ExportStream::Unlisted,
    ];
}

/// The next `limit` rows of `stream` for comune `istat` after id `after`
/// (`""` for the first page), in id order.
pub fn export_page(
    conn: &mut AnyConnection,
    stream: ExportStream,
    istat: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<ElectorRow>, StoreError> {
    let q = electors::table
        .filter(electors::id_soggetto.gt(after.to_string()))
        .into_boxed();
    let q = match stream {
        ExportStream::General => q.filter(electors::gen_comune.eq(istat.to_string())),
        ExportStream::UeComunali => q
            .filter(electors::ue_com_comune.eq(istat.to_string()))
            .filter(electors::gen_comune.is_null()),
        ExportStream::UeParlamento => q
            .filter(electors::ue_parl_comune.eq(istat.to_string()))
            .filter(electors::gen_comune.is_null()),
        ExportStream::Unlisted => q
            .filter(electors::flags_comune.eq(istat.to_string()))
            .filter(electors::gen_comune.is_null())
            .filter(electors::ue_com_comune.is_null())
            .filter(electors::ue_parl_comune.is_null()),
    };
    Ok(q.select(ElectorRow::as_select())
        .order(electors::id_soggetto)
        .limit(limit)
        .load(conn)?)
}

/// How many distinct subjects the export streams of `istat` hold, and how
/// many of them are cancelled (`detail` records a cancellation only when
/// there is one).
pub fn export_count(conn: &mut AnyConnection, istat: &str) -> Result<(i64, i64), StoreError> {
    let of_comune = || {
        electors::table
            .filter(
                electors::gen_comune
                    .eq(istat.to_string())
                    .or(electors::gen_comune.is_null().and(
                        electors::ue_com_comune
                            .eq(istat.to_string())
                            .or(electors::ue_parl_comune.eq(istat.to_string()))
                            .or(electors::flags_comune
                                .eq(istat.to_string())
                                .and(electors::ue_com_comune.is_null())
                                .and(electors::ue_parl_comune.is_null())),
                    )),
            )
            .into_boxed()
    };
    let all: i64 = of_comune().count().get_result(conn)?;
    let cancelled: i64 = of_comune()
        .filter(electors::detail.like("%\"cancelled\":%"))
        .count()
        .get_result(conn)?;
    Ok((all, cancelled))
}
