"""witsml_etp_pytest.objects and the plugin's witsml_* fixtures: sample objects, factory logs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import witsml
from etp.simulator import CURVES, TIME_CURVES, Rig
from etp.simulator.objects import object_uuid
from witsml.objects import Log, Trajectory, Well, Wellbore
from witsml_etp_pytest.objects import SAMPLE_ROWS, START_TIME, LogFactory, samples

SHAPES = [
    {},
    {"rows": 0},
    {"rows": 0, "index": "time"},
    {"rows": 40, "index": "time", "rate_hz": 5, "direction": "decreasing", "nulls": 0.2},
    {"rows": 25, "channels": ["SPP", "ROP"], "direction": "decreasing"},
    {"rows": 30, "channels": 3, "nulls": 0.0},
    {"rows": 10, "nulls": 1.0},
]


def uuids(*objects: object) -> set[str]:
    return set(re.findall(r'uuid="([0-9a-f-]{36})"', b"".join(map(to_xml, objects)).decode()))


def to_xml(obj: object) -> bytes:
    return witsml.to_xml(obj)  # type: ignore[arg-type]


# -- the sample set ----------------------------------------------------------------------------


def test_samples_reference_each_other() -> None:
    well, wellbore, log, trajectory = samples()
    assert wellbore.well.uuid == well.uuid
    assert log.wellbore.uuid == trajectory.wellbore.uuid == wellbore.uuid
    [channel_set] = log.channel_sets
    assert {c.wellbore and c.wellbore.uuid for c in channel_set.channels} == {wellbore.uuid}
    assert log.wellbore.uri == wellbore.uri
    assert [c.mnemonic for c in channel_set.channels] == [c.mnemonic for c in CURVES]
    table = channel_set.table()
    assert len(table) == SAMPLE_ROWS
    assert np.allclose(np.diff(table.index.values), 0.1)
    assert len(trajectory.stations) > 40


def test_samples_get_fresh_uuids_unless_asked_otherwise() -> None:
    first, second = samples(), samples()
    assert not uuids(*first) & uuids(*second)
    assert len(uuids(*first)) == 4 + 1 + len(CURVES)  # the log holds its set and channels
    stable, again = samples(fresh_uuids=False), samples(fresh_uuids=False)
    assert uuids(*stable) == uuids(*again)
    assert stable.well.uuid == object_uuid(0, "well")
    assert samples(1, fresh_uuids=False).well.uuid != stable.well.uuid


def test_samples_are_new_objects_with_the_same_data_for_a_seed() -> None:
    first, second = samples(), samples()
    first.log.channel_sets[0].channels.pop()
    first.trajectory.stations.clear()
    assert len(second.log.channel_sets[0].channels) == len(CURVES)
    assert second.trajectory.stations
    assert first.log.channel_sets[0].data == second.log.channel_sets[0].data
    assert samples(3).log.channel_sets[0].data != second.log.channel_sets[0].data


def test_the_sample_log_is_the_rigs_depth_log() -> None:
    """The data is the simulator's: its first rows of the depth log, value for value."""
    rig = Rig(seed=5, start_time=START_TIME)
    rows: list[np.ndarray] = []
    while sum(map(len, rows)) < SAMPLE_ROWS:
        rows.append(np.stack(rig.advance(3600).depth_log.values, axis=1))
    expected = np.concatenate(rows)[:SAMPLE_ROWS]
    table = samples(5).log.channel_sets[0].table()
    got = np.stack([column.values for column in table], axis=1)
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isnan(got).any()  # the rig's missing readings are kept


def test_samples_are_valid_against_our_schemas() -> None:
    for obj in samples():
        report = witsml.validate(to_xml(obj))
        assert report.valid, [str(f) for f in report.findings]


def test_samples_and_factory_logs_are_valid_against_the_official_xsd(
    official_xsd_20: Path,
) -> None:
    make = LogFactory()
    logs = [make(**shape) for shape in SHAPES]  # type: ignore[arg-type]
    for obj in [*samples(), *logs]:
        report = witsml.validate(to_xml(obj), schema_dir=official_xsd_20)
        assert report.valid, (obj.uri, [str(f) for f in report.findings])


# -- the log factory -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_factory_logs_are_valid_and_read_back(shape: dict[str, object]) -> None:
    log = LogFactory()(**shape)  # type: ignore[arg-type]
    report = witsml.validate(to_xml(log))
    assert report.valid, [str(f) for f in report.findings]
    again = witsml.parse(to_xml(log))
    assert isinstance(again, Log)
    assert len(again.channel_sets[0].table()) == shape.get("rows", 100)


def test_a_time_log_samples_at_its_rate_from_the_start_time() -> None:
    log = LogFactory()(50, index="time", rate_hz=10, channels=["HKLD", "HDEP"])
    [channel_set] = log.channel_sets
    assert channel_set.indexes[0].index_type == "date time"
    assert [c.mnemonic for c in channel_set.channels] == ["HKLD", "HDEP"]
    times = channel_set.table().index.values
    assert times[0] == np.datetime64(START_TIME.replace(tzinfo=None))
    assert set(np.diff(times).astype("timedelta64[ms]").astype(int)) == {100}


def test_decreasing_logs_hold_the_same_rows_upwards() -> None:
    make = LogFactory()
    up = make(60, direction="decreasing", channels=2)
    down = make(60, channels=2)
    [channel_set] = up.channel_sets
    declared = [channel_set.indexes[0], *(c.indexes[0] for c in channel_set.channels)]
    assert {str(index.direction) for index in declared} == {"decreasing"}
    up_table, down_table = channel_set.table(), down.channel_sets[0].table()
    assert np.all(np.diff(up_table.index.values) < 0)
    assert np.array_equal(up_table.index.values, down_table.index.values[::-1])
    assert np.array_equal(up_table["ROP"].values, down_table["ROP"].values[::-1], equal_nan=True)


