"""StoreNotification (protocol 5): the store tells subscribed customers of changes.

Store role (:class:`StoreNotificationHandler`):

* SubscribeNotifications: per key a subscription on a context (a dataspace: every object in it,
  nothing for scope ``sources``; or a data object: the objects ``depth`` edges away in the
  scope's direction, as Discovery walks them), optionally limited to ``dataObjectTypes``. Per
  key: EREQUESTUUID_REJECTED for a requestUuid already in use in this session, ELIMIT_EXCEEDED
  past MaxSubscriptionSessionCount, EREQUEST_DENIED for a dataspace the session may not read,
  ENOT_FOUND for an unknown context object, EINVALID_URI.
* Every committed change reaches every matching subscription, whichever session (or, with
  PostgreSQL, whichever server process) made it: ObjectChanged (``insert``, ``update``,
  ``joinedSubscription``/``unjoinedSubscription`` when an update moves an object into or out of
  an object context's reach), with the object's XML when ``includeObjectData`` (in Chunk parts
  when it does not fit one message), ObjectDeleted, ObjectActiveStatusChanged.
* A session that can no longer read the dataspace (re-authorized with fewer rights) gets
  ObjectAccessRevoked for the context, then SubscriptionEnded. A session that does not read fast
  enough (its send queue is full) has all its subscriptions ended (SubscriptionEnded saying so,
  sent when there is room), never blocking the store or other sessions. Deleting the context
  object ends its subscriptions too.
* UnsubscribeNotifications is answered with SubscriptionEnded (ENOT_FOUND for an unknown
  requestUuid). A session that never subscribed is never sent anything.

Customer role (:class:`StoreNotificationCustomer`): receives the store's notifications,
assembles ObjectChanged with its Chunk parts, and queues them per requestUuid for
:mod:`etp.client_store`.
"""

from __future__ import annotations

import dataclasses
import uuid
import weakref
from collections.abc import Mapping

from etp.errors import ProtocolError
from etp.messages import store_notification as msg
from etp.messages.base import Message
from etp.messages.datatypes import (
    ActiveStatusKind,
    DataObject,
    MessageFlags,
    ObjectChange,
    ObjectChangeKind,
    SubscriptionInfo,
)
from etp.protocols import Reply, Request, SessionContext
from etp.protocols.discovery import context_dataspace
from etp.protocols.store import OVERHEAD, chunked
from etp.protocols.store_backend import TypeMatcher, can_read, denied, wire_resource
from etp.protocols.subscriptions import (
    Notification,
    Subscription,
    SubscriptionHandler,
    SubscriptionQueues,
)
from etp.store import Change, ChangeFeed, ChangeKind, ContextScope, RelationshipKind, ResourceQuery
from etp.uri import DataObjectUri, parse_uri

__all__ = ["StoreNotificationCustomer", "StoreNotificationHandler"]


@dataclasses.dataclass
class _Subscription(Subscription):
    context: str
    dataspace: str
    scope: ContextScope
    types: TypeMatcher
    on_object: bool
    members: set[str] = dataclasses.field(default_factory=set)
    """For an object context: the URIs within reach after the last change seen."""

    def reaches_all(self) -> bool:
        """A dataspace context reaches every object of its dataspace (none for ``sources``)."""
        return self.scope is not ContextScope.SOURCES


