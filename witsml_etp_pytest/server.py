"""An ETP store server running on its own thread, for tests: :class:`EtpServer` (the
``etp_server`` fixture) and :class:`StoreHandle`, blocking access to its store (``etp_store``).

::

    server = EtpServer.start(tmp_dir, auth=True)
    server.store.put(well, wellbore)                      # seed, validated like PutDataObjects
    with server.connect_sync() as client:                 # its URL and token
        client.get_data_objects([well.uri])
    server.close()

The server, its SQLite store and their event loop live in a background thread, so every kind of
test can talk to it: sync tests (``etp.connect_sync``), async tests on their own event loop
whatever its scope (``etp.connect``), a service under test in any thread. The methods here block
until done. They may be called from an async test too: the work happens on the server's thread,
which never waits for the test's loop; a test whose loop must keep running meanwhile (a consumer
of the pushed data living on it) calls them with ``await asyncio.to_thread(...)``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import numpy as np

import etp
import witsml
from etp.auth import JwtAuth, issue_token, shared_secret
from etp.client import Connecting
from etp.errors import ErrorCode, ProtocolError, ProtocolErrors
from etp.protocols.store import object_record
from etp.server import Server
from etp.store import ObjectRecord, ResourceQuery, Store, open_store
from etp.store.channels import ChannelInfo, Points
from etp.store_server import store_server
from etp.sync import LoopThread, SyncClient
from etp.uri import DataObjectUri, DataspaceUri
from witsml.data import ChannelTable, Column
from witsml.objects import ChannelSet, GenericObject, Log, XmlModel
from witsml.xml.reader import WitsmlObject

__all__ = ["Document", "EtpServer", "StoreHandle"]

_T = TypeVar("_T")

Document: TypeAlias = XmlModel | bytes | str | os.PathLike[str]
"""What :meth:`StoreHandle.put` takes: a witsml object, a document (bytes or str), a file."""

_DEFAULT_DATASPACE = "eml:///"


class StoreHandle:
    """The server's store, blocking (the ``etp_store`` fixture): seed it, look into it.

    ``run`` gives the :class:`etp.store.Store` itself for anything else.
    """

    def __init__(self, store: Store, runner: LoopThread) -> None:
        self._store = store
        self._runner = runner

    def run(self, work: Callable[[Store], Awaitable[_T]]) -> _T:
        """Await ``work(store)`` on the server's event loop and return its result, e.g.
        ``run(lambda store: store.get_dataspaces())``."""

        async def call() -> _T:
            return await work(self._store)

        return self._runner.call(call())

    def put(self, *objects: Document, dataspace: str = _DEFAULT_DATASPACE) -> list[str]:
        """Store ``objects`` in one transaction, read and validated as PutDataObjects does;
        returns their URIs. The dataspace is created if need be. As with PutDataObjects, the rows
        a Log's ChannelSets hold become the data of their channels, which the channel protocols
        serve.

        Raises :class:`~etp.errors.ProtocolError` EINVALID_OBJECT naming the document that is
        not a valid WITSML data object (nothing is stored).
        """
        space = str(DataspaceUri.parse(dataspace).dataspace_uri)
        records = [_record(obj, space) for obj in objects]

        async def put(store: Store) -> list[str]:
            if space != _DEFAULT_DATASPACE:
                known = {d.uri for d in await store.get_dataspaces()}
                if space not in known:
                    await store.put_dataspaces({space: {}})
            return [result.uri for result in await store.put_objects(records)]

        return self.run(put)

    def get_xml(self, uri: str) -> bytes | None:
        """The stored document of ``uri`` (channel extents as the store renders them), or None."""
        found = self.run(lambda store: store.get_objects([uri]))
        return found[uri].xml if uri in found else None

    def get(self, uri: str) -> WitsmlObject | GenericObject | None:
        """The stored object of ``uri``, parsed, or None."""
        xml = self.get_xml(uri)
        return None if xml is None else witsml.parse(xml)

    def uris(self, *types: str, dataspace: str = _DEFAULT_DATASPACE) -> list[str]:
        """The URIs of the objects in ``dataspace`` (sorted), of ``types`` only if given
        (qualified: ``witsml20.Well``, or ``witsml20.*``)."""
        query = ResourceQuery(
            str(DataspaceUri.parse(dataspace).dataspace_uri), data_object_types=types
        )
        page = self.run(lambda store: store.get_resources(query))
        return [resource.uri for resource in page.resources]

    def delete(self, *uris: str, prune: bool = False) -> list[str]:
        """Delete ``uris`` in one transaction (``prune``: with the objects they contain); returns
        every URI deleted. Raises :class:`~etp.errors.ProtocolErrors` naming each URI that was
        not (ENOT_FOUND, ENOCASCADE_DELETE)."""
        outcome = self.run(lambda store: store.delete_objects(uris, prune_contained_objects=prune))
        if outcome.errors:
            raise ProtocolErrors("delete", dict(outcome.errors), outcome.deleted)
        return [uri for deleted in outcome.deleted.values() for uri in deleted]

    def append(
        self,
        target: Log | ChannelSet | str,
        data: ChannelTable,
        *,
        dataspace: str = _DEFAULT_DATASPACE,
    ) -> int:
        """Append rows to the stored channels of ``target`` (a Log or ChannelSet already put, in
        ``dataspace``, or its URI), as ChannelDataLoad would: afterwards the channel protocols
        serve them. Returns the points appended (a missing value is a null point).

        ``data``'s channel columns are matched to the channels by mnemonic (:meth:`put` already
        stores the rows a Log holds). Raises ProtocolError as the store does (EINVALID_APPEND for
        indexes that do not continue a channel...) and EINVALID_ARGUMENT for a mnemonic matching
        no channel or several; ProtocolErrors for a target that is not stored.
        """
        if isinstance(target, str):
            uri = target
        else:
            space = DataspaceUri.parse(dataspace).dataspace_uri
            uri = str(DataObjectUri.build(target.qualified_type, target.uuid, dataspace=space.path))

        async def append(store: Store) -> int:
            opened = await store.channels.open([uri])
            if opened.errors:
                raise ProtocolErrors("append", dict(opened.errors))
            points = _points(data, opened.found[uri], uri)
            await store.channels.append(points)
            return sum(len(p) for p in points.values())

        return self.run(append)


class EtpServer:
    """A running ETP 1.2 store server over a fresh SQLite store (the ``etp_server`` fixture).

    ``url`` to connect to; ``token`` a full-access bearer token when started with ``auth``
    (None otherwise); ``store`` to seed and inspect the store directly.
    """

    def __init__(
        self, runner: LoopThread, store: Store, server: Server, secret: bytes | None
    ) -> None:
        self._runner = runner
        self._store = store
        self._server = server
        self._secret = secret
        self.url = server.url
        """``ws://127.0.0.1:<port>/``."""
        self.store = StoreHandle(store, runner)
        """Blocking access to the server's store."""
        self.token = self.issue_token() if secret is not None else None
        """A bearer token for every dataspace, read and write (None: no authentication)."""

    @classmethod
    def start(cls, directory: Path, *, auth: bool = False, **options: Any) -> EtpServer:
        """Serve a new store in ``directory`` on 127.0.0.1, on a port the system picks.

        ``auth``: sessions need a JWT bearer token (HS256, with a secret made up here: see
        :meth:`issue_token`); otherwise anyone connects, with full access. ``options`` go to
        :func:`etp.store_server.store_server` (``limits``, ``channel_limits``,
        ``request_timeout``, ``application_name``...).
        """
        secret = secrets.token_bytes(32) if auth else None
        authenticate = JwtAuth([shared_secret(secret)]) if secret is not None else None
        runner = LoopThread()

        async def open_and_serve() -> tuple[Store, Server]:
            store = await open_store(f"sqlite:///{directory / 'store.db'}")
            try:
                server = store_server(store, authenticate=authenticate, **options)
                await server.start("127.0.0.1", 0)
            except BaseException:
                await store.close()
                await _end_threads()
                raise
            return store, server

        try:
            store, server = runner.call(open_and_serve())
        except BaseException:
            runner.stop()
            raise
        return cls(runner, store, server, secret)

    def issue_token(
        self,
        *,
        subject: str = "pytest",
        read: Iterable[str] = ("*",),
        write: Iterable[str] = ("*",),
        expires_in: float = 3600.0,
    ) -> str:
        """A bearer token this server accepts, with these dataspace patterns (see
        :mod:`etp.auth.identity`: ``eml:///``, ``eml:///dataspace('rig/*')``, ``*``)."""
        if self._secret is None:
            raise ValueError(
                "this server does not check tokens: start it with auth "
                "(@pytest.mark.etp_server(auth=True))"
            )
        return issue_token(
            self._secret, subject=subject, read=read, write=write, expires_in=expires_in
        )

    def connect(self, **options: Any) -> Connecting:
        """``etp.connect`` to this server, with its token unless ``token=`` is given."""
        return etp.connect(self.url, **{"token": self.token, **options})

    def connect_sync(self, **options: Any) -> SyncClient:
        """``etp.connect_sync`` to this server, with its token unless ``token=`` is given."""
        return etp.connect_sync(self.url, **{"token": self.token, **options})

    @property
    def session_count(self) -> int:
        """Sessions open now (a test can check its service closed its connections)."""
        return self._server.session_count

    def close(self) -> None:
        """Close every session, stop serving, close the store, end the thread. Idempotent."""
        if self._runner.loop.is_closed():
            return

        async def shut_down() -> None:
            try:
                await self._server.close()
            finally:
                await self._store.close()
                await _end_threads()

        try:
            self._runner.call(shut_down())
        finally:
            self._runner.stop()


