-- The dates an award's administration waits on: an open offer's reply-by date (the daily sweep lapses it the
-- day after) and each progress report still outstanding (the officer's desk lists those due and overdue). A
-- fold of the application's view; no personal data.
CREATE TABLE award_dates (
    application_id TEXT NOT NULL,
    kind           TEXT NOT NULL,
    due_on         TEXT NOT NULL,
    PRIMARY KEY (application_id, kind, due_on)
);
CREATE INDEX award_dates_by_kind_and_day ON award_dates (kind, due_on);
