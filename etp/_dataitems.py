"""The vectorized (numpy) codec of :class:`etp.messages.DataItems`: the DataItem fast path.

Wire layout of one regular item (varints are zig-zag, doubles 8 little-endian bytes)::

    channelId varint | 02 (one index) | index branch, payload | 00 (end of indexes)
    | value branch [, payload unless null] | 00 (no attributes)

Encoding computes every item's width and offset with numpy and writes each column in one
vectorized step: a strided 2-D write when all items have the same width, a scatter otherwise.
Decoding first assumes all items are as wide as the first one; when they are not, it finds every
item's ``02 <index branch>`` marker, derives each item's extent from its own bytes, and checks
that the items chain exactly from the array start to its end. Every byte is verified as the
generic decoder would, so the fast path returns the same values or declines (returns None) and
lets the generic decoder read (and report errors in) the bytes. Both paths produce and accept
identical bytes; the tests compare them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from etp.messages.data_items import DataItems

_U8 = np.uint8
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


# --- varints, vectorized --------------------------------------------------------------------------


def _zigzag(a: NDArray[Any]) -> NDArray[np.uint64]:
    a = a.astype(np.int64, copy=False)
    return ((a << 1) ^ (a >> 63)).view(np.uint64)


def _varint_widths(z: NDArray[np.uint64]) -> NDArray[np.int64]:
    widths = np.ones(len(z), np.int64)
    top = int(z.max(initial=0))
    shift = 7
    while top >> shift:
        widths += (z >> np.uint64(shift)) != 0
        shift += 7
    return widths


def _varint_byte(
    z: NDArray[np.uint64], k: int, widths: NDArray[np.int64] | int
) -> NDArray[np.uint8]:
    """Byte ``k`` of each varint (with its continuation bit)."""
    low = ((z >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(_U8)
    return low | np.where(widths > k + 1, _U8(0x80), _U8(0))


def _varint_bytes_of(value: int) -> bytes:
    z = (value << 1) ^ (value >> 63)
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _uniform(widths: NDArray[np.int64] | int) -> int | None:
    if isinstance(widths, int):
        return widths
    low = int(widths.min())
    return low if low == int(widths.max()) else None


# --- encoding -----------------------------------------------------------------------------------


def encode_into(out: bytearray, items: Any) -> bool:
    """Append ``items`` as an ``array<DataItem>`` if it is a DataItems; say whether it was."""
    if type(items) is not DataItems:
        return False
    out += encode(items)
    return True


def encode(items: DataItems) -> bytes:
    """The Avro ``array<DataItem>`` bytes of ``items`` (block count, items, end of array)."""
    if len(items) == 0:
        return b"\x00"
    layout = _Layout(items)
    head = _varint_bytes_of(len(items))
    widths = (
        _uniform(layout.id_widths),
        _uniform(layout.index_widths),
        _uniform(layout.value_widths),
    )
    if None not in widths and (items.nulls is None or items.nulls.all()):
        return layout.write_rows(head, *widths)  # type: ignore[arg-type]
    return layout.scatter(head)


class _Layout:
    """Per-item bytes of a DataItems being encoded: zig-zag values, widths and branches."""

    def __init__(self, items: DataItems) -> None:
        self.items = items
        self.ids = _zigzag(items.channel_ids)
        self.id_widths = _varint_widths(self.ids)
        self.index_branch = _INDEX_BRANCH[items.indexes.dtype]
        self.index_z: NDArray[np.uint64] | None = None
        self.index_widths: NDArray[np.int64] | int = 8
        if self.index_branch == 2:
            self.index_z = _zigzag(items.indexes)
            self.index_widths = _varint_widths(self.index_z)
        self.value_branch, width = _VALUE_BRANCH[items.values.dtype]
        self.value_z: NDArray[np.uint64] | None = None
        self.value_widths: NDArray[np.int64] | int = width
        if width == 0:
            self.value_z = _zigzag(items.values)
            self.value_widths = _varint_widths(self.value_z)
        if items.nulls is not None:
            self.value_widths = np.where(items.nulls, 0, self.value_widths)

    def write_rows(self, head: bytes, id_width: int, index_width: int, value_width: int) -> bytes:
        """Every item has the same width: fill an (n, width) byte matrix column by column."""
        n = len(self.items)
        width = id_width + index_width + value_width + 5
        buf = np.empty(len(head) + n * width + 1, _U8)
        buf[: len(head)] = np.frombuffer(head, _U8)
        buf[-1] = 0
        rows = buf[len(head) : -1].reshape(n, width)
        for k in range(id_width):
            rows[:, k] = _varint_byte(self.ids, k, id_width)
        c = id_width
        rows[:, c] = 2
        rows[:, c + 1] = self.index_branch
        c += 2
        if self.index_z is None:
            rows[:, c : c + 8] = _raw_bytes(self.items.indexes, "<f8")
        else:
            for k in range(index_width):
                rows[:, c + k] = _varint_byte(self.index_z, k, index_width)
        c += index_width
        rows[:, c] = 0
        all_null = self.items.nulls is not None
        rows[:, c + 1] = 0 if all_null else self.value_branch
        c += 2
        values = self.items.values
        if all_null:
            pass
        elif self.value_z is not None:
            for k in range(value_width):
                rows[:, c + k] = _varint_byte(self.value_z, k, value_width)
        elif values.dtype == np.bool_:
            rows[:, c] = values
        else:
            rows[:, c : c + value_width] = _raw_bytes(values, f"<f{value_width}")
        rows[:, -1] = 0
        return buf.tobytes()

    def scatter(self, head: bytes) -> bytes:
        """Items of varying widths: compute each item's offset, scatter each column."""
        nulls = self.items.nulls
        item_widths = self.id_widths + self.index_widths + self.value_widths + 5
        ends = np.cumsum(item_widths) + len(head)
        starts = ends - item_widths
        buf = np.empty(int(ends[-1]) + 1, _U8)
        buf[: len(head)] = np.frombuffer(head, _U8)
        buf[-1] = 0
        _scatter_varints(buf, starts, self.ids, self.id_widths)
        p = starts + self.id_widths
        buf[p] = 2
        buf[p + 1] = self.index_branch
        p += 2
        if self.index_z is None:
            _scatter_raw(buf, p, self.items.indexes, "<f8")
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
                _scatter_raw(buf, at, values, f"<f{values.dtype.itemsize}")
        buf[ends - 1] = 0
        return buf.tobytes()


