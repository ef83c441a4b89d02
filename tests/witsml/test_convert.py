"""CSV, columnar JSON and Parquet <-> WITSML logs, and the ``witsml convert`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import witsml
from witsml.cli import main
from witsml.convert import (
    Origin,
    read_csv,
    read_json,
    read_parquet,
    select,
    write_csv,
    write_json,
    write_parquet,
)
from witsml.convert.importing import Header, Imported, assemble
from witsml.data import ChannelTable, Column
from witsml.errors import FormatError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data" / "log.xml"
TIMES = np.array(
    ["2024-03-14T06:00:00", "2024-03-14T06:00:00.5", "2024-03-14T06:00:01.000000001"],
    dtype="datetime64[ns]",
)


def build(table: ChannelTable) -> witsml.Log:
    return assemble(table, Header(), Origin(), fallback_name="test").log


def every_type(index: Column) -> ChannelTable:
    """Every storage, with missing values, behind ``index`` (3 rows)."""
    return ChannelTable(
        [index],
        [
            Column.channel("ROP", [12.5, np.nan, -0.0], uom="m/h"),
            Column.channel("F32", [1.5, 2.25, np.nan], uom="m", data_type="float"),
            Column.channel("LONG", np.array([2**40, 0, -7]), uom="Euc", mask=[0, 1, 0]),
            Column.channel("INT", np.array([1, 2, 3]), uom="Euc", data_type="int", mask=[1, 0, 0]),
            Column.channel("ON", [True, False, True], uom="Euc", mask=[0, 0, 1]),
            Column.channel("NOTE", ['a, "quoted"', None, " spaced "], uom="Euc"),
            Column.channel("ROP", [1.0, 2.0, 3.0], uom="ft/h"),
        ],
    )


def with_rich_types(index: Column) -> ChannelTable:
    """:func:`every_type` plus what only JSON and Parquet hold: vectors, point metadata."""
    base = every_type(index)
    vectors = np.empty(3, dtype=object)
    vectors[:] = [[1, 2], None, [3.5]]
    vector = Column.channel("VEC", vectors, uom="Euc", data_type="vector")
    quality = Column.metadata("quality", np.array([0, 2, 1]), data_type="int", mask=[0, 0, 1])
    flagged = Column.channel("GR", [50.0, 51.0, np.nan], uom="gAPI", point_metadata=[quality])
    return ChannelTable(base.indexes, [*base.channels, vector, flagged])


INDEXES = {
    "increasing depth": Column.index("DEPTH", [1500.0, 1500.5, 1501.0], uom="m"),
    "decreasing depth": Column.index(
        "DEPTH", [1501.0, 1500.5, 1500.0], uom="ft", direction="decreasing"
    ),
    "time": Column.index("TIME", TIMES, uom="s"),
    "decreasing time": Column.index("TIME", TIMES[::-1].copy(), uom="s", direction="decreasing"),
    "elapsed time": Column.index("ETIM", [0.0, 10.0, 20.0], uom="s", index_type="elapsed time"),
}


def assert_same(a: ChannelTable, b: ChannelTable, types: dict[str, str] | None = None) -> None:
    """Same columns: specs (data types mapped through ``types``), masks and present values."""
    types = types or {}
    assert len(b.columns) == len(a.columns)
    for left, right in zip(a.columns, b.columns, strict=True):
        spec = left.spec
        if hasattr(spec, "data_type") and spec.data_type in types:
            assert right.spec.data_type == types[spec.data_type]  # type: ignore[union-attr]
        else:
            assert right.spec == spec, (left.mnemonic, right.spec, spec)
        assert right.mask.tolist() == left.mask.tolist(), left.mnemonic
        present = ~left.mask
        assert right.values[present].tolist() == left.values[present].tolist(), left.mnemonic
        for mine, theirs in zip(left.point_metadata, right.point_metadata, strict=True):
            assert theirs.spec == mine.spec
            assert theirs.mask.tolist() == mine.mask.tolist()
            assert theirs.values[~mine.mask].tolist() == mine.values[~mine.mask].tolist()


def through(fmt: str, source: witsml.Log, tmp_path: Path) -> Imported:
    path = tmp_path / f"log.{fmt}"
    if fmt == "parquet":
        write_parquet(source, path)
    else:
        writer = {"csv": write_csv, "json": write_json}[fmt]
        path.write_text(writer(source), encoding="utf-8")
    reader = {"csv": read_csv, "json": read_json, "parquet": read_parquet}[fmt]
    return reader(path)


@pytest.mark.parametrize("index", INDEXES, ids=list(INDEXES))
@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_json_and_parquet_keep_every_type(fmt: str, index: str, tmp_path: Path) -> None:
    table = with_rich_types(INDEXES[index])
    imported = through(fmt, build(table), tmp_path)
    back = imported.log.channel_sets[0].table()
    assert_same(table, back)
    assert back.mnemonics == ["ROP", "F32", "LONG", "INT", "ON", "NOTE", "ROP", "VEC", "GR"]
    assert imported.log.citation.title == "test"


@pytest.mark.parametrize("index", INDEXES, ids=list(INDEXES))
def test_csv_keeps_values_units_and_direction(index: str, tmp_path: Path) -> None:
    table = every_type(INDEXES[index])
    imported = through("csv", build(table), tmp_path)
    back = imported.log.channel_sets[0].table()
    expected = ChannelTable(
        table.indexes,
        [
            *table.channels[:6],
            Column.of(table.channels[6].spec.__class__("ROP#2", "ft/h"), [1.0, 2.0, 3.0]),
        ],
    )
    assert_same(expected, back, types={"float": "double", "int": "long"})
    assert [f.message for f in imported.findings] == ["column 'ROP' repeated: read as 'ROP#2'"]


def test_csv_text(tmp_path: Path) -> None:
    table = every_type(INDEXES["time"])
    text = write_csv(build(table))
    lines = text.splitlines()
    assert (
        lines[0] == "TIME (s),ROP (m/h),F32 (m),LONG (Euc),INT (Euc),ON (Euc),NOTE (Euc),ROP (ft/h)"
    )
    assert (
        lines[1]
        == '2024-03-14T06:00:00.000000000Z,12.5,1.5,1099511627776,,true,"a, ""quoted""",1.0'
    )
    assert lines[2].split(",")[1:7] == ["", "2.25", "", "2", "false", ""]


