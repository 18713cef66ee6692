-- The applications whose award records each academic supervisor, by the supervisor's email (lower case), so
-- that a subject access request by a supervisor finds them without reading every application. Every
-- supervisor in the award's history is in it. Destroyed with the application; rebuilt from its events.
CREATE TABLE supervisor_index (
    application_id TEXT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (application_id, email)
);
CREATE INDEX supervisor_index_email ON supervisor_index (email);

-- The supervisors already recorded, from the applications' views, so a store needs no rebuild for them.
INSERT INTO supervisor_index (application_id, email)
SELECT DISTINCT v.id, lower(trim(json_extract(h.value, '$.supervisor.email')))
FROM application_views v, json_each(v.doc, '$.administration.supervisor_history') h
WHERE trim(coalesce(json_extract(h.value, '$.supervisor.email'), '')) <> ''
ON CONFLICT (application_id, email) DO NOTHING;
