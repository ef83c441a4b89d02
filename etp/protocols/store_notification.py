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

import asyncio
import dataclasses
import uuid
import weakref
from collections.abc import Mapping
from typing import ClassVar

from etp.errors import (
    EncodeError,
    ErrorCode,
    ProtocolError,
    SendQueueFull,
    SessionError,
    StoreError,
)
from etp.messages import store_notification as msg
from etp.messages.base import Message
from etp.messages.datatypes import (
    ActiveStatusKind,
    DataObject,
    MessageFlags,
    ObjectChange,
    ObjectChangeKind,
    ProtocolCapabilityKind,
    SubscriptionInfo,
)
from etp.protocols import MapResponse, ProtocolHandler, Reply, Request, SessionContext
from etp.protocols.discovery import context_dataspace
from etp.protocols.store import OVERHEAD, chunked
from etp.protocols.store_backend import (
    StoreBackend,
    TypeMatcher,
    can_read,
    denied,
    keyed,
    wire_resource,
)
from etp.store import Change, ChangeFeed, ChangeKind, ContextScope, RelationshipKind, ResourceQuery
from etp.uri import DataObjectUri, parse_uri

__all__ = ["StoreNotificationCustomer", "StoreNotificationHandler"]


@dataclasses.dataclass
class _Subscription:
    info: SubscriptionInfo
    context: str
    dataspace: str
    scope: ContextScope
    types: TypeMatcher
    on_object: bool
    members: set[str] = dataclasses.field(default_factory=set)
    """For an object context: the URIs within reach after the last change seen."""

    @property
    def request_uuid(self) -> uuid.UUID:
        return self.info.request_uuid

    def reaches_all(self) -> bool:
        """A dataspace context reaches every object of its dataspace (none for ``sources``)."""
        return self.scope is not ContextScope.SOURCES


class StoreNotificationHandler(ProtocolHandler):
    """StoreNotification (5) as the store."""

    PROTOCOL = 5
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
            case msg.SubscribeNotifications(request=wanted):
                return await self._subscribe(wanted)
            case msg.UnsubscribeNotifications(request_uuid=request_uuid):
                return self._unsubscribe(request_uuid)
        return await super().handle(request)

    async def close(self) -> None:
        self.subscriptions.clear()
        self._stop_feed()

    # --- requests ------------------------------------------------------------------------------

    async def _subscribe(self, wanted: Mapping[str, SubscriptionInfo]) -> Reply:
        self._start_feed()  # before reading the graph: no change slips in between
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
            msg.SubscribeNotificationsResponse(success=success) if success else None, errors
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
                f"format {info.format!r} is not supported: objects travel as xml",
            )
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

    def _unsubscribe(self, request_uuid: uuid.UUID) -> Reply:
        sub = self.subscriptions.pop(request_uuid, None)
        if sub is None:
            raise ProtocolError(
                ErrorCode.ENOT_FOUND, f"no subscription with requestUuid {request_uuid}"
            )
        if not self.subscriptions:
            self._stop_feed()
        return msg.SubscriptionEnded(
            reason="unsubscribed by the customer", request_uuid=request_uuid
        )

    # --- the change feed -----------------------------------------------------------------------

    def _start_feed(self) -> None:
        if self._feed is None:
            self._feed = self.backend.store.changes()
            self.session.start_task(self._follow(self._feed), name="etp-store-notifications")

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
        except Exception:  # never let subscriptions die silently
            self.session.log.exception("notifications failed")
            self._end_all("internal error of the store (see its log)")

    async def _dispatch(self, change: Change) -> None:
        for sub in list(self.subscriptions.values()):
            if sub.dataspace != change.dataspace or self._feed is None:
                continue
            if sub.request_uuid not in self.subscriptions:
                continue
            if not can_read(self.session.identity, sub.dataspace):
                self._revoke(sub, change.time)
                continue
            try:
                messages = await self._notifications(sub, change)
                for message, parts in messages:
                    self.session.push(message, *parts)
            except SendQueueFull as e:
                self._end_all(f"the customer does not read fast enough: {e.message}")
                return
            except SessionError:
                self._stop_feed()
                return
            except EncodeError as e:
                self.session.log.warning("notification of %s not sent: %s", change.uri, e)

    async def _notifications(
        self, sub: _Subscription, change: Change
    ) -> list[tuple[Message, list[Message]]]:
        """What ``sub`` is told of ``change`` (and, if it ends it, the SubscriptionEnded)."""
        was = change.uri in sub.members if sub.on_object else sub.reaches_all()
        deleted_context = change.kind is ChangeKind.DELETE and change.uri == sub.context
        if sub.on_object and change.kind is not ChangeKind.DELETE:
            try:
                sub.members = await self._reach(sub)
            except ProtocolError:  # the context was deleted since: its DELETE change follows
                sub.members = set()
        now = change.uri in sub.members if sub.on_object else sub.reaches_all()
        out: list[tuple[Message, list[Message]]] = []
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
    ) -> list[tuple[Message, list[Message]]]:
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

    def _revoke(self, sub: _Subscription, when: int) -> None:
        del self.subscriptions[sub.request_uuid]
        revoked = msg.ObjectAccessRevoked(
            uri=sub.context, change_time=when, request_uuid=sub.request_uuid
        )
        ended = msg.SubscriptionEnded(
            reason=f"access to dataspace {sub.dataspace} was revoked",
            request_uuid=sub.request_uuid,
        )
        try:
            self.session.push(revoked)
            self.session.push(ended)
        except SendQueueFull as e:
            self._end_all(f"the customer does not read fast enough: {e.message}")
        except SessionError:
            self._stop_feed()
        if not self.subscriptions:
            self._stop_feed()

    def _end_all(self, reason: str) -> None:
        """End every subscription of the session; the SubscriptionEnded messages wait for room
        in the send queue (a task of this session, so nothing else waits)."""
        ended = list(self.subscriptions)
        self.subscriptions.clear()
        self._stop_feed()
        self.session.log.warning("ending %d subscription(s): %s", len(ended), reason)
        if ended and not self.session.closed:
            self.session.start_task(self._send_ended(ended, reason), name="etp-subscription-end")

    async def _send_ended(self, ended: list[uuid.UUID], reason: str) -> None:
        for request_uuid in ended:
            try:
                await self.session.send(
                    msg.SubscriptionEnded(reason=reason, request_uuid=request_uuid)
                )
            except SessionError:
                return


