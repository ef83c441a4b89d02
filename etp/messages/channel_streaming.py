"""ETP protocol 1, ChannelStreaming: its messages.

A simple streamer pushes everything it has; no per-channel subscription. Roles: producer,
consumer.
"""

from __future__ import annotations

from collections.abc import Sequence

from etp.messages.base import Message, message
from etp.messages.datatypes import ChannelMetadataRecord, DataItem, TruncateInfo


@message(1, 1, sender="producer")
class ChannelMetadata(Message):
    """Producer → consumer: the channels it will stream, with their session ids."""

    channels: Sequence[ChannelMetadataRecord]


@message(1, 2, sender="producer")
class ChannelData(Message):
    """Producer → consumer: streamed data points."""

    data: Sequence[DataItem]


@message(1, 3, sender="consumer")
class StartStreaming(Message):
    """Consumer → producer: start streaming."""


@message(1, 4, sender="consumer")
class StopStreaming(Message):
    """Consumer → producer: stop streaming."""


@message(1, 5, sender="producer")
class TruncateChannels(Message):
    """Producer → consumer: these channels' end indexes moved back."""

    channels: Sequence[TruncateInfo]
