-- Electoral takeover uploads (subentroSezioni / subentroListe): one job per
-- file, with a checkpoint committed together with each chunk of records.
CREATE TABLE subentro_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    comune_istat TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    declared INTEGER,
    records_done INTEGER NOT NULL,
    loaded INTEGER NOT NULL,
    anomalies INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX subentro_jobs_comune ON subentro_jobs (comune_istat, kind);

-- One row per refused record: the outcome report.
CREATE TABLE subentro_anomalies (
    job_id BIGINT NOT NULL REFERENCES subentro_jobs (id),
    record_no INTEGER NOT NULL,
    id_soggetto TEXT,
    code TEXT NOT NULL,
    field TEXT,
    value TEXT,
    text TEXT NOT NULL,
    PRIMARY KEY (job_id, record_no, code)
);

-- Notifications to comuni (N017: conflict on the electoral first load).
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL,
    comune_istat TEXT NOT NULL,
    id_soggetto TEXT NOT NULL,
    other_comune TEXT NOT NULL,
    job_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_comune ON notifications (comune_istat, created_at);
