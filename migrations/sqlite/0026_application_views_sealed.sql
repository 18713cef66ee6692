-- Each application's view is sealed under the application's own data key (decision 0013): the document is
-- AES-256-GCM ciphertext, bound to its row and version, so that erasing the key destroys the view wherever its
-- bytes still lie, and the sweep need not write this table anew after a destruction.
--
-- Sealing needs the keys, which only etp can unwrap: the table is dropped (with `secure_delete` its pages are
-- overwritten as they are freed, with every document they held in clear) and made again empty, and the views are asked to be rebuilt, which the server
-- does when it next starts (`EventRepository::rebuild_projections_if_asked`).
DROP TABLE application_views;

CREATE TABLE application_views (
    id           TEXT    PRIMARY KEY,
    applicant_id TEXT    NOT NULL,
    cycle        TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    doc          BLOB    NOT NULL,
    UNIQUE (applicant_id, cycle)
);

-- A row here asks for every view to be rebuilt from the log; a rebuild clears it in its own transaction.
CREATE TABLE views_to_rebuild (
    asked_by TEXT PRIMARY KEY
);
INSERT INTO views_to_rebuild (asked_by)
SELECT '0026_application_views_sealed' WHERE EXISTS (SELECT 1 FROM events);
