-- The rep's availability: Available, or do not disturb in Chrome (the phone
-- still rings) or everywhere (calls go straight to the no-answer action),
-- until a time (Unix milliseconds) or until turned off (NULL). One row per rep
-- already exists here; a do-not-disturb whose time has passed reads as
-- Available, so nothing has to clear it.
ALTER TABLE dialer_settings ADD COLUMN availability_mode TEXT NOT NULL DEFAULT 'available'
    CHECK (availability_mode IN ('available', 'dnd_browser', 'dnd_everywhere'));
ALTER TABLE dialer_settings ADD COLUMN availability_until INTEGER
    CHECK (availability_until IS NULL OR availability_mode <> 'available');
