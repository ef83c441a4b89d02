"""The store's semantics, once, in SQL both backends run (see :mod:`etp.store`).

Every operation is a plain synchronous function of one transaction (:class:`~etp.store.tx.Tx`)
that a backend runs on a worker thread: writes (``_put``, ``_delete``...) here take
``(tx, now, ...)`` and return their result and the changes to publish; reads take ``(tx, ...)``
(Discovery's are in :mod:`etp.store.discovery`). Backends supply the transaction (and with it
the few dialect differences: list parameters, bulk inserts, row locks) and publish the changes.

Growing objects: a Trajectory is active while its stations keep changing. A sweeper task,
started by the store's first write and by every write that leaves a Trajectory active, turns
each one that has gone ``active_timeout`` seconds without a write inactive
(:func:`etp.store.describe.made_inactive`: ``GrowingStatus`` rewritten, ObjectActiveStatusChanged
published), and ends when none is active any more or the store closes.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np

from etp.errors import ErrorCode, ProtocolError, StoreError
from etp.store import Store, channel_objects, discovery, render
from etp.store.channel_sql import SqlChannels
from etp.store.channels import Points
from etp.store.describe import made_inactive
from etp.store.feed import ChangeFeed, ChangeHub
from etp.store.records import (
    ActiveStatus,
    Change,
    ChangeKind,
    ContextScope,
    CustomData,
    Dataspace,
    DeletedResource,
    DeleteOutcome,
    ObjectRecord,
    PutResult,
    RelationshipKind,
    Resource,
    ResourcePage,
    ResourceQuery,
    StoredObject,
    TypeCount,
)
from etp.store.tx import RESOURCE_COLUMNS, Tx, object_key, resource_from_row
from etp.uri import DataObjectUri, DataspaceUri

__all__ = ["SqlStore"]

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger("etp.store")

#: Growing objects whose parts this store serves (GrowingObject): the sweeper's concern. Channels,
#: ChannelSets and Logs are the channel store's (etp.store.channel_sql).
_GROWING_TYPES = ("witsml20.Trajectory",)

_HOUSEKEEPING_EVERY_US = 60_000_000
_UPSERT_OBJECT = """
INSERT INTO objects (uri, dataspace, qualified_type, uuid, object_version, name, last_changed,
                     store_created, store_last_write, active, xml)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (uri) DO UPDATE SET
    object_version = excluded.object_version, name = excluded.name,
    last_changed = excluded.last_changed, store_last_write = excluded.store_last_write,
    active = excluded.active, xml = excluded.xml
"""
_UPSERT_TOMBSTONE = """
INSERT INTO deleted_objects (uri, dataspace, qualified_type, deleted_time) VALUES (?, ?, ?, ?)
ON CONFLICT (uri) DO UPDATE SET deleted_time = excluded.deleted_time
"""


class _Clock:
    """Strictly increasing microsecond timestamps (two writes never share a storeLastWrite)."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            self._last = max(time.time_ns() // 1000, self._last + 1)
            return self._last


def _active_growing(tx: Tx) -> list[tuple[str, int]]:
    """The growing objects that are active, with their storeLastWrite."""
    return [
        (uri, written)
        for uri, written in tx.rows(
            "SELECT uri, store_last_write FROM objects "
            f"WHERE active = 1 AND qualified_type IN ({', '.join('?' * len(_GROWING_TYPES))})",
            _GROWING_TYPES,
        )
    ]


def _with_bulk_data(records: Iterable[ObjectRecord]) -> Iterator[ObjectRecord]:
    """The ChannelSets among ``records`` and what they contain that hold rows."""
    for record in records:
        if record.bulk_data is not None:
            yield record
        yield from _with_bulk_data(record.contained)


def _same(stored: Points, given: Points) -> bool:
    """Whether two channels' points are the same (values compared where not null)."""
    if len(stored) != len(given) or not np.array_equal(stored.indexes, given.indexes):
        return False
    none = np.zeros(len(given), dtype=bool)
    nulls = given.nulls if given.nulls is not None else none
    if not np.array_equal(stored.nulls if stored.nulls is not None else none, nulls):
        return False
    return bool(np.array_equal(stored.values[~nulls], given.values[~nulls]))


