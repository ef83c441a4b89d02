"""channel_data.Progress: what a subscription already delivered is dropped, per channel, in its
direction (the vectorized filter against an item-by-item model)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from etp.channel_data import ChannelBatch, ChannelMeta, Progress
from tests.etp.channel_protocols_helpers import channel_meta


def model(last: dict[str, float], batch: ChannelBatch) -> list[int]:
    """Item by item: the positions kept, and ``last`` moved to the ends of what is kept."""
    kept = []
    ends: dict[str, float] = {}
    pairs = zip(batch.channel_ids.tolist(), batch.index.tolist(), strict=True)
    for n, (cid, at) in enumerate(pairs):
        m = batch.channels.get(cid)
        if m is None:
            continue
        before = last.get(m.uri)
        if before is None or (at > before if m.increasing else at < before):
            kept.append(n)
            end = ends.get(m.uri)
            ends[m.uri] = at if end is None else (max(end, at) if m.increasing else min(end, at))
    last.update(ends)
    return kept


@st.composite
def sequences(draw: st.DrawFn) -> tuple[dict[int, ChannelMeta], list[tuple[list[int], list[int]]]]:
    time = draw(st.booleans())
    dense = draw(st.booleans())
    count = draw(st.integers(1, 6))
    ids = (
        list(range(1, count + 1))
        if dense
        else draw(st.lists(st.integers(0, 2**40), min_size=count, max_size=count, unique=True))
    )
    channels = {i: channel_meta(i, decreasing=draw(st.booleans()), time=time) for i in ids}
    batches = draw(
        st.lists(
            st.lists(
                st.tuples(st.sampled_from([*ids, 2**41]), st.integers(-50, 50)),
                min_size=0,
                max_size=20,
            ),
            max_size=6,
        )
    )
    return channels, [([c for c, _ in b], [i for _, i in b]) for b in batches]


@given(sequences())
def test_progress_drops_what_was_delivered(
    case: tuple[dict[int, ChannelMeta], list[tuple[list[int], list[int]]]],
) -> None:
    channels, batches = case
    progress, last = Progress(), dict[str, float]()
    for ids, indexes in batches:
        check_batch(progress, last, channels, ids, indexes)
        assert progress.last == last


def check_batch(
    progress: Progress,
    last: dict[str, float],
    channels: dict[int, ChannelMeta],
    ids: list[int],
    indexes: list[int],
    columns: dict[tuple[int, ...], NDArray[np.int64]] | None = None,
) -> None:
    """Progress keeps what the model keeps of this batch (the model's ``last`` moves too).
    With ``columns``, the same ids come as the same read-only array (as a decoder gives)."""
    time = next(iter(channels.values())).is_time
    index = np.array(indexes, np.int64 if time else np.float64)
    column = None if columns is None else columns.get(tuple(ids))
    if column is None:
        column = np.array(ids, np.int64)
        if columns is not None:
            column.flags.writeable = False
            columns[tuple(ids)] = column
    batch = ChannelBatch(channels, column, index, np.arange(len(ids), dtype=np.float64))
    expected = model(last, batch)
    assert progress.fresh(batch).values.tolist() == [float(n) for n in expected]


@given(sequences(), st.data())
def test_progress_across_batches_with_last_read_and_changed_between(
    case: tuple[dict[int, ChannelMeta], list[tuple[list[int], list[int]]]],
    data: st.DataObject,
) -> None:
    """The ends kept between batches, read (and changed, as a resumption does) only now and
    then, the channels given as another mapping (as after a resumption) or one fewer, and the
    same ids coming again as the same array, agree with the model."""
    channels, batches = case
    progress, last = Progress(), dict[str, float]()
    columns: dict[tuple[int, ...], NDArray[np.int64]] = {}  # read-only id arrays, reused
    previous: list[int] | None = None
    for ids, indexes in batches:
        if data.draw(st.booleans()):  # the same channels, as another mapping
            channels = dict(channels)
        elif len(channels) > 1 and data.draw(st.integers(0, 4)) == 0:  # one channel less
            channels = dict(list(channels.items())[1:])
        if previous is not None and data.draw(st.booleans()):  # the same ids again (a stream)
            ids = previous
            indexes = data.draw(
                st.lists(st.integers(-50, 50), min_size=len(ids), max_size=len(ids))
            )
        previous = ids
        check_batch(progress, last, channels, ids, indexes, columns)
        action = data.draw(st.sampled_from(["none", "read", "set", "delete"]))
        if action == "read":
            assert progress.last == last
        elif action in ("set", "delete") and last:
            uri = data.draw(st.sampled_from(sorted(last)))
            if action == "set":
                progress.last[uri] = last[uri] = data.draw(st.integers(-50, 50))
            else:
                del progress.last[uri]
                del last[uri]
    assert progress.last == last


def test_a_batch_of_channels_the_subscription_has_not_is_dropped() -> None:
    progress = Progress()
    batch = ChannelBatch({}, np.array([3]), np.array([1.0]), np.array([2.0]))
    assert len(progress.fresh(batch)) == 0
    assert progress.last == {}
