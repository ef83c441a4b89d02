"""ChannelDataLoad (protocol 22): a customer (a rig aggregator, ``etp load``) feeds the store.

Store role (:class:`ChannelDataLoadHandler`):

* OpenChannels: per key the channel's metadata with its session id and current index range
  (a ChannelSet or Log URI opens all its channels, under ``<key>/0``, ``<key>/1``...);
  EREQUEST_DENIED for a dataspace the session may not write, ENOT_FOUND, EINVALID_URI. The
  Channel objects must exist (put with Store). An empty OpenChannels is answered at once: since
  the session's messages are handled in order, its answer means every ChannelData sent before
  it was stored (or refused), which is how a customer waits for its data to be durable.
* ChannelData appends to the open channels, one transaction per message (all or nothing across
  its channels). Up to :data:`IN_FLIGHT` of them wait for their commit while the next ones are
  read (so they share commits); any other request of the protocol first waits until they are
  committed, and so does the end of the session. A message that cannot be
  stored is refused whole with a ProtocolException correlated to it, naming the channel: its
  id and URI, the point that does not append (EINVALID_APPEND), an index of the other kind
  (EINVALID_INDEXKIND), a value of the wrong type (EINVALID_ARGUMENT), a channel not open in
  this session (EINVALID_CHANNELID). The session goes on.
* ReplaceRange (multipart: its parts are assembled first) replaces the points of its channels
  in the interval, atomically; TruncateChannels deletes per channel the points after a new end
  index; CloseChannels is answered with ChannelsClosed. The changes reach every subscriber
  (RangeReplaced, ChannelsTruncated).
* When the session ends (a producer disconnecting mid-stream), its open channels are closed:
  they become inactive; subscribers keep their subscriptions.
* A channel deleted while open (its Channel object deleted, alone, with its ChannelSet or Log,
  or with its dataspace) is closed by the store: an unsolicited ChannelsClosed names it and
  says why; further ChannelData for it are EINVALID_CHANNELID.

Customer role (:class:`ChannelDataLoadCustomer`): collects the store's refusals of our
ChannelData and its unsolicited ChannelsClosed for :mod:`etp.client_channels`.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import weakref
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from etp.errors import ErrorCode, ProtocolError, SessionError, StoreError
from etp.messages import channel_data_load as msg
from etp.messages import datatypes as wire
from etp.messages.datatypes import DataItem, MessageFlags, MessageHeader
from etp.protocols import (
    MapResponse,
    NotTaken,
    ProtocolHandler,
    Reply,
    Request,
    SessionContext,
)
from etp.protocols.channel_backend import (
    ChannelLimits,
    SessionChannel,
    SessionChannels,
    index_bound,
    metadata_record,
    open_channels,
    points_by_id,
)
from etp.protocols.store_backend import StoreBackend, can_write, denied, keyed
from etp.store.channel_feed import ChannelFeed
from etp.store.channels import Deleted, Points

__all__ = ["IN_FLIGHT", "ChannelDataLoadCustomer", "ChannelDataLoadHandler", "LoadReceiver"]

IN_FLIGHT = 4
"""ChannelData messages of one session that may wait for their commit at once (measured in
benchmarks/bench_w3_stream.py: awaiting each commit before reading the next message held a
24-channel load to 1.6 M points/s, 4 in flight share commits)."""


@dataclasses.dataclass
class _Replace:
    """A ReplaceRange being assembled from its parts."""

    first: msg.ReplaceRange
    points: dict[int, list[Points]] = dataclasses.field(default_factory=dict)
    problem: ProtocolError | None = None


class ChannelDataLoadHandler(ProtocolHandler):
    """ChannelDataLoad (22) as the store."""

    PROTOCOL = 22
    ROLE = "store"

    def __init__(
        self, session: SessionContext, backend: StoreBackend, limits: ChannelLimits | None = None
    ) -> None:
        super().__init__(session)
        self.backend = backend
        self.channels = SessionChannels.of(session)
        self.open: dict[int, SessionChannel] = {}
        """The channels this session opened, by id."""
        self._replacing: dict[int, _Replace] = {}
        self._storing: collections.deque[asyncio.Task[None]] = collections.deque()
        self._deletions: ChannelFeed | None = None
        """The deletions of the open channels."""

    async def handle(self, request: Request) -> Reply:
        message = request.message
        if not isinstance(message, msg.ChannelData):
            await self._stored()
        match message:
            case msg.OpenChannels(uris=uris):
                return await self._open(uris)
            case msg.ChannelData(data=data):
                await self._append(data, request.header)
                return None
            case msg.ReplaceRange():
                return await self._replace_part(request.header, message)
            case msg.TruncateChannels(channels=channels):
                return await self._truncate(channels)
            case msg.CloseChannels(id=ids):
                return await self._close(ids)
        return await super().handle(request)

    async def close(self) -> None:
        if self._deletions is not None:
            self._deletions.close()
        await self._stored()
        keys = [channel.key for channel in self.open.values()]
        self.open.clear()
        if keys:
            await self.backend.store.channels.close(keys)

    # --- requests ------------------------------------------------------------------------------

    async def _open(self, uris: Mapping[str, str]) -> Reply:
        found, errors = await open_channels(self.backend.store, self.session, uris, write=True)
        opened: dict[str, wire.OpenChannelInfo] = {}
        for key, channel in found.items():
            self.open[channel.id] = channel
            opened[key] = wire.OpenChannelInfo(metadata=metadata_record(channel))
        if found:
            self._watch([channel.key for channel in found.values()])
        if errors and not opened:
            return MapResponse(None, errors)
        return MapResponse(msg.OpenChannelsResponse(channels=opened), errors)

    def _watch(self, keys: list[int]) -> None:
        """Be told when one of these open channels is deleted."""
        if self._deletions is None:
            self._deletions = self.backend.store.channels.subscribe(data=False)
            self.session.start_task(
                self._closed_by_store(self._deletions), name="etp-channel-deletions"
            )
        self._deletions.add(keys)

    async def _closed_by_store(self, deletions: ChannelFeed) -> None:
        """Close the open channels that are deleted, telling the customer (ChannelsClosed)."""
        try:
            async for event in deletions:
                if not isinstance(event, Deleted):
                    continue
                gone = {str(c.id): c.id for c in self.open.values() if c.key == event.key}
                for channel_id in gone.values():
                    del self.open[channel_id]
                if gone:
                    reason = f"channel {event.uri} was deleted"
                    await self.session.send(msg.ChannelsClosed(reason=reason, id=gone))
        except (SessionError, StoreError):  # the session ended; the store closed
            return

    def _writable(self, channel_id: int, what: str) -> SessionChannel:
        channel = self.open.get(channel_id)
        if channel is None:
            self.channels.get(channel_id)  # EINVALID_CHANNELID for an id never given
            raise ProtocolError(
                ErrorCode.EINVALID_CHANNELID,
                f"{what}: channel id {channel_id} is not open in this session (OpenChannels)",
            )
        if not can_write(self.session.identity, channel.dataspace):
            raise denied("write", channel.dataspace)
        return channel

    async def _append(self, data: Sequence[DataItem], header: MessageHeader) -> None:
        by_id = points_by_id(data)
        what = f"ChannelData (message {header.message_id})"
        points = {self._writable(i, what).key: p for i, p in by_id.items()}
        if not points:
            return
        while len(self._storing) >= IN_FLIGHT:
            await self._oldest_stored()
        task = asyncio.get_running_loop().create_task(
            self._store(points, header, what), name="etp-channel-append"
        )
        self._storing.append(task)

    async def _store(self, points: dict[int, Points], header: MessageHeader, what: str) -> None:
        """Append, and refuse the message if the store does (never raises)."""
        try:
            await self.backend.store.channels.append(points)
        except ProtocolError as e:
            self.session.refuse(header, self._named(e, what))
        except Exception as e:  # as the transport answers a handler's unexpected failure
            self.session.log.exception("failed to store %s", what)
            text = f"internal error storing {what}: {type(e).__name__}"
            self.session.refuse(header, ProtocolError(ErrorCode.EREQUEST_DENIED, text))

    async def _stored(self) -> None:
        """Wait until every ChannelData handled so far is committed or refused."""
        while self._storing:
            await self._oldest_stored()

    async def _oldest_stored(self) -> None:
        # asyncio.wait: a cancelled waiter (the session ending) leaves the append running,
        # for close() to wait for
        oldest = self._storing[0]
        await asyncio.wait([oldest])
        if self._storing and self._storing[0] is oldest:
            self._storing.popleft()

    def _named(self, error: ProtocolError, what: str) -> ProtocolError:
        """A store error about a channel (``key`` = its URI), naming the session's id too."""
        ids = [c.id for c in self.open.values() if c.info.uri == error.key]
        channel = f" (channel id {ids[0]})" if ids else ""
        return ProtocolError(error.code, f"{what}{channel}: {error.message}")

    async def _replace_part(self, header: MessageHeader, part: msg.ReplaceRange) -> Reply:
        first = header.correlation_id or header.message_id
        assembling = self._replacing.get(first)
        if assembling is None:
            assembling = self._replacing[first] = _Replace(part)
        if assembling.problem is None:
            try:
                for channel_id, points in points_by_id(part.data).items():
                    assembling.points.setdefault(channel_id, []).append(points)
            except ProtocolError as e:
                assembling.problem = e
        if not header.message_flags & MessageFlags.FIN:
            return None
        del self._replacing[first]
        if assembling.problem is not None:
            raise assembling.problem
        return await self._replace(assembling)

    async def _replace(self, assembling: _Replace) -> Reply:
        request = assembling.first
        interval = request.changed_interval
        what = "ReplaceRange"
        channels = [self._writable(i, what) for i in request.channel_ids]
        if not channels:
            raise ProtocolError(ErrorCode.EINVALID_ARGUMENT, f"{what} names no channel")
        stray = set(assembling.points) - set(request.channel_ids)
        if stray:
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"{what}: data for channel ids {sorted(stray)}, not in channelIds",
            )
        bounds = {
            (
                index_bound(c, interval.start_index, interval.uom, f"{what} start"),
                index_bound(c, interval.end_index, interval.uom, f"{what} end"),
            )
            for c in channels
        }
        if len(bounds) != 1:
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"{what}: the interval means different things for these channels (their index "
                f"kinds or units differ): {interval}",
            )
        [(start, end)] = bounds
        if start is None or end is None:
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT, f"{what}: an end of {interval} is null"
            )
        points = {c.key: _joined(assembling.points.get(c.id), c) for c in channels}
        try:
            time = await self.backend.store.channels.replace_range(start, end, points)
        except ProtocolError as e:
            raise self._named(e, what) from None
        return msg.ReplaceRangeResponse(channel_change_time=time)

    async def _truncate(self, wanted: Mapping[str, wire.TruncateInfo]) -> Reply:
        done: dict[str, int] = {}
        errors: dict[str, ProtocolError] = {}
        for key, info in wanted.items():
            try:
                with keyed(key):
                    channel = self._writable(info.channel_id, "TruncateChannels")
                    end = index_bound(channel, info.new_end_index, "", "newEndIndex")
                    if end is None:
                        raise ProtocolError(ErrorCode.EINVALID_ARGUMENT, "newEndIndex is null")
                    try:
                        done[key] = await self.backend.store.channels.truncate({channel.key: end})
                    except ProtocolError as e:
                        raise self._named(e, "TruncateChannels") from None
            except ProtocolError as e:
                errors[key] = e
        return MapResponse(
            msg.TruncateChannelsResponse(channels_truncated_time=done) if done else None, errors
        )

    async def _close(self, ids: Mapping[str, int]) -> Reply:
        closed: dict[str, int] = {}
        errors: dict[str, ProtocolError] = {}
        for key, channel_id in ids.items():
            channel = self.open.pop(channel_id, None)
            if channel is None:
                errors[key] = ProtocolError(
                    ErrorCode.EINVALID_CHANNELID,
                    f"channel id {channel_id} is not open in this session",
                    key=key,
                )
                continue
            closed[key] = channel_id
            if self._deletions is not None:
                self._deletions.remove([channel.key])
            await self.backend.store.channels.close([channel.key])
        return MapResponse(
            msg.ChannelsClosed(reason="closed by the customer", id=closed) if closed else None,
            errors,
        )


