//! Alert rules over the audit log (annex 3 §3: recorded accesses reviewed
//! by predefined, formalised rules with anomaly indicators). No I/O: the
//! rules come from `config/alerts.toml` ([`RuleSet`]), the events are the
//! audit log's entries in order ([`Event`]), and the [`Engine`] says which
//! entry makes which rule fire (docs/operations.md, "Alerts").
//!
//! A rule reads the entries of some operations (and outcomes), groups them
//! by a key (station, operator, comune, web address, or all together) and
//! measures, over a sliding window ending at each entry:
//! * `count`: how many entries;
//! * `distinct-subjects`: how many different subjects they were about;
//! * `off-hours`: how many fell outside the office hours;
//! * `first-seen`: fires on a key's first entry ever;
//! * `other-comune-share`: the percentage of the entries about electors
//!   that were about electors of another comune than the entry's (once the
//!   window holds `min_entries` of them).
//!
//! It fires at the entry whose measure first exceeds the threshold, once:
//! the same rule and key stay quiet for one window after it.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::Deserialize;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset, Weekday};

/// How serious an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// What a rule groups entries by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// The station certificate's CN (SOAP), or `web:<address>` (the
    /// verification page).
    Station,
    /// The operator's codice fiscale (entries without one are not read).
    Operator,
    /// The comune the entry is about.
    Comune,
    /// The client address of a web entry (`web:<address>`; other entries
    /// are not read).
    Address,
    /// Every entry together.
    All,
}

/// What a rule measures over its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    Count,
    DistinctSubjects,
    OffHours,
    FirstSeen,
    OtherComuneShare,
}

/// One rule of `config/alerts.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub description: String,
    /// Audit operations read (`3002`, `6001`, `export`, `certificate-view`,
    /// …); empty: every one.
    #[serde(default)]
    pub operations: Vec<String>,
    /// Outcome prefixes read (`OK`, `FAULT:`, `CAPTCHA-FAILED`); empty:
    /// every outcome.
    #[serde(default)]
    pub outcomes: Vec<String>,
    pub by: By,
    pub measure: Measure,
    /// The sliding window (not used by `first-seen`).
    #[serde(default)]
    pub window_secs: u64,
    /// Fires when the measure exceeds it (not used by `first-seen`; a
    /// percentage for `other-comune-share`).
    #[serde(default)]
    pub threshold: u64,
    /// `other-comune-share`: the entries the window must hold before the
    /// share counts.
    #[serde(default)]
    pub min_entries: u64,
    pub severity: Severity,
    /// When it fires, refuse the key's traffic for this long (annex 3 §2b:
    /// an intrusion-prevention action); only for rules by `station` or
    /// `address`. 0: no block.
    #[serde(default)]
    pub block_secs: u64,
}

/// Office hours in Italian time (CET/CEST), for `off-hours`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHours {
    /// ISO weekdays, 1 Monday … 7 Sunday.
    pub days: Vec<u8>,
    /// `HH:MM`, start included, end excluded.
    pub from: String,
    pub to: String,
}

impl Default for OfficeHours {
    fn default() -> Self {
        OfficeHours {
            days: vec![1, 2, 3, 4, 5, 6],
            from: "07:00".into(),
            to: "20:00".into(),
        }
    }
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    #[serde(default)]
    pub office_hours: OfficeHours,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// Why a rule set cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("rule {0:?} appears twice")]
    Duplicate(String),
    #[error("rule {0:?} ({1:?}) needs window_secs > 0")]
    NoWindow(String, Measure),
    #[error("office_hours: {0}")]
    Hours(String),
    #[error("rule {0:?}: an id is letters, digits and '-', at most 64")]
    Id(String),
    #[error(
        "rule {0:?}: block_secs blocks a station or an address: by must be station or address"
    )]
    Block(String),
}

