-- Why a takeover job failed (a structurally broken file): shown by the
-- report and the HTTPS status, so the sender learns what to fix.
ALTER TABLE subentro_jobs ADD COLUMN error TEXT;

-- Before-images of the electors a lists upload changed that already had a
-- state (rows it created carry last_operation = -job id instead), so a job
-- whose file turns out broken can be rolled back exactly.
CREATE TABLE subentro_undo (
    id BIGSERIAL PRIMARY KEY,
    job_id BIGINT NOT NULL,
    id_soggetto TEXT NOT NULL,
    before_image TEXT NOT NULL
);
CREATE INDEX subentro_undo_job ON subentro_undo (job_id);
