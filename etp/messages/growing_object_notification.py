"""ETP protocol 7, GrowingObjectNotification: its messages.

Subscribe to part changes of growing data objects. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from etp.messages.base import Message, message
from etp.messages.datatypes import IndexInterval, ObjectChangeKind, ObjectPart, SubscriptionInfo


@message(7, 2, sender="store")
class PartsChanged(Message):
    """Store → customer: parts of a subscribed growing data object were added or changed."""

    uri: str
    request_uuid: UUID
    change_kind: ObjectChangeKind
    change_time: int
    format: str = ""
    parts: Sequence[ObjectPart]


@message(7, 3, sender="store")
class PartsDeleted(Message):
    """Store → customer: parts of a subscribed growing data object were deleted."""

    uri: str
    request_uuid: UUID
    change_time: int
    uids: Sequence[str]


@message(7, 4, sender="customer")
class UnsubscribePartNotification(Message):
    """Customer → store: end a part subscription."""

    request_uuid: UUID


@message(7, 6, sender="store", multipart=True)
class PartsReplacedByRange(Message):
    """Store → customer: the parts in an index interval were replaced."""

    uri: str
    request_uuid: UUID
    change_time: int
    deleted_interval: IndexInterval
    include_overlapping_intervals: bool
    format: str = ""
    parts: Sequence[ObjectPart]


@message(7, 7, sender="customer")
class SubscribePartNotifications(Message):
    """Customer → store: subscribe to part changes of growing data objects."""

    request: Mapping[str, SubscriptionInfo]


@message(7, 8, sender="store")
class PartSubscriptionEnded(Message):
    """Store → customer: a part subscription ended."""

    reason: str
    request_uuid: UUID


@message(7, 9, sender="store")
class UnsolicitedPartNotifications(Message):
    """Store → customer: part subscriptions the store made without a request."""

    subscriptions: Sequence[SubscriptionInfo]


@message(7, 10, sender="store", multipart=True)
class SubscribePartNotificationsResponse(Message):
    """Answer to SubscribePartNotifications."""

    success: Mapping[str, str]
