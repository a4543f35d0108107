-- Replay protection (docs/security.md, "What is accepted", Replay): the
-- SHA-256 of each accepted message signature, kept until the message's
-- Timestamp expires. The key is unique, so two urna nodes on one database
-- never both accept a message.
CREATE TABLE replay_cache (
    replay_key TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX replay_cache_expires ON replay_cache (expires_at);

-- Who operated: the SAML NameID (operator codice fiscale) and how the caller
-- authenticated (`wss-saml` for a verified security frame, `tls` when the
-- frame is not required).
ALTER TABLE operations ADD COLUMN operator TEXT;
ALTER TABLE operations ADD COLUMN auth_mode TEXT NOT NULL DEFAULT 'tls';
