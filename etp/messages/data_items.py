"""Columnar DataItem arrays: regular channel data as numpy columns.

Channel data travels as ``array<DataItem>`` (ChannelData of protocols 1, 21 and 22,
GetRangesResponse, RangeReplaced, ReplaceRange). Most of it is *regular*: every item has exactly
one index value of the same kind (long or double), one value of the same kind (boolean, int, long,
float or double; some may be null) and no attributes. :class:`DataItems` holds such an array as
columns and can stand wherever a ``Sequence[DataItem]`` is expected; the codec encodes it with a
vectorized fast path, and decoding returns it for regular bytes (a ``list[DataItem]`` otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from etp.errors import EncodeError
from etp.messages.datatypes import DataItem

# Column dtypes that map to a DataValue branch (others are widened to one of these).
VALUE_DTYPES = (np.bool_, np.int32, np.int64, np.float32, np.float64)


class DataItems(Sequence[DataItem]):
    """A regular DataItem array as numpy columns (read-only).

    ``channel_ids`` (int64), ``indexes`` (one primary index per item: int64 → long, e.g. time in
    microseconds; float64 → double, e.g. depth), ``values`` (float64 → double, float32 → float,
    int64 → long, int32 → int, bool → boolean) and ``nulls`` (bool mask of null values, or None).
    Other numeric dtypes are widened to the nearest of those. Indexing or iterating yields
    :class:`DataItem` objects equal to what the generic decoder returns for the same bytes.
    """

    __slots__ = ("_encoded", "_ids", "_indexes", "_nulls", "_values")

    def __init__(
        self,
        channel_ids: ArrayLike,
        indexes: ArrayLike,
        values: ArrayLike,
        nulls: ArrayLike | None = None,
    ) -> None:
        ids = _column(channel_ids, "channel_ids")
        if ids.size == 0:
            ids = ids.astype(np.int64)  # np.array([]) is float64
        idx = _column(indexes, "indexes")
        vals = _column(values, "values")
        if ids.dtype.kind not in "iu" or (ids.dtype == np.uint64 and ids.max(initial=0) >> 63):
            raise EncodeError(f"DataItems.channel_ids must be integers (long), not {ids.dtype}")
        if idx.dtype.kind in "iu" and not (idx.dtype == np.uint64 and idx.max(initial=0) >> 63):
            idx = idx.astype(np.int64)
        elif idx.dtype.kind == "f":
            idx = idx.astype(np.float64)
        else:
            raise EncodeError(
                f"DataItems.indexes must be int (long) or float (double), not {idx.dtype}"
            )
        vals = _value_column(vals)
        mask = None if nulls is None else _column(nulls, "nulls").astype(bool)
        n = len(ids)
        if len(idx) != n or len(vals) != n or (mask is not None and len(mask) != n):
            raise EncodeError(
                f"DataItems columns differ in length: channel_ids {n}, indexes {len(idx)}, "
                f"values {len(vals)}" + ("" if mask is None else f", nulls {len(mask)}")
            )
        self._set(
            ids.astype(np.int64), idx, vals, mask if mask is not None and mask.any() else None
        )

    def _set(
        self,
        ids: NDArray[np.int64],
        indexes: NDArray[Any],
        values: NDArray[Any],
        nulls: NDArray[np.bool_] | None,
    ) -> None:
        for column in (ids, indexes, values, nulls):
            if column is not None:
                column.flags.writeable = False
        self._ids, self._indexes, self._values, self._nulls = ids, indexes, values, nulls
        self._encoded: bytes | None = None  # the codec's, kept: the columns cannot change

    @classmethod
    def _trusted(
        cls,
        ids: NDArray[np.int64],
        indexes: NDArray[Any],
        values: NDArray[Any],
        nulls: NDArray[np.bool_] | None,
    ) -> DataItems:
        """Wrap columns that are already valid and owned (the decoder's)."""
        self = cls.__new__(cls)
        self._set(ids, indexes, values, nulls)
        return self

    @classmethod
    def from_items(cls, items: Iterable[DataItem]) -> DataItems:
        """Columns from DataItem objects; EncodeError if the items are not regular."""
        ids, indexes, values = [], [], []
        index_dtype: np.dtype[Any] | None = None
        value_dtype: np.dtype[Any] | None = None
        for i, item in enumerate(items):
            if len(item.indexes) != 1 or item.value_attributes:
                raise EncodeError(f"item {i} is irregular: it needs one index and no attributes")
            index, value = item.indexes[0], item.value
            dtype = _PYTHON_INDEX_DTYPES.get(type(index))
            if dtype is None or (index_dtype is not None and index_dtype != dtype):
                raise EncodeError(f"item {i}: index {index!r} breaks the column's kind")
            index_dtype = dtype
            if value is not None:
                dtype = _PYTHON_VALUE_DTYPES.get(type(value))
                if dtype is None or (value_dtype is not None and value_dtype != dtype):
                    raise EncodeError(f"item {i}: value {value!r} breaks the column's kind")
                value_dtype = dtype
            ids.append(item.channel_id)
            indexes.append(index)
            values.append(value)
        nulls = [v is None for v in values]
        return cls(
            np.array(ids, np.int64),
            np.array(indexes, index_dtype or np.float64),
            np.array([0 if v is None else v for v in values], value_dtype or np.float64),
            np.array(nulls, bool),
        )

    @property
    def channel_ids(self) -> NDArray[np.int64]:
        """Channel id of each item."""
        return self._ids

    @property
    def indexes(self) -> NDArray[Any]:
        """The (primary) index value of each item: int64 (long) or float64 (double)."""
        return self._indexes

    @property
    def values(self) -> NDArray[Any]:
        """The value of each item (meaningless where ``nulls`` is True)."""
        return self._values

    @property
    def nulls(self) -> NDArray[np.bool_] | None:
        """True where the value is null; None when no value is."""
        return self._nulls

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, i: int) -> DataItem: ...
    @overload
    def __getitem__(self, i: slice) -> DataItems: ...
    def __getitem__(self, i: int | slice) -> DataItem | DataItems:
        if isinstance(i, slice):
            nulls = None if self._nulls is None else self._nulls[i]
            return DataItems._trusted(
                self._ids[i],
                self._indexes[i],
                self._values[i],
                nulls if nulls is not None and nulls.any() else None,
            )
        value = None if self._nulls is not None and self._nulls[i] else self._python_values([i])[0]
        return DataItem(
            channel_id=int(self._ids[i]), indexes=[self._indexes[i].item()], value=value
        )

    def __iter__(self) -> Iterator[DataItem]:
        return iter(self.to_items())

    def to_items(self) -> list[DataItem]:
        """The same items as DataItem objects."""
        values = self._python_values(slice(None))
        if self._nulls is not None:
            values = [
                None if null else v for v, null in zip(values, self._nulls.tolist(), strict=True)
            ]
        return [
            DataItem(channel_id=c, indexes=[i], value=v)
            for c, i, v in zip(self._ids.tolist(), self._indexes.tolist(), values, strict=True)
        ]

    def _python_values(self, which: Any) -> list[Any]:
        # float32 and int32 stay numpy scalars: that is what keeps their float/int branch
        column = self._values[which]
        if column.dtype in (np.float32, np.int32):
            return list(column)
        return list(column.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DataItems):
            return (
                np.array_equal(self._ids, other._ids)
                and self._indexes.dtype == other._indexes.dtype
                and np.array_equal(self._indexes, other._indexes, equal_nan=True)
                and _same_nulls(self._nulls, other._nulls)
                and _same_values(self._values, other._values, self._nulls)
            )
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(other) == len(self) and self.to_items() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        nulls = 0 if self._nulls is None else int(self._nulls.sum())
        return (
            f"DataItems({len(self)} items, indexes {self._indexes.dtype}, values "
            f"{self._values.dtype}, {nulls} nulls)"
        )


