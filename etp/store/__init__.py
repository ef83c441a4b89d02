"""The ETP store's storage layer: data objects, their graph, tombstones, dataspaces, changes.

The server's protocol handlers (Discovery, Store, StoreNotification, Dataspace, SupportedTypes)
answer from a :class:`Store`; the store knows no sockets and parses no XML (records come from
:func:`etp.store.describe.describe`). Two backends share one schema design and one
implementation of the semantics:

* SQLite (``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``): the embedded
  default, one file, WAL mode, work on dedicated threads (never the event loop); changes fan out
  to subscribers in this process.
* PostgreSQL (``postgresql://user@host:port/db?options=-csearch_path%3Dschema``): for
  production; several server processes may share one database, and a change committed by any
  of them reaches every process's subscribers (LISTEN/NOTIFY).

Semantics both backends guarantee:

* A put, delete or dataspace batch is one transaction: it lands completely or not at all, also
  when the process dies mid-batch.
* Put is create-or-replace of whole objects. Contained objects (a Log's ChannelSets and their
  Channels) are stored with their container and linked by containment edges; objects that a new
  version no longer contains are unjoined (kept), or with ``prune_contained_objects`` deleted.
* An object is never deleted while another stored object keeps a primary edge (reference or
  containment) to it: delete refuses with ENOCASCADE_DELETE (delete the referrers first, or in
  the same batch); pruning keeps such objects (unjoined). Secondary references may dangle, and
  so may references to objects not stored yet.
* Every deletion leaves a tombstone for GetDeletedResources, kept ``change_retention`` seconds
  (a re-put removes it). The default dataspace ``eml:///`` always exists and cannot be deleted;
  deleting another dataspace deletes the objects in it.
* Every committed insert, update, delete and active-status flip is published, in commit order,
  to :meth:`Store.changes` subscribers.
* A Trajectory (its stations are put as GrowingObject parts) left active goes inactive after
  ``active_timeout`` seconds without a write: its ``GrowingStatus`` is rewritten and the flip
  published (:mod:`etp.store.sql`).
* Channel data (``store.channels``, :mod:`etp.store.channels`) lives in the same database:
  columnar blocks per Channel object, group-committed appends, range reads, replace, truncate,
  change annotations and a fan-out of the data to subscribers. Deleting a Channel deletes its data.
  A ChannelSet put with rows in its document has them stored as its channels' data.

Use from a protocol handler::

    store = await open_store("sqlite:///etp-store.db")
    record = describe(witsml.parse(xml), xml, "eml:///")   # etp.store.describe
    [result] = await store.put_objects([record])
    page = await store.get_resources(ResourceQuery("eml:///", scope=ContextScope.TARGETS))
    async with store.changes() as feed:
        async for change in feed:
            ...
    await store.close()
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TypeVar

from etp.errors import StoreError
from etp.store.channels import ChannelStore
from etp.store.feed import ChangeFeed
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
    Reference,
    RelationshipKind,
    Resource,
    ResourcePage,
    ResourceQuery,
    StoredObject,
    TypeCount,
)

__all__ = [
    "ActiveStatus",
    "Change",
    "ChangeFeed",
    "ChangeKind",
    "ChannelStore",
    "ContextScope",
    "CustomData",
    "Dataspace",
    "DeleteOutcome",
    "DeletedResource",
    "Edge",
    "ObjectRecord",
    "PutResult",
    "Reference",
    "RelationshipKind",
    "Resource",
    "ResourcePage",
    "ResourceQuery",
    "Store",
    "StoreError",
    "StoredObject",
    "TypeCount",
    "open_store",
]

_T = TypeVar("_T")

DEFAULT_CHANGE_RETENTION = 86_400.0
"""Seconds tombstones are kept: ETP's default (and minimum) ChangeRetentionPeriod."""
DEFAULT_ACTIVE_TIMEOUT = 3_600.0
"""Seconds without new data before a channel or Trajectory turns inactive: ETP's default
ActiveTimeoutPeriod."""


