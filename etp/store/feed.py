"""In-process fan-out of committed changes to subscribers (:meth:`etp.store.Store.changes`).

Each backend feeds one :class:`ChangeHub` on the event loop: SQLite right after each commit,
PostgreSQL from its LISTEN connection (so changes from every process on the database arrive).
A subscriber that falls more than ``max_pending`` changes behind is cut off with a
:class:`~etp.errors.StoreError` rather than silently losing changes.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Collection, Iterable
from types import TracebackType
from typing import Generic, Self, TypeVar

from etp.errors import StoreError
from etp.store.records import Change

__all__ = ["BoundedFeed", "ChangeFeed", "ChangeHub", "threadsafe", "threadsafe_publisher"]

T = TypeVar("T")


class BoundedFeed(abc.ABC, Generic[T]):
    """What both change feeds share (this one and :class:`etp.store.channel_feed.ChannelFeed`):
    a bounded queue of items a hub delivers, read as an async iterator until the feed is closed
    or fails.

    Each item weighs :meth:`_weight_of`; past ``max_pending`` queued weight the feed fails with
    :meth:`_fell_behind` and unsubscribes.
    """

    def __init__(self, max_pending: int) -> None:
        self._max_pending = max_pending
        self._pending: deque[T] = deque()
        self._weight = 0
        self._wakeup = asyncio.Event()
        self._closed = False
        self._failure: StoreError | None = None

    def _weight_of(self, item: T) -> int:
        return 1

    @abc.abstractmethod
    def _fell_behind(self) -> StoreError:
        """The error of a feed that held more than ``max_pending``."""

    @abc.abstractmethod
    def _unsubscribe(self) -> None:
        """Leave the hub (the feed closed or failed)."""

    def _queue(self, items: Iterable[T], weight: int) -> None:
        """Queue ``items`` (of total ``weight``) and wake the reader once."""
        if self._closed or self._failure is not None:
            return
        self._pending.extend(items)
        self._weight += weight
        if self._weight > self._max_pending:
            self._fail(self._fell_behind())
        self._wakeup.set()

    def _fail(self, error: StoreError) -> None:
        self._failure = error
        self._pending.clear()
        self._weight = 0
        self._unsubscribe()
        self._wakeup.set()

    def close(self) -> None:
        """Unsubscribe; a waiting iteration ends."""
        self._closed = True
        self._pending.clear()
        self._weight = 0
        self._unsubscribe()
        self._wakeup.set()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while True:
            if self._failure is not None:
                raise self._failure
            if self._pending:
                item = self._pending.popleft()
                self._weight -= self._weight_of(item)
                return item
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ChangeFeed(BoundedFeed[Change]):
    """One subscription: an async iterator of :class:`Change`, in commit order.

    It receives every change committed after it was created. Use it as an async context
    manager (or call :meth:`close`) to unsubscribe; iteration ends when the store closes.
    """

    def __init__(self, hub: ChangeHub, max_pending: int) -> None:
        super().__init__(max_pending)
        self._hub = hub

    def _deliver(self, changes: Collection[Change]) -> None:
        self._queue(changes, len(changes))

    def _fell_behind(self) -> StoreError:
        return StoreError(
            f"change subscriber fell behind by more than {self._max_pending} changes; "
            "it was unsubscribed (subscribe again and re-read what you need)"
        )

    def _unsubscribe(self) -> None:
        self._hub.remove(self)


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
    return threadsafe(loop, hub.publish)


def threadsafe(
    loop: asyncio.AbstractEventLoop, publish: Callable[[list[T]], None]
) -> Callable[[list[T]], None]:
    """A function any thread may call to run ``publish`` with a non-empty list on ``loop`` (a
    no-op once the loop is closed)."""

    def call(items: list[T]) -> None:
        if items and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed since the check
                loop.call_soon_threadsafe(publish, items)

    return call
