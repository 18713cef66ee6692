-- Cycles concluded, by a programme officer or automatically by the retention sweep on 31 December of the
-- cycle's second year: a fold of the Cycle streams' CycleConcluded events. No personal data.
CREATE TABLE cycle_conclusions (
    name         TEXT NOT NULL PRIMARY KEY,
    concluded_on DATE NOT NULL,
    automatic    BOOLEAN NOT NULL,
    concluded_at TIMESTAMPTZ NOT NULL,
    concluded_by TEXT NOT NULL
);

-- Information requests go on the retention schedule two years after they closed (the response issued, or
-- the decision or refusal recorded). Requests closed before this migration are entered now.
INSERT INTO retention_schedule (aggregate_type, aggregate_id, rule, due_on)
SELECT 'InformationRequest', id, 'information_request', (closed_on + INTERVAL '24 months')::date
FROM (
    SELECT id, COALESCE(
        (doc->>'responded_on')::date,
        ((doc->'erasure'->>'decided_at')::timestamptz AT TIME ZONE 'UTC')::date,
        ((doc->'rectification'->>'decided_at')::timestamptz AT TIME ZONE 'UTC')::date,
        ((doc->'restriction'->>'decided_at')::timestamptz AT TIME ZONE 'UTC')::date,
        ((doc->'objection'->>'decided_at')::timestamptz AT TIME ZONE 'UTC')::date,
        ((doc->'refusal'->>'decided_at')::timestamptz AT TIME ZONE 'UTC')::date
    ) AS closed_on
    FROM information_requests
) AS closed
WHERE closed_on IS NOT NULL
ON CONFLICT (aggregate_type, aggregate_id) DO NOTHING;

-- A response is read from the request's stream, where each copy of a record it keeps is sealed under that
-- record's own key; the desk's view no longer keeps it in clear.
UPDATE information_requests SET doc = doc - 'response' WHERE doc ? 'response';
