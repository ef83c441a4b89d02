"""In-process fan-out of committed changes to subscribers (:meth:`etp.store.Store.changes`).

Each backend feeds one :class:`ChangeHub` on the event loop: SQLite right after each commit,
PostgreSQL from its LISTEN connection (so changes from every process on the database arrive).
A subscriber that falls more than ``max_pending`` changes behind is cut off with a
:class:`~etp.errors.StoreError` rather than silently losing changes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType

from etp.errors import StoreError
from etp.store.records import Change

__all__ = ["ChangeFeed", "ChangeHub", "threadsafe_publisher"]


class ChangeFeed:
    """One subscription: an async iterator of :class:`Change`, in commit order.

    It receives every change committed after it was created. Use it as an async context
    manager (or call :meth:`close`) to unsubscribe; iteration ends when the store closes.
    """

    def __init__(self, hub: ChangeHub, max_pending: int) -> None:
        self._hub = hub
        self._max_pending = max_pending
        self._pending: deque[Change] = deque()
        self._wakeup = asyncio.Event()
        self._closed = False
        self._failure: StoreError | None = None

    def _deliver(self, changes: Iterable[Change]) -> None:
        if self._closed or self._failure is not None:
            return
        self._pending.extend(changes)
        if len(self._pending) > self._max_pending:
            self._fail(
                StoreError(
                    f"change subscriber fell behind by more than {self._max_pending} changes; "
                    "it was unsubscribed (subscribe again and re-read what you need)"
                )
            )
        self._wakeup.set()

    def _fail(self, error: StoreError) -> None:
        self._failure = error
        self._pending.clear()
        self._hub.remove(self)
        self._wakeup.set()

    def close(self) -> None:
        """Unsubscribe; a waiting iteration ends."""
        self._closed = True
        self._pending.clear()
        self._hub.remove(self)
        self._wakeup.set()

    def __aiter__(self) -> ChangeFeed:
        return self

    async def __anext__(self) -> Change:
        while True:
            if self._failure is not None:
                raise self._failure
            if self._pending:
                return self._pending.popleft()
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def __aenter__(self) -> ChangeFeed:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ChangeHub:
    """The subscribers of one store; every method runs on the event loop."""

    def __init__(self, max_pending: int = 10_000) -> None:
        self._feeds: set[ChangeFeed] = set()
        self._max_pending = max_pending

    def subscribe(self) -> ChangeFeed:
        """A new subscription receiving every change published from now on."""
        feed = ChangeFeed(self, self._max_pending)
        self._feeds.add(feed)
        return feed

    def remove(self, feed: ChangeFeed) -> None:
        """Forget ``feed`` (it unsubscribed or failed)."""
        self._feeds.discard(feed)

    @property
    def has_subscribers(self) -> bool:
        """Whether anyone listens (publishers may skip building changes otherwise)."""
        return bool(self._feeds)

    def publish(self, changes: list[Change]) -> None:
        """Deliver ``changes`` (one committed transaction's, in order) to every subscriber."""
        for feed in list(self._feeds):
            feed._deliver(changes)

    def fail_all(self, reason: str) -> None:
        """Cut every subscriber off: changes may have been missed (e.g. a lost connection)."""
        for feed in list(self._feeds):
            feed._fail(StoreError(reason))

    def close(self) -> None:
        """End every subscription (the store is closing)."""
        for feed in list(self._feeds):
            feed.close()


def threadsafe_publisher(
    loop: asyncio.AbstractEventLoop, hub: ChangeHub
) -> Callable[[list[Change]], None]:
    """A function any thread may call to publish changes to ``hub`` on ``loop`` (a no-op once
    the loop is closed: nobody is left to receive them)."""

    def publish(changes: list[Change]) -> None:
        if changes and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed since the check
                loop.call_soon_threadsafe(hub.publish, changes)

    return publish
