-- Objects, their edges, tombstones and dataspaces. Times are microseconds since 1970 UTC.

CREATE TABLE dataspaces (
    uri TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    store_created INTEGER NOT NULL,
    store_last_write INTEGER NOT NULL,
    custom_data TEXT NOT NULL DEFAULT '{}'  -- JSON object
);

INSERT INTO dataspaces (uri, path, store_created, store_last_write)
VALUES (
    'eml:///', '',
    CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
    CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
);

-- id is stable across replaces: per-object data (channel data blocks) will key on it.
CREATE TABLE objects (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    dataspace TEXT NOT NULL REFERENCES dataspaces (uri),
    qualified_type TEXT NOT NULL,
    uuid TEXT NOT NULL,
    object_version TEXT NOT NULL,
    name TEXT NOT NULL,
    last_changed INTEGER NOT NULL,
    store_created INTEGER NOT NULL,
    store_last_write INTEGER NOT NULL,
    active INTEGER NOT NULL,  -- 1 Active, 0 Inactive
    xml BLOB NOT NULL  -- last: scans of the other columns stop before it
);
CREATE INDEX objects_by_dataspace_type ON objects (dataspace, qualified_type);
CREATE INDEX objects_by_dataspace_write ON objects (dataspace, store_last_write);

-- The edges an object holds; the target may not be stored (yet).
CREATE TABLE edges (
    source_id INTEGER NOT NULL REFERENCES objects (id),
    target TEXT NOT NULL,
    relationship TEXT NOT NULL CHECK (relationship IN ('Primary', 'Secondary')),
    containment INTEGER NOT NULL,  -- 1: the source's XML contains the target
    PRIMARY KEY (source_id, target)
);
CREATE INDEX edges_by_target ON edges (target);

CREATE TABLE deleted_objects (
    uri TEXT PRIMARY KEY,
    dataspace TEXT NOT NULL,
    qualified_type TEXT NOT NULL,
    deleted_time INTEGER NOT NULL
);
CREATE INDEX deleted_objects_by_dataspace_time ON deleted_objects (dataspace, deleted_time);
