"""The customer side of the channel protocols: channel data as numpy columns, live and past.

::

    async with etp.connect("ws://127.0.0.1:9002/") as client:
        for channel in await client.channels([log_uri]):          # a Log means all its channels
            print(channel.mnemonic, channel.uom, channel.end)
        async with client.subscribe([log_uri], latest=100, units={"length": "ft"}) as batches:
            async for batch in batches:                            # ChannelBatch
                frame = batch.to_pandas()                          # a column per channel
        past = await client.get_range([rop_uri], 1500.0, 1600.0)   # ChannelBatch
        async with await client.load([log_uri]) as loader:         # ChannelDataLoad
            await loader.append(table)                             # ChannelTable, DataFrame...
            await loader.flush()                                   # stored, or ProtocolErrors
        async for batch in client.stream():                        # ChannelStreaming
            ...

* Channels are named by URI (Channel, or ChannelSet/Log for all their channels, in document
  order: the client reads them from the object's XML with Store GetDataObjects, then asks the
  store about each Channel); the ids the store gives them belong to one session and are looked
  up again after a reconnection.
* What arrives is a :class:`~etp.channel_data.ChannelBatch` (numpy columns, per channel, pandas,
  or :class:`~etp.channel_data.Point` objects: see :mod:`etp.channel_data`); loading is
  :mod:`etp.client_channel_load`.
* ``subscribe(..., units={"length": "ft", "ROP": "ft/h"})`` converts values and depth indexes
  on receipt (keys are mnemonics or quantity classes, as :meth:`ChannelTable.to_units` takes).
* A subscription buffers at most ``buffer`` points its reader has not taken. When the reader
  falls further behind, or the store stops the subscription (SubscriptionsStopped: it did not
  read fast enough), or the connection is lost, the iteration raises
  :class:`~etp.errors.SubscriptionStopped` (:class:`~etp.errors.ConnectionClosed`) once what
  was received has been read, unless ``resume=True``: then it reconnects if needed (with
  backoff), asks for the channels' metadata again, subscribes from now, fills the gap from the
  last index it delivered with GetRanges, and drops what it already delivered: every point
  exactly once, in channel order. A channel none of whose points had been delivered yet
  resumes as if nothing had happened: from ``start`` if given; for a ``latest=N``
  subscription from the N-th latest point it had when the subscription began (found with
  GetRanges over growing intervals back from its end then); from its first point when it was
  empty then. With ``data_changes``, what changed while it was disconnected comes first:
  GetChangeAnnotations since the (re)subscription before, each changed interval of the points
  it had delivered as a :class:`Replaced` (with the points there now; those RangeReplaced and
  ChannelsTruncated it had received are not repeated), and a channel now ending before the
  last point delivered as a :class:`Truncated`. The store annotates appends too, so the span
  of the last appends before the interruption may come again as a Replaced with the points
  already delivered (applying it changes nothing).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from lxml import etree

from etp.channel_data import (
    ChannelBatch,
    ChannelMeta,
    ChannelPoints,
    Index,
    Item,
    Point,
    Progress,
    Replaced,
    Truncated,
    Units,
    utc_datetime,
    wire_index,
)
from etp.client_channel_load import ChannelLoader, SyncChannelLoader
from etp.client_subscriptions import AsyncSubscription, ClientMixin, SyncIterator
from etp.errors import (
    ConnectionClosed,
    ErrorCode,
    EtpError,
    ProtocolError,
    ProtocolErrors,
    RequestTimeout,
    SessionError,
    SubscriptionStopped,
)
from etp.messages import channel_data_load as load_msg
from etp.messages import channel_streaming as stream_msg
from etp.messages import channel_subscribe as sub_msg
from etp.messages import datatypes as wire
from etp.messages.base import Message
from etp.messages.datatypes import DataItem
from etp.protocols.channel_data_load import ChannelDataLoadCustomer
from etp.protocols.channel_streaming import ChannelStreamingConsumer
from etp.protocols.channel_subscribe import ChannelSubscribeCustomer
from etp.uri import DataObjectUri
from witsml import units as witsml_units

if TYPE_CHECKING:
    from etp.client import Client
    from etp.sync import LoopThread

__all__ = [
    "ChannelBatch",
    "ChannelClient",
    "ChannelLoader",
    "ChannelMeta",
    "ChannelPoints",
    "ChannelStream",
    "ChannelSubscription",
    "Point",
    "Replaced",
    "SyncChannelClient",
    "SyncChannelLoader",
    "SyncChannelStream",
    "SyncChannelSubscription",
    "Truncated",
]

log = logging.getLogger("etp.client")

Channels: TypeAlias = "str | ChannelMeta | Iterable[str | ChannelMeta]"
"""Channels to read: URIs (Channel, ChannelSet, Log) or ChannelMeta, one or several."""


# --- receiving: one bounded buffer per subscription or stream -------------------------------------


class _Inbox:
    """What arrived for one subscription or stream, until its reader takes it; at most
    ``bound`` points (past that it drops everything and says so, once)."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.entries: collections.deque[tuple[str, Any]] = collections.deque()
        self.points = 0
        self.dropping = False
        self.wake = asyncio.Event()

    def data(self, data: Sequence[DataItem]) -> bool:
        """Queue points; False when they overflow the bound (then it drops until ``accept``)."""
        if self.dropping:
            return True
        if self.points + len(data) > self.bound and self.entries:
            self.dropping = True
            self.put("overflow", None)
            return False
        self.points += len(data)
        self.put("data", data)
        return True

    def put(self, kind: str, payload: Any) -> None:
        self.entries.append((kind, payload))
        self.wake.set()

    def accept(self) -> None:
        """Take data again (after the reader dealt with an overflow)."""
        self.dropping = False

    async def get(self) -> tuple[str, Any]:
        while not self.entries:
            self.wake.clear()
            await self.wake.wait()
        kind, payload = self.entries.popleft()
        if kind == "data":
            self.points -= len(payload)
        return kind, payload


