"""etp.codec.compressed: gzip an encoded message without encoding its body again."""

from __future__ import annotations

import numpy as np
import pytest

from etp.codec import compressed, decode_message, encode_message
from etp.messages import MessageFlags, MessageHeader
from etp.messages.channel_data_load import ChannelData
from etp.messages.data_items import DataItems
from etp.messages.store import GetDataObjects


def header(protocol: int, message_type: int, flags: int = MessageFlags.FIN) -> MessageHeader:
    return MessageHeader(
        protocol=protocol,
        message_type=message_type,
        correlation_id=7,
        message_id=300,
        message_flags=flags,
    )


@pytest.mark.parametrize(
    ("head", "body"),
    [
        (header(4, 1), GetDataObjects(uris={"a": "eml:///" * 50}, format="xml")),
        (
            header(22, 4, MessageFlags.FIN | MessageFlags.ACKNOWLEDGE),
            ChannelData(data=DataItems(np.arange(500) % 24, np.arange(500) * 0.5, np.ones(500))),
        ),
    ],
)
def test_the_same_bytes_as_encoding_compressed(head: MessageHeader, body: object) -> None:
    raw = encode_message(head, body)  # type: ignore[arg-type]
    packed = compressed(raw)
    assert packed == encode_message(head, body, compress=True)  # type: ignore[arg-type]
    assert len(packed) < len(raw)
    decoded_header, decoded = decode_message(packed)
    assert decoded_header.message_flags == head.message_flags | MessageFlags.COMPRESSED
    assert decoded == decode_message(raw)[1]


def test_the_same_body_under_other_headers() -> None:
    body = ChannelData(data=DataItems(np.arange(200) % 24, np.arange(200) * 0.5, np.ones(200)))
    for message_id in (2, 4, 300_000):  # the second and third reuse the first's gzip
        head = MessageHeader(
            protocol=22, message_type=4, correlation_id=0, message_id=message_id, message_flags=2
        )
        packed = compressed(encode_message(head, body))
        assert packed == encode_message(head, body, compress=True)
        assert decode_message(packed)[0].message_id == message_id
