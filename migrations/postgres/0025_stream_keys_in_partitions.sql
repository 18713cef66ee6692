-- The data keys in 256 hash partitions of the stream's id, so that after a sweep only the partitions that held
-- a destroyed key are written anew (decision 0013): each is about a 256th of the keys, a few milliseconds of
-- lock at a million streams, and the rest of the keys are not touched.
ALTER TABLE stream_keys RENAME TO stream_keys_before_partitions;
ALTER TABLE stream_keys_before_partitions RENAME CONSTRAINT stream_keys_pkey TO stream_keys_before_partitions_pkey;

CREATE TABLE stream_keys (
    aggregate_type TEXT        NOT NULL,
    aggregate_id   TEXT        NOT NULL,
    wrapped_key    BYTEA       NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id)
) PARTITION BY HASH (aggregate_id);

DO $$
BEGIN
    FOR remainder IN 0..255 LOOP
        EXECUTE format(
            'CREATE TABLE stream_keys_%s PARTITION OF stream_keys FOR VALUES WITH (MODULUS 256, REMAINDER %s)',
            lpad(remainder::text, 3, '0'), remainder);
    END LOOP;
END
$$;

INSERT INTO stream_keys (aggregate_type, aggregate_id, wrapped_key, created_at)
SELECT aggregate_type, aggregate_id, wrapped_key, created_at FROM stream_keys_before_partitions;
-- Dropping the old table unlinks its files, with whatever deleted keys they still held.
DROP TABLE stream_keys_before_partitions;

-- The partitions whose deleted keys may still be in their files, until the scrub writes them anew. A row
-- names a partition, never a stream.
CREATE TABLE scrub_pending (
    relation TEXT        NOT NULL,
    noted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE FUNCTION etp_note_scrub_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO scrub_pending (relation) VALUES (TG_TABLE_NAME);
    RETURN NULL;
END
$$;

-- Every way a key is erased (a stream destroyed, an account destroyed) notes its partition, in the same
-- transaction: a sweep stopped before its scrub leaves the note for the next one.
CREATE TRIGGER stream_key_erased AFTER DELETE ON stream_keys
    FOR EACH ROW EXECUTE FUNCTION etp_note_scrub_pending();
