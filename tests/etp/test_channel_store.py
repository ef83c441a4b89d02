"""store.channels behaviour, the same on both backends (SQLite always; PostgreSQL when configured):
opening, appends and their rules, range reads, replace, truncate, annotations, object rules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import witsml
from etp.errors import ErrorCode, ProtocolError
from etp.store import Store
from etp.store.channels import DataKind, IndexDirection, IndexKind, Points, split_by_channel
from etp.store.describe import describe
from tests.etp.channel_store_helpers import (
    DOWN,
    TIME,
    channel_record,
    channel_set_record,
    definition,
    depth,
    items,
    log_record,
    put_channel,
)
from tests.etp.store_helpers import backend_url, opened, record

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
EXAMPLE_LOG = Path(__file__).resolve().parents[2] / "examples" / "data" / "log.xml"


def example_log() -> bytes:
    """The bundled example Log (a ChannelSet of 12 depth channels)."""
    return EXAMPLE_LOG.read_bytes()


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    with backend_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    async with opened(url) as store:
        yield store


# -- opening -----------------------------------------------------------------------------------


async def test_open_by_channel_channel_set_and_log_uri(store: Store) -> None:
    channels = [channel_record(), channel_record(TIME)]
    channel_set = channel_set_record(channels)
    log = log_record([channel_set])
    await store.put_objects([log])
    outcome = await store.channels.open([log.uri, channel_set.uri, channels[1].uri])
    assert not outcome.errors
    assert [i.uri for i in outcome.found[log.uri]] == [c.uri for c in channels]
    assert outcome.found[channel_set.uri] == outcome.found[log.uri]
    [info] = outcome.found[channels[1].uri]
    assert info.definition == definition(TIME)
    assert (info.start, info.end, info.count, info.seq) == (None, None, 0, 0)
    # keys are stable: opening again, or after a re-put, gives the same
    await store.put_objects([log])
    again = await store.channels.open([channels[1].uri])
    assert again.found[channels[1].uri][0].key == info.key


async def test_open_refuses_per_uri(store: Store) -> None:
    well = record("witsml20.Well")
    bare = channel_record(declared=None)
    await store.put_objects([well, bare])
    missing = channel_record()
    outcome = await store.channels.open([well.uri, bare.uri, missing.uri, "eml:///nonsense("])
    assert not outcome.found
    codes = {uri: error.code for uri, error in outcome.errors.items()}
    assert codes == {
        well.uri: ErrorCode.EINVALID_ARGUMENT,
        bare.uri: ErrorCode.EINVALID_ARGUMENT,
        missing.uri: ErrorCode.ENOT_FOUND,
        "eml:///nonsense(": ErrorCode.EINVALID_URI,
    }
    assert "declares no index" in outcome.errors[bare.uri].message


# -- appends and reads -------------------------------------------------------------------------


async def test_append_then_read_ranges_with_limits_and_continuation(store: Store) -> None:
    info = await put_channel(store)
    key = info.key
    index = 1000.0 + 0.5 * np.arange(3000)
    for part in np.split(index, [1000, 2500]):
        await store.channels.append({key: Points(part, part * 2)})
    [now] = (await store.channels.info([key])).values()
    assert (now.start, now.end, now.count) == (1000.0, 2499.5, 3000)
    everything = await store.channels.read_range(key)
    assert np.array_equal(everything.points.indexes, index)
    assert np.array_equal(everything.points.values, index * 2)
    assert not everything.more
    assert everything.seq == now.seq == 3

    page = await store.channels.read_range(key, 1100.0, 1200.0, limit=150)
    assert page.more
    assert page.points.indexes[0] == 1100.0
    assert len(page.points) == 150
    rest = await store.channels.read_range(
        key, 1100.0, 1200.0, limit=150, after=page.points.indexes[-1]
    )
    assert not rest.more
    assert rest.points.indexes[0] == 1175.0
    assert rest.points.indexes[-1] == 1200.0
    reverse = await store.channels.read_range(key, 1200.0, 1100.0)  # either order
    assert len(reverse.points) == 201
    open_start = await store.channels.read_range(key, None, 1001.0)
    assert open_start.points.indexes.tolist() == [1000.0, 1000.5, 1001.0]
    open_end = await store.channels.read_range(key, 2499.0)
    assert open_end.points.indexes.tolist() == [2499.0, 2499.5]
    nothing = await store.channels.read_range(key, 3000.0, 4000.0)
    assert len(nothing.points) == 0
    assert nothing.points.indexes.dtype == np.float64
    latest = await store.channels.read_latest(key, 3)
    assert latest.points.indexes.tolist() == [2498.5, 2499.0, 2499.5]
    assert latest.more


async def test_decreasing_time_channel(store: Store) -> None:
    info = await put_channel(store, channel_record(TIME, DOWN))
    key = info.key
    t0 = 1_700_000_000_000_000
    index = t0 - 1_000_000 * np.arange(2000, dtype=np.int64)  # irregular steps below
    index[1000:] -= np.arange(1000, dtype=np.int64) * 7
    await store.channels.append({key: Points(index[:1500], np.arange(1500.0))})
    await store.channels.append({key: Points(index[1500:], np.arange(1500.0, 2000.0))})
    [now] = (await store.channels.info([key])).values()
    assert (now.start, now.end) == (t0, int(index[-1]))
    page = await store.channels.read_range(key, int(index[10]), int(index[5]))
    assert page.points.indexes.tolist() == index[5:11].tolist()  # channel order: decreasing
    assert page.points.indexes.dtype == np.int64
    more = await store.channels.read_range(key, limit=10, after=int(index[1495]))
    assert more.points.indexes.tolist() == index[1496:1506].tolist()
    latest = await store.channels.read_latest(key, 2)
    assert latest.points.indexes.tolist() == index[-2:].tolist()
    with pytest.raises(ProtocolError) as caught:
        await store.channels.append({key: Points(np.array([t0 + 1]), np.array([1.0]))})
    assert caught.value.code == ErrorCode.EINVALID_APPEND


@pytest.mark.parametrize(
    ("data_kind", "values"),
    [
        (DataKind.TYPE_DOUBLE, np.array([1.5, -2.25, np.nan, 1e300])),
        (DataKind.TYPE_FLOAT, np.array([1.5, -2.25, 3.0, 0.0], np.float32)),
        (DataKind.TYPE_LONG, np.array([2**62, -(2**62), 0, 7])),
        (DataKind.TYPE_INT, np.array([2**31 - 1, -(2**31), 0, 7], np.int32)),
        (DataKind.TYPE_BOOLEAN, np.array([True, False, True, True])),
        (DataKind.TYPE_STRING, np.array(["ok", "", "naïve ✓", "x" * 300], object)),
    ],
)
async def test_every_value_type_with_nulls_round_trips(
    store: Store, data_kind: DataKind, values: np.ndarray
) -> None:
    info = await put_channel(store, channel_record(data_kind=data_kind))
    nulls = np.array([False, True, False, False])
    await store.channels.append({info.key: Points([1.0, 2.0, 3.0, 4.0], values, nulls)})
    await store.channels.append({info.key: Points([5.0], values[:1])})
    page = await store.channels.read_range(info.key)
    expected = values.tolist()
    expected[1] = None
    got = page.points.value_list()
    assert got[1] is None
    assert page.points.nulls is not None
    assert page.points.nulls.tolist() == [False, True, False, False, False]
    for a, b in zip(got, [*expected, values.tolist()[0]], strict=True):
        assert a == b or (a != a and b != b)
    assert page.points.values.dtype == values.dtype


async def test_exactly_representable_values_of_another_dtype_are_taken(store: Store) -> None:
    doubles = await put_channel(store)
    ints = await put_channel(store, channel_record(data_kind=DataKind.TYPE_INT))
    floats = await put_channel(store, channel_record(data_kind=DataKind.TYPE_FLOAT))
    await store.channels.append(
        {
            doubles.key: Points([1.0, 2.0], np.array([3, 2**53])),
            ints.key: Points([1.0, 2.0], np.array([5, -(2**31)], np.int64)),
            floats.key: Points([1.0, 2.0], np.array([0.5, 1e30 * 0 + 2.0])),
        }
    )
    got = await store.channels.read_ranges([doubles.key, ints.key, floats.key])
    assert got[doubles.key].points.values.tolist() == [3.0, 2.0**53]
    assert got[ints.key].points.values.dtype == np.int32
    assert got[floats.key].points.values.tolist() == [0.5, 2.0]


async def test_small_appends_stay_correct_and_few_blocks(store: Store, url: str) -> None:
    info = await put_channel(store)
    for i in range(600):
        await store.channels.append({info.key: depth(float(i))})
    page = await store.channels.read_range(info.key)
    assert page.points.indexes.tolist() == [float(i) for i in range(600)]
    assert page.points.values.tolist() == [10.0 * i for i in range(600)]
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            [(blocks,)] = db.execute("SELECT COUNT(*) FROM channel_data").fetchall()
        assert blocks <= 12  # binary-counter merging: log2(600) small blocks at most


async def test_two_writers_taking_turns_with_small_appends_lose_nothing(
    store: Store, url: str
) -> None:
    """Each store remembers the small blocks at the tails it wrote; the other's appends (which
    merge those blocks into theirs) and edits make that memory stale, and it must not be used."""
    info = await put_channel(store)
    async with opened(url) as other:
        writers = (store, other)
        for i in range(40):
            await writers[i % 2 if i < 20 else (i // 3) % 2].channels.append(
                {info.key: depth(float(i))}
            )
            if i == 25:  # an edit by the other writer
                await other.channels.replace_range(24.0, 24.0, {info.key: depth(24.0)})
            if i in (26, 27):  # one that changes nothing (in a gap between the last points)
                await other.channels.replace_range(i - 0.7, i - 0.2, {info.key: depth()})
        for reader in writers:
            page = await reader.channels.read_range(info.key)
            assert page.points.indexes.tolist() == [float(i) for i in range(40)]
            assert page.points.values.tolist() == [10.0 * i for i in range(40)]


async def test_concurrent_appends_group_commit_and_a_bad_one_fails_alone(store: Store) -> None:
    infos = [await put_channel(store) for _ in range(8)]
    good = [
        store.channels.append({info.key: depth(*range(i * 10, i * 10 + 10))})
        for i, info in enumerate(infos)
    ]
    bad = store.channels.append({infos[0].key: depth(5.0, 4.0)})
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert all(isinstance(r, int) for r in results[:-1])
    assert isinstance(results[-1], ProtocolError)
    assert results[-1].code == ErrorCode.EINVALID_APPEND
    got = await store.channels.read_ranges([i.key for i in infos])
    for i, info in enumerate(infos):
        assert got[info.key].points.indexes.tolist() == [
            float(x) for x in range(i * 10, i * 10 + 10)
        ]


# -- append rules ------------------------------------------------------------------------------


async def test_points_that_do_not_append_are_refused_naming_channel_and_index(
    store: Store,
) -> None:
    info = await put_channel(store)
    other = await put_channel(store)
    await store.channels.append({info.key: depth(1.0, 2.0, 3.0)})
    cases = [
        (depth(3.0, 4.0), "index 3.0 (point 0) equals the channel's end index, 3.0"),
        (depth(2.5), "index 2.5 (point 0) is below the channel's end index, 3.0"),
        (depth(4.0, 5.0, 5.0), "index 5.0 (point 2) equals the point before it, 5.0"),
        (depth(4.0, 6.0, 5.0), "index 5.0 (point 2) is below the point before it, 6.0"),
    ]
    for points, message in cases:
        with pytest.raises(ProtocolError) as caught:
            await store.channels.append({other.key: depth(1.0), info.key: points})
        assert caught.value.code == ErrorCode.EINVALID_APPEND
        assert info.uri in caught.value.message
        assert f"key {info.key}" in caught.value.message
        assert message in caught.value.message
    # all or nothing: the other channel got nothing either
    got = await store.channels.read_ranges([info.key, other.key])
    assert got[info.key].points.indexes.tolist() == [1.0, 2.0, 3.0]
    assert len(got[other.key].points) == 0


async def test_wrong_kinds_and_types_are_refused(store: Store) -> None:
    depth_channel = await put_channel(store)
    time_channel = await put_channel(store, channel_record(TIME))
    longs = await put_channel(store, channel_record(data_kind=DataKind.TYPE_LONG))
    booleans = await put_channel(store, channel_record(data_kind=DataKind.TYPE_BOOLEAN))
    vectors = await put_channel(store, channel_record(data_kind=None))
    cases = [
        (depth_channel.key, Points([1, 2], [1.0, 2.0]), ErrorCode.EINVALID_INDEXKIND, "double"),
        (time_channel.key, Points([1.5], [1.0]), ErrorCode.EINVALID_INDEXKIND, "long"),
        (depth_channel.key, Points([np.nan], [1.0]), ErrorCode.EINVALID_ARGUMENT, "finite"),
        (depth_channel.key, Points([1.0], ["x"]), ErrorCode.EINVALID_ARGUMENT, "typeDouble"),
        (depth_channel.key, Points([1.0], [2**60]), ErrorCode.EINVALID_ARGUMENT, "typeDouble"),
        (longs.key, Points([1.0], [1.5]), ErrorCode.EINVALID_ARGUMENT, "typeLong"),
        (booleans.key, Points([1.0], [1]), ErrorCode.EINVALID_ARGUMENT, "typeBoolean"),
        (vectors.key, Points([1.0], [1.0]), ErrorCode.ENOTSUPPORTED, "vector"),
        (123456, Points([1.0], [1.0]), ErrorCode.ENOT_FOUND, "key 123456"),
    ]
    for key, points, code, text in cases:
        with pytest.raises(ProtocolError) as caught:
            await store.channels.append({key: points})
        assert caught.value.code == code, (key, points)
        assert text in caught.value.message
    with pytest.raises(ProtocolError, match="differ in length"):
        Points([1.0, 2.0], [1.0])
    with pytest.raises(ProtocolError) as caught:
        await store.channels.read_range(time_channel.key, 1.0, 2.0)
    assert caught.value.code == ErrorCode.EINVALID_INDEXKIND


# -- replace, truncate, annotations ------------------------------------------------------------


async def test_replace_range_deletes_and_inserts_atomically(store: Store) -> None:
    info = await put_channel(store)
    key = info.key
    await store.channels.append({key: depth(*[float(i) for i in range(100)])})
    await store.channels.replace_range(10.0, 20.0, {key: depth(10.5, 15.0)})
    page = await store.channels.read_range(key, 8.0, 22.0)
    assert page.points.indexes.tolist() == [8.0, 9.0, 10.5, 15.0, 21.0, 22.0]
    await store.channels.replace_range(95.0, 200.0, {key: depth(150.0)})  # past the end
    [now] = (await store.channels.info([key])).values()
    assert (now.end, now.count) == (150.0, 100 - 11 + 2 - 5 + 1)
    await store.channels.replace_range(0.0, 1.0, {key: Points(np.empty(0), np.empty(0))})
    assert (await store.channels.info([key]))[key].start == 2.0
    with pytest.raises(ProtocolError) as caught:
        await store.channels.replace_range(30.0, 40.0, {key: depth(29.0)})
    assert caught.value.code == ErrorCode.EINVALID_ARGUMENT
    assert "must lie in" in caught.value.message
    with pytest.raises(ProtocolError) as caught:
        await store.channels.replace_range(30.0, 40.0, {key: depth(35.0, 31.0)})
    assert caught.value.code == ErrorCode.EINVALID_ARGUMENT
    assert (await store.channels.read_range(key, 29.0, 41.0)).points.indexes.tolist() == [
        float(i) for i in range(29, 42)
    ]
    # appends continue after the new end
    await store.channels.append({key: depth(151.0)})


async def test_replace_between_two_points_of_one_block_splits_it(store: Store) -> None:
    # regression: a block whose span met the interval without a point inside it was kept, and
    # the new point made a second block overlapping it (the points after it were lost on read)
    up = await put_channel(store)
    down = await put_channel(store, channel_record(direction=DOWN))
    await store.channels.append({up.key: depth(1.0, 3.0), down.key: depth(3.0, 1.0)})
    await store.channels.replace_range(2.0, 2.0, {up.key: depth(2.0), down.key: depth(2.0)})
    got = await store.channels.read_ranges([up.key, down.key])
    assert got[up.key].points.indexes.tolist() == [1.0, 2.0, 3.0]
    assert got[down.key].points.indexes.tolist() == [3.0, 2.0, 1.0]
    assert (await store.channels.read_latest(down.key, 2)).points.indexes.tolist() == [2.0, 1.0]


async def test_truncate_moves_the_end_back(store: Store) -> None:
    up = await put_channel(store)
    down = await put_channel(store, channel_record(direction=DOWN))
    await store.channels.append(
        {
            up.key: depth(*[float(i) for i in range(2000)]),
            down.key: depth(*[float(-i) for i in range(2000)]),
        }
    )
    await store.channels.truncate({up.key: 1499.5, down.key: -10.0})
    info = await store.channels.info([up.key, down.key])
    assert (info[up.key].end, info[up.key].count) == (1499.0, 1500)
    assert (info[down.key].end, info[down.key].count) == (-10.0, 11)
    await store.channels.truncate({up.key: 5000.0})  # nothing after: no change
    assert (await store.channels.info([up.key]))[up.key].seq == info[up.key].seq
    await store.channels.append({up.key: depth(1499.25)})  # appends after the new end
    await store.channels.truncate({up.key: -1.0})
    emptied = (await store.channels.info([up.key]))[up.key]
    assert (emptied.start, emptied.end, emptied.count) == (None, None, 0)
    await store.channels.append({up.key: depth(-5.0)})


async def test_change_annotations(store: Store) -> None:
    info = await put_channel(store)
    key = info.key
    start = await store.channels.append({key: depth(1.0, 2.0)})
    await store.channels.append({key: depth(3.0, 4.0)})
    await store.channels.replace_range(2.0, 3.0, {key: depth(2.5)})
    truncated = await store.channels.truncate({key: 3.5})
    changes = await store.channels.change_annotations([key], start)
    got = [(a.start, a.end) for a in changes.changes[key]]
    assert got == [(1.0, 4.0), (2.0, 3.0), (3.5, 4.0)]  # appends merged; each edit its own
    assert changes.changes[key][-1].change_time == truncated
    assert changes.response_time >= truncated
    latest = await store.channels.change_annotations([key], start, latest_only=True)
    assert [(a.start, a.end) for a in latest.changes[key]] == [(3.5, 4.0)]
    after = await store.channels.change_annotations([key], truncated + 1)
    assert after.changes == {key: []}
    await store.channels.append({key: depth(5.0)})
    again = await store.channels.change_annotations([key], truncated + 1)
    assert [(a.start, a.end) for a in again.changes[key]] == [(5.0, 5.0)]
    with pytest.raises(ProtocolError) as caught:
        await store.channels.change_annotations([key], 0)
    assert caught.value.code == ErrorCode.ERETENTION_PERIOD_EXCEEDED


# -- the Channel objects -----------------------------------------------------------------------


async def test_a_put_cannot_change_what_the_data_depends_on(store: Store) -> None:
    channel = channel_record()
    info = await put_channel(store, channel)
    as_time = replace(channel, channel=definition(TIME))
    await store.put_objects([as_time])  # no data yet: allowed
    await store.put_objects([channel])
    await store.channels.append({info.key: depth(1.0)})
    with pytest.raises(ProtocolError) as caught:
        await store.put_objects([channel_set_record([as_time])])
    assert caught.value.code == ErrorCode.EINVALID_ARGUMENT
    assert "holds 1 points" in caught.value.message
    assert "index_kind" in caught.value.message
    await store.put_objects([channel])  # the same declaration: the data stays
    assert (await store.channels.read_range(info.key)).points.indexes.tolist() == [1.0]


async def test_deleting_a_channel_deletes_its_data_and_key(store: Store) -> None:
    channel = channel_record()
    info = await put_channel(store, channel)
    await store.channels.append({info.key: depth(1.0, 2.0)})
    await store.delete_objects([channel.uri])
    with pytest.raises(ProtocolError) as caught:
        await store.channels.append({info.key: depth(3.0)})
    assert caught.value.code == ErrorCode.ENOT_FOUND
    assert await store.channels.info([info.key]) == {}
    again = await put_channel(store, channel)
    assert again.key != info.key
    assert again.count == 0


async def test_objects_show_the_live_range_and_status(store: Store) -> None:
    channels = [channel_record(uid=f"00000000-0000-4000-8000-00000000000{i}") for i in (1, 2)]
    untouched = channel_record()
    log = log_record([channel_set_record([*channels, untouched])])
    await store.put_objects([log])
    before = await store.get_objects([log.uri, untouched.uri])
    assert before[log.uri].xml == log.xml
    assert before[untouched.uri].xml == untouched.xml
    opened = await store.channels.open([log.uri])
    a, b, _ = (i.key for i in opened.found[log.uri])
    await store.channels.append({a: depth(10.0, 20.0), b: depth(5.0, 15.0)})
    got = await store.get_objects([channels[0].uri, untouched.uri])
    xml = got[channels[0].uri].xml.decode()
    assert "<GrowingStatus>active</GrowingStatus>" in xml
    assert xml.index("<StartIndex") < xml.index("<EndIndex") < xml.index("<LoggingCompanyName")
    assert '<Depth>10.0</Depth></StartIndex><EndIndex xmlns:xsi="' in xml
    assert "<Depth>20.0</Depth>" in xml
    assert got[untouched.uri].xml == untouched.xml
    resources = await store.get_objects([channels[0].uri])
    assert resources[channels[0].uri].resource.active_status.value == "Active"


async def test_a_log_document_shows_its_channels_sets_and_own_ranges(store: Store) -> None:
    xml = example_log()
    parsed = witsml.parse(xml)
    assert isinstance(parsed, witsml.Log)
    log = describe(parsed, xml)
    await store.put_objects([log])
    first, second, *_ = (await store.channels.open([log.uri])).found[log.uri]
    await store.channels.append({first.key: depth(1400.0, 1800.0), second.key: depth(1300.0)})
    got = witsml.parse((await store.get_objects([log.uri]))[log.uri].xml)
    assert isinstance(got, witsml.Log)
    [channel_set] = got.channel_sets

    def extent(obj: object) -> tuple[object, object]:
        start, end = getattr(obj, "start_index", None), getattr(obj, "end_index", None)
        return (getattr(start, "depth", None), getattr(end, "depth", None))

    assert extent(channel_set.channels[0]) == (1400.0, 1800.0)
    assert extent(channel_set.channels[1]) == (1300.0, 1300.0)
    assert extent(channel_set.channels[2]) == (None, None)  # no data here: as it was put
    assert extent(channel_set) == (1300.0, 1800.0)
    assert extent(got) == (1300.0, 1800.0)
    assert channel_set.channels[0].growing_status.value == "active"
    assert channel_set.channels[2].growing_status.value == "closed"


async def test_a_time_channel_shows_times(store: Store) -> None:
    info = await put_channel(store, channel_record(TIME))
    t0 = 1_700_000_000_123_456
    await store.channels.append({info.key: Points(np.array([t0, t0 + 1]), [1.0, 2.0])})
    xml = (await store.get_objects([info.uri]))[info.uri].xml.decode()
    assert '<StartIndex xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' in xml
    assert 'xsi:type="TimeIndexValue"><Time>2023-11-14T22:13:20.123456Z</Time>' in xml
    assert "<Time>2023-11-14T22:13:20.123457Z</Time></EndIndex>" in xml


async def test_split_by_channel() -> None:
    ids = np.array([7, 8, 9] * 4)
    index = np.repeat(np.arange(4.0), 3)
    values = np.arange(12.0)
    nulls = values == 4.0
    split = split_by_channel(ids, index, values, nulls)
    assert list(split) == [7, 8, 9]
    assert items(split[8]) == [(0.0, 1.0), (1.0, None), (2.0, 7.0), (3.0, 10.0)]
    shuffled = split_by_channel(np.array([2, 1, 2, 1, 1]), np.arange(5.0), np.arange(5.0))
    assert items(shuffled[1]) == [(1.0, 1.0), (3.0, 3.0), (4.0, 4.0)]
    assert items(shuffled[2]) == [(0.0, 0.0), (2.0, 2.0)]
    single = split_by_channel(np.array([3, 3]), np.arange(2.0), np.arange(2.0))
    assert list(single) == [3]
    assert split_by_channel(np.array([], np.int64), np.array([]), np.array([])) == {}


def test_describe_records_each_channels_declaration() -> None:
    xml = example_log()
    parsed = witsml.parse(xml)
    assert isinstance(parsed, witsml.Log)
    log = describe(parsed, xml)
    [channel_set] = log.contained
    assert log.channel is None
    assert channel_set.channel is None
    first = channel_set.contained[0].channel
    assert first is not None
    assert (first.mnemonic, first.data_kind, first.uom) == ("BDEP", DataKind.TYPE_DOUBLE, "m")
    assert (first.index_kind, first.index_uom) == (IndexKind.MEASURED_DEPTH, "m")
    assert (first.direction, first.index_mnemonic) == (IndexDirection.INCREASING, "DEPTH")
    # a Channel that declares no Index takes its ChannelSet's
    bare = xml.replace(
        b"<Index><IndexType>measured depth</IndexType><Uom>m</Uom><Direction>increasing"
        b"</Direction><Mnemonic>DEPTH</Mnemonic></Index>\n    </Channel>",
        b"</Channel>",
        1,
    )
    assert bare != xml
    lax = witsml.parse(bare, validation="lax")[0]
    assert isinstance(lax, witsml.Log)
    inherited = describe(lax, bare).contained[0].contained[0].channel
    assert inherited == first
