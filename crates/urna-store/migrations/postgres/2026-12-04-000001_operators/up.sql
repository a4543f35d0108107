-- Operators of each comune (the SAML NameID's codice fiscale) and their
-- profiles, a comma-separated list of `elettorale`, `anagrafe`.
CREATE TABLE operators (
    comune_istat TEXT NOT NULL,
    codice_fiscale TEXT NOT NULL,
    profiles TEXT NOT NULL,
    PRIMARY KEY (comune_istat, codice_fiscale)
);
