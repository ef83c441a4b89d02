-- Channel data: each Channel object's declaration and live state, its points as columnar
-- blocks, and the intervals that changed (see etp/store/channels.py and blocks.py).
-- Index values are stored as order-preserving 64-bit keys (etp.store.blocks.key_of).

-- key: the stable channel key handed to the protocol layer; AUTOINCREMENT so that a deleted
-- channel's key is never given to another one.
CREATE TABLE channels (
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    object_id INTEGER NOT NULL UNIQUE REFERENCES objects (id) ON DELETE CASCADE,
    mnemonic TEXT NOT NULL,
    data_kind TEXT,  -- ETP ChannelDataKind; NULL: a type with none (vector, null)
    uom TEXT NOT NULL,
    index_kind TEXT NOT NULL,  -- ETP ChannelIndexKind
    index_uom TEXT NOT NULL,
    direction TEXT NOT NULL,  -- Increasing, Decreasing
    index_mnemonic TEXT NOT NULL,
    depth_datum TEXT NOT NULL,
    first_key INTEGER,  -- first and last point in channel order; NULL when empty
    last_key INTEGER,
    point_count INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL DEFAULT 0,  -- bumped by every change of the data
    last_append INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 0,
    append_since INTEGER NOT NULL DEFAULT 0,  -- the open append annotation: since when,
    append_from_key INTEGER,  -- and from which point
    written INTEGER NOT NULL DEFAULT 0  -- when appends last moved the object's store_last_write
);
CREATE INDEX channels_active ON channels (last_append) WHERE active = 1;

CREATE TABLE channel_data (
    channel_id INTEGER NOT NULL REFERENCES channels (key) ON DELETE CASCADE,
    lo_key INTEGER NOT NULL,  -- the block's lowest and highest key
    hi_key INTEGER NOT NULL,
    point_count INTEGER NOT NULL,
    indexes BLOB NOT NULL,
    vals BLOB NOT NULL,
    nulls BLOB,  -- packed bit mask; NULL when no value is null
    PRIMARY KEY (channel_id, lo_key)
);

CREATE TABLE channel_changes (
    channel_id INTEGER NOT NULL REFERENCES channels (key) ON DELETE CASCADE,
    change_time INTEGER NOT NULL,
    start_key INTEGER NOT NULL,  -- in channel order
    end_key INTEGER NOT NULL
);
CREATE INDEX channel_changes_by_channel ON channel_changes (channel_id, change_time);
CREATE INDEX channel_changes_by_time ON channel_changes (change_time);
