-- The export (`urna export`, GET /export/<ISTAT>) reads a comune's electors
-- in id order, a page at a time, from four streams: the general list, each
-- EU additional list without a general one, and those on no list whose
-- electoral data the comune sent (non-electors). Each stream has an index
-- in that order, so a page costs the same in a small store and a large one.
-- The comune that sent the flags was only in the JSON detail: it becomes a
-- column (kept in the detail too), filled from it.
ALTER TABLE electors ADD COLUMN flags_comune TEXT;
UPDATE electors SET flags_comune = json_extract(detail, '$.flags_comune');
CREATE INDEX electors_gen_id ON electors (gen_comune, id_soggetto);
CREATE INDEX electors_ue_com_id ON electors (ue_com_comune, id_soggetto) WHERE ue_com_comune IS NOT NULL;
CREATE INDEX electors_ue_parl_id ON electors (ue_parl_comune, id_soggetto) WHERE ue_parl_comune IS NOT NULL;
CREATE INDEX electors_unlisted_id ON electors (flags_comune, id_soggetto)
  WHERE gen_comune IS NULL AND ue_com_comune IS NULL AND ue_parl_comune IS NULL;
