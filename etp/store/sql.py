"""The store's semantics, once, in SQL both backends run (see :mod:`etp.store`).

Every operation is a plain synchronous function of one transaction (:class:`Tx`) that a backend
runs on a worker thread: ``_put``, ``_delete``... take ``(tx, now, ...)`` and return their result
and the changes to publish; reads take ``(tx, ...)``. Backends supply the transaction (and with
it the few dialect differences: list parameters and row locks) and how changes are published.
"""

from __future__ import annotations

import abc
import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar

from etp.errors import ErrorCode, ProtocolError
from etp.store import Store
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
    Edge,
    ObjectRecord,
    PutResult,
    RelationshipKind,
    Resource,
    ResourcePage,
    ResourceQuery,
    StoredObject,
    TypeCount,
)
from etp.uri import DataObjectUri, DataspaceUri, parse_uri, split_qualified_type

__all__ = ["SqlStore", "Tx"]

P = ParamSpec("P")
R = TypeVar("R")
Row = tuple[Any, ...]

_HOUSEKEEPING_EVERY_US = 60_000_000
_FAMILY = re.compile(r"[a-z]+[1-9][0-9]")

_RESOURCE_COLUMNS = (
    "o.uri, o.dataspace, o.qualified_type, o.uuid, o.object_version, o.name, o.last_changed, "
    "o.store_created, o.store_last_write, o.active"
)
_EDGE_COLUMNS = "o.uri, e.target, e.relationship, e.containment"
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


class Tx(abc.ABC):
    """One open transaction on one connection, used from one worker thread.

    SQL is written with ``?`` placeholders; a list parameter is written ``col {tx.IN}`` with
    ``tx.array(values)`` as its value.
    """

    IN: ClassVar[str]
    """SQL after a column that tests membership in one list parameter."""

    @abc.abstractmethod
    def array(self, values: Iterable[str]) -> object:
        """The parameter value for ``IN`` holding ``values``."""

    @abc.abstractmethod
    def rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run a query, return all its rows."""

    @abc.abstractmethod
    def run(self, sql: str, params: Sequence[object] = ()) -> None:
        """Run a statement."""

    @abc.abstractmethod
    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run a statement once per parameter row."""

    @abc.abstractmethod
    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Insert plain rows into ``table`` (the fastest way the backend has)."""

    @abc.abstractmethod
    def lock(self, uris: Collection[str]) -> None:
        """Hold off, until this transaction ends, other writers of these object URIs."""


class _Clock:
    """Strictly increasing microsecond timestamps (two writes never share a storeLastWrite)."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            self._last = max(time.time_ns() // 1000, self._last + 1)
            return self._last


@dataclass(frozen=True, slots=True)
class _TypeFilter:
    exact: tuple[str, ...]
    prefixes: tuple[str, ...]  # "witsml20." for "witsml20.*"

    @classmethod
    def parse(cls, types: Iterable[str]) -> _TypeFilter | None:
        exact: list[str] = []
        prefixes: list[str] = []
        for text in types:
            family, dot, star = text.partition(".")
            if star == "*" and _FAMILY.fullmatch(family):
                prefixes.append(family + dot)
            else:
                split_qualified_type(text)  # raises InvalidDataObjectType
                exact.append(text)
        return cls(tuple(exact), tuple(prefixes)) if exact or prefixes else None

    def sql(self, tx: Tx, column: str) -> tuple[str, list[object]]:
        clauses = [f"{column} {tx.IN}"] if self.exact else []
        params: list[object] = [tx.array(self.exact)] if self.exact else []
        for prefix in self.prefixes:
            clauses.append(f"{column} LIKE ?")
            params.append(prefix + "%")
        return "(" + " OR ".join(clauses) + ")", params


def _resource(row: Row) -> Resource:
    return Resource(
        uri=row[0],
        dataspace=row[1],
        qualified_type=row[2],
        uuid=row[3],
        object_version=row[4],
        name=row[5],
        last_changed=row[6],
        store_created=row[7],
        store_last_write=row[8],
        active_status=ActiveStatus.ACTIVE if row[9] else ActiveStatus.INACTIVE,
    )


def _edge(row: Row) -> Edge:
    return Edge(row[0], row[1], RelationshipKind(row[2]), bool(row[3]))


