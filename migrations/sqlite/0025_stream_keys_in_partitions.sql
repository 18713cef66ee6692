-- PostgreSQL's data keys are split into partitions here (decision 0013). SQLite overwrites what it deletes
-- as it deletes it (secure_delete), so its keys stay in one table, and this migration changes nothing.
SELECT 1;
