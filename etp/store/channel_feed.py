"""In-process fan-out of committed channel data changes (``store.channels.subscribe``).

The store's :class:`ChannelHub` lives on the event loop. Writes of this process publish their
events right after the commit, with the points they wrote; with PostgreSQL the store's listener
publishes the changes committed by other processes after reading their rows. A feed only
receives the channels it subscribed to. It holds at most ``max_pending`` points not yet taken:
past that it is cut off with a StoreError (the subscriber resumes by range query), so a slow
consumer never makes memory grow without bound nor slows anyone else down. The store tells the
hub of deleted channels (:meth:`ChannelHub.publish_deleted`): their feeds, also those that take
only deletions (``data=False``), get a :class:`~etp.store.channels.Deleted` and stop receiving
them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from types import TracebackType

from etp.errors import StoreError
from etp.store.channels import Appended, ChannelEvent, Deleted, Replaced

__all__ = ["DEFAULT_MAX_PENDING", "ChannelFeed", "ChannelHub", "threadsafe_channel_publisher"]

DEFAULT_MAX_PENDING = 4_000_000
"""Points a feed may hold before it is cut off (about 64 MB of double points)."""


def _weight(event: ChannelEvent) -> int:
    return len(event.points) + 1 if isinstance(event, Appended | Replaced) else 1


class ChannelFeed:
    """One subscription: an async iterator of channel events, in commit order.

    Use it as an async context manager (or call :meth:`close`). Iteration ends when the store
    closes; it raises StoreError if the feed fell behind (it is then unsubscribed).
    """

    def __init__(self, hub: ChannelHub, max_pending: int, *, data: bool = True) -> None:
        self._hub = hub
        self._max_pending = max_pending
        self.data = data
        """False: only the Deleted events of its channels."""
        self._pending: deque[ChannelEvent] = deque()
        self._weight = 0
        self._wakeup = asyncio.Event()
        self._keys: set[int] = set()
        self._closed = False
        self._failure: StoreError | None = None

    @property
    def keys(self) -> frozenset[int]:
        """The channels this feed receives."""
        return frozenset(self._keys)

    def add(self, keys: Iterable[int]) -> None:
        """Also receive the changes of these channels, from now on."""
        if self._closed or self._failure is not None:
            return
        new = set(keys) - self._keys
        self._keys |= new
        self._hub._attach(self, new)

    def remove(self, keys: Iterable[int]) -> None:
        """Stop receiving these channels (events already queued stay)."""
        gone = self._keys & set(keys)
        self._keys -= gone
        self._hub._detach(self, gone)

    def _deliver(self, events: list[ChannelEvent], weight: int) -> None:
        """Queue ``events`` (of total ``weight``) and wake the reader once."""
        if self._closed or self._failure is not None:
            return
        self._pending.extend(events)
        self._weight += weight
        if self._weight > self._max_pending:
            self._fail(
                StoreError(
                    f"channel subscriber fell behind by more than {self._max_pending} points; it "
                    "was unsubscribed (subscribe again and read from the last index it received)"
                )
            )
        self._wakeup.set()

    def _fail(self, error: StoreError) -> None:
        self._failure = error
        self._pending.clear()
        self._weight = 0
        self._hub._detach(self, self._keys)
        self._wakeup.set()

    def close(self) -> None:
        """Unsubscribe; a waiting iteration ends."""
        self._closed = True
        self._pending.clear()
        self._weight = 0
        self._hub._detach(self, self._keys)
        self._wakeup.set()

    def take_ready(self) -> list[ChannelEvent]:
        """Every event waiting now, without waiting (to batch them); raises the StoreError if
        the feed fell behind."""
        if self._failure is not None:
            raise self._failure
        events = list(self._pending)
        self._pending.clear()
        self._weight = 0
        return events

    def __aiter__(self) -> ChannelFeed:
        return self

    async def __anext__(self) -> ChannelEvent:
        while True:
            if self._failure is not None:
                raise self._failure
            if self._pending:
                event = self._pending.popleft()
                self._weight -= _weight(event)
                return event
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    async def __aenter__(self) -> ChannelFeed:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ChannelHub:
    """The channel subscribers of one store, by channel key; every method runs on the loop."""

    def __init__(self) -> None:
        self._by_key: defaultdict[int, set[ChannelFeed]] = defaultdict(set)
        """The feeds of each channel's data."""
        self._deletions: defaultdict[int, set[ChannelFeed]] = defaultdict(set)
        """The feeds of only its deletion."""
        self._feeds: set[ChannelFeed] = set()
        self._closed = False
        self.on_idle: Callable[[], None] | None = None
        """Called when the last feed ends (the store stops watching for deletions)."""

    def subscribe(self, keys: Iterable[int], max_pending: int, *, data: bool = True) -> ChannelFeed:
        """A new feed of the channels ``keys`` (``data=False``: of their deletion only)."""
        feed = ChannelFeed(self, max_pending, data=data)
        if self._closed:
            feed.close()
            return feed
        self._feeds.add(feed)
        feed.add(keys)
        return feed

    @property
    def has_feeds(self) -> bool:
        """Whether any feed is open."""
        return bool(self._feeds)

    def keys(self) -> set[int]:
        """Every channel some feed receives (data or deletion)."""
        return set(self._by_key) | set(self._deletions)

    def _attach(self, feed: ChannelFeed, keys: Iterable[int]) -> None:
        table = self._by_key if feed.data else self._deletions
        for key in keys:
            table[key].add(feed)

    def _detach(self, feed: ChannelFeed, keys: Iterable[int]) -> None:
        table = self._by_key if feed.data else self._deletions
        for key in keys:
            feeds = table.get(key)
            if feeds is not None:
                feeds.discard(feed)
                if not feeds:
                    del table[key]
        if (feed._closed or feed._failure is not None) and feed in self._feeds:
            self._feeds.discard(feed)
            if not self._feeds and self.on_idle is not None:
                self.on_idle()

    def watched(self, keys: Iterable[int]) -> set[int]:
        """Those of ``keys`` some feed subscribes to the data of (a publisher may skip reading
        the rest). Any thread may ask: the answer is a hint, the event loop's publish decides."""
        return {key for key in keys if key in self._by_key}

    def publish_deleted(self, events: Iterable[Deleted]) -> None:
        """Tell the feeds of these channels that they were deleted; they receive them no more."""
        for event in events:
            feeds = self._by_key.pop(event.key, set()) | self._deletions.pop(event.key, set())
            for feed in feeds:
                feed._keys.discard(event.key)
                feed._deliver([event], 1)

    def publish(self, events: Iterable[ChannelEvent]) -> None:
        """Deliver committed events, in order, to the feeds of their channels (each feed gets
        its share of a commit at once: one wake-up, however many channels)."""
        shares: dict[ChannelFeed, list[ChannelEvent]] = {}
        weights: dict[ChannelFeed, int] = {}
        for event in events:
            feeds = self._by_key.get(event.key)
            if feeds:
                weight = _weight(event)
                for feed in feeds:
                    if feed in shares:
                        shares[feed].append(event)
                        weights[feed] += weight
                    else:
                        shares[feed] = [event]
                        weights[feed] = weight
        for feed, mine in shares.items():
            feed._deliver(mine, weights[feed])

    def fail_all(self, reason: str) -> None:
        """Cut every feed off: changes may have been missed (e.g. a lost connection)."""
        for feed in list(self._feeds):
            feed._fail(StoreError(reason))

    def close(self) -> None:
        """End every feed (the store is closing)."""
        self._closed = True
        for feed in list(self._feeds):
            feed.close()


def threadsafe_channel_publisher(
    loop: asyncio.AbstractEventLoop, hub: ChannelHub
) -> Callable[[list[ChannelEvent]], None]:
    """A function any thread may call to publish events to ``hub`` on ``loop``."""

    def publish(events: list[ChannelEvent]) -> None:
        if events and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed since the check
                loop.call_soon_threadsafe(hub.publish, events)

    return publish
