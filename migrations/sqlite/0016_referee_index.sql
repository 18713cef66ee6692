-- The applications that name each referee, by the referee's email as given (lower case), so that a subject
-- access request by a referee finds the references without reading every application. Destroyed with the
-- application; rebuilt from the applications' events.
CREATE TABLE referee_index (
    application_id TEXT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (application_id, email)
);
CREATE INDEX referee_index_email ON referee_index (email);