def _uris(channels: Channels) -> list[str]:
    if isinstance(channels, str | ChannelMeta):
        channels = [channels]
    uris = [c.uri if isinstance(c, ChannelMeta) else c for c in channels]
    if not uris:
        raise ValueError("name at least one channel (a Channel, ChannelSet or Log URI)")
    return list(dict.fromkeys(uris))


class ChannelSubscription(AsyncSubscription):
    """A ChannelSubscribe subscription (made by :meth:`ChannelClient.subscribe`): an async
    iterator of :class:`ChannelBatch` (and, with ``data_changes``, :class:`Replaced` and
    :class:`Truncated`); ``async with`` unsubscribes on the way out. It subscribes on first use.
    """

    def __init__(
        self,
        client: ChannelClient,
        channels: Channels,
        *,
        start: Index | None,
        latest: int | None,
        units: Mapping[str, str] | None,
        resume: bool,
        data_changes: bool,
        buffer: int,
    ) -> None:
        self.uris = _uris(channels)
        self.start_index = start
        self.latest = latest
        self.resume = resume
        self.data_changes = data_changes
        self.channels: dict[int, ChannelMeta] = {}
        """The subscribed channels by id (in the current session), units as delivered."""
        self.reason: str | None = None
        """Why the subscription ended, once it has."""
        self.resumed = 0
        """How many times it resumed (reconnection, falling behind)."""
        self._client = client
        self._owned: list[ChannelClient] = []
        self._units = Units(units or {})
        self._original: dict[int, ChannelMeta] = {}
        self._progress = Progress()
        self._inbox = _Inbox(buffer)
        self._front: collections.deque[Item] = collections.deque()
        """What a resumption delivers before what arrives (changes, then the gap)."""
        self._started = False
        self._ended = False
        self._handler: ChannelSubscribeCustomer | None = None
        self._first: dict[str, tuple[int | float | None, int | float | None]] = {}
        """Each channel's first and last index when the subscription began (store units)."""
        self._settled: set[str] = set()
        """The channels that resume from their last index delivered (from their first point
        when none): subscribed from now, empty when it began, or already resumed."""
        self._bookmark: int | None = None
        """With ``data_changes``: the store's time (µs) before the last (re)subscription."""
        self._changes_seen: set[tuple[str, int]] = set()
        """The (channel URI, change time) of the RangeReplaced/ChannelsTruncated received
        since then."""

    # --- receiving (ChannelReceiver) ---------------------------------------------------------

    def on_data(self, data: Sequence[DataItem]) -> None:
        if not self._inbox.data(data) and self._handler is not None:
            ids = {str(i): i for i in self.channels}
            client = self._client
            client._conn.start_task(
                _quietly(client.request(sub_msg.UnsubscribeChannels(channel_ids=ids))),
                name="etp-unsubscribe-behind",
            )

    def on_message(self, message: Message) -> None:
        self._inbox.put("message", message)

    def on_session_end(self) -> None:
        self._inbox.put("lost", None)

    # --- the iteration -----------------------------------------------------------------------

    async def start(self) -> ChannelSubscription:
        """Subscribe now (iteration does it otherwise). Raises ProtocolErrors naming the
        channels the store refused (nothing stays subscribed then)."""
        if not self._started:
            self._started = True
            await self._subscribe(self._client)
        return self

    async def __anext__(self) -> Item:
        await self.start()
        while True:
            if self._front:
                front = self._front.popleft()
                if not isinstance(front, ChannelBatch):
                    return front
                batch = self._deliverable(front)
                if batch is not None:
                    return batch
                continue
            if self._ended:
                raise StopAsyncIteration
            kind, payload = await self._inbox.get()
            if kind == "data":
                batch = self._deliverable(ChannelBatch.of(payload, self._original))
                if batch is not None:
                    return batch
            elif kind == "message":
                item = await self._message(payload)
                if item is not None:
                    return item
            elif kind == "overflow":
                await self._interrupted(
                    f"the reader fell behind: more than {self._inbox.bound} points waited to be "
                    "read (subscribe with a larger buffer, or read faster)"
                )
            elif kind == "lost":
                await self._interrupted("the connection was lost", lost=True)
            elif kind == "end":
                raise StopAsyncIteration

    def _deliverable(self, batch: ChannelBatch) -> ChannelBatch | None:
        batch = self._progress.fresh(batch)
        if not len(batch):
            return None
        converted = ChannelBatch(
            self.channels, batch.channel_ids, batch.index, batch.values, batch.nulls
        )
        return self._units.apply(converted, self._original) if self._units else converted

    async def _message(self, message: Message) -> Item | None:
        match message:
            case sub_msg.SubscriptionsStopped(reason=reason):
                await self._interrupted(f"the store stopped the subscription: {reason}")
            case sub_msg.RangeReplaced(channel_ids=ids, change_time=when) if self.data_changes:
                self._changes_seen.update(
                    (self.channels[i].uri, when) for i in ids if i in self.channels
                )
                return self._replaced(message)
            case sub_msg.ChannelsTruncated(channels=infos, change_time=when) if self.data_changes:
                for info in infos:
                    meta = self.channels.get(info.channel_id)
                    if meta is not None:
                        self._changes_seen.add((meta.uri, when))
                        new_end = info.new_end_index
                        end = new_end if isinstance(new_end, int | float) else None
                        if end is not None and meta.uri in self._progress.last:
                            self._progress.last[meta.uri] = end
                        return Truncated(meta, end, utc_datetime(when))
        return None

    def _replaced(self, message: sub_msg.RangeReplaced) -> Replaced | None:
        ids = [i for i in message.channel_ids if i in self.channels]
        if not ids:
            return None
        data = ChannelBatch.of(message.data, self.channels)
        interval = message.changed_interval

        def bound(value: object) -> int | float | None:
            return value if isinstance(value, int | float) else None

        return Replaced(
            self.channels[ids[0]],
            bound(interval.start_index),
            bound(interval.end_index),
            utc_datetime(message.change_time),
            self._units.apply(data, self._original) if self._units else data,
        )

    async def _interrupted(self, reason: str, *, lost: bool = False) -> None:
        if not self.resume:
            self._finish(reason)
            if lost:
                raise ConnectionClosed(reason)
            raise SubscriptionStopped(reason, self.uris)
        log.warning("channel subscription interrupted (%s): resuming", reason)
        self.resumed += 1
        delay = 0.1
        while True:
            try:
                client = await self._live_client()
                if not lost:
                    await _quietly(self._unsubscribe_all(client))
                await self._subscribe(client)
                return
            except (ConnectionClosed, SessionError, RequestTimeout) as e:
                lost = True
                log.warning("resuming the channel subscription failed (%s); retry in %gs", e, delay)
                await asyncio.sleep(delay)
                delay = min(2 * delay, 5.0)

    async def _live_client(self) -> ChannelClient:
        if not self._client.closed:
            return self._client
        for owned in self._owned:
            await _quietly(owned.close())
        self._owned.clear()
        client = await self._client.reconnect()
        self._owned.append(client)
        self._client = client
        return client

    # --- subscribing ---------------------------------------------------------------------------

    async def _subscribe(self, client: ChannelClient) -> None:
        handler = ChannelSubscribeCustomer.of(client._conn)
        if handler is None:
            raise SessionError(
                "ChannelSubscribe (21) is not available in this session: the server did not "
                "grant it, or the client was connected without "
                "etp.protocols.channel_subscribe.ChannelSubscribeCustomer"
            )
        if self._handler is not None:
            self._handler.unroute(self)
        metas = {m.id: m for m in await client.channels(self.uris)}
        if self._units:
            self._units.check(metas.values())
        self._original = metas
        self.channels = {i: self._units.channel(m) for i, m in metas.items()}
        self._handler = handler
        handler.route(list(metas), self)
        resumed: dict[int, int | float | None] = {}
        """The channels that resume from now, with where their gap starts (None: their first
        point); the others subscribe as asked (first time, or from ``start`` again)."""
        for i, m in metas.items():
            if m.uri not in self._first:  # new: as asked; from now, from its end then
                self._first[m.uri] = (m.start, m.end)
                if self.start_index is None and (not self.latest or m.end is None):
                    self._settled.add(m.uri)
                    if not self.latest and m.end is not None:
                        self._progress.last[m.uri] = m.end
            elif m.uri in self._settled or m.uri in self._progress.last:
                resumed[i] = self._progress.last.get(m.uri)
            elif self.latest and self.start_index is None:
                resumed[i] = await self._window_start(client, m, self.latest)
        infos = {
            str(i): wire.ChannelSubscribeInfo(
                channel_id=i,
                start_index=None if i in resumed else self._start(m),
                data_changes=self.data_changes,
                request_latest_index_count=None if i in resumed else self.latest,
            )
            for i, m in metas.items()
        }
        bookmark = await self._store_time(client) if self.data_changes else None
        self._inbox.accept()
        response = await client.request(sub_msg.SubscribeChannels(channels=infos))
        if response.errors or response.error is not None:
            await _quietly(self._unsubscribe_all(client))
            handler.unroute(self)
            refused = {metas[int(k)].uri: e for k, e in response.errors.items() if k.isdigit()}
            raise ProtocolErrors("SubscribeChannels", refused, error=response.error)
        replayed: set[tuple[str, int]] = set()
        if resumed:  # what came between the last point delivered and the new subscription
            now = {m.uri: m for m in await client.channels([metas[i].uri for i in resumed])}
            if self._bookmark is not None:
                replayed = await self._replay_changes(client, [now[metas[i].uri] for i in resumed])
            gaps = [
                (metas[i], start, now[metas[i].uri].end)
                for i, start in resumed.items()
                if now[metas[i].uri].end is not None
            ]
            if gaps:
                self._front.append(await client._read_ranges(gaps, self._original))
            self._settled.update(metas[i].uri for i in resumed)
        self._bookmark = bookmark
        self._changes_seen = replayed

    async def _window_start(
        self, client: ChannelClient, channel: ChannelMeta, count: int
    ) -> int | float | None:
        """The ``count``-th latest point of ``channel`` when the subscription began (its first
        point if it had fewer): GetRanges back from its end then over intervals 8 times wider
        each time (halfway back when one holds more than the store's MaxRangeDataItemCount)."""
        first, end = self._first[channel.uri]
        if end is None:
            return None
        span = abs(end - first) if first is not None else 0.0
        step = -1 if channel.increasing else 1
        narrow, width = 0.0, span / 1024
        for _ in range(64):
            reached = width >= span
            bound = first if reached else end + step * width
            if channel.is_time and bound is not None:
                bound = int(bound)
            try:
                index = (await client._read_ranges([(channel, bound, end)], self._original)).index
            except ProtocolErrors as e:
                if e.error is None or e.error.code != ErrorCode.ERESPONSECOUNT_EXCEEDED:
                    raise
                width = (narrow + width) / 2
                continue
            if len(index) >= count or reached:
                return index[-count].item() if len(index) >= count else first
            narrow, width = width, max(width * 8, 1.0)
        return first

    async def _store_time(self, client: ChannelClient) -> int | None:
        """The store's clock (µs), from a GetChangeAnnotations answer; None (changes made
        while disconnected are then not replayed) when the store does not say."""
        since = time.time_ns() // 1000
        request = sub_msg.GetChangeAnnotations(
            channels={"0": wire.ChannelChangeRequestInfo(since_change_time=since, channel_ids=[])},
            latest_only=True,
        )
        try:
            response = await client.request(request)
            return int(response.map()["0"].response_timestamp)
        except (ProtocolError, KeyError) as e:
            log.warning("changes while disconnected will not be replayed: %s", e)
            return None

    async def _replay_changes(
        self, client: ChannelClient, channels: list[ChannelMeta]
    ) -> set[tuple[str, int]]:
        """Queue what changed in the points delivered of ``channels`` (as they are now) since
        the bookmark: Replaced per merged changed interval, Truncated if it ends earlier now.
        Returns the (channel URI, change time) of the changes replayed."""
        replayed: set[tuple[str, int]] = set()
        delivered = [m for m in channels if m.uri in self._progress.last]
        if not delivered or self._bookmark is None:
            return replayed
        request = sub_msg.GetChangeAnnotations(
            channels={
                str(n): wire.ChannelChangeRequestInfo(
                    since_change_time=self._bookmark, channel_ids=[m.id]
                )
                for n, m in enumerate(delivered)
            }
        )
        try:
            response = await client.request(request)
        except ProtocolError as e:
            log.warning("cannot replay the changes made while disconnected: %s", e)
            return replayed
        answers = response.map()
        for n, m in enumerate(delivered):
            answer = answers.get(str(n))
            found = answer.changes.get(str(m.id), []) if answer is not None else []
            changes = [a for a in found if (m.uri, a.change_time) not in self._changes_seen]
            replayed.update((m.uri, a.change_time) for a in changes)
            last = self._progress.last[m.uri]
            shown = self.channels[m.id]
            if m.end is None or (m.end < last if m.increasing else m.end > last):
                if m.end is None:
                    del self._progress.last[m.uri]
                else:
                    self._progress.last[m.uri] = last = m.end
                when = max((a.change_time for a in changes), default=None)
                self._front.append(
                    Truncated(shown, m.end, None if when is None else utc_datetime(when))
                )
                if m.end is None:
                    continue
            for low, high, when in _merged(changes, last, m.increasing):
                data = await client._read_ranges([(m, low, high)], self._original)
                converted = ChannelBatch(
                    self.channels, data.channel_ids, data.index, data.values, data.nulls
                )
                self._front.append(
                    Replaced(
                        shown,
                        low if m.increasing else high,
                        high if m.increasing else low,
                        utc_datetime(when),
                        self._units.apply(converted, self._original) if self._units else converted,
                    )
                )
        return replayed

    def _start(self, channel: ChannelMeta) -> int | float | None:
        """The start index for ``channel``, given in the units asked for, in the channel's."""
        shown = self.channels[channel.id]
        start = wire_index(self.start_index, shown, "start")
        if isinstance(start, float) and shown.index_uom != channel.index_uom:
            return witsml_units.convert(start, shown.index_uom, channel.index_uom)
        return start

    async def _unsubscribe_all(self, client: ChannelClient) -> None:
        if self.channels and not client.closed:
            ids = {str(i): i for i in self.channels}
            await client.request(sub_msg.UnsubscribeChannels(channel_ids=ids))

    def _finish(self, reason: str) -> None:
        self._ended = True
        self.reason = self.reason or reason
        if self._handler is not None:
            self._handler.unroute(self)

    async def unsubscribe(self) -> None:
        """End the subscription (UnsubscribeChannels; what is buffered is dropped).
        Idempotent."""
        if self._ended:
            return
        self._finish("unsubscribed")
        if self._started and not self._client.closed:
            await _quietly(self._unsubscribe_all(self._client))
        for owned in self._owned:
            await _quietly(owned.close())
        self._owned.clear()

    async def _enter(self) -> ChannelSubscription:
        return await self.start()

    async def _leave(self) -> None:
        await self.unsubscribe()


