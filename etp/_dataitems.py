"""The vectorized (numpy) codec of :class:`etp.messages.DataItems`: the DataItem fast path.

Wire layout of one regular item (varints are zig-zag, doubles 8 little-endian bytes)::

    channelId varint | body:  02 (one index) | index branch | index | 00 (end of indexes)
                              | value branch | value (none if null) | 00 (no attributes)

Encoding computes every item's width and offset and writes whole columns at once:

* all items equally wide: one (n, width) byte matrix, filled column by column;
* equally wide bodies (channel ids of different widths, or nulls): bodies built as a matrix,
  then moved as whole rows (a ``V<width>`` view) next to byte-scattered channel ids;
* otherwise (index or value varints of different widths): every column scattered byte by byte.

Decoding first assumes that every item is laid out like the first one and reads strided columns.
If that does not hold, it finds each item by its ``02 <index branch>`` marker, reads each item's
layout from its own bytes, and checks that the items chain exactly from the array start to its
end. Every byte is checked as the generic decoder checks it, so the fast path returns what the
generic decoder would, or None: then the generic decoder reads (and reports errors in) the bytes.

Varints of up to 8 bytes are handled 8 bytes at a time as one uint64 ("SWAR"): three
mask-and-shift steps move the 7-bit groups together (decode) or apart (encode).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from etp._avro import read_long
from etp.messages.data_items import DataItems

_U8 = np.uint8
_U64 = np.uint64
_INDEX_BRANCH = {np.dtype(np.int64): 2, np.dtype(np.float64): 4}  # zig-zag of branches 1, 2
# value dtype -> zig-zag byte of its DataValue branch, and its payload width (0 = varint)
_VALUE_BRANCH = {
    np.dtype(np.bool_): (2, 1),
    np.dtype(np.int32): (4, 0),
    np.dtype(np.int64): (6, 0),
    np.dtype(np.float32): (8, 4),
    np.dtype(np.float64): (10, 8),
}
_BRANCH_DTYPE = {branch: dtype for dtype, (branch, _) in _VALUE_BRANCH.items()}
_MIN_ITEMS = 16  # below this the generic codec is as fast
_NATIVE = {t: np.dtype(t).newbyteorder("=") for t in ("u1", "<u8", "<f4", "<f8")}
_PAD = 32  # zero bytes after a copy of the input, so 8-byte reads near its end stay inside


# --- varints as 64-bit words ----------------------------------------------------------------------

_HIGH = 0x8080808080808080
_LOW7 = 0x7F7F7F7F7F7F7F7F
_WIDTH_LIMITS = np.array([1 << (7 * k) for k in range(1, 10)], _U64)


def _first_bytes(width: int) -> int:
    return (1 << (8 * width)) - 1


# By varint width 1..8: the high bits of its bytes, the continuation bits it must have (all but
# the last byte's), and its 7-bit groups.
_HIGH_BITS = np.array([0] + [_HIGH & _first_bytes(w) for w in range(1, 9)], _U64)
_CONTINUATION = np.array([0] + [_HIGH & _first_bytes(w - 1) for w in range(1, 9)], _U64)
_GROUPS = np.array([0] + [_LOW7 & _first_bytes(w) for w in range(1, 9)], _U64)


def _zigzag(a: NDArray[Any]) -> NDArray[Any]:
    a = a.astype(np.int64, copy=False)
    return ((a << 1) ^ (a >> 63)).view(_U64)


def _unzigzag(z: NDArray[Any]) -> NDArray[Any]:
    """Signed values of zig-zag encoded ones below 2**63 (any integer dtype)."""
    z = z.astype(np.int64)
    return (z >> 1) ^ -(z & 1)


def _varint_widths(z: NDArray[Any]) -> NDArray[Any]:
    """Bytes of each varint (1..10)."""
    top = int(z.max(initial=0))
    if top < 1 << 7:
        return np.ones(len(z), np.int64)
    if top < 1 << 14:
        return (z >= 1 << 7).astype(np.int64) + 1
    return np.searchsorted(_WIDTH_LIMITS, z, side="right").astype(np.int64) + 1


def _spread(z: NDArray[Any], top: int) -> NDArray[Any]:
    """Values of up to ``top`` (≤ 8) varint bytes with one 7-bit group per byte (no high bits)."""
    if top > 4:
        z = (z & _M[0]) | ((z & _M[1]) << _U64(4))
    if top > 2:
        z = (z & _M[2]) | ((z & _M[3]) << _U64(2))
    if top > 1:
        z = (z & _M[4]) | ((z & _M[5]) << _U64(1))
    return z


def _join(w: NDArray[Any], top: int) -> NDArray[Any]:
    """The inverse of _spread for values of up to ``top`` bytes: their 7-bit groups together."""
    if top > 1:
        w = (w & _M[4]) | ((w & _M[6]) >> _U64(1))
    if top > 2:
        w = (w & _M[2]) | ((w & _M[7]) >> _U64(2))
    if top > 4:
        w = (w & _M[8]) | ((w & _M[9]) >> _U64(4))
    return w


# The masks of _spread and _join, as numpy scalars (a Python int operand costs a conversion).
_M = [
    _U64(m)
    for m in (
        0x0FFFFFFF,
        0x00FFFFFFF0000000,
        0x00003FFF00003FFF,
        0x0FFFC0000FFFC000,
        0x007F007F007F007F,
        0x3F803F803F803F80,
        0x7F007F007F007F00,
        0x3FFF00003FFF0000,
        0x000000000FFFFFFF,
        0x0FFFFFFF00000000,
    )
]


def _varint_words(z: NDArray[Any], width: int) -> NDArray[Any]:
    """The varints of ``width`` (≤ 8) bytes of ``z`` as an (n, 8) little-endian byte matrix."""
    words: NDArray[Any] = (_spread(z, width) | _CONTINUATION[width]).astype("<u8", copy=False)
    return words.view(_U8).reshape(len(z), 8)


def _read_words(
    words: NDArray[Any], widths: NDArray[Any] | int
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Varints of ``widths`` (≤ 8) bytes from the 8 bytes at their start: well-formed?, values."""
    top = widths if isinstance(widths, int) else int(widths.max())
    ok = (words & _HIGH_BITS[widths]) == _CONTINUATION[widths]
    z = _join(words & _GROUPS[widths], top).view(np.int64)  # < 2**56: the sign bit is clear
    return ok, (z >> 1) ^ -(z & 1)


