-- Electoral certificates issued by 6001 (previews are not stored): the
-- sealed PDF, kept until it expires, found by its unguessable id (the
-- contrassegno's URL) or by the short code printed beside the QR.
CREATE TABLE certificates (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    comune_istat TEXT NOT NULL,
    id_soggetto TEXT NOT NULL,
    tipo INTEGER NOT NULL,
    operation_id BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    languages TEXT NOT NULL,
    pdf BLOB NOT NULL
);
CREATE INDEX certificates_expires ON certificates (expires_at);
CREATE INDEX certificates_holder ON certificates (id_soggetto);
CREATE INDEX certificates_operation ON certificates (operation_id);

-- The holder of a certificate may be searched by surname, name and birth date.
CREATE INDEX subjects_names ON subjects (cognome, nome, data_nascita);
