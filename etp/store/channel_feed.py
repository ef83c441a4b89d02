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
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from etp.errors import StoreError
from etp.store.channels import Appended, ChannelEvent, Deleted, Replaced
from etp.store.feed import BoundedFeed, threadsafe

__all__ = ["DEFAULT_MAX_PENDING", "ChannelFeed", "ChannelHub", "threadsafe_channel_publisher"]

log = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 4_000_000
"""Points a feed may hold before it is cut off (about 64 MB of double points)."""


def _weight(event: ChannelEvent) -> int:
    return len(event.points) + 1 if isinstance(event, Appended | Replaced) else 1


class ChannelFeed(BoundedFeed[ChannelEvent]):
    """One subscription: an async iterator of channel events, in commit order.

    Use it as an async context manager (or call :meth:`close`). Iteration ends when the store
    closes; it raises StoreError if the feed fell behind (it is then unsubscribed).
    """

    def __init__(self, hub: ChannelHub, max_pending: int, *, data: bool = True) -> None:
        super().__init__(max_pending)
        self._hub = hub
        self.data = data
        """False: only the Deleted events of its channels."""
        self._keys: frozenset[int] = frozenset()
        """Replaced, never changed: feeds with equal key sets share what a commit brings them."""
        self.listener: Callable[[list[ChannelEvent]], bool] | None = None
        """Offered a commit's share first when nothing is queued: True if it took the events
        at once (they are not queued then). Called on the loop from the hub's publish: must
        not wait (if it raises, the error is logged and the events are queued)."""

    @property
    def keys(self) -> frozenset[int]:
        """The channels this feed receives."""
        return self._keys

    def add(self, keys: Iterable[int]) -> None:
        """Also receive the changes of these channels, from now on."""
        if self._closed or self._failure is not None:
            return
        new = set(keys) - self._keys
        self._keys |= new  # a new frozenset
        self._hub._attach(self, new)

    def remove(self, keys: Iterable[int]) -> None:
        """Stop receiving these channels (events already queued stay)."""
        gone = self._keys & set(keys)
        self._keys -= gone
        self._hub._detach(self, gone)

    def _deliver(self, events: list[ChannelEvent], weight: int) -> None:
        """Hand ``events`` (of total ``weight``) to the listener, or queue them and wake the
        reader once."""
        listener = self.listener
        if listener is not None and not self._pending:
            try:
                if listener(events):
                    return
            except Exception:  # a bug there must not cost this feed (or the others) the commit
                log.exception(
                    "channel feed listener %r failed; the events wait in the feed", listener
                )
        self._queue(events, weight)

    def _weight_of(self, item: ChannelEvent) -> int:
        return _weight(item)

    def _fell_behind(self) -> StoreError:
        return StoreError(
            f"channel subscriber fell behind by more than {self._max_pending} points; it "
            "was unsubscribed (subscribe again and read from the last index it received)"
        )

    def _unsubscribe(self) -> None:
        self._hub._detach(self, self._keys)

    def take_ready(self) -> list[ChannelEvent]:
        """Every event waiting now, without waiting (to batch them); raises the StoreError if
        the feed fell behind."""
        if self._failure is not None:
            raise self._failure
        events = list(self._pending)
        self._pending.clear()
        self._weight = 0
        return events


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
                feed._keys -= {event.key}
                feed._deliver([event], 1)

    def publish(self, events: Iterable[ChannelEvent]) -> None:
        """Deliver committed events, in order, to the feeds of their channels (each feed gets
        its share of a commit at once: one wake-up, however many channels). Feeds of the same
        channels (subscribers to one Log) share one share, worked out once."""
        events = list(events)
        by_key = self._by_key
        feeds = set().union(*[by_key.get(event.key, ()) for event in events])
        shares: dict[frozenset[int], tuple[list[ChannelEvent], int]] = {}
        for feed in feeds:
            keys = feed._keys
            share = shares.get(keys)
            if share is None:
                mine = [event for event in events if event.key in keys]
                share = shares[keys] = (mine, sum(_weight(event) for event in mine))
            feed._deliver(*share)

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
    return threadsafe(loop, hub.publish)