class Store(abc.ABC):
    """An ETP object store. Every method is a coroutine safe to call concurrently.

    URIs passed in are ETP 1.2 data object or dataspace URIs in any form :mod:`etp.uri` parses
    (a malformed one raises :class:`~etp.errors.InvalidUri`); URIs handed back are canonical.
    Object versions in URIs are ignored except by :meth:`get_objects`. Open with
    :func:`open_store`; close with :meth:`close` or ``async with store:``.
    """

    change_retention: float
    """Seconds tombstones and channel change annotations are kept (advertised as
    ChangeRetentionPeriod)."""

    active_timeout: float
    """Seconds without new data (a channel's appends, a Trajectory's parts) before the object
    turns inactive (advertised as ActiveTimeoutPeriod)."""

    channels: ChannelStore
    """Channel data: appends, range reads, replace, truncate, subscriptions
    (:mod:`etp.store.channels`)."""

    @abc.abstractmethod
    async def put_objects(
        self, records: Sequence[ObjectRecord], *, prune_contained_objects: bool = False
    ) -> list[PutResult]:
        """Create or replace ``records`` (with their contained objects) in one transaction.

        Then the rows of each ChannelSet record that holds some (``bulk_data``) become the data
        of its channels over the interval they span (a replace, in a transaction of its own;
        nothing when the channels hold exactly those points already).

        Returns one result per record, in order. Raises :class:`~etp.errors.ProtocolError`
        (``key`` = the record's URI; nothing written) for a record into a dataspace that does
        not exist (ENOT_FOUND) or whose fields disagree with its URI (EINVALID_ARGUMENT); one
        without ``key`` if the channel store refused rows after the objects were stored.
        """

    @abc.abstractmethod
    async def get_objects(self, uris: Iterable[str]) -> dict[str, StoredObject]:
        """The stored objects for ``uris``, keyed by the URI as given; missing ones are absent
        (also when the URI names an object version other than the stored one)."""

    @abc.abstractmethod
    async def update_object(
        self, uri: str, edit: Callable[[StoredObject | None], tuple[ObjectRecord | None, _T]]
    ) -> _T:
        """Read, change and write back one object in one transaction (a growing object's parts).

        ``edit`` gets the stored object named by ``uri`` (None if absent) while no other writer,
        of this process or another, can change it, and returns the record to put in its place
        (None: write nothing) and a value handed back. It runs on a store thread and may run
        again if the transaction is retried: it must only compute. What it raises is raised
        here (nothing written); the put itself raises as :meth:`put_objects` does.
        """

    @abc.abstractmethod
    async def delete_objects(
        self, uris: Iterable[str], *, prune_contained_objects: bool = False
    ) -> DeleteOutcome:
        """Delete ``uris`` in one transaction; with ``prune_contained_objects`` also the objects
        they contain (at any depth) that no other remaining object holds a primary edge to.

        Per URI: deleted (with what was pruned on its account), or an error: ENOT_FOUND, or
        ENOCASCADE_DELETE while another remaining object holds a primary edge to it.
        """

    @abc.abstractmethod
    async def get_resources(self, query: ResourceQuery) -> ResourcePage:
        """Discovery: the resources around ``query.uri`` (see :class:`ResourceQuery`).

        Raises ProtocolError ENOT_FOUND when the context dataspace or object does not exist.
        """

    @abc.abstractmethod
    async def get_deleted_resources(
        self,
        dataspace: str,
        *,
        deleted_after: int | None = None,
        data_object_types: Sequence[str] = (),
    ) -> list[DeletedResource]:
        """Tombstones of ``dataspace`` (oldest first), deleted after ``deleted_after`` (µs) and
        of the given types (exact or ``witsml20.*``), within the retention period."""

    @abc.abstractmethod
    async def count_types(
        self, uri: str, scope: ContextScope = ContextScope.TARGETS
    ) -> list[TypeCount]:
        """SupportedTypes: object counts per type around ``uri``, sorted by type.

        For a dataspace: every type stored in it (nothing for scope ``sources``). For an object:
        its neighbours one edge away in the scope's direction (and itself for ``...OrSelf`` and
        ``self``), with the kinds of the edges that lead to each type.
        """

    @abc.abstractmethod
    async def get_dataspaces(self, *, store_last_write_after: int | None = None) -> list[Dataspace]:
        """Every dataspace (sorted by URI), or those written after ``store_last_write_after``."""

    @abc.abstractmethod
    async def put_dataspaces(self, dataspaces: Mapping[str, CustomData]) -> dict[str, bool]:
        """Create dataspaces or replace their custom data, in one transaction; returns, per URI
        as given, whether it was created. A malformed URI raises InvalidUri (nothing written)."""

    @abc.abstractmethod
    async def delete_dataspaces(self, uris: Iterable[str]) -> DeleteOutcome:
        """Delete dataspaces and every object in them (tombstoned, published), in one
        transaction. Errors per URI: EREQUEST_DENIED for ``eml:///``, ENOT_FOUND."""

    @abc.abstractmethod
    def changes(self) -> ChangeFeed:
        """Subscribe to every change committed from now on (see :class:`ChangeFeed`)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and threads; subscriptions end. Idempotent."""

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def open_store(
    url: str,
    *,
    change_retention: float = DEFAULT_CHANGE_RETENTION,
    max_pending: int = 10_000,
    active_timeout: float = DEFAULT_ACTIVE_TIMEOUT,
) -> Store:
    """Open (creating or migrating its schema) the store at ``url``.

    ``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``postgresql://...`` (also
    ``postgres://``; a libpq URL, e.g. ``?options=-csearch_path%3Dmyschema`` to use a schema).
    ``max_pending``: changes a subscriber may lag behind before it is cut off.
    ``active_timeout``: seconds without an append before a channel becomes inactive, or without
    a part change before a Trajectory does (advertised as ActiveTimeoutPeriod).
    Raises :class:`StoreError` for an unknown scheme, an unreachable database or a schema
    newer than this code.
    """
    scheme, sep, _ = url.partition("://")
    if scheme == "sqlite" and sep:
        from etp.store.sqlite import SqliteStore

        return await SqliteStore.open(
            url,
            change_retention=change_retention,
            max_pending=max_pending,
            active_timeout=active_timeout,
        )
    if scheme in ("postgresql", "postgres") and sep:
        from etp.store.postgres import PostgresStore

        return await PostgresStore.open(
            url,
            change_retention=change_retention,
            max_pending=max_pending,
            active_timeout=active_timeout,
        )
    raise StoreError(
        f"unsupported store URL {url!r}: expected sqlite:///path.db or postgresql://..."
    )
