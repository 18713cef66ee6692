-- The event log. global_position is set by the writer to max + 1: SQLite has one writer at a time, so the
-- position is gap-free and in commit order.
CREATE TABLE events (
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    sequence        INTEGER NOT NULL CHECK (sequence >= 1),
    event_type      TEXT    NOT NULL,
    event_version   TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    metadata        TEXT    NOT NULL,
    global_position INTEGER NOT NULL UNIQUE,
    recorded_at     TEXT    NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

-- One data key per stream, wrapped by the master key. Destroying a row destroys the stream's personal data.
CREATE TABLE stream_keys (
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    wrapped_key    BLOB NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    full_name       TEXT NOT NULL,
    role            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    last_sign_in_at TEXT
);

CREATE TABLE application_views (
    id           TEXT    PRIMARY KEY,
    applicant_id TEXT    NOT NULL,
    cycle        TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    doc          TEXT    NOT NULL,
    UNIQUE (applicant_id, cycle)
);

CREATE TABLE case_list (
    id                   TEXT    PRIMARY KEY,
    cycle                TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    full_name            TEXT,
    email                TEXT,
    nationality          TEXT,
    country_of_residence TEXT,
    submitted_at         TEXT,
    updated_at           TEXT    NOT NULL,
    mean_score           REAL,
    scores               INTEGER NOT NULL
);
CREATE INDEX case_list_by_cycle_status ON case_list (cycle, status, updated_at);
CREATE INDEX case_list_by_update ON case_list (updated_at);

CREATE TABLE case_assignments (
    application_id TEXT    NOT NULL,
    member_id      TEXT    NOT NULL,
    conflicted     INTEGER NOT NULL,
    PRIMARY KEY (application_id, member_id)
);
CREATE INDEX case_assignments_by_member ON case_assignments (member_id, application_id);

CREATE TABLE immigration_records (
    record_id      TEXT PRIMARY KEY,
    application_id TEXT NOT NULL,
    kind           TEXT NOT NULL,
    reference      TEXT NOT NULL,
    issued_on      TEXT NOT NULL,
    recorded_at    TEXT NOT NULL
);
CREATE INDEX immigration_records_by_application ON immigration_records (application_id);
