-- Double registrations: a subject on the general list of one comune (the
-- holder) that another comune's takeover also lists (the claimant). Open
-- until the holder no longer has the subject or the claimant withdraws.
CREATE TABLE double_registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    id_soggetto TEXT NOT NULL,
    holder_comune TEXT NOT NULL,
    claimant_comune TEXT NOT NULL,
    detected_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    closed_at BIGINT,
    closed_reason TEXT
);
CREATE UNIQUE INDEX double_registrations_open ON double_registrations (id_soggetto, holder_comune, claimant_comune) WHERE closed_at IS NULL;
CREATE INDEX double_registrations_holder ON double_registrations (holder_comune);
CREATE INDEX double_registrations_claimant ON double_registrations (claimant_comune);
