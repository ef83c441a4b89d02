"""Channel data over the store's SQL, the same on both backends (see :mod:`etp.store.channels`).

Writes queue up and run as **group commits**: one flusher task takes every queued request, runs
them in order in one write transaction (:meth:`SqlStore._write`, on the backend's writer), and
after the commit publishes their events and answers their callers. While a transaction commits
the next requests queue, so the commit rate adapts to the load with no timer. Each request is
checked completely before it changes anything, so a refused request leaves the others of its
group untouched.

Per channel, the ``channels`` row holds the declaration (from the put Channel object) and the
live state (first/last key, count, seq, last append, active, the open append annotation); it is
locked (``FOR UPDATE`` on PostgreSQL) by the group that changes it, so writers in several
processes serialize per channel. Points are blocks of ``channel_data`` (:mod:`etp.store.blocks`);
an append of fewer than ``MIN_BLOCK`` points merges with the small blocks at the channel's tail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from etp.errors import ErrorCode, InvalidUri, ProtocolError, StoreError
from etp.store import blocks
from etp.store.channel_feed import DEFAULT_MAX_PENDING, ChannelFeed, ChannelHub
from etp.store.channels import (
    Appended,
    ChangeAnnotation,
    ChangeAnnotations,
    ChannelDefinition,
    ChannelEvent,
    ChannelInfo,
    ChannelRange,
    ChannelStore,
    DataKind,
    IndexDirection,
    IndexKind,
    IndexValue,
    OpenOutcome,
    Points,
    Replaced,
    Truncated,
)
from etp.store.records import ActiveStatus, Change, ChangeKind, ObjectRecord
from etp.store.tx import RESOURCE_COLUMNS, Row, Tx, object_key, resource_from_row
from etp.uri import DataObjectUri

if TYPE_CHECKING:
    from etp.store.sql import SqlStore

__all__ = ["SqlChannels", "check_put", "live_channels", "store_definitions"]

log = logging.getLogger("etp.store")

_ANNOTATION_SPAN_US = 60_000_000  # appends within a minute share one change annotation
_WRITE_STAMP_US = 1_000_000  # a channel's storeLastWrite follows appends at most once a second
_READ_BATCH = 64  # blocks fetched per query of a range read
_TAIL_ROWS = 16  # small blocks looked at when an append merges into the tail
_NOTIFY_BYTES = 7_000  # under PostgreSQL's 8000-byte NOTIFY payload limit
_KEY_MIN = -(2**63)
_KEY_MAX = 2**63 - 1
_CHANNEL_TYPES = ("Channel", "ChannelSet", "Log")

_CHANNEL_COLUMNS = (
    "key, object_id, mnemonic, data_kind, uom, index_kind, index_uom, direction, index_mnemonic, "
    "depth_datum, first_key, last_key, point_count, seq, last_append, active, append_since, "
    "append_from_key, written"
)
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
_UPDATE_STATE = """
UPDATE channels SET first_key = ?, last_key = ?, point_count = ?, seq = ?, last_append = ?,
    active = ?, append_since = ?, append_from_key = ?, written = ?
WHERE key = ?
"""
_INSERT_BLOCK = (
    "INSERT INTO channel_data (channel_id, lo_key, hi_key, point_count, indexes, vals, nulls) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


# -- rows and declarations ----------------------------------------------------------------------


def _definition(row: Row) -> ChannelDefinition:
    return ChannelDefinition(
        mnemonic=row[2],
        data_kind=DataKind(row[3]) if row[3] is not None else None,
        uom=row[4],
        index_kind=IndexKind(row[5]),
        index_uom=row[6],
        direction=IndexDirection(row[7]),
        index_mnemonic=row[8],
        depth_datum=row[9],
    )


def _definition_row(object_id: int, d: ChannelDefinition) -> tuple[object, ...]:
    return (
        object_id,
        d.mnemonic,
        d.data_kind.value if d.data_kind is not None else None,
        d.uom,
        d.index_kind.value,
        d.index_uom,
        d.direction.value,
        d.index_mnemonic,
        d.depth_datum,
    )


def _value(key: int | None, definition: ChannelDefinition) -> IndexValue | None:
    return None if key is None else blocks.value_of(key, definition.is_time)


def _key(value: IndexValue | None, definition: ChannelDefinition) -> int | None:
    return None if value is None else blocks.key_of(value, definition.is_time)


@dataclass(slots=True)
class _Live:
    """A channel's row, changed in memory during one write transaction."""

    key: int
    object_id: int
    definition: ChannelDefinition
    first: IndexValue | None
    last: IndexValue | None
    count: int
    seq: int
    last_append: int
    active: bool
    append_since: int
    append_from: IndexValue | None
    written: int
    uri: str = ""
    was_active: bool = False
    dirty: bool = False
    pending: list[_Chunk] = field(default_factory=list)

    @classmethod
    def of(cls, row: Row, uri: str, d: ChannelDefinition) -> _Live:
        return cls(
            key=row[0],
            object_id=row[1],
            definition=d,
            first=_value(row[10], d),
            last=_value(row[11], d),
            count=row[12],
            seq=row[13],
            last_append=row[14],
            active=bool(row[15]),
            append_since=row[16],
            append_from=_value(row[17], d),
            written=row[18],
            uri=uri,
            was_active=bool(row[15]),
        )

    def info(self) -> ChannelInfo:
        return ChannelInfo(
            key=self.key,
            uri=self.uri,
            definition=self.definition,
            start=self.first,
            end=self.last,
            count=self.count,
            seq=self.seq,
            status=ActiveStatus.ACTIVE if self.active else ActiveStatus.INACTIVE,
            last_append=self.last_append,
        )

    def state_row(self) -> tuple[object, ...]:
        d = self.definition
        return (
            _key(self.first, d),
            _key(self.last, d),
            self.count,
            self.seq,
            self.last_append,
            int(self.active),
            self.append_since,
            _key(self.append_from, d),
            self.written,
            self.key,
        )


