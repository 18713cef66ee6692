-- Cycles concluded, by a programme officer or automatically by the retention sweep on 31 December of the
-- cycle's second year: a fold of the Cycle streams' CycleConcluded events. No personal data.
CREATE TABLE cycle_conclusions (
    name         TEXT NOT NULL PRIMARY KEY,
    concluded_on TEXT NOT NULL,
    automatic    INTEGER NOT NULL,
    concluded_at TEXT NOT NULL,
    concluded_by TEXT NOT NULL
);

-- Information requests go on the retention schedule two years after they closed (the response issued, or
-- the decision or refusal recorded). Requests closed before this migration are entered now; 29 February
-- falls due on 28 February, as the schedule counts it.
INSERT INTO retention_schedule (aggregate_type, aggregate_id, rule, due_on)
SELECT 'InformationRequest', id, 'information_request',
       CASE WHEN substr(closed_on, 6, 5) = '02-29' THEN date(closed_on, '-1 day', '+24 months')
            ELSE date(closed_on, '+24 months') END
FROM (
    SELECT id, COALESCE(
        json_extract(doc, '$.responded_on'),
        substr(json_extract(doc, '$.erasure.decided_at'), 1, 10),
        substr(json_extract(doc, '$.rectification.decided_at'), 1, 10),
        substr(json_extract(doc, '$.restriction.decided_at'), 1, 10),
        substr(json_extract(doc, '$.objection.decided_at'), 1, 10),
        substr(json_extract(doc, '$.refusal.decided_at'), 1, 10)
    ) AS closed_on
    FROM information_requests
) AS closed
WHERE closed_on IS NOT NULL
ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING;

-- A response is read from the request's stream, where each copy of a record it keeps is sealed under that
-- record's own key; the desk's view no longer keeps it in clear.
UPDATE information_requests SET doc = json_remove(doc, '$.response') WHERE json_extract(doc, '$.response') IS NOT NULL;
