"""Channel data and the objects around it, in the store's object transactions.

:func:`check_put` and :func:`store_definitions` run inside a put (:meth:`SqlStore._put
<etp.store.sql.SqlStore>`): a put cannot change what stored data depends on (index kind, unit,
direction, value type and unit) while the channel holds points, the active status of a channel
that has had data through the store stays the live one (and its ChannelSet's and Log's), and the
``channels`` rows follow the put Channel objects. :func:`live_channels` gives a read what
:mod:`etp.store.render` needs to write the current extent and status into the XML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from etp.errors import ErrorCode, ProtocolError
from etp.store.channel_rows import (
    CHANNEL_COLUMNS,
    CHANNEL_TYPES,
    contained_ids,
    definition_of,
    definition_row,
    value_at,
)
from etp.store.channels import ChannelDefinition, IndexValue
from etp.store.records import ActiveStatus, ObjectRecord
from etp.store.tx import Tx

__all__ = ["LiveChannel", "check_put", "live_channels", "store_definitions"]

_UPSERT_DEFINITION = """
INSERT INTO channels (object_id, mnemonic, data_kind, uom, index_kind, index_uom, direction,
                      index_mnemonic, depth_datum)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (object_id) DO UPDATE SET
    mnemonic = excluded.mnemonic, data_kind = excluded.data_kind, uom = excluded.uom,
    index_kind = excluded.index_kind, index_uom = excluded.index_uom,
    direction = excluded.direction, index_mnemonic = excluded.index_mnemonic,
    depth_datum = excluded.depth_datum
"""


class _Flat(Protocol):
    record: ObjectRecord
    top: str


def check_put(tx: Tx, flat: Mapping[str, _Flat]) -> None:
    """Before a put: refuse to change what stored data depends on, and keep the live active
    status of channels with data (and of their containers) instead of the XML's."""
    channel_uris = [uri for uri, f in flat.items() if f.record.qualified_type.endswith(".Channel")]
    if not channel_uris:
        return
    ids: dict[str, int] = dict(
        tx.rows(f"SELECT uri, id FROM objects WHERE uri {tx.IN}", (tx.array(channel_uris),))
    )
    if not ids:
        return
    by_object = {
        row[1]: row
        for row in tx.rows(
            f"SELECT {CHANNEL_COLUMNS} FROM channels WHERE object_id {tx.IN_IDS} "
            f"ORDER BY key{tx.FOR_UPDATE}",
            (tx.array(ids.values()),),
        )
    }
    live: dict[str, bool] = {}
    for uri, object_id in ids.items():
        row = by_object.get(object_id)
        if row is None or row[13] == 0:  # never had data through the store
            continue
        live[uri] = bool(row[15])
        if row[12] > 0:
            _check_same_shape(definition_of(row), flat[uri], row[12])
    if not live:
        return
    for uri in reversed(list(flat)):  # children come after their container
        f = flat[uri]
        contained = [child.uri for child in f.record.contained if child.uri in live]
        if uri in live or contained:
            active = live[uri] if uri in live else any(live[c] for c in contained)
            live[uri] = active
            status = ActiveStatus.ACTIVE if active else ActiveStatus.INACTIVE
            f.record = replace(f.record, active_status=status)


def _check_same_shape(old: ChannelDefinition, f: _Flat, count: int) -> None:
    new = f.record.channel
    what = [
        (name, getattr(old, name), getattr(new, name) if new else None)
        for name in ("index_kind", "index_uom", "direction", "data_kind", "uom")
    ]
    changed = [(name, a, b) for name, a, b in what if a != b]
    if changed:
        name, a, b = changed[0]
        raise ProtocolError(
            ErrorCode.EINVALID_ARGUMENT,
            f"channel {f.record.uri} holds {count} points: a put cannot change its {name} "
            f"({a} -> {b}); truncate or delete the channel first",
            key=f.top,
        )


def store_definitions(tx: Tx, flat: Mapping[str, _Flat], ids: Mapping[str, int]) -> None:
    """After a put: create or update the channel rows of the Channel objects put."""
    keep = []
    drop = []
    for uri, f in flat.items():
        if not f.record.qualified_type.endswith(".Channel"):
            continue
        if f.record.channel is None:
            drop.append(ids[uri])
        else:
            keep.append(definition_row(ids[uri], f.record.channel))
    tx.run_many(_UPSERT_DEFINITION, keep)
    if drop:
        tx.run(f"DELETE FROM channels WHERE object_id {tx.IN_IDS}", (tx.array(drop),))


@dataclass(frozen=True, slots=True)
class LiveChannel:
    """A channel's data extent and status, for rendering its object's XML."""

    first: IndexValue | None
    last: IndexValue | None
    active: bool
    definition: ChannelDefinition


def live_channels(tx: Tx, object_id: int, qualified_type: str) -> dict[str, LiveChannel]:
    """Per uuid, the channels at or below a Channel/ChannelSet/Log object that hold data
    through the store (an empty dict for any other object)."""
    object_type = qualified_type.rpartition(".")[2]
    if object_type not in CHANNEL_TYPES:
        return {}
    ids = contained_ids(tx, object_id, object_type)
    rows = tx.rows(
        f"SELECT o.uuid, {', '.join('c.' + c for c in CHANNEL_COLUMNS.split(', '))} "
        "FROM channels c JOIN objects o ON o.id = c.object_id "
        f"WHERE c.object_id {tx.IN_IDS} AND c.seq > 0",
        (tx.array(ids),),
    )
    out = {}
    for row in rows:
        d = definition_of(row[1:])
        out[row[0]] = LiveChannel(value_at(row[11], d), value_at(row[12], d), bool(row[16]), d)
    return out