def test_json_document_shape() -> None:
    document = json.loads(write_json(build(with_rich_types(INDEXES["decreasing depth"]))))
    assert document["format"] == "witsml-etp/columns"
    assert document["version"] == 1
    assert document["indexes"] == [
        {
            "mnemonic": "DEPTH",
            "uom": "ft",
            "indexType": "measured depth",
            "direction": "decreasing",
            "values": [1501.0, 1500.5, 1500.0],
        }
    ]
    rop = document["channels"][0]
    assert rop == {
        "mnemonic": "ROP",
        "uom": "m/h",
        "dataType": "double",
        "values": [12.5, None, -0.0],
    }
    assert document["channels"][-1]["pointMetadata"] == [
        {"name": "quality", "dataType": "int", "values": [0, 2, None]}
    ]


def test_parquet_metadata_is_readable_by_other_tools(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "log.parquet"
    write_parquet(build(with_rich_types(INDEXES["time"])), path)
    schema = pq.read_schema(path)
    assert schema.names[:3] == ["TIME", "ROP", "F32"]
    assert "ROP#2" in schema.names
    assert "GR:quality" in schema.names
    rop = schema.field("ROP").metadata
    assert rop[b"witsml.uom"] == b"m/h"
    assert rop[b"witsml.type"] == b"double"
    assert str(schema.field("TIME").type) == "timestamp[ns, tz=UTC]"
    assert str(schema.field("INT").type) == "int32"
    assert schema.field("GR:quality").metadata[b"witsml.channel"] == b"GR"
    import pandas as pd

    frame = pd.read_parquet(path)
    assert frame["ROP#2"].tolist() == [1.0, 2.0, 3.0]


def test_the_example_log_through_every_format_is_valid(
    tmp_path: Path, official_xsd_20: Path
) -> None:
    log = witsml.parse(EXAMPLE)
    assert isinstance(log, witsml.Log)
    for fmt in ("csv", "json", "parquet"):
        imported = through(fmt, log, tmp_path)
        assert_same(log.channel_sets[0].table(), imported.log.channel_sets[0].table())
        for obj in (imported.log, imported.wellbore, imported.well):
            report = witsml.validate(witsml.to_xml(obj), schema_dir=official_xsd_20)
            assert report.valid, (fmt, report.findings)


def test_origin_names_and_identifies_the_well_and_wellbore(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("DEPTH (m),ROP (m/h)\n1.0,2.0\n")
    origin = Origin(
        well_name="A-12",
        well_uuid="0e4a8b5c-34c8-4b59-8a4e-3f8d2c1b0a99",
        wellbore_name="A-12 T2",
        wellbore_uuid="7d3f5c1e-2b4a-4c6d-9e8f-1a2b3c4d5e6f",
        log_title="run 3",
    )
    imported = read_csv(path, origin=origin)
    assert imported.well.uuid == origin.well_uuid
    assert imported.well.citation.title == "A-12"
    assert imported.wellbore.citation.title == "A-12 T2"
    assert imported.log.wellbore.uuid == origin.wellbore_uuid
    assert imported.log.channel_sets[0].channels[0].wellbore is not None
    assert imported.log.citation.title == "run 3"
    assert read_csv(path).well.citation.title == "log"  # the file's name


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("DEPTH (m),ROP (m/h)\n1.0,2.0\n2.0\n", "1 fields, the header has 2", 3),
        ("DEPTH (m),ROP (m/h)\n1.0,2.0\n,3.0\n", "index 'DEPTH' has no value", 3),
        ("DEPTH (m),ROP (m/h)\n1.0,2.0\n1.0,3.0\n", "'DEPTH' repeats the value 1.0", 3),
        ("DEPTH (m),ROP (m/h)\n1,2\n2,3\n1.5,4\n", "not strictly increasing: 2.0 then 1.5", 4),
        ("DEPTH (m),ROP (m/h)\n1.0,2.0\nabc,3.0\n", "'abc' is neither a number nor a date-time", 3),
        ("DEPTH,ROP (m/h)\n1.0,2.0\n", "index 'DEPTH' has no unit", 1),
        ("T,X (m)\n2024-01-01T00:00:00Z,1\n2024-13-01T00:00:00Z,2\n", "not an ISO-8601", 3),
        ("\n", "no header row", 1),
    ],
)
def test_bad_csv_names_the_line(text: str, message: str, line: int, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(FormatError, match=message) as caught:
        read_csv(path)
    assert caught.value.line == line
    assert caught.value.source == str(path)


def test_csv_units_are_read_through_aliases_and_kept_when_unknown(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("MD (FT),ROP (ft/hr),GAS (units),Q (m3/(s.m2)),N\n1,2,3,4,5\n2,3,4,5,6\n")
    imported = read_csv(path)
    table = imported.log.channel_sets[0].table()
    assert [c.uom for c in table.columns] == ["ft", "ft/h", "CSV:units", "m3/(s.m2)", "Euc"]
    assert table["N"].spec.data_type == "long"
    assert len(imported.findings) == 4


@pytest.mark.parametrize(
    ("document", "message", "path"),
    [
        ({"format": "other"}, "not a 'witsml-etp/columns' document", None),
        ({"format": "witsml-etp/columns", "version": 2}, "version 2", None),
        (
            {"format": "witsml-etp/columns", "version": 1, "indexes": {}},
            "must be an array",
            "indexes",
        ),
        (
            {
                "format": "witsml-etp/columns",
                "version": 1,
                "indexes": [{"mnemonic": "D", "uom": "m", "indexType": "measured depth",
                             "direction": "increasing", "values": [1.0, "x"]}],
                "channels": [],
            },
            "'x' is not a float value",
            "indexes[0].values[1]",
        ),
        (
            {
                "format": "witsml-etp/columns",
                "version": 1,
                "indexes": [{"mnemonic": "D", "uom": "m", "indexType": "measured depth",
                             "direction": "increasing", "values": [1.0]}],
                "channels": [{"mnemonic": "N", "uom": "Euc", "dataType": "long", "values": [True]}],
            },
            "True is not a int value",
            "channels[0].values[0]",
        ),
    ],
)  # fmt: skip
def test_bad_json_names_the_member(
    document: dict[str, Any], message: str, path: str | None, tmp_path: Path
) -> None:
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(document))
    with pytest.raises(FormatError, match=message) as caught:
        read_json(file)
    assert caught.value.path == path


def test_parquet_without_our_metadata_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"DEPTH": [1.0, 2.0]}), path)
    with pytest.raises(FormatError, match=r"field 'DEPTH' has no witsml\.role"):
        read_parquet(path)
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    with pytest.raises(FormatError, match="not a readable Parquet file"):
        read_parquet(junk)


