DROP TABLE double_registrations;
