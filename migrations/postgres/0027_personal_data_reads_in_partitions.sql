-- The record of reads of personal data in 32 hash partitions of the application's id (decision 0013). An
-- application's reads are destroyed with it; the table grows with every read staff make, so writing it anew
-- whole after each sweep came to lock it for longer than any other table (1.1 to 1.4 s at 10,000 applications
-- after a load test). In partitions, the scrub writes anew only those a destruction touched. 32, not the keys'
-- 256: every partition and its two indexes is a lock a migration, a restore or a statement that reaches them
-- all must hold, and 256 more exhausted PostgreSQL's lock table with a few stores migrating at once. 32 divides
-- 256, so the reads of the streams of one key partition (a sweep's batch, formed in the order of the keys'
-- partitions) are all in one partition here: number n % 32 for the keys' n. Every read is looked up by its
-- application, so each query reads one partition.
ALTER TABLE personal_data_reads RENAME TO personal_data_reads_before_partitions;
ALTER TABLE personal_data_reads_before_partitions
    RENAME CONSTRAINT personal_data_reads_pkey TO personal_data_reads_before_partitions_pkey;
ALTER INDEX personal_data_reads_by_application RENAME TO personal_data_reads_before_partitions_by_application;

CREATE TABLE personal_data_reads (
    id             TEXT        NOT NULL,
    application_id TEXT        NOT NULL,
    reader_id      TEXT        NOT NULL,
    reader_role    TEXT        NOT NULL,
    what           TEXT        NOT NULL,
    at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (application_id, id)
) PARTITION BY HASH (application_id);

DO $$
BEGIN
    FOR remainder IN 0..31 LOOP
        EXECUTE format(
            'CREATE TABLE personal_data_reads_%s PARTITION OF personal_data_reads FOR VALUES WITH (MODULUS 32, REMAINDER %s)',
            lpad(remainder::text, 3, '0'), remainder);
    END LOOP;
END
$$;
CREATE INDEX personal_data_reads_by_application ON personal_data_reads (application_id, at);

INSERT INTO personal_data_reads (id, application_id, reader_id, reader_role, what, at)
SELECT id, application_id, reader_id, reader_role, what, at FROM personal_data_reads_before_partitions;
-- Dropping the old table unlinks its files, with whatever deleted reads they still held.
DROP TABLE personal_data_reads_before_partitions;

-- Every deletion of a read notes its partition for the scrub, in the deleting transaction (as 0025 does for
-- the keys).
CREATE TRIGGER personal_data_read_deleted AFTER DELETE ON personal_data_reads
    FOR EACH ROW EXECUTE FUNCTION etp_note_scrub_pending();