@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.5, 1.0])
def test_nulls_are_exactly_the_fraction_asked(fraction: float) -> None:
    table = LogFactory()(80, index="time", nulls=fraction).channel_sets[0].table()
    missing = sum(int(column.mask.sum()) for column in table)
    assert missing == round(fraction * 80 * len(TIME_CURVES))
    assert not table.index.mask.any()


def test_without_nulls_the_gaps_are_filled_with_the_reading_before() -> None:
    natural = LogFactory()(SAMPLE_ROWS).channel_sets[0].table()
    filled = LogFactory()(SAMPLE_ROWS, nulls=0.0).channel_sets[0].table()
    for before, after in zip(natural, filled, strict=True):
        assert not after.mask.any()
        kept = ~before.mask
        assert np.array_equal(after.values[kept], before.values[kept])
        if kept.any() and before.mask.any():
            gap = int(np.flatnonzero(before.mask)[-1])
            earlier = np.flatnonzero(kept[:gap])
            if len(earlier):
                assert after.values[gap] == before.values[earlier[-1]]


def test_factory_logs_reference_the_wellbore_given() -> None:
    wellbore = samples().wellbore
    log = LogFactory(wellbore=wellbore)(5)
    [channel_set] = log.channel_sets
    refs = [log.wellbore, channel_set.wellbore, *(c.wellbore for c in channel_set.channels)]
    assert {(r.uuid, r.uri) for r in refs if r is not None} == {(wellbore.uuid, wellbore.uri)}
    assert LogFactory()(5).wellbore.uuid == object_uuid(0, "wellbore")


def test_stable_factory_uuids_follow_the_arguments() -> None:
    make = LogFactory(fresh_uuids=False)
    assert uuids(make(10)) == uuids(make(10))
    assert not uuids(make(10)) & uuids(make(11))
    assert not uuids(make(10)) & uuids(make(10, seed=1))
    assert not uuids(make(10)) & uuids(samples(fresh_uuids=False).log)
    fresh = LogFactory()
    assert not uuids(fresh(10)) & uuids(fresh(10))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rows": -1}, "rows must be an integer >= 0"),
        ({"rows": 2.5}, "rows must be an integer >= 0"),
        ({"index": "elapsed"}, "index must be 'depth' or 'time'"),
        ({"direction": "up"}, "direction must be 'increasing' or 'decreasing'"),
        ({"nulls": 1.5}, "nulls must be None or a fraction from 0 to 1"),
        ({"channels": 0}, "channels must be from 1 to 24"),
        ({"channels": []}, "channels must be a count or a list of mnemonics"),
        ({"channels": "ROP"}, "channels must be a count or a list of mnemonics"),
        ({"channels": ["ROP", "XYZ"]}, r"unknown channels \['XYZ'\]: the simulator has BDEP"),
        ({"channels": ["ROP", "ROP"]}, "must name each channel once"),
        ({"channels": ["HDEP"]}, r"unknown channels \['HDEP'\]"),  # a time log channel
        ({"index": "time", "rate_hz": 0.5}, "rate_hz must be between 1 and 1000"),
    ],
)
def test_bad_arguments_say_what_is_wrong(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LogFactory()(**arguments)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(0, 150),
    index=st.sampled_from(["depth", "time"]),
    direction=st.sampled_from(["increasing", "decreasing"]),
    nulls=st.none() | st.floats(0.0, 1.0),
    count=st.integers(1, 24),
    seed=st.integers(0, 3),
)
def test_factory_logs_have_the_shape_asked(
    rows: int, index: str, direction: str, nulls: float | None, count: int, seed: int
) -> None:
    log = LogFactory(seed=seed)(
        rows,
        channels=count,
        index=index,  # type: ignore[arg-type]
        direction=direction,  # type: ignore[arg-type]
        nulls=nulls,
    )
    table = log.channel_sets[0].table()
    curves = TIME_CURVES if index == "time" else CURVES
    assert len(table) == rows
    assert table.mnemonics == [c.mnemonic for c in curves[:count]]
    assert [c.uom for c in table] == [c.uom for c in curves[:count]]
    steps = np.diff(table.index.values)
    assert np.all(steps < 0) if direction == "decreasing" else np.all(steps > 0)
    if nulls is not None:
        assert sum(int(c.mask.sum()) for c in table) == round(nulls * rows * count)


# -- the fixtures ----------------------------------------------------------------------------


def test_the_fixtures_are_one_consistent_fresh_set(
    witsml_well: Well,
    witsml_wellbore: Wellbore,
    witsml_log: Log,
    witsml_trajectory: Trajectory,
    witsml_log_factory: LogFactory,
) -> None:
    assert witsml_wellbore.well.uuid == witsml_well.uuid
    assert witsml_log.wellbore.uuid == witsml_trajectory.wellbore.uuid == witsml_wellbore.uuid
    assert witsml_log_factory(3).wellbore.uuid == witsml_wellbore.uuid
    assert witsml_well.uuid != object_uuid(0, "well")


@pytest.mark.parametrize("witsml_seed", [1, 2])
def test_the_seed_fixture_can_be_parametrized(witsml_seed: int, witsml_log: Log) -> None:
    assert witsml_log.channel_sets[0].data == samples(witsml_seed).log.channel_sets[0].data
