-- Challenges of the public verification page: one per page view, answered
-- once before it expires; a solved one lets its page show the certificate
-- for a short while. The client's address bounds failed attempts.
CREATE TABLE captchas (
    id TEXT PRIMARY KEY NOT NULL,
    certificate_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    client TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    state INTEGER NOT NULL
);
CREATE INDEX captchas_client ON captchas (client, created_at);
CREATE INDEX captchas_expires ON captchas (expires_at);
