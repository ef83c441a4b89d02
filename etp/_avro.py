"""Avro binary encoding of the ETP type model (:mod:`etp.messages.base`), compiled per type.

An encoder appends a value to a bytearray: ``enc(out, value)``. A decoder reads a value from
``bytes`` at an offset and returns it with the next offset: ``dec(data, pos) -> (value, pos)``.
Record encoders/decoders are generated functions (one straight block per field, so a record costs
no loop or getattr); the other types are closures. :class:`Compiler` caches them per type.

Decoding is defensive: every string/bytes length and array/map count is checked against the bytes
left *before* anything is allocated, varints longer than 10 bytes, union/enum indexes out of range,
booleans other than 0/1 and invalid UTF-8 are rejected. Problems raise :class:`Fault` carrying the
byte offset; each record, array and map level adds its part of the path while it unwinds
(``.data[3].value``), and the public codec turns that into ``DecodeError``/``EncodeError``.

Union values (``DataValue``, ``IndexValue``, ``AnyArray``, ``X | None``) pick their branch from the
Python type, exactly: ``int`` → long, ``numpy.int32`` → int, ``float`` → double, ``numpy.float32``
→ float, a numpy array → the ArrayOf* record of its dtype; decoders return those same types, so
decode then encode gives the same bytes.
"""

from __future__ import annotations

import operator
import struct
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from etp.messages.base import (
    Array,
    AvroType,
    EnumType,
    Fixed,
    Map,
    Nullable,
    Primitive,
    RecordType,
    UnionRecord,
)

Encoder = Callable[[bytearray, Any], None]
Decoder = Callable[[bytes, int], tuple[Any, int]]
#: Fast path of one array type: ``enc(out, value) -> handled?``, ``dec(data, pos) -> result | None``
FastArray = tuple[Callable[[bytearray, Any], bool], Callable[[bytes, int], tuple[Any, int] | None]]

LONG_MIN, LONG_MAX = -(1 << 63), (1 << 63) - 1
INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1


