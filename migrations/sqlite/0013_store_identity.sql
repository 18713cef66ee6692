-- The store's own id: one row, made once when the store is first migrated. A backup carries it and a restore
-- puts it back, so a restored store keeps the id of the store it was taken from. Every line of the ledger of
-- destroyed streams names it, and a ledger written for another store is refused.
CREATE TABLE store_identity (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    id         TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- A random UUID (version 4), written as PostgreSQL's gen_random_uuid() writes one.
INSERT INTO store_identity (singleton, id, created_at) VALUES (
    1,
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
        substr(lower(hex(randomblob(2))), 2) || '-' ||
        substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' ||
        lower(hex(randomblob(6))),
    strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
);

-- The records a retention sweep could not destroy, with the cause (never personal data): shown on the
-- retention page and counted in the metrics whichever process swept, and tried again by the next sweep. A row
-- goes when the record is destroyed or a whole sweep no longer fails on it.
CREATE TABLE retention_failures (
    aggregate_type  TEXT NOT NULL,
    aggregate_id    TEXT NOT NULL,
    rule            TEXT NOT NULL,
    source          TEXT NOT NULL,
    cause           TEXT NOT NULL,
    first_failed_at TEXT NOT NULL,
    last_failed_at  TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