/// One audit entry, as the rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event<'a> {
    pub seq: i64,
    pub at_ms: i64,
    pub operation: &'a str,
    pub outcome: &'a str,
    pub station: &'a str,
    pub operator: Option<&'a str>,
    pub comune: Option<&'a str>,
    /// The subject the operation was about, when it names one.
    pub subject: Option<&'a str>,
    /// The comune of the general list that subject is on, when it is an
    /// elector.
    pub subject_comune: Option<&'a str>,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub rule: String,
    pub severity: Severity,
    pub key: String,
    /// The entry that made it fire.
    pub seq: i64,
    pub at_ms: i64,
    /// The entries in the window when it fired (at most [`MAX_ENTRIES`],
    /// the latest).
    pub entries: Vec<i64>,
    pub value: u64,
    pub threshold: u64,
    pub description: String,
    /// What the rule groups by, and how long it blocks the key (0: no block).
    pub by: By,
    pub block_secs: u64,
}

impl Fired {
    /// What it blocks, and until when: a station CN or a client address.
    pub fn block(&self) -> Option<(BlockKind, &str, i64)> {
        if self.block_secs == 0 {
            return None;
        }
        let until = self.at_ms + self.block_secs as i64 * 1000;
        match self.by {
            By::Station => match self.key.strip_prefix("web:") {
                Some(addr) => Some((BlockKind::Address, addr, until)),
                None => Some((BlockKind::Station, &self.key, until)),
            },
            By::Address => Some((BlockKind::Address, &self.key, until)),
            _ => None,
        }
    }
}

/// What a block refuses: a station's certificate, or a client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlockKind {
    Station,
    Address,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Station => "station",
            BlockKind::Address => "address",
        }
    }

    pub fn parse(s: &str) -> Option<BlockKind> {
        match s {
            "station" => Some(BlockKind::Station),
            "address" => Some(BlockKind::Address),
            _ => None,
        }
    }
}

/// How many triggering entries an alert lists.
pub const MAX_ENTRIES: usize = 100;

/// An entry inside a window.
#[derive(Debug)]
struct Held {
    at_ms: i64,
    seq: i64,
    subject: Option<String>,
    other_comune: bool,
}

/// A rule's window for one key.
#[derive(Debug, Default)]
struct Window {
    events: VecDeque<Held>,
    /// Entries per subject inside it.
    subjects: HashMap<String, u32>,
    /// Entries about electors of another comune inside it.
    others: u64,
    quiet_until: i64,
}

/// The rules and what they remember of the entries seen.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    days: Vec<Weekday>,
    from: Time,
    to: Time,
    windows: HashMap<(usize, String), Window>,
    seen: HashMap<usize, HashSet<String>>,
}

fn hhmm(s: &str) -> Result<Time, RuleError> {
    let bad = || RuleError::Hours(format!("{s:?} is not HH:MM"));
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    Time::from_hms(
        h.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        0,
    )
    .map_err(|_| bad())
}