def _check_record(record: ObjectRecord) -> None:
    def bad(reason: str) -> ProtocolError:
        return ProtocolError(ErrorCode.EINVALID_ARGUMENT, reason, key=record.uri)

    parsed = DataObjectUri.parse(record.uri)
    if parsed.version is not None or str(parsed.canonical) != record.uri:
        raise bad("a record's URI must be canonical and without object version")
    if record.dataspace != str(parsed.dataspace_uri):
        raise bad(f"dataspace {record.dataspace!r} is not the URI's ({parsed.dataspace_uri})")
    if record.qualified_type != parsed.qualified_type or record.uuid != parsed.uuid:
        raise bad(f"type {record.qualified_type!r} / uuid {record.uuid!r} disagree with the URI")
    for ref in record.references:
        if ref.kind is RelationshipKind.BOTH:
            raise bad(f"reference to {ref.target} must be Primary or Secondary, not Both")
    for child in record.contained:
        if child.dataspace != record.dataspace:
            raise bad(f"contained {child.uri} is in another dataspace")


@dataclass(slots=True)
class _Flat:
    """A record of a put batch, flattened out of its container tree."""

    record: ObjectRecord
    top: str  # the batch record it came with
    container: str | None


def _flatten(records: Sequence[ObjectRecord]) -> dict[str, _Flat]:
    flat: dict[str, _Flat] = {}

    def visit(record: ObjectRecord, top: str, container: str | None) -> None:
        _check_record(record)
        flat[record.uri] = _Flat(record, top, container)
        for child in record.contained:
            visit(child, top, record.uri)

    for record in records:
        visit(record, record.uri, None)
    return flat


def _object_row(record: ObjectRecord, now: int) -> tuple[object, ...]:
    active = int(record.active_status is ActiveStatus.ACTIVE)
    return (
        *(record.uri, record.dataspace, record.qualified_type, record.uuid),
        *(record.object_version, record.name, record.last_changed, now, now, active, record.xml),
    )


def _edge_rows(record: ObjectRecord, source_id: int) -> list[tuple[object, ...]]:
    edges: dict[str, tuple[str, int]] = {}
    for ref in record.references:
        if ref.target == record.uri:
            continue
        kind, _ = edges.get(ref.target, (RelationshipKind.SECONDARY.value, 0))
        primary = ref.kind is RelationshipKind.PRIMARY or kind == RelationshipKind.PRIMARY
        edges[ref.target] = ("Primary" if primary else "Secondary", 0)
    for child in record.contained:
        edges[child.uri] = ("Primary", 1)
    return [(source_id, target, kind, containment) for target, (kind, containment) in edges.items()]


