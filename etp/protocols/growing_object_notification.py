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

from lxml import etree

from etp.errors import ErrorCode, ProtocolError
from etp.messages import growing_object_notification as msg
from etp.messages.base import Message
from etp.messages.datatypes import ObjectChangeKind, ObjectPart, SubscriptionInfo
from etp.protocols import Reply, Request, SessionContext
from etp.protocols.store import OVERHEAD
from etp.protocols.store_backend import can_read, denied
from etp.protocols.subscriptions import (
    Notification,
    Subscription,
    SubscriptionHandler,
    SubscriptionQueues,
)
from etp.protocols.trajectory_parts import Station, TrajectoryDocument, check_growing
from etp.store import Change, ChangeKind
from etp.uri import DataObjectUri

__all__ = ["GrowingObjectNotificationCustomer", "GrowingObjectNotificationHandler"]

#: Bytes a part costs in a notification besides its data (uid, lengths).
_PART_OVERHEAD = 32


@dataclasses.dataclass
class _Subscription(Subscription):
    uri: str
    """The canonical URI of the Trajectory."""
    dataspace: str
    known: dict[str, bytes]
    """The stations last seen: uid -> the station element's XML."""


def _snapshot(xml: bytes, uri: str) -> tuple[dict[str, bytes], dict[str, Station]]:
    """The stations of a stored Trajectory: uid -> XML, and uid -> Station (in Md order)."""
    stations = TrajectoryDocument(xml, uri).stations()
    return (
        {s.uid: etree.tostring(s.element, with_tail=False) for s in stations},
        {s.uid: s for s in stations},
    )


class GrowingObjectNotificationHandler(SubscriptionHandler[_Subscription]):
    """GrowingObjectNotification (7) as the store."""

    PROTOCOL = 7
    KIND = "part "
    ITEMS = "parts"
    FEED_TASK = "etp-part-notifications"
    END_TASK = "etp-part-sub-end"

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.SubscribePartNotifications(request=wanted):
                return await self._subscribe(wanted)
            case msg.UnsubscribePartNotification(request_uuid=request_uuid):
                return self._unsubscribe(request_uuid)
        return await super().handle(request)

    def _response(self, success: Mapping[str, str]) -> Message:
        return msg.SubscribePartNotificationsResponse(success=success)

    def _ended(self, reason: str, request_uuid: uuid.UUID) -> Message:
        return msg.PartSubscriptionEnded(reason=reason, request_uuid=request_uuid)

    async def _new_subscription(self, info: SubscriptionInfo) -> _Subscription:
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

    # --- the change feed -----------------------------------------------------------------------

    def _concerns(self, sub: _Subscription, change: Change) -> bool:
        return sub.uri == change.uri

    async def _notifications(self, sub: _Subscription, change: Change) -> list[Notification]:
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
        out: list[Notification] = []
        if deleted:
            deletion = msg.PartsDeleted(
                uri=sub.uri, request_uuid=sub.request_uuid, change_time=change.time, uids=deleted
            )
            out.append((deletion, []))
        for kind, group in (
            (ObjectChangeKind.INSERT, inserted),
            (ObjectChangeKind.UPDATE, updated),
        ):
            for parts in self._batches(sub, group):
                changed = msg.PartsChanged(
                    uri=sub.uri,
                    request_uuid=sub.request_uuid,
                    change_kind=kind,
                    change_time=change.time,
                    format="xml",
                    parts=parts,
                )
                out.append((changed, []))
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

    def _end(self, sub: _Subscription, reason: str) -> list[Notification]:
        self._drop(sub)
        return [(self._ended(reason, sub.request_uuid), [])]


# --- customer role ------------------------------------------------------------------------------

_CUSTOMERS: weakref.WeakKeyDictionary[SessionContext, GrowingObjectNotificationCustomer] = (
    weakref.WeakKeyDictionary()
)


class GrowingObjectNotificationCustomer(SubscriptionQueues):
    """GrowingObjectNotification (7) as the customer: the store's part notifications, per
    requestUuid. :meth:`listen` gives the queue of one subscription's notifications; register it
    before subscribing, since a notification may arrive before the subscription's response."""

    PROTOCOL = 7
    KIND = "part "

    def __init__(self, session: SessionContext) -> None:
        super().__init__(session)
        _CUSTOMERS[session] = self

    @staticmethod
    def of(session: SessionContext) -> GrowingObjectNotificationCustomer | None:
        """The customer handler of ``session``, if protocol 7 was granted with one."""
        return _CUSTOMERS.get(session)

    async def handle(self, request: Request) -> Reply:
        self._queue(request.message)
        return None