async def _end_threads() -> None:
    """Wait for the loop's worker threads to end (closing the loop would not wait), so that a
    test leaves no thread behind."""
    await asyncio.get_running_loop().shutdown_default_executor()


def _record(obj: Document, dataspace: str) -> ObjectRecord:
    """The store record of one document (ProtocolError EINVALID_OBJECT naming it)."""
    if isinstance(obj, XmlModel):
        return object_record(witsml.to_xml(obj), dataspace)
    if isinstance(obj, bytes | str):
        return object_record(obj.encode() if isinstance(obj, str) else obj, dataspace)
    try:
        return object_record(Path(obj).read_bytes(), dataspace)
    except ProtocolError as e:
        raise ProtocolError(e.code, f"{os.fspath(obj)}: {e.message}") from None


def _points(table: ChannelTable, channels: list[ChannelInfo], uri: str) -> dict[int, Points]:
    """The table's channel columns as points per channel key, matched by mnemonic."""
    keys: dict[str, list[int]] = {}
    for info in channels:
        keys.setdefault(info.definition.mnemonic, []).append(info.key)
    names = table.mnemonics
    for name in names:
        if len(keys.get(name, ())) != 1:
            found = f"{len(keys[name])} stored channels" if name in keys else "no stored channel"
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"append to {uri}: {found} named {name!r}; it has {sorted(keys)}",
            )
    if len(set(names)) != len(names):
        raise ProtocolError(
            ErrorCode.EINVALID_ARGUMENT, f"append to {uri}: the data names a channel twice"
        )
    index = _index_values(table.index)
    return {keys[c.mnemonic][0]: Points(index, c.values, c.mask) for c in table}


def _index_values(column: Column) -> np.ndarray[Any, Any]:
    """Index values as the store takes them: int µs since 1970 for times, floats otherwise."""
    if column.values.dtype.kind == "M":
        return column.values.astype("datetime64[us]").astype(np.int64)
    return np.asarray(column.values, dtype=np.float64)
