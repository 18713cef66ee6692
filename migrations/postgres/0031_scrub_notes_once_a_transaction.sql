-- A note in scrub_pending for each partition a transaction deleted from, not for each row deleted. A sweep of
-- 100,000 due records deleted about 800,000 rows across the partitioned tables and left as many notes, which
-- the scrub then read once for each of the 672 partitions it wrote anew (1.5 minutes at 100,000 applications).
-- The first deletion in a partition notes it and marks the transaction (a setting local to it, undone with
-- it, or with the savepoint it was made under); the rest only look at the mark.
CREATE OR REPLACE FUNCTION etp_note_scrub_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('etp.noted_' || TG_TABLE_NAME, true) IS DISTINCT FROM 'on' THEN
        INSERT INTO scrub_pending (relation) VALUES (TG_TABLE_NAME);
        PERFORM set_config('etp.noted_' || TG_TABLE_NAME, 'on', true);
    END IF;
    RETURN NULL;
END
$$;

CREATE INDEX scrub_pending_by_relation ON scrub_pending (relation);
