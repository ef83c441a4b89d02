"""What both SQL backends share: transactions run on worker threads, one connection per thread,
while the event loop only awaits (:mod:`etp.store.sqlite`, :mod:`etp.store.postgres`)."""

from __future__ import annotations

import abc
import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Concatenate, Generic, ParamSpec, Protocol, TypeVar

from etp.errors import StoreError
from etp.store.feed import threadsafe_publisher
from etp.store.records import Change
from etp.store.sql import SqlStore
from etp.store.tx import Tx

__all__ = ["ThreadedStore"]

P = ParamSpec("P")
R = TypeVar("R")


class _Connection(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Connection)


class ThreadedStore(SqlStore, Generic[C]):
    """A :class:`SqlStore` that runs writes on the ``writer`` pool's threads and reads on the
    ``readers`` pool's (the same pool where one serves both), each thread on its own connection
    of type ``C``, and publishes committed changes on the event loop it was created on."""

    def __init__(
        self,
        *,
        where: str,
        change_retention: float,
        max_pending: int,
        active_timeout: float,
        writer: ThreadPoolExecutor,
        readers: ThreadPoolExecutor,
    ) -> None:
        super().__init__(
            where=where,
            change_retention=change_retention,
            max_pending=max_pending,
            active_timeout=active_timeout,
        )
        self._loop = asyncio.get_running_loop()
        self._publish = threadsafe_publisher(self._loop, self._hub)
        self._writer = writer
        self._readers = readers
        self._local = threading.local()
        self._connections: list[C] = []
        self._connections_lock = threading.Lock()
        self._closed = False

    async def close(self) -> None:
        if self._closed:
            return
        await self.channels.shutdown()
        self._closed = True
        self._hub.close()
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        """Stop the worker threads and close every connection (on a thread of its own)."""
        self._writer.shutdown(wait=True)
        if self._readers is not self._writer:
            self._readers.shutdown(wait=True)
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    # -- threads and transactions ----------------------------------------------------------------

    async def _call(self, pool: ThreadPoolExecutor, fn: Callable[[], R]) -> R:
        if self._closed:
            raise StoreError(f"{self._where} is closed")
        return await self._loop.run_in_executor(pool, fn)

    @abc.abstractmethod
    def _connect(self) -> C:
        """A new connection for the calling worker thread."""

    def _usable(self, conn: C) -> bool:
        """Whether this thread's connection may still be used (else a new one is made)."""
        return True

    def _conn(self) -> C:
        conn: C | None = getattr(self._local, "conn", None)
        if conn is None or not self._usable(conn):
            conn = self._connect()
            with self._connections_lock:
                self._connections.append(conn)
            self._local.conn = conn
        return conn

    async def _write(
        self,
        op: Callable[Concatenate[Tx, int, P], tuple[R, list[Change]]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        def bound(tx: Tx, now: int) -> tuple[R, list[Change]]:
            return op(tx, now, *args, **kwargs)

        return await self._call(self._writer, partial(self._write_now, bound))

    @abc.abstractmethod
    def _write_now(self, op: Callable[[Tx, int], tuple[R, list[Change]]]) -> R:
        """On a writer thread: :meth:`_write`'s transaction."""

    async def _read(
        self, op: Callable[Concatenate[Tx, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        def bound(tx: Tx) -> R:
            return op(tx, *args, **kwargs)

        return await self._call(self._readers, partial(self._read_now, bound))

    @abc.abstractmethod
    def _read_now(self, op: Callable[[Tx], R]) -> R:
        """On a reader thread: :meth:`_read`'s transaction."""
