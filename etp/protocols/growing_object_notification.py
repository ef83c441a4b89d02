"""GrowingObjectNotification (protocol 7): the store tells subscribed customers of part changes.

Store role (:class:`GrowingObjectNotificationHandler`):

* SubscribePartNotifications: per key a subscription to the stations of one Trajectory (the
  context URI; see :mod:`etp.protocols.growing_object`). Per key: EREQUESTUUID_REJECTED for a
  requestUuid already in use in this session, ELIMIT_EXCEEDED past MaxSubscriptionSessionCount,
  EINVALID_URI, ENOTGROWINGOBJECT, EREQUEST_DENIED for a dataspace the session may not read,
  ENOT_FOUND for a Trajectory not in the store.
* Every committed change of the Trajectory, whichever session or server process made it (the
  store's change feed), is compared with the stations the subscription last saw: removed
  stations are sent as PartsDeleted, new ones as PartsChanged ``insert`` and changed ones as
  PartsChanged ``update`` (in that order, each in as many messages as the negotiated message
  size needs), with the ``part_TrajectoryStation`` documents when ``includeObjectData``, else the
  uids with empty data. A ReplacePartsByRange therefore reaches subscribers as the deletions and
  insertions it made (never as PartsReplacedByRange, which only the session that made it could
  tell apart). A Store put of the whole Trajectory is compared the same way.
* The subscription ends with PartSubscriptionEnded when the Trajectory is deleted, when the
  session can no longer read its dataspace, or when the session does not read fast enough (all
  its subscriptions then end; never blocking the store or other sessions).
  UnsubscribePartNotification is answered with PartSubscriptionEnded (ENOT_FOUND for an unknown
  requestUuid). A session that never subscribed is never sent anything.

Customer role (:class:`GrowingObjectNotificationCustomer`): queues the store's notifications
per requestUuid for :mod:`etp.client_growing`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar

from lxml import etree

from etp.errors import (
    EncodeError,
    ErrorCode,
    ProtocolError,
    SendQueueFull,
    SessionError,
    StoreError,
)
from etp.messages import growing_object_notification as msg
from etp.messages.base import Message
from etp.messages.datatypes import (
    ObjectChangeKind,
    ObjectPart,
    ProtocolCapabilityKind,
    SubscriptionInfo,
)
from etp.protocols import MapResponse, ProtocolHandler, Reply, Request, SessionContext
from etp.protocols.store import OVERHEAD
from etp.protocols.store_backend import StoreBackend, can_read, denied, keyed
from etp.protocols.trajectory_parts import Station, TrajectoryDocument, check_growing
from etp.store import Change, ChangeFeed, ChangeKind
from etp.uri import DataObjectUri

__all__ = ["GrowingObjectNotificationCustomer", "GrowingObjectNotificationHandler"]

#: Bytes a part costs in a notification besides its data (uid, lengths).
_PART_OVERHEAD = 32


@dataclasses.dataclass
class _Subscription:
    info: SubscriptionInfo
    uri: str
    """The canonical URI of the Trajectory."""
    dataspace: str
    known: dict[str, bytes]
    """The stations last seen: uid -> the station element's XML."""

    @property
    def request_uuid(self) -> uuid.UUID:
        return self.info.request_uuid


def _snapshot(xml: bytes, uri: str) -> tuple[dict[str, bytes], dict[str, Station]]:
    """The stations of a stored Trajectory: uid -> XML, and uid -> Station (in Md order)."""
    stations = TrajectoryDocument(xml, uri).stations()
    return (
        {s.uid: etree.tostring(s.element, with_tail=False) for s in stations},
        {s.uid: s for s in stations},
    )


