//! 3002 (`interrogazioneCittadino_famiglia_convivenza`), electoral parts: a
//! subject's generalities and, by the caller's profile and comune, its
//! electoral data (docs/consultation.md, "3002"; rules R-Q1…R-Q6).

use std::collections::HashMap;

use urna_domain::consultation::{
    self, electoral_view, Candidate, ElectoralView, Request3002, Search, Situation, Viewer,
};
use urna_domain::date::parse_xs_date;
use urna_domain::elector::{ElectorState, ListRef};
use urna_domain::header::RequestHeader;
use urna_store::subjects::SubjectRow;
use urna_store::{comuni, electors, sections, subjects, AnyConnection, StoreError};
use urna_wire::consultation::{
    request_3002, CompleteLists, ComuneOut, ListKind, ListRecord, SubjectBlock, SubjectsReply,
};
use urna_wire::messages::Outcome;
use urna_wire::{Element, Operation};

use super::{Context, Decision, ServiceOperation, Stamp};
use crate::ServiceError;

pub(crate) struct SubjectQuery;

impl ServiceOperation for SubjectQuery {
    const OPERATION: Operation = Operation::Interrogazione3002;
    type Request = Request3002;
    /// The reply, assembled from what the plan read.
    type Change = SubjectsReply;

    fn extract(payload: &Element, _: &RequestHeader) -> Result<Request3002, ServiceError> {
        Ok(request_3002(payload))
    }

    fn plan(
        ctx: &mut Context<'_>,
        request: Request3002,
    ) -> Result<Decision<SubjectsReply>, ServiceError> {
        let search = match consultation::search(&request.criteria) {
            Ok(s) => s,
            Err(e) => return Ok(Err(vec![e])),
        };
        let found: Vec<SubjectRow> = find(ctx.conn, &search)?
            .into_iter()
            .filter(|s| request.criteria.matches(&candidate(s)))
            .collect();
        if found.is_empty() {
            return Ok(Err(vec![consultation::nothing_found()]));
        }
        let wants_electoral = request.wants_electoral();
        let mut reader = Reader {
            conn: &mut *ctx.conn,
            today: ctx.now.date().to_string(),
            comuni: HashMap::new(),
        };
        let several = found.len() > 1;
        let mut blocks = Vec::with_capacity(found.len());
        for s in &found {
            let elector = electors::get_row(reader.conn, &s.id_soggetto)?
                .map(|r| r.to_state())
                .transpose()?;
            let own = elector
                .as_ref()
                .is_some_and(|e| is_own(e, s, &ctx.sender.istat));
            let view = electoral_view(Situation {
                viewer: ctx.viewer,
                wants_electoral,
                several,
                communicated: elector.is_some(),
                own,
            });
            blocks.push(reader.block(s, elector.as_ref(), view, &ctx.sender.istat)?);
        }
        let warnings = if wants_electoral && ctx.viewer == Viewer::Registry {
            vec![consultation::profile_warning()]
        } else {
            vec![]
        };
        Ok(Ok(SubjectsReply {
            subjects: blocks,
            warnings,
        }))
    }

    fn apply(_: &mut AnyConnection, r: SubjectsReply, _: Stamp) -> Result<Outcome, ServiceError> {
        Ok(Outcome::Subjects(Box::new(r)))
    }
}

/// The subjects the search key names.
fn find(conn: &mut AnyConnection, search: &Search) -> Result<Vec<SubjectRow>, StoreError> {
    match search {
        Search::Id(id) => Ok(subjects::get(conn, id)?.into_iter().collect()),
        Search::CodiceFiscale(cf) => subjects::by_codice_fiscale(conn, cf),
        Search::Names {
            cognome,
            nome,
            born,
        } => subjects::by_names(conn, cognome, nome, &born.to_string()),
    }
}

fn candidate(s: &SubjectRow) -> Candidate<'_> {
    Candidate {
        id: &s.id_soggetto,
        codice_fiscale: &s.codice_fiscale,
        cognome: &s.cognome,
        nome: &s.nome,
        sesso: &s.sesso,
        data_nascita: parse_xs_date(&s.data_nascita),
    }
}

