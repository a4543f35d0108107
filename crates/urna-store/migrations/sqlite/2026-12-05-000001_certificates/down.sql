DROP INDEX subjects_names;
DROP TABLE certificates;