def _widths_of(words: NDArray[Any]) -> NDArray[Any]:
    """Width of the varint at the start of each word; 9 if longer than 8 bytes."""
    stop = ~words & _HIGH  # the high bit of every byte that ends a varint
    first_stop = stop & (_U64(0) - stop)
    widths: NDArray[Any] = np.bitwise_count(words & _HIGH & (first_stop - _U64(1)))
    return widths.astype(np.int64) + 1


def _varint_bytes_of(value: int) -> bytes:
    z = (value << 1) ^ (value >> 63)
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _uniform(widths: NDArray[Any] | int) -> int | None:
    if isinstance(widths, int):
        return widths
    if len(widths) == 0:
        return 0
    low = int(widths.min())
    return low if low == int(widths.max()) else None


def _rows_view(buf: NDArray[Any], width: int) -> NDArray[Any]:
    """``buf`` seen as one ``width``-byte row starting at every byte offset."""
    return np.ndarray((len(buf) - width + 1,), f"V{width}", buffer=buf, offset=0, strides=(1,))


# --- encoding -----------------------------------------------------------------------------------


def encode_into(out: bytearray, items: Any) -> bool:
    """Append ``items`` as an ``array<DataItem>`` if it is a DataItems; say whether it was."""
    if type(items) is not DataItems:
        return False
    if items._encoded is None:  # encoded once, however many sessions send it
        items._encoded = encode(items)
    out += items._encoded
    return True


def encode(items: DataItems) -> bytes:
    """The Avro ``array<DataItem>`` bytes of ``items`` (block count, items, end of array)."""
    if len(items) == 0:
        return b"\x00"
    columns = _Columns(items)
    head = _varint_bytes_of(len(items))
    if not columns.uniform_body:
        buf = columns.scatter(len(head))
    elif columns.id_width is not None and columns.id_width <= 8 and items.nulls is None:
        buf = columns.write_rows(len(head))
    else:
        buf = columns.scatter_bodies(len(head))
    buf[: len(head)] = np.frombuffer(head, _U8)
    buf[-1] = 0
    return buf.tobytes()


