"""ETP protocol 22, ChannelDataLoad: its messages.

Push channel data into a store. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field

from etp.messages.base import Message, message
from etp.messages.datatypes import DataItem, IndexInterval, OpenChannelInfo, TruncateInfo


@message(22, 1, sender="customer")
class OpenChannels(Message):
    """Customer → store: open channels for loading data."""

    uris: Mapping[str, str]


@message(22, 2, sender="store", multipart=True)
class OpenChannelsResponse(Message):
    """Answer to OpenChannels: each channel's metadata with its session id and current range."""

    channels: Mapping[str, OpenChannelInfo] = field(default_factory=dict)


@message(22, 3, sender="customer")
class CloseChannels(Message):
    """Customer → store: close channels opened for loading."""

    id: Mapping[str, int]


@message(22, 4, sender="customer")
class ChannelData(Message):
    """Customer → store: data points to append to open channels."""

    data: Sequence[DataItem]


@message(22, 6, sender="customer", multipart=True)
class ReplaceRange(Message):
    """Customer → store: replace the data in an index interval of channels."""

    changed_interval: IndexInterval
    channel_ids: Sequence[int]
    data: Sequence[DataItem]


@message(22, 7, sender="store", multipart=True)
class ChannelsClosed(Message):
    """Store → customer: channels closed (answer to CloseChannels, or unsolicited)."""

    reason: str
    id: Mapping[str, int]


@message(22, 8, sender="store")
class ReplaceRangeResponse(Message):
    """Answer to ReplaceRange."""

    channel_change_time: int


@message(22, 9, sender="customer")
class TruncateChannels(Message):
    """Customer → store: move channels' end indexes back."""

    channels: Mapping[str, TruncateInfo]


@message(22, 10, sender="store", multipart=True)
class TruncateChannelsResponse(Message):
    """Answer to TruncateChannels."""

    channels_truncated_time: Mapping[str, int]
