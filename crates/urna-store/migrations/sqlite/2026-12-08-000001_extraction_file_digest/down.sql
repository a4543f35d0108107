DROP INDEX extraction_jobs_file;
ALTER TABLE extraction_jobs DROP COLUMN file_sha256;
ALTER TABLE extraction_jobs DROP COLUMN file_bytes;