class _Columns:
    """The per-item bytes of a DataItems being encoded: zig-zag varints, widths, branches.

    The body (see the module doc) has one layout when every index varint has one width and every
    non-null value one width (up to 8 bytes): ``index_width``, ``value_width``, ``body_width``.
    """

    def __init__(self, items: DataItems) -> None:
        self.items = items
        self.nulls = items.nulls
        self.ids = _zigzag(items.channel_ids)
        self.id_widths = _varint_widths(self.ids)
        self.id_width = _uniform(self.id_widths)
        self.index_branch = _INDEX_BRANCH[items.indexes.dtype]
        self.index_z: NDArray[Any] | None = None
        self.index_widths: NDArray[Any] | int = 8
        if self.index_branch == 2:
            self.index_z = _zigzag(items.indexes)
            self.index_widths = _varint_widths(self.index_z)
        self.value_branch, width = _VALUE_BRANCH[items.values.dtype]
        self.value_z: NDArray[Any] | None = None
        self.value_widths: NDArray[Any] | int = width
        if width == 0:
            self.value_z = _zigzag(items.values)
            self.value_widths = _varint_widths(self.value_z)
        present_widths: NDArray[Any] | int = self.value_widths  # of the non-null values
        if self.nulls is not None:
            if self.value_z is not None:
                present_widths = _varint_widths(self.value_z[~self.nulls])
            elif self.nulls.all():
                present_widths = 0
            self.value_widths = np.where(self.nulls, 0, self.value_widths)
        index_width, value_width = _uniform(self.index_widths), _uniform(present_widths)
        self.uniform_body = (
            index_width is not None
            and value_width is not None
            and index_width <= 8
            and value_width <= 8
        )
        self.index_width, self.value_width = index_width or 0, value_width or 0
        self.branch_at = self.index_width + 3  # column of the value branch in a body
        self.body_width = self.branch_at + self.value_width + 2
        self.null_body_width = self.branch_at + 2  # a null has no payload

    def write_rows(self, start: int) -> NDArray[Any]:
        """All items equally wide: fill an (n, width) matrix in place."""
        n, id_width = len(self.items), self.id_width or 0
        buf = np.empty(start + n * (id_width + self.body_width) + 1, _U8)
        rows = buf[start:-1].reshape(n, id_width + self.body_width)
        _put_varints(rows, 0, self.ids, id_width)
        self._fill_bodies(rows[:, id_width:])
        return buf

    def scatter_bodies(self, start: int) -> NDArray[Any]:
        """Bodies equally wide: build them as a matrix, move them as rows next to the ids."""
        nulls = self.nulls
        bodies = np.empty((len(self.items), self.body_width), _U8)
        self._fill_bodies(bodies)
        if nulls is None:
            body_widths: NDArray[Any] | int = self.body_width
        else:
            body_widths = np.where(nulls, self.null_body_width, self.body_width)
        ends = np.cumsum(self.id_widths + body_widths) + start
        at = ends - body_widths
        buf = np.empty(int(ends[-1]) + 1, _U8)
        top = int(self.id_widths.max())
        if top <= 8 and self.null_body_width >= 7:
            # 8 bytes at each id: what is past the id lies in its body, written next
            words = _spread(self.ids, top) | _CONTINUATION[self.id_widths]
            _rows_view(buf, 8)[at - self.id_widths] = words.astype("<u8", copy=False).view("V8")
        else:
            _scatter_varints(buf, at - self.id_widths, self.ids, self.id_widths)
        full = bodies.view(f"V{self.body_width}").ravel()
        if nulls is None:
            _rows_view(buf, self.body_width)[at] = full
        else:
            present = ~nulls
            _rows_view(buf, self.body_width)[at[present]] = full[present]
            width, short = self.body_width, f"V{self.null_body_width}"
            heads = np.ndarray((len(bodies),), short, buffer=bodies, offset=0, strides=(width,))
            _rows_view(buf, self.null_body_width)[at[nulls]] = heads[nulls]
        return buf

    def _fill_bodies(self, rows: NDArray[Any]) -> None:
        c = self.branch_at
        rows[:, 0] = 2
        rows[:, 1] = self.index_branch
        if self.index_z is None:
            rows[:, 2:10].view("<f8")[:, 0] = self.items.indexes
        else:
            _put_varints(rows, 2, self.index_z, self.index_width)
        rows[:, c - 1] = 0
        rows[:, c] = self.value_branch
        values, width = self.items.values, self.value_width
        if width == 0:
            pass  # every value is null
        elif self.value_z is not None:
            _put_varints(rows, c + 1, self.value_z, width)
        elif values.dtype == np.bool_:
            rows[:, c + 1] = values
        else:
            rows[:, c + 1 : c + 1 + width].view(f"<f{width}")[:, 0] = values
        rows[:, -1] = 0
        if self.nulls is not None:
            rows[self.nulls, c : c + 2] = 0

    def scatter(self, start: int) -> NDArray[Any]:
        """Items of any widths: compute each item's offset, scatter each column."""
        nulls = self.nulls
        item_widths = self.id_widths + self.index_widths + self.value_widths + 5
        ends = np.cumsum(item_widths) + start
        starts = ends - item_widths
        buf = np.empty(int(ends[-1]) + 1, _U8)
        _scatter_varints(buf, starts, self.ids, self.id_widths)
        p = starts + self.id_widths
        buf[p] = 2
        buf[p + 1] = self.index_branch
        p += 2
        if self.index_z is None:
            _rows_view(buf, 8)[p] = _raw_bytes(self.items.indexes, "<f8").ravel().view("V8")
        else:
            assert not isinstance(self.index_widths, int)
            _scatter_varints(buf, p, self.index_z, self.index_widths)
        p += self.index_widths
        buf[p] = 0
        buf[p + 1] = self.value_branch if nulls is None else np.where(nulls, 0, self.value_branch)
        p += 2
        present = slice(None) if nulls is None else ~nulls
        values = self.items.values[present]
        if len(values):
            at = p[present]
            if self.value_z is not None:
                assert not isinstance(self.value_widths, int)
                _scatter_varints(buf, at, self.value_z[present], self.value_widths[present])
            elif values.dtype == np.bool_:
                buf[at] = values
            else:
                size = values.dtype.itemsize
                _rows_view(buf, size)[at] = _raw_bytes(values, f"<f{size}").ravel().view(f"V{size}")
        buf[ends - 1] = 0
        return buf