def test_select_picks_a_channel_set_and_channels() -> None:
    log = build(every_type(INDEXES["increasing depth"]))
    assert select(log, channels=["ON", "ROP"]).table.mnemonics == ["ON", "ROP", "ROP"]
    with pytest.raises(FormatError, match="there is no ChannelSet 2"):
        select(log, channel_set=2)
    with pytest.raises(FormatError, match="no channel 'NOPE'"):
        select(log, channels=["NOPE"])
    with pytest.raises(FormatError, match="point metadata"):
        write_csv(build(with_rich_types(INDEXES["time"])))


# -- property tests ---------------------------------------------------------------------------

_FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def tables(draw: st.DrawFn) -> ChannelTable:
    rows = draw(st.integers(0, 12))
    depths = sorted(
        draw(st.sets(st.floats(-1e5, 1e5, allow_nan=False), min_size=rows, max_size=rows))
    )
    if draw(st.booleans()):
        index = Column.index("DEPTH", depths[::-1], uom="m", direction="decreasing")
    else:
        index = Column.index("DEPTH", depths, uom="m")
    masks = st.lists(st.booleans(), min_size=rows, max_size=rows)
    kinds = {
        "double": st.lists(_FINITE, min_size=rows, max_size=rows),
        "long": st.lists(st.integers(-(2**63), 2**63 - 1), min_size=rows, max_size=rows),
        "int": st.lists(st.integers(-(2**31), 2**31 - 1), min_size=rows, max_size=rows),
        "boolean": st.lists(st.booleans(), min_size=rows, max_size=rows),
        "string": st.lists(st.text(max_size=8), min_size=rows, max_size=rows),
    }
    channels = []
    for number, kind in enumerate(draw(st.lists(st.sampled_from(sorted(kinds)), max_size=5))):
        values, mask = draw(kinds[kind]), draw(masks)
        dtypes = {"double": np.float64, "boolean": np.bool_, "string": object}
        array = np.array(values, dtype=dtypes.get(kind, np.int64))
        if kind == "string":
            array[np.array(mask, dtype=bool)] = None
        channels.append(
            Column.channel(
                f"C{number}",
                array,
                uom="Euc",
                data_type=kind,
                mask=mask if kind != "string" else None,
            )
        )
    return ChannelTable([index], channels)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=tables())
