"""What StoreNotification (5) and GrowingObjectNotification (7) share in both roles.

Store role (:class:`SubscriptionHandler`): a session's subscriptions, each made per key of the
request map, and the store's change feed, followed while the session has any.

Customer role (:class:`SubscriptionQueues`): the store's notifications queued per requestUuid.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import ClassVar, Generic, TypeAlias, TypeVar

from etp.errors import (
    EncodeError,
    ErrorCode,
    ProtocolError,
    SendQueueFull,
    SessionError,
    StoreError,
)
from etp.messages.base import Message
from etp.messages.datatypes import ProtocolCapabilityKind, SubscriptionInfo
from etp.protocols import MapResponse, ProtocolHandler, Reply, SessionContext
from etp.protocols.store_backend import StoreBackend, keyed
from etp.store import Change, ChangeFeed

__all__ = ["Notification", "Subscription", "SubscriptionHandler", "SubscriptionQueues"]


@dataclasses.dataclass
class Subscription:
    """One subscription of a session, as the customer asked for it."""

    info: SubscriptionInfo

    @property
    def request_uuid(self) -> uuid.UUID:
        """The requestUuid that names the subscription."""
        return self.info.request_uuid


S = TypeVar("S", bound=Subscription)

Notification: TypeAlias = tuple[Message, Sequence[Message]]
"""A message to push and the parts that follow it (a multipart notification)."""


class SubscriptionHandler(ProtocolHandler, abc.ABC, Generic[S]):
    """The store role of a notification protocol: checks and keeps the session's
    subscriptions, follows the store's change feed while there is any and pushes what each
    subscription is told of a change; ends them all when the session does not read fast enough.
    """

    ROLE = "store"
    LIMITS: ClassVar[tuple[ProtocolCapabilityKind, ...]] = (
        ProtocolCapabilityKind.MAX_SUBSCRIPTION_SESSION_COUNT,
    )
    KIND: ClassVar[str]
    """Qualifies "subscription" and "notification" in error messages and logs (``"part "``)."""
    ITEMS: ClassVar[str]
    """What travels as xml, for the error about another format (``"objects"``)."""
    FEED_TASK: ClassVar[str]
    """Name of the session task that follows the change feed."""
    END_TASK: ClassVar[str]
    """Name of the session task that sends the ends of :meth:`_end_all`."""

    def __init__(self, session: SessionContext, backend: StoreBackend) -> None:
        super().__init__(session)
        self.backend = backend
        self.subscriptions: dict[uuid.UUID, S] = {}
        self._feed: ChangeFeed | None = None

    async def close(self) -> None:
        self.subscriptions.clear()
        self._stop_feed()

    # --- what each protocol says ---------------------------------------------------------------

    @abc.abstractmethod
    async def _new_subscription(self, info: SubscriptionInfo) -> S:
        """The subscription ``info`` asks for, once :meth:`_check_new` let it through."""

    @abc.abstractmethod
    def _response(self, success: Mapping[str, str]) -> Message:
        """The response to a subscribe request with the keys that succeeded."""

    @abc.abstractmethod
    def _ended(self, reason: str, request_uuid: uuid.UUID) -> Message:
        """The message that tells the customer a subscription ended."""

    @abc.abstractmethod
    def _concerns(self, sub: S, change: Change) -> bool:
        """Whether ``change`` may matter to ``sub`` (cheap: no store access)."""

    @abc.abstractmethod
    async def _notifications(self, sub: S, change: Change) -> list[Notification]:
        """What ``sub`` is told of ``change``, ending ``sub`` if need be."""

    # --- requests ------------------------------------------------------------------------------

    async def _subscribe(self, wanted: Mapping[str, SubscriptionInfo]) -> Reply:
        self._start_feed()  # before reading what subscriptions start from: no change slips in
        success: dict[str, str] = {}
        errors: dict[str, ProtocolError] = {}
        for key, info in wanted.items():
            try:
                with keyed(key):
                    self._check_new(info)
                    sub = await self._new_subscription(info)
                self.subscriptions[sub.request_uuid] = sub
                success[key] = ""
            except ProtocolError as e:
                errors[key] = e
        if not self.subscriptions:
            self._stop_feed()
        return MapResponse(self._response(success) if success else None, errors)

    def _check_new(self, info: SubscriptionInfo) -> None:
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
                f"format {info.format!r} is not supported: {self.ITEMS} travel as xml",
            )

    def _unsubscribe(self, request_uuid: uuid.UUID) -> Reply:
        sub = self.subscriptions.get(request_uuid)
        if sub is None:
            raise ProtocolError(
                ErrorCode.ENOT_FOUND,
                f"no {self.KIND}subscription with requestUuid {request_uuid}",
            )
        self._drop(sub)
        return self._ended("unsubscribed by the customer", request_uuid)

    # --- the change feed -----------------------------------------------------------------------

    def _start_feed(self) -> None:
        if self._feed is None:
            self._feed = self.backend.store.changes()
            self.session.start_task(self._follow(self._feed), name=self.FEED_TASK)

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
        for sub in [s for s in self.subscriptions.values() if self._concerns(s, change)]:
            if self._feed is None or sub.request_uuid not in self.subscriptions:
                continue
            try:
                for message, parts in await self._notifications(sub, change):
                    self.session.push(message, *parts)
            except SendQueueFull as e:
                self._end_all(f"the customer does not read fast enough: {e.message}")
                return
            except SessionError:
                self._stop_feed()
                return
            except EncodeError as e:
                self.session.log.warning(
                    "%snotification of %s not sent: %s", self.KIND, change.uri, e
                )

    # --- ending --------------------------------------------------------------------------------

    def _drop(self, sub: S) -> None:
        """Forget ``sub``, and stop following the feed if it was the last."""
        del self.subscriptions[sub.request_uuid]
        if not self.subscriptions:
            self._stop_feed()

    def _end_all(self, reason: str) -> None:
        """End every subscription of the session; the messages saying so wait for room in the
        send queue (a task of this session, so nothing else waits)."""
        ended = list(self.subscriptions)
        self.subscriptions.clear()
        self._stop_feed()
        self.session.log.warning("ending %d %ssubscription(s): %s", len(ended), self.KIND, reason)
        if ended and not self.session.closed:
            self.session.start_task(self._send_ended(ended, reason), name=self.END_TASK)

    async def _send_ended(self, ended: list[uuid.UUID], reason: str) -> None:
        for request_uuid in ended:
            try:
                await self.session.send(self._ended(reason, request_uuid))
            except SessionError:
                return


class SubscriptionQueues(ProtocolHandler):
    """The customer role of a notification protocol: the store's notifications, queued per
    requestUuid. :meth:`listen` gives the queue of one subscription's notifications; register it
    before subscribing, since a notification may arrive before the subscription's response."""

    ROLE = "customer"
    KIND: ClassVar[str]
    """Qualifies "subscription" in logs (``"part "``)."""

    def __init__(self, session: SessionContext) -> None:
        super().__init__(session)
        self._queues: dict[uuid.UUID, asyncio.Queue[Message | None]] = {}

    def listen(self, request_uuid: uuid.UUID) -> asyncio.Queue[Message | None]:
        """The queue of the notifications of ``request_uuid`` (None once the session ends)."""
        return self._queues.setdefault(request_uuid, asyncio.Queue())

    def forget(self, request_uuid: uuid.UUID) -> None:
        """Stop queueing notifications of ``request_uuid``."""
        self._queues.pop(request_uuid, None)

    def _queue(self, message: Message) -> None:
        """Queue ``message`` for the listener of its requestUuid, if any."""
        request_uuid = getattr(message, "request_uuid", None)
        queue = self._queues.get(request_uuid) if isinstance(request_uuid, uuid.UUID) else None
        if queue is None:
            self.session.log.debug(
                "%s for no listened %ssubscription: dropped", type(message).__name__, self.KIND
            )
            return
        queue.put_nowait(message)

    async def close(self) -> None:
        for queue in self._queues.values():
            queue.put_nowait(None)
