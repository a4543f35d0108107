-- Municipalities, from ANPR's archive (one row per historical version).
CREATE TABLE comuni (
    id BIGINT PRIMARY KEY NOT NULL,
    istat TEXT NOT NULL,
    cod_catastale TEXT NOT NULL,
    nome TEXT NOT NULL,
    altro_nome TEXT,
    sigla TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    stato TEXT NOT NULL
);
CREATE INDEX comuni_istat ON comuni (istat);

-- Ministry "standard field" tables: valid constituency strings per comune
-- ('*' = every comune).
CREATE TABLE constituencies (
    kind TEXT NOT NULL,
    comune_istat TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, comune_istat, value)
);

CREATE TABLE sections (
    comune_istat TEXT NOT NULL,
    numero TEXT NOT NULL,
    denominazione TEXT NOT NULL,
    payload TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_operation BIGINT NOT NULL,
    PRIMARY KEY (comune_istat, numero)
);

-- Electors' general-list placement (filled by 5010 and the first load).
CREATE TABLE electors (
    id_soggetto TEXT PRIMARY KEY NOT NULL,
    comune_istat TEXT NOT NULL,
    sezione_numero TEXT
);
CREATE INDEX electors_section ON electors (comune_istat, sezione_numero);

-- Every operation, accepted or refused; id = idOperazioneANPR.
CREATE TABLE operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    comune_istat TEXT NOT NULL,
    id_operazione_comune TEXT NOT NULL,
    operation TEXT NOT NULL,
    station_cn TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    codes TEXT NOT NULL,
    request_digest TEXT NOT NULL
);
CREATE INDEX operations_comune ON operations (comune_istat, received_at);

-- Idempotency store: the answer given to (comune, idOperazioneComune).
CREATE TABLE idempotency (
    comune_istat TEXT NOT NULL,
    id_operazione_comune TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    operation_id BIGINT NOT NULL REFERENCES operations (id),
    response TEXT NOT NULL,
    PRIMARY KEY (comune_istat, id_operazione_comune)
);
