"""Encode and decode ETP 1.2 binary messages (sans-I/O).

One WebSocket binary message is ``Avro(MessageHeader)``, then ``Avro(MessageHeaderExtension)``
when header flag 0x20 is set, then ``Avro(body)``; with flag 0x08 everything after the header is
one gzip stream. No length prefix, no schema on the wire::

    from etp.codec import decode_header, decode_message, encode_message
    from etp.messages import MessageFlags, MessageHeader
    from etp.messages.core import Ping

    header = MessageHeader(protocol=0, message_type=8, correlation_id=0, message_id=2,
                           message_flags=MessageFlags.FIN)
    data = encode_message(header, Ping(current_date_time=1_700_000_000_000_000))
    decode_header(data)             # the header alone: cheap, to route or refuse a message
    header, body = decode_message(data, max_size=16_000_000)

* Union branches follow the Python types (see :mod:`etp.messages.datatypes`); decoding returns
  the same types, so re-encoding a decoded message gives the same bytes.
* ``encode_message(..., compress=True)`` (gzip negotiated) compresses the body and sets flag
  0x08, except for protocol 0 and for ProtocolException/Acknowledge, which are never compressed;
  flag 0x08 in the given header is otherwise ignored. Any message flagged 0x08 is inflated on
  decode, to at most :data:`INFLATE_RATIO` times ``max_size`` (or :data:`DEFAULT_MAX_INFLATED`).
* Header extensions are read and skipped on decode; sending them is not supported.
* Arrays of DataItem given as :class:`etp.messages.DataItems` take a vectorized path; decoding
  returns DataItems for regular arrays and ``list[DataItem]`` otherwise.
* Errors: :class:`etp.errors.EncodeError` names the field path (``ChannelData.data[3].value``);
  :class:`etp.errors.DecodeError` gives the reason, the byte offset and the path being read
  (:class:`etp.errors.MessageTooLarge` for size limits). Garbage never raises anything else,
  and no length read from the input is trusted before it is checked against the bytes left.
"""

from __future__ import annotations

import collections
import zlib
from typing import Any, TypeVar

from etp import _dataitems
from etp._avro import Compiler, Fault, read_int, read_long, write_int, write_long
from etp.errors import DecodeError, EncodeError, MessageTooLarge
from etp.messages.base import (
    ACKNOWLEDGE,
    PROTOCOL_EXCEPTION,
    Message,
    Record,
    avro_type,
    message_class,
)
from etp.messages.datatypes import DataItem, MessageFlags, MessageHeader, MessageHeaderExtension

#: Limit on a decompressed message when ``decode_message`` is given no ``max_size``.
DEFAULT_MAX_INFLATED = 64 * 1024 * 1024
#: How many times its ``max_size`` a compressed message may inflate to. The size limit a session
#: negotiates (MaxWebSocketMessagePayloadSize) is that of the message on the wire, so a peer may
#: send a compressed message larger than it once inflated (open-etp-server allows 8x: 16 MB on
#: the wire, 128 MB inflated); the bound keeps a gzip bomb from taking memory.
INFLATE_RATIO = 8

# Flags as ints: an operation on an IntFlag member costs 20x one on ints (every message)
_COMPRESSED = int(MessageFlags.COMPRESSED)
_HAS_HEADER_EXTENSION = int(MessageFlags.HAS_HEADER_EXTENSION)
_COMPILER = Compiler(fast_arrays={DataItem: (_dataitems.encode_into, _dataitems.decode)})
_R = TypeVar("_R", bound=Record)


def may_compress(header: MessageHeader) -> bool:
    """Whether a message with this header may be sent compressed (not Core, not 1000/1001)."""
    return header.protocol != 0 and header.message_type not in (PROTOCOL_EXCEPTION, ACKNOWLEDGE)


