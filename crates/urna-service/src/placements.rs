//! "Who holds this subject": every list placement of a subject, with the
//! comune, section and date and the last operation on the subject, so that
//! a comune a KO blocks knows whom to call (an urna extension; the facts are
//! those the KOs name: docs/rules.md R-E8, R-E18, R-E21).

use serde::Serialize;
use urna_store::{comuni, electors, operations, subjects, AnyConnection, StoreError};

use crate::Services;

/// One list the subject is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// `generale`, `aggiunta-ue-comunali`, `aggiunta-ue-parlamento`,
    /// `aggiunta-bolzano`, `aggiunta-trento`, `aggiunta-aosta`.
    pub lista: String,
    pub comune: String,
    /// The comune's name and province, when it is active.
    pub nome_comune: Option<String>,
    pub sezione: String,
    /// Since when (the general list's effective date), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dal: Option<String>,
}

/// The last accepted operation on the subject's electoral data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastOperation {
    pub id_operazione_anpr: i64,
    pub operazione: String,
    pub comune: String,
    /// Unix ms.
    pub ricevuta: i64,
}

/// Everything the lists say about one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placements {
    pub id_soggetto: String,
    pub codice_fiscale: String,
    pub elettore: Option<bool>,
    pub liste: Vec<Placement>,
    /// The cancellation from the general list, if any: comune, motive, date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancellazione: Option<(String, u8, String)>,
    /// The comune holding the subject's electoral certifiability.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificabilita: Option<(u8, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ultima_operazione: Option<LastOperation>,
}

fn comune_label(
    conn: &mut AnyConnection,
    istat: &str,
    today: &str,
) -> Result<Option<String>, StoreError> {
    Ok(comuni::active(conn, istat, today)?.map(|c| format!("{} ({})", c.nome, c.sigla)))
}

impl Services {
    /// The placements of the subject named by its ANPR id (digits) or
    /// codice fiscale; `None` when no subject (or more than one) matches.
    #[tracing::instrument(skip(self, key))]
    pub fn placements(&self, key: &str) -> Result<Option<Placements>, StoreError> {
        let today = self.now().date().to_string();
        self.store.read(|c| {
            let mut rows = if key.bytes().all(|b| b.is_ascii_digit()) {
                subjects::get(c, key)?.into_iter().collect()
            } else {
                subjects::by_codice_fiscale(c, key)?
            };
            if rows.len() != 1 {
                return Ok(None);
            }
            let s = rows.remove(0);
            // One read: the row gives the last operation, its state the lists.
            let row = electors::get_row(c, &s.id_soggetto)?;
            let state = match &row {
                Some(r) => r.to_state()?,
                None => Default::default(),
            };
            let mut liste = Vec::new();
            let mut place = |c: &mut AnyConnection,
                             lista: &str,
                             l: &urna_domain::elector::ListRef,
                             dal: Option<String>|
             -> Result<(), StoreError> {
                liste.push(Placement {
                    lista: lista.into(),
                    comune: l.comune.clone(),
                    nome_comune: comune_label(c, &l.comune, &today)?,
                    sezione: l.sezione.clone(),
                    dal,
                });
                Ok(())
            };
            if let Some((l, since)) = &state.general {
                place(c, "generale", l, Some(since.to_string()))?;
            }
            if let Some(l) = &state.ue_comunali {
                place(c, "aggiunta-ue-comunali", l, None)?;
            }
            if let Some(l) = &state.ue_parlamento {
                place(c, "aggiunta-ue-parlamento", l, None)?;
            }
            if let Some((k, l)) = &state.comreg {
                place(c, &format!("aggiunta-{}", k.key()), l, None)?;
            }
            let ultima_operazione =
                match row.as_ref().map(|r| r.last_operation).filter(|id| *id > 0) {
                    Some(id) => operations::get(c, id)?.map(|o| LastOperation {
                        id_operazione_anpr: o.id,
                        operazione: o.operation,
                        comune: o.comune_istat,
                        ricevuta: o.received_at,
                    }),
                    None => None,
                };
            Ok(Some(Placements {
                id_soggetto: s.id_soggetto,
                codice_fiscale: s.codice_fiscale,
                elettore: state.elettore,
                liste,
                cancellazione: state
                    .cancelled
                    .map(|k| (k.comune, k.motivo, k.data.to_string())),
                certificabilita: state.certificabile.zip(state.cert_comune),
                ultima_operazione,
            }))
        })
    }
}
