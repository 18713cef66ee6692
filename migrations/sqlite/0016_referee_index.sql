-- The applications that name each referee, by the referee's email as given (lower case), so that a subject
-- access request by a referee finds the references without reading every application. Destroyed with the
-- application; rebuilt from the applications' events.
CREATE TABLE referee_index (
    application_id TEXT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (application_id, email)
);
CREATE INDEX referee_index_email ON referee_index (email);

-- The referees already named, from the applications' views, so a store needs no rebuild for them.
INSERT INTO referee_index (application_id, email)
SELECT DISTINCT v.id, lower(trim(json_extract(r.value, '$.email')))
FROM application_views v, json_each(v.doc, '$.form.referees') r
WHERE trim(coalesce(json_extract(r.value, '$.email'), '')) <> ''
ON CONFLICT (application_id, email) DO NOTHING;
