-- The registry of subjects (who a 5010 idSoggetto is).
CREATE TABLE subjects (
    id_soggetto TEXT PRIMARY KEY NOT NULL,
    codice_fiscale TEXT NOT NULL,
    cognome TEXT NOT NULL,
    nome TEXT NOT NULL,
    sesso TEXT NOT NULL,
    data_nascita TEXT NOT NULL,
    luogo_nascita TEXT NOT NULL,
    cittadinanza TEXT NOT NULL,
    comune_residenza TEXT,
    aire INTEGER NOT NULL,
    certificabile_anagrafe INTEGER,
    cancellato_anpr INTEGER NOT NULL
);
CREATE INDEX subjects_cf ON subjects (codice_fiscale);

-- Current electoral state of a subject (the decree keeps no history of list
-- data; the operations table is the log). Replaces the placeholder table.
DROP TABLE electors;
CREATE TABLE electors (
    id_soggetto TEXT PRIMARY KEY NOT NULL,
    elettore TEXT,
    gen_comune TEXT,
    gen_sezione TEXT,
    ue_com_comune TEXT,
    ue_com_sezione TEXT,
    ue_parl_comune TEXT,
    ue_parl_sezione TEXT,
    comreg_comune TEXT,
    comreg_sezione TEXT,
    certificabile INTEGER,
    first_load_comune TEXT,
    last_decorrenza TEXT,
    -- The rest of the state (start date of the general list, last
    -- cancellation, flags and circumscriptions, Bolzano/Trento/Aosta kind,
    -- doppia lista, who set certifiability), as JSON.
    detail TEXT NOT NULL,
    last_operation BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX electors_general ON electors (gen_comune, gen_sezione);
CREATE INDEX electors_ue_com ON electors (ue_com_comune, ue_com_sezione);
CREATE INDEX electors_ue_parl ON electors (ue_parl_comune, ue_parl_sezione);
CREATE INDEX electors_comreg ON electors (comreg_comune, comreg_sezione);
