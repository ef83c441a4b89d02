"""ETP protocol 2, ChannelDataFrame: its messages.

Row-oriented historical reads of a Log or ChannelSet. Roles: store, customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from uuid import UUID

from etp.messages.base import Message, message
from etp.messages.datatypes import (
    FrameChannelMetadataRecord,
    FrameRow,
    IndexInterval,
    IndexMetadataRecord,
)


@message(2, 1, sender="customer")
class GetFrameMetadata(Message):
    """Customer → store: ask the channel layout of a Log/ChannelSet for frame reads."""

    uri: str
    include_all_channel_secondary_indexes: bool = False


@message(2, 2, sender="store", multipart=True)
class GetFrameMetadataResponse(Message):
    """Answer to GetFrameMetadata: the indexes and channels of the frame."""

    uri: str
    indexes: Sequence[IndexMetadataRecord]
    channels: Sequence[FrameChannelMetadataRecord]


@message(2, 3, sender="customer")
class GetFrame(Message):
    """Customer → store: read rows of a frame in an index interval."""

    uri: str
    include_all_channel_secondary_indexes: bool = False
    requested_interval: IndexInterval
    request_uuid: UUID
    requested_secondary_intervals: Sequence[IndexInterval] = field(default_factory=list)


@message(2, 4, sender="store", multipart=True)
class GetFrameResponseHeader(Message):
    """First part of the answer to GetFrame: channel URIs and indexes of the rows that follow."""

    channel_uris: Sequence[str]
    indexes: Sequence[IndexMetadataRecord]


@message(2, 5, sender="customer")
class CancelGetFrame(Message):
    """Customer → store: cancel a GetFrame."""

    request_uuid: UUID


@message(2, 6, sender="store", multipart=True)
class GetFrameResponseRows(Message):
    """Rows answering GetFrame."""

    frame: Sequence[FrameRow]