impl Engine {
    pub fn new(set: RuleSet) -> Result<Engine, RuleError> {
        let mut ids = HashSet::new();
        for r in &set.rules {
            let ok = !r.id.is_empty()
                && r.id.len() <= 64
                && r.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(RuleError::Id(r.id.clone()));
            }
            if !ids.insert(r.id.clone()) {
                return Err(RuleError::Duplicate(r.id.clone()));
            }
            if r.block_secs > 0 && !matches!(r.by, By::Station | By::Address) {
                return Err(RuleError::Block(r.id.clone()));
            }
            if r.measure != Measure::FirstSeen && r.window_secs == 0 {
                return Err(RuleError::NoWindow(r.id.clone(), r.measure));
            }
        }
        let days = set
            .office_hours
            .days
            .iter()
            .map(|d| match d {
                1 => Ok(Weekday::Monday),
                2 => Ok(Weekday::Tuesday),
                3 => Ok(Weekday::Wednesday),
                4 => Ok(Weekday::Thursday),
                5 => Ok(Weekday::Friday),
                6 => Ok(Weekday::Saturday),
                7 => Ok(Weekday::Sunday),
                d => Err(RuleError::Hours(format!("day {d} is not 1 (Monday) to 7"))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Engine {
            rules: set.rules,
            days,
            from: hhmm(&set.office_hours.from)?,
            to: hhmm(&set.office_hours.to)?,
            windows: HashMap::new(),
            seen: HashMap::new(),
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The longest window, for rebuilding the windows after a restart.
    pub fn max_window_ms(&self) -> i64 {
        self.rules
            .iter()
            .map(|r| r.window_secs as i64 * 1000)
            .max()
            .unwrap_or(0)
    }

    /// Forgets every window and every key seen (before rebuilding them).
    pub fn forget(&mut self) {
        self.windows.clear();
        self.seen.clear();
    }

    /// Marks `key` as seen before, for the `first-seen` rules grouping by
    /// `by` (their memory, rebuilt after a restart).
    pub fn know(&mut self, by: By, key: &str) {
        for (i, r) in self.rules.iter().enumerate() {
            if r.measure == Measure::FirstSeen && r.by == by {
                self.seen.entry(i).or_default().insert(key.to_string());
            }
        }
    }

    /// Whether `at_ms` falls in the office hours (Italian time).
    pub fn in_office_hours(&self, at_ms: i64) -> bool {
        let Ok(utc) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        else {
            return true;
        };
        let local = utc.to_offset(italian_offset(utc));
        self.days.contains(&local.weekday()) && local.time() >= self.from && local.time() < self.to
    }

    /// An entry evaluated before (a restart rebuilding the windows): the
    /// state moves as if it were observed, nothing fires.
    pub fn warm(&mut self, e: &Event<'_>) {
        let _ = self.step(e, false);
    }

    /// The rules `e` makes fire.
    pub fn observe(&mut self, e: &Event<'_>) -> Vec<Fired> {
        self.step(e, true)
    }

    fn step(&mut self, e: &Event<'_>, fire: bool) -> Vec<Fired> {
        let mut fired = Vec::new();
        for i in 0..self.rules.len() {
            let r = &self.rules[i];
            let reads = (r.operations.is_empty() || r.operations.iter().any(|o| o == e.operation))
                && (r.outcomes.is_empty()
                    || r.outcomes.iter().any(|o| e.outcome.starts_with(o.as_str())));
            if !reads {
                continue;
            }
            let key = match r.by {
                By::Station => Some(e.station),
                By::Operator => e.operator,
                By::Comune => e.comune,
                By::Address => e.station.strip_prefix("web:"),
                By::All => Some("*"),
            };
            let Some(key) = key.filter(|k| !k.is_empty()) else {
                continue;
            };
            let measure = r.measure;
            if measure == Measure::FirstSeen {
                if self.seen.entry(i).or_default().insert(key.to_string()) && fire {
                    fired.push(self.fired(i, key, e, vec![e.seq], 1));
                }
                continue;
            }
            if measure == Measure::OffHours && self.in_office_hours(e.at_ms) {
                continue;
            }
            if measure == Measure::DistinctSubjects && e.subject.is_none() {
                continue;
            }
            let other_comune = match (measure, e.subject_comune, e.comune) {
                (Measure::OtherComuneShare, Some(theirs), Some(ours)) => theirs != ours,
                (Measure::OtherComuneShare, _, _) => continue,
                _ => false,
            };
            let window_ms = r.window_secs as i64 * 1000;
            let threshold = r.threshold;
            let w = self.windows.entry((i, key.to_string())).or_default();
            w.events.push_back(Held {
                at_ms: e.at_ms,
                seq: e.seq,
                subject: e.subject.map(str::to_string),
                other_comune,
            });
            if let Some(s) = e.subject {
                *w.subjects.entry(s.to_string()).or_default() += 1;
            }
            w.others += u64::from(other_comune);
            while w
                .events
                .front()
                .is_some_and(|h| h.at_ms <= e.at_ms - window_ms)
            {
                let Some(gone) = w.events.pop_front() else {
                    break;
                };
                w.others -= u64::from(gone.other_comune);
                if let Some(s) = gone.subject {
                    if let Some(n) = w.subjects.get_mut(&s) {
                        *n -= 1;
                        if *n == 0 {
                            w.subjects.remove(&s);
                        }
                    }
                }
            }
            let held = w.events.len() as u64;
            let value = match measure {
                Measure::DistinctSubjects => w.subjects.len() as u64,
                Measure::OtherComuneShare if held >= r.min_entries.max(1) => w.others * 100 / held,
                Measure::OtherComuneShare => 0,
                _ => held,
            };
            if value > threshold && e.at_ms >= w.quiet_until {
                w.quiet_until = e.at_ms + window_ms;
                let entries: Vec<i64> = w
                    .events
                    .iter()
                    .rev()
                    .take(MAX_ENTRIES)
                    .map(|h| h.seq)
                    .rev()
                    .collect();
                if fire {
                    fired.push(self.fired(i, key, e, entries, value));
                }
            }
        }
        fired
    }

    fn fired(&self, i: usize, key: &str, e: &Event<'_>, entries: Vec<i64>, value: u64) -> Fired {
        let r = &self.rules[i];
        Fired {
            rule: r.id.clone(),
            severity: r.severity,
            key: key.to_string(),
            seq: e.seq,
            at_ms: e.at_ms,
            entries,
            value,
            threshold: r.threshold,
            description: r.description.clone(),
            by: r.by,
            block_secs: r.block_secs,
        }
    }
}

/// The offset of Italian time at `utc`: CEST (+2) from 01:00 UTC on the
/// last Sunday of March to 01:00 UTC on the last Sunday of October, CET
/// (+1) otherwise (the EU rule, Directive 2000/84/EC).
pub fn italian_offset(utc: OffsetDateTime) -> UtcOffset {
    let last_sunday = |month: Month| {
        let next = if month == Month::December {
            Date::from_calendar_date(utc.year() + 1, Month::January, 1)
        } else {
            Date::from_calendar_date(utc.year(), month.next(), 1)
        };
        let mut d = next
            .expect("a valid date")
            .previous_day()
            .expect("a valid date");
        while d.weekday() != Weekday::Sunday {
            d = d.previous_day().expect("a valid date");
        }
        d.with_hms(1, 0, 0).expect("a valid time").assume_utc()
    };
    let summer = utc >= last_sunday(Month::March) && utc < last_sunday(Month::October);
    UtcOffset::from_hms(if summer { 2 } else { 1 }, 0, 0).expect("a valid offset")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn rule(id: &str, by: By, measure: Measure, window_secs: u64, threshold: u64) -> Rule {
        Rule {
            id: id.into(),
            description: format!("{id} description"),
            operations: vec![],
            outcomes: vec![],
            by,
            measure,
            window_secs,
            threshold,
            severity: Severity::Warning,
            block_secs: 0,
            min_entries: 0,
        }
    }

    fn engine(rules: Vec<Rule>) -> Engine {
        Engine::new(RuleSet {
            office_hours: OfficeHours::default(),
            rules,
        })
        .unwrap()
    }

    /// A Tuesday at 10:00 Italian time (09:00 UTC in winter).
    const T0: i64 = 1_736_240_400_000; // 2025-01-07T09:00:00Z

    fn ev(seq: i64, at_ms: i64, subject: Option<&'static str>) -> Event<'static> {
        Event {
            seq,
            at_ms,
            operation: "3002",
            outcome: "OK",
            station: "058091-PC-0001",
            operator: Some("RSSMRA80A01H501U"),
            comune: Some("058091"),
            subject,
            subject_comune: None,
        }
    }

    #[test]
    fn a_count_fires_once_at_the_entry_that_exceeds_it_and_not_below() {
        let mut e = engine(vec![rule("burst", By::Station, Measure::Count, 60, 3)]);
        let mut fired = Vec::new();
        for i in 0..10 {
            fired.extend(e.observe(&ev(i, T0 + i * 1000, None)));
        }
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert_eq!((fired[0].seq, fired[0].value), (3, 4));
        assert_eq!(fired[0].entries, [0, 1, 2, 3]);
        assert_eq!(fired[0].key, "058091-PC-0001");
        // At the threshold, spread out: never.
        let mut e = engine(vec![rule("burst", By::Station, Measure::Count, 60, 3)]);
        let quiet: Vec<Fired> = (0..20)
            .flat_map(|i| e.observe(&ev(i, T0 + i * 20_001, None)))
            .collect();
        assert!(quiet.is_empty(), "{quiet:?}");
        // After the quiet window, a new burst fires again.
        let mut e = engine(vec![rule("burst", By::Station, Measure::Count, 60, 3)]);
        let mut n = 0;
        for i in 0..5 {
            n += e.observe(&ev(i, T0 + i, None)).len();
        }
        for i in 5..10 {
            n += e.observe(&ev(i, T0 + 120_000 + i, None)).len();
        }
        assert_eq!(n, 2);
    }

    #[test]
    fn distinct_subjects_count_subjects_not_entries() {
        let mut e = engine(vec![rule(
            "many",
            By::Operator,
            Measure::DistinctSubjects,
            3600,
            2,
        )]);
        let subjects = ["A", "A", "B", "A", "B", "C", "D"];
        let fired: Vec<Fired> = subjects
            .iter()
            .enumerate()
            .flat_map(|(i, s)| e.observe(&ev(i as i64, T0 + i as i64, Some(s))))
            .collect();
        assert_eq!(fired.len(), 1);
        assert_eq!((fired[0].seq, fired[0].value), (5, 3));
        assert_eq!(fired[0].key, "RSSMRA80A01H501U");
    }

    #[test]
    fn off_hours_reads_only_entries_outside_the_office_in_italian_time() {
        let mut e = engine(vec![rule(
            "night",
            By::Operator,
            Measure::OffHours,
            3600,
            0,
        )]);
        // 18:59 UTC in January is 19:59 in Rome: inside; 19:00 UTC is 20:00: outside.
        let in_office = datetime!(2025-01-07 18:59 UTC).unix_timestamp() * 1000;
        assert!(e.observe(&ev(1, in_office, None)).is_empty());
        let out = datetime!(2025-01-07 19:00 UTC).unix_timestamp() * 1000;
        assert_eq!(e.observe(&ev(2, out, None))[0].seq, 2);
        // In July 18:00 UTC is 20:00 in Rome: outside; Sunday is outside all day.
        assert!(!e.in_office_hours(datetime!(2025-07-08 18:00 UTC).unix_timestamp() * 1000));
        assert!(e.in_office_hours(datetime!(2025-07-08 17:59 UTC).unix_timestamp() * 1000));
        assert!(!e.in_office_hours(datetime!(2025-07-06 10:00 UTC).unix_timestamp() * 1000));
        assert_eq!(
            italian_offset(datetime!(2025-03-30 00:59 UTC)).whole_hours(),
            1
        );
        assert_eq!(
            italian_offset(datetime!(2025-03-30 01:00 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            italian_offset(datetime!(2025-10-26 00:59 UTC)).whole_hours(),
            2
        );
        assert_eq!(
            italian_offset(datetime!(2025-10-26 01:00 UTC)).whole_hours(),
            1
        );
    }

    #[test]
    fn first_seen_fires_for_a_new_key_only_and_remembers_what_it_is_told() {
        let mut e = engine(vec![rule(
            "new-station",
            By::Station,
            Measure::FirstSeen,
            0,
            0,
        )]);
        e.know(By::Station, "058091-PC-0002");
        let mut a = ev(1, T0, None);
        a.station = "058091-PC-0002";
        assert!(e.observe(&a).is_empty());
        let mut b = ev(2, T0, None);
        b.station = "058091-PC-0009";
        assert_eq!(e.observe(&b)[0].key, "058091-PC-0009");
        assert!(e.observe(&b).is_empty());
    }

    #[test]
    fn filters_keys_and_warming() {
        let mut r = rule("captcha", By::Address, Measure::Count, 600, 1);
        r.operations = vec!["certificate-view".into()];
        r.outcomes = vec!["CAPTCHA-FAILED".into()];
        let mut e = engine(vec![r]);
        let web = |seq, outcome| Event {
            seq,
            at_ms: T0 + seq,
            operation: "certificate-view",
            outcome,
            station: "web:10.0.0.7",
            operator: None,
            comune: None,
            subject: None,
            subject_comune: None,
        };
        assert!(e.observe(&web(1, "OK")).is_empty());
        assert!(e.observe(&web(2, "CAPTCHA-FAILED")).is_empty());
        // A SOAP entry has no address.
        assert!(e.observe(&ev(3, T0 + 3, None)).is_empty());
        let f = e.observe(&web(4, "CAPTCHA-FAILED"));
        assert_eq!((f[0].key.as_str(), f[0].seq), ("10.0.0.7", 4));
        // Warmed entries move the state and fire nothing: a restart does
        // not fire twice for the same window.
        let mut again = engine(e.rules().to_vec());
        again.warm(&web(2, "CAPTCHA-FAILED"));
        again.warm(&web(4, "CAPTCHA-FAILED"));
        assert!(again.observe(&web(5, "CAPTCHA-FAILED")).is_empty());
    }

    #[test]
    fn bad_rule_sets_are_refused() {
        let twice = vec![
            rule("a", By::All, Measure::Count, 1, 1),
            rule("a", By::All, Measure::Count, 1, 1),
        ];
        assert!(matches!(
            Engine::new(RuleSet {
                office_hours: OfficeHours::default(),
                rules: twice
            }),
            Err(RuleError::Duplicate(_))
        ));
        let no_window = vec![rule("a", By::All, Measure::Count, 0, 1)];
        assert!(matches!(
            Engine::new(RuleSet {
                office_hours: OfficeHours::default(),
                rules: no_window
            }),
            Err(RuleError::NoWindow(..))
        ));
        let hours = OfficeHours {
            days: vec![8],
            ..OfficeHours::default()
        };
        assert!(matches!(
            Engine::new(RuleSet {
                office_hours: hours,
                rules: vec![]
            }),
            Err(RuleError::Hours(_))
        ));
    }

    #[test]
    fn the_share_of_other_comuni_counts_electors_only_once_there_are_enough() {
        let mut r = rule("others", By::Station, Measure::OtherComuneShare, 3600, 50);
        r.min_entries = 4;
        let mut e = engine(vec![r]);
        let at = |seq: i64, theirs: Option<&'static str>| Event {
            subject: Some("S"),
            subject_comune: theirs,
            ..ev(seq, T0 + seq, None)
        };
        // Not electors: not read. Two of three from Milano: not enough entries.
        assert!(e.observe(&at(1, None)).is_empty());
        assert!(e.observe(&at(2, Some("015146"))).is_empty());
        assert!(e.observe(&at(3, Some("058091"))).is_empty());
        assert!(e.observe(&at(4, Some("015146"))).is_empty());
        // Four held, half other: not above 50. The fifth makes 60%.
        assert!(e.observe(&at(5, Some("058091"))).is_empty());
        let f = e.observe(&at(6, Some("015146")));
        assert_eq!((f[0].seq, f[0].value), (6, 60));
    }
}
