-- One short reference per application, quoted on the telephone and in letters: ETP, the two-digit year in
-- which the application's cycle starts, and a six-digit number counted within that year
-- (ETP-26-004821). Given when the application is started, the next number of its year, in commit order;
-- never changed and never reused, so a rebuild leaves the table as it is and only gives a number to an
-- application without one (decision 0011).
CREATE TABLE application_references (
    application_id TEXT    PRIMARY KEY,
    year           BIGINT  NOT NULL,
    number         BIGINT  NOT NULL,
    UNIQUE (year, number)
);

-- The applications already started, numbered within their cycle's year in the order of their ids (which
-- are ordered by the time they were made).
INSERT INTO application_references (application_id, year, number)
SELECT id, year, ROW_NUMBER() OVER (PARTITION BY year ORDER BY id)
FROM (SELECT id, CAST(substr(cycle, 3, 2) AS BIGINT) AS year FROM application_views) started;