async def _quietly(work: Any) -> None:
    """Await ``work``, ignoring what a dying session or a refusal raises (best effort)."""
    with contextlib.suppress(EtpError, TimeoutError):
        await work


def _is_container(uri: str) -> bool:
    try:
        return DataObjectUri.parse(uri).object_type in ("ChannelSet", "Log")
    except ProtocolError:
        return False  # the store says what is wrong with it


def _contained_channels(uri: str, xml: bytes) -> list[str]:
    """The URIs of the Channels in the XML of the ChannelSet or Log ``uri``, in document order
    (its ``Channel`` elements with a uuid, in the same dataspace and schema version)."""
    container = DataObjectUri.parse(uri)
    qualified_type = f"{container.domain}{container.domain_version}.Channel"
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError:
        return []
    found = []
    for element in root.iter("{*}Channel"):
        with contextlib.suppress(ProtocolError):  # no uuid, or not one
            uuid_ = element.get("uuid", "")
            found.append(
                str(DataObjectUri.build(qualified_type, uuid_, dataspace=container.dataspace))
            )
    return found


def _merged(
    changes: Sequence[wire.ChangeAnnotation], last: int | float, increasing: bool
) -> list[tuple[int | float, int | float, int]]:
    """Changed intervals as (low, high, latest change time), overlapping ones merged, cut at
    ``last`` (the points after it come as new data; an interval from ``last`` on, such as a
    truncation to it, changed nothing before)."""
    spans: list[tuple[int | float, int | float, int]] = []
    for a in changes:
        start, end = a.interval.start_index, a.interval.end_index
        if not isinstance(start, int | float) or not isinstance(end, int | float):
            continue
        if start == last and end != last:
            continue
        low, high = min(start, end), max(start, end)
        if increasing:
            high = min(high, last)
        else:
            low = max(low, last)
        if low <= high:
            spans.append((low, high, a.change_time))
    spans.sort()
    out: list[tuple[int | float, int | float, int]] = []
    for low, high, when in spans:
        if out and low <= out[-1][1]:
            top_low, top_high, top_when = out[-1]
            out[-1] = (top_low, max(top_high, high), max(top_when, when))
        else:
            out.append((low, high, when))
    return out


