-- Signing in and out, and who read what.

-- A token carries its account's credentials version; a password change moves the version on, and every
-- token issued before it opens nothing.
ALTER TABLE accounts ADD COLUMN credentials_version INTEGER NOT NULL DEFAULT 0;

-- Tokens signed out before they expired, kept until they would have expired.
CREATE TABLE revoked_tokens (
    jti        TEXT        PRIMARY KEY,
    expires_at TEXT        NOT NULL
);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

-- Failed sign-ins by account and by address, for the back-off. The key is a keyed hash of the email
-- address or of the network address, never the address itself.
CREATE TABLE sign_in_failures (
    key             TEXT        PRIMARY KEY,
    failures        INTEGER     NOT NULL,
    last_failure_at TEXT        NOT NULL,
    blocked_until   TEXT        NOT NULL
);

-- Every read of an application's personal data by staff: who, when, which case, through what. Destroyed
-- with the application.
CREATE TABLE personal_data_reads (
    id             TEXT        PRIMARY KEY,
    application_id TEXT        NOT NULL,
    reader_id      TEXT        NOT NULL,
    reader_role    TEXT        NOT NULL,
    what           TEXT        NOT NULL,
    at             TEXT        NOT NULL
);
CREATE INDEX personal_data_reads_by_application ON personal_data_reads (application_id, at);