def _put_varints(rows: NDArray[Any], c: int, z: NDArray[Any], width: int) -> None:
    """Write varints of ``width`` (≤ 8) bytes into columns c.. of every row."""
    if width == 1:
        rows[:, c] = z
    elif width == 8:
        rows[:, c : c + 8].view("<u8")[:, 0] = _spread(z, 8) | _CONTINUATION[8]
    else:
        rows[:, c : c + width] = _varint_words(z, width)[:, :width]


def _raw_bytes(column: NDArray[Any], dtype: str) -> NDArray[Any]:
    """Little-endian bytes of each value, as an (n, itemsize) matrix."""
    data = np.ascontiguousarray(column.astype(dtype, copy=False))
    return data.view(_U8).reshape(len(column), data.dtype.itemsize)


def _scatter_varints(
    buf: NDArray[Any], at: NDArray[Any], z: NDArray[Any], widths: NDArray[Any]
) -> None:
    """Write each varint byte by byte (no write reaches past its varint)."""
    for k in range(int(widths.max())):
        low = ((z >> _U64(7 * k)) & _U64(0x7F)).astype(_U8)
        byte = low | np.where(widths > k + 1, _U8(0x80), _U8(0))
        if k == 0:
            buf[at] = byte
        else:
            longer = widths > k
            buf[at[longer] + k] = byte[longer]


# --- decoding -----------------------------------------------------------------------------------


def decode(data: bytes, p: int) -> tuple[DataItems, int] | None:
    """Read an ``array<DataItem>`` at ``p`` as columns, or None if it is not regular."""
    head = _read_count(data, p)
    if head is None:
        return None
    n, q = head
    if n < _MIN_ITEMS or n > (len(data) - q) // 6:
        return None
    layout = _first_item(data, q)
    if layout is None:
        return None
    _, index_branch, _, value_branch, value_width = layout
    if value_branch and value_width:
        found = _decode_rows(data, q, n, layout)
        if found is not None:
            return found
    padded = np.zeros(len(data) + _PAD, _U8)
    padded[: len(data)] = np.frombuffer(data, _U8)
    return _decode_items(padded, len(data), q, n, index_branch, value_branch)


def _read_count(data: bytes, p: int) -> tuple[int, int] | None:
    if p < len(data) and data[p] < 0x80:  # up to 63 items: one byte
        z = data[p]
        return (z >> 1) ^ -(z & 1), p + 1
    width = _varint_width_at(data, p)
    if width is None or width > 5:
        return None
    z = sum((data[p + k] & 0x7F) << (7 * k) for k in range(width))
    return (z >> 1) ^ -(z & 1), p + width


def _varint_width_at(data: bytes, p: int) -> int | None:
    for i in range(p, min(p + 8, len(data))):
        if data[i] < 0x80:
            return i - p + 1
    return None


