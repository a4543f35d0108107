DROP TABLE notifications;
DROP TABLE subentro_anomalies;
DROP TABLE subentro_jobs;
