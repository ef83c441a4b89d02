"""etp.simulator: the data look like a rig drilling ahead (units, ranges, connections, surveys)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from etp.simulator import CURVES, TIME_CURVES, Rig, Step
from etp.simulator.curves import PROPERTY_KIND_CONTENT_TYPE, PROPERTY_KINDS
from etp.simulator.physics import BLOCK_WEIGHT, string_weight
from etp.simulator.survey import minimum_curvature
from tests.conftest import WITSML_REF, need
from witsml import units
from witsml.objects import Measure
from witsml.units.quantities import QUANTITY_CLASSES

START = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
HOURS = 10
PROPERTY_KIND_DICTIONARY = (
    WITSML_REF / "xsd-2.0/energyml/data/common/v2.1/ancillary/PropertyKindDictionary_v2.1.0.xml"
)


@pytest.fixture(scope="module")
def drilled() -> tuple[Rig, list[Step]]:
    """Ten hours of drilling at 1 Hz, in one-hour batches."""
    rig = Rig(seed=11, rate_hz=1, start_time=START, start_depth=1500.0)
    return rig, [rig.advance(3600) for _ in range(HOURS)]


@pytest.fixture(scope="module")
def time_log(drilled: tuple[Rig, list[Step]]) -> pd.DataFrame:
    return pd.concat([step.time_log.table().to_pandas() for step in drilled[1]])


@pytest.fixture(scope="module")
def depth_log(drilled: tuple[Rig, list[Step]]) -> pd.DataFrame:
    return pd.concat([step.depth_log.table().to_pandas() for step in drilled[1]])


def value(measure: Measure | None) -> float:
    assert measure is not None
    return measure.value


def runs(flags: pd.Series) -> list[tuple[int, int]]:
    """(first, end) positions of each run of True in ``flags``."""
    padded = np.concatenate([[False], flags.to_numpy(), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


# -- units and kinds --------------------------------------------------------------------------


def test_units_are_energistics_symbols_of_the_right_quantity() -> None:
    expected = {
        "m": "length",
        "m/h": "length per time",
        "kN": "force",
        "rpm": "angular velocity",
        "kN.m": "moment of force",
        "kPa": "pressure",
        "L/min": "volume per time",
        "g/cm3": "mass per volume",
        "degC": "thermodynamic temperature",
        "%": "dimensionless",
        "ppm": "dimensionless",
        "1/min": "frequency",
        "m3": "volume",
        "Euc": "dimensionless",
    }
    for curve in {*CURVES, *TIME_CURVES}:
        assert units.unit(curve.uom, aliases=False).symbol == curve.uom
        assert units.quantity_of(curve.uom) == expected[curve.uom], curve.mnemonic


def test_channel_classes_are_energistics_property_kinds_of_a_compatible_quantity() -> None:
    dictionary = etree.parse(str(need(PROPERTY_KIND_DICTIONARY, "PropertyKind dictionary")))
    eml = "{http://www.energistics.org/energyml/data/commonv2}"
    kinds = {
        kind.findtext(f"{eml}Citation/{eml}Title", ""): (
            kind.get("uuid", ""),
            kind.findtext(f"{eml}QuantityClass", ""),
        )
        for kind in dictionary.iter(f"{eml}PropertyKind")
    }
    reference_units = {
        **dict(QUANTITY_CLASSES),
        "unitless": "Euc",
        "thermodynamic temperature": "K",
    }
    for title, uuid in PROPERTY_KINDS.items():
        assert kinds[title][0] == uuid, title
    for curve in {*CURVES, *TIME_CURVES}:
        reference = curve.channel_class()
        assert reference.content_type == PROPERTY_KIND_CONTENT_TYPE
        uuid, quantity = kinds[reference.title]
        assert reference.uuid == uuid
        assert units.compatible(curve.uom, reference_units[quantity]), curve.mnemonic


# -- drilling ahead ---------------------------------------------------------------------------


def test_the_bit_never_goes_below_the_bottom_of_the_hole(time_log: pd.DataFrame) -> None:
    assert (time_log.BDEP <= time_log.HDEP).all()
    assert (np.diff(time_log.HDEP) >= 0).all()
    assert time_log.HDEP.iloc[-1] - time_log.HDEP.iloc[0] > 100  # ~ 10-40 m/h on bottom
    assert not time_log[["BDEP", "HDEP"]].isna().any().any()


def test_readings_are_in_the_ranges_of_a_12_25_in_section(time_log: pd.DataFrame) -> None:
    ranges = {
        "BPOS": (0.5, 33),
        "HKLD": (BLOCK_WEIGHT - 15, 1100),
        "WOB": (0, 250),
        "RPM": (0, 220),
        "TQ": (0, 40),
        "ROP": (0, 95),
        "SPP": (0, 25_000),
        "FLWI": (0, 3700),
        "FLWOP": (0, 60),
        "PITV": (60, 90),
        "PITG": (-2, 3),
        "MWIN": (1.2, 1.35),
        "MWOUT": (1.2, 1.35),
        "TMPIN": (25, 45),
        "TMPOUT": (30, 65),
        "GASA": (0, 5),
        "ECD": (1.2, 1.4),
        "DXC": (0.3, 2.5),
    }
    for mnemonic, (low, high) in ranges.items():
        values = time_log[mnemonic].dropna()
        assert low <= values.min(), (mnemonic, values.describe())
        assert values.max() <= high, (mnemonic, values.describe())


def test_connections_every_stand(time_log: pd.DataFrame) -> None:
    pumps_off = runs(time_log.FLWI == 0)
    drilled = time_log.HDEP.iloc[-1] - time_log.HDEP.iloc[0]
    assert abs(len(pumps_off) - drilled / 28.5) <= 1.5
    for first, end in pumps_off:
        during = time_log.iloc[first:end]
        assert 60 <= end - first <= 600  # seconds at 1 Hz
        for mnemonic in ("RPM", "WOB", "ROP", "SPP", "SPM1", "SPM2"):
            assert (during[mnemonic].dropna() == 0).all(), mnemonic
        assert (during.BDEP < during.HDEP).all()  # off bottom
        assert during.BPOS.max() > 25 > during.BPOS.iloc[0]  # the block goes up for a stand
        in_slips = during.HKLD.dropna() < BLOCK_WEIGHT + 15
        assert in_slips.mean() > 0.5  # the string hangs in the slips: only the block's weight
        assert during.PITG.max() > 0.8  # the annulus drains back to the pits
        assert during.TQ.max() > 25  # the top drive torques the connection up


def test_rotating_and_sliding(drilled: tuple[Rig, list[Step]]) -> None:
    plan = drilled[0].plan
    rig = Rig(seed=11, rate_hz=1, start_time=START, start_depth=plan.kickoff + 30)
    frame = pd.concat([rig.advance(3600).time_log.table().to_pandas() for _ in range(HOURS)])
    on_bottom = frame[frame.WOB > 0]
    sliding = on_bottom[on_bottom.RPM == 0]
    rotating = on_bottom[on_bottom.RPM > 0]
    assert len(sliding) > 600
    assert len(rotating) > 600
    assert sliding.ROP.median() < rotating.ROP.median()
    assert sliding.TQ.median() < 2 < rotating.TQ.median()
    assert sliding.DXC.isna().all()


def test_rate_of_penetration_follows_the_formation(
    drilled: tuple[Rig, list[Step]], depth_log: pd.DataFrame
) -> None:
    hardness = drilled[0]._hardness(depth_log.index.to_numpy())
    rop = depth_log.ROP.to_numpy()
    valid = ~np.isnan(rop)
    correlation = np.corrcoef(np.log(rop[valid]), np.log(hardness[valid]))[0, 1]
    assert correlation < -0.6
    assert depth_log.ROP.std() / depth_log.ROP.mean() > 0.2


def test_pressure_and_hookload_follow_flow_and_weight(time_log: pd.DataFrame) -> None:
    frame = time_log.dropna(subset=["SPP", "FLWI", "HKLD", "WOB"])
    pumping = frame[frame.FLWI > 0]
    assert np.corrcoef(pumping.FLWI, pumping.SPP)[0, 1] > 0.9
    drilling = frame[frame.WOB > 0]
    # hookload = string weight - weight on bit: higher WOB, lower hookload at a given depth
    residual = drilling.HKLD + drilling.WOB - string_weight(drilling.BDEP.to_numpy())
    assert abs(residual.median()) < 10
    ecd = time_log.dropna(subset=["ECD", "MWIN"])
    assert (ecd.ECD[ecd.FLWI > 2000] > ecd.MWIN[ecd.FLWI > 2000]).mean() > 0.95


def test_a_few_readings_are_missing(time_log: pd.DataFrame, depth_log: pd.DataFrame) -> None:
    for frame in (time_log, depth_log):
        missing = frame.isna().to_numpy().mean()
        assert 0 < missing < 0.02
    assert time_log.drop(columns=["DXC"]).isna().any().sum() >= 5


def test_the_depth_log_has_a_row_every_tenth_of_a_metre_drilled(
    time_log: pd.DataFrame, depth_log: pd.DataFrame
) -> None:
    depths = depth_log.index.to_numpy()
    assert np.allclose(np.diff(depths), 0.1)
    assert depths[0] == pytest.approx(1500.1)
    assert depths[-1] <= time_log.HDEP.iloc[-1] + 0.1
    assert (depth_log.index == depth_log.BDEP).all()
    torque = depth_log.dropna(subset=["TQ", "TQMX"])
    assert (torque.TQMX >= torque.TQ).all()


# -- surveys ----------------------------------------------------------------------------------


def test_a_survey_station_per_connection(
    drilled: tuple[Rig, list[Step]], time_log: pd.DataFrame
) -> None:
    rig, steps = drilled
    new = [station for step in steps for station in step.stations]
    connections = len(runs(time_log.FLWI == 0))
    assert connections - 1 <= len(new) <= connections
    trajectory = rig.objects().trajectory
    stations = trajectory.stations
    assert stations[-len(new) :] == new
    md = [s.md.value for s in stations]
    assert md[0] == 0
    assert np.all(np.diff(md) > 0)
    assert value(trajectory.md_mx) == md[-1]
    assert md[-1] < time_log.HDEP.iloc[-1]
    assert len({s.uid for s in stations}) == len(stations)
    for step in steps:
        for station in step.stations:
            assert station.dtim_stn is not None
            assert station.dtim_stn < step.end
            assert station.md.datum == "KB"


def test_station_positions_are_minimum_curvature(drilled: tuple[Rig, list[Step]]) -> None:
    stations = drilled[0].objects().trajectory.stations
    tvd = north = east = 0.0
    md1, i1, a1 = 0.0, 0.0, 0.0
    for station in stations:
        md2 = station.md.value
        i2, a2 = math.radians(value(station.incl)), math.radians(value(station.azi))
        cos_dogleg = math.cos(i2 - i1) - math.sin(i1) * math.sin(i2) * (1 - math.cos(a2 - a1))
        dogleg = math.acos(min(1.0, max(-1.0, cos_dogleg)))
        factor = 1.0 if dogleg < 1e-7 else 2 / dogleg * math.tan(dogleg / 2)
        half = (md2 - md1) / 2 * factor
        tvd += half * (math.cos(i1) + math.cos(i2))
        north += half * (math.sin(i1) * math.cos(a1) + math.sin(i2) * math.cos(a2))
        east += half * (math.sin(i1) * math.sin(a1) + math.sin(i2) * math.sin(a2))
        assert value(station.tvd) == pytest.approx(tvd, abs=0.011)
        assert value(station.disp_ns) == pytest.approx(north, abs=0.011)
        assert value(station.disp_ew) == pytest.approx(east, abs=0.011)
        if md2 > md1:
            assert value(station.dls) == pytest.approx(
                math.degrees(dogleg) * 30 / (md2 - md1), abs=0.02
            )
        md1, i1, a1 = md2, i2, a2


def test_the_well_follows_its_plan(drilled: tuple[Rig, list[Step]], time_log: pd.DataFrame) -> None:
    plan = drilled[0].plan
    stations = drilled[0].objects().trajectory.stations
    md = np.array([s.md.value for s in stations])
    incl = np.array([value(s.incl) for s in stations])
    assert np.all(np.abs(incl - plan.inclination(md)) < 3.0)
    assert np.all(incl[md < plan.kickoff] < 2.0)
    # the TVD channel agrees with the survey
    last = stations[-1]
    near = time_log[(time_log.BDEP - last.md.value).abs() < 0.05].TVD
    assert near.size
    assert abs(near.iloc[0] - value(last.tvd)) < 0.5


def test_minimum_curvature_is_exact_on_a_circular_arc() -> None:
    radius = 573.0  # 3 degrees per 30 m
    md = np.array([100.0, 100.0 + radius * math.pi / 2])
    dtvd, dnorth, deast, dogleg = minimum_curvature(md, np.array([0.0, 90.0]), np.full(2, 60.0))
    assert dtvd[0] == pytest.approx(radius)
    assert math.hypot(dnorth[0], deast[0]) == pytest.approx(radius)
    assert math.degrees(math.atan2(deast[0], dnorth[0])) == pytest.approx(60.0)
    assert dogleg[0] == pytest.approx(90.0)
    straight = minimum_curvature(np.array([0.0, 50.0]), np.full(2, 30.0), np.zeros(2))
    assert straight[0][0] == pytest.approx(50 * math.cos(math.radians(30)))
    assert straight[1][0] == pytest.approx(25.0)
    assert straight[3][0] == 0.0
