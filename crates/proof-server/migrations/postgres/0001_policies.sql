-- Compiled policies: immutable versions keyed by (policy_id, policy_hash).
CREATE TABLE IF NOT EXISTS policies (
    seq         BIGSERIAL PRIMARY KEY,
    policy_id   TEXT NOT NULL,
    version     TEXT NOT NULL,
    policy_hash TEXT NOT NULL,
    ir_hash     TEXT NOT NULL,
    ir          TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (policy_id, policy_hash),
    UNIQUE (policy_id, version)
);
