-- The register of recipients personal data may be disclosed to (organisations, not people).
CREATE TABLE recipients (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    country       TEXT NOT NULL,
    registered_at TEXT NOT NULL
);

-- The lists the programme publishes or shares. Each holds only the fields it shows, and never a person who
-- has opted out of it; each row is replaced in the transaction of any event of its application.
CREATE TABLE scholar_directory (
    application_id TEXT PRIMARY KEY,
    full_name      TEXT NOT NULL,
    institution    TEXT NOT NULL,
    course         TEXT NOT NULL,
    country        TEXT NOT NULL
);

CREATE TABLE alumni_networking (
    application_id TEXT PRIMARY KEY,
    full_name      TEXT NOT NULL,
    email          TEXT NOT NULL,
    institution    TEXT NOT NULL,
    course         TEXT NOT NULL,
    country        TEXT NOT NULL
);

CREATE TABLE alumni_open_book (
    application_id TEXT    PRIMARY KEY,
    full_name      TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    institution    TEXT    NOT NULL,
    level          TEXT    NOT NULL,
    outcome        TEXT    NOT NULL,
    year           INTEGER NOT NULL,
    country        TEXT    NOT NULL
);

CREATE TABLE media_consents (
    application_id TEXT PRIMARY KEY,
    full_name      TEXT NOT NULL
);
