-- When each stream falls due for destruction under the retention schedule. Kept in the transaction of
-- every event, so a sweep reads only the rows due (by the index on due_on), however large the store.
CREATE TABLE retention_schedule (
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    rule           TEXT NOT NULL,
    due_on         TEXT NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
CREATE INDEX retention_schedule_by_due ON retention_schedule (due_on);

-- Streams whose personal data was destroyed, and under which rule. No personal data.
CREATE TABLE destroyed_streams (
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    rule           TEXT NOT NULL,
    destroyed_on   TEXT NOT NULL,
    destroyed_at   TEXT NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Streams that must not be destroyed while a hold stands (a legal hold, or a request about them).
CREATE TABLE retention_holds (
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    reason         TEXT NOT NULL,
    placed_by      TEXT NOT NULL,
    placed_at      TEXT NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);

-- Applicant accounts fall due two years after their last sign-in (or creation): found by this index.
CREATE INDEX accounts_by_last_activity ON accounts (role, (COALESCE(last_sign_in_at, created_at)));
