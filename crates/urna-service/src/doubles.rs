//! Double registrations (rules R-D1…R-D3): what a comune sees of them, its
//! status, and the scan that re-derives them from the takeover history.

use serde::Serialize;
use urna_domain::doubles::{self, Status};
use urna_store::doubles::DoubleRow;
use urna_store::{electors, StoreError};

use crate::Services;

/// A comune's double registrations (open first) and its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComuneDoubles {
    pub comune: String,
    pub stato: Status,
    pub doppie_iscrizioni: Vec<DoubleRow>,
}

/// What a scan changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Double placements found in the takeover history and not recorded yet.
    pub opened: usize,
    /// Open ones whose holder no longer has the subject.
    pub closed: usize,
}

impl Services {
    /// The double registrations comune `istat` is part of, as holder or
    /// claimant, and whether they are all resolved (R-D3).
    pub fn double_registrations(&self, istat: &str) -> Result<ComuneDoubles, StoreError> {
        let rows = self
            .store()
            .read(|c| urna_store::doubles::for_comune(c, istat))?;
        Ok(ComuneDoubles {
            comune: istat.to_string(),
            stato: doubles::status(rows.iter().map(|r| r.closed_at)),
            doppie_iscrizioni: rows,
        })
    }

    /// Re-derives the double registrations, in one transaction: every first
    /// load refused because another comune's general list held the subject
    /// (the N017 pairs of the takeovers) whose holder still holds it gets a
    /// record unless it ever had one; every open one whose holder no longer
    /// holds the subject is closed.
    pub fn scan_double_registrations(&self) -> Result<ScanReport, StoreError> {
        let now = self.now_ms();
        self.store().write(|c| {
            let mut report = ScanReport::default();
            for row in urna_store::doubles::all_open(c)? {
                let state = electors::get(c, &row.id_soggetto)?;
                if doubles::resolved_by_holder(&row.holder_comune, &state) {
                    urna_store::doubles::close(
                        c,
                        row.id,
                        now,
                        &format!(
                            "verifica: il comune {} non ha piu' il soggetto nella lista generale",
                            row.holder_comune
                        ),
                    )?;
                    report.closed += 1;
                }
            }
            for (subject, comune, other) in urna_store::doubles::notified_pairs(c)? {
                let state = electors::get(c, &subject)?;
                let Some(holder) = state.general.as_ref().map(|(l, _)| l.comune.clone()) else {
                    continue;
                };
                let claimant = if holder == other {
                    comune
                } else if holder == comune {
                    other
                } else {
                    continue;
                };
                if !urna_store::doubles::ever(c, &subject, &holder, &claimant)? {
                    urna_store::doubles::open(c, &subject, &holder, &claimant, now, "scan")?;
                    report.opened += 1;
                }
            }
            Ok(report)
        })
    }
}
