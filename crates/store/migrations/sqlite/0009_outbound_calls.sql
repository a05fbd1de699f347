-- Outbound calls, which the rep dials from the Dialer, share the calls
-- table (so the Calls page, the Person's history and the logs take them as
-- they are); `outcome` stays for inbound calls, `dial_outcome` says how an
-- outbound one went.
ALTER TABLE calls ADD COLUMN direction TEXT NOT NULL DEFAULT 'inbound'
    CHECK (direction IN ('inbound', 'outbound'));
ALTER TABLE calls ADD COLUMN dial_outcome TEXT
    CHECK (dial_outcome IN ('connected', 'no_answer', 'busy', 'declined', 'unreachable', 'refused', 'cancelled'));
