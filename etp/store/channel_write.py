"""One group commit of channel data: the requests and what they do in their transaction.

:class:`Group` holds the ``channels`` rows of every channel its requests name, locked for the
transaction (``FOR UPDATE`` on PostgreSQL, so writers in several processes serialize per
channel). Each request is checked completely before it changes anything, so a refused request
leaves the others of its group untouched. Appended points are written at the end of the group,
one run of blocks per channel: chunks encoded before the transaction as they are, small ones
merged with the small blocks at the channel's tail (binary-counter style, so a point is
rewritten at most log2(MIN_BLOCK) times however small the appends). The small blocks at a
channel's tail are remembered between groups (:class:`Tail`, kept by the caller after each
commit and trusted while the channel's ``seq`` is the one they were written at: every change of
a channel's blocks bumps it), so a small append reads nothing back. Replace and truncate rewrite
the blocks around their interval. :meth:`Group.finish` writes the rows back, the change
annotations, storeLastWrite, and the active-status flips of the channel objects and their
containers (the changes to publish).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from etp.errors import ErrorCode, ProtocolError
from etp.store import blocks
from etp.store.channel_rows import KEY_MAX, KEY_MIN, ChannelRow, index_arg, scalar, value_at
from etp.store.channels import (
    Appended,
    ChannelDefinition,
    ChannelEvent,
    IndexDirection,
    IndexValue,
    Points,
    Replaced,
    Truncated,
)
from etp.store.records import Change, ChangeKind
from etp.store.tx import RESOURCE_COLUMNS, Tx, resource_from_row

__all__ = [
    "Append",
    "Chunk",
    "Deactivate",
    "Group",
    "Replace",
    "Request",
    "Tail",
    "TailBlock",
    "Truncate",
    "prepare",
]

_ANNOTATION_SPAN_US = 60_000_000  # appends within a minute share one change annotation
_WRITE_STAMP_US = 1_000_000  # a channel's storeLastWrite follows appends at most once a second
_TAIL_ROWS = 16  # small blocks looked at when an append merges into the tail
_UPDATE_STATE = """
UPDATE channels SET first_key = ?, last_key = ?, point_count = ?, seq = ?, last_append = ?,
    active = ?, append_since = ?, append_from_key = ?, written = ?
WHERE key = ?
"""
_DELETE_BLOCK = "DELETE FROM channel_data WHERE channel_id = ? AND lo_key = ?"
_INSERT_BLOCK = (
    "INSERT INTO channel_data (channel_id, lo_key, hi_key, point_count, indexes, vals, nulls) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


class Request(Protocol):
    """A queued write: the channels it names, and what it does in its group."""

    @property
    def keys(self) -> frozenset[int]: ...

    def run(self, group: Group) -> list[ChannelEvent]:
        """Check, then change the group's rows; the events to publish after the commit."""
        ...


@dataclass(frozen=True, slots=True)
class Chunk:
    """One channel's points of an append, checked (``definition``: against which; None: not
    yet) and, when not small, encoded as blocks before the transaction."""

    points: Points
    definition: ChannelDefinition | None = None
    blocks: tuple[blocks.Block, ...] = ()


def prepare(definition: ChannelDefinition, points: Points, uri: str, key: int) -> Chunk:
    """Check points on their own (types, order within the batch) and encode them."""
    points = blocks.check_points(definition, points, uri, key)
    blocks.check_order(points.indexes, definition.direction, None, uri, key)
    encoded: tuple[blocks.Block, ...] = ()
    if len(points) >= blocks.MIN_BLOCK:
        encoded = tuple(
            blocks.encode_block(points[i : i + blocks.MAX_BLOCK], definition.is_time)
            for i in range(0, len(points), blocks.MAX_BLOCK)
        )
    return Chunk(points, definition, encoded)


@dataclass(frozen=True, slots=True)
class Append:
    """:meth:`ChannelStore.append <etp.store.channels.ChannelStore.append>`."""

    chunks: Mapping[int, Chunk]
    keys: frozenset[int]

    def run(self, group: Group) -> list[ChannelEvent]:
        return group.append(self.chunks)


@dataclass(frozen=True, slots=True)
class Replace:
    """:meth:`ChannelStore.replace_range <etp.store.channels.ChannelStore.replace_range>`."""

    start: IndexValue
    end: IndexValue
    points: Mapping[int, Points]
    keys: frozenset[int]

    def run(self, group: Group) -> list[ChannelEvent]:
        return group.replace(self.start, self.end, self.points)


@dataclass(frozen=True, slots=True)
class Truncate:
    """:meth:`ChannelStore.truncate <etp.store.channels.ChannelStore.truncate>`."""

    new_ends: Mapping[int, IndexValue]
    keys: frozenset[int]

    def run(self, group: Group) -> list[ChannelEvent]:
        return group.truncate(self.new_ends)


