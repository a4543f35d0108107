//! The alert rules evaluated over the audit log (docs/operations.md,
//! "Alerts"): each evaluation reads the entries after the cursor, in order,
//! through the rules' [`Engine`], and in one transaction stores what fired
//! and moves the cursor, on the condition that nobody moved it meanwhile,
//! so that several nodes evaluating the same log raise each alert once.
//! A node's engine keeps the windows in memory; it rebuilds them from the
//! log when it starts, or when another node got ahead of it.

use urna_domain::alerts::{BlockKind, By, Engine, Event, Fired, RuleSet};
use urna_store::alerts::{self as store, EventRow, NewAlert};
use urna_store::StoreError;

use crate::Services;

/// The rule the audit chain check raises; always on, not in the rule file.
pub const CHAIN_RULE: &str = "audit-chain-broken";

/// How far the audit chain has been found intact on this node.
#[derive(Debug, Default)]
pub struct ChainCheck {
    /// The last entry checked and its recomputed hash.
    checked: Option<(i64, String)>,
    last_full: Option<std::time::Instant>,
}

/// The conditional move of the cursor failed: another node committed first.
const MOVED: &str = "alert cursor moved";

/// Entries read per transaction.
const BATCH: i64 = 5_000;

/// The built-in rules (`config/alerts.toml` as shipped).
pub const DEFAULT_RULES: &str = include_str!("../../../config/alerts.toml");

/// The rules and their windows on this node.
#[derive(Debug)]
pub struct Alerting {
    engine: Engine,
    /// The last entry the windows reflect (`None`: to be rebuilt).
    at: Option<i64>,
}

impl Alerting {
    /// Rules from a TOML text (`config/alerts.toml`'s format).
    pub fn from_toml(text: &str) -> Result<Alerting, String> {
        let set: RuleSet = toml::from_str(text).map_err(|e| e.to_string())?;
        let engine = Engine::new(set).map_err(|e| e.to_string())?;
        Ok(Alerting { engine, at: None })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// Blocks a station or an address until `until` (ms), an audit entry
/// (`block`, outcome `BLOCKED <until>`, the station field naming what is
/// blocked).
fn block(
    c: &mut urna_store::AnyConnection,
    kind: BlockKind,
    key: &str,
    until: i64,
    rule: &str,
    now: i64,
) -> Result<(), StoreError> {
    store::block(
        c,
        &store::BlockRow {
            kind: kind.as_str().into(),
            block_key: key.into(),
            until_ms: until,
            rule: rule.into(),
            created_at: now,
        },
    )?;
    let entry = crate::AuditRecord::event(
        now,
        "block",
        format!("BLOCKED {until}"),
        format!("{}:{key}", kind.as_str()),
        "system",
        rule,
    );
    urna_store::audit::append(c, &entry.entry())?;
    Ok(())
}

fn event(r: &EventRow) -> Event<'_> {
    Event {
        seq: r.seq,
        at_ms: r.at_ms,
        operation: &r.operation,
        outcome: &r.outcome,
        station: &r.station,
        operator: r.operator.as_deref(),
        comune: r.comune.as_deref(),
        subject: r.subject.as_deref(),
        subject_comune: r.subject_comune.as_deref(),
    }
}

impl Services {
    /// Evaluates the entries written since the last evaluation (by any
    /// node); the alerts this call stored. The first evaluation of a store
    /// starts at the head of its log: what came before raises nothing.
    pub fn evaluate_alerts(&self, a: &mut Alerting) -> Result<Vec<Fired>, StoreError> {
        /// What one transaction did.
        enum Step {
            /// Another node is ahead of (or raced) this one's windows.
            Moved,
            Nothing,
            Stored(Vec<Fired>, i64, usize),
        }
        let mut stored = Vec::new();
        let mut races = 0;
        loop {
            if a.at.is_none() {
                self.warm_alerts(a)?;
            }
            let at = a.at;
            let step = self.store.write(|c| {
                let from = store::cursor(c)?;
                if from != at {
                    return Ok(Step::Moved);
                }
                let rows = store::after(c, from, BATCH)?;
                let Some(last) = rows.last().map(|r| r.seq) else {
                    return Ok(Step::Nothing);
                };
                // From here the windows move: until this commits they are
                // ahead of the store.
                a.at = None;
                let mut fired = Vec::new();
                for r in &rows {
                    fired.extend(a.engine.observe(&event(r)));
                }
                for f in &fired {
                    if let Some((kind, key, until)) = f.block() {
                        block(c, kind, key, until, &f.rule, f.at_ms)?;
                    }
                    let entries: Vec<String> = f.entries.iter().map(i64::to_string).collect();
                    store::insert(
                        c,
                        &NewAlert {
                            rule: &f.rule,
                            severity: f.severity.as_str(),
                            alert_key: &f.key,
                            seq: f.seq,
                            at_ms: f.at_ms,
                            entries: &entries.join(","),
                            value: f.value as i64,
                            threshold: f.threshold as i64,
                            description: &f.description,
                        },
                    )?;
                }
                if !store::advance(c, from, last)? {
                    return Err(StoreError::Data(MOVED.into()));
                }
                Ok(Step::Stored(fired, last, rows.len()))
            });
            // A conditional move that failed is the same race as a cursor
            // found moved: the windows are rebuilt and the evaluation tried again.
            let step = match step {
                Err(StoreError::Data(m)) if m == MOVED => Ok(Step::Moved),
                other => other,
            };
            match step {
                Ok(Step::Stored(fired, last, n)) => {
                    a.at = Some(last);
                    stored.extend(fired);
                    if (n as i64) < BATCH {
                        return Ok(stored);
                    }
                }
                Ok(Step::Nothing) => return Ok(stored),
                Ok(Step::Moved) if races < 3 => {
                    a.at = None;
                    races += 1;
                }
                Ok(Step::Moved) => {
                    a.at = None;
                    return Ok(stored);
                }
                Err(e) => {
                    a.at = None;
                    return Err(e);
                }
            }
        }
    }

