"""ChannelSubscribe (protocol 21): a customer reads channel data from the store, live and past.

Store role (:class:`ChannelSubscribeHandler`):

* GetChannelMetadata: per key the ChannelMetadataRecord of its Channel with its session id,
  under the same key; a ChannelSet or Log URI is EINVALID_ARGUMENT (one channel per key, as
  peers expect: see :func:`~etp.protocols.channel_backend.open_channels`); EREQUEST_DENIED for
  a dataspace the session may not read.
* SubscribeChannels, per key: the latest ``requestLatestIndexCount`` points, or the points from
  ``startIndex`` (channel order), or nothing (from now), then every point appended, as
  ChannelData (correlationId 0). With ``dataChanges``, RangeReplaced and ChannelsTruncated when
  the data is replaced or truncated. Errors: EINVALID_CHANNELID, EINVALID_STATE (already
  subscribed), ELIMIT_EXCEEDED (MaxSubscriptionSessionCount), EINVALID_INDEXKIND (a start index
  of the other kind), EREQUEST_DENIED.
* Every point exactly once, in channel order: the session's store feed is subscribed before
  the first read, and feed events already in what was read (by the channel's ``seq``) are skipped.
  Appends waiting in the feed are coalesced into ChannelData messages of up to
  ``ChannelLimits.message_bytes``, one per index and value type.
* A customer that does not read fast enough never blocks the store or anyone else: sends wait
  for room in the session's bounded send queue while the store feed keeps at most
  ``ChannelLimits.max_pending`` points; past that every subscription of the session stops with
  an unsolicited SubscriptionsStopped saying why, and the customer resumes from its last index
  (:mod:`etp.client_channels` does, with ``resume=True``).
* UnsubscribeChannels is answered with SubscriptionsStopped (EINVALID_CHANNELID per unknown key).
  A session re-authorized without read access to a dataspace has its subscriptions there
  stopped (SubscriptionsStopped saying so) before anything more is sent; so are the
  subscriptions of a deleted channel (its Channel object deleted, alone, with its ChannelSet or
  Log, or with its dataspace), right after the points it had before.
* GetRanges: the points of the channels in each interval (inclusive, either order, a depth
  interval converted from its uom), as GetRangesResponse parts that each fit a message; past
  MaxRangeDataItemCount the points read so far, then ERESPONSECOUNT_EXCEEDED. The whole request
  fails at once for an unknown id, an interval of the wrong index kind, more than
  MaxRangeChannelCount channels, secondary intervals (ENOTSUPPORTED), or a requestUuid that
  one of the session's GetRanges still answering has (EREQUESTUUID_REJECTED). The answer is
  read and sent part by part by a task (waiting for room in the send queue), while the session
  handles its next messages: CancelGetRanges(requestUuid) stops it before its next part, and
  the answer ends with a ProtocolException EMULTIPART_CANCELLED (FIN), so the customer's
  request completes with the parts sent so far. A cancel of a GetRanges already answered (or
  unknown) is ignored. At most :data:`RANGES_IN_FLIGHT` GetRanges of a session are read at
  once; up to :data:`RANGES_WAITING` more wait their turn without holding up the session's
  other messages (a CancelGetRanges ends a waiting one at once), and one more than that is
  ELIMIT_EXCEEDED.
* GetChangeAnnotations: per key the changed intervals of its channels since a time
  (ERETENTION_PERIOD_EXCEEDED before the retention period).

Customer role (:class:`ChannelSubscribeCustomer`): routes the store's ChannelData,
RangeReplaced, ChannelsTruncated and unsolicited SubscriptionsStopped to the receiver of their
channel ids (:mod:`etp.client_channels`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
import weakref
from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from etp.errors import ErrorCode, ProtocolError, SendQueueFull, SessionError, StoreError
from etp.messages import channel_subscribe as msg
from etp.messages import datatypes as wire
from etp.messages.base import Message
from etp.messages.core import ProtocolException
from etp.messages.data_items import DataItems
from etp.messages.datatypes import DataItem, MessageHeader, ProtocolCapabilityKind
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
    index_value,
    item_arrays,
    metadata_record,
    open_channels,
)
from etp.protocols.store_backend import StoreBackend, can_read, denied, keyed
from etp.store.channel_feed import ChannelFeed
from etp.store.channels import (
    Appended,
    ChannelEvent,
    ChannelRange,
    Deleted,
    IndexValue,
    Points,
    Replaced,
    Truncated,
)

__all__ = [
    "RANGES_IN_FLIGHT",
    "RANGES_WAITING",
    "ChannelReceiver",
    "ChannelSubscribeCustomer",
    "ChannelSubscribeHandler",
]

_K = ProtocolCapabilityKind
_PAGE = 100_000  # points read at a time (a subscription from an index, a GetRanges answer)

RANGES_IN_FLIGHT = 4
"""GetRanges of one session read at once (each holds at most a page and a message)."""
RANGES_WAITING = 60
"""GetRanges of one session waiting for one of those (each holds only its request)."""


@dataclasses.dataclass(eq=False)
class _Subscription:
    channel: SessionChannel
    info: wire.ChannelSubscribeInfo
    start: IndexValue | None
    seq: int | None = None
    """Feed events of this channel up to this seq are in what was sent (None: still reading
    what came before the subscription; the feed's events wait in ``held``)."""
    changes_after: int = 0
    """RangeReplaced/ChannelsTruncated are sent for events after this seq."""
    held: list[ChannelEvent] = dataclasses.field(default_factory=list)

    @property
    def id(self) -> int:
        return self.channel.id


@dataclasses.dataclass(eq=False)
class _Ranges:
    """A GetRanges being answered: what to read, and whether CancelGetRanges asked to stop."""

    header: MessageHeader
    wanted: list[tuple[SessionChannel, IndexValue | None, IndexValue | None]]
    cancelled: bool = False
    reading: bool = False
    """False while it waits for its turn."""


class ChannelSubscribeHandler(ProtocolHandler):
    """ChannelSubscribe (21) as the store."""

    PROTOCOL = 21
    ROLE = "store"
    LIMITS: ClassVar[tuple[ProtocolCapabilityKind, ...]] = (
        _K.MAX_SUBSCRIPTION_SESSION_COUNT,
        _K.MAX_RANGE_CHANNEL_COUNT,
        _K.MAX_RANGE_DATA_ITEM_COUNT,
    )

    def __init__(
        self, session: SessionContext, backend: StoreBackend, limits: ChannelLimits | None = None
    ) -> None:
        super().__init__(session)
        self.backend = backend
        self.limits = limits or ChannelLimits()
        self.channels = SessionChannels.of(session)
        self.subscriptions: dict[int, _Subscription] = {}
        """By channel key."""
        self._routes: dict[int, tuple[int, int]] | None = None
        """When every subscription has its seq: each one's channel id and seq, by key (None:
        to be built again, after a change)."""
        self._following = False
        """Whether :meth:`_follow` is sending events it took from the feed."""
        self._feed: ChannelFeed | None = None
        self._identity = session.identity
        """The identity the subscriptions' access was last checked for."""
        self._ranges: dict[uuid.UUID, tuple[_Ranges, asyncio.Task[None]]] = {}
        """The GetRanges being answered or waiting to be, by requestUuid."""
        self._reading = asyncio.Semaphore(RANGES_IN_FLIGHT)

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.GetChannelMetadata(uris=uris):
                found, errors = await open_channels(self.backend.store, self.session, uris)
                records = {key: metadata_record(channel) for key, channel in found.items()}
                return MapResponse(
                    msg.GetChannelMetadataResponse(metadata=records) if records else None, errors
                )
            case msg.SubscribeChannels(channels=wanted):
                return await self._subscribe(wanted)
            case msg.UnsubscribeChannels(channel_ids=ids):
                return self._unsubscribe(ids)
            case msg.GetRanges():
                return await self._get_ranges(request.header, request.message)
            case msg.CancelGetRanges(request_uuid=request_uuid):
                running = self._ranges.get(request_uuid)
                if running is not None:
                    ranges, task = running
                    ranges.cancelled = True
                    if not ranges.reading:  # nothing sent yet: it ends now
                        task.cancel()
                        await self._cancelled(ranges, None)
                return None
            case msg.GetChangeAnnotations():
                return await self._annotations(request.message)
        return await super().handle(request)

    async def close(self) -> None:
        self.subscriptions.clear()
        self._routes = None
        self._stop_feed()

    # --- subscribing ---------------------------------------------------------------------------

    async def _subscribe(self, wanted: Mapping[str, wire.ChannelSubscribeInfo]) -> Reply:
        success: dict[str, str] = {}
        errors: dict[str, ProtocolError] = {}
        keys: dict[_Subscription, str] = {}
        for key, info in wanted.items():
            try:
                with keyed(key):
                    sub = self._new_subscription(info, list(keys))
                keys[sub] = key
                success[key] = ""
            except ProtocolError as e:
                errors[key] = e
        from_now = [s for s in keys if s.start is None and not s.info.request_latest_index_count]
        if from_now:  # their seq now: what the feed brings after that is theirs
            state = await self.backend.store.channels.info([s.channel.key for s in from_now])
            for sub in from_now:
                current = state.get(sub.channel.key)
                if current is None:
                    key = keys.pop(sub)
                    del success[key]
                    errors[key] = ProtocolError(
                        ErrorCode.ENOT_FOUND,
                        f"channel id {sub.id} ({sub.channel.info.uri}) was deleted",
                        key=key,
                    )
                    continue
                sub.seq = sub.changes_after = current.seq
        new = list(keys)
        if new:
            feed = self._start_feed()
            for sub in new:
                self.subscriptions[sub.channel.key] = sub
            self._routes = None
            feed.add(s.channel.key for s in new)
            backfill = [s for s in new if s.seq is None]
            if backfill:
                self.session.start_task(self._backfill(backfill), name="etp-channel-backfill")
        return MapResponse(
            msg.SubscribeChannelsResponse(success=success) if success else None, errors
        )

    def _new_subscription(
        self, info: wire.ChannelSubscribeInfo, new: list[_Subscription]
    ) -> _Subscription:
        channel = self.channels.get(info.channel_id)
        if channel.key in self.subscriptions or any(s.channel is channel for s in new):
            raise ProtocolError(
                ErrorCode.EINVALID_STATE,
                f"channel id {channel.id} is already subscribed in this session",
            )
        limit = self.limits.max_subscriptions
        if len(self.subscriptions) + len(new) >= limit:
            raise ProtocolError(
                ErrorCode.ELIMIT_EXCEEDED,
                f"this session already has {limit} channel subscriptions "
                "(MaxSubscriptionSessionCount)",
            )
        if not can_read(self.session.identity, channel.dataspace):
            raise denied("read", channel.dataspace)
        count = info.request_latest_index_count
        if count is not None and count < 0:
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT, f"requestLatestIndexCount {count} is negative"
            )
        start = index_bound(channel, info.start_index, "", "startIndex")
        return _Subscription(channel, info, start)

    def _unsubscribe(self, ids: Mapping[str, int]) -> Reply:
        stopped: dict[str, int] = {}
        errors: dict[str, ProtocolError] = {}
        for key, channel_id in ids.items():
            sub = self._subscription(channel_id)
            if sub is None:
                errors[key] = ProtocolError(
                    ErrorCode.EINVALID_CHANNELID,
                    f"channel id {channel_id} is not subscribed in this session",
                    key=key,
                )
                continue
            self._end([sub])
            stopped[key] = channel_id
        return MapResponse(
            msg.SubscriptionsStopped(reason="unsubscribed by the customer", channel_ids=stopped)
            if stopped
            else None,
            errors,
        )

    def _subscription(self, channel_id: int) -> _Subscription | None:
        try:
            key = self.channels.get(channel_id).key
        except ProtocolError:
            return None
        return self.subscriptions.get(key)

    # --- the feed ------------------------------------------------------------------------------

    def _start_feed(self) -> ChannelFeed:
        if self._feed is None:
            self._feed = self.backend.store.channels.subscribe(max_pending=self.limits.max_pending)
            self._feed.listener = self._send_now
            self.session.start_task(self._follow(self._feed), name="etp-channel-subscriptions")
        return self._feed

    def _stop_feed(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None

    async def _follow(self, feed: ChannelFeed) -> None:
        try:
            async for event in feed:
                self._following = True
                try:
                    await self._send_events([event, *feed.take_ready()])
                finally:
                    self._following = False
            if feed is self._feed:
                await self._stop_all("the store stopped sending channel data (closing)")
        except StoreError as e:
            if feed is self._feed:
                await self._stop_all(f"the customer does not read fast enough: {e}")
        except SessionError:
            self._stop_feed()

    async def _backfill(self, subs: list[_Subscription]) -> None:
        """Send what the new subscriptions asked for from before they began (their first pages
        together), then per subscription its further pages and what the feed brought meanwhile.
        """
        try:
            first: list[tuple[_Subscription, ChannelRange]] = []
            for sub in subs:
                read = await self._read_start(sub)
                if read is not None:
                    first.append((sub, read))
            await self._send_points([(s.id, r.points) for s, r in first if self._active(s)])
            for sub, read in first:
                sub.changes_after = last_seq = read.seq
                paging = not sub.info.request_latest_index_count
                while paging and read.more and self._active(sub):
                    page = await self._read_start(sub, after=read.points.indexes[-1].item())
                    if page is None:
                        break
                    read, last_seq = page, page.seq
                    await self._send_points([(sub.id, read.points)])
                while sub.held and self._active(sub):  # no await between the last check and seq
                    held, sub.held = sub.held, []
                    await self._send_events(held, backfilled=(sub, last_seq))
                sub.seq = last_seq
        except StoreError as e:
            await self._stop(subs, f"the store cannot be read: {e}")
        except SessionError:
            return

    async def _read_start(
        self, sub: _Subscription, after: IndexValue | None = None
    ) -> ChannelRange | None:
        """A page of what ``sub`` asked for from before it began (from ``after``); None when
        the channel cannot be read (deleted meanwhile): the subscription is then stopped."""
        channels = self.backend.store.channels
        count = sub.info.request_latest_index_count
        try:
            if count and after is None:
                return await channels.read_latest(sub.channel.key, count)
            return await channels.read_range(
                sub.channel.key, sub.start, None, limit=_PAGE, after=after
            )
        except ProtocolError as e:
            await self._stop([sub], f"cannot read {sub.channel.info.uri}: {e.message}")
            return None

    def _active(self, sub: _Subscription) -> bool:
        return self.subscriptions.get(sub.channel.key) is sub

    async def _send_events(
        self,
        events: Sequence[ChannelEvent],
        backfilled: tuple[_Subscription, int] | None = None,
    ) -> None:
        """Send feed events as ChannelData (appends coalesced), RangeReplaced, ChannelsTruncated.
        ``backfilled``: the events were held for that subscription while it read up to that
        seq."""
        await self._stop_revoked()
        if backfilled is None:
            settled = self._settled_appends(events)
            if settled is not None:
                await self._send_points(settled)
                return
        appends: list[tuple[int, Points]] = []
        subscriptions = self.subscriptions
        for event in events:
            if backfilled is not None:
                sub, seq = backfilled
                if not self._active(sub):
                    continue
            else:
                found = subscriptions.get(event.key)
                if found is None:
                    continue
                if found.seq is None and type(event) is not Deleted:
                    self._hold(found, event)
                    continue
                sub, seq = found, found.seq or 0
            if type(event) is Appended:  # the usual case, once per channel and commit
                if event.seq > seq:
                    appends.append((sub.channel.id, event.points))
                continue
            if isinstance(event, Deleted):
                await self._send_points(appends)
                appends = []
                await self._stop([sub], f"channel {event.uri} was deleted")
                continue
            if event.seq <= sub.changes_after or not sub.info.data_changes:
                continue
            await self._send_points(appends)
            appends = []
            if isinstance(event, Replaced):
                await self._send_replaced(sub, event)
            elif isinstance(event, Truncated):
                await self.session.send(
                    msg.ChannelsTruncated(
                        channels=[
                            wire.TruncateInfo(
                                channel_id=sub.id, new_end_index=index_value(event.new_end)
                            )
                        ],
                        change_time=event.time,
                    )
                )
        await self._send_points(appends)

    def _send_now(self, events: list[ChannelEvent]) -> bool:
        """The feed's listener: send a commit's appends at once, as the hub publishes them,
        when that is exactly what :meth:`_follow` would do next (it is not sending, nothing is
        revoked, every subscription is settled) and they fit one message the send queue takes
        now; False leaves them to :meth:`_follow` (which waits for room). Saves a task switch
        and the feed's queue per session and commit: the fan-out's steady state."""
        if self._following or self.session.identity is not self._identity:
            return False
        parts = self._settled_appends(events)
        if parts is None:
            return False
        arrays = item_arrays(parts, self.limits.message_budget(self.session))
        if len(arrays) > 1:
            return False
        try:
            for items in arrays:
                self.session.push(msg.ChannelData(data=items))
        except (SendQueueFull, SessionError):
            return False
        return True

    def _settled_appends(self, events: Sequence[ChannelEvent]) -> list[tuple[int, Points]] | None:
        """What the loop of :meth:`_send_events` makes of events that are all appends while
        every subscription has its seq (the steady state of streaming: one commit after
        another): the (channel id, points) to send; None otherwise."""
        routes = self._routes
        if routes is None:
            subs = self.subscriptions
            if any(sub.seq is None for sub in subs.values()):
                return None
            routes = self._routes = {k: (sub.id, sub.seq or 0) for k, sub in subs.items()}
        if not all(type(event) is Appended for event in events):
            return None
        return [
            (route[0], event.points)
            for event in cast("Sequence[Appended]", events)
            if (route := routes.get(event.key)) is not None and event.seq > route[1]
        ]

    async def _stop_revoked(self) -> None:
        """Stop the subscriptions of dataspaces the session may no longer read (it was
        re-authorized with fewer rights)."""
        identity = self.session.identity
        if identity is self._identity:
            return
        self._identity = identity
        revoked: dict[str, list[_Subscription]] = {}
        for sub in self.subscriptions.values():
            if not can_read(identity, sub.channel.dataspace):
                revoked.setdefault(sub.channel.dataspace, []).append(sub)
        for dataspace, subs in revoked.items():
            await self._stop(subs, f"access to dataspace {dataspace} was revoked")

    def _hold(self, sub: _Subscription, event: ChannelEvent) -> None:
        sub.held.append(event)
        held = sum(len(e.points) for e in sub.held if isinstance(e, Appended | Replaced))
        if held > self.limits.max_pending:
            reason = (
                f"more than {self.limits.max_pending} points arrived while the subscription "
                "read its start: the customer does not read fast enough"
            )
            self.session.start_task(self._stop([sub], reason), name="etp-channel-stop")

    async def _send_points(self, parts: list[tuple[int, Points]]) -> None:
        for items in item_arrays(parts, self.limits.message_budget(self.session)):
            await self.session.send(msg.ChannelData(data=items))

    async def _send_replaced(self, sub: _Subscription, event: Replaced) -> None:
        d = sub.channel.info.definition
        interval = wire.IndexInterval(
            start_index=index_value(event.start),
            end_index=index_value(event.end),
            uom=d.index_uom,
            depth_datum=d.depth_datum,
        )
        chunks = item_arrays([(sub.id, event.points)], self.limits.message_budget(self.session))
        parts = [
            msg.RangeReplaced(
                change_time=event.time, channel_ids=[sub.id], changed_interval=interval, data=data
            )
            for data in chunks or [[]]
        ]
        await self.session.send(parts[0], *parts[1:])

    # --- ending --------------------------------------------------------------------------------

    def _end(self, subs: list[_Subscription]) -> dict[str, int]:
        """Forget ``subs`` (those still active); their ids by key, for SubscriptionsStopped."""
        ids: dict[str, int] = {}
        for sub in subs:
            if self._active(sub):
                del self.subscriptions[sub.channel.key]
                self._routes = None
                sub.held.clear()
                if self._feed is not None:
                    self._feed.remove([sub.channel.key])
                ids[str(sub.id)] = sub.id
        if not self.subscriptions:
            self._stop_feed()
        return ids

    async def _stop(self, subs: list[_Subscription], reason: str) -> None:
        """End ``subs`` and tell the customer why (unsolicited SubscriptionsStopped)."""
        ids = self._end(subs)
        if ids:
            self.session.log.warning("stopping %d channel subscription(s): %s", len(ids), reason)
            try:
                await self.session.send(msg.SubscriptionsStopped(reason=reason, channel_ids=ids))
            except SessionError:
                return

    async def _stop_all(self, reason: str) -> None:
        await self._stop(list(self.subscriptions.values()), reason)

    # --- history -------------------------------------------------------------------------------

    async def _get_ranges(self, header: MessageHeader, request: msg.GetRanges) -> Reply:
        """Check the request, then answer it from a task (see the module documentation)."""
        wanted: list[tuple[SessionChannel, IndexValue | None, IndexValue | None]] = []
        for n, info in enumerate(request.channel_ranges):
            if info.secondary_intervals:
                raise ProtocolError(
                    ErrorCode.ENOTSUPPORTED,
                    "secondary index intervals are not supported (SupportsSecondaryIndexFiltering"
                    " is false)",
                )
            interval = info.interval
            for channel_id in info.channel_ids:
                channel = self.channels.get(channel_id)
                if not can_read(self.session.identity, channel.dataspace):
                    raise denied("read", channel.dataspace)
                where = f"channelRanges[{n}] (channel id {channel_id})"
                start = index_bound(channel, interval.start_index, interval.uom, where)
                end = index_bound(channel, interval.end_index, interval.uom, where)
                wanted.append((channel, start, end))
        count = len({channel.id for channel, _, _ in wanted})
        if count > self.limits.max_range_channels:
            raise ProtocolError(
                ErrorCode.ELIMIT_EXCEEDED,
                f"GetRanges names {count} channels, over MaxRangeChannelCount "
                f"({self.limits.max_range_channels})",
            )
        key = request.request_uuid
        if key in self._ranges:
            raise ProtocolError(
                ErrorCode.EREQUESTUUID_REJECTED,
                f"requestUuid {key} is that of a GetRanges of this session still being answered",
            )
        if len(self._ranges) >= RANGES_IN_FLIGHT + RANGES_WAITING:
            raise ProtocolError(
                ErrorCode.ELIMIT_EXCEEDED,
                f"this session already has {len(self._ranges)} GetRanges being answered or "
                "waiting to be; send the next when one has ended",
            )
        ranges = _Ranges(header, wanted)
        task = self.session.start_task(self._answer_ranges(ranges), name="etp-get-ranges")
        self._ranges[key] = (ranges, task)
        task.add_done_callback(lambda _: self._ranges.pop(key, None))
        return None

    async def _answer_ranges(self, ranges: _Ranges) -> None:
        """Answer once :data:`RANGES_IN_FLIGHT` allows (see :meth:`_read_ranges`)."""
        async with self._reading:
            ranges.reading = True
            await self._read_ranges(ranges)

    async def _read_ranges(self, ranges: _Ranges) -> None:
        """Read and send the answer part by part: each part waits for the next to be ready (the
        last one gets FIN), until done, cancelled, or past MaxRangeDataItemCount."""
        header = ranges.header
        limit = self.limits.max_range_items
        remaining = limit
        budget = self.limits.message_budget(self.session)
        ready: Message | None = None
        exceeded = False
        try:
            for channel, start, end in ranges.wanted:
                after: IndexValue | None = None
                more = True
                while more and not exceeded:
                    if ranges.cancelled:
                        return await self._cancelled(ranges, ready)
                    read = await self.backend.store.channels.read_range(
                        channel.key, start, end, limit=min(remaining, _PAGE), after=after
                    )
                    if ranges.cancelled:
                        return await self._cancelled(ranges, ready)
                    remaining -= len(read.points)
                    more = read.more
                    exceeded = more and remaining == 0
                    if more:
                        after = read.points.indexes[-1].item()
                    for items in item_arrays([(channel.id, read.points)], budget):
                        if ready is not None:
                            await self.session.answer(header, ready, final=False)
                        ready = msg.GetRangesResponse(data=items)
                        if ranges.cancelled:
                            return await self._cancelled(ranges, ready)
                if exceeded:
                    break
            last: list[Message] = [ready or msg.GetRangesResponse(data=[])]
            if exceeded:
                last.append(
                    ProtocolException(
                        error=wire.ErrorInfo(
                            code=int(ErrorCode.ERESPONSECOUNT_EXCEEDED),
                            message=f"more than {limit} points in the ranges asked, over "
                            f"MaxRangeDataItemCount: the first {limit} were sent",
                        )
                    )
                )
            await self.session.answer(header, last)
        except ProtocolError as e:  # a channel deleted meanwhile
            self.session.refuse(header, e)
        except StoreError as e:
            self.session.refuse(
                header, ProtocolError(ErrorCode.EREQUEST_DENIED, f"the store cannot be read: {e}")
            )
        except SessionError:
            return
        except Exception as e:  # as the transport answers a handler's unexpected failure
            self.session.log.exception("failed to answer GetRanges %d", header.message_id)
            text = f"internal error answering GetRanges: {type(e).__name__}"
            self.session.refuse(header, ProtocolError(ErrorCode.EREQUEST_DENIED, text))

    async def _cancelled(self, ranges: _Ranges, ready: Message | None) -> None:
        """End a cancelled answer: the part ready, then EMULTIPART_CANCELLED (FIN)."""
        if ready is not None:
            await self.session.answer(ranges.header, ready, final=False)
        error = ProtocolError(ErrorCode.EMULTIPART_CANCELLED, "cancelled by CancelGetRanges")
        self.session.refuse(ranges.header, error)

    async def _annotations(self, request: msg.GetChangeAnnotations) -> Reply:
        changes: dict[str, wire.ChangeResponseInfo] = {}
        errors: dict[str, ProtocolError] = {}
        for key, info in request.channels.items():
            try:
                with keyed(key):
                    entries = [self.channels.get(i) for i in info.channel_ids]
                    for entry in entries:
                        if not can_read(self.session.identity, entry.dataspace):
                            raise denied("read", entry.dataspace)
                    found = await self.backend.store.channels.change_annotations(
                        [e.key for e in entries],
                        info.since_change_time,
                        latest_only=request.latest_only,
                    )
            except ProtocolError as e:
                errors[key] = e
                continue
            by_key = {e.key: e for e in entries}
            changes[key] = wire.ChangeResponseInfo(
                response_timestamp=found.response_time,
                changes={
                    str(by_key[k].id): [
                        wire.ChangeAnnotation(
                            change_time=a.change_time,
                            interval=wire.IndexInterval(
                                start_index=index_value(a.start),
                                end_index=index_value(a.end),
                                uom=by_key[k].info.definition.index_uom,
                            ),
                        )
                        for a in annotations
                    ]
                    for k, annotations in found.changes.items()
                },
            )
        return MapResponse(
            msg.GetChangeAnnotationsResponse(changes=changes) if changes else None, errors
        )


# --- customer role ------------------------------------------------------------------------------


class ChannelReceiver(Protocol):
    """What a customer-side subscription gets from :class:`ChannelSubscribeCustomer`."""

    def on_data(self, data: Sequence[DataItem]) -> None:
        """Points of its channels (a ChannelData, or the part of one that is its)."""

    def on_message(self, message: Message) -> None:
        """A RangeReplaced, ChannelsTruncated or SubscriptionsStopped naming its channels."""

    def on_session_end(self) -> None:
        """The session ended."""


_CUSTOMERS: weakref.WeakKeyDictionary[SessionContext, ChannelSubscribeCustomer] = (
    weakref.WeakKeyDictionary()
)


class ChannelSubscribeCustomer(ProtocolHandler):
    """ChannelSubscribe (21) as the customer: the store's pushes, routed by channel id.

    Never waits: receivers buffer (and drop, past their bound) on their own. A message about no
    routed channel goes to the client's ``notifications()``.
    """

    PROTOCOL = 21
    ROLE = "customer"

    def __init__(self, session: SessionContext) -> None:
        super().__init__(session)
        self._routes: dict[int, ChannelReceiver] = {}
        self._tables: list[tuple[ChannelReceiver, NDArray[np.int64]]] | None = None
        """Each receiver and its channel ids, sorted (built again after a change of routes)."""
        self._whole: tuple[NDArray[np.int64], ChannelReceiver] | None = None
        """The channel ids (the array itself: the decoder reuses it for the same ids) of the
        last DataItems that went whole to one receiver, and that receiver."""
        _CUSTOMERS[session] = self

    @staticmethod
    def of(session: SessionContext) -> ChannelSubscribeCustomer | None:
        """The customer handler of ``session``, if protocol 21 was granted with one."""
        return _CUSTOMERS.get(session)

    def route(self, channel_ids: Sequence[int], receiver: ChannelReceiver) -> None:
        """Send what concerns ``channel_ids`` to ``receiver`` (register before subscribing)."""
        for channel_id in channel_ids:
            self._routes[channel_id] = receiver
        self._tables = self._whole = None

    def unroute(self, receiver: ChannelReceiver) -> None:
        """Forget ``receiver``."""
        for channel_id in [i for i, r in self._routes.items() if r is receiver]:
            del self._routes[channel_id]
        self._tables = self._whole = None

    async def handle(self, request: Request) -> Reply:
        message = request.message
        match message:
            case msg.ChannelData(data=data):
                taken = self._route_data(data)
            case msg.RangeReplaced(channel_ids=ids):
                taken = self._route_message(ids, message)
            case msg.ChannelsTruncated(channels=channels):
                taken = self._route_message([c.channel_id for c in channels], message)
            case msg.SubscriptionsStopped(channel_ids=ids):
                taken = self._route_message(list(ids.values()), message)
            case _:
                return await super().handle(request)
        if not taken:
            raise NotTaken
        return None

    def take_now(self, request: Request) -> bool:
        message = request.message
        return type(message) is msg.ChannelData and self._route_data(message.data)

    def _route_data(self, data: Sequence[DataItem]) -> bool:
        """Hand ``data`` to the receivers of its channels; False if none is routed."""
        if not data or not self._routes:
            return False
        if isinstance(data, DataItems):
            ids = data.channel_ids
            whole = self._whole
            if whole is not None and whole[0] is ids:
                whole[1].on_data(data)
                return True
            taken = False
            for receiver, mine in self._receiver_tables():
                at = np.searchsorted(mine, ids)
                mask = mine[np.minimum(at, len(mine) - 1)] == ids
                if mask.all():
                    self._whole = (ids, receiver)
                    receiver.on_data(data)
                    return True
                if mask.any():
                    taken = True
                    receiver.on_data(
                        DataItems(
                            ids[mask],
                            data.indexes[mask],
                            data.values[mask],
                            None if data.nulls is None else data.nulls[mask],
                        )
                    )
            return taken
        by_receiver: dict[int, tuple[ChannelReceiver, list[DataItem]]] = {}
        for item in data:
            found = self._routes.get(item.channel_id)
            if found is not None:
                by_receiver.setdefault(id(found), (found, []))[1].append(item)
        for receiver, items in by_receiver.values():
            receiver.on_data(items)
        return bool(by_receiver)

    def _receiver_tables(self) -> list[tuple[ChannelReceiver, NDArray[np.int64]]]:
        if self._tables is None:
            by_receiver: dict[int, tuple[ChannelReceiver, list[int]]] = {}
            for channel_id, receiver in self._routes.items():
                by_receiver.setdefault(id(receiver), (receiver, []))[1].append(channel_id)
            self._tables = [(r, np.array(sorted(ids), np.int64)) for r, ids in by_receiver.values()]
        return self._tables

    def _route_message(self, ids: Sequence[int], message: Message) -> bool:
        done: set[int] = set()
        for channel_id in ids:
            receiver = self._routes.get(channel_id)
            if receiver is not None and id(receiver) not in done:
                done.add(id(receiver))
                receiver.on_message(message)
        return bool(done)

    async def close(self) -> None:
        for receiver in {id(r): r for r in self._routes.values()}.values():
            receiver.on_session_end()