@dataclass(frozen=True, slots=True)
class Deactivate:
    """Channels closed (``idle_before`` None) or idle since before ``idle_before`` (µs)."""

    keys: frozenset[int]
    idle_before: int | None  # None: now (closed); else only if no append since

    def run(self, group: Group) -> list[ChannelEvent]:
        group.deactivate(self.keys, self.idle_before)
        return []


@dataclass(frozen=True, slots=True)
class TailBlock:
    """A small block at a channel's tail: its key and its points."""

    lo_key: int
    points: Points


@dataclass(frozen=True, slots=True)
class Tail:
    """The small blocks after a channel's last large block, oldest first, as its ``seq`` left
    them."""

    seq: int
    blocks: tuple[TailBlock, ...]


class Group:
    """One group commit: the channel rows it locked and what the requests did to them.

    ``tails``: the channels' tails as remembered from earlier commits (read only); after the
    commit, :meth:`tails_after` and :attr:`untrusted` say what to remember and to forget.
    """

    def __init__(
        self,
        tx: Tx,
        now: int,
        live: dict[int, ChannelRow],
        tails: Mapping[int, Tail] | None = None,
    ) -> None:
        self.tx = tx
        self.now = now
        self.live = live
        self.known_tails = tails or {}
        self.read_seq = {key: row.seq for key, row in live.items()}
        self.tails: dict[int, list[TailBlock]] = {}  # as this group leaves them
        self.untrusted: set[int] = set()  # channels whose tails this group cannot vouch for
        self.block_rows: list[tuple[object, ...]] = []
        self.block_deletes: list[tuple[int, int]] = []
        self.annotation_rows: list[tuple[int, int, int, int]] = []
        self.events: list[ChannelEvent] = []

    def channel(self, key: int) -> ChannelRow:
        """The row of ``key``, or ENOT_FOUND."""
        live = self.live.get(key)
        if live is None:
            raise ProtocolError(
                ErrorCode.ENOT_FOUND, f"channel key {key} is not in the store (deleted?)"
            )
        return live

    # -- the operations: check everything, then change -------------------------------------------

    def append(self, chunks: Mapping[int, Chunk]) -> list[ChannelEvent]:
        """Append to each channel (written at :meth:`finish`); the events."""
        checked = []
        for key, chunk in chunks.items():
            live = self.channel(key)
            if chunk.definition is not live.definition and chunk.definition != live.definition:
                # not prepared, or declared anew since
                chunk = prepare(live.definition, chunk.points, live.uri, key)
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
        """Replace each channel's points in [start, end]; the events."""
        checked = []
        for key, given in points.items():
            live = self.channel(key)
            a = index_arg(scalar(start), live, "the start of the interval")
            b = index_arg(scalar(end), live, "the end of the interval")
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
            removed = self._rewrite(live, k_low, k_high, pts)
            if not removed and not len(pts):
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
        """Delete each channel's points after its new end; the events."""
        checked = []
        for key, value in new_ends.items():
            live = self.channel(key)
            checked.append((live, index_arg(scalar(value), live, "the new end index")))
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
                self._rewrite(live, k_end + 1, KEY_MAX, blocks.empty_points(d))
            else:
                self._rewrite(live, KEY_MIN, k_end - 1, blocks.empty_points(d))
            self.annotation_rows.append(
                (live.key, self.now, k_end, blocks.key_of(old_last, d.is_time))
            )
            live.seq += 1
            live.dirty = True
            events.append(Truncated(live.key, new_end, live.seq, self.now))
        return events

    def deactivate(self, keys: Iterable[int], idle_before: int | None) -> None:
        """Mark channels inactive (all, or those without an append since ``idle_before``)."""
        for key in keys:
            live = self.live.get(key)
            if live is None or not live.active:
                continue
            if idle_before is None or live.last_append < idle_before:
                live.active = False
                live.dirty = True

    # -- writing ---------------------------------------------------------------------------------

    def _close_append_annotation(self, live: ChannelRow) -> None:
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

    def _flush(self, live: ChannelRow) -> None:
        """Write the points appended to ``live`` in this group (and every block queued)."""
        self._write_pending(live)
        self._insert_blocks()

    def _write_pending(self, live: ChannelRow) -> None:
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
                for i, block in enumerate(chunk.blocks):
                    self.block_rows.append(block.row(live.key))
                    at = i * blocks.MAX_BLOCK
                    self._note(live.key, block, chunk.points[at : at + blocks.MAX_BLOCK])
                queued = True
            else:
                small.append(chunk.points)
        live.pending = []

    def _insert_blocks(self) -> None:
        self.tx.run_many(_DELETE_BLOCK, self.block_deletes)  # first: a merged block keeps a key
        self.block_deletes = []
        self.tx.run_many(_INSERT_BLOCK, self.block_rows)
        self.block_rows = []

    def _queue_blocks(self, live: ChannelRow, points: Points) -> None:
        is_time = live.definition.is_time
        for i in range(0, len(points), blocks.MAX_BLOCK):
            piece = points[i : i + blocks.MAX_BLOCK]
            block = blocks.encode_block(piece, is_time)
            self.block_rows.append(block.row(live.key))
            self._note(live.key, block, piece)

    def _note(self, key: int, block: blocks.Block, points: Points) -> None:
        """Follow the channel's tail as a block is queued after it."""
        if block.count >= blocks.MIN_BLOCK:
            self.tails[key] = []
        elif key in self.tails:
            tail = self.tails[key]
            tail.append(TailBlock(block.lo_key, points))
            del tail[:-_TAIL_ROWS]  # as the store's query sees it
        else:
            self.untrusted.add(key)

    def _tail(self, live: ChannelRow) -> list[TailBlock]:
        """The small blocks after the channel's last large one, oldest first: as this group
        left them, as remembered at the seq the channel was read at, or read from the store."""
        key = live.key
        if key in self.tails:
            return self.tails[key]
        known = self.known_tails.get(key)
        if known is not None and key not in self.untrusted and known.seq == self.read_seq[key]:
            self.tails[key] = list(known.blocks)
            return self.tails[key]
        if self.block_rows or self.block_deletes:
            self._insert_blocks()  # what the query must see
        increasing = live.definition.direction is IndexDirection.INCREASING
        found = []
        for lo_key, count, indexes, values, nulls in self.tx.rows(
            "SELECT lo_key, point_count, indexes, vals, nulls FROM channel_data "
            f"WHERE channel_id = ? ORDER BY lo_key {'DESC' if increasing else 'ASC'} "
            f"LIMIT {_TAIL_ROWS}",
            (key,),
        ):
            if count >= blocks.MIN_BLOCK:
                break
            points = blocks.decode_block(live.definition, count, indexes, values, nulls)
            found.append(TailBlock(lo_key, points))
        self.tails[key] = found[::-1]
        return self.tails[key]

    def _merge_tail(self, live: ChannelRow, points: Points) -> Points:
        """``points`` preceded by the small blocks at the channel's tail that they absorb (each
        no larger than what it merges with, so sizes double: binary-counter amortization)."""
        if len(points) >= blocks.MIN_BLOCK:
            return points
        tail = self._tail(live)
        size = len(points)
        merged = 0
        for block in reversed(tail):
            if len(block.points) > size:
                break
            size += len(block.points)
            merged += 1
        if not merged:
            return points
        absorbed = tail[len(tail) - merged :]
        del tail[len(tail) - merged :]
        self.block_deletes += [(live.key, block.lo_key) for block in absorbed]
        return blocks.concat([*(block.points for block in absorbed), points])

    def tails_after(self) -> dict[int, Tail]:
        """The tails to remember once this group has committed (see :attr:`untrusted`)."""
        return {
            key: Tail(self.live[key].seq, tuple(tail))
            for key, tail in self.tails.items()
            if key not in self.untrusted
        }

    def _rewrite(self, live: ChannelRow, low: int, high: int, points: Points) -> int:
        """Replace the points with keys in [low, high] by ``points`` (inside it, in channel
        order): every block whose span meets the interval is rewritten, so blocks never
        overlap. The count removed."""
        tx = self.tx
        d = live.definition
        increasing = d.direction is IndexDirection.INCREASING
        floor = tx.rows(
            "SELECT MAX(lo_key) FROM channel_data WHERE channel_id = ? AND lo_key <= ?",
            (live.key, low),
        )[0][0]
        rows = tx.rows(
            "SELECT lo_key, hi_key, point_count, indexes, vals, nulls FROM channel_data "
            "WHERE channel_id = ? AND lo_key >= ? AND lo_key <= ? "
            f"ORDER BY lo_key {'ASC' if increasing else 'DESC'}",  # channel order
            (live.key, low if floor is None else floor, high),
        )
        before: list[Points] = []  # kept, before the interval in channel order
        after: list[Points] = []
        removed = 0
        touched = []
        for lo_key, hi_key, count, indexes, values, nulls in rows:
            if hi_key < low:
                continue  # the block below the interval ends before it
            block = blocks.decode_block(d, count, indexes, values, nulls)
            keys = blocks.keys_of(block.indexes, d.is_time)
            touched.append(lo_key)
            removed += int(((keys >= low) & (keys <= high)).sum())
            below, above = _mask(block, keys < low), _mask(block, keys > high)
            before.append(below if increasing else above)
            after.append(above if increasing else below)
        if not removed and not len(points):
            return 0  # blocks are rewritten only with a change (and so a new seq)
        self.untrusted.add(live.key)
        self.tails.pop(live.key, None)
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
        live.first, live.last, live.count = value_at(first, d), value_at(last, d), int(count)
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