def encode_message(
    header: MessageHeader, body: Message, *, compress: bool = False, compress_min: int = 0
) -> bytes:
    """One binary WebSocket message: the header then the body (gzip-compressed if ``compress``
    and the message is at least ``compress_min`` bytes uncompressed).

    The header must match the body's protocol and message type (ProtocolException and
    Acknowledge may use any protocol). Raises EncodeError naming the offending field.
    """
    cls = type(body)
    if not isinstance(body, Message):
        raise EncodeError(f"not an ETP message: {cls.__name__}")
    any_protocol = cls.MESSAGE_TYPE in (PROTOCOL_EXCEPTION, ACKNOWLEDGE)
    if header.message_type != cls.MESSAGE_TYPE or (
        header.protocol != cls.PROTOCOL and not any_protocol
    ):
        raise EncodeError(
            f"header says message {header.protocol}/{header.message_type} but the body is "
            f"{cls.AVRO_NAME} ({cls.PROTOCOL}/{cls.MESSAGE_TYPE})"
        )
    flags = int(header.message_flags) & ~_COMPRESSED
    if flags & _HAS_HEADER_EXTENSION:
        raise EncodeError("sending header extensions (flag 0x20) is not supported")
    out = bytearray()
    _write_header(out, header, flags)
    start = len(out)
    try:
        _COMPILER.encoder(avro_type(cls))(out, body)
    except Fault as f:
        raise EncodeError(f"{cls.__name__}{f.where}: {f.reason}") from None
    if compress and len(out) >= compress_min and may_compress(header):
        packed = bytearray()
        _write_header(packed, header, flags | _COMPRESSED)
        packed += _packed(bytes(out[start:]))
        return bytes(packed)
    return bytes(out)


def _write_header(out: bytearray, header: MessageHeader, flags: int) -> None:
    try:
        write_int(out, header.protocol)
        write_int(out, header.message_type)
        write_long(out, header.correlation_id)
        write_long(out, header.message_id)
        write_int(out, flags)
    except (TypeError, ValueError, OverflowError):
        for name, write, value in (
            ("protocol", write_int, header.protocol),
            ("messageType", write_int, header.message_type),
            ("correlationId", write_long, header.correlation_id),
            ("messageId", write_long, header.message_id),
            ("messageFlags", write_int, flags),
        ):
            try:
                write(bytearray(), value)
            except (TypeError, ValueError, OverflowError) as e:
                raise EncodeError(f"MessageHeader.{name}: invalid value {value!r}: {e}") from None
        raise


# Bodies recently compressed (up to 64 KiB, the last 64): the same body sent to many sessions
# (a commit's channel data to every subscriber) is compressed once.
_PACKED: collections.OrderedDict[bytes, bytes] = collections.OrderedDict()
_PACKED_ENTRIES = 64
_PACKED_BYTES = 65_536


def compressed(data: bytes) -> bytes:
    """An encoded message with its body gzip-compressed and flag 0x08 set (what
    ``encode_message(..., compress=True)`` gives, without encoding the body again). The
    caller checks :func:`may_compress` first."""
    header, p = _read_header(data)
    out = bytearray()
    _write_header(out, header, int(header.message_flags) | _COMPRESSED)
    out += _packed(data[p:])
    return bytes(out)


def _packed(body: bytes) -> bytes:
    """``body`` gzip-compressed, from the cache of recent bodies when it is there."""
    if len(body) > _PACKED_BYTES:
        return _gzip(body)
    packed = _PACKED.get(body)
    if packed is None:
        packed = _PACKED[body] = _gzip(body)
        if len(_PACKED) > _PACKED_ENTRIES:
            _PACKED.popitem(last=False)
    else:
        _PACKED.move_to_end(body)
    return packed


def _gzip(data: bytes) -> bytes:
    # gzip (RFC 1952) with a zero mtime, so the same message always compresses the same way.
    # Level 1, not 6: channel data (most of what is compressed) is encoded and packed 3x
    # faster (2.0 -> 6.0 M points/s) for 11% more bytes (the simulator's 24 channels at 1 kHz:
    # 22% of raw instead of 20%).
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def decode_header(data: bytes | bytearray | memoryview) -> MessageHeader:
    """Only the header of a message (to route or refuse it before decoding the body)."""
    return _read_header(bytes(data))[0]


