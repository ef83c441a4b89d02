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

* Channels are named by URI (Channel, or ChannelSet/Log for all their channels); the ids the
  store gives them belong to one session and are looked up again after a reconnection.
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
  exactly once, in channel order. (A channel none of whose points had been delivered yet
  resumes from its first point when it was empty as the subscription began, from ``start``
  if given; for a ``latest`` subscription, with its latest points again.)
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

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
from etp.session import Response
from witsml import units as witsml_units

if TYPE_CHECKING:
    from etp.capabilities import Negotiated
    from etp.client import Client
    from etp.sync import _LoopThread
    from etp.transport import Connection

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


class ChannelSubscription:
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
        self._front: collections.deque[ChannelBatch] = collections.deque()
        self._started = False
        self._ended = False
        self._handler: ChannelSubscribeCustomer | None = None
        self._first_ends: dict[str, int | float | None] | None = None
        """Each channel's end index when the subscription began."""

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

    def __aiter__(self) -> ChannelSubscription:
        return self

    async def __anext__(self) -> Item:
        await self.start()
        while True:
            if self._front:
                batch = self._deliverable(self._front.popleft())
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
            case sub_msg.RangeReplaced() if self.data_changes:
                return self._replaced(message)
            case sub_msg.ChannelsTruncated(channels=infos, change_time=when) if self.data_changes:
                for info in infos:
                    meta = self.channels.get(info.channel_id)
                    if meta is not None:
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
        first = self._first_ends is None
        if self._first_ends is None:
            self._first_ends = {m.uri: m.end for m in metas.values()}
            if self.start_index is None and not self.latest:  # from now: past the end then
                for m in metas.values():
                    if m.end is not None:
                        self._progress.last[m.uri] = m.end
        # Resumed: from now, and the gap (GetRanges) from the last index delivered, or from the
        # start of a channel that was empty when the subscription began.
        resumed = {
            i: m
            for i, m in metas.items()
            if not first
            and (
                m.uri in self._progress.last
                or (self.start_index is None and self._first_ends.get(m.uri) is None)
            )
        }
        infos = {
            str(i): wire.ChannelSubscribeInfo(
                channel_id=i,
                start_index=None if i in resumed else self._start(m),
                data_changes=self.data_changes,
                request_latest_index_count=None if i in resumed else self.latest,
            )
            for i, m in metas.items()
        }
        self._inbox.accept()
        response = await client.request(sub_msg.SubscribeChannels(channels=infos))
        if response.errors or response.error is not None:
            await _quietly(self._unsubscribe_all(client))
            handler.unroute(self)
            refused = {metas[int(k)].uri: e for k, e in response.errors.items() if k.isdigit()}
            raise ProtocolErrors("SubscribeChannels", refused, error=response.error)
        if resumed:  # what came between the last point delivered and the new subscription
            ends = {m.uri: m.end for m in await client.channels([m.uri for m in resumed.values()])}
            gaps = [
                (m, self._progress.last.get(m.uri), ends.get(m.uri))
                for m in resumed.values()
                if ends.get(m.uri) is not None
            ]
            if gaps:
                self._front.append(await client._read_ranges(gaps, self._original))

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

    async def __aenter__(self) -> ChannelSubscription:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.unsubscribe()


async def _quietly(work: Any) -> None:
    """Await ``work``, ignoring what a dying session or a refusal raises (best effort)."""
    with contextlib.suppress(EtpError, TimeoutError):
        await work


class ChannelStream:
    """ChannelStreaming as the consumer (made by :meth:`ChannelClient.stream`): an async
    iterator of :class:`ChannelBatch` and :class:`Truncated` from StartStreaming on; ``async
    with`` (or :meth:`stop`) sends StopStreaming. ``channels`` (by id) once started."""

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

    def __aiter__(self) -> ChannelStream:
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

    async def __aenter__(self) -> ChannelStream:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


# --- the client methods ---------------------------------------------------------------------------


class ChannelClient:
    """The channel-protocol methods of :class:`etp.Client` (a mixin; see the module docs)."""

    if TYPE_CHECKING:
        _conn: Connection

        @property
        def negotiated(self) -> Negotiated: ...

        @property
        def closed(self) -> bool: ...

        async def request(
            self, message: Message, *parts: Message, acknowledge: bool = False
        ) -> Response: ...

        async def send(self, message: Message, *parts: Message) -> int: ...

        async def close(self, reason: str = "") -> None: ...

        async def reconnect(self) -> Client: ...

    async def channels(self, uris: Channels) -> list[ChannelMeta]:
        """The metadata of channels (GetChannelMetadata): a ChannelSet or Log URI gives all its
        channels, in document order. Raises ProtocolErrors naming the URIs the store refused
        (``results``: the channels found)."""
        keys = {str(i): uri for i, uri in enumerate(_uris(uris))}
        response = await self.request(sub_msg.GetChannelMetadata(uris=keys))
        found = response.map()
        order = {key: n for n, key in enumerate(keys)}

        def position(key: str) -> tuple[int, int]:
            head, _, tail = key.partition("/")
            return order.get(head, len(order)), int(tail) if tail.isdigit() else -1

        metas = [ChannelMeta.from_record(found[k]) for k in sorted(found, key=position)]
        if response.errors or response.error is not None:
            errors = {keys.get(k, k): e for k, e in response.errors.items()}
            raise ProtocolErrors("GetChannelMetadata", errors, metas, error=response.error)
        return metas

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
        keys = {str(i): uri for i, uri in enumerate(_uris(channels))}
        response = await self.request(load_msg.OpenChannels(uris=keys))
        opened = response.map()
        metas = [ChannelMeta.from_record(info.metadata) for info in opened.values()]
        if response.errors or response.error is not None:
            if metas:
                ids = {m.uri: m.id for m in metas}
                await _quietly(self.request(load_msg.CloseChannels(id=ids)))
            errors = {keys.get(k, k): e for k, e in response.errors.items()}
            raise ProtocolErrors("OpenChannels", errors, metas, error=response.error)
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


class _SyncIterator:
    """A blocking iterator over an async one; each wait bounded by ``timeout`` (iteration
    stops when nothing arrives in time)."""

    def __init__(self, source: Any, runner: _LoopThread, timeout: float | None) -> None:
        self._source = source
        self._runner = runner
        self.timeout = timeout

    def __iter__(self) -> Iterator[Any]:
        async def next_item() -> Any:
            return await anext(self._source)

        while True:
            try:
                yield self._runner.call(next_item(), self.timeout)
            except (StopAsyncIteration, RequestTimeout):
                return

    def __enter__(self) -> Any:
        self._runner.call(self._source.__aenter__())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._runner.call(self._source.__aexit__(exc_type, exc, tb))


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
        _runner: _LoopThread

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