def _kinds_sql(navigable: RelationshipKind) -> str:
    if navigable is RelationshipKind.BOTH:
        return "IN ('Primary', 'Secondary')"
    return f"= '{RelationshipKind(navigable).value}'"


def _object_key(uri: str) -> tuple[str, str | None]:
    """The stored key (canonical URI without version) of a data object URI, and its version."""
    parsed = DataObjectUri.parse(uri)
    key = DataObjectUri.build(parsed.qualified_type, parsed.uuid, dataspace=parsed.dataspace)
    return str(key), parsed.version


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

    def __init__(self, *, where: str, change_retention: float, max_pending: int) -> None:
        self.change_retention = change_retention
        self._where = where
        self._hub = ChangeHub(max_pending)
        self._clock = _Clock()
        self._next_housekeeping = 0

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
        """Drop tombstones past the retention period (at most once a minute)."""
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + _HOUSEKEEPING_EVERY_US
        tx.run(
            "DELETE FROM deleted_objects WHERE deleted_time < ?",
            (now - int(self.change_retention * 1_000_000),),
        )

    # -- public API ----------------------------------------------------------------------------

    async def put_objects(
        self, records: Sequence[ObjectRecord], *, prune_contained_objects: bool = False
    ) -> list[PutResult]:
        if not records:
            return []
        return await self._write(self._put, list(records), prune_contained_objects)

    async def get_objects(self, uris: Iterable[str]) -> dict[str, StoredObject]:
        uris = list(uris)
        return await self._read(self._get, uris) if uris else {}

    async def delete_objects(
        self, uris: Iterable[str], *, prune_contained_objects: bool = False
    ) -> DeleteOutcome:
        uris = list(uris)
        if not uris:
            return DeleteOutcome()
        return await self._write(self._delete, uris, prune_contained_objects)

    async def get_resources(self, query: ResourceQuery) -> ResourcePage:
        return await self._read(self._resources, query)

    async def get_deleted_resources(
        self,
        dataspace: str,
        *,
        deleted_after: int | None = None,
        data_object_types: Sequence[str] = (),
    ) -> list[DeletedResource]:
        return await self._read(
            self._deleted_resources, dataspace, deleted_after, tuple(data_object_types)
        )

    async def count_types(
        self, uri: str, scope: ContextScope = ContextScope.TARGETS
    ) -> list[TypeCount]:
        return await self._read(self._count_types, uri, scope)

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

    # -- objects -------------------------------------------------------------------------------

    def _put(
        self, tx: Tx, now: int, records: list[ObjectRecord], prune: bool
    ) -> tuple[list[PutResult], list[Change]]:
        flat = _flatten(records)
        uris = list(flat)
        tx.lock(uris)
        self._require_dataspaces(tx, flat)
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
        keys = {uri: _object_key(uri) for uri in uris}
        found = {
            row[0]: StoredObject(_resource(row), row[10])
            for row in tx.rows(
                f"SELECT {_RESOURCE_COLUMNS}, o.xml FROM objects o WHERE o.uri {tx.IN}",
                (tx.array({key for key, _ in keys.values()}),),
            )
        }
        out = {}
        for uri, (key, version) in keys.items():
            stored = found.get(key)
            if stored and (version is None or version == stored.resource.object_version):
                out[uri] = stored
        return out

    def _delete(
        self, tx: Tx, now: int, uris: list[str], prune: bool
    ) -> tuple[DeleteOutcome, list[Change]]:
        keys = {uri: _object_key(uri)[0] for uri in uris}
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

    def _resources(self, tx: Tx, query: ResourceQuery) -> ResourcePage:
        if query.limit is not None and query.limit < 0:
            raise ProtocolError(ErrorCode.EINVALID_ARGUMENT, f"negative limit {query.limit}")
        types = _TypeFilter.parse(query.data_object_types)
        context = parse_uri(query.uri)
        kinds = _kinds_sql(query.navigable_edges)
        if isinstance(context, DataspaceUri):
            dataspace = str(context.dataspace_uri)
            self._require_dataspace(tx, dataspace)
            if query.scope is ContextScope.SOURCES:
                return ResourcePage([], [], False)
            resources, truncated = self._fetch(tx, query, types, "o.dataspace = ?", dataspace)
            edges = []
            if query.include_edges and resources:
                listed = {r.uri for r in resources}
                edges = sorted(
                    (
                        e
                        for e in self._neighbours(tx, listed, outward=True, kinds=kinds)
                        if e.target in listed
                    ),
                    key=lambda e: (e.source, e.target),
                )
        elif isinstance(context, DataObjectUri):
            start = _object_key(str(context))[0]
            if not tx.rows("SELECT 1 FROM objects WHERE uri = ?", (start,)):
                raise ProtocolError(ErrorCode.ENOT_FOUND, f"{start} is not in the store")
            reached, walked = self._walk(tx, start, query)
            if query.scope not in (
                ContextScope.SELF,
                ContextScope.SOURCES_OR_SELF,
                ContextScope.TARGETS_OR_SELF,
            ):
                reached.discard(start)
            resources, truncated = self._fetch(
                tx, query, types, f"o.uri {tx.IN}", tx.array(reached)
            )
            ends = {r.uri for r in resources} | {start}
            edges = [e for e in walked if e.source in ends and e.target in ends]
            edges.sort(key=lambda e: (e.source, e.target))
        else:
            raise ProtocolError(
                ErrorCode.ENOTSUPPORTED,
                f"context {context} is a folder URI; use a dataspace or data object URI",
            )
        if query.count_objects and resources:
            resources = self._with_counts(tx, resources, kinds)
        return ResourcePage(resources, edges if query.include_edges else [], truncated)

    def _fetch(
        self, tx: Tx, query: ResourceQuery, types: _TypeFilter | None, where: str, param: object
    ) -> tuple[list[Resource], bool]:
        sql = f"SELECT {_RESOURCE_COLUMNS} FROM objects o WHERE {where}"
        params: list[object] = [param]
        if types is not None:
            clause, extra = types.sql(tx, "o.qualified_type")
            sql += f" AND {clause}"
            params += extra
        if query.active_status is not None:
            sql += " AND o.active = ?"
            params.append(int(query.active_status is ActiveStatus.ACTIVE))
        if query.store_last_write_after is not None:
            sql += " AND o.store_last_write > ?"
            params.append(query.store_last_write_after)
        sql += " ORDER BY o.uri"
        if query.limit is not None:
            sql += " LIMIT ?"
            params.append(query.limit + 1)
        resources = [_resource(row) for row in tx.rows(sql, params)]
        if query.limit is not None and len(resources) > query.limit:
            return resources[: query.limit], True
        return resources, False

    def _walk(self, tx: Tx, start: str, query: ResourceQuery) -> tuple[set[str], list[Edge]]:
        """Breadth-first, one query per level: what ``depth`` edges from ``start`` reach."""
        outward = query.scope in (ContextScope.TARGETS, ContextScope.TARGETS_OR_SELF)
        inward = query.scope in (ContextScope.SOURCES, ContextScope.SOURCES_OR_SELF)
        if (outward or inward) and query.depth < 1:
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT, f"depth must be at least 1, got {query.depth}"
            )
        reached = {start}
        walked: list[Edge] = []
        frontier = {start}
        kinds = _kinds_sql(query.navigable_edges)
        for _ in range(query.depth if outward or inward else 0):
            step = self._neighbours(tx, frontier, outward=outward, kinds=kinds)
            walked += step
            frontier = {e.target if outward else e.source for e in step} - reached
            reached |= frontier
            if not frontier:
                break
        if query.navigable_edges is RelationshipKind.PRIMARY:
            extra: list[Edge] = []
            if query.include_secondary_targets:
                extra += self._neighbours(tx, reached, outward=True, kinds="= 'Secondary'")
            if query.include_secondary_sources:
                extra += self._neighbours(tx, reached, outward=False, kinds="= 'Secondary'")
            reached |= {e.target for e in extra} | {e.source for e in extra}
            walked += extra
        return reached, walked

    def _neighbours(self, tx: Tx, uris: Iterable[str], *, outward: bool, kinds: str) -> list[Edge]:
        side = "o.uri" if outward else "e.target"
        return [
            _edge(row)
            for row in tx.rows(
                f"SELECT {_EDGE_COLUMNS} FROM edges e JOIN objects o ON o.id = e.source_id "
                f"WHERE {side} {tx.IN} AND e.relationship {kinds}",
                (tx.array(uris),),
            )
        ]

    def _with_counts(self, tx: Tx, resources: list[Resource], kinds: str) -> list[Resource]:
        listed = tx.array(r.uri for r in resources)
        targets: dict[str, int] = dict(
            tx.rows(
                "SELECT o.uri, COUNT(*) FROM objects o JOIN edges e ON e.source_id = o.id "
                f"JOIN objects t ON t.uri = e.target WHERE o.uri {tx.IN} "
                f"AND e.relationship {kinds} GROUP BY o.uri",
                (listed,),
            )
        )
        sources: dict[str, int] = dict(
            tx.rows(
                "SELECT e.target, COUNT(*) FROM edges e JOIN objects s ON s.id = e.source_id "
                f"WHERE e.target {tx.IN} AND e.relationship {kinds} GROUP BY e.target",
                (listed,),
            )
        )
        return [
            replace(r, source_count=sources.get(r.uri, 0), target_count=targets.get(r.uri, 0))
            for r in resources
        ]

    def _deleted_resources(
        self, tx: Tx, dataspace: str, after: int | None, types: tuple[str, ...]
    ) -> list[DeletedResource]:
        sql = (
            "SELECT uri, dataspace, qualified_type, deleted_time FROM deleted_objects "
            "WHERE dataspace = ? AND deleted_time > ?"
        )
        oldest = self._clock.now() - int(self.change_retention * 1_000_000) - 1
        after = oldest if after is None else max(after, oldest)
        params: list[object] = [str(DataspaceUri.parse(dataspace).dataspace_uri), after]
        kinds = _TypeFilter.parse(types)
        if kinds is not None:
            clause, extra = kinds.sql(tx, "qualified_type")
            sql += f" AND {clause}"
            params += extra
        return [
            DeletedResource(*row) for row in tx.rows(sql + " ORDER BY deleted_time, uri", params)
        ]

    def _count_types(self, tx: Tx, uri: str, scope: ContextScope) -> list[TypeCount]:
        context = parse_uri(uri)
        if isinstance(context, DataspaceUri):
            dataspace = str(context.dataspace_uri)
            self._require_dataspace(tx, dataspace)
            if scope is ContextScope.SOURCES:
                return []
            return [
                TypeCount(qtype, count, RelationshipKind.PRIMARY)
                for qtype, count in tx.rows(
                    "SELECT qualified_type, COUNT(*) FROM objects WHERE dataspace = ? "
                    "GROUP BY qualified_type ORDER BY qualified_type",
                    (dataspace,),
                )
            ]
        if not isinstance(context, DataObjectUri):
            raise ProtocolError(ErrorCode.ENOTSUPPORTED, f"{context} is a folder URI")
        start = _object_key(str(context))[0]
        if not tx.rows("SELECT 1 FROM objects WHERE uri = ?", (start,)):
            raise ProtocolError(ErrorCode.ENOT_FOUND, f"{start} is not in the store")
        kinds: dict[str, set[RelationshipKind]] = defaultdict(set)
        if scope in (ContextScope.SELF, ContextScope.SOURCES_OR_SELF, ContextScope.TARGETS_OR_SELF):
            kinds[start].add(RelationshipKind.PRIMARY)
        if scope is not ContextScope.SELF:
            outward = scope in (ContextScope.TARGETS, ContextScope.TARGETS_OR_SELF)
            for edge in self._neighbours(
                tx, {start}, outward=outward, kinds=_kinds_sql(RelationshipKind.BOTH)
            ):
                kinds[edge.target if outward else edge.source].add(edge.kind)
        per_type: dict[str, tuple[int, set[RelationshipKind]]] = {}
        for found, qtype in tx.rows(
            f"SELECT uri, qualified_type FROM objects WHERE uri {tx.IN}", (tx.array(kinds),)
        ):
            count, seen = per_type.get(qtype, (0, set()))
            per_type[qtype] = (count + 1, seen | kinds[found])
        return [
            TypeCount(
                qtype,
                count,
                next(iter(seen)) if len(seen) == 1 else RelationshipKind.BOTH,
            )
            for qtype, (count, seen) in sorted(per_type.items())
        ]

    # -- dataspaces ----------------------------------------------------------------------------

    def _require_dataspace(self, tx: Tx, dataspace: str) -> None:
        if not tx.rows("SELECT 1 FROM dataspaces WHERE uri = ?", (dataspace,)):
            raise ProtocolError(ErrorCode.ENOT_FOUND, f"dataspace {dataspace} does not exist")

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
