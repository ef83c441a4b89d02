"""etp.simulator: the rig's objects, its batches, determinism and speed."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import witsml
from etp.codec import decode_message, encode_message
from etp.messages import MessageFlags, MessageHeader
from etp.messages.channel_data_load import ChannelData
from etp.messages.data_items import DataItems
from etp.simulator import CURVES, TIME_CURVES, Batch, Rig, simulate
from etp.simulator.noise import Noise, Stream
from etp.store.describe import describe
from witsml.objects import Log, Trajectory, Well, Wellbore
from witsml.validation import ValidationContext

START = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


def rig(**options: object) -> Rig:
    return Rig(**{"seed": 7, "start_time": START, **options})  # type: ignore[arg-type]


def stacked(batches: list[Batch]) -> tuple[np.ndarray, np.ndarray]:
    """All rows of ``batches``: the index, and the values as (channels, rows)."""
    index = np.concatenate([b.index for b in batches])
    values = np.concatenate([np.stack(b.values) for b in batches], axis=1)
    return index, values


# -- objects ----------------------------------------------------------------------------------


def test_objects_are_a_well_a_wellbore_two_logs_and_a_trajectory() -> None:
    well, wellbore, time_log, depth_log, trajectory = rig().objects()
    assert isinstance(well, Well)
    assert isinstance(wellbore, Wellbore)
    assert isinstance(time_log, Log)
    assert isinstance(depth_log, Log)
    assert isinstance(trajectory, Trajectory)
    assert wellbore.well.uuid == well.uuid
    for log, curves, index in ((time_log, TIME_CURVES, "TIME"), (depth_log, CURVES, "DEPTH")):
        assert log.wellbore.uuid == wellbore.uuid
        [channel_set] = log.channel_sets
        assert [c.mnemonic for c in channel_set.channels] == [c.mnemonic for c in curves]
        assert [c.uom for c in channel_set.channels] == [c.uom for c in curves]
        assert channel_set.indexes[0].mnemonic == index
        assert all(c.growing_status == "active" for c in channel_set.channels)
        assert channel_set.data is None  # the data comes in batches
    assert len(TIME_CURVES) == len(CURVES) == 24
    assert depth_log.channel_sets[0].indexes[0].datum_reference == "KB"
    assert [d.uid for d in well.well_datums] == ["MSL", "KB"]
    assert well.well_datums[1].code == "kelly bushing"
    assert trajectory.growing_status == "active"
    assert {o.existence_kind for o in (well, wellbore, time_log, depth_log, trajectory)} == {
        "simulated"
    }


def test_every_depth_refers_to_the_kelly_bushing_datum() -> None:
    context = ValidationContext()
    for obj in rig().objects():
        report = witsml.validate(witsml.to_xml(obj), context=context, mode="lax")
        assert report.valid, [str(f) for f in report.findings]
        assert not report.findings, [str(f) for f in report.findings]


def test_objects_and_logs_with_data_are_valid_against_our_schemas() -> None:
    for obj in simulate(2 * 3600, seed=3, start_time=START):
        report = witsml.validate(witsml.to_xml(obj))
        assert report.valid, (type(obj).__name__, [str(f) for f in report.findings])


def test_valid_against_the_official_schemas(official_xsd_20: Path) -> None:
    objects = simulate(2 * 3600, seed=3, start_time=START)
    stations = rig().advance(3 * 3600).stations
    assert stations
    for obj in [*objects, *stations]:
        report = witsml.validate(witsml.to_xml(obj), schema_dir=official_xsd_20)
        assert report.valid, (type(obj).__name__, [str(f) for f in report.findings])


def test_simulated_logs_read_back_with_their_data() -> None:
    objects = simulate(3600, seed=5, rate_hz=2, start_time=START)
    logs = [objects.time_log, objects.depth_log]
    again = Rig(seed=5, rate_hz=2, start_time=START).advance(3600)
    for log, batch in zip(logs, again.batches, strict=True):
        parsed = witsml.parse(witsml.to_xml(log))
        assert isinstance(parsed, Log)
        table = parsed.channel_sets[0].table()
        assert len(table) == len(batch) > 0
        expected = batch.index
        if expected.dtype.kind == "M":
            expected = expected.astype("datetime64[ns]")
        assert np.array_equal(table.index.values, expected)
        for column, values in zip(table.channels, batch.values, strict=True):
            assert np.array_equal(column.values, values, equal_nan=True), column.mnemonic


def test_uuids_are_stable_for_a_seed() -> None:
    first = [witsml.to_xml(obj) for obj in rig().objects()]
    second = [witsml.to_xml(obj) for obj in rig().objects()]
    assert first == second
    uuids = {obj.uuid for obj in rig().objects()}
    other = {obj.uuid for obj in rig(seed=8).objects()}
    assert len(uuids) == 5
    assert not uuids & other
    # the uuids depend on the seed alone
    moved = {obj.uuid for obj in rig(start_depth=2500.0, rate_hz=50).objects()}
    assert moved == uuids
    logs = rig().objects()[2:4]
    channels = [c.uuid for log in logs for c in log.channel_sets[0].channels]
    assert len(set(channels)) == 48


def test_objects_are_copies() -> None:
    r = rig()
    r.objects().trajectory.stations.clear()
    assert r.objects().trajectory.stations


def test_the_store_can_describe_every_object() -> None:
    for obj in rig().objects():
        record = describe(obj, witsml.to_xml(obj))
        assert record.uri == obj.uri
    log = rig().objects().time_log
    [channel_set] = describe(log, witsml.to_xml(log)).contained
    channels = channel_set.contained
    assert [c.uri for c in channels] == [c.uri for c in log.channel_sets[0].channels]
    assert all(c.channel is not None and c.channel.data_kind == "typeDouble" for c in channels)


# -- batches ----------------------------------------------------------------------------------


def test_a_batch_per_log_index_first() -> None:
    step = rig(rate_hz=10).advance(600)
    assert step.start == START
    assert step.end == START + timedelta(minutes=10)
    time_log, depth_log = step.batches
    assert time_log.index.dtype == np.dtype("datetime64[us]")
    assert len(time_log) == 6000
    assert time_log.index[0] == np.datetime64("2024-03-01T06:00:00.000000")
    assert np.all(np.diff(time_log.index) == np.timedelta64(100_000, "us"))
    assert depth_log.index.dtype == np.float64
    assert len(depth_log) > 0
    for batch in step.batches:
        assert all(values.dtype == np.float64 for values in batch.values)
        assert all(len(values) == len(batch) for values in batch.values)
        columns = batch.columns()
        assert list(columns) == [channel.uri for channel in batch.channels]
        assert all(uri.startswith("eml:///witsml20.Channel(") for uri in columns)
        table = batch.table()
        assert table.mnemonics == [channel.mnemonic for channel in batch.channels]
        channel_set = batch.log.channel_sets[0].model_copy(deep=True)
        channel_set.set_table(table)  # the table fits the declarations


def test_indexes_increase_across_batches() -> None:
    r = rig(rate_hz=4)
    steps = [r.advance(seconds) for seconds in (0.3, 0.2, 1.7, 900, 0, 2100.25)]
    times, _ = stacked([s.time_log for s in steps])
    depths, _ = stacked([s.depth_log for s in steps])
    assert np.all(np.diff(times) == np.timedelta64(250_000, "us"))
    assert len(times) == math.ceil((0.3 + 0.2 + 1.7 + 900 + 2100.25) * 4)
    assert np.all(np.diff(depths) > 0)
    assert np.allclose(np.diff(depths), 0.1)
    assert np.array_equal(depths, np.round(depths, 1))
    assert steps[4].time_log.index.size == steps[4].depth_log.index.size == 0
    assert r.time == START + timedelta(seconds=3002.45)


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    a, b, c = rig().advance(3600), rig().advance(3600), rig(seed=8).advance(3600)
    for x, y, z in zip(a.batches, b.batches, c.batches, strict=True):
        assert np.array_equal(x.index, y.index)
        assert np.array_equal(np.stack(x.values), np.stack(y.values), equal_nan=True)
        if len(x) == len(z):
            assert not np.array_equal(np.stack(x.values), np.stack(z.values), equal_nan=True)
    assert a.stations == b.stations


@settings(max_examples=15, deadline=None)
@given(
    rate=st.sampled_from([1.0, 3.0, 7.5]),
    cuts=st.lists(st.floats(0.0, 900.0, allow_nan=False), min_size=1, max_size=12),
)
def test_batching_does_not_change_the_data(rate: float, cuts: list[float]) -> None:
    total = sum(cuts)
    whole = Rig(seed=2, rate_hz=rate, start_time=START).advance(total)
    r = Rig(seed=2, rate_hz=rate, start_time=START)
    parts = [r.advance(cut) for cut in cuts]
    for position in range(2):
        index, values = stacked([p.batches[position] for p in parts])
        one = whole.batches[position]
        # each advance rounds to the microsecond: the cut may move a sample across the end
        n = min(len(index), len(one))
        assert abs(len(index) - len(one)) <= 1
        assert np.array_equal(index[:n], one.index[:n])
        assert np.array_equal(values[:, :n], np.stack(one.values)[:, :n], equal_nan=True)
    assert [s for p in parts for s in p.stations] == list(whole.stations)


def test_the_depth_log_does_not_depend_on_the_sampling_rate() -> None:
    slow, fast = rig(rate_hz=1).advance(1800), rig(rate_hz=20).advance(1800)
    assert np.array_equal(slow.depth_log.index, fast.depth_log.index)
    assert np.array_equal(
        np.stack(slow.depth_log.values), np.stack(fast.depth_log.values), equal_nan=True
    )


def test_bad_arguments_are_refused_with_what_was_given() -> None:
    with pytest.raises(ValueError, match="rate_hz must be between 1 and 1000, not 0"):
        Rig(rate_hz=0)
    with pytest.raises(ValueError, match="rate_hz"):
        Rig(rate_hz=1001)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, not -1"):
        Rig(seed=-1)
    with pytest.raises(ValueError, match="seed"):
        Rig(seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="start_depth"):
        Rig(start_depth=20)
    with pytest.raises(ValueError, match="time zone"):
        Rig(start_time=datetime(2024, 1, 1))
    r = Rig()
    assert r.start_time.tzinfo is not None
    for seconds in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="seconds must be a finite number"):
            r.advance(seconds)


@settings(max_examples=50, deadline=None)
@given(
    start=st.integers(-10_000, 10_000),
    lengths=st.lists(st.integers(0, 5000), min_size=1, max_size=6),
    rows=st.integers(1, 3),
)
def test_noise_is_the_same_however_it_is_read(start: int, lengths: list[int], rows: int) -> None:
    whole = Noise(4).normal(Stream.TIME_SENSOR, start, start + sum(lengths), rows=rows)
    noise, position, parts = Noise(4), start, []
    for length in lengths:
        parts.append(noise.normal(Stream.TIME_SENSOR, position, position + length, rows=rows))
        position += length
    assert np.array_equal(np.concatenate(parts, axis=1), whole)


def test_smooth_noise_is_continuous_with_about_unit_spread() -> None:
    x = np.linspace(-500.0, 20_000.0, 400_001)
    values = Noise(4).smooth(Stream.HARDNESS, x, 25.0)
    assert 0.85 < values.std() < 1.15
    assert np.abs(np.diff(values)).max() < 0.05  # 0.05 m apart, 25 m correlation length
    layers = Noise(4).steps(Stream.LAYERS, x, 45.0)
    assert len(np.unique(layers)) == len(np.unique(np.floor(x / 45.0)))


# -- speed ------------------------------------------------------------------------------------


def test_1_khz_with_24_channels_runs_at_least_50_times_real_time() -> None:
    r = rig(rate_hz=1000)
    r.advance(1.0)
    simulated = 20.0
    began = time.perf_counter()
    for _ in range(int(simulated)):
        step = r.advance(1.0)
        assert len(step.time_log) == 1000
    elapsed = time.perf_counter() - began
    assert len(step.time_log.values) == 24
    assert simulated / elapsed >= 50, f"{simulated / elapsed:.0f}x real time"


def test_a_batch_as_channel_data_for_the_store() -> None:
    step = rig(rate_hz=2).advance(1200)
    for batch in step.batches:
        uris = [channel.uri for channel in batch.channels]
        ids = {uri: 100 + i for i, uri in enumerate(uris)}
        message = ChannelData(data=batch.data_items(ids))
        header = MessageHeader(
            protocol=22,
            message_type=4,
            correlation_id=0,
            message_id=2,
            message_flags=MessageFlags.FIN,
        )
        _, decoded = decode_message(encode_message(header, message))
        assert isinstance(decoded, ChannelData)
        items = decoded.data
        assert isinstance(items, DataItems)
        assert len(items) == len(batch) * 24
        rows = len(batch)
        assert np.array_equal(items.channel_ids.reshape(rows, 24)[0], np.arange(100, 124))
        first = items[0]
        if batch.index.dtype.kind == "M":  # microseconds since 1970 UTC
            assert first.indexes == [int(batch.index[0].astype(np.int64))]
            assert first.indexes[0] == (START - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
                microseconds=1
            )
        else:
            assert first.indexes == [float(batch.index[0])]
        values = np.stack(batch.values, axis=1).ravel()
        nulls = np.isnan(values)
        assert nulls.any()
        assert items.nulls is not None
        assert np.array_equal(items.nulls, nulls)
        assert np.array_equal(items.values[~nulls], values[~nulls])
    some = step.time_log.data_items({step.time_log.channels[3].uri: 7})
    assert len(some) == len(step.time_log)
    assert set(some.channel_ids.tolist()) == {7}
    assert np.array_equal(some.values, step.time_log.values[3], equal_nan=True)
    with pytest.raises(ValueError, match=r"not channels of eml:///witsml20\.Log\("):
        step.time_log.data_items({step.depth_log.channels[0].uri: 1})
