DROP TABLE electors;
CREATE TABLE electors (
    id_soggetto TEXT PRIMARY KEY NOT NULL,
    comune_istat TEXT NOT NULL,
    sezione_numero TEXT
);
CREATE INDEX electors_section ON electors (comune_istat, sezione_numero);
DROP TABLE subjects;
