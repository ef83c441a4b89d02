"""Channel points as stored: ordered keys, checks against the channel, the block codec (sans-I/O).

**Keys.** Blocks and annotations locate index values by a signed 64-bit *key* that sorts like
the value: a time index (int µs) is its own key; a float index maps its IEEE bits so that
integer order is float order (non-negative floats keep their bits, negative ones have every bit
but the sign flipped; -0.0 is stored as 0.0). Both backends keep keys in plain BIGINT columns.

**Blocks.** A channel's points are rows of ``channel_data`` (channel, lo_key, hi_key, count,
indexes, values, nulls), each holding consecutive points in channel order; blocks of a channel
never overlap. The blobs:

* indexes: one codec byte, then ``R`` regular (first value and step: 16 bytes for the whole
  block; used only when ``first + step * arange(n)`` gives back every value exactly), ``D`` (time
  indexes whose steps fit int32: first value then int32 steps) or ``P`` (plain 8-byte values);
* values: the column's little-endian bytes (bool as one byte); strings as int32 UTF-8 lengths
  followed by the UTF-8 bytes;
* nulls: the packed bit mask, or NULL when no value is null.

Regular indexes (a constant sampling rate, the common case) halve what is written per point.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
from numpy.typing import NDArray

from etp.errors import ErrorCode, ProtocolError
from etp.store.channels import (
    ChannelDefinition,
    DataKind,
    IndexDirection,
    IndexKind,
    IndexValue,
    Points,
)

__all__ = [
    "MAX_BLOCK",
    "MIN_BLOCK",
    "Block",
    "check_order",
    "check_points",
    "concat",
    "decode_block",
    "empty_points",
    "encode_block",
    "key_of",
    "keys_of",
    "select",
    "value_of",
]

MIN_BLOCK = 256
"""A block with fewer points is "small": the next small append merges into it (binary-counter
style, so a point is rewritten at most log2(MIN_BLOCK) times however small the appends are)."""
MAX_BLOCK = 16_384
"""The most points in one block (a larger append is split)."""

_FLIP = np.int64(0x7FFF_FFFF_FFFF_FFFF)
_INT53 = 2**53
_INT24 = 2**24
_INT32 = (-(2**31), 2**31 - 1)
_VALUE_DTYPES: dict[DataKind, np.dtype[Any]] = {
    DataKind.TYPE_DOUBLE: np.dtype(np.float64),
    DataKind.TYPE_FLOAT: np.dtype(np.float32),
    DataKind.TYPE_LONG: np.dtype(np.int64),
    DataKind.TYPE_INT: np.dtype(np.int32),
    DataKind.TYPE_BOOLEAN: np.dtype(np.bool_),
    DataKind.TYPE_STRING: np.dtype(object),
}


# -- keys ---------------------------------------------------------------------------------------


def keys_of(indexes: NDArray[Any], is_time: bool) -> NDArray[np.int64]:
    """The keys of an index column (int64 time or float64)."""
    if is_time:
        return indexes.astype(np.int64, copy=False)
    bits = (indexes + 0.0).view(np.int64)
    return np.where(bits < 0, bits ^ _FLIP, bits)


def key_of(value: IndexValue, is_time: bool) -> int:
    """The key of one index value."""
    if is_time:
        return int(value)
    (bits,) = struct.unpack("<q", struct.pack("<d", float(value) + 0.0))
    return int(bits) if bits >= 0 else int(bits ^ 0x7FFF_FFFF_FFFF_FFFF)


def value_of(key: int, is_time: bool) -> IndexValue:
    """The index value of a key (inverse of :func:`key_of`)."""
    if is_time:
        return key
    bits = key if key >= 0 else key ^ 0x7FFF_FFFF_FFFF_FFFF
    (value,) = struct.unpack("<d", struct.pack("<q", bits))
    return float(value)


# -- checks -------------------------------------------------------------------------------------


def _where(uri: str, key: int) -> str:
    return f"channel {uri} (key {key})"


def storable(definition: ChannelDefinition, uri: str, key: int) -> None:
    """Raise ENOTSUPPORTED unless the channel can hold data here."""
    if definition.index_kind is IndexKind.PASS_INDEXED_DEPTH:
        raise ProtocolError(
            ErrorCode.ENOTSUPPORTED,
            f"{_where(uri, key)} is pass-indexed: the store holds no pass-indexed data",
            key=uri,
        )
    if definition.data_kind is None or definition.data_kind is DataKind.TYPE_BYTES:
        kind = definition.data_kind.value if definition.data_kind else "vector/null"
        raise ProtocolError(
            ErrorCode.ENOTSUPPORTED,
            f"{_where(uri, key)} has values of type {kind}: the store holds double, float, "
            "long, int, boolean and string channels",
            key=uri,
        )


def check_points(definition: ChannelDefinition, points: Points, uri: str, key: int) -> Points:
    """``points`` with columns of the channel's storage dtypes (index int64 or float64, values
    per data kind, null values zeroed), or ProtocolError: EINVALID_INDEXKIND for index values
    of the other kind, EINVALID_ARGUMENT for a non-finite depth or values of the wrong type."""
    storable(definition, uri, key)
    where = _where(uri, key)
    indexes = _index_column(definition, points.indexes, uri, where)
    assert definition.data_kind is not None
    values = _value_column(definition.data_kind, points.values, points.nulls, uri, where)
    nulls = points.nulls
    if nulls is not None and values.dtype != object:
        values = values.copy()
        values[nulls] = 0
    elif nulls is not None:
        values = values.copy()
        values[nulls] = ""
    if indexes is points.indexes and values is points.values:
        return points
    return Points(indexes, values, nulls)


def _index_column(
    definition: ChannelDefinition, column: NDArray[Any], uri: str, where: str
) -> NDArray[Any]:
    kind = column.dtype.kind
    if definition.is_time:
        if kind == "i" or (kind == "u" and (len(column) == 0 or int(column.max()) < 2**63)):
            return column.astype(np.int64, copy=False)
        raise ProtocolError(
            ErrorCode.EINVALID_INDEXKIND,
            f"{where} has a DateTime index: index values must be long microseconds, not "
            f"{column.dtype}",
            key=uri,
        )
    if kind != "f":
        raise ProtocolError(
            ErrorCode.EINVALID_INDEXKIND,
            f"{where} has a {definition.index_kind.value} index in {definition.index_uom}: index "
            f"values must be double, not {column.dtype}",
            key=uri,
        )
    column = column.astype(np.float64, copy=False)
    finite = np.isfinite(column)
    if not finite.all():
        bad = int(np.argmin(finite))
        raise ProtocolError(
            ErrorCode.EINVALID_ARGUMENT,
            f"{where}: index value {column[bad]!r} (point {bad}) is not a finite number",
            key=uri,
        )
    return column


def _value_column(
    kind: DataKind,
    column: NDArray[Any],
    nulls: NDArray[np.bool_] | None,
    uri: str,
    where: str,
) -> NDArray[Any]:
    target = _VALUE_DTYPES[kind]
    if column.dtype == target and kind is not DataKind.TYPE_STRING:
        return column
    present = column if nulls is None else column[~nulls]
    if kind is DataKind.TYPE_STRING:
        if column.dtype.kind == "U":
            return column.astype(object)
        if column.dtype.kind == "O" and all(isinstance(v, str) for v in present.tolist()):
            return column
        return _wrong(kind, column, uri, where)
    ok = False
    src = column.dtype.kind
    if src == "b" or kind is DataKind.TYPE_BOOLEAN:
        return _wrong(kind, column, uri, where)
    if kind in (DataKind.TYPE_DOUBLE, DataKind.TYPE_FLOAT):
        if src == "f":
            with np.errstate(over="ignore"):
                narrowed = present.astype(target)
            ok = bool(np.array_equal(narrowed.astype(present.dtype), present, equal_nan=True))
        elif src in "iu":
            limit = _INT53 if kind is DataKind.TYPE_DOUBLE else _INT24
            ok = len(present) == 0 or (int(present.min()) >= -limit and int(present.max()) <= limit)
    elif src in "iu":
        low, high = _INT32 if kind is DataKind.TYPE_INT else (-(2**63), 2**63 - 1)
        ok = len(present) == 0 or (int(present.min()) >= low and int(present.max()) <= high)
    if not ok:
        return _wrong(kind, column, uri, where)
    if nulls is not None:
        column = np.where(nulls, 0, column)
    return column.astype(target)


def _wrong(kind: DataKind, column: NDArray[Any], uri: str, where: str) -> NDArray[Any]:
    raise ProtocolError(
        ErrorCode.EINVALID_ARGUMENT,
        f"{where} holds {kind.value} values: {column.dtype} values that are not all exactly "
        "representable are refused",
        key=uri,
    )


def check_order(
    indexes: NDArray[Any],
    direction: IndexDirection,
    after: IndexValue | None,
    uri: str,
    key: int,
    *,
    code: ErrorCode = ErrorCode.EINVALID_APPEND,
) -> None:
    """Raise ProtocolError ``code`` unless ``indexes`` strictly continue ``direction`` after
    ``after`` (the channel's end index; None: empty), naming the first point that does not."""
    if len(indexes) == 0:
        return
    increasing = direction is IndexDirection.INCREASING
    if after is not None and not (indexes[0] > after if increasing else indexes[0] < after):
        _out_of_order(indexes, 0, after, increasing, uri, key, code, "the channel's end index")
    if len(indexes) == 1:
        return
    steps = np.diff(indexes)
    good = steps > 0 if increasing else steps < 0
    if not good.all():
        bad = int(np.argmin(good)) + 1
        previous = indexes[bad - 1].item()
        _out_of_order(indexes, bad, previous, increasing, uri, key, code, "the point before it")


def _out_of_order(
    indexes: NDArray[Any],
    at: int,
    after: IndexValue,
    increasing: bool,
    uri: str,
    key: int,
    code: ErrorCode,
    what: str,
) -> None:
    value = indexes[at].item()
    relation = "equals" if value == after else ("is below" if increasing else "is above")
    raise ProtocolError(
        code,
        f"{_where(uri, key)}: index {value!r} (point {at}) {relation} {what}, {after!r}; "
        f"indexes must be strictly {'increasing' if increasing else 'decreasing'}",
        key=uri,
    )


# -- columns ------------------------------------------------------------------------------------


def empty_points(definition: ChannelDefinition) -> Points:
    """No points, with the channel's dtypes."""
    index_dtype = np.int64 if definition.is_time else np.float64
    kind = definition.data_kind
    value_dtype = _VALUE_DTYPES[kind] if kind in _VALUE_DTYPES else np.dtype(np.float64)
    return Points(np.empty(0, index_dtype), np.empty(0, value_dtype))


def concat(parts: list[Points]) -> Points:
    """The points of ``parts`` one after the other (``parts`` not empty)."""
    if len(parts) == 1:
        return parts[0]
    nulls = None
    if any(p.nulls is not None for p in parts):
        nulls = np.concatenate(
            [p.nulls if p.nulls is not None else np.zeros(len(p), bool) for p in parts]
        )
    return Points(
        np.concatenate([p.indexes for p in parts]),
        np.concatenate([p.values for p in parts]),
        nulls,
    )


def select(
    points: Points,
    low: IndexValue | None,
    high: IndexValue | None,
    direction: IndexDirection,
) -> Points:
    """The points with ``low <= index <= high`` (None: unbounded), assuming channel order."""
    indexes = points.indexes
    if direction is IndexDirection.INCREASING:
        begin = 0 if low is None else int(np.searchsorted(indexes, low, "left"))
        end = len(indexes) if high is None else int(np.searchsorted(indexes, high, "right"))
    else:
        reverse = indexes[::-1]
        n = len(indexes)
        begin = 0 if high is None else n - int(np.searchsorted(reverse, high, "right"))
        end = n if low is None else n - int(np.searchsorted(reverse, low, "left"))
    if begin == 0 and end == len(indexes):
        return points
    return points[begin:end]


# -- the block codec ----------------------------------------------------------------------------


class Block:
    """One stored block: its key range, point count and encoded columns."""

    __slots__ = ("count", "hi_key", "indexes", "lo_key", "nulls", "values")

    def __init__(
        self,
        lo_key: int,
        hi_key: int,
        count: int,
        indexes: bytes,
        values: bytes,
        nulls: bytes | None,
    ) -> None:
        self.lo_key = lo_key
        self.hi_key = hi_key
        self.count = count
        self.indexes = indexes
        self.values = values
        self.nulls = nulls

    def row(self, channel: int) -> tuple[int, int, int, int, bytes, bytes, bytes | None]:
        """The ``channel_data`` row of this block."""
        return (
            channel,
            self.lo_key,
            self.hi_key,
            self.count,
            self.indexes,
            self.values,
            self.nulls,
        )


def encode_block(points: Points, is_time: bool) -> Block:
    """The block of ``points`` (checked, in channel order, not empty)."""
    indexes = points.indexes
    n = len(indexes)
    first_key = key_of(indexes[0].item(), is_time)
    last_key = key_of(indexes[-1].item(), is_time)
    nulls = None if points.nulls is None else np.packbits(points.nulls).tobytes()
    return Block(
        min(first_key, last_key),
        max(first_key, last_key),
        n,
        _encode_indexes(indexes),
        _encode_values(points.values),
        nulls,
    )


def _encode_indexes(indexes: NDArray[Any]) -> bytes:
    n = len(indexes)
    first = indexes[0]
    if n == 1:
        return b"R" + indexes.tobytes() + np.zeros(1, indexes.dtype).tobytes()
    if indexes.dtype == np.int64:
        steps = np.diff(indexes)
        step = steps[0]
        if (steps == step).all():
            return b"R" + struct.pack("<qq", int(first), int(step))
        if int(steps.min()) >= _INT32[0] and int(steps.max()) <= _INT32[1]:
            return b"D" + struct.pack("<q", int(first)) + steps.astype(np.int32).tobytes()
        return b"P" + indexes.tobytes()
    ramp = np.arange(n, dtype=np.float64)
    for step in ((indexes[-1] - first) / (n - 1), indexes[1] - first):
        if np.array_equal(first + step * ramp, indexes):
            return b"R" + struct.pack("<dd", float(first), float(step))
    return b"P" + indexes.tobytes()


def _encode_values(values: NDArray[Any]) -> bytes:
    if values.dtype != object:
        return values.tobytes()
    encoded = [v.encode() for v in values.tolist()]
    lengths = np.fromiter((len(b) for b in encoded), np.int32, len(encoded))
    return lengths.tobytes() + b"".join(encoded)


def decode_block(
    definition: ChannelDefinition,
    count: int,
    indexes: bytes,
    values: bytes,
    nulls: bytes | None,
) -> Points:
    """The points of a stored block (columns are read-only views of the blobs where possible)."""
    index_dtype = np.dtype(np.int64) if definition.is_time else np.dtype(np.float64)
    assert definition.data_kind is not None
    value_dtype = _VALUE_DTYPES[definition.data_kind]
    mask = None
    if nulls is not None:
        mask = np.unpackbits(np.frombuffer(nulls, np.uint8), count=count).astype(bool)
    return Points(
        _decode_indexes(memoryview(indexes), count, index_dtype),
        _decode_values(values, count, value_dtype),
        mask,
    )


def _decode_indexes(blob: memoryview, n: int, dtype: np.dtype[Any]) -> NDArray[Any]:
    codec = bytes(blob[:1])
    if codec == b"R":
        first, step = np.frombuffer(blob[1:17], dtype)
        regular: NDArray[Any] = first + step * np.arange(n, dtype=dtype)
        return regular
    if codec == b"D":
        (first,) = struct.unpack("<q", blob[1:9])
        out = np.empty(n, np.int64)
        out[0] = first
        np.cumsum(np.frombuffer(blob[9:], np.int32), dtype=np.int64, out=out[1:])
        out[1:] += first
        return out
    return np.frombuffer(blob[1:], dtype)


def _decode_values(blob: bytes, n: int, dtype: np.dtype[Any]) -> NDArray[Any]:
    if dtype.kind != "O":
        return np.frombuffer(blob, dtype)
    lengths = np.frombuffer(blob, np.int32, n)
    text = blob[4 * n :]
    ends = np.cumsum(lengths).tolist()
    out = np.empty(n, object)
    start = 0
    for i, end in enumerate(ends):
        out[i] = text[start:end].decode()
        start = end
    return out
