-- The case list's text search is answered from memory by each server (projections/src/case_search.rs,
-- decision 0013), as it is on PostgreSQL: the normalised copy of the name and email address and its trigram
-- index (FTS5) go. The store's `secure_delete` overwrites the pages they free.
DROP TRIGGER case_search_inserted;
DROP TRIGGER case_search_updated;
DROP TRIGGER case_search_deleted;
DROP TABLE case_search;
DROP INDEX case_list_search_unfilled;
ALTER TABLE case_list DROP COLUMN search_text;