def _raw_bytes(column: NDArray[Any], dtype: str) -> NDArray[np.uint8]:
    """Little-endian bytes of each value, as an (n, itemsize) matrix."""
    data = column.astype(dtype, copy=False)
    return np.ascontiguousarray(data).view(_U8).reshape(len(column), data.dtype.itemsize)


def _scatter_varints(
    buf: NDArray[np.uint8], at: NDArray[np.int64], z: NDArray[np.uint64], widths: NDArray[np.int64]
) -> None:
    for k in range(int(widths.max())):
        byte = _varint_byte(z, k, widths)
        if k == 0:
            buf[at] = byte
        else:
            longer = widths > k
            buf[at[longer] + k] = byte[longer]


def _scatter_raw(
    buf: NDArray[np.uint8], at: NDArray[np.int64], values: NDArray[Any], dtype: str
) -> None:
    size = np.dtype(dtype).itemsize
    # a view of buf with one (unaligned) value starting at every byte offset
    view = np.ndarray((len(buf) - size + 1,), dtype, buffer=buf, offset=0, strides=(1,))
    view[at] = values


# --- decoding -----------------------------------------------------------------------------------


def decode(data: bytes, p: int) -> tuple[DataItems, int] | None:
    """Read an ``array<DataItem>`` at ``p`` as columns, or None if it is not regular."""
    head = _read_count(data, p)
    if head is None:
        return None
    n, q = head
    if n < _MIN_ITEMS or n > (len(data) - q) // 6:
        return None
    first = _first_item_layout(data, q)
    if first is None:
        return None
    buf = np.frombuffer(data, _U8)
    return _decode_rows(buf, data, q, n, *first) or _decode_chained(buf, data, q, n, first[1])


def _read_count(data: bytes, p: int) -> tuple[int, int] | None:
    n = shift = 0
    for i in range(p, min(p + 5, len(data))):
        c = data[i]
        n |= (c & 0x7F) << shift
        if c < 0x80:
            return ((n >> 1) ^ -(n & 1)), i + 1
        shift += 7
    return None


def _varint_width_at(data: bytes, p: int) -> int | None:
    for i in range(p, min(p + 10, len(data))):
        if data[i] < 0x80:
            return i - p + 1
    return None


