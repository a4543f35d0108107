//! The read view the 5010 rules look things up in (`urna_domain::elector::World`),
//! filled before the rules run: by a request's plan and by a takeover
//! upload alike.

use std::collections::{HashMap, HashSet};

use urna_domain::elector::World;
use urna_domain::section::{ConstituencyTable, SenderComune};
use urna_store::{comuni, constituencies, AnyConnection, StoreError};

/// What the rules may ask about the sender and the comuni a message names.
pub struct ReadView {
    sender: String,
    /// Section numbers of the sender that exist.
    sections: HashSet<String>,
    table: constituencies::ComuneConstituencies,
    /// Name and sigla by ISTAT code.
    comuni: HashMap<String, (String, String)>,
}

impl ReadView {
    /// The sender's constituency table and the given existing sections.
    pub fn new(
        conn: &mut AnyConnection,
        sender: &SenderComune,
        sections: HashSet<String>,
    ) -> Result<ReadView, StoreError> {
        let mut comuni = HashMap::new();
        comuni.insert(
            sender.istat.clone(),
            (sender.nome.clone(), sender.sigla.clone()),
        );
        Ok(ReadView {
            sender: sender.istat.clone(),
            sections,
            table: constituencies::for_comune(conn, &sender.istat)?,
            comuni,
        })
    }

    /// Learns the names of these comuni (active `today`), once each.
    pub fn learn_comuni(
        &mut self,
        conn: &mut AnyConnection,
        istats: impl IntoIterator<Item = String>,
        today: &str,
    ) -> Result<(), StoreError> {
        for i in istats {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.comuni.entry(i) {
                if let Some(c) = comuni::active(conn, slot.key(), today)? {
                    slot.insert((c.nome, c.sigla));
                }
            }
        }
        Ok(())
    }

    /// A section of the sender now exists (a takeover's sections file).
    pub fn add_section(&mut self, numero: String) {
        self.sections.insert(numero);
    }

    /// The sender's constituency table.
    pub fn table(&self) -> &constituencies::ComuneConstituencies {
        &self.table
    }
}

impl World for ReadView {
    fn section_exists(&self, istat: &str, numero: &str) -> bool {
        istat == self.sender && self.sections.contains(numero)
    }

    fn constituencies(&self) -> &dyn ConstituencyTable {
        &self.table
    }

    fn comune_label(&self, istat: &str) -> String {
        match self.comuni.get(istat) {
            Some((nome, sigla)) => format!("{nome} ({sigla}) {istat}"),
            None => istat.to_string(),
        }
    }

    fn comune_sigla(&self, istat: &str) -> Option<String> {
        self.comuni.get(istat).map(|(_, s)| s.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_the_senders_only() {
        let v = ReadView {
            sender: "058091".into(),
            sections: HashSet::from(["1".to_string()]),
            table: Default::default(),
            comuni: HashMap::from([("058091".to_string(), ("ROMA".to_string(), "RM".to_string()))]),
        };
        assert!(v.section_exists("058091", "1"));
        assert!(
            !v.section_exists("015146", "1"),
            "another comune's section 1"
        );
        assert!(!v.section_exists("058091", "01"));
        assert_eq!(v.comune_label("058091"), "ROMA (RM) 058091");
        assert_eq!(v.comune_label("015146"), "015146");
    }
}
