-- The answers to creating requests sent with an Idempotency-Key header, kept 24 hours, so that a client
-- that retries (after a timeout or a 503) is given the first answer instead of making a second record.
-- `scope` is a hash of who sent it, the method, the path and the key; `fingerprint` a hash of the body.
-- `status` is NULL while the first request is still being answered.
CREATE TABLE idempotency_keys (
    scope        TEXT        PRIMARY KEY,
    fingerprint  TEXT        NOT NULL,
    status       INTEGER,
    content_type TEXT,
    location     TEXT,
    body         BLOB,
    created_at   TEXT        NOT NULL
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