def _read_header(data: bytes) -> tuple[MessageHeader, int]:
    fields = []
    p = 0
    for name, read in (
        ("protocol", read_int),
        ("messageType", read_int),
        ("correlationId", read_long),
        ("messageId", read_long),
        ("messageFlags", read_int),
    ):
        try:
            value, p = read(data, p)
        except Fault as f:
            raise DecodeError(f.reason, offset=f.offset, what=f"MessageHeader.{name}") from None
        fields.append(value)
    protocol, message_type, correlation_id, message_id, flags = fields
    header = MessageHeader(
        protocol=protocol,
        message_type=message_type,
        correlation_id=correlation_id,
        message_id=message_id,
        message_flags=flags,
    )
    return header, p


def decode_message(
    data: bytes | bytearray | memoryview, *, max_size: int | None = None
) -> tuple[MessageHeader, Message]:
    """The header and typed body of one binary WebSocket message.

    ``max_size`` bounds the message as given, and :data:`INFLATE_RATIO` times it decompressed
    (MessageTooLarge beyond either). Raises
    DecodeError for anything that is not exactly one valid ETP 1.2 message, including a message
    type that ETP 1.2 does not define.
    """
    data = bytes(data)
    if max_size is not None and len(data) > max_size:
        raise MessageTooLarge(f"{len(data)} bytes, over the limit of {max_size}")
    header, p = _read_header(data)
    cls = message_class(header.protocol, header.message_type)
    if cls is None:
        raise DecodeError(
            f"ETP 1.2 has no message type {header.message_type} in protocol {header.protocol}",
            what="MessageHeader",
        )
    where = cls.__name__
    if header.message_flags & _COMPRESSED:
        limit = (DEFAULT_MAX_INFLATED if max_size is None else INFLATE_RATIO * max_size) - p
        data, p = _gunzip(data[p:], limit, where), 0
        where += " (inflated)"
    try:
        if header.message_flags & _HAS_HEADER_EXTENSION:
            _, p = _COMPILER.decoder(avro_type(MessageHeaderExtension))(data, p)
        body, p = _COMPILER.decoder(avro_type(cls))(data, p)
    except Fault as f:
        raise DecodeError(f.reason, offset=f.offset, what=f"{where}{f.where}") from None
    if p != len(data):
        raise DecodeError(f"{len(data) - p} bytes left over after the body", offset=p, what=where)
    return header, body


def _gunzip(data: bytes, limit: int, where: str) -> bytes:
    """Inflate one or more gzip members, never producing more than ``limit`` bytes."""
    out = bytearray()
    rest = data
    while True:
        inflater = zlib.decompressobj(31)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except zlib.error as e:
            raise DecodeError(f"bad gzip data: {e}", what=where) from None
        if len(out) > limit:
            raise MessageTooLarge(f"inflates to more than {limit} bytes", what=where)
        if not inflater.eof:
            raise DecodeError("truncated gzip data", what=where)
        rest = inflater.unused_data
        if not rest:
            return bytes(out)


def encode_record(value: Record) -> bytes:
    """The Avro binary encoding of one record (a message body, or any datatype)."""
    try:
        out = bytearray()
        _COMPILER.encoder(avro_type(type(value)))(out, value)
        return bytes(out)
    except Fault as f:
        raise EncodeError(f"{type(value).__name__}{f.where}: {f.reason}") from None


def decode_record(cls: type[_R], data: bytes | bytearray | memoryview) -> _R:
    """Decode exactly one ``cls`` record from ``data``."""
    data = bytes(data)
    try:
        value: Any
        value, p = _COMPILER.decoder(avro_type(cls))(data, 0)
    except Fault as f:
        raise DecodeError(f.reason, offset=f.offset, what=f"{cls.__name__}{f.where}") from None
    if p != len(data):
        raise DecodeError(f"{len(data) - p} bytes left over", offset=p, what=cls.__name__)
    return value  # type: ignore[no-any-return]
