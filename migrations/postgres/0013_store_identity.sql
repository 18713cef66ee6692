-- The store's own id: one row, made once when the store is first migrated. A backup carries it and a restore
-- puts it back, so a restored store keeps the id of the store it was taken from. Every line of the ledger of
-- destroyed streams names it, and a ledger written for another store is refused.
CREATE TABLE store_identity (
    singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    id         TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO store_identity (id) VALUES (gen_random_uuid()::text);

-- The records a retention sweep could not destroy, with the cause (never personal data): shown on the
-- retention page and counted in the metrics whichever process swept, and tried again by the next sweep. A row
-- goes when the record is destroyed or a whole sweep no longer fails on it.
CREATE TABLE retention_failures (
    aggregate_type  TEXT NOT NULL,
    aggregate_id    TEXT NOT NULL,
    rule            TEXT NOT NULL,
    source          TEXT NOT NULL,
    cause           TEXT NOT NULL,
    first_failed_at TIMESTAMPTZ NOT NULL,
    last_failed_at  TIMESTAMPTZ NOT NULL,
    attempts        BIGINT NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
