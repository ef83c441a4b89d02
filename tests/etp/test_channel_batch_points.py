"""channel_data.ChannelBatch.points: one Point per item of a known channel, as built field by
field (time indexes as aware UTC datetimes, nulls as None)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from etp.channel_data import ChannelBatch, Point
from tests.etp.channel_protocols_helpers import channel_meta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHANNELS = {1: channel_meta(1, time=True), 2: channel_meta(2)}


@given(
    st.lists(
        st.tuples(st.sampled_from([1, 2, 7]), st.integers(0, 4 * 10**15), st.booleans()),
        max_size=40,
    )
)
def test_points_are_the_items_of_known_channels(items: list[tuple[int, int, bool]]) -> None:
    ids = np.array([i for i, _, _ in items], np.int64)
    index = np.array([at for _, at, _ in items], np.int64)
    values = np.arange(len(items), dtype=np.float64) * 1.5
    nulls = np.array([null for _, _, null in items], bool)
    batch = ChannelBatch(CHANNELS, ids, index, values, nulls)
    expected = []
    for n, (cid, at, null) in enumerate(items):
        if cid not in CHANNELS:
            continue  # 7: not a channel of the subscription
        m = CHANNELS[cid]
        when = _EPOCH + timedelta(microseconds=at) if m.is_time else float(at)
        expected.append(Point(m.uri, m.mnemonic, when, None if null else n * 1.5, m.uom))
    got = batch.points()
    assert got == expected
    assert all(
        type(p) is Point and p.index.__class__ is e.index.__class__
        for p, e in zip(got, expected, strict=True)
    )


def test_points_are_frozen_and_hash_as_built() -> None:
    batch = ChannelBatch(CHANNELS, np.array([2]), np.array([5.0]), np.array([1.0]))
    [point] = batch.points()
    assert hash(point) == hash(Point(CHANNELS[2].uri, "C2", 5.0, 1.0, "m"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.value = 2.0  # type: ignore[misc]
