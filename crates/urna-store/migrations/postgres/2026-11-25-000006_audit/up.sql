-- Tamper-evident audit log (docs/security.md, "Audit log"): every
-- operation, accepted or refused, appended in the same transaction as its
-- effect. Each entry carries the hash of the previous one (a chain); the
-- head is periodically signed and exported, so rewriting the whole table is
-- detected too. UPDATE, DELETE and TRUNCATE are refused by the database.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at_ms BIGINT NOT NULL,
    operation TEXT NOT NULL,
    outcome TEXT NOT NULL,
    id_operazione_anpr BIGINT,
    comune TEXT,
    station TEXT NOT NULL,
    operator TEXT,
    auth_mode TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    response_digest TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