class StoreNotificationHandler(SubscriptionHandler[_Subscription]):
    """StoreNotification (5) as the store."""

    PROTOCOL = 5
    KIND = ""
    ITEMS = "objects"
    FEED_TASK = "etp-store-notifications"
    END_TASK = "etp-subscription-end"

    async def handle(self, request: Request) -> Reply:
        match request.message:
            case msg.SubscribeNotifications(request=wanted):
                return await self._subscribe(wanted)
            case msg.UnsubscribeNotifications(request_uuid=request_uuid):
                return self._unsubscribe(request_uuid)
        return await super().handle(request)

    def _response(self, success: Mapping[str, str]) -> Message:
        return msg.SubscribeNotificationsResponse(success=success)

    def _ended(self, reason: str, request_uuid: uuid.UUID) -> Message:
        return msg.SubscriptionEnded(reason=reason, request_uuid=request_uuid)

    async def _new_subscription(self, info: SubscriptionInfo) -> _Subscription:
        dataspace = context_dataspace(info.context.uri)
        if not can_read(self.session.identity, dataspace):
            raise denied("read", dataspace)
        context = parse_uri(info.context.uri)
        on_object = isinstance(context, DataObjectUri)
        sub = _Subscription(
            info=info,
            context=str(context.canonical if isinstance(context, DataObjectUri) else dataspace),
            dataspace=dataspace,
            scope=ContextScope(info.scope.value),
            types=TypeMatcher(info.context.data_object_types),
            on_object=on_object,
        )
        if on_object:
            sub.members = await self._reach(sub)
        else:  # ENOT_FOUND for a dataspace that does not exist
            await self.backend.store.get_resources(ResourceQuery(uri=dataspace, limit=0))
        return sub

    # --- the change feed -----------------------------------------------------------------------

    async def _follow(self, feed: ChangeFeed) -> None:
        try:
            await super()._follow(feed)
        except Exception:  # never let subscriptions die silently
            self.session.log.exception("notifications failed")
            self._end_all("internal error of the store (see its log)")

    def _concerns(self, sub: _Subscription, change: Change) -> bool:
        return sub.dataspace == change.dataspace

    async def _notifications(self, sub: _Subscription, change: Change) -> list[Notification]:
        """What ``sub`` is told of ``change`` (and, if it ends it, the SubscriptionEnded)."""
        if not can_read(self.session.identity, sub.dataspace):
            return self._revoke(sub, change.time)
        was = change.uri in sub.members if sub.on_object else sub.reaches_all()
        deleted_context = change.kind is ChangeKind.DELETE and change.uri == sub.context
        if sub.on_object and change.kind is not ChangeKind.DELETE:
            try:
                sub.members = await self._reach(sub)
            except ProtocolError:  # the context was deleted since: its DELETE change follows
                sub.members = set()
        now = change.uri in sub.members if sub.on_object else sub.reaches_all()
        out: list[Notification] = []
        if sub.types(change.qualified_type) and (was or now):
            out += await self._describe(sub, change, was=was, now=now)
        if deleted_context:
            del self.subscriptions[sub.request_uuid]
            ended = msg.SubscriptionEnded(
                reason=f"the context object {sub.context} was deleted",
                request_uuid=sub.request_uuid,
            )
            out.append((ended, []))
        return out

    async def _describe(
        self, sub: _Subscription, change: Change, *, was: bool, now: bool
    ) -> list[Notification]:
        ruuid = sub.request_uuid
        if change.kind is ChangeKind.DELETE:
            deleted = msg.ObjectDeleted(uri=change.uri, change_time=change.time, request_uuid=ruuid)
            return [(deleted, [])]
        assert change.resource is not None
        resource = wire_resource(change.resource)
        if change.kind is ChangeKind.ACTIVE_STATUS:
            if not now:
                return []
            status = msg.ObjectActiveStatusChanged(
                active_status=ActiveStatusKind(change.resource.active_status.value),
                change_time=change.time,
                resource=resource,
                request_uuid=ruuid,
            )
            return [(status, [])]
        if change.kind is ChangeKind.INSERT:
            kind = ObjectChangeKind.INSERT
        elif was and now:
            kind = ObjectChangeKind.UPDATE
        else:
            kind = (
                ObjectChangeKind.JOINED_SUBSCRIPTION
                if now
                else ObjectChangeKind.UNJOINED_SUBSCRIPTION
            )
        data, parts = b"", list[Message]()
        blob: uuid.UUID | None = None
        if sub.info.include_object_data:
            xml = change.xml
            if xml is None:
                found = await self.backend.store.get_objects([change.uri])
                if change.uri not in found:
                    return []  # deleted since: its ObjectDeleted follows
                xml = found[change.uri].xml
            room = self.session.negotiated.capabilities.max_message_size - OVERHEAD
            if len(xml) + 2 * len(change.uri) <= room:
                data = xml
            else:
                blob, chunks = chunked(xml, room, msg.Chunk)
                parts = list(chunks)
        changed = msg.ObjectChanged(
            change=ObjectChange(
                change_kind=kind,
                change_time=change.time,
                data_object=DataObject(resource=resource, format="xml", blob_id=blob, data=data),
            ),
            request_uuid=ruuid,
        )
        return [(changed, parts)]

    async def _reach(self, sub: _Subscription) -> set[str]:
        """The URIs an object context reaches now (ENOT_FOUND once it is gone)."""
        context = sub.info.context
        page = await self.backend.store.get_resources(
            ResourceQuery(
                uri=sub.context,
                scope=sub.scope,
                depth=context.depth,
                navigable_edges=RelationshipKind(context.navigable_edges.value),
                include_secondary_targets=context.include_secondary_targets,
                include_secondary_sources=context.include_secondary_sources,
            )
        )
        return {r.uri for r in page.resources}

    # --- ending --------------------------------------------------------------------------------

    def _revoke(self, sub: _Subscription, when: int) -> list[Notification]:
        self._drop(sub)
        revoked = msg.ObjectAccessRevoked(
            uri=sub.context, change_time=when, request_uuid=sub.request_uuid
        )
        ended = self._ended(f"access to dataspace {sub.dataspace} was revoked", sub.request_uuid)
        return [(revoked, []), (ended, [])]


# --- customer role ------------------------------------------------------------------------------

_CUSTOMERS: weakref.WeakKeyDictionary[SessionContext, StoreNotificationCustomer] = (
    weakref.WeakKeyDictionary()
)


class StoreNotificationCustomer(SubscriptionQueues):
    """StoreNotification (5) as the customer: the store's notifications, per requestUuid.

    ObjectChanged arrives with its data assembled from Chunk parts (``data_object.blob_id``
    None). :meth:`listen` gives the queue of one subscription's notifications; register it
    before subscribing, since a notification may arrive before the subscription's response.
    """

    PROTOCOL = 5
    KIND = ""

    def __init__(self, session: SessionContext) -> None:
        super().__init__(session)
        self._assembling: dict[int, tuple[msg.ObjectChanged, bytearray]] = {}
        _CUSTOMERS[session] = self

    @staticmethod
    def of(session: SessionContext) -> StoreNotificationCustomer | None:
        """The customer handler of ``session``, if protocol 5 was granted with one."""
        return _CUSTOMERS.get(session)

    async def handle(self, request: Request) -> Reply:
        header, message = request.header, request.message
        if (
            isinstance(message, msg.ObjectChanged)
            and message.change.data_object.blob_id is not None
        ):
            self._assembling[header.message_id] = (message, bytearray())
            return None
        if isinstance(message, msg.Chunk):
            assembling = self._assembling.get(header.correlation_id)
            if assembling is None:
                self.session.log.warning("Chunk of an unknown ObjectChanged: ignored")
                return None
            changed, data = assembling
            data += message.data
            if not (message.final or header.message_flags & MessageFlags.FIN):
                return None
            del self._assembling[header.correlation_id]
            whole = dataclasses.replace(changed.change.data_object, blob_id=None, data=bytes(data))
            message = dataclasses.replace(
                changed, change=dataclasses.replace(changed.change, data_object=whole)
            )
        self._queue(message)
        return None