class ChannelStream(AsyncSubscription):
    """ChannelStreaming as the consumer (made by :meth:`ChannelClient.stream`): an async
    iterator of :class:`ChannelBatch` and :class:`Truncated` from StartStreaming on; ``async
    with`` (or :meth:`stop`) sends StopStreaming. ``channels`` (by id) once started. When the
    reader falls behind its buffer, or the producer stops streaming (a ProtocolException such
    as EBACKPRESSURE_LIMIT_EXCEEDED: the reader was too slow for it), the iteration raises
    :class:`~etp.errors.SubscriptionStopped` saying why, once what was received has been read.
    """

    def __init__(self, client: ChannelClient, units: Mapping[str, str] | None, buffer: int) -> None:
        self.channels: dict[int, ChannelMeta] = {}
        self.reason: str | None = None
        self._client = client
        self._units = Units(units or {})
        self._original: dict[int, ChannelMeta] = {}
        self._inbox = _Inbox(buffer)
        self._metadata: asyncio.Future[stream_msg.ChannelMetadata] | None = None
        self._handler: ChannelStreamingConsumer | None = None
        self._started = False
        self._ended = False

    def on_data(self, data: Sequence[DataItem]) -> None:
        if not self._inbox.data(data):
            self._client._conn.start_task(
                _quietly(self._client.send(stream_msg.StopStreaming())), name="etp-stop-behind"
            )

    def on_message(self, message: Message) -> None:
        if isinstance(message, stream_msg.ChannelMetadata):
            if self._metadata is not None and not self._metadata.done():
                self._metadata.set_result(message)
            self._set_channels(message)
            return
        self._inbox.put("message", message)

    def on_session_end(self) -> None:
        self._inbox.put("lost", None)

    def on_error(self, error: ProtocolError) -> None:
        self._inbox.put("error", error)

    def _set_channels(self, message: stream_msg.ChannelMetadata) -> None:
        metas = {r.id: ChannelMeta.from_record(r) for r in message.channels}
        if self._units:
            self._units.check(metas.values())
        self._original = metas
        self.channels = {i: self._units.channel(m) for i, m in metas.items()}

    async def start(self) -> ChannelStream:
        """StartStreaming now (iteration does it otherwise); waits for the ChannelMetadata."""
        if self._started:
            return self
        self._started = True
        client = self._client
        handler = ChannelStreamingConsumer.of(client._conn)
        if handler is None:
            raise SessionError(
                "ChannelStreaming (1) with the server as producer is not available in this "
                "session: the server did not grant it"
            )
        if handler.receiver is not None:
            raise SessionError("this session is already streaming (one stream per session)")
        handler.receiver = self
        self._handler = handler
        self._metadata = asyncio.get_running_loop().create_future()
        # The metadata answers StartStreaming, or comes on its own (correlationId 0).
        asking = asyncio.ensure_future(client.request(stream_msg.StartStreaming()))
        waiting: set[asyncio.Future[Any]] = {asking, self._metadata}
        done, _ = await asyncio.wait(waiting, return_when="FIRST_COMPLETED")
        if asking in done:
            message = asking.result().message
            if not isinstance(message, stream_msg.ChannelMetadata):
                raise ProtocolError(
                    ErrorCode.EINVALID_MESSAGETYPE,
                    f"StartStreaming answered with {type(message).__name__}",
                )
            self._set_channels(message)
        else:
            asking.cancel()
        return self

    async def __anext__(self) -> Item:
        await self.start()
        while True:
            if self._ended:
                raise StopAsyncIteration
            kind, payload = await self._inbox.get()
            if kind == "data":
                batch = ChannelBatch.of(payload, self.channels)
                if len(batch):
                    return self._units.apply(batch, self._original) if self._units else batch
            elif kind == "message" and isinstance(payload, stream_msg.TruncateChannels):
                for info in payload.channels:
                    meta = self.channels.get(info.channel_id)
                    if meta is not None:
                        end = info.new_end_index
                        return Truncated(meta, end if isinstance(end, int | float) else None, None)
            elif kind == "overflow":
                self._finish("the reader fell behind: streaming stopped")
                raise SubscriptionStopped(self.reason or "", [])
            elif kind == "error":
                self._finish(f"the producer stopped streaming: {payload}")
                raise SubscriptionStopped(self.reason or "", [])
            elif kind == "lost":
                self._finish("the connection was lost")
                raise ConnectionClosed(self.reason or "")

    def _finish(self, reason: str) -> None:
        self._ended = True
        self.reason = self.reason or reason
        if self._handler is not None and self._handler.receiver is self:
            self._handler.receiver = None

    async def stop(self) -> None:
        """StopStreaming (what is buffered is dropped). Idempotent."""
        if self._ended:
            return
        self._finish("stopped")
        if self._started and not self._client.closed:
            await _quietly(self._client.send(stream_msg.StopStreaming()))

    async def _enter(self) -> ChannelStream:
        return await self.start()

    async def _leave(self) -> None:
        await self.stop()


