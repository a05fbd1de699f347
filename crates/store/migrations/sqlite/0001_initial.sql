-- Ringback schema, SQLite dialect. Times are Unix milliseconds (INTEGER).

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    -- Numbers written without a country code are read in this one.
    default_country_code INTEGER NOT NULL DEFAULT 1,
    disposition_required INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE reps (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,   -- argon2 PHC string
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- The numbers prospects call back. Each routes to exactly one rep.
CREATE TABLE dialer_numbers (
    number TEXT PRIMARY KEY,
    rep_id INTEGER NOT NULL REFERENCES reps(id) ON DELETE CASCADE
);

CREATE TABLE dialer_settings (
    rep_id INTEGER PRIMARY KEY REFERENCES reps(id) ON DELETE CASCADE,
    inbound_enabled INTEGER NOT NULL,
    forwarding_number TEXT,
    custom_caller_id TEXT,
    no_answer_action TEXT NOT NULL CHECK (no_answer_action IN ('forward', 'voicemail')),
    ring_timeout_secs INTEGER NOT NULL CHECK (ring_timeout_secs BETWEEN 5 AND 120)
);

-- Bearer tokens and WebSocket tickets are stored as SHA-256 hashes only.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    rep_id INTEGER NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

-- A ticket belongs to the session that asked for it, so signing out can end
-- the sockets that session opened.
CREATE TABLE ws_tickets (
    ticket_hash TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL REFERENCES sessions(token_hash) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    rep_id INTEGER NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    title TEXT,
    account TEXT,
    crm_url TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX people_rep ON people(rep_id, name);

CREATE TABLE person_phones (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    number TEXT NOT NULL,             -- E.164
    PRIMARY KEY (person_id, number)
);
CREATE INDEX person_phones_number ON person_phones(number);

CREATE TABLE dispositions (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL
);

CREATE TABLE sentiments (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL
);

CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    rep_id INTEGER NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
    -- A retried carrier webhook finds the call it already created.
    carrier_call_id TEXT NOT NULL UNIQUE,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    -- What the rep was shown at ring time (JSON PersonSnapshot).
    person_snapshot TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ringing', 'connected', 'ended')),
    outcome TEXT CHECK (outcome IN
        ('answered_in_browser', 'answered_on_phone', 'forwarded', 'voicemail', 'missed')),
    browser_leg TEXT NOT NULL,
    phone_leg TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ring_deadline INTEGER NOT NULL,
    answered_at INTEGER,
    ended_at INTEGER
);
CREATE INDEX calls_rep ON calls(rep_id, id DESC);
CREATE INDEX calls_status ON calls(status);

CREATE TABLE call_logs (
    call_id INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    rep_id INTEGER NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
    person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
    idempotency_key TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    disposition_id INTEGER REFERENCES dispositions(id),
    sentiment_id INTEGER REFERENCES sentiments(id),
    status TEXT NOT NULL CHECK (status IN ('completed', 'no_answer')),
    -- Written by the server (voicemail) rather than by the rep.
    automatic INTEGER NOT NULL DEFAULT 0,
    logged_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (rep_id, idempotency_key)
);

-- Rule 8, in the database too: once a rep has logged a call, its disposition and
-- sentiment never change. The one change allowed is the rep logging over an
-- automatic voicemail log, in the same statement that makes it the rep's.
CREATE TRIGGER call_logs_choices_immutable
BEFORE UPDATE OF disposition_id, sentiment_id ON call_logs
WHEN (OLD.automatic = 0 OR NEW.automatic = 1)
 AND (NEW.disposition_id IS NOT OLD.disposition_id OR NEW.sentiment_id IS NOT OLD.sentiment_id)
BEGIN
    SELECT RAISE(ABORT, 'disposition and sentiment cannot change once a call is logged');
END;

-- A rep's log never turns back into an automatic one (which would reopen it).
CREATE TRIGGER call_logs_stay_logged
BEFORE UPDATE OF automatic ON call_logs
WHEN OLD.automatic = 0 AND NEW.automatic = 1
BEGIN
    SELECT RAISE(ABORT, 'disposition and sentiment cannot change once a call is logged');
END;
