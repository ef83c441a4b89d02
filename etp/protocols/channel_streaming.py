"""ChannelStreaming (protocol 1): the simple streamer, a producer pushing all it has.

Producer role (:class:`ChannelStreamingProducer`), played by the store server:

* StartStreaming is answered with ChannelMetadata (correlated to it, as etpproto and the DevKit
  do) listing the streamed channels with their session ids: the ``channels`` the server was
  given (Channel, ChannelSet or Log URIs: those of the session's readable dataspaces), else
  every channel of every dataspace the session may read, at most
  MaxStreamingChannelsSessionCount, in URI order (configured ones in the order given, a
  ChannelSet's or Log's in document order). Then every point appended to them from now on goes
  as ChannelData (correlationId 0, coalesced like ChannelSubscribe's), and a truncation as
  TruncateChannels. Replaced ranges are not streamed (the protocol has no message for them: use
  ChannelSubscribe). A deleted channel is no longer streamed (the protocol has no message to
  say so).
* StopStreaming stops it (no answer); StartStreaming while streaming, or StopStreaming while
  not, is EINVALID_STATE.
* A consumer that does not read fast enough falls behind within the store feed's bound, then
  gets a ProtocolException EBACKPRESSURE_LIMIT_EXCEEDED on protocol 1 (correlationId 0, so
  that its ChannelStreaming handler sees it) and its streaming stops: start again to resume
  from now.

Consumer role (:class:`ChannelStreamingConsumer`): hands the producer's ChannelMetadata,
ChannelData and TruncateChannels to the session's stream (:mod:`etp.client_channels`), and the
producer's ProtocolExceptions about no message (its streaming stopped) to
:meth:`StreamReceiver.on_error`.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import ClassVar, Protocol

from etp.errors import ErrorCode, ProtocolError, SessionError, StoreError
from etp.messages import channel_streaming as msg
from etp.messages import datatypes as wire
from etp.messages.datatypes import MessageHeader, ProtocolCapabilityKind
from etp.protocols import NotTaken, ProtocolHandler, Reply, Request, SessionContext
from etp.protocols.channel_backend import (
    ChannelLimits,
    SessionChannel,
    SessionChannels,
    index_value,
    item_arrays,
    metadata_record,
    open_channels,
)
from etp.protocols.channel_subscribe import ChannelReceiver
from etp.protocols.store_backend import StoreBackend, can_read
from etp.store import ResourceQuery
from etp.store.channel_feed import ChannelFeed
from etp.store.channels import Appended, ChannelEvent, Deleted, Points, Truncated
from etp.uri import DataObjectUri

__all__ = ["ChannelStreamingConsumer", "ChannelStreamingProducer", "StreamReceiver"]

_CHANNEL_TYPES = ("witsml20.Channel", "witsml21.Channel")


class ChannelStreamingProducer(ProtocolHandler):
    """ChannelStreaming (1) as the producer, streaming the store's channels."""

    PROTOCOL = 1
    ROLE = "producer"
    LIMITS: ClassVar[tuple[ProtocolCapabilityKind, ...]] = (
        ProtocolCapabilityKind.MAX_STREAMING_CHANNELS_SESSION_COUNT,
    )

    def __init__(
        self,
        session: SessionContext,
        backend: StoreBackend,
        limits: ChannelLimits | None = None,
        channels: Sequence[str] = (),
    ) -> None:
        """``channels``: the URIs (Channel, ChannelSet, Log) to stream; none: all readable."""
        super().__init__(session)
        self.backend = backend
        self.limits = limits or ChannelLimits()
        self.configured = tuple(channels)
        self.streamed: dict[int, SessionChannel] = {}
        """By channel key."""
        self._feed: ChannelFeed | None = None

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.StartStreaming():
                if self._feed is not None:
                    raise ProtocolError(ErrorCode.EINVALID_STATE, "already streaming")
                channels = await self._channels()
                self.streamed = {c.key: c for c in channels}
                self._feed = self.backend.store.channels.subscribe(
                    self.streamed, max_pending=self.limits.max_pending
                )
                self.session.start_task(self._follow(self._feed), name="etp-channel-streaming")
                return msg.ChannelMetadata(channels=[metadata_record(c) for c in channels])
            case msg.StopStreaming():
                if self._feed is None:
                    raise ProtocolError(ErrorCode.EINVALID_STATE, "not streaming")
                self._stop()
                return None
        return await super().handle(request)

    async def close(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None
        self.streamed = {}

    async def _channels(self) -> list[SessionChannel]:
        """The channels to stream, at most MaxStreamingChannelsSessionCount."""
        store, limit = self.backend.store, self.limits.max_streaming_channels
        if self.configured:
            channels = await self._configured()
        else:
            uris: dict[str, str] = {}
            for space in await store.get_dataspaces():
                if not can_read(self.session.identity, space.uri):
                    continue
                page = await store.get_resources(
                    ResourceQuery(space.uri, data_object_types=_CHANNEL_TYPES, limit=limit)
                )
                uris.update((r.uri, r.uri) for r in page.resources)
            found, _ = await open_channels(store, self.session, uris)
            channels = sorted(found.values(), key=lambda c: c.info.uri)
        unique = list({c.key: c for c in channels}.values())
        if len(unique) > limit:
            self.session.log.warning(
                "streaming the first %d of %d channels (MaxStreamingChannelsSessionCount)",
                limit,
                len(unique),
            )
        return unique[:limit]

    async def _configured(self) -> list[SessionChannel]:
        """The configured channels the session may read (a ChannelSet's or Log's all)."""
        readable = []
        for uri in self.configured:
            try:
                dataspace = str(DataObjectUri.parse(uri).dataspace_uri)
            except ProtocolError as e:
                self.session.log.warning("not streamed: %s", e)
                continue
            if can_read(self.session.identity, dataspace):
                readable.append(uri)
        opened = await self.backend.store.channels.open(readable)
        for uri, error in opened.errors.items():
            self.session.log.warning("not streamed: %s: %s", uri, error)
        registry = SessionChannels.of(self.session)
        return [registry.add(info) for infos in opened.found.values() for info in infos]

    async def _follow(self, feed: ChannelFeed) -> None:
        try:
            async for event in feed:
                await self._send([event, *feed.take_ready()])
        except StoreError as e:
            if feed is not self._feed:
                return
            self._stop()
            text = f"streaming stopped: the consumer does not read fast enough ({e})"
            self.session.log.warning("%s", text)
            error = ProtocolError(ErrorCode.EBACKPRESSURE_LIMIT_EXCEEDED, text)
            try:
                await self.session.send_error(error, protocol=self.PROTOCOL)
            except SessionError:
                return
        except SessionError:
            self._stop()

    async def _send(self, events: list[ChannelEvent]) -> None:
        appends: list[tuple[int, Points]] = []
        budget = self.limits.message_budget(self.session)
        for event in events:
            channel = self.streamed.get(event.key)
            if channel is None:
                continue
            if isinstance(event, Deleted):
                del self.streamed[event.key]
            elif isinstance(event, Appended):
                appends.append((channel.id, event.points))
            elif isinstance(event, Truncated):
                for items in item_arrays(appends, budget):
                    await self.session.send(msg.ChannelData(data=items))
                appends = []
                info = wire.TruncateInfo(
                    channel_id=channel.id, new_end_index=index_value(event.new_end)
                )
                await self.session.send(msg.TruncateChannels(channels=[info]))
        for items in item_arrays(appends, budget):
            await self.session.send(msg.ChannelData(data=items))


# --- consumer role ------------------------------------------------------------------------------


class StreamReceiver(ChannelReceiver, Protocol):
    """What a consumer-side stream gets from :class:`ChannelStreamingConsumer`."""

    def on_error(self, error: ProtocolError) -> None:
        """A ProtocolException of the producer about no message: its streaming stopped."""


_CONSUMERS: weakref.WeakKeyDictionary[SessionContext, ChannelStreamingConsumer] = (
    weakref.WeakKeyDictionary()
)


class ChannelStreamingConsumer(ProtocolHandler):
    """ChannelStreaming (1) as the consumer: the producer's messages, to the session's stream
    (to the client's ``notifications()`` when it has none)."""

    PROTOCOL = 1
    ROLE = "consumer"

    def __init__(self, session: SessionContext) -> None:
        super().__init__(session)
        self.receiver: StreamReceiver | None = None
        _CONSUMERS[session] = self

    @staticmethod
    def of(session: SessionContext) -> ChannelStreamingConsumer | None:
        """The consumer handler of ``session``, if protocol 1 was granted with one."""
        return _CONSUMERS.get(session)

    async def handle(self, request: Request) -> Reply:
        message = request.message
        receiver = self.receiver
        match message:
            case msg.ChannelData(data=data) if receiver is not None:
                receiver.on_data(data)
            case msg.ChannelMetadata() | msg.TruncateChannels() if receiver is not None:
                receiver.on_message(message)
            case msg.ChannelData() | msg.ChannelMetadata() | msg.TruncateChannels():
                raise NotTaken  # no stream of ours: to notifications()
            case _:
                return await super().handle(request)
        return None

    def take_now(self, request: Request) -> bool:
        message = request.message
        if type(message) is msg.ChannelData and self.receiver is not None:
            self.receiver.on_data(message.data)
            return True
        return False

    def error_received(self, header: MessageHeader, error: ProtocolError) -> None:
        if self.receiver is not None and header.correlation_id == 0:
            self.receiver.on_error(error)

    async def close(self) -> None:
        if self.receiver is not None:
            self.receiver.on_session_end()
