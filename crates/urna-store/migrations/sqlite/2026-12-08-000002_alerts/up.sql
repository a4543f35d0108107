-- Alerts raised by the rules of config/alerts.toml over the audit log
-- (docs/operations.md, "Alerts"): the rule, the key it grouped by, the
-- entry that made it fire and the window's entries (seqs, comma-separated),
-- until an operator acknowledges it. One alert per rule, key and entry,
-- however many nodes evaluate.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    alert_key TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    entries TEXT NOT NULL,
    value BIGINT NOT NULL,
    threshold BIGINT NOT NULL,
    description TEXT NOT NULL,
    acked_at BIGINT,
    acked_by TEXT
);
CREATE UNIQUE INDEX alerts_once ON alerts (rule, alert_key, seq);
CREATE INDEX alerts_at ON alerts (at_ms);
-- The last audit entry the rules have read (none yet: the first evaluation
-- starts at the head of the log, without raising alerts on the past).
CREATE TABLE alert_cursor (
    id INTEGER PRIMARY KEY NOT NULL,
    seq BIGINT
);
INSERT INTO alert_cursor (id, seq) VALUES (1, NULL);