# --- the client methods ---------------------------------------------------------------------------


class ChannelClient(ClientMixin):
    """The channel-protocol methods of :class:`etp.Client` (a mixin; see the module docs)."""

    if TYPE_CHECKING:

        async def send(self, message: Message, *parts: Message) -> int: ...

        async def close(self, reason: str = "") -> None: ...

        async def reconnect(self) -> Client: ...

        async def get_data_objects_xml(self, uris: Iterable[str]) -> dict[str, bytes]: ...

    async def channels(self, uris: Channels) -> list[ChannelMeta]:
        """The metadata of channels (GetChannelMetadata): a ChannelSet or Log URI gives all its
        channels, in document order. Raises ProtocolErrors naming the URIs the store refused
        (``results``: the channels found)."""
        wanted, errors = await self._channel_uris(_uris(uris))
        keys = {str(i): uri for i, uri in enumerate(wanted)}
        metas: list[ChannelMeta] = []
        error = None
        if keys:
            response = await self.request(sub_msg.GetChannelMetadata(uris=keys))
            found = response.map()
            metas = [ChannelMeta.from_record(found[k]) for k in keys if k in found]
            errors.update({keys.get(k, k): e for k, e in response.errors.items()})
            error = response.error
        if errors or error is not None:
            raise ProtocolErrors("GetChannelMetadata", errors, metas, error=error)
        return metas

    async def _channel_uris(self, uris: list[str]) -> tuple[list[str], dict[str, ProtocolError]]:
        """The Channel URIs ``uris`` name (a ChannelSet's or Log's in document order, read from
        its XML), and an error per ChannelSet or Log that cannot be read or holds none."""
        containers = [uri for uri in uris if _is_container(uri)]
        documents: dict[str, bytes] = {}
        errors: dict[str, ProtocolError] = {}
        if containers:
            try:
                documents = await self.get_data_objects_xml(containers)
            except ProtocolErrors as e:
                if e.error is not None:
                    raise
                documents = dict(e.results) if isinstance(e.results, dict) else {}
                errors.update(e.errors)
            except SessionError as e:
                raise SessionError(
                    f"the channels of a ChannelSet or Log are read from its XML, which needs "
                    f"Store (4): {e}; or name its Channel URIs"
                ) from None
        wanted: list[str] = []
        for uri in uris:
            if uri not in containers:
                wanted.append(uri)
            elif uri in documents:
                found = _contained_channels(uri, documents[uri])
                wanted += found
                if not found:
                    errors[uri] = ProtocolError(
                        ErrorCode.ENOT_FOUND, f"{uri} contains no Channel", key=uri
                    )
        return list(dict.fromkeys(wanted)), errors

    def subscribe(
        self,
        channels: Channels,
        *,
        start: Index | None = None,
        latest: int | None = None,
        units: Mapping[str, str] | None = None,
        resume: bool = False,
        data_changes: bool = False,
        buffer: int = 1_000_000,
    ) -> ChannelSubscription:
        """Subscribe to channels (ChannelSubscribe): the latest ``latest`` points of each, or
        its points from ``start`` (an aware datetime or µs for time, a number for depth), or
        from now; then every new point. Iterate the returned subscription (see the module
        documentation for ``units``, ``resume`` and ``buffer``); ``data_changes`` also yields
        :class:`Replaced` and :class:`Truncated` events."""
        return ChannelSubscription(
            self,
            channels,
            start=start,
            latest=latest,
            units=units,
            resume=resume,
            data_changes=data_changes,
            buffer=buffer,
        )

    async def get_range(
        self,
        channels: Channels,
        start: Index | None = None,
        end: Index | None = None,
        *,
        units: Mapping[str, str] | None = None,
    ) -> ChannelBatch:
        """The points of channels with index in [``start``, ``end``] (inclusive, either order;
        None: open) (GetRanges). Raises ProtocolErrors with the points read in ``results``
        when the store stops at its MaxRangeDataItemCount."""
        metas = await self.channels(channels)
        converter = Units(units or {})
        converter.check(metas)
        shown = {m.id: converter.channel(m) for m in metas}
        ranges = [  # in the units asked for: the store converts the interval
            (s, wire_index(start, s, "start"), wire_index(end, s, "end")) for s in shown.values()
        ]
        batch = await self._read_ranges(ranges, {m.id: m for m in metas})
        if not converter:
            return batch
        return converter.apply(
            ChannelBatch(shown, batch.channel_ids, batch.index, batch.values, batch.nulls),
            batch.channels,
        )

    async def _read_ranges(
        self,
        ranges: Sequence[tuple[ChannelMeta, int | float | None, int | float | None]],
        channels: Mapping[int, ChannelMeta],
    ) -> ChannelBatch:
        """GetRanges of (channel, start, end) triples, one ChannelRangeInfo each."""
        infos = [
            wire.ChannelRangeInfo(
                channel_ids=[m.id],
                interval=wire.IndexInterval(
                    start_index=start, end_index=end, uom=m.index_uom, depth_datum=m.depth_datum
                ),
            )
            for m, start, end in ranges
        ]
        response = await self.request(
            sub_msg.GetRanges(request_uuid=uuid.uuid4(), channel_ranges=infos)
        )
        batches = [
            ChannelBatch.of(m.data, channels)
            for m in response.messages
            if isinstance(m, sub_msg.GetRangesResponse) and len(m.data)
        ]
        batch = ChannelBatch.concat(batches) if batches else ChannelBatch.empty(channels)
        if response.errors or response.error is not None:
            raise ProtocolErrors("GetRanges", dict(response.errors), batch, error=response.error)
        return batch

    async def load(self, channels: Channels) -> ChannelLoader:
        """Open channels for loading (ChannelDataLoad OpenChannels; the Channel objects must be
        in the store). Raises ProtocolErrors naming the URIs refused (nothing stays open)."""
        handler = ChannelDataLoadCustomer.of(self._conn)
        if handler is None:
            raise SessionError(
                "ChannelDataLoad (22) is not available in this session: the server did not "
                "grant it, or the client was connected without its customer handler"
            )
        wanted, errors = await self._channel_uris(_uris(channels))
        keys = {str(i): uri for i, uri in enumerate(wanted)}
        metas: list[ChannelMeta] = []
        error = None
        if keys:
            response = await self.request(load_msg.OpenChannels(uris=keys))
            opened = response.map()
            metas = [ChannelMeta.from_record(opened[k].metadata) for k in keys if k in opened]
            errors.update({keys.get(k, k): e for k, e in response.errors.items()})
            error = response.error
        if errors or error is not None:
            if metas:
                ids = {m.uri: m.id for m in metas}
                await _quietly(self.request(load_msg.CloseChannels(id=ids)))
            raise ProtocolErrors("OpenChannels", errors, metas, error=error)
        loader = ChannelLoader(self, metas)
        handler.loaders.append(loader)
        return loader

    def stream(
        self, *, units: Mapping[str, str] | None = None, buffer: int = 1_000_000
    ) -> ChannelStream:
        """Consume the server's ChannelStreaming: iterate the returned stream (it sends
        StartStreaming on first use; ``stream.channels`` then lists what it streams)."""
        return ChannelStream(self, units, buffer)


