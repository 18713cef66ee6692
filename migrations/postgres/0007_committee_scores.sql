-- The committee's totals (the four criteria summed, 0 to 40), one row per application and member who scored it
-- without a conflict of interest, on applications that are not withdrawn: what a cycle's ranking reads.
CREATE TABLE committee_scores (
    application_id TEXT   NOT NULL,
    member_id      TEXT   NOT NULL,
    cycle          TEXT   NOT NULL,
    total          BIGINT NOT NULL,
    PRIMARY KEY (application_id, member_id)
);
CREATE INDEX committee_scores_by_cycle ON committee_scores (cycle, application_id);

-- The scores already given, from the applications' views, so a store needs no rebuild for them.
INSERT INTO committee_scores (application_id, member_id, cycle, total)
SELECT v.id,
       m ->> 'member_id',
       v.cycle,
       (m -> 'scores' ->> 'leadership')::BIGINT + (m -> 'scores' ->> 'networking')::BIGINT
           + (m -> 'scores' ->> 'study_plan')::BIGINT + (m -> 'scores' ->> 'career_plan')::BIGINT
FROM application_views v
CROSS JOIN LATERAL jsonb_array_elements(v.doc -> 'committee') AS m
WHERE v.doc ->> 'status' <> 'withdrawn'
  AND jsonb_typeof(m -> 'conflict') IS DISTINCT FROM 'object'
  AND jsonb_typeof(m -> 'scores') = 'object'
ON CONFLICT (application_id, member_id) DO NOTHING;
