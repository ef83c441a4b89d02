"""A blocking ETP client for scripts and notebooks: :func:`connect_sync`.

::

    import etp
    from etp.messages import dataspace

    with etp.connect_sync("ws://127.0.0.1:9002/", token="...") as client:
        client.ping()
        response = client.request(dataspace.GetDataspaces(store_last_write_filter=None))
        for note in client.notifications(timeout=5):   # stops after 5 s without a message
            print(note.message)

The asyncio :class:`~etp.client.Client` runs on an event loop in a background thread owned by
this object; every method blocks until its coroutine is done and raises what it raises. The
thread ends with :meth:`SyncClient.close` (or the ``with`` block). It works inside a notebook
whose own event loop is running, since it never touches that loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import Any, TypeVar

from etp.capabilities import Negotiated
from etp.client import Client, connect
from etp.client_channels import SyncChannelClient
from etp.client_growing import SyncGrowingObjectClient
from etp.client_store import SyncStoreClient
from etp.errors import RequestTimeout
from etp.messages.base import Message
from etp.protocols import Request
from etp.session import Response

__all__ = ["LoopThread", "SyncClient", "connect_sync"]

_T = TypeVar("_T")


class LoopThread:
    """An asyncio event loop running in a daemon thread of its own, for blocking code that
    drives coroutines (:class:`SyncClient`, the ``etp_server`` test fixture's server)::

        runner = LoopThread()
        try:
            result = runner.call(some_coroutine(), timeout=10)
        finally:
            runner.stop()

    The thread never touches the caller's event loop, so this works under a running one (a
    notebook, an async test).
    """

    def __init__(self) -> None:
        """Start the loop and its thread."""
        self.loop = asyncio.new_event_loop()
        """The loop: use ``asyncio.run_coroutine_threadsafe(coro, loop)`` for work that
        :meth:`call` does not fit."""
        self._thread = threading.Thread(target=self._run, name="etp-sync-loop", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coro: Coroutine[Any, Any, _T], timeout: float | None = None) -> _T:
        """Run ``coro`` on the loop and return its result (or raise what it raises), blocking.

        With ``timeout`` (seconds), raises :class:`~etp.errors.RequestTimeout` when it is not
        done by then (the coroutine is cancelled).
        """
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise RequestTimeout(f"no result within {timeout:g} s") from None

    def stop(self) -> None:
        """Stop the loop, wait for the thread to end and close the loop. Idempotent."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class SyncClient(SyncStoreClient, SyncChannelClient, SyncGrowingObjectClient):
    """A blocking twin of :class:`~etp.client.Client` (made by :func:`connect_sync`), the store,
    channel and growing object protocols' methods included
    (:class:`~etp.client_store.SyncStoreClient`, :class:`~etp.client_channels.SyncChannelClient`,
    :class:`~etp.client_growing.SyncGrowingObjectClient`)."""

    def __init__(self, client: Client, runner: LoopThread) -> None:
        self._client = client
        self._runner = runner

    @property
    def url(self) -> str:
        return self._client.url

    @property
    def negotiated(self) -> Negotiated:
        """What the server granted: protocols, data object types, compression, limits."""
        return self._client.negotiated

    @property
    def closed(self) -> bool:
        """Whether the session has ended or is closing."""
        return self._client.closed

    def ping(self) -> float:
        """Ping the server; returns the round trip in seconds."""
        return self._runner.call(self._client.ping())

    def authorize(self, token: str) -> bool:
        """Renew the session's bearer token (see :meth:`Client.authorize`)."""
        return self._runner.call(self._client.authorize(token))

    def request(self, message: Message, *parts: Message, acknowledge: bool = False) -> Response:
        """Send ``message`` and return the whole response (see :meth:`Client.request`)."""
        return self._runner.call(self._client.request(message, *parts, acknowledge=acknowledge))

    def send(self, message: Message, *parts: Message) -> int:
        """Send a message that has no answer (see :meth:`Client.send`)."""
        return self._runner.call(self._client.send(message, *parts))

    def notifications(self, timeout: float | None = None) -> Iterator[Request]:
        """The server's unsolicited messages no handler took, until the session ends or, with
        ``timeout``, until none arrives for that many seconds."""
        stream = self._client.notifications()

        async def next_one() -> Request:
            return await anext(stream)

        while True:
            try:
                yield self._runner.call(next_one(), timeout)
            except (StopAsyncIteration, RequestTimeout):
                return

    def close(self, reason: str = "") -> None:
        """Close the session and the WebSocket, then stop the background thread. Idempotent."""
        try:
            if not self._runner.loop.is_closed():
                self._runner.call(self._client.close(reason))
        finally:
            self._runner.stop()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def connect_sync(url: str, **options: Any) -> SyncClient:
    """Open an ETP session, blocking; takes the options of :func:`etp.client.connect`."""
    runner = LoopThread()

    async def open_client() -> Client:
        return await connect(url, **options)

    try:
        client = runner.call(open_client())
    except BaseException:
        runner.stop()
        raise
    return SyncClient(client, runner)
