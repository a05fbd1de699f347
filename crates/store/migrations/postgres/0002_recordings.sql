-- A voicemail's recording. The WAV itself is `recordings/<call id>.wav` under the
-- server's data directory; these say it exists and how long it is.
ALTER TABLE calls ADD COLUMN recording_ms BIGINT;
ALTER TABLE calls ADD COLUMN recording_bytes BIGINT;
