ALTER TABLE operations DROP COLUMN auth_mode;
ALTER TABLE operations DROP COLUMN operator;
DROP TABLE replay_cache;
