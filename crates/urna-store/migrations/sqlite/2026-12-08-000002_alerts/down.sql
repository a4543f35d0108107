DROP TABLE alert_cursor;
DROP TABLE alerts;
