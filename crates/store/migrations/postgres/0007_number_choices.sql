-- Several People of a rep can share a number (a switchboard, a shared desk
-- line). The one the rep last chose in the panel for a number comes first on
-- the next call from it.
CREATE TABLE number_choices (
    rep_id BIGINT NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
    number TEXT NOT NULL,             -- E.164
    person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    chosen_at BIGINT NOT NULL,
    PRIMARY KEY (rep_id, number)
);
