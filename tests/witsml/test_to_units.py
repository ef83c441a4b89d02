"""Units on log data: Column, ChannelTable, ChannelSet, Log, DataFrame, Measure (witsml.convert)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import witsml
from witsml.convert import to_units
from witsml.data import ChannelTable, Column
from witsml.errors import UnitError
from witsml.objects import DepthCoord, DepthIndexValue, Measure
from witsml.units import UnitAliasWarning

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "log.xml"


def table() -> ChannelTable:
    return ChannelTable(
        [Column.index("DEPTH", [1000.0, 1000.5, 1001.0], uom="m")],
        [
            Column.channel("ROP", [10.0, np.nan, 30.0], uom="m/h"),
            Column.channel("ROP", np.array([1, 2, 3]), uom="m/h", mask=[False, True, False]),
            Column.channel("SPP", [100.0, 200.0, 300.0], uom="kPa"),
            Column.channel("BDEP", [999.0, 1000.0, 1001.0], uom="m"),
            Column.channel("NOTE", ["a", None, "c"], uom="Euc"),
            Column.channel("ODD", [1.0, 2.0, 3.0], uom="vendor:odd"),
        ],
    )


@pytest.fixture(scope="module")
def log() -> witsml.Log:
    parsed = witsml.parse(EXAMPLE)
    assert isinstance(parsed, witsml.Log)
    return parsed


def test_quantity_keys_convert_every_column_of_that_quantity() -> None:
    converted = table().to_units({"length": "ft", "pressure": "psi"})
    assert converted.index.uom == "ft"
    assert converted.index.values == pytest.approx(np.array([1000.0, 1000.5, 1001.0]) / 0.3048)
    assert converted["BDEP"].uom == "ft"
    assert converted["SPP"].values == pytest.approx([14.503773773, 29.007547546, 43.511321319])
    assert converted.channel(0).uom == "m/h"  # a length per time is not a length


def test_mnemonic_key_wins_and_applies_to_every_duplicate() -> None:
    converted = table().to_units({"length per time": "m/s", "ROP": "ft/h"})
    first, second = converted.channel(0), converted.channel(1)
    assert (first.uom, second.uom) == ("ft/h", "ft/h")
    assert first.values[0] == pytest.approx(10 / 0.3048)
    assert np.isnan(first.values[1])
    assert first.mask.tolist() == [False, True, False]
    # the integer duplicate becomes double, its missing value stays missing
    assert second.spec.data_type == "double"
    assert second.mask.tolist() == [False, True, False]
    assert second.values[2] == pytest.approx(3 / 0.3048)


def test_columns_left_alone_are_the_same_objects() -> None:
    source = table()
    converted = source.to_units({"pressure": "psi"})
    assert converted.channel(4) is source.channel(4)  # strings: no quantity, untouched
    assert converted.channel(5) is source.channel(5)  # an extension unit: no known quantity


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"length": "psi"}, "'psi' is a pressure unit, not a length unit"),
        ({"RPO": "ft/h"}, "'RPO' is neither a mnemonic"),
        ({"ROP": "bogus"}, "unknown unit 'bogus'"),
        ({"ROP": "psi"}, "'ROP'"),
        ({"NOTE": "m"}, "'NOTE': str values cannot be converted"),
        ({"ODD": "m"}, "'ODD': 'vendor:odd' is an extension unit"),
    ],
)
def test_errors_name_what_is_wrong(targets: dict[str, str], message: str) -> None:
    with pytest.raises(UnitError) as caught:
        table().to_units(targets)
    assert message in str(caught.value)


def test_an_unknown_column_unit_fails_a_quantity_conversion_naming_the_mnemonic() -> None:
    bad = ChannelTable(
        [Column.index("DEPTH", [1.0], uom="m")], [Column.channel("X", [1.0], uom="furlongs")]
    )
    with pytest.raises(UnitError, match="'X'"):
        bad.to_units({"length": "ft"})


def test_an_aliased_unit_is_converted_with_a_warning_naming_the_mnemonic() -> None:
    aliased = ChannelTable(
        [Column.index("DEPTH", [1.0, 2.0], uom="m")],
        [Column.channel("ROP", [3.0, 6.0], uom="FT/HR")],
    )
    with pytest.warns(UnitAliasWarning, match="'ROP'.*'FT/HR'.*'ft/h'"):
        converted = aliased.to_units({"ROP": "m/h"})
    assert converted["ROP"].values == pytest.approx([0.9144, 1.8288])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert aliased.to_units({"ROP": "m/hr"})["ROP"].uom == "m/h"
    messages = [str(w.message) for w in caught]
    assert any("target of 'ROP'" in m and "'m/hr'" in m for m in messages), messages


def test_a_date_time_index_is_skipped_by_quantity_and_refused_by_mnemonic() -> None:
    timed = ChannelTable(
        [
            Column.index(
                "TIME", np.array(["2024-01-01T00:00", "2024-01-01T00:01"], "M8[ns]"), uom="s"
            )
        ],
        [Column.channel("ETIM", [60.0, 120.0], uom="s")],
    )
    converted = timed.to_units({"time": "min"})
    assert converted.index is timed.index
    assert converted["ETIM"].values.tolist() == [1.0, 2.0]
    with pytest.raises(UnitError, match="'TIME': date-time values cannot be converted"):
        timed.to_units({"TIME": "min"})


def test_column_to_units() -> None:
    column = Column.channel("WOB", [10.0, np.nan], uom="klbf")
    converted = column.to_units("kN")
    assert converted.uom == "kN"
    assert converted.values[0] == pytest.approx(44.482216152605)
    assert converted.mask.tolist() == [False, True]
    assert to_units(column, "kN").uom == "kN"


def test_channel_set_to_units_is_a_new_object_whose_declarations_follow(log: witsml.Log) -> None:
    channel_set = log.channel_sets[0]
    before = witsml.to_xml(channel_set)
    converted = channel_set.to_units({"length": "ft", "pressure": "psi", "ROP": "ft/h"})
    assert witsml.to_xml(channel_set) == before  # never in place
    assert converted.indexes[0].uom == "ft"
    assert {c.mnemonic: c.uom for c in converted.channels}["SPP"] == "psi"
    assert {c.mnemonic: c.uom for c in converted.channels}["ROP"] == "ft/h"
    assert all(i.uom == "ft" for c in converted.channels for i in c.indexes)
    table_before, table_after = channel_set.table(), converted.table()
    assert table_after["SPP"].values == pytest.approx(
        table_before["SPP"].values / 6.894757293168361, nan_ok=True
    )
    assert table_after.index.values[-1] == pytest.approx(1749.5 / 0.3048)
    report = witsml.validate(witsml.to_xml(converted))
    assert report.valid, report.findings


def test_start_and_end_indexes_follow(log: witsml.Log) -> None:
    converted = log.to_units({"length": "ft"})
    assert isinstance(converted.start_index, DepthIndexValue)
    assert isinstance(converted.end_index, DepthIndexValue)
    assert converted.start_index.depth == pytest.approx(1500 / 0.3048)
    assert converted.end_index.depth == pytest.approx(1749.5 / 0.3048)
    assert log.end_index == DepthIndexValue(depth=1749.5)
    channel_set = log.channel_sets[0].model_copy(deep=True)
    channel_set.start_index = DepthIndexValue(depth=1500.0)
    channel_set.channels[0].end_index = DepthIndexValue(depth=1749.5)
    moved = channel_set.to_units({"DEPTH": "ft"})
    assert isinstance(moved.start_index, DepthIndexValue)
    assert isinstance(moved.channels[0].end_index, DepthIndexValue)
    assert moved.start_index.depth == pytest.approx(1500 / 0.3048)
    assert moved.channels[0].end_index.depth == pytest.approx(1749.5 / 0.3048)


def test_an_integer_channel_is_declared_double_after_conversion() -> None:
    source = ChannelTable(
        [Column.index("DEPTH", [1.0, 2.0], uom="m")],
        [Column.channel("RPM", np.array([120, 130]), uom="rpm", data_type="int")],
    )
    channel_set = witsml.ChannelSet.from_table(
        source,
        title="t",
        logging_company_name="c",
        channel_classes={"RPM": witsml.convert.property_kind("angular velocity")},
    )
    converted = channel_set.to_units({"RPM": "rad/s"})
    assert converted.channels[0].data_type == "double"
    assert converted.table()["RPM"].values == pytest.approx([4 * np.pi, 13 / 3 * np.pi])


def test_dataframe_to_units_keeps_the_attrs_convention() -> None:
    frame = table().to_pandas()
    converted = to_units(frame, {"length": "ft", "ROP#2": "ft/h"})
    assert frame.attrs["units"]["DEPTH"] == "m"  # the original is untouched
    assert converted.attrs["units"]["DEPTH"] == "ft"
    assert converted.index.to_numpy() == pytest.approx(np.array([1000.0, 1000.5, 1001.0]) / 0.3048)
    assert converted.attrs["units"]["ROP"] == "m/h"  # only the named duplicate
    assert converted.attrs["units"]["ROP#2"] == "ft/h"
    assert converted.attrs["data_types"]["ROP#2"] == "double"
    assert converted["ROP#2"].isna().tolist() == [False, True, False]
    by_mnemonic = to_units(frame, {"ROP": "ft/h"})
    assert by_mnemonic.attrs["units"]["ROP"] == by_mnemonic.attrs["units"]["ROP#2"] == "ft/h"
    back = ChannelTable.from_pandas(converted)
    assert back.index.uom == "ft"
    assert back.channel(1).uom == "ft/h"
    with pytest.raises(UnitError, match="'NOTE'"):
        to_units(frame, {"NOTE": "m"})


def test_measure_to() -> None:
    assert Measure(value=12.25, uom="in").to("mm") == Measure(value=311.15, uom="mm")
    coord = DepthCoord(value=100.0, uom="ft", datum="KB").to("m")
    assert isinstance(coord, DepthCoord)
    assert (coord.value, coord.uom, coord.datum) == (pytest.approx(30.48), "m", "KB")
    with pytest.raises(UnitError):
        Measure(value=1.0, uom="m").to("psi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UnitAliasWarning):
            Measure(value=1.0, uom="m").to("FT")


@given(
    st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.just(float("nan")),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([("m", "ft"), ("kPa", "psi"), ("degC", "degF"), ("m/h", "ft/h")]),
)
def test_there_and_back_again(values: list[float], units: tuple[str, str]) -> None:
    source = ChannelTable(
        [Column.index("I", np.arange(len(values), dtype=float), uom="s")],
        [Column.channel("X", values, uom=units[0])],
    )
    back = source.to_units({"X": units[1]}).to_units({"X": units[0]})
    assert back["X"].uom == units[0]
    assert back["X"].mask.tolist() == source["X"].mask.tolist()
    np.testing.assert_allclose(back["X"].values, source["X"].values, rtol=1e-12, atol=1e-9)