def _first_item(data: bytes, q: int) -> tuple[int, int, int, int, int] | None:
    """The first item's id width, index branch and width, value branch and width (0: null)."""
    id_width = _varint_width_at(data, q)
    if id_width is None or q + id_width + 1 >= len(data) or data[q + id_width] != 2:
        return None
    r = q + id_width + 1
    index_branch = data[r]
    index_width = 8 if index_branch == 4 else _varint_width_at(data, r + 1)
    if index_branch not in (2, 4) or index_width is None or r + index_width + 3 >= len(data):
        return None
    value_branch = data[r + index_width + 2]
    if value_branch not in _BRANCH_DTYPE:
        return id_width, index_branch, index_width, 0, 0
    value_width = _VALUE_BRANCH[_BRANCH_DTYPE[value_branch]][1]
    if value_width == 0:
        value_width = _varint_width_at(data, r + index_width + 3) or 0
    return id_width, index_branch, index_width, value_branch, value_width


def _decode_rows(
    data: bytes, q: int, n: int, layout: tuple[int, int, int, int, int]
) -> tuple[DataItems, int] | None:
    """Decode assuming every item is laid out like the first; None if one is not. Each column
    is read in place, as a strided view of the bytes."""
    id_width, index_branch, index_width, value_branch, value_width = layout
    width = id_width + index_width + value_width + 5
    end = q + n * width
    if end >= len(data) or data[end] != 0:
        return None
    small = n <= _BIGINT_ROWS  # then the rows are read as one Python int too (faster checks)
    whole = int.from_bytes(data[q:end], "little") if small else 0
    if not (_pattern_holds(whole, layout, n) if small else _rows_match(data, q, end, n, layout)):
        return None

    def column(c: int, dtype: str) -> NDArray[Any]:
        return np.ndarray((n,), dtype, data, q + c, (width,))

    ids = _channel_ids(data, q, end, width) if id_width == 1 else None
    if ids is None:
        ids = _varint_column(data, q, n, width, 0, id_width)
    c = id_width + 2  # the index
    if index_branch == 4:
        indexes = column(c, "<f8").astype(np.float64)
    elif small and index_width > 2 and _same_in_every_row(data, q, n, whole, width, c, index_width):
        indexes = np.empty(n, np.int64)  # a row of channels: one index
        indexes.fill(read_long(data, q + c)[0])
    else:
        indexes = _varint_column(data, q, n, width, c, index_width)
    c += index_width + 2  # the value
    dtype = _BRANCH_DTYPE[value_branch]
    if dtype.kind == "f":
        values = column(c, f"<f{value_width}").astype(dtype)
    elif dtype.kind == "b":
        values = column(c, "u1").astype(bool)
    else:
        values = _varint_column(data, q, n, width, c, value_width)
        if dtype == np.int32 and not _fits_int32(values):
            return None
        values = values.astype(dtype)
    return DataItems._trusted(ids, indexes, values, None), end + 1


_BIGINT_ROWS = 64  # up to this many rows, their pattern is checked as one Python int (faster)


def _pattern_holds(rows: int, layout: tuple[int, ...], n: int) -> bool:
    """Whether every structural bit of ``n`` rows (their bytes as one little-endian int) is as
    ``layout`` says (see :func:`_row_pattern`)."""
    mask, expected = _rows_pattern_int(layout, n)
    return rows & mask == expected


def _same_in_every_row(data: bytes, q: int, n: int, whole: int, width: int, c: int, w: int) -> bool:
    """Whether bytes ``c`` to ``c + w`` of each of the ``n`` rows of ``width`` bytes from ``q``
    are the first row's (``whole``: the rows as one little-endian int)."""
    mask, ones = _column_int(n, width, c, w)
    return whole & mask == int.from_bytes(data[q + c : q + c + w], "little") * ones


@functools.lru_cache(maxsize=256)
def _column_int(n: int, width: int, c: int, w: int) -> tuple[int, int]:
    """The mask of bytes ``c`` to ``c + w`` of ``n`` rows of ``width`` bytes, and the number
    that copies a ``w``-byte value into each of them."""
    ones = sum(1 << (8 * (r * width + c)) for r in range(n))
    return ((1 << (8 * w)) - 1) * ones, ones


def _rows_match(data: bytes, q: int, end: int, n: int, layout: tuple[int, ...]) -> bool:
    """Whether every structural bit of the ``n`` rows from ``q`` to ``end`` is as ``layout``
    says (see :func:`_row_pattern`), checked with numpy (many rows)."""
    row_mask, row_expected = _row_pattern(layout)
    rows = np.frombuffer(data, _U8, end - q, q).reshape(n, len(row_mask))
    return bool(((rows & row_mask) == row_expected).all())


