-- The region (ISO 3166 country, e.g. 'GB') a team's national numbers are read
-- in, set by an admin. NULL: the main region of default_country_code (1 → US),
-- which is kept in step with it.
ALTER TABLE teams ADD COLUMN default_region TEXT;
