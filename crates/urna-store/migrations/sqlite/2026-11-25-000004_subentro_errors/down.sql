DROP TABLE subentro_undo;
ALTER TABLE subentro_jobs DROP COLUMN error;
