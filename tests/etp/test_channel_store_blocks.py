"""etp.store.blocks: ordered keys, the block codec and the checks, with property tests."""

from __future__ import annotations

import itertools
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etp.errors import ErrorCode, ProtocolError
from etp.store import blocks
from etp.store.channels import DataKind, Points
from tests.etp.channel_store_helpers import DOWN, TIME, UP, definition

finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=2, max_size=50))
def test_float_keys_sort_like_the_floats_and_round_trip(values: list[float]) -> None:
    array = np.array(values)
    keys = blocks.keys_of(array, is_time=False)
    assert keys.tolist() == [blocks.key_of(v, False) for v in values]
    ordered = keys[np.argsort(array, kind="stable")].tolist()
    assert ordered == sorted(ordered)
    for a, b in itertools.pairwise(values):
        assert (a < b) == (blocks.key_of(a, False) < blocks.key_of(b, False))
    for v in values:
        back = blocks.value_of(blocks.key_of(v, False), False)
        assert back == v
        assert struct.pack("<d", back) == struct.pack("<d", v + 0.0)


def test_key_edges() -> None:
    assert blocks.key_of(-0.0, False) == blocks.key_of(0.0, False) == 0
    assert blocks.key_of(5e-324, False) == 1
    assert blocks.key_of(-5e-324, False) < 0 < blocks.key_of(5e-324, False)
    assert blocks.value_of(blocks.key_of(-1.5, False) + 1, False) == math.nextafter(-1.5, 0)
    assert blocks.key_of(2**62, True) == 2**62
    assert blocks.value_of(-7, True) == -7


def _points(kind: DataKind, n: int, seed: int, nulls: bool) -> Points:
    rng = np.random.default_rng(seed)
    columns: dict[DataKind, np.ndarray] = {
        DataKind.TYPE_DOUBLE: rng.normal(size=n),
        DataKind.TYPE_FLOAT: rng.normal(size=n).astype(np.float32),
        DataKind.TYPE_LONG: rng.integers(-(2**62), 2**62, n),
        DataKind.TYPE_INT: rng.integers(-(2**31), 2**31 - 1, n).astype(np.int32),
        DataKind.TYPE_BOOLEAN: rng.random(n) < 0.5,
        DataKind.TYPE_STRING: np.array([f"s{i}é" * (i % 4) for i in range(n)], object),
    }
    values = columns[kind]
    mask = rng.random(n) < 0.3 if nulls else None
    return Points(np.arange(n, dtype=np.float64), values, mask)


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from([k for k in DataKind if k is not DataKind.TYPE_BYTES]),
    n=st.integers(1, 300),
    seed=st.integers(0, 2**32 - 1),
    nulls=st.booleans(),
    index_style=st.sampled_from(["regular", "random", "time-regular", "time-jitter", "time-wide"]),
)
def test_blocks_round_trip(
    kind: DataKind, n: int, seed: int, nulls: bool, index_style: str
) -> None:
    rng = np.random.default_rng(seed)
    is_time = index_style.startswith("time")
    d = definition(TIME if is_time else definition().index_kind, UP, kind)
    given = _points(kind, n, seed, nulls)
    index = {
        "regular": 1000.0 + 0.25 * np.arange(n),
        "random": np.cumsum(rng.random(n) + 1e-3) - 50.0,
        "time-regular": 1_700_000_000_000_000 + 1_000_000 * np.arange(n, dtype=np.int64),
        "time-jitter": 1_700_000_000_000_000 + np.cumsum(rng.integers(1, 10_000, n)),
        "time-wide": np.cumsum(rng.integers(1, 2**40, n)) - 2**50,
    }[index_style]
    points = blocks.check_points(d, Points(index, given.values, given.nulls), "eml:///c", 1)
    block = blocks.encode_block(points, is_time)
    assert block.count == n
    keys = blocks.keys_of(points.indexes, is_time)
    assert (block.lo_key, block.hi_key) == (int(keys.min()), int(keys.max()))
    back = blocks.decode_block(d, n, block.indexes, block.values, block.nulls)
    assert np.array_equal(back.indexes, points.indexes)
    assert back.indexes.dtype == points.indexes.dtype
    assert back.value_list() == points.value_list() or kind is DataKind.TYPE_DOUBLE
    if kind is DataKind.TYPE_DOUBLE:
        assert np.array_equal(back.values, points.values, equal_nan=True)
    assert (back.nulls is None) == (points.nulls is None)
    if index_style in ("regular", "time-regular"):
        assert len(block.indexes) == 17  # the regular codec


def test_the_index_codecs_are_chosen_by_the_data() -> None:
    def codec(index: np.ndarray) -> bytes:
        return blocks.encode_block(
            Points(index, np.zeros(len(index))), index.dtype == np.int64
        ).indexes[:1]

    assert codec(np.array([5.0])) == b"R"
    assert codec(0.1 * np.arange(1000)) == b"R"
    assert codec(np.array([1.0, 2.0, 4.0])) == b"P"
    assert codec(np.array([1, 5, 6], np.int64)) == b"D"
    assert codec(np.array([0, 2**40, 2**40 + 1], np.int64)) == b"P"


def test_check_order_names_the_first_bad_point() -> None:
    with pytest.raises(ProtocolError) as caught:
        blocks.check_order(np.array([3.0, 2.0, 1.0, 1.0]), DOWN, 4.0, "eml:///c", 9)
    assert caught.value.code == ErrorCode.EINVALID_APPEND
    assert "index 1.0 (point 3) equals the point before it, 1.0" in caught.value.message
    assert "strictly decreasing" in caught.value.message
    blocks.check_order(np.array([], np.float64), UP, 1.0, "eml:///c", 9)


@given(
    st.lists(finite, min_size=0, max_size=40, unique=True),
    st.one_of(st.none(), finite),
    st.one_of(st.none(), finite),
    st.booleans(),
)
def test_select_keeps_exactly_the_closed_interval(
    values: list[float], low: float | None, high: float | None, decreasing: bool
) -> None:
    ordered = sorted(values, reverse=decreasing)
    points = Points(np.array(ordered, dtype=np.float64), np.zeros(len(ordered)))
    chosen = blocks.select(points, low, high, DOWN if decreasing else UP)
    expected = [v for v in ordered if (low is None or v >= low) and (high is None or v <= high)]
    assert chosen.indexes.tolist() == expected


def test_values_that_would_change_are_refused() -> None:
    d = definition(data_kind=DataKind.TYPE_FLOAT)
    with pytest.raises(ProtocolError, match="typeFloat"):
        blocks.check_points(d, Points([1.0], [0.1]), "eml:///c", 1)
    taken = blocks.check_points(d, Points([1.0, 2.0], [0.5, 1e300], [False, True]), "eml:///c", 1)
    assert taken.values.dtype == np.float32
    assert taken.values.tolist() == [0.5, 0.0]
    strings = definition(data_kind=DataKind.TYPE_STRING)
    with pytest.raises(ProtocolError, match="typeString"):
        blocks.check_points(strings, Points([1.0], np.array([3], object)), "eml:///c", 1)
    unicode = blocks.check_points(strings, Points([1.0], np.array(["é"])), "eml:///c", 1)
    assert unicode.values.dtype == object
