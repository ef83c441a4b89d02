"""Channel data over the store's SQL, the same on both backends (see :mod:`etp.store.channels`).

:class:`SqlChannels` is ``store.channels`` of a :class:`~etp.store.sql.SqlStore`. Writes queue
up and run as **group commits**: one flusher task takes every queued request, runs them in order
in one write transaction (:meth:`SqlStore._write`, on the backend's writer; see
:mod:`etp.store.channel_write`), and after the commit publishes their events and answers their
callers. While a transaction commits the next requests queue, so the commit rate adapts to the
load with no timer; an append is checked and encoded before it queues (the event loop works
while the writer commits). Reads run on the backend's readers in one snapshot. A sweeper task
turns idle channels inactive. With PostgreSQL, each group NOTIFYs what it changed and
:meth:`SqlChannels.remote_events` reads what other processes changed for this one's feeds.
While any feed is open a watcher follows the store's changes (:meth:`SqlStore.changes`, which
carries every process's deletions) and tells the feeds of a deleted Channel object.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from etp.errors import ErrorCode, InvalidUri, ProtocolError, StoreError
from etp.store import blocks
from etp.store.channel_feed import DEFAULT_MAX_PENDING, ChannelFeed, ChannelHub
from etp.store.channel_rows import (
    CHANNEL_COLUMNS,
    CHANNEL_TYPES,
    KEY_MAX,
    KEY_MIN,
    ChannelRow,
    contained_ids,
    definition_of,
    joined,
    read_bounds,
    scalar,
    scan,
)
from etp.store.channel_write import (
    Append,
    Chunk,
    Deactivate,
    Group,
    Replace,
    Request,
    Tail,
    Truncate,
    prepare,
)
from etp.store.channels import (
    Appended,
    ChangeAnnotation,
    ChangeAnnotations,
    ChannelDefinition,
    ChannelEvent,
    ChannelInfo,
    ChannelRange,
    ChannelStore,
    Deleted,
    IndexValue,
    OpenOutcome,
    Points,
    Replaced,
    Truncated,
)
from etp.store.feed import ChangeFeed
from etp.store.records import Change, ChangeKind
from etp.store.tx import Row, Tx, object_key
from etp.uri import DataObjectUri

if TYPE_CHECKING:
    from etp.store.sql import SqlStore

__all__ = ["RemoteChanges", "SqlChannels"]

log = logging.getLogger("etp.store")

_NOTIFY_BYTES = 7_000  # under PostgreSQL's 8000-byte NOTIFY payload limit
_TAILS_KEPT = 8_192  # channels whose tails are remembered (each under MIN_BLOCK * 16 points)


class SqlChannels(ChannelStore):
    """:class:`ChannelStore` over a :class:`~etp.store.sql.SqlStore` backend."""

    def __init__(self, store: SqlStore, *, active_timeout: float) -> None:
        self._store = store
        self.active_timeout = active_timeout
        self.hub = ChannelHub()
        self.hub.on_idle = self._stop_watching
        self.origin = uuid.uuid4().hex
        self._uris: dict[int, str] = {}
        self._keys: dict[str, set[int]] = {}
        """The reverse of ``_uris`` (a URI deleted and put again has a new key)."""
        self._deletions: ChangeFeed | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._definitions: dict[int, tuple[Row, ChannelDefinition]] = {}
        self._tails: dict[int, Tail] = {}
        """The small blocks at channels' tails as the last commits left them (at most
        ``_TAILS_KEPT`` channels, the most recently written)."""
        self._staged_tails: tuple[dict[int, Tail], set[int]] | None = None
        self._queue: list[tuple[Request, asyncio.Future[int]]] = []
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
        if self._watcher is not None:
            await self._watcher

    # -- writes ----------------------------------------------------------------------------------

    async def append(self, points: Mapping[int, Points]) -> int:
        chunks = {}
        for key, given in points.items():
            chunk = Chunk(given)
            known = self._definitions.get(key)
            if known is not None:
                # checked and encoded here, while the writer commits; if refused, the
                # transaction checks again against the current declaration and says why
                with contextlib.suppress(ProtocolError):
                    chunk = prepare(known[1], given, self._uris.get(key, ""), key)
            chunks[key] = chunk
        return await self._submit(Append(chunks, frozenset(points)))

    async def replace_range(
        self, start: IndexValue, end: IndexValue, points: Mapping[int, Points]
    ) -> int:
        return await self._submit(Replace(start, end, dict(points), frozenset(points)))

    async def truncate(self, new_ends: Mapping[int, IndexValue]) -> int:
        return await self._submit(Truncate(dict(new_ends), frozenset(new_ends)))

    async def close(self, keys: Iterable[int]) -> None:
        keys = frozenset(keys)
        if keys:
            await self._submit(Deactivate(keys, None))

    async def _submit(self, request: Request) -> int:
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
            self._staged_tails = None
            try:
                outcomes = await self._store._write(self._apply, [r for r, _ in batch])
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self._remember_tails()
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
        self, tx: Tx, now: int, requests: list[Request]
    ) -> tuple[list[tuple[int, list[ChannelEvent]] | ProtocolError], list[Change]]:
        keys = frozenset().union(*(r.keys for r in requests))
        group = Group(tx, now, self.load(tx, keys, lock=True), self._tails)
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
        self._staged_tails = (group.tails_after(), group.untrusted)
        return outcomes, changes

    def _remember_tails(self) -> None:
        """Keep the tails the group that just committed left (a failed one leaves none)."""
        if self._staged_tails is None:
            return
        tails, untrusted = self._staged_tails
        self._staged_tails = None
        for key in untrusted:
            self._tails.pop(key, None)
        for key, tail in tails.items():
            self._tails.pop(key, None)  # re-inserted last: the oldest written go first
            self._tails[key] = tail
        while len(self._tails) > _TAILS_KEPT:
            del self._tails[next(iter(self._tails))]

    # -- reads -----------------------------------------------------------------------------------

    def load(self, tx: Tx, keys: Iterable[int], *, lock: bool = False) -> dict[int, ChannelRow]:
        """The channel rows of ``keys`` (locked for this transaction with ``lock``)."""
        keys = sorted(keys)
        if not keys:
            return {}
        rows = tx.rows(
            f"SELECT {CHANNEL_COLUMNS} FROM channels WHERE key {tx.IN_IDS} ORDER BY key"
            + (tx.FOR_UPDATE if lock else ""),
            (tx.array(keys),),
        )
        missing = [row[0] for row in rows if row[0] not in self._uris]
        if missing:
            for key, uri in tx.rows(
                "SELECT c.key, o.uri FROM channels c JOIN objects o ON o.id = c.object_id "
                f"WHERE c.key {tx.IN_IDS}",
                (tx.array(missing),),
            ):
                self._uris[key] = uri
                self._keys.setdefault(uri, set()).add(key)
        return {row[0]: ChannelRow.of(row, self._uris[row[0]], self._declared(row)) for row in rows}

    def _declared(self, row: Row) -> ChannelDefinition:
        """The declaration in a channel row (the same object while the row declares the same)."""
        columns = row[2:10]
        known = self._definitions.get(row[0])
        if known is not None and known[0] == columns:
            return known[1]
        definition = definition_of(row)
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
            if parsed.object_type not in CHANNEL_TYPES:
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
            ids = contained_ids(tx, found[0][0], parsed.object_type)
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
            low, high = read_bounds(channel, scalar(start), scalar(end), scalar(after))
            want = None if limit is None else limit + 1
            parts = scan(tx, key, channel.definition, low, high, want)
            points = joined(channel.definition, parts, None)
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
        parts = scan(tx, key, d, KEY_MIN, KEY_MAX, count, backwards=True) if count > 0 else []
        points = joined(d, parts, count)[::-1]
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

    def subscribe(
        self, keys: Iterable[int] = (), *, max_pending: int | None = None, data: bool = True
    ) -> ChannelFeed:
        feed = self.hub.subscribe(keys, max_pending or DEFAULT_MAX_PENDING, data=data)
        if self._deletions is None and not self._closed:
            # watching from now: a deletion committed after this returns reaches the feed
            self._deletions = self._store.changes()
            self._watcher = asyncio.get_running_loop().create_task(
                self._watch(self._deletions), name="etp-channel-deletions"
            )
        return feed

    # -- deletions -------------------------------------------------------------------------------

    async def _watch(self, changes: ChangeFeed) -> None:
        """Tell the feeds of the channels whose Channel object is deleted, until no feed is
        left. Having fallen behind the store's changes, check the watched channels instead."""
        while changes is self._deletions:
            try:
                async for change in changes:
                    if change.kind is ChangeKind.DELETE and change.uri in self._keys:
                        await self._gone(self._keys[change.uri], change.time)
                return
            except StoreError as error:
                log.warning("channel deletions: %s; checking the watched channels", error)
                if self._deletions is changes:
                    self._deletions = changes = self._store.changes()
                await self._gone(self.hub.keys(), self._store._clock.now())

    async def _gone(self, keys: Iterable[int], time: int) -> None:
        """Publish Deleted for those of ``keys`` that are no longer stored."""
        keys = set(keys)
        try:
            live = await self.info(keys)
        except StoreError as error:
            if not self._closed:
                log.warning("channel deletions: cannot check channels: %s", error)
            return
        events = [Deleted(key, self._uris[key], time) for key in sorted(keys - set(live))]
        for event in events:
            self._uris.pop(event.key, None)
            self._definitions.pop(event.key, None)
            same = self._keys.get(event.uri, set())
            same.discard(event.key)
            if not same:
                self._keys.pop(event.uri, None)
        self.hub.publish_deleted(events)

    def _stop_watching(self) -> None:
        """The last feed ended: stop following the store's changes."""
        if self._deletions is not None:
            self._deletions.close()
            self._deletions = None

    # -- inactivity ------------------------------------------------------------------------------

    async def _sweep(self) -> None:
        period = min(max(self.active_timeout / 4, 0.05), 60.0)
        while True:
            await asyncio.sleep(period)
            try:
                idle_before = self._store._clock.now() - int(self.active_timeout * 1_000_000)
                idle = await self._store._read(_idle_channels, idle_before)
                if idle:
                    await self._submit(Deactivate(frozenset(idle), idle_before))
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
            elif isinstance(event, Truncated):
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

    def remote_changes(self, payload: str) -> RemoteChanges | None:
        """What a NOTIFY payload says changed for the channels watched here; None when it
        came from this store or names none of them (nothing to read)."""
        message = json.loads(payload)
        if message["o"] == self.origin:
            return None
        watched = self.hub.watched(e[0] for e in message["e"])
        entries = [e for e in message["e"] if e[0] in watched]
        return RemoteChanges(message["t"], entries) if entries else None

    def remote_events(self, tx: Tx, changes: RemoteChanges) -> list[ChannelEvent]:
        """The events of :meth:`remote_changes`, with their points read from the store."""
        time, entries = changes.time, changes.entries
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
            points = joined(d, scan(tx, key, d, min(k_a, k_b), max(k_a, k_b), None), None)
            if kind == "a":
                events.append(Appended(key, points, seq, time))
            else:
                events.append(Replaced(key, a, b, points, seq, time))
        return events


@dataclass(frozen=True, slots=True)
class RemoteChanges:
    """Changes another process committed: its commit time, and per change the channel key,
    kind (``a`` append, ``r`` replace, ``t`` truncate), seq and index interval."""

    time: int
    entries: list[list[Any]]


def _idle_channels(tx: Tx, idle_before: int) -> list[int]:
    return [
        row[0]
        for row in tx.rows(
            "SELECT key FROM channels WHERE active = 1 AND last_append < ?", (idle_before,)
        )
    ]
