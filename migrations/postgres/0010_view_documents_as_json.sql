-- An application's view is read back whole and never queried into, so its document is kept as the JSON text
-- the server wrote: into `json` PostgreSQL only checks the text, where into `jsonb` it parsed every document
-- into its binary form at each write (a draft edit, every view of a rebuild). docs/benchmarks.md has the
-- figures.
ALTER TABLE application_views ALTER COLUMN doc TYPE json USING doc::json;
