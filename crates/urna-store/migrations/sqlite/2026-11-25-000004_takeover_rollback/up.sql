-- Why a takeover job failed (a structurally broken file): shown by the
-- report and the HTTPS status, so the sender learns what to fix.
ALTER TABLE subentro_jobs ADD COLUMN error TEXT;

-- Before-images of the electors a lists upload changed that already had a
-- state (rows it created carry last_operation = -job id instead), so a job
-- whose file turns out broken can be rolled back exactly.
CREATE TABLE subentro_undo (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    job_id BIGINT NOT NULL,
    id_soggetto TEXT NOT NULL,
    before_image TEXT NOT NULL
);
CREATE INDEX subentro_undo_job ON subentro_undo (job_id);

-- The additional lists hold a few percent of the electors: index only the
-- rows that are on them, so bulk loads do not maintain three indexes of
-- NULLs (lookups `comune = ?` imply NOT NULL and use these indexes).
DROP INDEX electors_ue_com;
DROP INDEX electors_ue_parl;
DROP INDEX electors_comreg;
CREATE INDEX electors_ue_com ON electors (ue_com_comune, ue_com_sezione) WHERE ue_com_comune IS NOT NULL;
CREATE INDEX electors_ue_parl ON electors (ue_parl_comune, ue_parl_sezione) WHERE ue_parl_comune IS NOT NULL;
CREATE INDEX electors_comreg ON electors (comreg_comune, comreg_sezione) WHERE comreg_comune IS NOT NULL;