def _first_item_layout(data: bytes, q: int) -> tuple[int, int, int, int, int] | None:
    """(id width, index branch, index width, value branch, value width) of the item at q."""
    id_width = _varint_width_at(data, q)
    if id_width is None or q + id_width + 2 >= len(data) or data[q + id_width] != 2:
        return None
    r = q + id_width + 1
    index_branch = data[r]
    index_width = 8 if index_branch == 4 else _varint_width_at(data, r + 1)
    if index_branch not in (2, 4) or index_width is None or r + index_width + 2 >= len(data):
        return None
    r += 1 + index_width
    value_branch = data[r + 1]
    if data[r] != 0 or (value_branch not in _BRANCH_DTYPE and value_branch != 0):
        return None
    value_width = _VALUE_BRANCH[_BRANCH_DTYPE[value_branch]][1] if value_branch else 0
    if value_branch and value_width == 0:
        value_width = _varint_width_at(data, r + 2) or 0
    return id_width, index_branch, index_width, value_branch, value_width


def _decode_rows(
    buf: NDArray[np.uint8],
    data: bytes,
    q: int,
    n: int,
    id_width: int,
    index_branch: int,
    index_width: int,
    value_branch: int,
    value_width: int,
) -> tuple[DataItems, int] | None:
    """Decode assuming every item is laid out like the first; None if one is not."""
    width = id_width + index_width + value_width + 5
    end = q + n * width
    if (value_branch and value_width == 0) or end >= len(buf) or buf[end] != 0:
        return None
    rows = buf[q:end].reshape(n, width)
    c_index = id_width + 2
    c_value = c_index + index_width + 2
    fixed = rows[:, [id_width, id_width + 1, c_value - 2, c_value - 1, width - 1]]
    if not (fixed == np.array([2, index_branch, 0, value_branch, 0], _U8)).all():
        return None
    ids = _varint_column(rows, 0, id_width)
    if ids is None:
        return None
    if index_branch == 4:
        indexes = _strided(data, q + c_index, width, n, "<f8")
    else:
        index_ints = _varint_column(rows, c_index, index_width)
        if index_ints is None:
            return None
        indexes = index_ints
    if value_branch == 0:
        values: NDArray[Any] = np.zeros(n)
        nulls = np.ones(n, bool)
        return DataItems._trusted(ids, indexes, values, nulls), end + 1
    dtype = _BRANCH_DTYPE[value_branch]
    if dtype.kind == "f":
        values = _strided(data, q + c_value, width, n, f"<f{dtype.itemsize}")
    elif dtype.kind == "b":
        if rows[:, c_value].max() > 1:
            return None
        values = rows[:, c_value].astype(bool)
    else:
        ints = _varint_column(rows, c_value, value_width)
        if ints is None or not _fits(ints, dtype):
            return None
        values = ints.astype(dtype)
    return DataItems._trusted(ids, indexes, values, None), end + 1


