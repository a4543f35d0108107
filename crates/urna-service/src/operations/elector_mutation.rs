//! 5010 (`mutazioneElettore5010`): registers, moves, updates or removes one
//! elector in the lists (the rules live in `urna_domain::elector`).

use std::collections::HashSet;

use urna_domain::elector::{apply_5010, ElectorState, Mutation5010};
use urna_domain::header::RequestHeader;
use urna_store::{electors, sections, subjects, AnyConnection};
use urna_wire::messages::{self, Outcome};
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::view::ReadView;
use crate::ServiceError;

pub(crate) struct ElectorMutation;

/// The elector's new state.
pub(crate) struct Change {
    subject: String,
    state: Box<ElectorState>,
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
            apply_5010(sender, subject.as_ref(), &current, &m, &world).map(|state| Change {
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
        electors::put(
            conn,
            &electors::ElectorRow::from_state(
                &change.subject,
                &change.state,
                stamp.id_operazione_anpr,
                stamp.received_at,
            ),
        )?;
        Ok(Outcome::Done { warnings: vec![] })
    }
}
