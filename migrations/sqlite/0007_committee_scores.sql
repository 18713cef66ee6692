-- The committee's totals (the four criteria summed, 0 to 40), one row per application and member who scored it
-- without a conflict of interest, on applications that are not withdrawn: what a cycle's ranking reads.
CREATE TABLE committee_scores (
    application_id TEXT    NOT NULL,
    member_id      TEXT    NOT NULL,
    cycle          TEXT    NOT NULL,
    total          INTEGER NOT NULL,
    PRIMARY KEY (application_id, member_id)
);
CREATE INDEX committee_scores_by_cycle ON committee_scores (cycle, application_id);

-- The scores already given, from the applications' views, so a store needs no rebuild for them.
INSERT INTO committee_scores (application_id, member_id, cycle, total)
SELECT v.id,
       json_extract(m.value, '$.member_id'),
       v.cycle,
       json_extract(m.value, '$.scores.leadership') + json_extract(m.value, '$.scores.networking')
           + json_extract(m.value, '$.scores.study_plan') + json_extract(m.value, '$.scores.career_plan')
FROM application_views v, json_each(v.doc, '$.committee') m
WHERE json_extract(v.doc, '$.status') <> 'withdrawn'
  AND json_extract(m.value, '$.conflict') IS NULL
  AND json_extract(m.value, '$.scores') IS NOT NULL
ON CONFLICT (application_id, member_id) DO NOTHING;
