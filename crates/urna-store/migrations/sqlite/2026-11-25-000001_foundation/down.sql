DROP TABLE idempotency;
DROP TABLE operations;
DROP TABLE electors;
DROP TABLE sections;
DROP TABLE constituencies;
DROP TABLE comuni;
