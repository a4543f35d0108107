-- Stations and client addresses an alert rule blocked (block_secs), until
-- `until_ms` or until `urna alerts unblock` lifts them. Every node reads
-- them (docs/operations.md, "Alerts").
CREATE TABLE blocks (
    kind TEXT NOT NULL,
    block_key TEXT NOT NULL,
    until_ms BIGINT NOT NULL,
    rule TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, block_key)
);
