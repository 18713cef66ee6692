-- An amendment of nationality or residence after eligibility was decided flags the case for the programme
-- officer to check eligibility and the recipients again, on the case list too, until the check is recorded.
ALTER TABLE case_list ADD COLUMN recheck_due INTEGER NOT NULL DEFAULT 0;
