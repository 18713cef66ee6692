-- The terms of each application cycle an administrator has set (a cycle without a row is open all year,
-- without blind review, to every nationality): a fold of the Cycle streams' CycleTermsSet events.
CREATE TABLE cycles (
    name    TEXT NOT NULL PRIMARY KEY,
    -- The CycleTerms as JSON: opens_on, closes_on, blind_review, eligible_nationalities.
    terms   TEXT NOT NULL,
    set_at  TIMESTAMPTZ NOT NULL,
    set_by  TEXT NOT NULL
);
