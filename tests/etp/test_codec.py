"""etp.codec: framing, union branches, compression, and errors on bad or hostile input."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from etp.codec import (
    INFLATE_RATIO,
    decode_header,
    decode_message,
    decode_record,
    encode_message,
    encode_record,
    may_compress,
)
from etp.errors import DecodeError, EncodeError, MessageTooLarge
from etp.messages import MessageFlags, MessageHeader, core, store
from etp.messages.channel_subscribe import ChannelData, GetChannelMetadata, GetRanges
from etp.messages.datatypes import ActiveStatusKind as Status
from etp.messages.datatypes import (
    AnySparseArray,
    AnySubarray,
    ArrayOfBoolean,
    ArrayOfDouble,
    ArrayOfFloat,
    ArrayOfInt,
    ArrayOfLong,
    ArrayOfNullableInt,
    ArrayOfString,
    ChannelRangeInfo,
    DataAttribute,
    DataItem,
    DataObject,
    ErrorInfo,
    IndexInterval,
    MessageHeaderExtension,
    PassDirection,
    PassIndexedDepth,
    Resource,
    TruncateInfo,
)


def header(
    protocol: int, message_type: int, flags: int = MessageFlags.FIN, **kw: Any
) -> MessageHeader:
    return MessageHeader(
        protocol=protocol,
        message_type=message_type,
        correlation_id=kw.get("correlation_id", 0),
        message_id=kw.get("message_id", 2),
        message_flags=flags,
    )


def varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def resource(uri: str = "eml:///witsml20.Well(1)") -> Resource:
    return Resource(
        uri=uri,
        name="w",
        last_changed=1,
        store_last_write=2,
        store_created=3,
        active_status=Status.ACTIVE,
    )


# --- framing --------------------------------------------------------------------------------------


def test_header_bytes_are_zigzag_varints() -> None:
    data = encode_message(header(0, 8), core.Ping(current_date_time=1))
    assert data == bytes([0x00, 0x10, 0x00, 0x04, 0x04, 0x02])
    assert decode_header(data) == header(0, 8)
    assert decode_message(data) == (header(0, 8), core.Ping(current_date_time=1))


def test_header_must_match_the_body() -> None:
    with pytest.raises(EncodeError, match=r"body is .*Ping"):
        encode_message(header(0, 9), core.Ping(current_date_time=1))
    with pytest.raises(EncodeError, match="body is"):
        encode_message(header(3, 8), core.Ping(current_date_time=1))
    # ProtocolException and Acknowledge use the protocol of the message they answer
    for protocol in (0, 4, 21, 2400):
        data = encode_message(header(protocol, 1001), core.Acknowledge())
        assert decode_message(data)[1] == core.Acknowledge()
    with pytest.raises(EncodeError, match="not an ETP message"):
        encode_message(header(0, 8), ErrorInfo(message="x", code=1))  # type: ignore[arg-type]


def test_header_field_errors_are_named() -> None:
    bad = MessageHeader(
        protocol=0, message_type=8, correlation_id=0, message_id="2", message_flags=2
    )  # type: ignore[arg-type]
    with pytest.raises(EncodeError, match=r"MessageHeader\.messageId"):
        encode_message(bad, core.Ping(current_date_time=1))


def test_uuid_is_16_raw_bytes() -> None:
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = encode_record(store.Chunk(blob_id=u, data=b"xy", final=True))
    assert data == u.bytes + b"\x04xy\x01"
    assert decode_record(store.Chunk, data).blob_id == u


def test_nullable_fields() -> None:
    for blob in (None, uuid.uuid4()):
        value = DataObject(resource=resource(), blob_id=blob, data=b"<x/>")
        assert decode_record(DataObject, encode_record(value)) == value


# --- union branches: chosen by the Python type, and decoded as that type ------------------------

VALUES = [
    (None, 0, type(None)),
    (True, 1, bool),
    (np.bool_(False), 1, bool),
    (np.int32(-7), 2, np.int32),
    (np.int16(3), 2, np.int32),
    (7, 3, int),
    (2**40, 3, int),
    (np.int64(5), 3, int),
    (np.float32(1.5), 4, np.float32),
    (1.5, 5, float),
    (np.float64(2.5), 5, float),
    ("text", 6, str),
    (ArrayOfBoolean(values=[True, False]), 7, ArrayOfBoolean),
    (ArrayOfNullableInt(values=[1, None]), 10, ArrayOfNullableInt),
    (ArrayOfInt(values=[1, -2]), 9, ArrayOfInt),
    (ArrayOfLong(values=[2**40]), 11, ArrayOfLong),
    (ArrayOfFloat(values=[1.5]), 13, ArrayOfFloat),
    (ArrayOfDouble(values=[1.0, 2.0]), 14, ArrayOfDouble),
    (ArrayOfDouble(values=[1, 2]), 14, ArrayOfDouble),  # ints in a double array stay doubles
    (ArrayOfString(values=["a"]), 15, ArrayOfString),
    (b"raw", 17, bytes),
    (
        AnySparseArray(slices=[AnySubarray(start=3, slice=ArrayOfDouble(values=[1.0]))]),
        18,
        AnySparseArray,
    ),
    (np.array([1.0, 2.0]), 14, ArrayOfDouble),
    (np.array([1.0], np.float32), 13, ArrayOfFloat),
    (np.array([1, 2], np.int32), 9, ArrayOfInt),
    (np.array([1, 2], np.int64), 11, ArrayOfLong),
    (np.array([True]), 7, ArrayOfBoolean),
    (np.array(["a", "b"]), 15, ArrayOfString),
]


@pytest.mark.parametrize(("value", "branch", "decoded_type"), VALUES)
def test_data_value_branch(value: Any, branch: int, decoded_type: type) -> None:
    data = encode_record(DataAttribute(attribute_id=0, attribute_value=value))
    assert data[1] == branch * 2  # attribute id 0, then the zig-zag branch index
    back = decode_record(DataAttribute, data).attribute_value
    assert type(back) is decoded_type
    if isinstance(value, np.ndarray):
        assert list(back.values) == value.tolist()
    else:
        assert back == value
    assert encode_record(DataAttribute(attribute_id=0, attribute_value=back)) == data


def test_doubles_are_never_narrowed() -> None:
    precise = 0.1 + 0.2
    for value in (precise, ArrayOfDouble(values=[precise]), np.array([precise])):
        back = decode_record(
            DataAttribute, encode_record(DataAttribute(attribute_id=0, attribute_value=value))
        )
        got = back.attribute_value
        assert (got if isinstance(got, float) else got.values[0]) == precise


@pytest.mark.parametrize(
    ("index", "branch", "decoded_type"),
    [
        (None, 0, type(None)),
        (1_700_000_000_000_000, 1, int),
        (np.int32(5), 1, int),
        (12.5, 2, float),
        (np.float32(0.5), 2, float),
        (PassIndexedDepth(pass_=1, direction=PassDirection.DOWN, depth=3.0), 3, PassIndexedDepth),
    ],
)
def test_index_value_branch(index: Any, branch: int, decoded_type: type) -> None:
    data = encode_record(TruncateInfo(channel_id=0, new_end_index=index))
    assert data[1] == branch * 2
    back = decode_record(TruncateInfo, data).new_end_index
    assert type(back) is decoded_type
    assert back == index


def test_enums_travel_as_ordinals_and_accept_their_symbols() -> None:
    value = IndexInterval(start_index=1.0, end_index=2.0, uom="m")
    assert decode_record(IndexInterval, encode_record(value)) == value
    data = encode_record(
        TruncateInfo(
            channel_id=1,
            new_end_index=PassIndexedDepth(pass_=0, direction=PassDirection.DOWN, depth=1.0),
        )
    )
    assert data[3] == 4  # Down is the third symbol
    assert encode_record(PassIndexedDepth(pass_=0, direction="Down", depth=1.0)) == data[2:]  # type: ignore[arg-type]


# --- encode errors name the field -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (
            ChannelData(
                data=[
                    DataItem(channel_id=1, indexes=[1.0], value=1.0),
                    DataItem(channel_id="x", indexes=[1.0], value=1.0),
                ]
            ),  # type: ignore[arg-type]
            r"ChannelData\.data\[1\]\.channelId: expected long, got str 'x'",
        ),
        (
            ChannelData(data=[DataItem(channel_id=2**63, indexes=[], value=None)]),
            r"\.channelId: invalid long",
        ),
        (
            ChannelData(data=[DataItem(channel_id=1, indexes=[], value={})]),
            r"\.value: .*DataValue cannot hold dict",
        ),  # type: ignore[arg-type]
        (
            ChannelData(data=[DataItem(channel_id=1, indexes=["1"], value=1)]),
            r"\.indexes\[0\]: .*IndexValue cannot hold str",
        ),  # type: ignore[list-item]
        (
            ChannelData(data=[DataItem(channel_id=1, indexes=[True], value=1)]),
            r"\.indexes\[0\]: .*IndexValue cannot hold bool",
        ),
        (
            ChannelData(data=[DataItem(channel_id=1, indexes=[], value=np.zeros((2, 2)))]),
            r"2-D numpy array",
        ),
        (ChannelData(data="abc"), r"ChannelData\.data: expected array<DataItem>, got str"),  # type: ignore[arg-type]
        (GetChannelMetadata(uris={1: "x"}), r"GetChannelMetadata\.uris\[1\]: expected string key"),  # type: ignore[dict-item]
        (
            GetChannelMetadata(uris={"a": b"x"}),
            r"GetChannelMetadata\.uris\['a'\]: expected string, got bytes",
        ),  # type: ignore[dict-item]
        (core.CloseSession(reason=None), r"CloseSession\.reason: expected string, got NoneType"),  # type: ignore[arg-type]
        (core.AuthorizeResponse(success=1, challenges=[]), r"\.success: expected boolean, got int"),  # type: ignore[arg-type]
        (
            core.ProtocolException(error=ErrorInfo(message="x", code=2**31)),
            r"\.error\.code: invalid int",
        ),
        (core.ProtocolException(error="oops"), r"\.error: expected ErrorInfo or None, got str"),  # type: ignore[arg-type]
        (GetRanges(request_uuid="u", channel_ranges=[]), r"\.requestUuid: expected Uuid"),  # type: ignore[arg-type]
        (
            GetRanges(
                request_uuid=uuid.uuid4(),
                channel_ranges=[ChannelRangeInfo(channel_ids=[1], interval=None)],
            ),  # type: ignore[arg-type]
            r"\.channelRanges\[0\]\.interval: expected IndexInterval, got NoneType",
        ),
        (
            ChannelData(
                data=[DataItem(channel_id=1, indexes=[], value=ArrayOfFloat(values=[1e300]))]
            ),
            r"\.value\.values\[0\]: invalid float",
        ),
        (
            ChannelData(
                data=[DataItem(channel_id=1, indexes=[], value=ArrayOfDouble(values=[1.0, "x"]))]
            ),  # type: ignore[list-item]
            r"\.value\.values\[1\]: expected double, got str",
        ),
    ],
)
def test_encode_errors_name_the_field(body: Any, match: str) -> None:
    with pytest.raises(EncodeError, match=match):
        encode_message(header(body.PROTOCOL, body.MESSAGE_TYPE), body)


# --- compression ------------------------------------------------------------------------------


def test_compression_when_negotiated_and_allowed() -> None:
    body = store.GetDataObjectsResponse(
        data_objects={"a": DataObject(resource=resource(), blob_id=None, data=b"<x/>" * 500)}
    )
    plain = encode_message(header(4, 4), body)
    packed = encode_message(header(4, 4), body, compress=True)
    assert decode_header(packed).message_flags == MessageFlags.FIN | MessageFlags.COMPRESSED
    assert len(packed) < len(plain) / 5
    assert gzip.decompress(packed[5:]) == plain[5:]
    assert decode_message(packed) == (
        header(4, 4, MessageFlags.FIN | MessageFlags.COMPRESSED),
        body,
    )
    # the same message always compresses to the same bytes
    assert encode_message(header(4, 4), body, compress=True) == packed


@pytest.mark.parametrize(
    ("head", "body"),
    [
        (header(0, 8), core.Ping(current_date_time=5)),
        (header(0, 5), core.CloseSession(reason="bye")),
        (header(4, 1000), core.ProtocolException(error=ErrorInfo(message="no", code=11))),
        (header(21, 1001), core.Acknowledge()),
    ],
)
def test_never_compressed(head: MessageHeader, body: Any) -> None:
    assert not may_compress(head)
    data = encode_message(head, body, compress=True)
    assert data == encode_message(head, body)
    assert not decode_header(data).message_flags & MessageFlags.COMPRESSED


def test_stale_compressed_flag_is_cleared() -> None:
    head = header(24, 1, MessageFlags.FIN | MessageFlags.COMPRESSED)
    from etp.messages.dataspace import GetDataspaces

    data = encode_message(head, GetDataspaces(store_last_write_filter=None))
    assert decode_header(data).message_flags == MessageFlags.FIN
    assert decode_message(data)[1] == GetDataspaces(store_last_write_filter=None)


def compressed_frame(protocol: int, message_type: int, payload: bytes) -> bytes:
    flags = MessageFlags.FIN | MessageFlags.COMPRESSED
    return bytes([protocol * 2, message_type * 2, 0, 4, flags * 2]) + payload


def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = bomb.compress(b"\0" * (200 * 2**20)) + bomb.flush()  # 200 MiB of zeros in ~200 kB
    frame = compressed_frame(4, 9, payload)
    tracemalloc.start()
    try:
        with pytest.raises(MessageTooLarge, match="inflates to more than"):
            decode_message(frame, max_size=300_000)  # inflated: at most INFLATE_RATIO times it
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20
    with pytest.raises(MessageTooLarge):
        decode_message(frame)  # the default limit applies too


def test_size_limits() -> None:
    body = core.CloseSession(reason="x" * 100)
    data = encode_message(header(0, 5), body)
    assert decode_message(data, max_size=len(data))[1] == body
    with pytest.raises(MessageTooLarge, match="over the limit"):
        decode_message(data, max_size=len(data) - 1)
    from etp.messages.dataspace import DeleteDataspaces

    big = DeleteDataspaces(uris={"a": "x" * 1000})
    packed = encode_message(header(24, 4), big, compress=True)
    assert len(packed) < 100
    # the limit is on the wire: inflated, a message may be INFLATE_RATIO times larger
    assert decode_message(packed, max_size=200)[1] == big
    with pytest.raises(MessageTooLarge, match="inflates to more than"):
        decode_message(packed, max_size=1000 // INFLATE_RATIO)


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"", "truncated gzip"),
        (b"not gzip at all", "bad gzip data"),
        (gzip.compress(b"\x00", mtime=0)[:-3], "truncated gzip"),
        (gzip.compress(b"\x02", mtime=0) + b"garbage!", "bad gzip data"),
    ],
    ids=["empty", "not-gzip", "truncated", "trailing-garbage"],
)
def test_bad_gzip(payload: bytes, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        decode_message(compressed_frame(4, 9, payload))


def test_several_gzip_members_are_one_body() -> None:
    from etp.messages.store import PutDataObjectsResponse

    body = encode_record(PutDataObjectsResponse(success={}))
    frame = compressed_frame(4, 9, gzip.compress(body[:0]) + gzip.compress(body))
    assert decode_message(frame)[1] == PutDataObjectsResponse(success={})


# --- header extensions --------------------------------------------------------------------------


def test_header_extension_is_read_and_skipped() -> None:
    extension = encode_record(MessageHeaderExtension(extension={"trace": "abc", "n": 3}))
    body = encode_record(core.Ping(current_date_time=42))
    flags = MessageFlags.FIN | MessageFlags.HAS_HEADER_EXTENSION
    frame = bytes([0, 16, 0, 4, flags * 2]) + extension + body
    assert decode_message(frame)[1] == core.Ping(current_date_time=42)
    packed = bytes([8, 2 * 2, 0, 4, (flags | MessageFlags.COMPRESSED) * 2]) + gzip.compress(
        extension + encode_record(store.PutDataObjects(data_objects={}))
    )
    assert decode_message(packed)[1] == store.PutDataObjects(data_objects={})
    with pytest.raises(EncodeError, match="header extensions"):
        encode_message(header(0, 8, flags), core.Ping(current_date_time=1))


# --- decode errors -------------------------------------------------------------------------------


def ping_frame(body: bytes) -> bytes:
    return bytes([0, 16, 0, 4, 4]) + body


@pytest.mark.parametrize(
    ("data", "what", "offset", "match"),
    [
        (b"", "MessageHeader.protocol", 0, "truncated"),
        (b"\x00\x10\x00", "MessageHeader.messageId", 3, "truncated"),
        (b"\xff" * 11, "MessageHeader.protocol", 0, "longer than 10 bytes"),
        (
            b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f",
            "MessageHeader.protocol",
            0,
            "does not fit in 64 bits",
        ),
        (b"\x80\x80\x80\x80\x20", "MessageHeader.protocol", 0, "does not fit in an int"),
        (b"\x00\x06\x00\x04\x04", "MessageHeader", None, "no message type 3 in protocol 0"),
        (b"\xc6\x01\x02\x00\x04\x04", "MessageHeader", None, "no message type 1 in protocol 99"),
        (ping_frame(b""), "Ping.currentDateTime", 5, "truncated"),
        (ping_frame(b"\x02\x00"), "Ping", 6, "1 bytes left over"),
    ],
)
def test_decode_errors_say_what_and_where(
    data: bytes, what: str, offset: int | None, match: str
) -> None:
    with pytest.raises(DecodeError, match=match) as caught:
        decode_message(data)
    assert caught.value.what == what
    assert caught.value.offset == offset


def body_error(message: type, body: bytes) -> DecodeError:
    frame = bytes([message.PROTOCOL * 2, message.MESSAGE_TYPE * 2, 0, 4, 4]) + body  # type: ignore[attr-defined]
    with pytest.raises(DecodeError) as caught:
        decode_message(frame)
    return caught.value


def test_body_decode_errors() -> None:
    from etp.messages.core import AuthorizeResponse, CloseSession, RequestSession
    from etp.messages.supported_types import GetSupportedTypes

    error = body_error(CloseSession, varint(2**31))
    assert (error.what, error.offset) == ("CloseSession.reason", 5)
    assert "string length 2147483648 but 0 bytes left" in error.reason
    assert "length -1" in body_error(CloseSession, varint(-1)).reason
    error = body_error(CloseSession, b"\x04\xff\xfe")
    assert "not UTF-8" in error.reason
    assert error.offset == 6
    error = body_error(AuthorizeResponse, b"\x02")
    assert "boolean byte is 2" in error.reason
    assert error.what == "AuthorizeResponse.success"
    error = body_error(AuthorizeResponse, b"\x01\x04\x04ab\x08")
    assert error.what == "AuthorizeResponse.challenges[1]"
    error = body_error(GetSupportedTypes, b"\x00\x0a")
    assert "ContextScopeKind ordinal 5 out of range 0..4" in error.reason
    error = body_error(ChannelData, b"\x02\x00\x00\x26\x00\x00")
    assert error.what == "ChannelData.data[0].value"
    assert "DataValue branch 19 out of range" in error.reason
    error = body_error(ChannelData, b"\x02\x00\x02\x04\x00\x00\x00")
    assert error.what == "ChannelData.data[0].indexes[0]"
    assert "truncated" in error.reason
    error = body_error(RequestSession, b"\x00\x00" + b"\x01" * 3)
    assert error.what == "RequestSession.clientInstanceId"
    assert "Uuid needs 16 bytes" in error.reason


def hostile_frames() -> Iterator[tuple[str, bytes]]:
    """Messages whose length or count prefix claims far more than the bytes that follow."""
    big = 2**31
    yield "array of DataItem", bytes([42, 8, 0, 4, 4]) + varint(big) + b"\x00" * 64
    yield "negative block", bytes([42, 8, 0, 4, 4]) + varint(-big) + varint(big) + b"\x00" * 64
    yield "map", bytes([42, 2, 0, 4, 4]) + varint(big) + b"\x02a\x02b" * 8
    yield "string", bytes([0, 10, 0, 4, 4]) + varint(big) + b"abc"
    yield "bytes", bytes([8, 16, 0, 4, 4]) + b"\x00" * 16 + varint(2**62) + b"x"
    yield "array of long", bytes([44, 4, 0, 4, 4]) + b"\x00" + b"\x02" + varint(2**40) + b"\x00"
    yield (
        "array of double",
        bytes([18, 2, 0, 4, 4]) + b"\x02\x02a\x00\x08" + varint(big) + b"\x00" * 24,
    )


@pytest.mark.parametrize(
    ("name", "frame"), list(hostile_frames()), ids=lambda x: x if isinstance(x, str) else ""
)
def test_length_prefixes_are_checked_before_allocating(name: str, frame: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DecodeError, match="left"):
            decode_message(frame)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"{name}: {peak} bytes allocated"
    assert time.perf_counter() - started < 1.0


def test_negative_block_counts_are_read() -> None:
    """Java/C# encoders may write blocks as (-count, byte size)."""
    item = encode_record(DataItem(channel_id=3, indexes=[1.5], value=2.0))
    body = varint(-2) + varint(2 * len(item)) + item * 2 + varint(1) + item + b"\x00"
    frame = bytes([42, 8, 0, 4, 4]) + body
    assert decode_message(frame)[1] == ChannelData(
        data=[DataItem(channel_id=3, indexes=[1.5], value=2.0)] * 3
    )
    uris = varint(-1) + varint(4) + b"\x02a\x02b" + b"\x00"
    frame = bytes([42, 2, 0, 4, 4]) + uris
    assert decode_message(frame)[1] == GetChannelMetadata(uris={"a": "b"})


def test_decode_accepts_any_bytes_like() -> None:
    data = encode_message(header(0, 8), core.Ping(current_date_time=1))
    for form in (bytearray(data), memoryview(data)):
        assert decode_message(form)[1] == core.Ping(current_date_time=1)
        assert decode_header(form) == header(0, 8)
