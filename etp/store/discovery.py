"""Discovery and SupportedTypes: read-only graph queries, each a function of one transaction.

Walks are breadth-first, one query per level (measured on 10k objects: 0.2 ms for a depth-2
walk on SQLite, 1 ms on PostgreSQL; a recursive CTE saves at most 0.1 ms on SQLite and would be
written twice, once per dialect).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from etp.errors import ErrorCode, ProtocolError
from etp.store.records import (
    ActiveStatus,
    ContextScope,
    DeletedResource,
    Edge,
    RelationshipKind,
    Resource,
    ResourcePage,
    ResourceQuery,
    TypeCount,
)
from etp.store.tx import (
    EDGE_COLUMNS,
    RESOURCE_COLUMNS,
    Tx,
    edge_from_row,
    object_key,
    require_dataspace,
    resource_from_row,
)
from etp.uri import DataObjectUri, DataspaceUri, parse_uri, split_qualified_type

__all__ = ["count_types", "deleted_resources", "neighbours", "resources"]

_FAMILY = re.compile(r"[a-z]+[1-9][0-9]")


@dataclass(frozen=True, slots=True)
class TypeFilter:
    """A ``dataObjectTypes`` filter: exact qualified types and ``<family><vv>.*``."""

    exact: tuple[str, ...]
    prefixes: tuple[str, ...]  # "witsml20." for "witsml20.*"

    @classmethod
    def parse(cls, types: Iterable[str]) -> TypeFilter | None:
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


def kinds_sql(navigable: RelationshipKind) -> str:
    """SQL after ``e.relationship`` selecting the edges ``navigable`` allows."""
    if navigable is RelationshipKind.BOTH:
        return "IN ('Primary', 'Secondary')"
    return f"= '{RelationshipKind(navigable).value}'"


def resources(tx: Tx, query: ResourceQuery) -> ResourcePage:
    """GetResources (see :class:`ResourceQuery`)."""
    if query.limit is not None and query.limit < 0:
        raise ProtocolError(ErrorCode.EINVALID_ARGUMENT, f"negative limit {query.limit}")
    types = TypeFilter.parse(query.data_object_types)
    context = parse_uri(query.uri)
    kinds = kinds_sql(query.navigable_edges)
    if isinstance(context, DataspaceUri):
        dataspace = str(context.dataspace_uri)
        require_dataspace(tx, dataspace)
        if query.scope is ContextScope.SOURCES:
            return ResourcePage([], [], False)
        found, truncated = _fetch(tx, query, types, "o.dataspace = ?", dataspace)
        edges = []
        if query.include_edges and found:
            listed = {r.uri for r in found}
            edges = sorted(
                (
                    e
                    for e in neighbours(tx, listed, outward=True, kinds=kinds)
                    if e.target in listed
                ),
                key=lambda e: (e.source, e.target),
            )
    elif isinstance(context, DataObjectUri):
        start = object_key(str(context))[0]
        if not tx.rows("SELECT 1 FROM objects WHERE uri = ?", (start,)):
            raise ProtocolError(ErrorCode.ENOT_FOUND, f"{start} is not in the store")
        reached, walked = _walk(tx, start, query)
        if query.scope not in (
            ContextScope.SELF,
            ContextScope.SOURCES_OR_SELF,
            ContextScope.TARGETS_OR_SELF,
        ):
            reached.discard(start)
        found, truncated = _fetch(tx, query, types, f"o.uri {tx.IN}", tx.array(reached))
        ends = {r.uri for r in found} | {start}
        edges = [e for e in walked if e.source in ends and e.target in ends]
        edges.sort(key=lambda e: (e.source, e.target))
    else:
        raise ProtocolError(
            ErrorCode.ENOTSUPPORTED,
            f"context {context} is a folder URI; use a dataspace or data object URI",
        )
    if query.count_objects and found:
        found = _with_counts(tx, found, kinds)
    return ResourcePage(found, edges if query.include_edges else [], truncated)


def _fetch(
    tx: Tx, query: ResourceQuery, types: TypeFilter | None, where: str, param: object
) -> tuple[list[Resource], bool]:
    sql = f"SELECT {RESOURCE_COLUMNS} FROM objects o WHERE {where}"
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
    resources = [resource_from_row(row) for row in tx.rows(sql, params)]
    if query.limit is not None and len(resources) > query.limit:
        return resources[: query.limit], True
    return resources, False


def _walk(tx: Tx, start: str, query: ResourceQuery) -> tuple[set[str], list[Edge]]:
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
    kinds = kinds_sql(query.navigable_edges)
    for _ in range(query.depth if outward or inward else 0):
        step = neighbours(tx, frontier, outward=outward, kinds=kinds)
        walked += step
        frontier = {e.target if outward else e.source for e in step} - reached
        reached |= frontier
        if not frontier:
            break
    if query.navigable_edges is RelationshipKind.PRIMARY:
        extra: list[Edge] = []
        if query.include_secondary_targets:
            extra += neighbours(tx, reached, outward=True, kinds="= 'Secondary'")
        if query.include_secondary_sources:
            extra += neighbours(tx, reached, outward=False, kinds="= 'Secondary'")
        reached |= {e.target for e in extra} | {e.source for e in extra}
        walked += extra
    return reached, walked


def neighbours(tx: Tx, uris: Iterable[str], *, outward: bool, kinds: str) -> list[Edge]:
    """The edges out of (``outward``) or into ``uris`` whose relationship matches ``kinds``."""
    side = "o.uri" if outward else "e.target"
    return [
        edge_from_row(row)
        for row in tx.rows(
            f"SELECT {EDGE_COLUMNS} FROM edges e JOIN objects o ON o.id = e.source_id "
            f"WHERE {side} {tx.IN} AND e.relationship {kinds}",
            (tx.array(uris),),
        )
    ]


def _with_counts(tx: Tx, resources: list[Resource], kinds: str) -> list[Resource]:
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


def deleted_resources(
    tx: Tx, dataspace: str, after: int, types: tuple[str, ...]
) -> list[DeletedResource]:
    """GetDeletedResources: tombstones of ``dataspace`` deleted after ``after``, oldest first."""
    sql = (
        "SELECT uri, dataspace, qualified_type, deleted_time FROM deleted_objects "
        "WHERE dataspace = ? AND deleted_time > ?"
    )
    params: list[object] = [str(DataspaceUri.parse(dataspace).dataspace_uri), after]
    kinds = TypeFilter.parse(types)
    if kinds is not None:
        clause, extra = kinds.sql(tx, "qualified_type")
        sql += f" AND {clause}"
        params += extra
    return [DeletedResource(*row) for row in tx.rows(sql + " ORDER BY deleted_time, uri", params)]


def count_types(tx: Tx, uri: str, scope: ContextScope) -> list[TypeCount]:
    """SupportedTypes counts (see :meth:`etp.store.Store.count_types`)."""
    context = parse_uri(uri)
    if isinstance(context, DataspaceUri):
        dataspace = str(context.dataspace_uri)
        require_dataspace(tx, dataspace)
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
    start = object_key(str(context))[0]
    if not tx.rows("SELECT 1 FROM objects WHERE uri = ?", (start,)):
        raise ProtocolError(ErrorCode.ENOT_FOUND, f"{start} is not in the store")
    kinds: dict[str, set[RelationshipKind]] = defaultdict(set)
    if scope in (ContextScope.SELF, ContextScope.SOURCES_OR_SELF, ContextScope.TARGETS_OR_SELF):
        kinds[start].add(RelationshipKind.PRIMARY)
    if scope is not ContextScope.SELF:
        outward = scope in (ContextScope.TARGETS, ContextScope.TARGETS_OR_SELF)
        for edge in neighbours(
            tx, {start}, outward=outward, kinds=kinds_sql(RelationshipKind.BOTH)
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