/// Every list placement of the elector, general list first.
fn placements(e: &ElectorState) -> Vec<(ListKind, &ListRef)> {
    let mut v = Vec::new();
    if let Some((l, _)) = &e.general {
        v.push((ListKind::General, l));
    }
    if let Some(l) = &e.ue_comunali {
        v.push((ListKind::UeComunali, l));
    }
    if let Some(l) = &e.ue_parlamento {
        v.push((ListKind::UeParlamento, l));
    }
    if let Some((k, l)) = &e.comreg {
        v.push((ListKind::ComReg(*k), l));
    }
    v
}

/// R-Q5: the subject is the sender's when one of its lists is the sender's,
/// or, on no list, when it resides there.
fn is_own(e: &ElectorState, s: &SubjectRow, sender: &str) -> bool {
    let lists = placements(e);
    if lists.is_empty() {
        return s.comune_residenza.as_deref() == Some(sender);
    }
    lists.iter().any(|(_, l)| l.comune == sender)
}

/// The plan's reads beyond the subject: comuni by ISTAT code (once each) and
/// sections. Unlike the 5010 rules' `ReadView`, which knows only comuni
/// active today, a reply names a list's comune by its last version too.
struct Reader<'c> {
    conn: &'c mut AnyConnection,
    today: String,
    comuni: HashMap<String, ComuneOut>,
}

impl Reader<'_> {
    fn comune(&mut self, istat: &str) -> Result<ComuneOut, StoreError> {
        if let Some(c) = self.comuni.get(istat) {
            return Ok(c.clone());
        }
        // A comune ceased since the data were recorded keeps its last name.
        let row = comuni::last_known(self.conn, istat, &self.today)?.ok_or_else(|| {
            StoreError::Data(format!(
                "a list names comune {istat}, unknown to the archive"
            ))
        })?;
        let c = ComuneOut {
            istat: istat.to_string(),
            nome: row.nome,
            sigla: row.sigla,
        };
        self.comuni.insert(istat.to_string(), c.clone());
        Ok(c)
    }

    fn block(
        &mut self,
        s: &SubjectRow,
        elector: Option<&ElectorState>,
        view: ElectoralView,
        sender: &str,
    ) -> Result<SubjectBlock, StoreError> {
        let mut block = SubjectBlock {
            id: s.id_soggetto.clone(),
            codice_fiscale: s.codice_fiscale.clone(),
            cognome: s.cognome.clone(),
            nome: s.nome.clone(),
            sesso: s.sesso.clone(),
            data_nascita: s.data_nascita.clone(),
            lista_elettorale: None,
            completa: None,
        };
        let Some(e) = elector else {
            return Ok(block);
        };
        if view == ElectoralView::Nothing {
            return Ok(block);
        }
        let lists = placements(e);
        let main = match lists.first() {
            Some((_, l)) => Some(self.comune(&l.comune)?),
            None => None,
        };
        block.lista_elettorale = Some((e.elettore.unwrap_or(false), main));
        let ElectoralView::Complete { detail } = view else {
            return Ok(block);
        };
        let mut liste = Vec::with_capacity(lists.len());
        for (kind, l) in lists {
            let general = kind == ListKind::General;
            let full = detail && l.comune == sender;
            let sezione_xml = if full {
                sections::get(self.conn, &l.comune, &l.sezione)?.map(|r| r.payload)
            } else {
                None
            };
            liste.push(ListRecord {
                comune: self.comune(&l.comune)?,
                sezione: l.sezione.clone(),
                elettore: e.elettore.unwrap_or(false),
                flags: e.flags.clone().filter(|_| general && detail),
                sezione_xml,
                doppia: e
                    .doppia
                    .as_ref()
                    .filter(|_| general && detail)
                    .map(|d| (d.tipo, d.data.to_string())),
                kind,
            });
        }
        block.completa = Some(CompleteLists {
            certificabilita: e.certificabile,
            cancellazione: e
                .cancelled
                .as_ref()
                .filter(|_| detail)
                .map(|c| (c.motivo, c.data.to_string())),
            liste,
        });
        Ok(block)
    }
}
