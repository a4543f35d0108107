//! Electors per section, list and sex of one comune, counted at read time
//! from the lists themselves (indexed aggregates: the cost follows the
//! comune's electors, not the country's; nothing to keep in step, so the
//! counts are right the moment a change commits).

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::schema::{electors, subjects};
use crate::{AnyConnection, StoreError};

/// One count: electors of `lista` in section `sezione` of sex `sesso`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    /// `generale`, `aggiunta-ue-comunali`, `aggiunta-ue-parlamento`,
    /// `aggiunta-bolzano`, `aggiunta-trento`, `aggiunta-aosta`.
    pub lista: String,
    pub sezione: String,
    /// `M` or `F` as the registry has it.
    pub sesso: String,
    pub n: i64,
}

/// The counts of comune `istat` (of one section when given), electors only
/// (`elettore` S).
pub fn counts(
    conn: &mut AnyConnection,
    istat: &str,
    section: Option<&str>,
) -> Result<Vec<Count>, StoreError> {
    let mut out = Vec::new();
    macro_rules! by_list {
        ($lista:literal, $comune:expr, $sezione:expr) => {{
            let base = electors::table
                .inner_join(subjects::table.on(subjects::id_soggetto.eq(electors::id_soggetto)))
                .filter($comune.eq(istat))
                .filter(electors::elettore.eq("S"));
            let rows: Vec<(Option<String>, String, i64)> = match section {
                Some(s) => base
                    .filter($sezione.eq(s))
                    .group_by(($sezione, subjects::sesso))
                    .select(($sezione, subjects::sesso, count_star()))
                    .load(conn)?,
                None => base
                    .group_by(($sezione, subjects::sesso))
                    .select(($sezione, subjects::sesso, count_star()))
                    .load(conn)?,
            };
            out.extend(rows.into_iter().map(|(sezione, sesso, n)| Count {
                lista: $lista.into(),
                sezione: sezione.unwrap_or_default(),
                sesso,
                n,
            }));
        }};
    }
    by_list!("generale", electors::gen_comune, electors::gen_sezione);
    by_list!(
        "aggiunta-ue-comunali",
        electors::ue_com_comune,
        electors::ue_com_sezione
    );
    by_list!(
        "aggiunta-ue-parlamento",
        electors::ue_parl_comune,
        electors::ue_parl_sezione
    );
    // The Bolzano/Trento/Aosta lists: few rows; which of the three is in
    // the stored detail.
    let mut q = electors::table
        .inner_join(subjects::table.on(subjects::id_soggetto.eq(electors::id_soggetto)))
        .filter(electors::comreg_comune.eq(istat))
        .filter(electors::elettore.eq("S"))
        .select((electors::comreg_sezione, subjects::sesso, electors::detail))
        .into_boxed();
    if let Some(s) = section {
        q = q.filter(electors::comreg_sezione.eq(s));
    }
    let rows: Vec<(Option<String>, String, String)> = q.load(conn)?;
    let mut comreg: std::collections::BTreeMap<(String, String, String), i64> = Default::default();
    for (sezione, sesso, detail) in rows {
        let kind = serde_json::from_str::<serde_json::Value>(&detail)
            .ok()
            .and_then(|d| d.get("comreg").and_then(|k| k.as_str()).map(str::to_string))
            .unwrap_or_else(|| "sconosciuta".into());
        *comreg
            .entry((
                format!("aggiunta-{}", kind.to_lowercase()),
                sezione.unwrap_or_default(),
                sesso,
            ))
            .or_default() += 1;
    }
    out.extend(
        comreg
            .into_iter()
            .map(|((lista, sezione, sesso), n)| Count {
                lista,
                sezione,
                sesso,
                n,
            }),
    );
    Ok(out)
}