def _index_arg(value: object, live: _Live, what: str) -> IndexValue:
    """An index value given as an argument, checked against the channel's index kind."""
    d = live.definition
    where = f"channel {live.uri} (key {live.key})"
    if isinstance(value, bool):
        pass
    elif d.is_time and isinstance(value, int):
        return int(value)
    elif not d.is_time and isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"{where}: {what} {value!r} is not finite",
                key=live.uri,
            )
        return float(value)
    expected = "long microseconds" if d.is_time else f"double ({d.index_uom})"
    raise ProtocolError(
        ErrorCode.EINVALID_INDEXKIND,
        f"{where} has a {d.index_kind.value} index: {what} must be {expected}, not {value!r}",
        key=live.uri,
    )


def _scalar(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (index arguments may come from arrays)."""
    return value.item() if hasattr(value, "item") else value


# -- reading blocks -----------------------------------------------------------------------------


def _scan(
    tx: Tx,
    key: int,
    definition: ChannelDefinition,
    low: int,
    high: int,
    want: int | None,
    *,
    backwards: bool = False,
) -> list[Points]:
    """The points of channel ``key`` with keys in [low, high], block by block, in channel order
    (``backwards``: in reverse channel order), until at least ``want`` points (None: all)."""
    if low > high:
        return []
    floor = None
    if low > _KEY_MIN:  # the block that may hold ``low`` starts at or below it
        floor = tx.rows(
            "SELECT MAX(lo_key) FROM channel_data WHERE channel_id = ? AND lo_key <= ?",
            (key, low),
        )[0][0]
    floor = low if floor is None else floor
    ascending = (definition.direction is IndexDirection.INCREASING) != backwards
    lo_value = None if low == _KEY_MIN else blocks.value_of(low, definition.is_time)
    hi_value = None if high == _KEY_MAX else blocks.value_of(high, definition.is_time)
    parts: list[Points] = []
    got = 0
    bottom, top = floor, high
    batch = _READ_BATCH if want is None else 2  # a few points: fetch few blocks first
    while True:
        rows = tx.rows(
            "SELECT lo_key, point_count, indexes, vals, nulls FROM channel_data "
            "WHERE channel_id = ? AND lo_key >= ? AND lo_key <= ? "
            f"ORDER BY lo_key {'ASC' if ascending else 'DESC'} LIMIT {batch}",
            (key, bottom, top),
        )
        for _, count, indexes, values, nulls in rows:
            points = blocks.decode_block(definition, count, indexes, values, nulls)
            points = blocks.select(points, lo_value, hi_value, definition.direction)
            if len(points):
                parts.append(points[::-1] if backwards else points)
                got += len(points)
        if len(rows) < batch or (want is not None and got >= want):
            return parts
        batch = min(batch * 4, _READ_BATCH)
        if ascending:
            bottom = rows[-1][0] + 1
        else:
            top = rows[-1][0] - 1


def _bounds(
    live: _Live,
    start: IndexValue | None,
    end: IndexValue | None,
    after: IndexValue | None,
) -> tuple[int, int]:
    """The key interval of a range read (see :meth:`ChannelStore.read_range`)."""
    d = live.definition
    increasing = d.direction is IndexDirection.INCREASING
    k_start = None if start is None else blocks.key_of(_index_arg(start, live, "start"), d.is_time)
    k_end = None if end is None else blocks.key_of(_index_arg(end, live, "end"), d.is_time)
    if k_start is not None and k_end is not None:
        low, high = min(k_start, k_end), max(k_start, k_end)
    elif increasing:
        low = _KEY_MIN if k_start is None else k_start
        high = _KEY_MAX if k_end is None else k_end
    else:
        low = _KEY_MIN if k_end is None else k_end
        high = _KEY_MAX if k_start is None else k_start
    if after is not None:
        k_after = blocks.key_of(_index_arg(after, live, "after"), d.is_time)
        if increasing:
            low = max(low, k_after + 1) if k_after < _KEY_MAX else _KEY_MAX + 1
        else:
            high = min(high, k_after - 1) if k_after > _KEY_MIN else _KEY_MIN - 1
    return low, high


def _take(definition: ChannelDefinition, parts: list[Points], limit: int | None) -> Points:
    if not parts:
        return blocks.empty_points(definition)
    points = blocks.concat(parts)
    return points if limit is None or len(points) <= limit else points[:limit]


# -- the put hooks (called by SqlStore._put in its transaction) ---------------------------------


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
            f"SELECT {_CHANNEL_COLUMNS} FROM channels WHERE object_id {tx.IN_IDS} "
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
            _check_same_shape(_definition(row), flat[uri], row[12])
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
            keep.append(_definition_row(ids[uri], f.record.channel))
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
    if object_type not in _CHANNEL_TYPES:
        return {}
    ids = [object_id]
    frontier = [object_id]
    while frontier and object_type != "Channel":
        frontier = [
            row[0]
            for row in tx.rows(
                "SELECT t.id FROM edges e JOIN objects t ON t.uri = e.target "
                f"WHERE e.containment = 1 AND e.source_id {tx.IN_IDS}",
                (tx.array(frontier),),
            )
        ]
        ids += frontier
    rows = tx.rows(
        f"SELECT o.uuid, {', '.join('c.' + c for c in _CHANNEL_COLUMNS.split(', '))} "
        "FROM channels c JOIN objects o ON o.id = c.object_id "
        f"WHERE c.object_id {tx.IN_IDS} AND c.seq > 0",
        (tx.array(ids),),
    )
    out = {}
    for row in rows:
        d = _definition(row[1:])
        out[row[0]] = LiveChannel(_value(row[11], d), _value(row[12], d), bool(row[16]), d)
    return out


# -- requests -----------------------------------------------------------------------------------


class _Request(Protocol):
    @property
    def keys(self) -> frozenset[int]: ...

    def run(self, group: _Group) -> list[ChannelEvent]: ...


@dataclass(frozen=True, slots=True)
class _Chunk:
    """One channel's points of an append, checked (``definition``: against which; None: not
    yet) and, when not small, encoded as blocks before the transaction."""

    points: Points
    definition: ChannelDefinition | None = None
    blocks: tuple[blocks.Block, ...] = ()


def _prepare(definition: ChannelDefinition, points: Points, uri: str, key: int) -> _Chunk:
    """Check points on their own (types, order within the batch) and encode them."""
    points = blocks.check_points(definition, points, uri, key)
    blocks.check_order(points.indexes, definition.direction, None, uri, key)
    encoded: tuple[blocks.Block, ...] = ()
    if len(points) >= blocks.MIN_BLOCK:
        encoded = tuple(
            blocks.encode_block(points[i : i + blocks.MAX_BLOCK], definition.is_time)
            for i in range(0, len(points), blocks.MAX_BLOCK)
        )
    return _Chunk(points, definition, encoded)


@dataclass(frozen=True, slots=True)
class _Append:
    chunks: Mapping[int, _Chunk]
    keys: frozenset[int]

    def run(self, group: _Group) -> list[ChannelEvent]:
        return group.append(self.chunks)


@dataclass(frozen=True, slots=True)
class _Replace:
    start: IndexValue
    end: IndexValue
    points: Mapping[int, Points]
    keys: frozenset[int]

    def run(self, group: _Group) -> list[ChannelEvent]:
        return group.replace(self.start, self.end, self.points)


@dataclass(frozen=True, slots=True)
class _Truncate:
    new_ends: Mapping[int, IndexValue]
    keys: frozenset[int]

    def run(self, group: _Group) -> list[ChannelEvent]:
        return group.truncate(self.new_ends)


@dataclass(frozen=True, slots=True)
class _Deactivate:
    keys: frozenset[int]
    idle_before: int | None  # None: now (closed); else only if no append since

    def run(self, group: _Group) -> list[ChannelEvent]:
        group.deactivate(self.keys, self.idle_before)
        return []


class _Group:
    """One group commit: the channel rows it locked and what the requests did to them."""

    def __init__(self, owner: SqlChannels, tx: Tx, now: int, keys: Iterable[int]) -> None:
        self.owner = owner
        self.tx = tx
        self.now = now
        self.live = owner.load(tx, keys, lock=True)
        self.block_rows: list[tuple[object, ...]] = []
        self.annotation_rows: list[tuple[int, int, int, int]] = []
        self.events: list[ChannelEvent] = []

    def channel(self, key: int) -> _Live:
        live = self.live.get(key)
        if live is None:
            raise ProtocolError(
                ErrorCode.ENOT_FOUND, f"channel key {key} is not in the store (deleted?)"
            )
        return live

    # -- the operations: check everything, then change -------------------------------------------

    def append(self, chunks: Mapping[int, _Chunk]) -> list[ChannelEvent]:
        checked = []
        for key, chunk in chunks.items():
            live = self.channel(key)
            if chunk.definition != live.definition:  # not prepared, or declared anew since
                chunk = _prepare(live.definition, chunk.points, live.uri, key)
            pts = chunk.points
            blocks.check_order(pts.indexes[:1], live.definition.direction, live.last, live.uri, key)
            checked.append((live, chunk))
        events: list[ChannelEvent] = []
        for live, chunk in checked:
            pts = chunk.points
            if not len(pts):
                continue
            first = pts.indexes[0].item()
            if not live.append_since or self.now - live.append_since > _ANNOTATION_SPAN_US:
                self._close_append_annotation(live)
                live.append_since, live.append_from = self.now, first
            live.pending.append(chunk)
            if live.first is None:
                live.first = first
            live.last = pts.indexes[-1].item()
            live.count += len(pts)
            live.seq += 1
            live.last_append = self.now
            live.active = True
            live.dirty = True
            events.append(Appended(live.key, pts, live.seq, self.now))
        return events

    def replace(
        self, start: IndexValue, end: IndexValue, points: Mapping[int, Points]
    ) -> list[ChannelEvent]:
        checked = []
        for key, given in points.items():
            live = self.channel(key)
            a = _index_arg(_scalar(start), live, "the start of the interval")
            b = _index_arg(_scalar(end), live, "the end of the interval")
            low, high = min(a, b), max(a, b)
            pts = blocks.check_points(live.definition, given, live.uri, key)
            blocks.check_order(
                pts.indexes,
                live.definition.direction,
                None,
                live.uri,
                key,
                code=ErrorCode.EINVALID_ARGUMENT,
            )
            if len(pts) and (pts.indexes.min() < low or pts.indexes.max() > high):
                raise ProtocolError(
                    ErrorCode.EINVALID_ARGUMENT,
                    f"channel {live.uri} (key {key}): replacement points must lie in the replaced "
                    f"interval [{low!r}, {high!r}]",
                    key=live.uri,
                )
            checked.append((live, low, high, pts))
        events: list[ChannelEvent] = []
        for live, low, high, pts in checked:
            self._flush(live)
            self._close_append_annotation(live)
            d = live.definition
            k_low, k_high = blocks.key_of(low, d.is_time), blocks.key_of(high, d.is_time)
            kept = self._rewrite(live, k_low, k_high, pts)
            if not kept and not len(pts):
                continue  # nothing was there and nothing comes: no change
            increasing = d.direction is IndexDirection.INCREASING
            first, last = (low, high) if increasing else (high, low)
            self.annotation_rows.append(
                (
                    live.key,
                    self.now,
                    blocks.key_of(first, d.is_time),
                    blocks.key_of(last, d.is_time),
                )
            )
            live.seq += 1
            live.dirty = True
            events.append(Replaced(live.key, first, last, pts, live.seq, self.now))
        return events

    def truncate(self, new_ends: Mapping[int, IndexValue]) -> list[ChannelEvent]:
        checked = []
        for key, value in new_ends.items():
            live = self.channel(key)
            checked.append((live, _index_arg(_scalar(value), live, "the new end index")))
        events: list[ChannelEvent] = []
        for live, new_end in checked:
            self._flush(live)
            d = live.definition
            increasing = d.direction is IndexDirection.INCREASING
            old_last = live.last
            if old_last is None or (old_last <= new_end if increasing else old_last >= new_end):
                continue  # nothing after the new end
            self._close_append_annotation(live)
            k_end = blocks.key_of(new_end, d.is_time)
            if increasing:
                self._rewrite(live, k_end + 1, _KEY_MAX, blocks.empty_points(d))
            else:
                self._rewrite(live, _KEY_MIN, k_end - 1, blocks.empty_points(d))
            self.annotation_rows.append(
                (live.key, self.now, k_end, blocks.key_of(old_last, d.is_time))
            )
            live.seq += 1
            live.dirty = True
            events.append(Truncated(live.key, new_end, live.seq, self.now))
        return events

    def deactivate(self, keys: Iterable[int], idle_before: int | None) -> None:
        for key in keys:
            live = self.live.get(key)
            if live is None or not live.active:
                continue
            if idle_before is None or live.last_append < idle_before:
                live.active = False
                live.dirty = True

    # -- writing ---------------------------------------------------------------------------------

    def _close_append_annotation(self, live: _Live) -> None:
        d = live.definition
        if live.append_since and live.append_from is not None and live.last is not None:
            self.annotation_rows.append(
                (
                    live.key,
                    live.last_append,
                    blocks.key_of(live.append_from, d.is_time),
                    blocks.key_of(live.last, d.is_time),
                )
            )
        live.append_since, live.append_from = 0, None

    def _flush(self, live: _Live) -> None:
        """Write the points appended to ``live`` in this group (and every block queued)."""
        self._write_pending(live)
        self._insert_blocks()

    def _write_pending(self, live: _Live) -> None:
        """Queue the blocks of the points appended to ``live`` in this group, in order: encoded
        chunks as they are, runs of small ones together (merged with the small blocks at the
        channel's tail when nothing was queued before them)."""
        queued = False
        small: list[Points] = []
        for chunk in [*live.pending, None]:
            if small and (chunk is None or chunk.blocks):
                points = blocks.concat(small)
                small = []
                if not queued:
                    points = self._merge_tail(live, points)
                self._queue_blocks(live, points)
                queued = True
            if chunk is None:
                break
            if chunk.blocks:
                self.block_rows += [block.row(live.key) for block in chunk.blocks]
                queued = True
            else:
                small.append(chunk.points)
        live.pending = []

    def _insert_blocks(self) -> None:
        self.tx.run_many(_INSERT_BLOCK, self.block_rows)
        self.block_rows = []

    def _queue_blocks(self, live: _Live, points: Points) -> None:
        is_time = live.definition.is_time
        for i in range(0, len(points), blocks.MAX_BLOCK):
            block = blocks.encode_block(points[i : i + blocks.MAX_BLOCK], is_time)
            self.block_rows.append(block.row(live.key))

    def _merge_tail(self, live: _Live, points: Points) -> Points:
        """``points`` preceded by the small blocks at the channel's tail that they absorb (each
        no larger than what it merges with, so sizes double: binary-counter amortization)."""
        if len(points) >= blocks.MIN_BLOCK:
            return points
        tx = self.tx
        increasing = live.definition.direction is IndexDirection.INCREASING
        tail = tx.rows(
            "SELECT lo_key, point_count FROM channel_data WHERE channel_id = ? "
            f"ORDER BY lo_key {'DESC' if increasing else 'ASC'} LIMIT {_TAIL_ROWS}",
            (live.key,),
        )
        size = len(points)
        merge = []
        for lo_key, count in tail:
            if count >= blocks.MIN_BLOCK or count > size:
                break
            merge.append(lo_key)
            size += count
        if not merge:
            return points
        rows = {
            row[0]: row
            for row in tx.rows(
                "SELECT lo_key, point_count, indexes, vals, nulls FROM channel_data "
                f"WHERE channel_id = ? AND lo_key {tx.IN_IDS}",
                (live.key, tx.array(merge)),
            )
        }
        parts = [
            blocks.decode_block(live.definition, *rows[lo_key][1:]) for lo_key in reversed(merge)
        ]
        tx.run(
            f"DELETE FROM channel_data WHERE channel_id = ? AND lo_key {tx.IN_IDS}",
            (live.key, tx.array(merge)),
        )
        return blocks.concat([*parts, points])

    def _rewrite(self, live: _Live, low: int, high: int, points: Points) -> int:
        """Replace the points with keys in [low, high] by ``points``; the count removed."""
        tx = self.tx
        d = live.definition
        floor = tx.rows(
            "SELECT MAX(lo_key) FROM channel_data WHERE channel_id = ? AND lo_key <= ?",
            (live.key, low),
        )[0][0]
        rows = tx.rows(
            "SELECT lo_key, point_count, indexes, vals, nulls FROM channel_data "
            "WHERE channel_id = ? AND lo_key >= ? AND lo_key <= ? ORDER BY lo_key",
            (live.key, low if floor is None else floor, high),
        )
        before: list[Points] = []  # channel order before the interval
        after: list[Points] = []
        removed = 0
        increasing = d.direction is IndexDirection.INCREASING
        touched = []
        for lo_key, count, indexes, values, nulls in rows:
            block = blocks.decode_block(d, count, indexes, values, nulls)
            keys = blocks.keys_of(block.indexes, d.is_time)
            inside = (keys >= low) & (keys <= high)
            n_inside = int(inside.sum())
            if n_inside == 0:
                continue
            touched.append(lo_key)
            removed += n_inside
            low_part = _mask(block, keys < low)
            high_part = _mask(block, keys > high)
            if increasing:
                before.append(low_part)
                after.append(high_part)
            else:
                before.append(high_part)
                after.append(low_part)
        if touched:
            tx.run(
                f"DELETE FROM channel_data WHERE channel_id = ? AND lo_key {tx.IN_IDS}",
                (live.key, tx.array(touched)),
            )
        merged = [p for p in (*before, points, *after) if len(p)]
        if merged:
            self._queue_blocks(live, blocks.concat(merged))
        self._insert_blocks()
        low_key, high_key, count = tx.rows(
            "SELECT MIN(lo_key), MAX(hi_key), COALESCE(SUM(point_count), 0) FROM channel_data "
            "WHERE channel_id = ?",
            (live.key,),
        )[0]
        first, last = (low_key, high_key) if increasing else (high_key, low_key)
        live.first, live.last, live.count = _value(first, d), _value(last, d), int(count)
        return removed

    # -- the end of the group --------------------------------------------------------------------

    def finish(self) -> list[Change]:
        """Write what is pending, the channel rows and annotations; the status changes."""
        tx = self.tx
        for live in self.live.values():
            if live.pending:
                self._write_pending(live)
        self._insert_blocks()
        tx.run_many(
            "INSERT INTO channel_changes (channel_id, change_time, start_key, end_key) "
            "VALUES (?, ?, ?, ?)",
            self.annotation_rows,
        )
        dirty = [live for live in self.live.values() if live.dirty]
        stamp = [
            live
            for live in dirty
            if live.last_append == self.now and self.now - live.written >= _WRITE_STAMP_US
        ]
        for live in stamp:
            live.written = self.now
        tx.run_many(_UPDATE_STATE, [live.state_row() for live in dirty])
        if stamp:
            tx.run(
                f"UPDATE objects SET store_last_write = ? WHERE id {tx.IN_IDS}",
                (self.now, tx.array(live.object_id for live in stamp)),
            )
        flips = {live.object_id: live.active for live in dirty if live.active != live.was_active}
        return _set_active(tx, self.now, flips) if flips else []


def _mask(points: Points, which: Any) -> Points:
    if bool(which.all()):
        return points
    nulls = None if points.nulls is None else points.nulls[which]
    return Points(points.indexes[which], points.values[which], nulls)


def _set_active(tx: Tx, now: int, flips: dict[int, bool]) -> list[Change]:
    """Set the active status of channel objects and follow it up their containers (active when
    any contained object is); the ACTIVE_STATUS changes to publish."""
    changes: list[Change] = []
    level = flips
    while level:
        for active in (True, False):
            ids = [object_id for object_id, a in level.items() if a is active]
            if ids:
                tx.run(
                    f"UPDATE objects SET active = ? WHERE id {tx.IN_IDS}",
                    (int(active), tx.array(ids)),
                )
        for row in tx.rows(
            f"SELECT {RESOURCE_COLUMNS} FROM objects o WHERE o.id {tx.IN_IDS} ORDER BY o.uri",
            (tx.array(level),),
        ):
            resource = resource_from_row(row)
            changes.append(
                Change(
                    ChangeKind.ACTIVE_STATUS,
                    resource.uri,
                    resource.qualified_type,
                    resource.dataspace,
                    now,
                    resource,
                )
            )
        containers = [
            row[0]
            for row in tx.rows(
                "SELECT DISTINCT e.source_id FROM edges e JOIN objects t ON t.uri = e.target "
                f"WHERE e.containment = 1 AND t.id {tx.IN_IDS}",
                (tx.array(level),),
            )
        ]
        if not containers:
            break
        wanted = {
            row[0]: bool(row[1])
            for row in tx.rows(
                "SELECT e.source_id, MAX(t.active) FROM edges e JOIN objects t ON t.uri = e.target "
                f"WHERE e.containment = 1 AND e.source_id {tx.IN_IDS} GROUP BY e.source_id",
                (tx.array(containers),),
            )
        }
        level = {
            object_id: wanted.get(object_id, False)
            for object_id, active in tx.rows(
                f"SELECT id, active FROM objects WHERE id {tx.IN_IDS}", (tx.array(containers),)
            )
            if bool(active) != wanted.get(object_id, False)
        }
    return changes


# -- the store's channel data -------------------------------------------------------------------


class SqlChannels(ChannelStore):
    """:class:`ChannelStore` over a :class:`~etp.store.sql.SqlStore` backend."""

    def __init__(self, store: SqlStore, *, active_timeout: float) -> None:
        self._store = store
        self.active_timeout = active_timeout
        self.hub = ChannelHub()
        self.origin = uuid.uuid4().hex
        self._uris: dict[int, str] = {}
        self._definitions: dict[int, tuple[Row, ChannelDefinition]] = {}
        self._queue: list[tuple[_Request, asyncio.Future[int]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._closed = False
        self.notify: Callable[[Tx, list[str]], None] | None = None
        """Set by a backend that tells other processes (PostgreSQL: NOTIFY these payloads)."""

    # -- lifecycle (called by the backend) -------------------------------------------------------

    def start(self) -> None:
        """Start the task that turns idle channels inactive (the store is open)."""
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def shutdown(self) -> None:
        """Finish queued writes, stop the sweeper, end the feeds. Idempotent."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        if self._flusher is not None:
            await self._flusher
        self.hub.close()

    # -- writes ----------------------------------------------------------------------------------

    async def append(self, points: Mapping[int, Points]) -> int:
        chunks = {}
        for key, given in points.items():
            chunk = _Chunk(given)
            known = self._definitions.get(key)
            if known is not None:
                # checked and encoded here, while the writer commits; if refused, the
                # transaction checks again against the current declaration and says why
                with contextlib.suppress(ProtocolError):
                    chunk = _prepare(known[1], given, self._uris.get(key, ""), key)
            chunks[key] = chunk
        return await self._submit(_Append(chunks, frozenset(points)))

    async def replace_range(
        self, start: IndexValue, end: IndexValue, points: Mapping[int, Points]
    ) -> int:
        return await self._submit(_Replace(start, end, dict(points), frozenset(points)))

    async def truncate(self, new_ends: Mapping[int, IndexValue]) -> int:
        return await self._submit(_Truncate(dict(new_ends), frozenset(new_ends)))

    async def close(self, keys: Iterable[int]) -> None:
        keys = frozenset(keys)
        if keys:
            await self._submit(_Deactivate(keys, None))

    async def _submit(self, request: _Request) -> int:
        if self._closed:
            raise StoreError("the store is closed")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_queue())
        return await future

    async def _flush_queue(self) -> None:
        while self._queue:
            batch = [(r, f) for r, f in self._queue if not f.cancelled()]
            self._queue = []
            if not batch:
                continue
            try:
                outcomes = await self._store._write(self._apply, [r for r, _ in batch])
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, ProtocolError):
                    if not future.done():
                        future.set_exception(outcome)
                    continue
                time, events = outcome
                self.hub.publish(events)
                if not future.done():
                    future.set_result(time)

    def _apply(
        self, tx: Tx, now: int, requests: list[_Request]
    ) -> tuple[list[tuple[int, list[ChannelEvent]] | ProtocolError], list[Change]]:
        group = _Group(self, tx, now, frozenset().union(*(r.keys for r in requests)))
        outcomes: list[tuple[int, list[ChannelEvent]] | ProtocolError] = []
        published: list[ChannelEvent] = []
        for request in requests:
            try:
                events = request.run(group)
            except ProtocolError as error:
                outcomes.append(error)
            else:
                outcomes.append((now, events))
                published += events
        changes = group.finish()
        if self.notify is not None and published:
            self.notify(tx, self._payloads(now, published))
        return outcomes, changes

    # -- reads -----------------------------------------------------------------------------------

    def load(self, tx: Tx, keys: Iterable[int], *, lock: bool = False) -> dict[int, _Live]:
        """The channel rows of ``keys`` (locked for this transaction with ``lock``)."""
        keys = sorted(keys)
        if not keys:
            return {}
        rows = tx.rows(
            f"SELECT {_CHANNEL_COLUMNS} FROM channels WHERE key {tx.IN_IDS} ORDER BY key"
            + (tx.FOR_UPDATE if lock else ""),
            (tx.array(keys),),
        )
        missing = [row[0] for row in rows if row[0] not in self._uris]
        if missing:
            self._uris.update(
                tx.rows(
                    "SELECT c.key, o.uri FROM channels c JOIN objects o ON o.id = c.object_id "
                    f"WHERE c.key {tx.IN_IDS}",
                    (tx.array(missing),),
                )
            )
        return {row[0]: _Live.of(row, self._uris[row[0]], self._definition(row)) for row in rows}

    def _definition(self, row: Row) -> ChannelDefinition:
        """The declaration in a channel row (the same object while the row declares the same)."""
        columns = row[2:10]
        known = self._definitions.get(row[0])
        if known is not None and known[0] == columns:
            return known[1]
        definition = _definition(row)
        self._definitions[row[0]] = (columns, definition)
        return definition

    async def open(self, uris: Iterable[str]) -> OpenOutcome:
        uris = list(uris)
        return await self._store._read(self._open, uris) if uris else OpenOutcome()

    def _open(self, tx: Tx, uris: list[str]) -> OpenOutcome:
        outcome = OpenOutcome()
        for given in uris:
            try:
                stored, _ = object_key(given)
                parsed = DataObjectUri.parse(stored)
            except InvalidUri as error:
                outcome.errors[given] = ProtocolError(error.code, error.message, key=given)
                continue
            if parsed.object_type not in _CHANNEL_TYPES:
                outcome.errors[given] = ProtocolError(
                    ErrorCode.EINVALID_ARGUMENT,
                    f"{stored} is not a Channel, ChannelSet or Log",
                    key=given,
                )
                continue
            found = tx.rows("SELECT id FROM objects WHERE uri = ?", (stored,))
            if not found:
                outcome.errors[given] = ProtocolError(
                    ErrorCode.ENOT_FOUND, f"{stored} is not in the store", key=given
                )
                continue
            ids = [found[0][0]]
            frontier = ids
            while frontier and parsed.object_type != "Channel":
                frontier = [
                    row[0]
                    for row in tx.rows(
                        "SELECT t.id FROM edges e JOIN objects t ON t.uri = e.target "
                        f"WHERE e.containment = 1 AND e.source_id {tx.IN_IDS}",
                        (tx.array(frontier),),
                    )
                ]
                ids += frontier
            keys = [
                row[0]
                for row in tx.rows(
                    f"SELECT key FROM channels WHERE object_id {tx.IN_IDS} ORDER BY key",
                    (tx.array(ids),),
                )
            ]
            if not keys and parsed.object_type == "Channel":
                outcome.errors[given] = ProtocolError(
                    ErrorCode.EINVALID_ARGUMENT,
                    f"{stored} declares no index: it cannot hold channel data",
                    key=given,
                )
                continue
            live = self.load(tx, keys)
            outcome.found[given] = [live[key].info() for key in keys]
        return outcome

    async def info(self, keys: Iterable[int]) -> dict[int, ChannelInfo]:
        keys = list(keys)
        if not keys:
            return {}
        live = await self._store._read(self.load, keys)
        return {key: channel.info() for key, channel in live.items()}

    async def read_range(
        self,
        key: int,
        start: IndexValue | None = None,
        end: IndexValue | None = None,
        *,
        limit: int | None = None,
        after: IndexValue | None = None,
    ) -> ChannelRange:
        ranges = await self._store._read(self._read_ranges, [key], start, end, limit, after)
        return ranges[key]

    async def read_ranges(
        self,
        keys: Sequence[int],
        start: IndexValue | None = None,
        end: IndexValue | None = None,
        *,
        limit: int | None = None,
    ) -> dict[int, ChannelRange]:
        keys = list(keys)
        return await self._store._read(self._read_ranges, keys, start, end, limit, None)

    def _read_ranges(
        self,
        tx: Tx,
        keys: list[int],
        start: IndexValue | None,
        end: IndexValue | None,
        limit: int | None,
        after: IndexValue | None,
    ) -> dict[int, ChannelRange]:
        live = self.load(tx, keys)
        out = {}
        for key in keys:
            channel = live.get(key)
            if channel is None:
                raise ProtocolError(
                    ErrorCode.ENOT_FOUND, f"channel key {key} is not in the store (deleted?)"
                )
            low, high = _bounds(channel, _scalar(start), _scalar(end), _scalar(after))
            want = None if limit is None else limit + 1
            parts = _scan(tx, key, channel.definition, low, high, want)
            points = _take(channel.definition, parts, None)
            more = limit is not None and len(points) > limit
            if more:
                points = points[:limit]
            out[key] = ChannelRange(key, points, more, channel.seq)
        return out

    async def read_latest(self, key: int, count: int) -> ChannelRange:
        return await self._store._read(self._read_latest, key, count)

    def _read_latest(self, tx: Tx, key: int, count: int) -> ChannelRange:
        channel = self.load(tx, [key]).get(key)
        if channel is None:
            raise ProtocolError(
                ErrorCode.ENOT_FOUND, f"channel key {key} is not in the store (deleted?)"
            )
        d = channel.definition
        parts = _scan(tx, key, d, _KEY_MIN, _KEY_MAX, count, backwards=True) if count > 0 else []
        points = _take(d, parts, count)[::-1]
        return ChannelRange(key, points, channel.count > len(points), channel.seq)

    async def change_annotations(
        self, keys: Iterable[int], since: int, *, latest_only: bool = False
    ) -> ChangeAnnotations:
        now = self._store._clock.now()
        oldest = now - int(self._store.change_retention * 1_000_000)
        if since < oldest:
            raise ProtocolError(
                ErrorCode.ERETENTION_PERIOD_EXCEEDED,
                f"changes are kept {self._store.change_retention:g} s: {since} is before {oldest}",
            )
        changes = await self._store._read(self._annotations, list(keys), since, latest_only)
        return ChangeAnnotations(now, changes)

    def _annotations(
        self, tx: Tx, keys: list[int], since: int, latest_only: bool
    ) -> dict[int, list[ChangeAnnotation]]:
        live = self.load(tx, keys)
        out: dict[int, list[ChangeAnnotation]] = {key: [] for key in live}
        for key, time, start, end in tx.rows(
            "SELECT channel_id, change_time, start_key, end_key FROM channel_changes "
            f"WHERE channel_id {tx.IN_IDS} AND change_time >= ? ORDER BY change_time",
            (tx.array(live), since),
        ):
            d = live[key].definition
            out[key].append(
                ChangeAnnotation(
                    time, blocks.value_of(start, d.is_time), blocks.value_of(end, d.is_time)
                )
            )
        for key, channel in live.items():
            if channel.append_since and channel.last_append >= since and channel.last is not None:
                assert channel.append_from is not None
                out[key].append(
                    ChangeAnnotation(channel.last_append, channel.append_from, channel.last)
                )
                out[key].sort(key=lambda a: a.change_time)
            if latest_only and out[key]:
                out[key] = out[key][-1:]
        return out

    def subscribe(self, keys: Iterable[int] = (), *, max_pending: int | None = None) -> ChannelFeed:
        return self.hub.subscribe(keys, max_pending or DEFAULT_MAX_PENDING)

    # -- inactivity ------------------------------------------------------------------------------

    async def _sweep(self) -> None:
        period = min(max(self.active_timeout / 4, 0.05), 60.0)
        while True:
            await asyncio.sleep(period)
            try:
                idle_before = self._store._clock.now() - int(self.active_timeout * 1_000_000)
                idle = await self._store._read(_idle_channels, idle_before)
                if idle:
                    await self._submit(_Deactivate(frozenset(idle), idle_before))
            except StoreError as error:
                if self._closed:
                    return
                log.warning("could not mark idle channels inactive: %s", error)

    # -- across processes (PostgreSQL) -----------------------------------------------------------

    def _payloads(self, now: int, events: list[ChannelEvent]) -> list[str]:
        """NOTIFY payloads (each under the size limit) telling other processes what changed."""
        entries: list[list[object]] = []
        for event in events:
            if isinstance(event, Appended):
                idx = event.points.indexes
                entries.append([event.key, "a", event.seq, idx[0].item(), idx[-1].item()])
            elif isinstance(event, Replaced):
                entries.append([event.key, "r", event.seq, event.start, event.end])
            else:
                entries.append([event.key, "t", event.seq, event.new_end, None])
        payloads = []
        chunk: list[list[object]] = []
        size = 0
        for entry in entries:
            text = json.dumps(entry)
            if chunk and size + len(text) > _NOTIFY_BYTES:
                payloads.append(json.dumps({"o": self.origin, "t": now, "e": chunk}))
                chunk, size = [], 0
            chunk.append(entry)
            size += len(text) + 1
        if chunk:
            payloads.append(json.dumps({"o": self.origin, "t": now, "e": chunk}))
        return payloads

    def remote_events(self, tx: Tx, payload: str) -> list[ChannelEvent]:
        """The events of a NOTIFY payload from another process, for the channels watched here,
        with their points read from the store."""
        message = json.loads(payload)
        if message["o"] == self.origin:
            return []
        time = message["t"]
        entries = [e for e in message["e"] if e[0] in self.hub.watched([e[0]])]
        live = self.load(tx, {e[0] for e in entries})
        events: list[ChannelEvent] = []
        for key, kind, seq, a, b in entries:
            channel = live.get(key)
            if channel is None:
                continue  # deleted since
            d = channel.definition
            if kind == "t":
                events.append(Truncated(key, a, seq, time))
                continue
            k_a, k_b = blocks.key_of(a, d.is_time), blocks.key_of(b, d.is_time)
            points = _take(d, _scan(tx, key, d, min(k_a, k_b), max(k_a, k_b), None), None)
            if kind == "a":
                events.append(Appended(key, points, seq, time))
            else:
                events.append(Replaced(key, a, b, points, seq, time))
        return events


def _idle_channels(tx: Tx, idle_before: int) -> list[int]:
    return [
        row[0]
        for row in tx.rows(
            "SELECT key FROM channels WHERE active = 1 AND last_append < ?", (idle_before,)
        )
    ]