class SqlStore(Store):
    """The store semantics over a backend that runs :class:`Tx` functions on its threads."""

    def __init__(
        self, *, where: str, change_retention: float, max_pending: int, active_timeout: float
    ) -> None:
        self.change_retention = change_retention
        self.active_timeout = active_timeout
        self._where = where
        self._hub = ChangeHub(max_pending)
        self._clock = _Clock()
        self._next_housekeeping = 0
        self._sweeper: asyncio.Task[None] | None = None
        self._swept = False  # the sweeper has looked at the store once
        self.channels: SqlChannels = SqlChannels(self, active_timeout=active_timeout)

    # -- backend hooks -------------------------------------------------------------------------

    @abc.abstractmethod
    async def _write(
        self,
        op: Callable[Concatenate[Tx, int, P], tuple[R, list[Change]]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """Run ``op(tx, now, ...)`` in a write transaction (retried on a transient conflict),
        call :meth:`_housekeep` in it, commit, and publish the changes it returns."""

    @abc.abstractmethod
    async def _read(
        self, op: Callable[Concatenate[Tx, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run ``op(tx, ...)`` in a read-only transaction with one consistent snapshot."""

    def _housekeep(self, tx: Tx, now: int) -> None:
        """Drop tombstones and channel change annotations past the retention period (at most
        once a minute)."""
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + _HOUSEKEEPING_EVERY_US
        oldest = now - int(self.change_retention * 1_000_000)
        tx.run("DELETE FROM deleted_objects WHERE deleted_time < ?", (oldest,))
        tx.run("DELETE FROM channel_changes WHERE change_time < ?", (oldest,))

    # -- public API ----------------------------------------------------------------------------

    async def put_objects(
        self, records: Sequence[ObjectRecord], *, prune_contained_objects: bool = False
    ) -> list[PutResult]:
        if not records:
            return []
        results = await self._write(self._put, list(records), prune_contained_objects)
        self._watch_growing(records)
        for channel_set in _with_bulk_data(records):
            await self._store_bulk_data(channel_set)
        return results

    async def get_objects(self, uris: Iterable[str]) -> dict[str, StoredObject]:
        uris = list(uris)
        return await self._read(self._get, uris) if uris else {}

    async def update_object(
        self, uri: str, edit: Callable[[StoredObject | None], tuple[ObjectRecord | None, R]]
    ) -> R:
        written: list[ObjectRecord] = []

        def noted(stored: StoredObject | None) -> tuple[ObjectRecord | None, R]:
            record, result = edit(stored)
            written[:] = [record] if record is not None else []
            return record, result

        result = await self._write(self._update, uri, noted)
        self._watch_growing(written)
        return result

    async def delete_objects(
        self, uris: Iterable[str], *, prune_contained_objects: bool = False
    ) -> DeleteOutcome:
        uris = list(uris)
        if not uris:
            return DeleteOutcome()
        return await self._write(self._delete, uris, prune_contained_objects)

    async def get_resources(self, query: ResourceQuery) -> ResourcePage:
        return await self._read(discovery.resources, query)

    async def get_deleted_resources(
        self,
        dataspace: str,
        *,
        deleted_after: int | None = None,
        data_object_types: Sequence[str] = (),
    ) -> list[DeletedResource]:
        oldest = self._clock.now() - int(self.change_retention * 1_000_000) - 1
        after = oldest if deleted_after is None else max(deleted_after, oldest)
        return await self._read(
            discovery.deleted_resources, dataspace, after, tuple(data_object_types)
        )

    async def count_types(
        self, uri: str, scope: ContextScope = ContextScope.TARGETS
    ) -> list[TypeCount]:
        return await self._read(discovery.count_types, uri, scope)

    async def get_dataspaces(self, *, store_last_write_after: int | None = None) -> list[Dataspace]:
        return await self._read(self._dataspaces, store_last_write_after)

    async def put_dataspaces(self, dataspaces: Mapping[str, CustomData]) -> dict[str, bool]:
        if not dataspaces:
            return {}
        return await self._write(self._put_dataspaces, dict(dataspaces))

    async def delete_dataspaces(self, uris: Iterable[str]) -> DeleteOutcome:
        uris = list(uris)
        if not uris:
            return DeleteOutcome()
        return await self._write(self._delete_dataspaces, uris)

    def changes(self) -> ChangeFeed:
        return self._hub.subscribe()

    # -- a ChannelSet's rows ---------------------------------------------------------------------

    async def _store_bulk_data(self, channel_set: ObjectRecord) -> None:
        """Make the data of the stored ``channel_set``'s channels over the interval its rows span
        what its rows say (one replace; nothing when it is so already, as for a put of the same
        document again)."""
        bulk = channel_set.bulk_data
        assert bulk is not None
        opened = await self.channels.open([channel_set.uri])
        keys = {info.uri: info.key for info in opened.found.get(channel_set.uri, [])}
        points = {keys[uri]: p for uri, p in bulk.points.items() if uri in keys}
        if not points:
            return
        stored = await self.channels.read_ranges(list(points), bulk.start, bulk.end)
        if all(_same(stored[key].points, given) for key, given in points.items()):
            return
        try:
            await self.channels.replace_range(bulk.start, bulk.end, points)
        except ProtocolError as error:  # the objects are stored: say so, about no key of the put
            raise ProtocolError(
                error.code,
                f"{channel_set.uri} is stored, but its rows could not be stored as the data of "
                f"its channels: {error.message}",
            ) from None

    # -- growing objects -------------------------------------------------------------------------

    def _watch_growing(self, written: Sequence[ObjectRecord]) -> None:
        """Start the sweeper, if it is not running, after the store's first write (for what an
        earlier process left active) and after a write that leaves a growing object active."""
        if self._sweeper is not None and not self._sweeper.done():
            return
        if self._swept and not any(
            r.qualified_type in _GROWING_TYPES and r.active_status is ActiveStatus.ACTIVE
            for r in written
        ):
            return
        self._swept = True
        self._sweeper = asyncio.get_running_loop().create_task(
            self._sweep_growing(), name="etp-store-growing-sweeper"
        )

    async def _sweep_growing(self) -> None:
        timeout = int(self.active_timeout * 1_000_000)
        margin = max(timeout // 100, 10_000)  # wake just past a deadline, not at it
        stuck: set[tuple[str, int]] = set()  # cannot be read any more: left active
        feed: ChangeFeed | None = self._hub.subscribe()  # its iteration ends when the store closes
        try:
            while feed is not None:
                now = self._clock.now()
                active = [a for a in await self._read(_active_growing) if a not in stuck]
                if not active:
                    return
                idle = [(uri, written) for uri, written in active if written <= now - timeout]
                for uri, written in idle:
                    if not await self._deactivate(uri, written):
                        stuck.add((uri, written))
                if idle:
                    continue  # look again: at what is left and what was written meanwhile
                deadline = min(written for _, written in active) + timeout + margin
                feed = await self._wait(feed, (deadline - self._clock.now()) / 1e6)
        except StoreError as error:  # closed (or unusable): nothing left to sweep
            log.debug("growing object sweeper stopped: %s", error)
        except Exception:  # never silently: a later write starts it again
            log.exception("the growing object sweeper failed")
        finally:
            if feed is not None:
                feed.close()

    async def _wait(self, feed: ChangeFeed, seconds: float) -> ChangeFeed | None:
        """Wait ``seconds``, passing over the changes ``feed`` brings; the feed to go on with
        (a new one if it fell behind), None once the store closed (its iteration ended)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (left := end - loop.time()) > 0:
            try:
                await asyncio.wait_for(anext(feed), left)
            except TimeoutError:
                break
            except StopAsyncIteration:
                return None
            except StoreError:  # fell behind
                feed.close()
                feed = self._hub.subscribe()
        return feed

    async def _deactivate(self, uri: str, written: int) -> bool:
        """Make the growing object ``uri`` inactive, unless it was written since ``written``
        (or deleted); False if its document cannot be read any more."""
        found = await self.get_objects([uri])
        if uri not in found:
            return True
        stored = found[uri]
        try:
            record = await asyncio.to_thread(made_inactive, stored.xml, stored.resource.dataspace)
        except ProtocolError as error:
            log.warning("%s stays active: %s", uri, error.message)
            return False

        def edit(now: StoredObject | None) -> tuple[ObjectRecord | None, None]:
            idle = now is not None and now.resource.store_last_write == written
            return (record if idle else None), None

        await self._write(self._update, uri, edit)
        return True

    # -- objects -------------------------------------------------------------------------------

    def _put(
        self, tx: Tx, now: int, records: list[ObjectRecord], prune: bool
    ) -> tuple[list[PutResult], list[Change]]:
        flat = _flatten(records)
        uris = list(flat)
        tx.lock(uris)
        self._require_dataspaces(tx, flat)
        channel_objects.check_put(tx, flat)
        before = {
            row[0]: row
            for row in tx.rows(
                f"SELECT uri, active, store_created FROM objects WHERE uri {tx.IN}",
                (tx.array(uris),),
            )
        }
        held: dict[str, set[str]] = defaultdict(set)  # container -> what it contained before
        for container, target in tx.rows(
            "SELECT o.uri, e.target FROM objects o JOIN edges e ON e.source_id = o.id "
            f"WHERE e.containment = 1 AND o.uri {tx.IN}",
            (tx.array(before),),
        ):
            held[container].add(target)

        tx.run_many(_UPSERT_OBJECT, [_object_row(f.record, now) for f in flat.values()])
        ids: dict[str, int] = dict(
            tx.rows(f"SELECT uri, id FROM objects WHERE uri {tx.IN}", (tx.array(uris),))
        )
        channel_objects.store_definitions(tx, flat, ids)
        tx.run(
            f"DELETE FROM edges WHERE source_id IN (SELECT id FROM objects WHERE uri {tx.IN})",
            (tx.array(uris),),
        )
        tx.insert(
            "edges",
            ("source_id", "target", "relationship", "containment"),
            [row for uri, f in flat.items() for row in _edge_rows(f.record, ids[uri])],
        )
        tx.run(f"DELETE FROM deleted_objects WHERE uri {tx.IN}", (tx.array(uris),))

        results = {r.uri: _PutLists() for r in records}
        changes: list[Change] = []
        for uri, f in flat.items():
            old = before.get(uri)
            record = f.record
            resource = Resource(
                uri=uri,
                dataspace=record.dataspace,
                qualified_type=record.qualified_type,
                uuid=record.uuid,
                object_version=record.object_version,
                name=record.name,
                last_changed=record.last_changed,
                store_created=old[2] if old else now,
                store_last_write=now,
                active_status=record.active_status,
            )
            kind = ChangeKind.UPDATE if old else ChangeKind.INSERT
            changes.append(
                Change(
                    kind, uri, record.qualified_type, record.dataspace, now, resource, record.xml
                )
            )
            was_active = bool(old[1]) if old else None
            if old and was_active != (record.active_status is ActiveStatus.ACTIVE):
                changes.append(replace(changes[-1], kind=ChangeKind.ACTIVE_STATUS))
            if f.container is not None:
                lists = results[f.top]
                if old is None:
                    lists.created.append(uri)
                elif uri not in held.get(f.container, ()):
                    lists.joined.append(uri)

        dropped: dict[str, str] = {}  # no longer contained -> batch record it is reported under
        for uri, f in flat.items():
            kept = {child.uri for child in f.record.contained}
            for target in sorted(held.get(uri, set()) - kept):
                dropped.setdefault(target, f.top)
        deleted: dict[str, str] = {}
        doomed = [target for target in dropped if target not in flat]  # not put again now
        if prune and doomed:
            owner, _ = self._plan_delete(tx, doomed, prune=True)
            changes += self._delete_rows(tx, now, owner)
            deleted = {uri: dropped[root] for uri, root in owner.items()}
        for target, top in dropped.items():
            if target not in deleted:
                results[top].unjoined.append(target)
        for uri, top in deleted.items():
            results[top].deleted.append(uri)
        return [results[r.uri].result(r.uri, r.uri not in before) for r in records], changes

    def _update(
        self,
        tx: Tx,
        now: int,
        uri: str,
        edit: Callable[[StoredObject | None], tuple[ObjectRecord | None, R]],
    ) -> tuple[R, list[Change]]:
        key, _ = object_key(uri)
        tx.lock([key])
        record, result = edit(self._get(tx, [key]).get(key))
        if record is None:
            return result, []
        if record.uri != key:
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT, f"an edit of {key} returned {record.uri}", key=key
            )
        _, changes = self._put(tx, now, [record], False)
        return result, changes

    def _require_dataspaces(self, tx: Tx, flat: Mapping[str, _Flat]) -> None:
        wanted = {f.record.dataspace: uri for uri, f in flat.items()}
        known = {
            row[0]
            for row in tx.rows(f"SELECT uri FROM dataspaces WHERE uri {tx.IN}", (tx.array(wanted),))
        }
        for dataspace, uri in wanted.items():
            if dataspace not in known:
                raise ProtocolError(
                    ErrorCode.ENOT_FOUND, f"dataspace {dataspace} does not exist", key=uri
                )

    def _get(self, tx: Tx, uris: list[str]) -> dict[str, StoredObject]:
        keys = {uri: object_key(uri) for uri in uris}
        found = {
            row[0]: StoredObject(
                resource_from_row(row), self._live_xml(tx, row[11], row[2], row[10])
            )
            for row in tx.rows(
                f"SELECT {RESOURCE_COLUMNS}, o.xml, o.id FROM objects o WHERE o.uri {tx.IN}",
                (tx.array({key for key, _ in keys.values()}),),
            )
        }
        out = {}
        for uri, (key, version) in keys.items():
            stored = found.get(key)
            if stored and (version is None or version == stored.resource.object_version):
                out[uri] = stored
        return out

    @staticmethod
    def _live_xml(tx: Tx, object_id: int, qualified_type: str, xml: bytes) -> bytes:
        """The XML of a Channel, ChannelSet or Log with the index range and growing status of
        its channel data (as stored when no channel of it holds data through the store)."""
        live = channel_objects.live_channels(tx, object_id, qualified_type)
        return render.live_xml(xml, live) if live else xml

    def _delete(
        self, tx: Tx, now: int, uris: list[str], prune: bool
    ) -> tuple[DeleteOutcome, list[Change]]:
        keys = {uri: object_key(uri)[0] for uri in uris}
        tx.lock(set(keys.values()))
        existing = {
            row[0]
            for row in tx.rows(
                f"SELECT uri FROM objects WHERE uri {tx.IN}", (tx.array(keys.values()),)
            )
        }
        outcome = DeleteOutcome()
        for uri, key in keys.items():
            if key not in existing:
                outcome.errors[uri] = ProtocolError(
                    ErrorCode.ENOT_FOUND, f"{key} is not in the store", key=uri
                )
        owner, blocked = self._plan_delete(tx, sorted(existing), prune=prune)
        tx.lock(set(owner) - existing)
        changes = self._delete_rows(tx, now, owner)
        pruned: dict[str, list[str]] = defaultdict(list)
        for uri, root in owner.items():
            if uri != root:
                pruned[root].append(uri)
        for uri, key in keys.items():
            if key in blocked:
                outcome.errors[uri] = ProtocolError(
                    ErrorCode.ENOCASCADE_DELETE,
                    f"{key} is still referenced by {blocked[key]}; delete that first, or in the "
                    "same request",
                    key=uri,
                )
            elif key in owner:
                outcome.deleted[uri] = (key, *sorted(pruned[key]))
        return outcome, changes

    def _plan_delete(
        self, tx: Tx, roots: list[str], *, prune: bool
    ) -> tuple[dict[str, str], dict[str, str]]:
        """What deleting the stored objects ``roots`` deletes: ``owner`` maps each URI deleted
        to the root it is deleted for (with ``prune``, the contained objects below the roots);
        ``blocked`` maps each URI kept back to a remaining object with a primary edge to it."""
        owner = {root: root for root in roots}
        frontier = roots
        while prune and frontier:
            below = []
            for container, target in tx.rows(
                "SELECT o.uri, e.target FROM objects o JOIN edges e ON e.source_id = o.id "
                f"JOIN objects t ON t.uri = e.target WHERE e.containment = 1 AND o.uri {tx.IN}",
                (tx.array(frontier),),
            ):
                if target not in owner:
                    owner[target] = owner[container]
                    below.append(target)
            frontier = below
        holders: dict[str, set[str]] = defaultdict(set)
        for target, source in tx.rows(
            "SELECT e.target, o.uri FROM edges e JOIN objects o ON o.id = e.source_id "
            f"WHERE e.relationship = 'Primary' AND e.target {tx.IN}",
            (tx.array(owner),),
        ):
            holders[target].add(source)
        blocked: dict[str, str] = {}
        settled = False
        while not settled:  # keeping one object back may keep back what it holds
            settled = True
            for uri in list(owner):
                outside = holders[uri] - owner.keys()
                if outside:
                    blocked[uri] = min(outside)
                    del owner[uri]
                    settled = False
        return owner, blocked

    def _delete_rows(self, tx: Tx, now: int, uris: Collection[str]) -> list[Change]:
        if not uris:
            return []
        gone = tx.rows(
            f"SELECT uri, dataspace, qualified_type FROM objects WHERE uri {tx.IN} ORDER BY uri",
            (tx.array(uris),),
        )
        tx.run(
            f"DELETE FROM edges WHERE source_id IN (SELECT id FROM objects WHERE uri {tx.IN})",
            (tx.array(uris),),
        )
        tx.run(f"DELETE FROM objects WHERE uri {tx.IN}", (tx.array(uris),))
        tx.run_many(_UPSERT_TOMBSTONE, [(uri, ds, qtype, now) for uri, ds, qtype in gone])
        return [Change(ChangeKind.DELETE, uri, qtype, ds, now) for uri, ds, qtype in gone]

    # -- discovery -----------------------------------------------------------------------------

    # -- dataspaces ----------------------------------------------------------------------------

    def _dataspaces(self, tx: Tx, after: int | None) -> list[Dataspace]:
        out = []
        for uri, path, created, written, custom in tx.rows(
            "SELECT uri, path, store_created, store_last_write, custom_data FROM dataspaces "
            "ORDER BY uri"
        ):
            for sql in (
                "SELECT MAX(store_last_write) FROM objects WHERE dataspace = ?",
                "SELECT MAX(deleted_time) FROM deleted_objects WHERE dataspace = ?",
            ):
                written = max(written, tx.rows(sql, (uri,))[0][0] or 0)
            if after is None or written > after:
                out.append(Dataspace(uri, path, created, written, json.loads(custom)))
        return out

    def _put_dataspaces(
        self, tx: Tx, now: int, items: dict[str, CustomData]
    ) -> tuple[dict[str, bool], list[Change]]:
        parsed: dict[str, tuple[DataspaceUri, str]] = {}
        for given, custom in items.items():
            uri = DataspaceUri.parse(given).dataspace_uri
            try:
                parsed[given] = (uri, json.dumps(dict(custom), sort_keys=True, allow_nan=False))
            except (TypeError, ValueError) as error:
                raise ProtocolError(
                    ErrorCode.EINVALID_ARGUMENT, f"custom data of {uri}: {error}", key=given
                ) from None
        existing = {
            row[0]
            for row in tx.rows(
                f"SELECT uri FROM dataspaces WHERE uri {tx.IN}",
                (tx.array(str(uri) for uri, _ in parsed.values()),),
            )
        }
        tx.run_many(
            "INSERT INTO dataspaces (uri, path, store_created, store_last_write, custom_data) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri) DO UPDATE SET "
            "store_last_write = excluded.store_last_write, custom_data = excluded.custom_data",
            [(str(uri), uri.path, now, now, custom) for uri, custom in parsed.values()],
        )
        return {given: str(uri) not in existing for given, (uri, _) in parsed.items()}, []

    def _delete_dataspaces(
        self, tx: Tx, now: int, uris: list[str]
    ) -> tuple[DeleteOutcome, list[Change]]:
        outcome = DeleteOutcome()
        changes: list[Change] = []
        for given in uris:
            uri = DataspaceUri.parse(given).dataspace_uri
            if uri.is_default:
                outcome.errors[given] = ProtocolError(
                    ErrorCode.EREQUEST_DENIED,
                    "the default dataspace eml:/// cannot be deleted",
                    key=given,
                )
                continue
            if not tx.rows("SELECT 1 FROM dataspaces WHERE uri = ?", (str(uri),)):
                outcome.errors[given] = ProtocolError(
                    ErrorCode.ENOT_FOUND, f"dataspace {uri} does not exist", key=given
                )
                continue
            inside = [
                row[0]
                for row in tx.rows("SELECT uri FROM objects WHERE dataspace = ?", (str(uri),))
            ]
            tx.lock(inside)
            changes += self._delete_rows(tx, now, inside)
            tx.run("DELETE FROM dataspaces WHERE uri = ?", (str(uri),))
            outcome.deleted[given] = tuple(sorted(inside))
        return outcome, changes


@dataclass(slots=True)
class _PutLists:
    created: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    unjoined: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def result(self, uri: str, created: bool) -> PutResult:
        return PutResult(
            uri,
            created,
            tuple(self.created),
            tuple(self.joined),
            tuple(self.unjoined),
            tuple(self.deleted),
        )
