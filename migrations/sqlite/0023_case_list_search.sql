-- The case list is searched as caseworkers search: by any part of a name or an email address, accents and
-- case ignored. `search_text` holds the name and the email address normalised by etp as it writes the row
-- (decomposed, marks stripped, lower case: projections/src/case_list.rs). `case_search` is its trigram
-- index (FTS5), keyed by the case list's rowid and kept in step by the triggers below. It holds no copy of
-- the text (contentless), and a deleted row's trigrams are removed from it, not only marked deleted
-- (secure-delete), so nothing of a destroyed application stays in its pages.
ALTER TABLE case_list ADD COLUMN search_text TEXT;
CREATE VIRTUAL TABLE case_search USING fts5(search_text, content = '', contentless_delete = 1, tokenize = 'trigram');
INSERT INTO case_search (case_search, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER case_search_inserted AFTER INSERT ON case_list WHEN new.search_text IS NOT NULL
BEGIN
    INSERT INTO case_search (rowid, search_text) VALUES (new.rowid, new.search_text);
END;
CREATE TRIGGER case_search_updated AFTER UPDATE OF search_text ON case_list
WHEN old.search_text IS NOT new.search_text
BEGIN
    DELETE FROM case_search WHERE rowid = old.rowid;
    INSERT INTO case_search (rowid, search_text) SELECT new.rowid, new.search_text WHERE new.search_text IS NOT NULL;
END;
CREATE TRIGGER case_search_deleted AFTER DELETE ON case_list
BEGIN
    DELETE FROM case_search WHERE rowid = old.rowid;
END;

-- The rows written before this migration, until etp fills their search text (at start, after migrating).
CREATE INDEX case_list_search_unfilled ON case_list (id) WHERE search_text IS NULL;

-- The list is paged from the last row shown, most recently changed first: (updated_at, id) below the cursor.
CREATE INDEX case_list_by_recency ON case_list (updated_at DESC, id DESC);
DROP INDEX case_list_by_update;
