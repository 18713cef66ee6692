-- The committee's assignments and scores in 32 hash partitions of the application's id, as the record of reads
-- is (0027; decision 0013). Both are destroyed with their application; written anew whole by every scrub they
-- came to lock their table for 446 and 360 ms at 100,000 applications, and would for seconds at a million.
-- In partitions, the scrub writes anew only those a deletion touched, each a thirty-second of the table. Their
-- partitions line up with the keys' and the reads' (n % 32 for the keys' n), so a sweep's batch, formed in the
-- order of the keys' partitions, touches few of them.
ALTER TABLE case_assignments RENAME TO case_assignments_before_partitions;
ALTER TABLE case_assignments_before_partitions
    RENAME CONSTRAINT case_assignments_pkey TO case_assignments_before_partitions_pkey;
ALTER INDEX case_assignments_by_member RENAME TO case_assignments_before_partitions_by_member;

CREATE TABLE case_assignments (
    application_id TEXT    NOT NULL,
    member_id      TEXT    NOT NULL,
    conflicted     BOOLEAN NOT NULL,
    PRIMARY KEY (application_id, member_id)
) PARTITION BY HASH (application_id);

ALTER TABLE committee_scores RENAME TO committee_scores_before_partitions;
ALTER TABLE committee_scores_before_partitions
    RENAME CONSTRAINT committee_scores_pkey TO committee_scores_before_partitions_pkey;
ALTER INDEX committee_scores_by_cycle RENAME TO committee_scores_before_partitions_by_cycle;

CREATE TABLE committee_scores (
    application_id TEXT   NOT NULL,
    member_id      TEXT   NOT NULL,
    cycle          TEXT   NOT NULL,
    total          BIGINT NOT NULL,
    PRIMARY KEY (application_id, member_id)
) PARTITION BY HASH (application_id);

DO $$
BEGIN
    FOR remainder IN 0..31 LOOP
        EXECUTE format(
            'CREATE TABLE case_assignments_%s PARTITION OF case_assignments FOR VALUES WITH (MODULUS 32, REMAINDER %s)',
            lpad(remainder::text, 3, '0'), remainder);
        EXECUTE format(
            'CREATE TABLE committee_scores_%s PARTITION OF committee_scores FOR VALUES WITH (MODULUS 32, REMAINDER %s)',
            lpad(remainder::text, 3, '0'), remainder);
    END LOOP;
END
$$;
CREATE INDEX case_assignments_by_member ON case_assignments (member_id, application_id);
CREATE INDEX committee_scores_by_cycle ON committee_scores (cycle, application_id);

INSERT INTO case_assignments (application_id, member_id, conflicted)
SELECT application_id, member_id, conflicted FROM case_assignments_before_partitions;
INSERT INTO committee_scores (application_id, member_id, cycle, total)
SELECT application_id, member_id, cycle, total FROM committee_scores_before_partitions;
-- Dropping the old tables unlinks their files, with whatever deleted rows they still held.
DROP TABLE case_assignments_before_partitions;
DROP TABLE committee_scores_before_partitions;

-- Every deletion notes its partition for the scrub, in the deleting transaction (as 0025 does for the keys),
-- except while a rebuild empties the views: it sets etp.emptying_views for that statement and notes every
-- partition once instead of once for each of millions of rows.
CREATE TRIGGER case_assignment_deleted AFTER DELETE ON case_assignments
    FOR EACH ROW WHEN (current_setting('etp.emptying_views', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION etp_note_scrub_pending();
CREATE TRIGGER committee_score_deleted AFTER DELETE ON committee_scores
    FOR EACH ROW WHEN (current_setting('etp.emptying_views', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION etp_note_scrub_pending();
