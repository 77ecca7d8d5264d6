-- Reference lists: immutable versions, one row per (name, version). `body` is the list
-- file as published (header lines and one row per leaf with its designation); `root` and
-- `size` are recomputed from it before it is stored.
CREATE TABLE IF NOT EXISTS lists (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    root        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    entries     INTEGER NOT NULL,
    provenance  TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (name, version)
);
