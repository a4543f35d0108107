-- An extraction's file is sent by 7002 as it is read from disk, never held
-- in memory: its size and SHA-256 (hex), recorded when the file is written,
-- let the reply be audited without reading the file again and let the
-- sender check that what it streamed is what was written.
ALTER TABLE extraction_jobs ADD COLUMN file_bytes BIGINT;
ALTER TABLE extraction_jobs ADD COLUMN file_sha256 TEXT;
CREATE INDEX extraction_jobs_file ON extraction_jobs (file_sha256);
