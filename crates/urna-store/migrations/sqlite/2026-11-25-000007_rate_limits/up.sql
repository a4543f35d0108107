-- Rate limits shared by every urna node on this database (docs/security.md,
-- "Rate limits"): one row per key (station CN or comune) holding the GCRA
-- "theoretical arrival time" in Unix milliseconds, updated atomically per
-- request.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    tat BIGINT NOT NULL
);
