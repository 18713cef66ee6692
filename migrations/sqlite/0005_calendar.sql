-- Bank holidays proclaimed after the calendar's rules and one-off days were written, added by an officer.
CREATE TABLE added_holidays (
    date     TEXT NOT NULL,
    region   TEXT NOT NULL,
    name     TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (date, region)
);

-- Information requests as the desk lists them. Their deadlines are counted when read, in the calendar as
-- it then stands, so a day proclaimed later moves every open request.
CREATE TABLE information_requests (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    requester_email TEXT NOT NULL,
    subject_email   TEXT,
    received_on TEXT NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX information_requests_by_status ON information_requests (status, received_on);
-- A subject access request finds everything about a person through these indexes, not by reading the log.
CREATE INDEX information_requests_by_requester ON information_requests (requester_email);
CREATE INDEX information_requests_by_subject ON information_requests (subject_email);
CREATE INDEX case_list_by_email ON case_list (email);
CREATE INDEX immigration_records_by_application_and_time ON immigration_records (application_id, recorded_at);
