-- Objects, their edges, tombstones, dataspaces and the change log behind LISTEN/NOTIFY.
-- Times are microseconds since 1970 UTC.

CREATE TABLE dataspaces (
    uri TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    store_created BIGINT NOT NULL,
    store_last_write BIGINT NOT NULL,
    custom_data TEXT NOT NULL DEFAULT '{}'  -- JSON object
);

INSERT INTO dataspaces (uri, path, store_created, store_last_write)
VALUES (
    'eml:///', '',
    (extract(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT,
    (extract(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT
);

-- id is stable across replaces: per-object data (channel data blocks) will key on it.
CREATE TABLE objects (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    dataspace TEXT NOT NULL REFERENCES dataspaces (uri),
    qualified_type TEXT NOT NULL,
    uuid TEXT NOT NULL,
    object_version TEXT NOT NULL,
    name TEXT NOT NULL,
    last_changed BIGINT NOT NULL,
    store_created BIGINT NOT NULL,
    store_last_write BIGINT NOT NULL,
    active SMALLINT NOT NULL,  -- 1 Active, 0 Inactive
    xml BYTEA NOT NULL
);
CREATE INDEX objects_by_dataspace_type ON objects (dataspace, qualified_type);
CREATE INDEX objects_by_dataspace_write ON objects (dataspace, store_last_write);

-- The edges an object holds; the target may not be stored (yet).
CREATE TABLE edges (
    source_id BIGINT NOT NULL REFERENCES objects (id),
    target TEXT NOT NULL,
    relationship TEXT NOT NULL CHECK (relationship IN ('Primary', 'Secondary')),
    containment SMALLINT NOT NULL,  -- 1: the source's XML contains the target
    PRIMARY KEY (source_id, target)
);
CREATE INDEX edges_by_target ON edges (target);

CREATE TABLE deleted_objects (
    uri TEXT PRIMARY KEY,
    dataspace TEXT NOT NULL,
    qualified_type TEXT NOT NULL,
    deleted_time BIGINT NOT NULL
);
CREATE INDEX deleted_objects_by_dataspace_time ON deleted_objects (dataspace, deleted_time);

-- Each committed write transaction logs its changes under one batch number and NOTIFYs that
-- number; listeners in every process read the batch. Rows are kept a few minutes.
CREATE SEQUENCE change_batches;
CREATE TABLE change_log (
    batch BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    uri TEXT NOT NULL,
    dataspace TEXT NOT NULL,
    qualified_type TEXT NOT NULL,
    change_time BIGINT NOT NULL,
    -- the resource after the change; NULL for a delete
    uuid TEXT,
    object_version TEXT,
    name TEXT,
    last_changed BIGINT,
    store_created BIGINT,
    store_last_write BIGINT,
    active SMALLINT,
    PRIMARY KEY (batch, seq)
);
CREATE INDEX change_log_by_time ON change_log (change_time);
