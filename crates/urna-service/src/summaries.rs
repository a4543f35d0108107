//! Riepiloghi: a comune's electors per section, per list and by sex, with
//! totals, counted when read (`urna_store::summaries`), so they are right
//! the moment a change commits; the additional lists apart from the general
//! one.

use std::collections::BTreeMap;

use serde::Serialize;
use urna_store::StoreError;

use crate::Services;

/// Electors by sex.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BySex {
    #[serde(rename = "M")]
    pub m: i64,
    #[serde(rename = "F")]
    pub f: i64,
    pub totale: i64,
}

impl BySex {
    fn add(&mut self, sesso: &str, n: i64) {
        match sesso {
            "F" | "f" => self.f += n,
            _ => self.m += n,
        }
        self.totale += n;
    }
}

/// One section's counts, per list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SectionSummary {
    pub sezione: String,
    pub liste: BTreeMap<String, BySex>,
}

/// A comune's (or one section's) summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub comune: String,
    /// Per list, over the sections shown.
    pub totali: BTreeMap<String, BySex>,
    pub sezioni: Vec<SectionSummary>,
}

/// Sections in their natural order: numbers by value, then the others.
fn section_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

impl Services {
    /// The electors of comune `istat` (of one section when given) per
    /// section, list and sex.
    #[tracing::instrument(skip(self))]
    pub fn summary(&self, istat: &str, section: Option<&str>) -> Result<Summary, StoreError> {
        let counts = self
            .store
            .read(|c| urna_store::summaries::counts(c, istat, section))?;
        let mut out = Summary {
            comune: istat.to_string(),
            ..Summary::default()
        };
        let mut sections: BTreeMap<String, SectionSummary> = BTreeMap::new();
        for k in counts {
            out.totali
                .entry(k.lista.clone())
                .or_default()
                .add(&k.sesso, k.n);
            sections
                .entry(k.sezione.clone())
                .or_insert_with(|| SectionSummary {
                    sezione: k.sezione.clone(),
                    ..SectionSummary::default()
                })
                .liste
                .entry(k.lista)
                .or_default()
                .add(&k.sesso, k.n);
        }
        out.sezioni = sections.into_values().collect();
        out.sezioni
            .sort_by(|a, b| section_order(&a.sezione, &b.sezione));
        Ok(out)
    }
}

impl Summary {
    /// One CSV line per section and list: `sezione,lista,M,F,totale`, then
    /// the totals with section `totale`.
    pub fn to_csv(&self) -> String {
        let mut s = String::from("sezione,lista,M,F,totale\n");
        for sec in &self.sezioni {
            for (lista, n) in &sec.liste {
                s.push_str(&format!(
                    "{},{lista},{},{},{}\n",
                    sec.sezione, n.m, n.f, n.totale
                ));
            }
        }
        for (lista, n) in &self.totali {
            s.push_str(&format!("totale,{lista},{},{},{}\n", n.m, n.f, n.totale));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_sort_by_number_then_name() {
        let mut v = vec!["10", "A-7", "2", "1"];
        v.sort_by(|a, b| section_order(a, b));
        assert_eq!(v, ["1", "2", "10", "A-7"]);
    }
}