def test_json_and_parquet_round_trips_are_exact(table: ChannelTable, tmp_path: Path) -> None:
    log = build(table)
    for fmt in ("json", "parquet"):
        assert_same(table, through(fmt, log, tmp_path).log.channel_sets[0].table())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=tables().filter(lambda t: len(t) > 1))  # a direction needs two rows in CSV
def test_csv_round_trip_keeps_doubles(table: ChannelTable, tmp_path: Path) -> None:
    doubles = [c for c in table.channels if c.storage == "float" and not c.mask.all()]
    subset = ChannelTable(table.indexes, doubles)
    assert_same(subset, through("csv", build(subset), tmp_path).log.channel_sets[0].table())


# -- the command ------------------------------------------------------------------------------


def test_cli_to_and_back_with_the_well(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_file = tmp_path / "log.csv"
    assert main(["convert", str(EXAMPLE), "--to", "csv", "-o", str(csv_file)]) == 0
    assert csv_file.read_text().startswith("DEPTH (m),BDEP (m),ROP (m/h)")
    out = tmp_path / "back.xml"
    code = main(
        ["convert", str(csv_file), "--from", "csv", "-o", str(out), "--with-well",
         "--well-name", "15/9-F-11", "--wellbore-name", "15/9-F-11 T2", "--units", "length=ft"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    well, wellbore, log = (
        witsml.parse(tmp_path / name) for name in ("back.well.xml", "back.wellbore.xml", "back.xml")
    )
    assert isinstance(well, witsml.Well)
    assert isinstance(wellbore, witsml.Wellbore)
    assert isinstance(log, witsml.Log)
    assert wellbore.well.uuid == well.uuid
    assert log.wellbore.uuid == wellbore.uuid
    assert log.channel_sets[0].indexes[0].uom == "ft"
    assert main(["validate", str(out), str(tmp_path / "back.well.xml")]) == 0


def test_cli_writes_text_formats_to_standard_output() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "witsml.cli", "convert", str(EXAMPLE), "--to", "json",
         "--channels", "ROP", "--units", "ROP=ft/h"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [c["mnemonic"] for c in document["channels"]] == ["ROP"]
    assert document["channels"][0]["uom"] == "ft/h"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["convert", "absent.xml", "--to", "csv"], 2, "absent.xml: no such file"),
        (["convert", "{example}", "--to", "parquet"], 2, "give OUT with -o"),
        (["convert", "{example}", "--to", "csv", "--units", "length"], 2, "write KEY=UOM"),
        (["convert", "{example}", "--to", "csv", "--units", "length=psi"], 1, "not a length unit"),
        (["convert", "{example}", "--to", "las", "--channels", "NOPE"], 1, "no channel 'NOPE'"),
        (["convert", "{garbage}", "--from", "las"], 1, "not a readable LAS file"),
        (["convert", "{example}", "--from", "csv"], 1, "fields, the header has 1"),
        (["convert", "{garbage}", "--from", "csv", "--with-well"], 2, "give OUT with -o"),
        (
            ["convert", "{example}", "--to", "csv", "--well", "{example}"],
            2,
            "holds a Log, not a Well",
        ),
        (["convert", "{example}", "--to", "csv", "-o", "{tmp}/no/such/dir/x.csv"], 2, "x.csv"),
    ],
)
def test_cli_exit_codes(
    args: list[str], code: int, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.las"
    garbage.write_text("DEPTH (m),X (m)\n1,2\n")
    values = {"example": str(EXAMPLE), "garbage": str(garbage), "tmp": str(tmp_path)}
    assert main([arg.format(**values) for arg in args]) == code
    assert message in capsys.readouterr().err


def test_cli_reports_conversion_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.csv"
    path.write_text("DEPTH (FT),ROP (ft/hr)\n1,2\n")
    assert main(["convert", str(path), "--from", "csv", "-o", str(tmp_path / "x.xml")]) == 0
    err = capsys.readouterr().err
    assert "witsml: warning:" in err
    assert "'ft/hr'" in err


def test_docs_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import doctest

    root = EXAMPLE.parents[2]
    monkeypatch.chdir(root)  # the examples name examples/data/log.xml
    results = doctest.testfile(str(root / "docs" / "convert.md"), module_relative=False)
    assert results.failed == 0
    assert results.attempted >= 8
