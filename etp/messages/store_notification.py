"""ETP protocol 5, StoreNotification: its messages.

Subscribe to data object changes. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from etp.messages.base import Message, message
from etp.messages.datatypes import ActiveStatusKind, ObjectChange, Resource, SubscriptionInfo


@message(5, 2, sender="store", multipart=True)
class ObjectChanged(Message):
    """Store → customer: a data object in a subscription was inserted or updated."""

    change: ObjectChange
    request_uuid: UUID


@message(5, 3, sender="store")
class ObjectDeleted(Message):
    """Store → customer: a data object in a subscription was deleted."""

    uri: str
    change_time: int
    request_uuid: UUID


@message(5, 4, sender="customer")
class UnsubscribeNotifications(Message):
    """Customer → store: end a notification subscription."""

    request_uuid: UUID


@message(5, 5, sender="store")
class ObjectAccessRevoked(Message):
    """Store → customer: the customer may no longer access a data object."""

    uri: str
    change_time: int
    request_uuid: UUID


@message(5, 6, sender="customer")
class SubscribeNotifications(Message):
    """Customer → store: subscribe to changes of data objects."""

    request: Mapping[str, SubscriptionInfo]


@message(5, 7, sender="store")
class SubscriptionEnded(Message):
    """Store → customer: a subscription ended (answers UnsubscribeNotifications, or unsolicited)."""

    reason: str
    request_uuid: UUID


@message(5, 8, sender="store")
class UnsolicitedStoreNotifications(Message):
    """Store → customer: subscriptions the store made for this customer without a request."""

    subscriptions: Sequence[SubscriptionInfo]


@message(5, 9, sender="store", multipart=True)
class Chunk(Message):
    """A piece of a large data object's bytes, following ObjectChanged."""

    blob_id: UUID
    data: bytes
    final: bool


@message(5, 10, sender="store", multipart=True)
class SubscribeNotificationsResponse(Message):
    """Answer to SubscribeNotifications."""

    success: Mapping[str, str]


@message(5, 11, sender="store")
class ObjectActiveStatusChanged(Message):
    """Store → customer: a data object became active or inactive."""

    active_status: ActiveStatusKind
    change_time: int
    resource: Resource
    request_uuid: UUID
