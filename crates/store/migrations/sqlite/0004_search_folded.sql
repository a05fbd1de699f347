-- Case-folded copies of the searched text (SQLite's lower() and LIKE fold
-- ASCII only). The server writes them with the text and fills in older rows at
-- start-up (store::fold::backfill), since SQL cannot fold beyond ASCII.
ALTER TABLE people ADD COLUMN name_folded TEXT;
ALTER TABLE people ADD COLUMN account_folded TEXT;
-- The name the rep was shown at ring time (person_snapshot's), folded; '' for
-- an unknown caller.
ALTER TABLE calls ADD COLUMN person_name_folded TEXT;
