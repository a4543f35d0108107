-- 3003: a comune's past requests by subject, and the requests themselves
-- beside their remembered replies.
ALTER TABLE operations ADD COLUMN subject_key TEXT;
CREATE INDEX operations_subject ON operations (comune_istat, subject_key);
ALTER TABLE idempotency ADD COLUMN request TEXT;
