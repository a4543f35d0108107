DROP INDEX electors_gen_id;
DROP INDEX electors_ue_com_id;
DROP INDEX electors_ue_parl_id;
DROP INDEX electors_unlisted_id;
ALTER TABLE electors DROP COLUMN flags_comune;