# Python types of index/value items -> the column dtype that carries them (the same branch).
_PYTHON_INDEX_DTYPES: dict[type, np.dtype[Any]] = {
    int: np.dtype(np.int64),
    np.int64: np.dtype(np.int64),
    float: np.dtype(np.float64),
    np.float64: np.dtype(np.float64),
}
_PYTHON_VALUE_DTYPES: dict[type, np.dtype[Any]] = {
    **_PYTHON_INDEX_DTYPES,
    bool: np.dtype(np.bool_),
    np.bool_: np.dtype(np.bool_),
    np.float32: np.dtype(np.float32),
    np.int32: np.dtype(np.int32),
}


def _column(data: ArrayLike, name: str) -> NDArray[Any]:
    column = np.array(data)
    if column.ndim != 1:
        raise EncodeError(f"DataItems.{name} must be one-dimensional, not shape {column.shape}")
    return column


def _value_column(values: NDArray[Any]) -> NDArray[Any]:
    if values.dtype.type in VALUE_DTYPES:
        return values
    kind, size = values.dtype.kind, values.dtype.itemsize
    if kind in "iu" and (size < 4 or (kind == "i" and size == 4)):
        return values.astype(np.int32)
    if kind in "iu" and (size <= 4 or values.max(initial=0) <= np.iinfo(np.int64).max):
        return values.astype(np.int64)
    if kind == "f" and size < 4:
        return values.astype(np.float32)
    raise EncodeError(f"DataItems.values: no DataValue branch for dtype {values.dtype}")


def _same_nulls(a: NDArray[np.bool_] | None, b: NDArray[np.bool_] | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


def _same_values(a: NDArray[Any], b: NDArray[Any], nulls: NDArray[np.bool_] | None) -> bool:
    if nulls is not None:
        if nulls.all():
            return True  # no value at all: the column's dtype says nothing
        a, b = a[~nulls], b[~nulls]
    return a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
