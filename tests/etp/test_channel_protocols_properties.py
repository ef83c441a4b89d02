"""Property tests of the channel protocols' pure parts: points cut into DataItem arrays that fit
a message and read back per channel; delivery exactly once across overlapping batches; the wide
DataFrame of a batch."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from etp.channel_data import ChannelBatch, Progress
from etp.codec import decode_message, encode_message
from etp.messages.channel_subscribe import ChannelData
from etp.messages.datatypes import MessageFlags, MessageHeader
from etp.protocols.channel_backend import item_arrays, points_by_id
from etp.store.channels import Points
from tests.etp.channel_protocols_helpers import channel_meta

VALUE_DTYPES = ["f8", "f4", "i8", "i4", "b1", "str"]
HEADER = MessageHeader(
    protocol=21, message_type=4, correlation_id=0, message_id=1, message_flags=MessageFlags.FIN
)


@st.composite
def channel_points(draw: st.DrawFn) -> list[tuple[int, Points]]:
    time = draw(st.booleans())
    ids = draw(st.lists(st.integers(1, 3000), min_size=1, max_size=5, unique=True))
    parts = []
    for channel_id in ids:
        n = draw(st.integers(0, 400))
        start = draw(st.integers(0, 2**40)) if time else draw(st.floats(-1e6, 1e6))
        step = draw(st.integers(1, 10**9)) if time else draw(st.floats(0.001, 100))
        index = start + np.arange(n, dtype=np.int64 if time else np.float64) * step
        kind = draw(st.sampled_from(VALUE_DTYPES))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        if kind == "str":
            values: Any = np.array([f"w{v}" for v in rng.integers(0, 10**6, n)], dtype=object)
        elif kind == "b1":
            values = rng.integers(0, 2, n).astype(bool)
        elif kind.startswith("i"):
            values = rng.integers(-(2**30), 2**30, n).astype(kind)
        else:
            values = rng.normal(0, 1e6, n).astype(kind)
        nulls = rng.random(n) < draw(st.sampled_from([0.0, 0.1, 1.0]))
        parts.append((channel_id, Points(index, values, nulls)))
    return parts


@settings(max_examples=60, deadline=None)
@given(channel_points(), st.integers(1024, 40_000))
def test_item_arrays_fit_the_budget_and_read_back_per_channel(
    parts: list[tuple[int, Points]], budget: int
) -> None:
    back: dict[int, list[Points]] = {}
    for items in item_arrays(parts, budget):
        encoded = encode_message(HEADER, ChannelData(data=items))
        assert len(encoded) <= budget + 256
        _, message = decode_message(encoded)
        assert isinstance(message, ChannelData)
        for channel_id, points in points_by_id(message.data).items():
            back.setdefault(channel_id, []).append(points)
    for channel_id, points in parts:
        got = back.get(channel_id, [])
        if not len(points):
            assert not got
            continue
        index = np.concatenate([p.indexes for p in got])
        assert np.array_equal(index, points.indexes)
        want = points.value_list()
        have = [v for p in got for v in p.value_list()]
        assert len(have) == len(want)
        for a, b in zip(have, want, strict=True):
            assert (a is None and b is None) or a == b or (math.isnan(a) and math.isnan(b))


@st.composite
def overlapping_batches(draw: st.DrawFn) -> tuple[bool, list[ChannelBatch], dict[int, np.ndarray]]:
    """Batches of 1..3 channels whose points are windows of each channel's full series, possibly
    repeating earlier ones (as after a resume), each channel's windows moving forward."""
    increasing = draw(st.booleans())
    channels = {
        i: channel_meta(i, decreasing=not increasing) for i in range(1, draw(st.integers(1, 3)) + 1)
    }
    series = {i: np.arange(100, dtype=np.float64) * (1 if increasing else -1) for i in channels}
    batches = []
    ends = dict.fromkeys(channels, 0)
    for _ in range(draw(st.integers(1, 8))):
        ids, index = [], []
        for i in channels:
            back = draw(st.integers(0, 5))
            start = max(0, ends[i] - back)
            stop = min(100, start + draw(st.integers(0, 20)))
            ends[i] = max(ends[i], stop)
            ids += [i] * (stop - start)
            index += series[i][start:stop].tolist()
        order = draw(st.permutations(range(len(ids)))) if draw(st.booleans()) else range(len(ids))
        batch_ids = np.array([ids[k] for k in order], np.int64)
        batch_index = np.array([index[k] for k in order], np.float64)
        # within a channel the items stay in channel order (a message is in order per channel)
        for i in channels:
            mask = batch_ids == i
            batch_index[mask] = np.sort(batch_index[mask])[:: 1 if increasing else -1]
        batches.append(ChannelBatch(channels, batch_ids, batch_index, batch_index * 2))
    expected = {i: series[i][: ends[i]] for i in channels}
    return increasing, batches, expected


@settings(max_examples=100, deadline=None)
@given(overlapping_batches())
def test_progress_delivers_every_point_once_in_order(
    case: tuple[bool, list[ChannelBatch], dict[int, np.ndarray]],
) -> None:
    _, batches, expected = case
    progress = Progress()
    delivered: dict[int, list[float]] = {}
    for batch in batches:
        fresh = progress.fresh(batch)
        for channel_id, index in zip(fresh.channel_ids.tolist(), fresh.index.tolist(), strict=True):
            delivered.setdefault(channel_id, []).append(index)
    for channel_id, series in expected.items():
        assert delivered.get(channel_id, []) == series.tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.integers(1, 6),
        st.lists(st.integers(0, 50), unique=True, max_size=20).map(sorted),
        min_size=1,
        max_size=4,
    )
)
def test_the_wide_frame_has_every_point_where_it_belongs(indexes: dict[int, list[int]]) -> None:
    channels = {i: channel_meta(i) for i in indexes}
    ids = np.array([i for i, idx in indexes.items() for _ in idx], np.int64)
    index = np.array([float(v) for idx in indexes.values() for v in idx])
    values = index * 10 + ids
    frame = ChannelBatch(channels, ids, index, values).to_pandas()
    present = [i for i, idx in indexes.items() if idx]
    assert list(frame.columns) == [f"C{i}" for i in present]
    assert frame.index.tolist() == sorted({float(v) for idx in indexes.values() for v in idx})
    for i in present:
        column = frame[f"C{i}"]
        for at in frame.index:
            value = column[at]
            if at in indexes[i]:
                assert value == at * 10 + i
            else:
                assert pd.isna(value)
