-- 4001 extractions: one row per request, run in the background by any node
-- (a node claims a job; a claim older than the lease is taken over, so a
-- job whose node stopped is run again), followed with 4005, downloaded
-- with 7002. `state`: 0 inserted, 1 processing, 2 done, 3 refused, 99 failed.
CREATE TABLE extraction_jobs (
  id BIGINT PRIMARY KEY NOT NULL,
  comune_istat TEXT NOT NULL,
  criteria TEXT NOT NULL,
  state INTEGER NOT NULL,
  done BIGINT NOT NULL,
  total BIGINT,
  created_at BIGINT NOT NULL,
  claimed_at BIGINT,
  finished_at BIGINT,
  file TEXT,
  error TEXT
);
CREATE INDEX extraction_jobs_state ON extraction_jobs (state, claimed_at);
