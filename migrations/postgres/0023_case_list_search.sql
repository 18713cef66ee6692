-- The case list is searched as caseworkers search: by any part of a name or an email address, accents and
-- case ignored. `search_text` holds the name and the email address normalised by etp as it writes the row
-- (decomposed, marks stripped, lower case: projections/src/case_list.rs); a trigram index answers
-- `search_text LIKE '%…%'` without reading every row. pg_trgm is a trusted extension: the owner of the
-- database may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE case_list ADD COLUMN search_text TEXT;
CREATE INDEX case_list_search ON case_list USING gin (search_text gin_trgm_ops);

-- The rows written before this migration, until etp fills their search text (at start, after migrating).
CREATE INDEX case_list_search_unfilled ON case_list (id) WHERE search_text IS NULL;

-- The list is paged from the last row shown, most recently changed first: (updated_at, id) below the cursor.
CREATE INDEX case_list_by_recency ON case_list (updated_at DESC, id DESC);
DROP INDEX case_list_by_update;