    /// Recomputes the audit chain after the entry checked last (the whole
    /// chain the first time and every `full_every`), in one snapshot. A
    /// break is an alert `audit-chain-broken` (critical) at the first broken
    /// entry, stored once however often it is found; returned when new.
    pub fn check_audit_chain(
        &self,
        state: &mut ChainCheck,
        full_every: std::time::Duration,
    ) -> Result<Option<Fired>, StoreError> {
        let full =
            state.checked.is_none() || state.last_full.is_none_or(|t| t.elapsed() >= full_every);
        let (seq, hash) = match (&state.checked, full) {
            (Some((s, h)), false) => (*s, h.clone()),
            _ => (0, urna_store::audit::GENESIS.to_string()),
        };
        let report = self
            .store
            .snapshot(|c| urna_store::audit::verify_after(c, seq, &hash, &[]))?;
        let Some((at, why)) = report.first_broken else {
            state.checked = Some((report.entries, report.last_hash));
            if full {
                state.last_full = Some(std::time::Instant::now());
            }
            return Ok(None);
        };
        // Found again from the start next time, until it is repaired.
        state.checked = None;
        let now = self.now_ms();
        let fired = Fired {
            rule: CHAIN_RULE.into(),
            severity: urna_domain::alerts::Severity::Critical,
            key: "audit_log".into(),
            seq: at,
            at_ms: now,
            entries: vec![at],
            value: 1,
            threshold: 0,
            description: format!(
                "Il registro di audit non è integro dall'entry {at}: {why} (urna audit verify)"
            ),
            by: By::All,
            block_secs: 0,
        };
        let new = self.store.write(|c| {
            store::insert_once(
                c,
                &NewAlert {
                    rule: &fired.rule,
                    severity: fired.severity.as_str(),
                    alert_key: &fired.key,
                    seq: at,
                    at_ms: now,
                    entries: &at.to_string(),
                    value: 1,
                    threshold: 0,
                    description: &fired.description,
                },
            )
        })?;
        Ok(new.then_some(fired))
    }

    /// The blocks in force.
    pub fn active_blocks(&self) -> Result<Vec<store::BlockRow>, StoreError> {
        let now = self.now_ms();
        self.store.read(|c| store::active_blocks(c, now))
    }

    /// Lifts the block of a station or an address on behalf of `by`, an
    /// audit entry (`unblock`); false when none was in force.
    pub fn unblock(&self, kind: BlockKind, key: &str, by: &str) -> Result<bool, StoreError> {
        let now = self.now_ms();
        self.store.write(|c| {
            if !store::unblock(c, kind.as_str(), key, now)? {
                return Ok(false);
            }
            let subject = format!("{}:{key}", kind.as_str());
            let entry = crate::AuditRecord::event(now, "unblock", "OK", by, "local", &subject);
            urna_store::audit::append(c, &entry.entry())?;
            Ok(true)
        })
    }

    /// Acknowledges alert `id` on behalf of `by`, an audit entry
    /// (`alert-ack`); false when there is no such open alert.
    pub fn ack_alert(&self, id: i64, by: &str) -> Result<bool, StoreError> {
        let now = self.now_ms();
        self.store.write(|c| {
            if !store::ack(c, id, by, now)? {
                return Ok(false);
            }
            let entry =
                crate::AuditRecord::event(now, "alert-ack", "OK", by, "local", &id.to_string());
            urna_store::audit::append(c, &entry.entry())?;
            Ok(true)
        })
    }

    /// Rebuilds the windows from the log up to the cursor (set to the
    /// log's head the first time), and what the `first-seen` rules know.
    fn warm_alerts(&self, a: &mut Alerting) -> Result<(), StoreError> {
        a.engine.forget();
        a.at = None;
        let max_window = a.engine.max_window_ms();
        self.store
            .write(|c| {
                let upto: i64 = match store::cursor(c)? {
                    Some(s) => s,
                    None => {
                        let (head, _) = urna_store::audit::head(c)?;
                        store::advance(c, None, head)?;
                        head
                    }
                };
                let (stations, operators) = store::known(c, upto)?;
                for s in &stations {
                    a.engine.know(By::Station, s);
                    if let Some(addr) = s.strip_prefix("web:") {
                        a.engine.know(By::Address, addr);
                    }
                }
                for o in &operators {
                    a.engine.know(By::Operator, o);
                }
                let last_at = urna_store::audit::at_ms_of(c, upto)?.unwrap_or(0);
                let mut from_seq = None;
                loop {
                    let rows = match from_seq {
                        None => store::window(c, upto, last_at - max_window, BATCH)?,
                        Some(after) => store::after(c, Some(after), BATCH)?
                            .into_iter()
                            .filter(|r| r.seq <= upto)
                            .collect(),
                    };
                    let Some(last) = rows.last().map(|r| r.seq) else {
                        break;
                    };
                    for r in &rows {
                        a.engine.warm(&event(r));
                    }
                    if (rows.len() as i64) < BATCH || last >= upto {
                        break;
                    }
                    from_seq = Some(last);
                }
                Ok::<_, StoreError>(upto)
            })
            .map(|upto| a.at = Some(upto))
    }
}
