"""etp.messages.DataItems: regular DataItem arrays as numpy columns."""

from __future__ import annotations

import numpy as np
import pytest

from etp.errors import EncodeError
from etp.messages import DataItem, DataItems


def test_columns_and_items() -> None:
    items = DataItems([3, 4], [1.5, 2.5], [10.0, 20.0], nulls=[False, True])
    assert items.channel_ids.dtype == np.int64
    assert items.indexes.dtype == np.float64
    assert list(items) == [
        DataItem(channel_id=3, indexes=[1.5], value=10.0),
        DataItem(channel_id=4, indexes=[2.5], value=None),
    ]
    assert items[0] == DataItem(channel_id=3, indexes=[1.5], value=10.0)
    assert items[-1].value is None
    assert len(items) == 2
    assert "2 items" in repr(items)


@pytest.mark.parametrize(
    ("values", "dtype", "python_type"),
    [
        (np.array([1.5]), np.float64, float),
        (np.array([1.5], np.float32), np.float32, np.float32),
        (np.array([7]), np.int64, int),
        (np.array([7], np.int32), np.int32, np.int32),
        (np.array([7], np.int16), np.int32, np.int32),
        (np.array([7], np.uint32), np.int64, int),
        (np.array([1.5], np.float16), np.float32, np.float32),
        (np.array([True]), np.bool_, bool),
        ([2.5], np.float64, float),
        ([2], np.int64, int),
    ],
)
def test_value_dtypes_pick_the_branch_types(values: object, dtype: type, python_type: type) -> None:
    items = DataItems([1], [0], values)
    assert items.values.dtype == dtype
    assert type(items[0].value) is python_type
    assert type(items[0].indexes[0]) is int  # an integer index is a long (e.g. time in µs)


def test_columns_are_read_only_copies() -> None:
    ids = np.array([1, 2])
    items = DataItems(ids, [0.0, 1.0], [0.0, 0.0])
    ids[0] = 99
    assert items.channel_ids[0] == 1
    with pytest.raises(ValueError, match="read-only"):
        items.values[0] = 5.0


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1, 2], [0.0], [1.0, 2.0]), "differ in length"),
        (([1.5], [0.0], [1.0]), "channel_ids must be integers"),
        (([1], ["a"], [1.0]), "indexes must be int"),
        (([1], [0.0], ["a"]), "no DataValue branch"),
        (([1], [0.0], np.array([2**64 - 1], np.uint64)), "no DataValue branch"),
        (([[1]], [0.0], [1.0]), "one-dimensional"),
    ],
)
def test_bad_columns(args: tuple[object, object, object], match: str) -> None:
    with pytest.raises(EncodeError, match=match):
        DataItems(*args)


def test_from_items_and_back() -> None:
    items = [
        DataItem(channel_id=1, indexes=[1_700_000_000_000_000], value=np.float32(1.5)),
        DataItem(channel_id=2, indexes=[1_700_000_000_000_001], value=None),
    ]
    columns = DataItems.from_items(items)
    assert columns.indexes.dtype == np.int64
    assert columns.values.dtype == np.float32
    assert columns.to_items() == items
    assert columns == items
    assert items == columns
    assert DataItems.from_items([]) == []


@pytest.mark.parametrize(
    "items",
    [
        [DataItem(channel_id=1, indexes=[1.0, 2.0], value=1.0)],
        [DataItem(channel_id=1, indexes=[], value=1.0)],
        [DataItem(channel_id=1, indexes=[1.0], value="text")],
        [
            DataItem(channel_id=1, indexes=[1.0], value=1.0),
            DataItem(channel_id=1, indexes=[2], value=1.0),
        ],
        [
            DataItem(channel_id=1, indexes=[1.0], value=1.0),
            DataItem(channel_id=1, indexes=[2.0], value=1),
        ],
    ],
)
def test_from_items_refuses_irregular_items(items: list[DataItem]) -> None:
    with pytest.raises(EncodeError, match="item"):
        DataItems.from_items(items)


def test_slices_and_equality() -> None:
    items = DataItems(
        np.arange(6), np.arange(6) * 1.0, np.arange(6) * 2.0, nulls=[0, 0, 1, 0, 0, 0]
    )
    assert items[3:] == DataItems([3, 4, 5], [3.0, 4.0, 5.0], [6.0, 8.0, 10.0])
    assert items[3:].nulls is None
    assert items[:3].nulls is not None
    assert items != DataItems(np.arange(6), np.arange(6) * 1.0, np.arange(6) * 2.0)
    # values under nulls do not count, nor the dtype of an all-null column
    assert DataItems([1], [0.0], [5.0], nulls=[True]) == DataItems([1], [0.0], [7], nulls=[True])
    nan = DataItems([1], [np.nan], [np.nan])
    assert nan == DataItems([1], [np.nan], [np.nan])
    assert items != "text"
    with pytest.raises(TypeError):
        hash(items)