def _varint_column(rows: NDArray[np.uint8], c: int, width: int) -> NDArray[np.int64] | None:
    """Decode the varints of columns c..c+width of every row, or None if one is not exactly that."""
    block = rows[:, c : c + width]
    if not ((block[:, :-1] >= 0x80).all() and (block[:, -1] < 0x80).all()):
        return None
    if width == 10 and (block[:, -1] > 1).any():
        return None
    z = np.zeros(len(rows), np.uint64)
    for k in range(width):
        z |= (block[:, k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return _unzigzag(z)


def _unzigzag(z: NDArray[np.uint64]) -> NDArray[np.int64]:
    return (z >> np.uint64(1)).view(np.int64) ^ -(z & np.uint64(1)).view(np.int64)


def _strided(data: bytes, offset: int, stride: int, n: int, dtype: str) -> NDArray[Any]:
    view = np.ndarray((n,), dtype, buffer=data, offset=offset, strides=(stride,))
    return view.astype(np.dtype(dtype).newbyteorder("="))


def _fits(values: NDArray[np.int64], dtype: np.dtype[Any]) -> bool:
    if dtype != np.int32:
        return True
    return bool(values.min() >= -(2**31) and values.max() < 2**31)


def _decode_chained(
    buf: NDArray[np.uint8], data: bytes, q: int, n: int, index_branch: int
) -> tuple[DataItems, int] | None:
    """Decode items of varying widths, found by their ``02 <index branch>`` markers."""
    last = len(buf) - 1
    seg = buf[q:]
    marks = np.flatnonzero((seg[:-1] == 2) & (seg[1:] == index_branch)) + q
    if len(marks) < n:
        return None
    # Each marker's item, were it real: index, end of indexes, value branch, value, end.
    at_index = marks + 2
    if index_branch == 4:
        index_widths: NDArray[np.int64] | int = 8
    else:
        found = _varint_widths_at(buf, at_index)
        if found is None:
            return None
        index_widths = found
    at_end_of_indexes = np.minimum(at_index + index_widths, last)
    branches = buf[np.minimum(at_end_of_indexes + 1, last)]
    value_kinds = np.unique(branches)
    value_kinds = value_kinds[value_kinds != 0]
    plausible = buf[at_end_of_indexes] == 0
    if len(value_kinds) > 1:  # a false marker may see any branch: keep the commonest
        counts = [(int((branches == k).sum()), int(k)) for k in value_kinds]
        value_kinds = np.array([max(counts)[1]], _U8)
    value_branch = int(value_kinds[0]) if len(value_kinds) else 0
    if value_branch and value_branch not in _BRANCH_DTYPE:
        return None
    plausible &= (branches == 0) | (branches == value_branch)
    at_value = at_end_of_indexes + 2
    dtype = _BRANCH_DTYPE.get(value_branch, np.dtype(np.float64))
    width = _VALUE_BRANCH[dtype][1]
    if value_branch and width == 0:
        found = _varint_widths_at(buf, np.minimum(at_value, last))
        if found is None:
            return None
        value_widths = np.where(branches == 0, 0, found)
    else:
        value_widths = np.where(branches == 0, 0, width)
    ends = at_value + value_widths + 1
    plausible &= buf[np.minimum(ends - 1, last)] == 0
    keep = np.flatnonzero(plausible)[:n]
    if len(keep) < n:
        return None
    marks, ends, at_value, branches = marks[keep], ends[keep], at_value[keep], branches[keep]
    if not isinstance(index_widths, int):
        index_widths = index_widths[keep]
    value_widths = value_widths[keep]
    # The items must chain: each one starts (with its channel id) where the previous one ended.
    starts = np.empty(n, np.int64)
    starts[0] = q
    starts[1:] = ends[:-1]
    end = int(ends[-1])
    if end > last or buf[end] != 0:
        return None
    ids = _varint_values_at(buf, starts, marks - starts)
    if ids is None:
        return None
    if index_branch == 4:
        indexes = _unaligned(data, marks + 2, "<f8")
    else:
        assert not isinstance(index_widths, int)
        index_ints = _varint_values_at(buf, marks + 2, index_widths)
        if index_ints is None:
            return None
        indexes = index_ints
    nulls = branches == 0
    present = ~nulls
    values = np.zeros(n, dtype)
    if value_branch:
        at = at_value[present]
        if dtype.kind == "f":
            values[present] = _unaligned(data, at, f"<f{dtype.itemsize}")
        elif dtype.kind == "b":
            if len(at) and buf[at].max() > 1:
                return None
            values[present] = buf[at].astype(bool)
        else:
            ints = _varint_values_at(buf, at, value_widths[present])
            if ints is None or not _fits(ints, dtype):
                return None
            values[present] = ints
    return DataItems._trusted(ids, indexes, values, nulls if nulls.any() else None), end + 1


def _varint_widths_at(buf: NDArray[np.uint8], at: NDArray[np.int64]) -> NDArray[np.int64] | None:
    """Width of the varint starting at each offset (None if one runs past 10 bytes or the end)."""
    last = len(buf) - 1
    widths = np.ones(len(at), np.int64)
    more = buf[np.minimum(at, last)] >= 0x80
    k = 1
    while more.any():
        if k == 10:
            return None
        widths += more
        more &= buf[np.minimum(at + k, last)] >= 0x80
        k += 1
    return widths


def _varint_values_at(
    buf: NDArray[np.uint8], at: NDArray[np.int64], widths: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    """The varints of exactly ``widths`` bytes at ``at``; None if any is not exactly that."""
    top = int(widths.max())
    if int(widths.min()) < 1 or top > 10:
        return None
    z = np.zeros(len(at), np.uint64)
    for k in range(top):
        here = widths > k
        byte = buf[at[here] + k] if k else buf[at]
        last_byte = widths[here] == k + 1 if k else widths == 1
        if ((byte >= 0x80) == last_byte).any() or (k == 9 and (byte > 1).any()):
            return None
        z[here] |= (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return _unzigzag(z)


def _unaligned(data: bytes, at: NDArray[np.int64], dtype: str) -> NDArray[Any]:
    size = np.dtype(dtype).itemsize
    view = np.ndarray((len(data) - size + 1,), dtype, buffer=data, offset=0, strides=(1,))
    return view[at].astype(np.dtype(dtype).newbyteorder("="))
