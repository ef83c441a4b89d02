"""One transaction of the store's SQL, as each backend provides it, and reading its rows."""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Sequence
from typing import Any, ClassVar

from etp.errors import ErrorCode, ProtocolError
from etp.store.records import ActiveStatus, Edge, RelationshipKind, Resource
from etp.uri import DataObjectUri

__all__ = [
    "EDGE_COLUMNS",
    "RESOURCE_COLUMNS",
    "Row",
    "Tx",
    "edge_from_row",
    "object_key",
    "require_dataspace",
    "resource_from_row",
]

Row = tuple[Any, ...]

RESOURCE_COLUMNS = (
    "o.uri, o.dataspace, o.qualified_type, o.uuid, o.object_version, o.name, o.last_changed, "
    "o.store_created, o.store_last_write, o.active"
)
"""The columns of an object (alias ``o``) that :func:`resource_from_row` reads."""
EDGE_COLUMNS = "o.uri, e.target, e.relationship, e.containment"
"""The columns of an edge (``e``) and its source (``o``) that :func:`edge_from_row` reads."""


class Tx(abc.ABC):
    """One open transaction on one connection, used from one worker thread.

    SQL is written with ``?`` placeholders; a list parameter is written ``col {tx.IN}`` with
    ``tx.array(values)`` as its value.
    """

    IN: ClassVar[str]
    """SQL after a column that tests membership in one list parameter."""
    IN_IDS: ClassVar[str]
    """``IN`` for a list of integers (ids, channel keys)."""
    FOR_UPDATE: ClassVar[str]
    """Appended to a one-table SELECT: lock its rows until the transaction ends (writers of
    other processes wait); empty where the one writer already excludes every other."""

    @abc.abstractmethod
    def array(self, values: Iterable[str] | Iterable[int]) -> object:
        """The parameter value for ``IN`` or ``IN_IDS`` holding ``values``."""

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


def resource_from_row(row: Row) -> Resource:
    """The resource of a row of :data:`RESOURCE_COLUMNS`."""
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


def edge_from_row(row: Row) -> Edge:
    """The edge of a row of :data:`EDGE_COLUMNS`."""
    return Edge(row[0], row[1], RelationshipKind(row[2]), bool(row[3]))


def object_key(uri: str) -> tuple[str, str | None]:
    """The stored key (canonical URI without version) of a data object URI, and its version."""
    parsed = DataObjectUri.parse(uri)
    key = DataObjectUri.build(parsed.qualified_type, parsed.uuid, dataspace=parsed.dataspace)
    return str(key), parsed.version


def require_dataspace(tx: Tx, dataspace: str) -> None:
    """Raise ENOT_FOUND unless ``dataspace`` exists."""
    if not tx.rows("SELECT 1 FROM dataspaces WHERE uri = ?", (dataspace,)):
        raise ProtocolError(ErrorCode.ENOT_FOUND, f"dataspace {dataspace} does not exist")