@functools.lru_cache(maxsize=256)
def _rows_pattern_int(layout: tuple[int, ...], n: int) -> tuple[int, int]:
    mask, expected = _row_pattern(layout)
    return (
        int.from_bytes(mask.tobytes() * n, "little"),
        int.from_bytes(expected.tobytes() * n, "little"),
    )


# The channel id columns of recent small arrays, by their bytes: a stream repeats the same ids
# message after message, and the same (read-only) array lets the receiver's routing and
# progress tables recognize them at once.
_IDS: dict[bytes, NDArray[np.int64]] = {}
_IDS_KEPT = 64


def _channel_ids(data: bytes, q: int, end: int, width: int) -> NDArray[np.int64] | None:
    """The one-byte channel ids of the rows of ``width`` bytes from ``q`` to ``end`` (the first
    byte of each row), from :data:`_IDS` when seen lately; None for more than
    ``_BIGINT_ROWS`` rows."""
    if end - q > _BIGINT_ROWS * width:
        return None
    key = data[q:end:width]
    ids = _IDS.get(key)
    if ids is None:
        if len(_IDS) >= _IDS_KEPT:
            del _IDS[next(iter(_IDS))]
        ids = _IDS[key] = _ONE_BYTE[np.frombuffer(key, _U8)]
        ids.flags.writeable = False
    return ids


# The signed value of each one-byte varint (the byte's high bit is checked before).
_ONE_BYTE = ((np.arange(128) >> 1) ^ -(np.arange(128) & 1)).astype(np.int64)


def _varint_column(data: bytes, q: int, n: int, width: int, c: int, w: int) -> NDArray[Any]:
    """The signed values of the ``w``-byte varints at column ``c`` of the ``n`` rows of
    ``width`` bytes from ``q`` (their continuation bits checked before)."""
    if w == 1:
        found: NDArray[Any] = _ONE_BYTE[np.ndarray((n,), "u1", data, q + c, (width,))]
        return found
    if w == 2:
        found = _short_id_tables()[1][np.ndarray((n,), "<u2", data, q + c, (width,))]
        return found
    return _fixed_varints(np.ndarray((n, w), "u1", data, q + c, (width, 1)))


_POWERS = np.array([1 << (7 * k) for k in range(8)], np.int64)
_MATMUL_ROWS = 256  # up to this many varints, a matrix product joins their groups fastest


def _fixed_varints(block: NDArray[Any]) -> NDArray[Any]:
    """The signed values of varints that fill each row of ``block`` ((n, width ≤ 8) bytes,
    their continuation bits already checked)."""
    n, width = block.shape
    if width < 8 or n <= _MATMUL_ROWS:
        z = (block & _U8(0x7F)).astype(np.int64) @ _POWERS[:width]
    else:
        z = _join(block.view("<u8")[:, 0] & _GROUPS[8], 8).view(np.int64)
    found: NDArray[Any] = (z >> 1) ^ -(z & 1)
    return found


