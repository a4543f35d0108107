DROP TABLE extraction_jobs;
