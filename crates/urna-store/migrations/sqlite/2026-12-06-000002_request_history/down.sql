DROP INDEX operations_subject;
ALTER TABLE operations DROP COLUMN subject_key;
ALTER TABLE idempotency DROP COLUMN request;
