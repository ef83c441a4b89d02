"""ETP protocol 21, ChannelSubscribe: its messages.

Read channel data from a store: metadata, subscriptions, streamed points, ranges, changes.
Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from uuid import UUID

from etp.messages.base import Message, message
from etp.messages.datatypes import (
    ChangeResponseInfo,
    ChannelChangeRequestInfo,
    ChannelMetadataRecord,
    ChannelRangeInfo,
    ChannelSubscribeInfo,
    DataItem,
    IndexInterval,
    TruncateInfo,
)


@message(21, 1, sender="customer")
class GetChannelMetadata(Message):
    """Customer → store: get the metadata (and session ids) of channels by URI."""

    uris: Mapping[str, str]


@message(21, 2, sender="store", multipart=True)
class GetChannelMetadataResponse(Message):
    """Answer to GetChannelMetadata."""

    metadata: Mapping[str, ChannelMetadataRecord] = field(default_factory=dict)


@message(21, 3, sender="customer")
class SubscribeChannels(Message):
    """Customer → store: subscribe to channels' data."""

    channels: Mapping[str, ChannelSubscribeInfo]


@message(21, 4, sender="store")
class ChannelData(Message):
    """Store → customer: subscribed data points (not a response: correlation id 0)."""

    data: Sequence[DataItem]


@message(21, 6, sender="store", multipart=True)
class RangeReplaced(Message):
    """Store → customer: data in an index interval of subscribed channels was replaced."""

    change_time: int
    channel_ids: Sequence[int]
    changed_interval: IndexInterval
    data: Sequence[DataItem]


@message(21, 7, sender="customer")
class UnsubscribeChannels(Message):
    """Customer → store: stop subscriptions."""

    channel_ids: Mapping[str, int]


@message(21, 8, sender="store", multipart=True)
class SubscriptionsStopped(Message):
    """Store → customer: subscriptions stopped (answer to UnsubscribeChannels, or unsolicited)."""

    reason: str
    channel_ids: Mapping[str, int] = field(default_factory=dict)


@message(21, 9, sender="customer")
class GetRanges(Message):
    """Customer → store: read historical data in index ranges."""

    request_uuid: UUID
    channel_ranges: Sequence[ChannelRangeInfo]


@message(21, 10, sender="store", multipart=True)
class GetRangesResponse(Message):
    """Answer to GetRanges."""

    data: Sequence[DataItem] = field(default_factory=list)


@message(21, 11, sender="customer")
class CancelGetRanges(Message):
    """Customer → store: cancel a GetRanges."""

    request_uuid: UUID


@message(21, 12, sender="store", multipart=True)
class SubscribeChannelsResponse(Message):
    """Answer to SubscribeChannels."""

    success: Mapping[str, str]


@message(21, 13, sender="store")
class ChannelsTruncated(Message):
    """Store → customer: subscribed channels' end indexes moved back."""

    channels: Sequence[TruncateInfo]
    change_time: int


@message(21, 14, sender="customer")
class GetChangeAnnotations(Message):
    """Customer → store: which index intervals of channels changed since a time."""

    channels: Mapping[str, ChannelChangeRequestInfo]
    latest_only: bool = False


@message(21, 15, sender="store", multipart=True)
class GetChangeAnnotationsResponse(Message):
    """Answer to GetChangeAnnotations."""

    changes: Mapping[str, ChangeResponseInfo]
