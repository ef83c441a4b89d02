"""LAS files <-> WITSML logs (witsml.convert.las), on hand-written files shaped like real ones."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import witsml
from witsml.convert import Origin, read_las, select, write_las
from witsml.convert.importing import Header, Imported, assemble
from witsml.data import ChannelTable, Column
from witsml.errors import FormatError
from witsml.objects import DepthIndexValue, TimeIndexValue

DATA = Path(__file__).resolve().parent / "data" / "las"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "log.xml"


def build(table: ChannelTable) -> witsml.Log:
    return assemble(table, Header(), Origin(), fallback_name="test").log


def same_columns(a: ChannelTable, b: ChannelTable, *, types: bool = True) -> None:
    assert len(a.columns) == len(b.columns)
    for left, right in zip(a.columns, b.columns, strict=True):
        assert left.mnemonic == right.mnemonic
        assert left.uom == right.uom
        if types:
            assert left.spec == right.spec
        assert left.mask.tolist() == right.mask.tolist(), left.mnemonic
        if left.storage == "time":
            assert left.values.tolist() == right.values.tolist()
        else:
            np.testing.assert_array_equal(
                left.values.astype(float)[~left.mask], right.values.astype(float)[~right.mask]
            )


def round_trip(
    source: witsml.Log | witsml.ChannelSet, tmp_path: Path, **options: object
) -> Imported:
    path = tmp_path / "out.las"
    path.write_text(write_las(select(source, **options)))  # type: ignore[arg-type]
    return read_las(path)


@pytest.fixture(scope="module")
def classic() -> Imported:
    return read_las(DATA / "classic.las")


def test_well_header_items_map_to_well_and_log_fields(classic: Imported) -> None:
    well, log = classic.well, classic.log
    assert well.citation.title == "AAAAA_2"
    assert (well.field, well.state, well.country) == ("WILDCAT", "ALBERTA", "CA")
    assert (well.operator, well.num_govt, well.num_api) == (
        "ANY OIL COMPANY INC.",
        "100123401234W500",
        "42-501-20130",
    )
    assert classic.wellbore.citation.title == "AAAAA_2"
    assert classic.wellbore.well.uuid == well.uuid
    assert log.wellbore.uuid == classic.wellbore.uuid
    assert log.logging_company_name == "ANY LOGGING COMPANY INC."
    assert log.run_number == "2"
    assert log.citation.creation == datetime(1986, 12, 13, tzinfo=UTC)
    assert log.citation.title == "classic"
    assert log.citation.description is not None
    assert log.citation.description.startswith("Note: The logging tools became stuck")
    kept = {e.name: (e.value.value, e.value.uom) for e in log.extension_name_values}
    assert kept == {
        "las.well.LOC": ("12-34-12-34W5M", None),
        "las.parameter.BHT": ("35.5", "degC"),
        "las.parameter.BS": ("200.0", "mm"),
    }


def test_curves_units_nulls_and_repeated_mnemonics(classic: Imported) -> None:
    channel_set = classic.log.channel_sets[0]
    table = channel_set.table()
    assert table.index.spec.index_type == "measured depth"
    assert table.index.spec.direction == "decreasing"
    assert table.index.uom == "m"
    assert table.mnemonics == ["DT", "RHOB", "NPHI", "SFLU", "GR", "DT#2"]
    units = {c.mnemonic: c.uom for c in table.channels}
    assert units == {
        "DT": "us/m",
        "RHOB": "kg/m3",
        "NPHI": "m3/m3",
        "SFLU": "ohm.m",
        "GR": "gAPI",
        "DT#2": "us/m",
    }
    assert table["GR"].mask.tolist() == [False, True, False, False, False]
    assert table["DT#2"].mask.tolist() == [False, False, False, True, False]  # -999.2500
    assert table["DT"].values[0] == 123.45
    assert channel_set.start_index == DepthIndexValue(depth=1670.0)
    assert channel_set.end_index == DepthIndexValue(depth=1669.5)
    titles = {c.mnemonic: c.citation.title for c in channel_set.channels}
    assert titles["RHOB"] == "3  BULK DENSITY"
    codes = {
        c.mnemonic: [e.value.value for e in c.extension_name_values] for c in channel_set.channels
    }
    assert codes["DT"] == ["60 520 32 00"]
    assert codes["DT#2"] == []
    messages = [f.message for f in classic.findings]
    assert "curve 'DT' repeated: read as 'DT#2'" in messages
    assert any("'GAPI'" in m and "'gAPI'" in m for m in messages)
    assert any("'K/M3' read as 'kg/m3'" in m for m in messages)


def test_the_objects_are_valid_against_our_and_the_official_schemas(
    classic: Imported, official_xsd_20: Path
) -> None:
    for obj in (classic.log, classic.wellbore, classic.well):
        document = witsml.to_xml(obj)
        for schemas in (None, official_xsd_20):
            report = witsml.validate(document, schema_dir=schemas)
            assert report.valid, (type(obj).__name__, schemas, report.findings)
            assert not report.warnings, report.warnings


def test_feet_odd_nulls_vendor_and_unknown_units() -> None:
    imported = read_las(DATA / "feet.las")
    table = imported.log.channel_sets[0].table()
    assert (table.index.uom, table.index.spec.direction) == ("ft", "increasing")
    units = {c.mnemonic: c.uom for c in table.channels}
    assert units == {
        "ROP": "ft/h",
        "WOB": "klbf",
        "SPP": "psi",
        "DLS": "0.01 dega/ft",
        "GAS": "LAS:UNITS",
        "FLAG": "Euc",
    }
    assert table["WOB"].mask.tolist() == [False, False, True]  # -9999.00 with NULL -9999
    assert table["ROP"].mask.tolist() == [False, True, False]
    assert imported.well.state == "TEXAS"
    assert imported.well.county == "MIDLAND"
    assert imported.log.citation.creation == datetime(2023, 7, 4, tzinfo=UTC)
    messages = " | ".join(f.message for f in imported.findings)
    assert "'UNITS' is not known; kept as 'LAS:UNITS'" in messages
    assert "curve 'FLAG' has no unit: read as 'Euc'" in messages
    assert witsml.validate(witsml.to_xml(imported.log)).valid


def test_time_indexes() -> None:
    elapsed = read_las(DATA / "elapsed.las").log
    index = elapsed.channel_sets[0].table().index
    assert (index.spec.index_type, index.uom) == ("elapsed time", "s")
    assert elapsed.start_index is None  # no index value type for elapsed time
    dated = read_las(DATA / "datetime.las").log
    table = dated.channel_sets[0].table()
    assert table.index.spec.index_type == "date time"
    assert table.index.values[-1] == np.datetime64("2024-03-14T06:00:10.5", "ns")
    assert table["SPP"].mask.tolist() == [False, True, False]
    assert dated.end_index == TimeIndexValue(time=datetime(2024, 3, 14, 6, 0, 10, 500000, UTC))
    assert dated.time_depth == "time"
    assert witsml.validate(witsml.to_xml(dated)).valid


def test_wrapped_files_are_read() -> None:
    table = read_las(DATA / "wrapped.las").log.channel_sets[0].table()
    assert len(table) == 3
    assert table["SFLU"].values.tolist() == [19.4086, 23.3987, 22.5909]
    assert table["DT"].mask.all()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("las3.las", "LAS 3.0 is not read"),
        ("unordered.las", r"index 'DEPT' repeats the value 100.5 \(data row 3\)"),
    ],
)
def test_refused_files(name: str, message: str) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        read_las(DATA / name)
    assert caught.value.source == str(DATA / name)


def test_not_las_and_index_problems(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.las"
    garbage.write_text("this is not LAS\n")
    with pytest.raises(FormatError, match="not a readable LAS file"):
        read_las(garbage)
    no_unit = tmp_path / "no-unit.las"
    no_unit.write_text(
        (DATA / "unordered.las").read_text().replace("STRT.M", "STRT.").replace("DEPT.M", "DEPT.")
    )
    with pytest.raises(FormatError, match="index 'DEPT' has no unit"):
        read_las(no_unit)
    null_index = tmp_path / "null-index.las"
    null_index.write_text(
        (DATA / "unordered.las").read_text().replace("100.5  52.0", "-999.25 52.0")
    )
    with pytest.raises(FormatError, match="index 'DEPT' has no value at data row 3"):
        read_las(null_index)
    with pytest.raises(FileNotFoundError):
        read_las(tmp_path / "absent.las")


def test_witsml_las_witsml_keeps_the_example_log(tmp_path: Path) -> None:
    log = witsml.parse(EXAMPLE)
    assert isinstance(log, witsml.Log)
    back = round_trip(log, tmp_path)
    assert back.findings == []
    same_columns(log.channel_sets[0].table(), back.log.channel_sets[0].table())
    assert back.log.logging_company_name == log.logging_company_name
    assert back.log.run_number == log.run_number
    assert back.well.citation.title == log.wellbore.title  # LAS WELL from the Wellbore reference


def test_witsml_las_witsml_keeps_the_header_of_a_las_file(
    classic: Imported, tmp_path: Path
) -> None:
    back = round_trip(classic.log, tmp_path, well=classic.well)
    for name in ("field", "state", "country", "operator", "num_govt", "num_api"):
        assert getattr(back.well, name) == getattr(classic.well, name), name
    assert back.well.citation.title == "AAAAA_2"
    assert back.log.citation.creation == classic.log.citation.creation
    assert back.log.citation.description == classic.log.citation.description
    assert back.log.run_number == "2"
    assert [(e.name, e.value) for e in back.log.extension_name_values] == [
        (e.name, e.value) for e in classic.log.extension_name_values
    ]
    original = classic.log.channel_sets[0]
    again = back.log.channel_sets[0]
    assert [c.citation.title for c in again.channels] == [
        c.citation.title for c in original.channels
    ]
    assert [c.extension_name_values for c in again.channels] == [
        c.extension_name_values for c in original.channels
    ]
    same_columns(original.table(), again.table())


def test_round_trip_of_decreasing_time_integer_and_null_data(tmp_path: Path) -> None:
    decreasing = ChannelTable(
        [Column.index("DEPTH", [2000.0, 1999.5, 1999.0], uom="ft", direction="decreasing")],
        [
            Column.channel("GR", [50.5, np.nan, 1e-05], uom="gAPI"),
            Column.channel("COUNT", np.array([3, 0, 7]), uom="Euc", mask=[False, True, False]),
            Column.channel("DLS", [1.0, 2.0, 3.0], uom="0.01 dega/ft"),
        ],
    )
    back = round_trip(build(decreasing), tmp_path).log.channel_sets[0].table()
    same_columns(decreasing, back, types=False)  # LAS has numbers only: the long is a double
    assert back.index.spec.direction == "decreasing"
    assert back["COUNT"].spec.data_type == "double"
    times = np.array(["2024-03-14T06:00:00", "2024-03-14T06:00:01.25"], dtype="datetime64[ns]")
    timed = ChannelTable(
        [Column.index("TIME", times, uom="s")], [Column.channel("SPP", [1.0, np.nan], uom="kPa")]
    )
    same_columns(timed, round_trip(build(timed), tmp_path).log.channel_sets[0].table())


def test_null_value_never_collides_with_data() -> None:
    table = ChannelTable(
        [Column.index("DEPTH", [1.0, 2.0], uom="m")],
        [Column.channel("X", [-999.25, np.nan], uom="m")],
    )
    text = write_las(build(table))
    assert re.search(r"^NULL\.\s+-9999\.25 :", text, re.MULTILINE)
    assert text.split("~A")[1].split()[-3:] == ["-999.25", "2.0", "-9999.25"]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (Column.channel("NOTE", ["a", "b"], uom="Euc"), "'NOTE' holds str values"),
        (Column.channel("ON", [True, False], uom="Euc"), "'ON' holds bool values"),
        (
            Column.channel(
                "ROP", [1.0, 2.0], uom="m/h", point_metadata=[Column.metadata("q", [1, 2])]
            ),
            "'ROP' has point metadata",
        ),
    ],
)
def test_what_las_cannot_hold_is_refused(column: Column, message: str) -> None:
    table = ChannelTable([Column.index("DEPTH", [1.0, 2.0], uom="m")], [column])
    with pytest.raises(FormatError, match=message):
        write_las(build(table))
    assert "DEPTH" in write_las(select(build(table), channels=[]))


def test_lasio_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lasio", None)
    with pytest.raises(ImportError, match=r"pip install 'witsml-etp\[las\]'"):
        read_las(DATA / "classic.las")


def test_strt_stop_that_disagree_with_the_data_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bounds.las"
    path.write_text((DATA / "elapsed.las").read_text().replace("STOP.S    20", "STOP.S    30"))
    imported = read_las(path)
    assert any("STOP is 30" in f.message for f in imported.findings)
    assert len(imported.log.channel_sets[0].table()) == 3  # the data is kept


def test_an_empty_log_round_trips(tmp_path: Path) -> None:
    empty = ChannelTable(
        [Column.index("DEPTH", np.zeros(0), uom="m")], [Column.channel("GR", [], uom="gAPI")]
    )
    back = round_trip(build(empty), tmp_path).log.channel_sets[0].table()
    assert len(back) == 0
    assert back.mnemonics == ["GR"]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    depths=st.sets(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=15),
    data=st.data(),
    decreasing=st.booleans(),
)
def test_numbers_round_trip_exactly(
    depths: set[float], data: st.DataObject, decreasing: bool, tmp_path: Path
) -> None:
    index = sorted(depths, reverse=decreasing)
    values = st.floats(allow_infinity=False, width=64) | st.sampled_from([-999.25, -9999.25])
    column = data.draw(st.lists(values, min_size=len(index), max_size=len(index)))
    table = ChannelTable(
        [
            Column.index(
                "DEPTH", index, uom="m", direction="decreasing" if decreasing else "increasing"
            )
        ],
        [Column.channel("X", column, uom="m")],
    )
    same_columns(table, round_trip(build(table), tmp_path).log.channel_sets[0].table())
