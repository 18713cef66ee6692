-- The rest of the views kept for each application, in 32 hash partitions of their stream's id (decision 0013),
-- as the keys (0025), the record of reads (0027) and the committee's rows (0028) are: the referees' and
-- supervisors' addresses, which every application has, and the award holders' rows published or shared
-- (the directory, the alumni lists, the image consents) and their immigration records. Written anew whole by
-- the scrub, each would lock its table for hundreds of milliseconds at a million applications; in partitions,
-- the scrub writes anew only the partitions a deletion touched, each a thirty-second of the table. The
-- partitions line up with the keys' (n % 32 for the keys' n), so one batch of the sweep touches few.
--
-- `etp_into_partitions` moves a table into partitions keeping its name, columns, constraints and indexes
-- (each under its own name), its rows, and the trigger that notes each deletion's partition for the scrub.

CREATE FUNCTION etp_into_partitions(tbl TEXT, key TEXT, modulus INT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    old TEXT := tbl || '_before_partitions';
    constraint_defs TEXT[];
    constraint_names TEXT[];
    index_defs TEXT[];
    index_names TEXT[];
    i INT;
BEGIN
    -- What the table has, taken while it still has its name: its keys as constraints, its other indexes as
    -- the statements that made them (which name the table, so they make the same index on the new one).
    SELECT coalesce(array_agg(pg_get_constraintdef(c.oid) ORDER BY c.conname), '{}'),
           coalesce(array_agg(c.conname::text ORDER BY c.conname), '{}')
      INTO constraint_defs, constraint_names
      FROM pg_constraint c WHERE c.conrelid = tbl::regclass AND c.contype IN ('p', 'u');
    SELECT coalesce(array_agg(pg_get_indexdef(x.indexrelid) ORDER BY x.indexrelid), '{}'),
           coalesce(array_agg(x.indexrelid::regclass::text ORDER BY x.indexrelid), '{}')
      INTO index_defs, index_names
      FROM pg_index x
     WHERE x.indrelid = tbl::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid);

    EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, old);
    FOR i IN 1 .. coalesce(array_length(constraint_names, 1), 0) LOOP
        EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', old, constraint_names[i],
                       constraint_names[i] || '_before_partitions');
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(index_names, 1), 0) LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', index_names[i], index_names[i] || '_before_partitions');
    END LOOP;

    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS) PARTITION BY HASH (%I)', tbl, old, key);
    FOR i IN 0 .. modulus - 1 LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES WITH (MODULUS %s, REMAINDER %s)',
                       tbl || '_' || lpad(i::text, 3, '0'), tbl, modulus, i);
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(constraint_names, 1), 0) LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', tbl, constraint_names[i], constraint_defs[i]);
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(index_defs, 1), 0) LOOP
        EXECUTE index_defs[i];
    END LOOP;

    EXECUTE format('INSERT INTO %I SELECT * FROM %I', tbl, old);
    -- Dropping the old table unlinks its files, with whatever deleted rows they still held.
    EXECUTE format('DROP TABLE %I', old);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I FOR EACH ROW '
                   'WHEN (current_setting(''etp.emptying_views'', true) IS DISTINCT FROM ''on'') '
                   'EXECUTE FUNCTION etp_note_scrub_pending()', tbl || '_deleted', tbl);
END
$$;

SELECT etp_into_partitions('referee_index', 'application_id', 32);
SELECT etp_into_partitions('supervisor_index', 'application_id', 32);
SELECT etp_into_partitions('scholar_directory', 'application_id', 32);
SELECT etp_into_partitions('alumni_networking', 'application_id', 32);
SELECT etp_into_partitions('alumni_open_book', 'application_id', 32);
SELECT etp_into_partitions('media_consents', 'application_id', 32);
-- An immigration record is a stream of its own, destroyed on its own day: in partitions of its id.
SELECT etp_into_partitions('immigration_records', 'record_id', 32);
