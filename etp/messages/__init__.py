"""Typed ETP 1.2 messages: one module per protocol, their datatypes, and the message registry.

Every message and datatype is a frozen, slotted, keyword-only dataclass with snake_case fields;
enums are ``StrEnum``s. A message class knows its place in the protocol::

    from etp.messages import channel_subscribe

    channel_subscribe.ChannelData.PROTOCOL      # 21
    channel_subscribe.ChannelData.MESSAGE_TYPE  # 4
    channel_subscribe.ChannelData.AVRO_NAME     # 'Energistics.Etp.v12.Protocol.ChannelSubscribe...'
    channel_subscribe.ChannelData.SENDER        # 'store'
    channel_subscribe.ChannelData.MULTIPART     # False
    message_class(21, 4)                        # channel_subscribe.ChannelData

``DataValue`` and ``IndexValue`` are plain Python values (``3.5``, ``7``, ``"text"``, ``None``,
``numpy.float32(1.5)``...); see :mod:`etp.messages.datatypes`. Arrays of DataItem may be given as
:class:`DataItems` columns (numpy), the codec's fast path. Encoding: :mod:`etp.codec`.
"""

from etp.messages import (
    channel_data_frame,
    channel_data_load,
    channel_streaming,
    channel_subscribe,
    core,
    data_array,
    dataspace,
    datatypes,
    discovery,
    discovery_query,
    growing_object,
    growing_object_notification,
    growing_object_query,
    store,
    store_notification,
    store_query,
    supported_types,
    transaction,
    witsml_soap,
)
from etp.messages.base import MESSAGES, Message, Record, avro_schema, message_class
from etp.messages.data_items import DataItems
from etp.messages.datatypes import DataItem, DataValue, IndexValue, MessageFlags, MessageHeader

__all__ = [
    "MESSAGES",
    "DataItem",
    "DataItems",
    "DataValue",
    "IndexValue",
    "Message",
    "MessageFlags",
    "MessageHeader",
    "Record",
    "avro_schema",
    "channel_data_frame",
    "channel_data_load",
    "channel_streaming",
    "channel_subscribe",
    "core",
    "data_array",
    "dataspace",
    "datatypes",
    "discovery",
    "discovery_query",
    "growing_object",
    "growing_object_notification",
    "growing_object_query",
    "message_class",
    "store",
    "store_notification",
    "store_query",
    "supported_types",
    "transaction",
    "witsml_soap",
]
