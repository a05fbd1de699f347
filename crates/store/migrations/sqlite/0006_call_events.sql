-- A call's timeline: what happened to it, as it happened (rang which
-- browsers, Close, Accept by which device, forwarded, voicemail, hung up by
-- whom, logged). The server keeps at most a hundred per call.
CREATE TABLE call_events (
    id INTEGER PRIMARY KEY,
    call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX call_events_call ON call_events(call_id, id);
