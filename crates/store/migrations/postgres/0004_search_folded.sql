-- Case-folded copies of the searched text (lower() folds ASCII only under
-- the C locale, as SQLite's does). The server writes them with the text and
-- fills in older rows at start-up (store::fold::backfill).
ALTER TABLE people ADD COLUMN name_folded TEXT;
ALTER TABLE people ADD COLUMN account_folded TEXT;
-- The name the rep was shown at ring time (person_snapshot's), folded; '' for
-- an unknown caller.
ALTER TABLE calls ADD COLUMN person_name_folded TEXT;