class GrowingObjectNotificationHandler(ProtocolHandler):
    """GrowingObjectNotification (7) as the store."""

    PROTOCOL = 7
    ROLE = "store"
    LIMITS: ClassVar[tuple[ProtocolCapabilityKind, ...]] = (
        ProtocolCapabilityKind.MAX_SUBSCRIPTION_SESSION_COUNT,
    )

    def __init__(self, session: SessionContext, backend: StoreBackend) -> None:
        super().__init__(session)
        self.backend = backend
        self.subscriptions: dict[uuid.UUID, _Subscription] = {}
        self._feed: ChangeFeed | None = None

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.SubscribePartNotifications(request=wanted):
                return await self._subscribe(wanted)
            case msg.UnsubscribePartNotification(request_uuid=request_uuid):
                return self._unsubscribe(request_uuid)
        return await super().handle(request)

    async def close(self) -> None:
        self.subscriptions.clear()
        self._stop_feed()

    # --- requests ------------------------------------------------------------------------------

    async def _subscribe(self, wanted: Mapping[str, SubscriptionInfo]) -> Reply:
        self._start_feed()  # before reading the stations: no change slips in between
        success: dict[str, str] = {}
        errors: dict[str, ProtocolError] = {}
        for key, info in wanted.items():
            try:
                with keyed(key):
                    sub = await self._new_subscription(info)
                self.subscriptions[sub.request_uuid] = sub
                success[key] = ""
            except ProtocolError as e:
                errors[key] = e
        if not self.subscriptions:
            self._stop_feed()
        return MapResponse(
            msg.SubscribePartNotificationsResponse(success=success) if success else None, errors
        )

    async def _new_subscription(self, info: SubscriptionInfo) -> _Subscription:
        if info.request_uuid in self.subscriptions:
            raise ProtocolError(
                ErrorCode.EREQUESTUUID_REJECTED,
                f"requestUuid {info.request_uuid} is already a subscription of this session",
            )
        limit = self.backend.limits.max_subscriptions
        if len(self.subscriptions) >= limit:
            raise ProtocolError(
                ErrorCode.ELIMIT_EXCEEDED,
                f"this session already has {limit} subscriptions (MaxSubscriptionSessionCount)",
            )
        if info.format not in ("xml", ""):
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"format {info.format!r} is not supported: parts travel as xml",
            )
        parsed = DataObjectUri.parse(info.context.uri)
        check_growing(parsed.qualified_type)
        dataspace = str(parsed.dataspace_uri)
        if not can_read(self.session.identity, dataspace):
            raise denied("read", dataspace)
        uri = str(
            DataObjectUri.build(parsed.qualified_type, parsed.uuid, dataspace=parsed.dataspace)
        )
        found = await self.backend.store.get_objects([uri])
        if uri not in found:
            raise ProtocolError(ErrorCode.ENOT_FOUND, f"{uri} is not in the store")
        known, _ = await asyncio.to_thread(_snapshot, found[uri].xml, uri)
        return _Subscription(info, uri, dataspace, known)

    def _unsubscribe(self, request_uuid: uuid.UUID) -> Reply:
        sub = self.subscriptions.pop(request_uuid, None)
        if sub is None:
            raise ProtocolError(
                ErrorCode.ENOT_FOUND, f"no part subscription with requestUuid {request_uuid}"
            )
        if not self.subscriptions:
            self._stop_feed()
        return msg.PartSubscriptionEnded(
            reason="unsubscribed by the customer", request_uuid=request_uuid
        )

    # --- the change feed -----------------------------------------------------------------------

    def _start_feed(self) -> None:
        if self._feed is None:
            self._feed = self.backend.store.changes()
            self.session.start_task(self._follow(self._feed), name="etp-part-notifications")

    def _stop_feed(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None

    async def _follow(self, feed: ChangeFeed) -> None:
        try:
            async for change in feed:
                await self._dispatch(change)
        except StoreError as e:
            self._end_all(f"the store stopped sending changes: {e}")

    async def _dispatch(self, change: Change) -> None:
        for sub in [s for s in self.subscriptions.values() if s.uri == change.uri]:
            if self._feed is None or sub.request_uuid not in self.subscriptions:
                continue
            try:
                for message in await self._notifications(sub, change):
                    self.session.push(message)
            except SendQueueFull as e:
                self._end_all(f"the customer does not read fast enough: {e.message}")
                return
            except SessionError:
                self._stop_feed()
                return
            except EncodeError as e:
                self.session.log.warning("part notification of %s not sent: %s", change.uri, e)

    async def _notifications(self, sub: _Subscription, change: Change) -> list[Message]:
        """What ``sub`` is told of ``change`` (ending it when the Trajectory is gone or may no
        longer be read)."""
        if not can_read(self.session.identity, sub.dataspace):
            return self._end(sub, f"access to dataspace {sub.dataspace} was revoked")
        if change.kind is ChangeKind.DELETE:
            return self._end(sub, f"{sub.uri} was deleted")
        if change.kind is ChangeKind.ACTIVE_STATUS:
            return []
        xml = change.xml
        if xml is None:
            found = await self.backend.store.get_objects([sub.uri])
            if sub.uri not in found:
                return []  # deleted since: its deletion follows
            xml = found[sub.uri].xml
        try:
            known, stations = await asyncio.to_thread(_snapshot, xml, sub.uri)
        except ProtocolError as e:
            return self._end(sub, f"{sub.uri} can no longer be read as a Trajectory: {e.message}")
        before, sub.known = sub.known, known
        deleted = [uid for uid in before if uid not in known]
        inserted = [s for uid, s in stations.items() if uid not in before]
        updated = [s for uid, s in stations.items() if uid in before and before[uid] != known[uid]]
        out: list[Message] = []
        if deleted:
            out.append(
                msg.PartsDeleted(
                    uri=sub.uri,
                    request_uuid=sub.request_uuid,
                    change_time=change.time,
                    uids=deleted,
                )
            )
        for kind, group in (
            (ObjectChangeKind.INSERT, inserted),
            (ObjectChangeKind.UPDATE, updated),
        ):
            for parts in self._batches(sub, group):
                out.append(
                    msg.PartsChanged(
                        uri=sub.uri,
                        request_uuid=sub.request_uuid,
                        change_kind=kind,
                        change_time=change.time,
                        format="xml",
                        parts=parts,
                    )
                )
        return out

    def _batches(
        self, sub: _Subscription, stations: Sequence[Station]
    ) -> Iterator[list[ObjectPart]]:
        """The parts of ``stations`` in groups that each fit one message."""
        room = self.session.negotiated.capabilities.max_message_size - OVERHEAD - len(sub.uri)
        batch: list[ObjectPart] = []
        size = 0
        for station in stations:
            data = station.part() if sub.info.include_object_data else b""
            need = len(data) + len(station.uid) + _PART_OVERHEAD
            if batch and size + need > room:
                yield batch
                batch, size = [], 0
            batch.append(ObjectPart(uid=station.uid, data=data))
            size += need
        if batch:
            yield batch

    # --- ending --------------------------------------------------------------------------------

    def _end(self, sub: _Subscription, reason: str) -> list[Message]:
        del self.subscriptions[sub.request_uuid]
        if not self.subscriptions:
            self._stop_feed()
        return [msg.PartSubscriptionEnded(reason=reason, request_uuid=sub.request_uuid)]

    def _end_all(self, reason: str) -> None:
        """End every subscription of the session; the PartSubscriptionEnded messages wait for
        room in the send queue (a task of this session, so nothing else waits)."""
        ended = list(self.subscriptions)
        self.subscriptions.clear()
        self._stop_feed()
        self.session.log.warning("ending %d part subscription(s): %s", len(ended), reason)
        if ended and not self.session.closed:
            self.session.start_task(self._send_ended(ended, reason), name="etp-part-sub-end")

    async def _send_ended(self, ended: list[uuid.UUID], reason: str) -> None:
        for request_uuid in ended:
            try:
                await self.session.send(
                    msg.PartSubscriptionEnded(reason=reason, request_uuid=request_uuid)
                )
            except SessionError:
                return


# --- customer role ------------------------------------------------------------------------------

_CUSTOMERS: weakref.WeakKeyDictionary[SessionContext, GrowingObjectNotificationCustomer] = (
    weakref.WeakKeyDictionary()
)


class GrowingObjectNotificationCustomer(ProtocolHandler):
    """GrowingObjectNotification (7) as the customer: the store's part notifications, per
    requestUuid. :meth:`listen` gives the queue of one subscription's notifications; register it
    before subscribing, since a notification may arrive before the subscription's response."""

    PROTOCOL = 7
    ROLE = "customer"

    def __init__(self, session: SessionContext) -> None:
        super().__init__(session)
        self._queues: dict[uuid.UUID, asyncio.Queue[Message | None]] = {}
        _CUSTOMERS[session] = self

    @staticmethod
    def of(session: SessionContext) -> GrowingObjectNotificationCustomer | None:
        """The customer handler of ``session``, if protocol 7 was granted with one."""
        return _CUSTOMERS.get(session)

    def listen(self, request_uuid: uuid.UUID) -> asyncio.Queue[Message | None]:
        """The queue of the notifications of ``request_uuid`` (None once the session ends)."""
        return self._queues.setdefault(request_uuid, asyncio.Queue())

    def forget(self, request_uuid: uuid.UUID) -> None:
        """Stop queueing notifications of ``request_uuid``."""
        self._queues.pop(request_uuid, None)

    async def handle(self, request: Request) -> Reply:
        message = request.message
        request_uuid = getattr(message, "request_uuid", None)
        queue = self._queues.get(request_uuid) if isinstance(request_uuid, uuid.UUID) else None
        if queue is None:
            self.session.log.debug(
                "%s for no listened part subscription: dropped", type(message).__name__
            )
            return None
        queue.put_nowait(message)
        return None

    async def close(self) -> None:
        for queue in self._queues.values():
            queue.put_nowait(None)