@functools.lru_cache(maxsize=64)
def _row_pattern(layout: tuple[int, int, int, int, int]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Mask and expected bits of every structural bit of an item with this layout.

    Fixed bytes (02, branches, 00s) are compared whole; of a varint byte only the continuation
    bit (set on all but its last byte); of a boolean the 7 bits that must be 0.
    """
    id_width, index_branch, index_width, value_branch, value_width = layout
    width = id_width + index_width + value_width + 5
    mask, expected = np.zeros(width, _U8), np.zeros(width, _U8)

    def fixed(c: int, value: int) -> None:
        mask[c], expected[c] = 0xFF, value

    def varint(c: int, w: int) -> None:
        mask[c : c + w] = 0x80
        expected[c : c + w - 1] = 0x80

    varint(0, id_width)
    fixed(id_width, 2)
    fixed(id_width + 1, index_branch)
    if index_branch == 2:
        varint(id_width + 2, index_width)
    c = id_width + index_width + 3
    fixed(c - 1, 0)
    fixed(c, value_branch)
    dtype = _BRANCH_DTYPE[value_branch]
    if dtype.kind == "b":
        mask[c + 1] = 0xFE
    elif dtype.kind in "iu":
        varint(c + 1, value_width)
    fixed(width - 1, 0)
    return mask, expected


def _fits_int32(values: NDArray[Any]) -> bool:
    return bool(values.min() >= -(2**31) and values.max() < 2**31)


def _read_values(
    column: Any, c: Any, branch: int, widths: NDArray[Any] | int
) -> tuple[Any, NDArray[Any]]:
    """The values of one DataValue branch: well-formed?, and the values (``column(c, dtype)``)."""
    dtype = _BRANCH_DTYPE[branch]
    if dtype.kind == "f":
        return True, column(c, f"<f{dtype.itemsize}").astype(dtype, copy=False)
    if dtype.kind == "b":
        bytes_ = column(c, "u1")
        return bytes_ <= 1, bytes_.astype(bool)
    ok, values = _read_words(column(c, "<u8"), widths)
    if dtype == np.int32:
        ok &= (values >= -(2**31)) & (values < 2**31)
    return ok, values.astype(dtype)


def _decode_items(
    padded: NDArray[Any], size: int, q: int, n: int, index_branch: int, value_branch: int
) -> tuple[DataItems, int] | None:
    """Decode items of varying layouts, found by their ``02 <index branch>`` markers.

    ``value_branch`` is the first item's (0 if its value is null: then the commonest one).
    """
    seg = padded[q:size]
    marks = ((seg[:-1] == 2) & (seg[1:] == index_branch)).nonzero()[0] + q
    if len(marks) < n:
        return None
    words = _rows_view(padded, 8)
    # The 2 bytes before each marker (a short id) and the 32 from it: room for any body, and
    # an 8-byte read at its last column. (q >= 1: the count is before the first marker.)
    window = _rows_view(padded, 34)[marks - 2].view(_U8).reshape(len(marks), 34)

    def at(positions: Any, dtype: str = "u1") -> NDArray[Any]:
        """Values at absolute positions."""
        if dtype == "u1":
            found: NDArray[Any] = padded[positions]
            return found
        native = _NATIVE[dtype]
        found = words[positions].view(dtype)[:: 8 // native.itemsize]
        return found.astype(native, copy=False)

    def rel(offsets: Any, dtype: str = "u1") -> NDArray[Any]:
        """Values at offsets from each marker: a column of the window when the offset is fixed."""
        if not isinstance(offsets, int):
            return at(marks + offsets, dtype)
        native = _NATIVE[dtype]
        c = offsets + 2
        column: NDArray[Any] = window[:, c : c + native.itemsize].view(dtype)[:, 0]
        return column.astype(native, copy=dtype != "u1")

    # Each marker's item, were it one: index, end of indexes, value branch, value, end.
    index_ok: Any = True
    if index_branch == 4:
        index_widths: NDArray[Any] | int = 8
        indexes = rel(2, "<f8")
    else:
        index_words = rel(2, "<u8")
        index_widths = _widths_of(index_words)
        index_ok, indexes = _read_words(index_words, np.minimum(index_widths, 8))
        index_ok &= index_widths <= 8
    branch_at = index_widths + 3  # from the marker
    branches = rel(branch_at)
    if value_branch == 0:
        counts = np.bincount(branches, minlength=256)
        counts[0] = 0  # a false marker may show any branch: take the commonest
        value_branch = int(counts.argmax()) if counts.any() else 0
    nulls = branches == 0
    has_nulls = bool(nulls.any())
    ok = (branches == value_branch) | nulls if has_nulls else branches == value_branch
    ok &= rel(branch_at - 1) == 0
    if index_ok is not True:
        ok &= index_ok
    widths = branch_at + 2  # of the body
    if value_branch:
        if value_branch not in _BRANCH_DTYPE:
            return None
        value_widths: Any = _VALUE_BRANCH[_BRANCH_DTYPE[value_branch]][1]
        if value_widths == 0:
            value_widths = _widths_of(rel(branch_at + 1, "<u8"))
            ok &= (value_widths <= 8) | nulls
            value_widths = np.minimum(value_widths, 8)
        values_ok, values = _read_values(rel, branch_at + 1, value_branch, value_widths)
        if values_ok is not True:
            ok &= values_ok | nulls if has_nulls else values_ok
        widths = widths + (np.where(nulls, 0, value_widths) if has_nulls else value_widths)
    else:
        values = np.zeros(len(marks))
    ends = marks + widths
    ok &= padded[ends - 1] == 0 if has_nulls else rel(widths - 1) == 0
    if len(marks) != n or not ok.all():  # some markers are not item starts: follow the items
        plausible = np.flatnonzero(ok)
        chain = _chain(marks[plausible], ends[plausible], q, n, at)
        if chain is None:
            return None
        keep = plausible[chain]
        marks, ends, nulls, values = marks[keep], ends[keep], nulls[keep], values[keep]
        indexes, window = indexes[keep], window[keep]
        has_nulls = bool(nulls.any())
    # The items must chain: each channel id starts where the previous item ended.
    end = int(ends[-1])
    if end >= size or padded[end] != 0:
        return None
    ids = _short_ids(window, marks, ends, q)
    if ids is None:
        starts = np.empty(n, np.int64)
        starts[0] = q
        starts[1:] = ends[:-1]
        ids = _read_ids(padded, starts, marks, at)
        if ids is None:
            return None
    if has_nulls:
        values[nulls] = 0
        return DataItems._trusted(ids, indexes, values, nulls), end + 1
    return DataItems._trusted(ids, indexes, values, None), end + 1


def _short_ids(
    window: NDArray[Any], marks: NDArray[Any], ends: NDArray[Any], q: int
) -> NDArray[Any] | None:
    """The channel ids when each is one or two bytes (ids below 8192, the usual case), read from
    the two window columns before each marker; None if the items do not chain that way."""
    widths, ids = _short_id_tables()
    pairs = window[:, :2].view("<u2")[:, 0]  # the two bytes before each marker
    starts = marks - widths[pairs]
    if starts[0] != q or not (starts[1:] == ends[:-1]).all():
        return None
    found: NDArray[Any] = ids[pairs]
    return found


@functools.cache
def _short_id_tables() -> tuple[NDArray[Any], NDArray[Any]]:
    """By the two bytes (little-endian) before an item's marker: the width of a channel id of
    one or two bytes ending there (0 if none does: the last byte continues), and its value.
    Two bytes are a whole id when the first is a continuation byte; otherwise the first ends
    the item before (or the count) and the id is the second byte alone."""
    pairs = np.arange(1 << 16)
    first, last = pairs & 0xFF, pairs >> 8
    wide = first >= 0x80
    z = np.where(wide, (first & 0x7F) | (last << 7), last).astype(np.int64)
    widths = np.where(last >= 0x80, 0, 1 + wide).astype(np.uint8)
    return widths, (z >> 1) ^ -(z & 1)


def _read_ids(
    padded: NDArray[Any], starts: NDArray[Any], ends: NDArray[Any], at: Any
) -> NDArray[Any] | None:
    """The channel ids, each a varint exactly from ``starts`` to ``ends``; None if one is not."""
    widths = ends - starts
    top, low = int(widths.max()), int(widths.min())
    if low < 1 or top > 8:
        return None
    if top > 2:
        ok, ids = _read_words(at(starts, "<u8"), widths)
        return ids if ok.all() else None
    # Ids below 8192, the usual case: one or two bytes, read bytewise (cheaper).
    last = padded[ends - 1]
    z = last.astype(np.int64)
    if top == 2:
        first = padded[starts]
        two = widths == 2
        if not ((first >= 0x80) == two).all():
            return None
        z = np.where(two, (first & 0x7F) | (z << 7), z)
    if (last >= 0x80).any():
        return None
    found: NDArray[Any] = (z >> 1) ^ -(z & 1)
    return found


def _chain(marks: NDArray[Any], ends: NDArray[Any], q: int, n: int, at: Any) -> NDArray[Any] | None:
    """Which ``n`` of these (sorted) markers are the items, read in turn from ``q``.

    The item after the one ending at ``e`` has its marker right after the channel id that starts
    at ``e``. That successor is found for every marker at once, then the chain from the first item
    is followed by pointer doubling (log2(n) vectorized steps). None if it breaks off.
    """
    sink = len(marks)  # "no successor": a node that points to itself
    if sink == 0:
        return None
    starts = np.append(ends, q)  # where each item's successor starts, and the first item
    targets = starts + _widths_of(at(starts, "<u8"))  # its marker, after its channel id
    found = np.minimum(np.searchsorted(marks, targets), sink - 1)
    real = marks[found] == targets  # (an id over 8 bytes aims past the marker: not found)
    successor = np.append(np.where(real[:-1], found[:-1], sink), sink)
    if not real[-1]:
        return None
    chain = np.empty(n, np.int64)
    chain[0] = found[-1]  # the first item's marker
    have, jump = 1, successor
    while have < n:
        take = min(have, n - have)
        chain[have : have + take] = jump[chain[:take]]
        have += take
        jump = jump[jump]
    return None if (chain == sink).any() else chain
