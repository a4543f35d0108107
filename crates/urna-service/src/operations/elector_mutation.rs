//! 5010 (`mutazioneElettore5010`): registers, moves, updates or removes one
//! elector in the lists (the rules live in `urna_domain::elector`).

use std::collections::HashSet;

use urna_domain::doubles;
use urna_domain::elector::{apply_5010, ElectorState, Mutation5010};
use urna_domain::header::RequestHeader;
use urna_store::{electors, sections, subjects, AnyConnection};
use urna_wire::messages::{self, Outcome};
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::view::ReadView;
use crate::ServiceError;

pub(crate) struct ElectorMutation;

/// What an accepted 5010 writes.
pub(crate) enum Change {
    /// The elector's new state.
    State {
        subject: String,
        state: Box<ElectorState>,
    },
    /// R-D2: the claimant of double registrations of the subject cancels it
    /// from its own lists, which urna never wrote: the double registrations
    /// close, the holder's list stays as it is.
    Withdraw { claimant: String, rows: Vec<i64> },
}

impl ServiceOperation for ElectorMutation {
    const OPERATION: Operation = Operation::Mutazione5010;
    type Request = Mutation5010;
    type Change = Change;

    fn extract(payload: &Element, header: &RequestHeader) -> Result<Mutation5010, ServiceError> {
        // The header rules refused a 5010 without dataDecorrenza (EHR97)
        // or with one off the calendar (EN148).
        let decorrenza = header.decorrenza().ok_or_else(|| {
            ServiceError::Corrupt("5010 past the header rules without a dataDecorrenza".into())
        })?;
        Ok(messages::mutation_5010(payload, decorrenza))
    }

    fn plan(ctx: &mut Context<'_>, m: Mutation5010) -> Result<Decision<Change>, ServiceError> {
        let today = ctx.today();
        let conn = &mut *ctx.conn;
        let sender = &ctx.sender;
        let subject = subjects::get(conn, &m.id_soggetto)?.map(|s| s.facts());
        let current = electors::get(conn, &m.id_soggetto)?;
        if m.cancellazione.is_some() && doubles::holder_met_by(&sender.istat, &current).is_some() {
            let rows: Vec<i64> = urna_store::doubles::open_for_subject(conn, &m.id_soggetto)?
                .into_iter()
                .filter(|r| r.claimant_comune == sender.istat)
                .map(|r| r.id)
                .collect();
            if !rows.is_empty() {
                return Ok(Ok(Change::Withdraw {
                    claimant: sender.istat.clone(),
                    rows,
                }));
            }
        }
        // Sections of the sender named by the request.
        let mut named: Vec<&str> = Vec::new();
        if let Some(l) = &m.liste {
            named.extend(l.generale.as_ref().map(|g| g.sezione.as_str()));
            if let Some(u) = &l.ue {
                named.extend(u.comunali_list.as_ref().map(|g| g.sezione.as_str()));
                named.extend(u.parlamento_list.as_ref().map(|g| g.sezione.as_str()));
            }
            if let Some(c) = &l.comreg {
                named.extend(c.list.as_ref().map(|g| g.sezione.as_str()));
            }
        }
        let mut existing = HashSet::new();
        for n in named {
            if sections::get(conn, &sender.istat, n)?.is_some() {
                existing.insert(n.to_string());
            }
        }
        // Comuni the message may name (the sender's is known already).
        let mut istats: Vec<String> = Vec::new();
        istats.extend(current.general.as_ref().map(|(l, _)| l.comune.clone()));
        istats.extend(current.ue_comunali.as_ref().map(|l| l.comune.clone()));
        istats.extend(current.ue_parlamento.as_ref().map(|l| l.comune.clone()));
        istats.extend(current.comreg.as_ref().map(|(_, l)| l.comune.clone()));
        istats.extend(current.cancelled.as_ref().map(|c| c.comune.clone()));
        istats.extend(current.first_load.clone());
        istats.extend(subject.as_ref().and_then(|s| s.residence.clone()));
        let mut world = ReadView::new(conn, sender, existing)?;
        world.learn_comuni(conn, istats, &today)?;
        Ok(
            apply_5010(sender, subject.as_ref(), &current, &m, &world).map(|state| Change::State {
                subject: m.id_soggetto,
                state: Box::new(state),
            }),
        )
    }

    fn apply(
        conn: &mut AnyConnection,
        change: Change,
        stamp: Stamp,
    ) -> Result<Outcome, ServiceError> {
        match change {
            Change::State { subject, state } => {
                electors::put(
                    conn,
                    &electors::ElectorRow::from_state(
                        &subject,
                        &state,
                        stamp.id_operazione_anpr,
                        stamp.received_at,
                    ),
                )?;
                // R-D2: the holder no longer holding the subject ends its
                // double registrations.
                for row in urna_store::doubles::open_for_subject(conn, &subject)? {
                    if doubles::resolved_by_holder(&row.holder_comune, &state) {
                        urna_store::doubles::close(
                            conn,
                            row.id,
                            stamp.received_at,
                            &format!(
                                "il comune {} non ha piu' il soggetto nella lista generale (operazione {})",
                                row.holder_comune, stamp.id_operazione_anpr
                            ),
                        )?;
                    }
                }
            }
            Change::Withdraw { claimant, rows } => {
                for id in rows {
                    urna_store::doubles::close(
                        conn,
                        id,
                        stamp.received_at,
                        &format!(
                            "il comune {claimant} ha cancellato il soggetto dalle proprie liste (operazione {})",
                            stamp.id_operazione_anpr
                        ),
                    )?;
                }
            }
        }
        Ok(Outcome::Done { warnings: vec![] })
    }
}
