-- Bank holidays proclaimed after the calendar's rules and one-off days were written, added by an officer.
CREATE TABLE added_holidays (
    date     DATE NOT NULL,
    region   TEXT NOT NULL,
    name     TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (date, region)
);