# --- the blocking twins ---------------------------------------------------------------------------


class _SyncIterator(SyncIterator[Any]):
    """A blocking iterator over an async one; each wait bounded by ``timeout`` (iteration
    stops when nothing arrives in time); ``with`` starts it first."""

    _source: Any

    def __enter__(self) -> Any:
        self._runner.call(self._source.__aenter__())
        return self


class SyncChannelSubscription(_SyncIterator):
    """A blocking :class:`ChannelSubscription`: iterate for batches; ``with`` unsubscribes."""

    def unsubscribe(self) -> None:
        """End the subscription."""
        self._runner.call(self._source.unsubscribe())


class SyncChannelStream(_SyncIterator):
    """A blocking :class:`ChannelStream`: iterate for batches; ``with`` stops streaming."""

    def stop(self) -> None:
        """StopStreaming."""
        self._runner.call(self._source.stop())


class SyncChannelClient:
    """The blocking twins of :class:`ChannelClient`'s methods (a mixin of
    :class:`etp.SyncClient`)."""

    if TYPE_CHECKING:
        _client: Client
        _runner: LoopThread

    def channels(self, uris: Channels) -> list[ChannelMeta]:
        """See :meth:`ChannelClient.channels`."""
        return self._runner.call(self._client.channels(_uris(uris)))

    def subscribe(
        self, channels: Channels, *, timeout: float | None = None, **options: Any
    ) -> SyncChannelSubscription:
        """See :meth:`ChannelClient.subscribe` (same keyword options); ``timeout`` bounds each
        wait for a batch when iterating."""
        subscription = self._client.subscribe(_uris(channels), **options)
        return SyncChannelSubscription(subscription, self._runner, timeout)

    def get_range(
        self,
        channels: Channels,
        start: Index | None = None,
        end: Index | None = None,
        **options: Any,
    ) -> ChannelBatch:
        """See :meth:`ChannelClient.get_range`."""
        return self._runner.call(self._client.get_range(_uris(channels), start, end, **options))

    def load(self, channels: Channels) -> SyncChannelLoader:
        """See :meth:`ChannelClient.load`."""
        return SyncChannelLoader(
            self._runner.call(self._client.load(_uris(channels))), self._runner
        )

    def stream(self, *, timeout: float | None = None, **options: Any) -> SyncChannelStream:
        """See :meth:`ChannelClient.stream`; ``timeout`` bounds each wait when iterating."""
        return SyncChannelStream(self._client.stream(**options), self._runner, timeout)
