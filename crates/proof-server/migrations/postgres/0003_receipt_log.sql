-- The verification log: every receipt the service signs, in order (docs/log.md). An
-- entry's leaf is the RFC 6962 leaf hash of the receipt's signed statement; entries and
-- the checkpoint of the new size are written in one transaction, under the lock of the
-- one row of receipt_log_head, so that replicas append to one sequence.
CREATE TABLE IF NOT EXISTS receipt_log_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    size  BIGINT NOT NULL
);
INSERT INTO receipt_log_head (id, size) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS receipt_log_entries (
    idx         BIGINT PRIMARY KEY,
    leaf_hash   TEXT NOT NULL,
    receipt     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS receipt_log_checkpoints (
    size        BIGINT PRIMARY KEY,
    origin      TEXT NOT NULL,
    root        TEXT NOT NULL,
    note        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