class Fault(Exception):
    """An encoding or decoding problem; ``path`` grows (innermost first) while it propagates."""

    def __init__(self, reason: str, offset: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.path: list[str] = []

    @property
    def where(self) -> str:
        """The field path, outermost first, e.g. ``.data[3].value``."""
        return "".join(reversed(self.path))


# Errors that Python raises when an encoder meets a value of the wrong type or range.
_ENCODE_FAILURES = (TypeError, ValueError, AttributeError, KeyError, OverflowError, struct.error)
# Errors a decoder may meet on malformed bytes that no explicit check caught first.
_DECODE_FAILURES = (IndexError, ValueError, OverflowError, struct.error)

_index = operator.index
_pack_double = struct.Struct("<d").pack
_pack_float = struct.Struct("<f").pack
_unpack_double = struct.Struct("<d").unpack_from
_unpack_float = struct.Struct("<f").unpack_from


def describe(t: AvroType) -> str:
    """A short human name of a type for error messages (``long``, ``array<DataItem>``...)."""
    match t:
        case Primitive(name=name):
            return name
        case Array(items=items):
            return f"array<{describe(items)}>"
        case Map(values=values):
            return f"map<{describe(values)}>"
        case Nullable(inner=inner):
            return f"{describe(inner)} or None"
        case Fixed():
            return "Uuid (uuid.UUID)"
    return t.name.rpartition(".")[2]


def _show(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


def wrong_value(error: Exception, value: Any, expected: str, step: str) -> Fault:
    """The Fault for ``value`` that failed to encode as ``expected`` at path ``step``."""
    if isinstance(error, TypeError | AttributeError | KeyError | struct.error):
        fault = Fault(f"expected {expected}, got {_show(value)}")
    else:
        fault = Fault(f"invalid {expected} ({_show(value)}): {error}")
    fault.path.append(step)
    return fault


def _position(container: Any, item: Any) -> int | str:
    """Index of ``item`` in ``container`` (only computed for error messages)."""
    return next((i for i, x in enumerate(container) if x is item), "?")


# --- primitives: encoding -----------------------------------------------------------------------


def write_long(out: bytearray, n: Any) -> None:
    """Append a zig-zag varint ``long``."""
    if type(n) is not int:
        if isinstance(n, bool | np.bool_):
            raise TypeError("a boolean is not a number")
        n = _index(n)
    if -64 <= n < 64:
        out.append((n << 1) ^ (n >> 63))
        return
    if not LONG_MIN <= n <= LONG_MAX:
        raise OverflowError(f"{n} does not fit in 64 bits")
    z = (n << 1) ^ (n >> 63)
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)


def write_int(out: bytearray, n: Any) -> None:
    """Append a zig-zag varint ``int`` (32 bits)."""
    if type(n) is not int:
        if isinstance(n, bool | np.bool_):
            raise TypeError("a boolean is not a number")
        n = _index(n)
    if not INT_MIN <= n <= INT_MAX:
        raise OverflowError(f"{n} does not fit in 32 bits")
    write_long(out, n)


def _write_boolean(out: bytearray, v: Any) -> None:
    if v is True or v is False or type(v) is np.bool_:
        out.append(1 if v else 0)
    else:
        raise TypeError("not a boolean")


def _write_double(out: bytearray, v: Any) -> None:
    if isinstance(v, bool | np.bool_):
        raise TypeError("a boolean is not a number")
    out += _pack_double(v)


def _write_float(out: bytearray, v: Any) -> None:
    if isinstance(v, bool | np.bool_):
        raise TypeError("a boolean is not a number")
    out += _pack_float(v)


def write_string(out: bytearray, v: Any) -> None:
    """Append an Avro string (length, UTF-8)."""
    data = v.encode()
    write_long(out, len(data))
    out += data


def _write_bytes(out: bytearray, v: Any) -> None:
    if not isinstance(v, bytes | bytearray | memoryview):
        raise TypeError("not bytes")
    data = bytes(v)
    write_long(out, len(data))
    out += data


def _write_null(out: bytearray, v: Any) -> None:
    if v is not None:
        raise TypeError("not None")


def _write_uuid(out: bytearray, v: Any) -> None:
    out += v.bytes


_PRIMITIVE_ENCODERS: dict[str, Encoder] = {
    "null": _write_null,
    "boolean": _write_boolean,
    "int": write_int,
    "long": write_long,
    "float": _write_float,
    "double": _write_double,
    "string": write_string,
    "bytes": _write_bytes,
}


# --- primitives: decoding -----------------------------------------------------------------------


def read_long(b: bytes, p: int) -> tuple[int, int]:
    """Read a zig-zag varint ``long``."""
    try:
        c = b[p]
    except IndexError:
        raise Fault("truncated: no bytes left for a number", p) from None
    if c < 0x80:
        return (c >> 1) ^ -(c & 1), p + 1
    start, z, shift = p, 0, 0
    try:
        while True:
            c = b[p]
            p += 1
            z |= (c & 0x7F) << shift
            if c < 0x80:
                break
            shift += 7
            if shift > 63:
                raise Fault("varint longer than 10 bytes", start)
    except IndexError:
        raise Fault("truncated varint", start) from None
    if z >> 64:
        raise Fault("varint does not fit in 64 bits", start)
    return (z >> 1) ^ -(z & 1), p


def read_int(b: bytes, p: int) -> tuple[int, int]:
    """Read a zig-zag varint ``int`` (32 bits)."""
    n, q = read_long(b, p)
    if not INT_MIN <= n <= INT_MAX:
        raise Fault(f"{n} does not fit in an int (32 bits)", p)
    return n, q


def _read_boolean(b: bytes, p: int) -> tuple[bool, int]:
    try:
        c = b[p]
    except IndexError:
        raise Fault("truncated: no byte left for a boolean", p) from None
    if c > 1:
        raise Fault(f"boolean byte is {c}, not 0 or 1", p)
    return c == 1, p + 1


def _read_double(b: bytes, p: int) -> tuple[float, int]:
    try:
        return _unpack_double(b, p)[0], p + 8
    except struct.error:
        raise Fault(f"truncated: a double needs 8 bytes, {max(len(b) - p, 0)} left", p) from None


def _read_float(b: bytes, p: int) -> tuple[float, int]:
    try:
        return _unpack_float(b, p)[0], p + 4
    except struct.error:
        raise Fault(f"truncated: a float needs 4 bytes, {max(len(b) - p, 0)} left", p) from None


def _read_length(b: bytes, p: int, what: str) -> tuple[int, int]:
    n, q = read_long(b, p)
    if n < 0 or n > len(b) - q:
        raise Fault(f"{what} length {n} but {len(b) - q} bytes left", p)
    return n, q


def read_string(b: bytes, p: int) -> tuple[str, int]:
    """Read an Avro string."""
    n, q = _read_length(b, p, "string")
    try:
        return b[q : q + n].decode(), q + n
    except UnicodeDecodeError as e:
        raise Fault(f"string is not UTF-8: {e.reason}", q + e.start) from None


def _read_bytes(b: bytes, p: int) -> tuple[bytes, int]:
    n, q = _read_length(b, p, "bytes")
    return b[q : q + n], q + n


def _read_null(b: bytes, p: int) -> tuple[None, int]:
    return None, p


def _read_uuid(b: bytes, p: int) -> tuple[uuid.UUID, int]:
    if len(b) - p < 16:
        raise Fault(f"truncated: a Uuid needs 16 bytes, {max(len(b) - p, 0)} left", p)
    return uuid.UUID(bytes=b[p : p + 16]), p + 16


def _read_np_int32(b: bytes, p: int) -> tuple[np.int32, int]:
    n, q = read_int(b, p)
    return np.int32(n), q


def _read_np_float32(b: bytes, p: int) -> tuple[np.float32, int]:
    try:
        return np.float32(_unpack_float(b, p)[0]), p + 4
    except struct.error:
        raise Fault(f"truncated: a float needs 4 bytes, {max(len(b) - p, 0)} left", p) from None


_PRIMITIVE_DECODERS: dict[str, Decoder] = {
    "null": _read_null,
    "boolean": _read_boolean,
    "int": read_int,
    "long": read_long,
    "float": _read_float,
    "double": _read_double,
    "string": read_string,
    "bytes": _read_bytes,
}


def min_size(t: AvroType) -> int:
    """The fewest bytes a value of ``t`` takes (bounds array counts before allocating)."""
    match t:
        case Primitive(name="null"):
            return 0
        case Primitive(name="float"):
            return 4
        case Primitive(name="double"):
            return 8
        case Fixed(size=size):
            return size
        case RecordType(fields=fields):
            return sum(min_size(f.type) for f in fields)
    return 1


# --- numeric arrays -----------------------------------------------------------------------------

# Array item types with a vectorized path: numpy dtype on the wire.
_RAW_ARRAYS = {"double": "<f8", "float": "<f4"}


def _raw_array_encoder(kind: str) -> Encoder:
    dtype = np.dtype(_RAW_ARRAYS[kind])
    item = _PRIMITIVE_ENCODERS[kind]

    def write(out: bytearray, v: Any) -> None:
        if isinstance(v, np.ndarray):
            if v.ndim != 1 or v.dtype.kind not in "fiu":
                raise TypeError(f"a numpy array of {kind} must be 1-D numeric, not {v.dtype}")
            data = v.astype(dtype, copy=False)
            if kind == "float" and not np.array_equal(np.isfinite(data), np.isfinite(v)):
                raise OverflowError("values too large for a 32-bit float")
            raw = data.tobytes()
        else:
            if isinstance(v, str | bytes):
                raise TypeError(f"expected an array of {kind}")
            try:
                raw = struct.pack(f"<{len(v)}{dtype.char}", *v)
            except (struct.error, OverflowError, TypeError):
                for i, x in enumerate(v):
                    try:
                        item(bytearray(), x)
                    except _ENCODE_FAILURES as e:
                        raise wrong_value(e, x, kind, f"[{i}]") from None
                raise
        if raw:
            write_long(out, len(raw) // dtype.itemsize)
            out += raw
        out.append(0)

    return write


def _raw_array_decoder(kind: str) -> Decoder:
    dtype = np.dtype(_RAW_ARRAYS[kind])
    size = dtype.itemsize

    def read(b: bytes, p: int) -> tuple[list[float], int]:
        values: list[float] = []
        while True:
            n, p = _block_count(b, p, size)
            if n == 0:
                return values, p
            values += np.frombuffer(b, dtype, n, p).tolist()
            p += n * size

    return read


def _block_count(b: bytes, p: int, item_size: int) -> tuple[int, int]:
    """Read an array/map block count (and skip the byte size of a negative one); bound it."""
    try:
        if b[p] == 0:
            return 0, p + 1
    except IndexError:
        raise Fault("truncated: no bytes left for an array or map count", p) from None
    n, q = read_long(b, p)
    if n < 0:
        n = -n
        _, q = read_long(b, q)
    if n and n > (len(b) - q) // max(item_size, 1):
        raise Fault(f"block of {n} items but only {len(b) - q} bytes left", p)
    return n, q


# --- the compiler -------------------------------------------------------------------------------


class Compiler:
    """Builds and caches the encoder and decoder of every type it is asked for.

    ``fast_arrays`` maps a record class to a fast path for arrays of it (the DataItem columns);
    the fast decoder returns None when the bytes do not fit it, and the generic one takes over.
    """

    def __init__(self, fast_arrays: Mapping[type, FastArray] | None = None) -> None:
        self._fast_arrays = dict(fast_arrays or {})
        self._encoders: dict[AvroType, Encoder] = {}
        self._decoders: dict[AvroType, Decoder] = {}

    def encoder(self, t: AvroType) -> Encoder:
        """The encoder of ``t``."""
        found = self._encoders.get(t)
        if found is None:
            found = self._encoders[t] = self._build_encoder(t)
        return found

    def decoder(self, t: AvroType) -> Decoder:
        """The decoder of ``t``."""
        found = self._decoders.get(t)
        if found is None:
            found = self._decoders[t] = self._build_decoder(t)
        return found

    # --- encoders ---

    def _build_encoder(self, t: AvroType) -> Encoder:
        match t:
            case Primitive(name=name):
                return _PRIMITIVE_ENCODERS[name]
            case Fixed():
                return _write_uuid
            case EnumType():
                return self._enum_encoder(t)
            case Array():
                return self._array_encoder(t)
            case Map():
                return self._map_encoder(t)
            case Nullable():
                return self._nullable_encoder(t)
            case UnionRecord():
                return _UnionEncoder(self, t)
            case RecordType():
                return self._record_encoder(t)
        raise TypeError(f"no encoder for {t!r}")

    def _enum_encoder(self, t: EnumType) -> Encoder:
        tags = {member: _varint(i) for i, member in enumerate(t.cls)}

        def write(out: bytearray, v: Any) -> None:
            out += tags[v]

        return write

    def _array_encoder(self, t: Array) -> Encoder:
        items = t.items
        if isinstance(items, Primitive) and items.name in _RAW_ARRAYS:
            return _raw_array_encoder(items.name)
        item = self.encoder(items)
        expected = describe(items)

        def write(out: bytearray, v: Any) -> None:
            if isinstance(v, str | bytes | Mapping):
                raise TypeError("not a sequence")
            if len(v):
                write_long(out, len(v))
                for x in v:
                    try:
                        item(out, x)
                    except Fault as f:
                        f.path.append(f"[{_position(v, x)}]")
                        raise
                    except _ENCODE_FAILURES as e:
                        raise wrong_value(e, x, expected, f"[{_position(v, x)}]") from None
            out.append(0)

        fast = self._fast_arrays.get(items.cls) if isinstance(items, RecordType) else None
        if fast is None:
            return write
        fast_write = fast[0]

        def write_fast_or_generic(out: bytearray, v: Any) -> None:
            if not fast_write(out, v):
                write(out, v)

        return write_fast_or_generic

    def _map_encoder(self, t: Map) -> Encoder:
        value_encoder = self.encoder(t.values)
        expected = describe(t.values)

        def write(out: bytearray, v: Any) -> None:
            if len(v):
                write_long(out, len(v))
                for k, x in v.items():
                    try:
                        write_string(out, k)
                    except _ENCODE_FAILURES as e:
                        raise wrong_value(e, k, "string key", f"[{k!r}]") from None
                    try:
                        value_encoder(out, x)
                    except Fault as f:
                        f.path.append(f"[{k!r}]")
                        raise
                    except _ENCODE_FAILURES as e:
                        raise wrong_value(e, x, expected, f"[{k!r}]") from None
            out.append(0)

        return write

    def _nullable_encoder(self, t: Nullable) -> Encoder:
        inner = self.encoder(t.inner)

        def write(out: bytearray, v: Any) -> None:
            if v is None:
                out.append(0)
            else:
                out.append(2)
                inner(out, v)

        return write

    def _record_encoder(self, t: RecordType) -> Encoder:
        env: dict[str, Any] = {
            "cls": t.cls,
            "Fault": Fault,
            "FAILURES": _ENCODE_FAILURES,
            "wrong_value": wrong_value,
        }
        lines = [
            "def encode(out, v):",
            "    if type(v) is not cls and not isinstance(v, cls):",
            f"        raise TypeError('not a {t.cls.__name__}')",
        ]
        for i, f in enumerate(t.fields):
            env[f"e{i}"] = self.encoder(f.type)
            step, expected = f".{f.avro_name}", describe(f.type)
            lines += _field_block(
                [f"e{i}(out, v.{f.attr})"],
                step,
                f"wrong_value(e, v.{f.attr}, {expected!r}, {step!r})",
            )
        encode: Encoder = _compile(t.name, lines, env)
        return encode

    # --- decoders ---

    def _build_decoder(self, t: AvroType) -> Decoder:
        match t:
            case Primitive(name=name):
                return _PRIMITIVE_DECODERS[name]
            case Fixed():
                return _read_uuid
            case EnumType():
                return self._enum_decoder(t)
            case Array():
                return self._array_decoder(t)
            case Map():
                return self._map_decoder(t)
            case Nullable():
                return self._nullable_decoder(t)
            case UnionRecord():
                return self._union_decoder(t)
            case RecordType():
                return self._record_decoder(t)
        raise TypeError(f"no decoder for {t!r}")

    def _enum_decoder(self, t: EnumType) -> Decoder:
        members = tuple(t.cls)
        name = describe(t)

        def read(b: bytes, p: int) -> tuple[Any, int]:
            i, q = read_long(b, p)
            if not 0 <= i < len(members):
                raise Fault(f"{name} ordinal {i} out of range 0..{len(members) - 1}", p)
            return members[i], q

        return read

    def _array_decoder(self, t: Array) -> Decoder:
        items = t.items
        if isinstance(items, Primitive) and items.name in _RAW_ARRAYS:
            return _raw_array_decoder(items.name)
        if items == Primitive("boolean"):
            return _boolean_array_decoder
        item = self.decoder(items)
        size = min_size(items)

        def read(b: bytes, p: int) -> tuple[list[Any], int]:
            values: list[Any] = []
            while True:
                n, p = _block_count(b, p, size)
                if n == 0:
                    return values, p
                for _ in range(n):
                    try:
                        x, p = item(b, p)
                    except Fault as f:
                        f.path.append(f"[{len(values)}]")
                        raise
                    values.append(x)

        fast = self._fast_arrays.get(items.cls) if isinstance(items, RecordType) else None
        if fast is None:
            return read
        fast_read = fast[1]

        def read_fast_or_generic(b: bytes, p: int) -> tuple[Any, int]:
            return fast_read(b, p) or read(b, p)

        return read_fast_or_generic

    def _map_decoder(self, t: Map) -> Decoder:
        value_decoder = self.decoder(t.values)
        size = 1 + min_size(t.values)

        def read(b: bytes, p: int) -> tuple[dict[str, Any], int]:
            values: dict[str, Any] = {}
            while True:
                n, p = _block_count(b, p, size)
                if n == 0:
                    return values, p
                for _ in range(n):
                    try:
                        k, p = read_string(b, p)
                    except Fault as f:
                        f.path.append(f"[key {len(values)}]")
                        raise
                    try:
                        values[k], p = value_decoder(b, p)
                    except Fault as f:
                        f.path.append(f"[{k!r}]")
                        raise

        return read

    def _nullable_decoder(self, t: Nullable) -> Decoder:
        inner = self.decoder(t.inner)

        def read(b: bytes, p: int) -> tuple[Any, int]:
            branch, q = read_long(b, p)
            if branch == 0:
                return None, q
            if branch == 1:
                return inner(b, q)
            raise Fault(f"union branch {branch} out of range 0..1", p)

        return read

    def _union_decoder(self, t: UnionRecord) -> Decoder:
        branches = tuple(_union_branch_decoder(self, b) for b in t.branches)
        name = describe(t)

        limit = 2 * len(branches)

        def read(b: bytes, p: int) -> tuple[Any, int]:
            try:
                c = b[p]
            except IndexError:
                raise Fault(f"truncated: no byte left for the {name} branch", p) from None
            if c < limit and not c & 1:  # the usual one-byte branch index
                return branches[c >> 1](b, p + 1)
            i, _ = read_long(b, p)
            raise Fault(f"{name} branch {i} out of range 0..{len(branches) - 1}", p)

        return read

    def _record_decoder(self, t: RecordType) -> Decoder:
        # The object is made with object.__new__ and filled through its slot descriptors:
        # 2-3 times cheaper than the frozen dataclass __init__ (the decoded values are valid).
        env: dict[str, Any] = {
            "new": object.__new__,
            "cls": t.cls,
            "Fault": Fault,
            "FAILURES": _DECODE_FAILURES,
            "malformed": _malformed,
            "read_long": read_long,
            "read_int": read_int,
            "unpack_double": _unpack_double,
        }
        lines = ["def decode(b, p):", "    o = new(cls)"]
        for i, f in enumerate(t.fields):
            env[f"d{i}"] = self.decoder(f.type)
            env[f"s{i}"] = getattr(t.cls, f.attr).__set__
            step = f".{f.avro_name}"
            lines += _field_block(
                _inline_read(f.type, i), step, f"malformed(e, {describe(f.type)!r}, p, {step!r})"
            )
        lines.append("    return o, p")
        decode: Decoder = _compile(t.name, lines, env)
        return decode


def _field_block(body: list[str], step: str, failure: str) -> list[str]:
    """Generated lines running ``body`` (one field's write or read) so that its errors name the
    field: a Fault gets ``step`` on its path; a Python error ``e`` raises ``failure`` (an
    expression making the Fault from ``e``) instead."""
    return [
        "    try:",
        *(f"        {line}" for line in body),
        "    except Fault as f:",
        f"        f.path.append({step!r})",
        "        raise",
        "    except FAILURES as e:",
        f"        raise {failure} from None",
    ]


def _inline_read(t: AvroType, i: int) -> list[str]:
    """Generated lines reading field ``i`` (type ``t``) at ``p`` into ``o``: see _record_decoder."""
    if t in (Primitive("long"), Primitive("int")):  # one-byte varints inline, the rest in a call
        return [
            "c = b[p]",
            "if c < 0x80:",
            f"    s{i}(o, (c >> 1) ^ -(c & 1))",
            "    p += 1",
            "else:",
            f"    v, p = read_{t.name}(b, p)",
            f"    s{i}(o, v)",
        ]
    if t == Primitive("double"):
        return [f"s{i}(o, unpack_double(b, p)[0])", "p += 8"]
    return [f"v, p = d{i}(b, p)", f"s{i}(o, v)"]


def _malformed(error: Exception, expected: str, p: int, step: str) -> Fault:
    """The Fault for a Python error met while reading ``expected`` at ``p``."""
    if isinstance(error, IndexError | struct.error):
        fault = Fault(f"truncated: the input ends inside this {expected}", p)
    else:
        fault = Fault(f"malformed {expected}: {error}", p)
    fault.path.append(step)
    return fault


def _boolean_array_decoder(b: bytes, p: int) -> tuple[list[bool], int]:
    values: list[bool] = []
    while True:
        n, p = _block_count(b, p, 1)
        if n == 0:
            return values, p
        block = b[p : p + n]
        if max(block) > 1:
            raise Fault(
                "boolean byte is neither 0 nor 1", p + next(i for i, c in enumerate(block) if c > 1)
            )
        values += [c == 1 for c in block]
        p += n


def _union_branch_decoder(compiler: Compiler, t: AvroType) -> Decoder:
    # Branches without a Python type of their own decode to numpy scalars (see the module doc).
    if t == Primitive("int"):
        return _read_np_int32
    if t == Primitive("float"):
        return _read_np_float32
    return compiler.decoder(t)


# Python types that pick a union branch, by branch; a type goes to the first branch listing it.
_INT32_TYPES: tuple[type, ...] = (np.int8, np.int16, np.int32, np.uint8, np.uint16)
_FLOAT32_TYPES: tuple[type, ...] = (np.float16, np.float32)
_BRANCH_TYPES: dict[str, tuple[type, ...]] = {
    "null": (type(None),),
    "boolean": (bool, np.bool_),
    "int": _INT32_TYPES,
    "long": (int, np.int64, np.uint32, np.uint64, *_INT32_TYPES),
    "float": _FLOAT32_TYPES,
    "double": (float, np.float64, *_FLOAT32_TYPES),
    "string": (str,),
    "bytes": (bytes, bytearray, memoryview),
}
# numpy array dtypes (kind, itemsize) -> the Avro item type of the ArrayOf* record that takes them.
_NDARRAY_ITEMS = {
    ("b", 1): "boolean",
    ("i", 1): "int",
    ("i", 2): "int",
    ("i", 4): "int",
    ("u", 1): "int",
    ("u", 2): "int",
    ("i", 8): "long",
    ("u", 4): "long",
    ("f", 2): "float",
    ("f", 4): "float",
    ("f", 8): "double",
}


class _UnionEncoder:
    """Encoder of a union record: the branch comes from the value's Python type."""

    def __init__(self, compiler: Compiler, t: UnionRecord) -> None:
        self._name = describe(t)
        self._branches = t.branches
        self._compiler = compiler
        self._by_type: dict[type, tuple[bytes, Encoder]] = {}
        for i, branch in enumerate(t.branches):
            if isinstance(branch, Primitive):
                types_: tuple[type, ...] = _BRANCH_TYPES[branch.name]
            elif isinstance(branch, RecordType):
                types_ = (branch.cls,)
            else:
                raise TypeError(f"unsupported union branch {branch!r}")
            for py_type in types_:
                self._by_type.setdefault(py_type, (_varint(i), compiler.encoder(branch)))
        self._by_item: dict[str, tuple[bytes, Encoder]] = {}
        for i, branch in enumerate(t.branches):
            if isinstance(branch, RecordType) and len(branch.fields) == 1:
                values = branch.fields[0].type
                if isinstance(values, Array) and isinstance(values.items, Primitive):
                    self._by_item.setdefault(
                        values.items.name, (_varint(i), compiler.encoder(values))
                    )

    def __call__(self, out: bytearray, v: Any) -> None:
        found = self._by_type.get(type(v))
        if found is None:
            found = self._resolve(v)
        out += found[0]
        found[1](out, v)

    def _resolve(self, v: Any) -> tuple[bytes, Encoder]:
        """The branch of a value whose exact type is not in the table (subclass, numpy array)."""
        if isinstance(v, np.ndarray):
            item = _NDARRAY_ITEMS.get((v.dtype.kind, v.dtype.itemsize))
            if v.dtype.kind == "U":
                item = "string"
            if item == "int" and "int" not in self._by_item:
                item = "long"
            if item == "float" and "float" not in self._by_item:
                item = "double"
            if item in self._by_item and v.ndim == 1:
                return self._by_item[item]
            raise Fault(f"a {self._name} cannot hold a {v.ndim}-D numpy array of {v.dtype}")
        for py_type, found in self._by_type.items():
            if isinstance(v, py_type) and not (isinstance(v, bool) and py_type is not bool):
                return found
        raise Fault(f"a {self._name} cannot hold {_show(v)}")


def _varint(n: int) -> bytes:
    out = bytearray()
    write_long(out, n)
    return bytes(out)


def _compile(name: str, lines: list[str], env: dict[str, Any]) -> Any:
    source = "\n".join(lines)
    exec(compile(source, f"<etp codec for {name}>", "exec"), env)
    return env[lines[0].split()[1].partition("(")[0]]
