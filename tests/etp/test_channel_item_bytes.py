"""item_bytes: the size of the largest encoded DataItem of columns (cuts messages to fit)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from etp.codec import encode_record
from etp.messages.channel_data_load import ChannelData
from etp.messages.data_items import DataItems
from etp.protocols.channel_backend import item_bytes

_EMPTY_ARRAY = len(encode_record(ChannelData(data=DataItems([], [], np.zeros(0)))))

value_dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_])
index_dtypes = st.sampled_from([np.int64, np.float64])


@st.composite
def columns(draw: st.DrawFn) -> DataItems:
    n = draw(st.integers(1, 30))
    ids = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2**40)))
    index_dtype = draw(index_dtypes)
    indexes = draw(hnp.arrays(index_dtype, n, elements=hnp.from_dtype(np.dtype(index_dtype))))
    value_dtype = draw(value_dtypes)
    values = draw(hnp.arrays(value_dtype, n, elements=hnp.from_dtype(np.dtype(value_dtype))))
    return DataItems(ids, indexes, values)


def item_sizes(items: DataItems) -> list[int]:
    return [
        len(encode_record(ChannelData(data=items[i : i + 1]))) - _EMPTY_ARRAY - 1
        for i in range(len(items))
    ]


@given(columns())
def test_no_item_is_larger(items: DataItems) -> None:
    assert max(item_sizes(items)) <= item_bytes(items.channel_ids, items.indexes, items.values)


def test_channel_data_items_are_that_large() -> None:
    ids = np.tile(np.arange(1, 25), 100)
    time = np.repeat(1_709_251_200_000_000 + np.arange(100) * 1000, 24)  # 2024, 1 kHz
    depth = np.repeat(1500.0 + np.arange(100) * 0.1, 24)
    for index in (time, depth):
        items = DataItems(ids, index, np.random.default_rng(1).normal(size=2400))
        width = item_bytes(items.channel_ids, items.indexes, items.values)
        assert set(item_sizes(items)) == {width}


def test_the_same_points_under_the_same_ids_give_the_same_arrays() -> None:
    from etp.protocols.channel_backend import item_arrays
    from etp.store.channels import Points

    parts = [(i, Points(np.array([10, 20], np.int64), np.array([1.0, 2.0]))) for i in (1, 2)]
    first = item_arrays(parts, 100_000)
    again = item_arrays(list(parts), 100_000)
    assert [a is b for a, b in zip(first, again, strict=True)] == [True]
    [other_ids] = item_arrays([(3, p) for _, p in parts], 100_000)
    assert other_ids is not first[0]
    assert isinstance(other_ids, DataItems)
    assert list(other_ids.channel_ids) == [3, 3, 3, 3]
    copies = [(i, Points(p.indexes.copy(), p.values.copy())) for i, p in parts]
    assert item_arrays(copies, 100_000)[0] is not first[0]  # other Points: built again
    big = [(1, Points(np.arange(70_000, dtype=np.int64), np.zeros(70_000)))]
    assert item_arrays(big, 10_000_000)[0] is not item_arrays(big, 10_000_000)[0]  # not kept


def test_a_data_items_array_is_encoded_once() -> None:
    items = DataItems(np.arange(100) % 24, np.arange(100) * 0.5, np.ones(100))
    first = encode_record(ChannelData(data=items))
    assert items._encoded is not None
    assert encode_record(ChannelData(data=items)) == first
    same = DataItems(items.channel_ids, items.indexes, items.values)
    assert encode_record(ChannelData(data=same)) == first