# --- customer role ------------------------------------------------------------------------------

_CUSTOMERS: weakref.WeakKeyDictionary[SessionContext, StoreNotificationCustomer] = (
    weakref.WeakKeyDictionary()
)


class StoreNotificationCustomer(ProtocolHandler):
    """StoreNotification (5) as the customer: the store's notifications, per requestUuid.

    ObjectChanged arrives with its data assembled from Chunk parts (``data_object.blob_id``
    None). :meth:`listen` gives the queue of one subscription's notifications; register it
    before subscribing, since a notification may arrive before the subscription's response.
    """

    PROTOCOL = 5
    ROLE = "customer"

    def __init__(self, session: SessionContext) -> None:
        super().__init__(session)
        self._queues: dict[uuid.UUID, asyncio.Queue[Message | None]] = {}
        self._assembling: dict[int, tuple[msg.ObjectChanged, bytearray]] = {}
        _CUSTOMERS[session] = self

    @staticmethod
    def of(session: SessionContext) -> StoreNotificationCustomer | None:
        """The customer handler of ``session``, if protocol 5 was granted with one."""
        return _CUSTOMERS.get(session)

    def listen(self, request_uuid: uuid.UUID) -> asyncio.Queue[Message | None]:
        """The queue of the notifications of ``request_uuid`` (None once the session ends)."""
        return self._queues.setdefault(request_uuid, asyncio.Queue())

    def forget(self, request_uuid: uuid.UUID) -> None:
        """Stop queueing notifications of ``request_uuid``."""
        self._queues.pop(request_uuid, None)

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
        request_uuid = getattr(message, "request_uuid", None)
        queue = self._queues.get(request_uuid) if isinstance(request_uuid, uuid.UUID) else None
        if queue is None:
            self.session.log.debug(
                "%s for no listened subscription: dropped", type(message).__name__
            )
            return None
        queue.put_nowait(message)
        return None

    async def close(self) -> None:
        for queue in self._queues.values():
            queue.put_nowait(None)
