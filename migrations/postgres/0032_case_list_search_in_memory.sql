-- The case list's text search is answered from memory by each server (projections/src/case_search.rs,
-- decision 0013), so the list keeps no normalised copy of the name and email address and no trigram index
-- of it. Without that index the list can be kept in 32 hash partitions of the application's id like every
-- other view: the scrub then writes anew only the partitions a deletion touched, not the whole list.
--
-- The dropped column's values stay in the old table's pages until they are written anew; moving the rows
-- into the partitions writes them anew without it and unlinks the old table's files.
DROP INDEX case_list_search;
DROP INDEX case_list_search_unfilled;
ALTER TABLE case_list DROP COLUMN search_text;
SELECT etp_into_partitions('case_list', 'id', 32);