def _joined(parts: list[Points] | None, channel: SessionChannel) -> Points:
    """One channel's points of a ReplaceRange (none: delete only)."""
    if not parts:
        d = channel.info.definition
        return Points(np.empty(0, np.int64 if d.is_time else np.float64), np.empty(0))
    if len(parts) == 1:
        return parts[0]
    nulls = None
    if any(p.nulls is not None for p in parts):
        nulls = np.concatenate(
            [p.nulls if p.nulls is not None else np.zeros(len(p), bool) for p in parts]
        )
    return Points(
        np.concatenate([p.indexes for p in parts]), np.concatenate([p.values for p in parts]), nulls
    )


# --- customer role ------------------------------------------------------------------------------


class LoadReceiver(Protocol):
    """What a customer-side loader gets from :class:`ChannelDataLoadCustomer`."""

    def on_refused(self, message_id: int, error: ProtocolError) -> None:
        """The store refused our message ``message_id`` (a ChannelData)."""

    def on_closed(self, reason: str, channel_ids: list[int]) -> None:
        """The store closed these channels on its own."""


_CUSTOMERS: weakref.WeakKeyDictionary[SessionContext, ChannelDataLoadCustomer] = (
    weakref.WeakKeyDictionary()
)


class ChannelDataLoadCustomer(ProtocolHandler):
    """ChannelDataLoad (22) as the customer: refusals and unsolicited ChannelsClosed, routed to
    the loaders of this session."""

    PROTOCOL = 22
    ROLE = "customer"

    def __init__(self, session: SessionContext) -> None:
        super().__init__(session)
        self.loaders: list[LoadReceiver] = []
        _CUSTOMERS[session] = self

    @staticmethod
    def of(session: SessionContext) -> ChannelDataLoadCustomer | None:
        """The customer handler of ``session``, if protocol 22 was granted with one."""
        return _CUSTOMERS.get(session)

    async def handle(self, request: Request) -> Reply:
        message = request.message
        if isinstance(message, msg.ChannelsClosed):
            if not self.loaders:
                raise NotTaken
            for loader in self.loaders:
                loader.on_closed(message.reason, list(message.id.values()))
            return None
        return await super().handle(request)

    def error_received(self, header: MessageHeader, error: ProtocolError) -> None:
        for loader in self.loaders:
            loader.on_refused(header.correlation_id, error)
