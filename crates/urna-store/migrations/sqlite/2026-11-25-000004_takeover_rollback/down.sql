DROP INDEX electors_ue_com;
DROP INDEX electors_ue_parl;
DROP INDEX electors_comreg;
CREATE INDEX electors_ue_com ON electors (ue_com_comune, ue_com_sezione);
CREATE INDEX electors_ue_parl ON electors (ue_parl_comune, ue_parl_sezione);
CREATE INDEX electors_comreg ON electors (comreg_comune, comreg_sezione);
DROP TABLE subentro_undo;
ALTER TABLE subentro_jobs DROP COLUMN error;
