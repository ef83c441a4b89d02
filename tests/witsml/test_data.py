"""witsml.data: bulk data rows <-> typed columns, the cases the brief names one by one."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from witsml.data import (
    ChannelSpec,
    ChannelTable,
    Column,
    IndexSpec,
    PointMetadataSpec,
    check,
    decode,
    encode,
)
from witsml.errors import BulkDataError, UnitError
from witsml.validation.report import Severity

MD = IndexSpec("MD", "m")
TIME = IndexSpec("TIME", "s", "date time")


def channels(*mnemonics: str, data_type: str = "double") -> list[ChannelSpec]:
    return [ChannelSpec(m, "Euc", data_type) for m in mnemonics]


def assert_same_column(a: Column, b: Column) -> None:
    """Same spec, same missing values, same present values (bit for bit for floats)."""
    assert a.spec == b.spec
    assert a.values.dtype == b.values.dtype, (a, b)
    np.testing.assert_array_equal(a.mask, b.mask)
    present = ~a.mask
    if a.storage == "float":
        left = a.values[present].view(np.uint64)
        right = b.values[present].view(np.uint64)
        np.testing.assert_array_equal(left, right)
    elif a.storage in ("str", "object"):
        assert list(a.values[present]) == list(b.values[present])
    else:
        np.testing.assert_array_equal(a.values[present], b.values[present])
    assert len(a.point_metadata) == len(b.point_metadata)
    for x, y in zip(a.point_metadata, b.point_metadata, strict=True):
        assert_same_column(x, y)


def assert_same_table(a: ChannelTable, b: ChannelTable) -> None:
    assert len(a) == len(b)
    assert len(a.columns) == len(b.columns)
    for x, y in zip(a.columns, b.columns, strict=True):
        assert_same_column(x, y)


# --- the 2.0 layout -------------------------------------------------------------------------


def test_pds_style_rows_decode_to_columns() -> None:
    text = "[ [ [0 ], [ 3.11 ] ],\n  [ [100 ], [ 3.12 ] ] ]"
    table = decode(text, [MD], channels("MSG"))
    np.testing.assert_array_equal(table.index.values, [0.0, 100.0])
    np.testing.assert_array_equal(table["MSG"].values, [3.11, 3.12])
    assert table["MSG"].uom == "Euc"
    assert table.index.uom == "m"
    assert table.findings == ()


def test_each_data_type_gets_its_storage() -> None:
    specs = [
        ChannelSpec("D", "m", "double"),
        ChannelSpec("F", "m", "float"),
        ChannelSpec("L", "Euc", "long"),
        ChannelSpec("I", "Euc", "int"),
        ChannelSpec("B", "Euc", "boolean"),
        ChannelSpec("S", "Euc", "string"),
        ChannelSpec("V", "Euc", "vector"),
    ]
    text = (
        '[[[1],[1.5,2.5,9007199254740993,-7,true,"a",[1,2]]],'
        "[[2],[null,null,null,null,null,null,null]]]"
    )
    table = decode(text, [MD], specs)
    d, f, long_, int_, b, s, v = table.channels
    assert d.values.dtype == np.float64
    assert np.isnan(d.values[1])
    assert f.values.dtype == np.float64
    assert long_.values.dtype == np.int64
    assert long_.values[0] == 9007199254740993
    assert list(long_.mask) == [False, True]
    assert int_.values[0] == -7
    assert int_.mask[1]
    assert b.values.dtype == np.bool_
    assert list(b.mask) == [False, True]
    assert b.values[0]
    assert list(s.values) == ["a", None]
    assert v.values[0] == [1, 2]
    assert v.values[1] is None
    expected = text.replace("[[1]", "[[1.0]").replace("[[2]", "[[2.0]").replace("]]],", "]]],\n")
    assert encode(table) == "[\n" + expected[1:-1] + "\n]"


def test_time_index_with_offsets_is_utc_datetime64() -> None:
    text = (
        '[[["2016-03-01T00:00:00.0-06:00"],[0.0]],'
        '[["2016-03-01T06:00:01.5Z"],[1.0]],'
        '[["2016-03-01T07:00:02.1234567+01:00"],[2.0]]]'
    )
    table = decode(text, [TIME], channels("A"))
    assert table.index.values.dtype == np.dtype("datetime64[ns]")
    assert list(table.index.values.astype(str)) == [
        "2016-03-01T06:00:00.000000000",
        "2016-03-01T06:00:01.500000000",
        "2016-03-01T06:00:02.123456700",
    ]
    assert '"2016-03-01T06:00:02.123456700Z"' in table.to_json()


def test_elapsed_time_and_two_indexes() -> None:
    text = (
        '[[[0.2,"2016-03-01T00:00:02.0-06:00",15],[1.0]],'
        '[[0.3,"2016-03-01T00:00:03.0-06:00",16],[2.0]]]'
    )
    elapsed = IndexSpec("ET", "s", "elapsed time")
    table = decode(text, [MD, TIME, elapsed], channels("A"))
    assert [c.mnemonic for c in table.indexes] == ["MD", "TIME", "ET"]
    np.testing.assert_array_equal(table.indexes[2].values, [15.0, 16.0])


def test_point_metadata_is_kept_as_extra_columns() -> None:
    # The two-index, value/attribute example of the PDS ChannelDataReader tests.
    text = """[
[[0.2, "2016-03-01T00:00:02.0-06:00"], [[2.0, false], 2.1, 2.2]],
[[0.3, "2016-03-01T00:00:03.0-06:00"], [null,        null, 3.2]]
]"""
    quality = PointMetadataSpec("quality", "boolean")
    specs = [ChannelSpec("A", "Euc", "double", (quality,)), *channels("B", "C")]
    table = decode(text, [MD, TIME], specs)
    a = table["A"]
    assert a.values[0] == 2.0
    assert a.mask[1]
    (meta,) = a.point_metadata
    assert meta.mnemonic == "quality"
    assert meta.uom is None
    assert list(meta.values) == [False, False]
    assert list(meta.mask) == [False, True]
    again = decode(table.to_json(), [MD, TIME], specs)
    assert_same_table(table, again)


def test_point_value_without_metadata_and_wrong_point_length() -> None:
    quality = PointMetadataSpec("q", "long")
    spec = ChannelSpec("A", "Euc", "double", (quality,))
    table = decode("[[[1],[5.0]],[[2],[[6.0,3]]]]", [MD], [spec])
    assert list(table["A"].values) == [5.0, 6.0]
    assert list(table["A"].point_metadata[0].mask) == [True, False]
    with pytest.raises(BulkDataError, match=r"row 1: channel 'A': expected \[value, 1 point"):
        decode("[[[1],[[5.0,1,2]]]]", [MD], [spec])


# --- duplicates, empty, external ------------------------------------------------------------


def test_duplicate_mnemonics_are_reachable_by_position_and_named_in_the_error() -> None:
    table = decode("[[[1],[1.0,2.0,3.0]]]", [MD], channels("ROP", "WOB", "ROP"))
    with pytest.raises(KeyError, match=r"'ROP' is declared by 2 channels, at positions \[0, 2\]"):
        table["ROP"]
    assert table.channel(2).values[0] == 3.0
    assert table.positions("ROP") == [0, 2]
    assert table["WOB"].values[0] == 2.0
    assert list(table.to_pandas().columns) == ["ROP", "WOB", "ROP#2"]


def test_unique_names_skip_taken_ones() -> None:
    table = decode("[[[1],[1.0,2.0,3.0]]]", [MD], channels("A", "A#2", "A"))
    assert list(table.to_pandas().columns) == ["A", "A#2", "A#3"]


def test_unknown_mnemonic() -> None:
    table = decode("[[[1],[1.0]]]", [MD], channels("ROP"))
    assert table["MD"] is table.index
    assert "ROP" in table
    assert "X" not in table
    with pytest.raises(KeyError, match="no channel or index 'X'"):
        table["X"]


@pytest.mark.parametrize("text", [None, "", "  \n ", "[]", " [ ] "])
def test_empty_data_gives_zero_length_typed_columns(text: str | None) -> None:
    specs = [*channels("A"), ChannelSpec("N", "Euc", "long"), ChannelSpec("S", "Euc", "string")]
    table = decode(text, [TIME, MD], specs)
    assert len(table) == 0
    assert table.index.values.dtype == np.dtype("datetime64[ns]")
    assert [c.values.dtype for c in table.channels] == [np.float64, np.int64, object]
    assert table.to_json() == "[]"
    assert len(table.to_pandas()) == 0


def test_no_index_declared() -> None:
    with pytest.raises(BulkDataError, match="declares no Index"):
        decode("[]", [], channels("A"))


# --- bad input ------------------------------------------------------------------------------


def test_invalid_json_names_row_and_line() -> None:
    text = "[\n[[1],[1.0]],\n[[2],[2.0 3.0]],\n[[3],[3.0]]\n]"
    with pytest.raises(BulkDataError) as caught:
        decode(text, [MD], channels("A", "B"), source="log.xml", line=40, path="/Log/Data")
    error = caught.value
    assert error.line == 42
    assert error.source == "log.xml"
    assert error.path == "/Log/Data"
    assert "row 2" in error.reason
    assert "'3.0]]" in error.reason


def test_line_of_the_data_when_the_document_line_is_unknown() -> None:
    with pytest.raises(BulkDataError, match=r"row 2: .*\(line 3 of the data\)"):
        decode("[\n[[1],[1.0]],\n[[2],[x]]]", [MD], channels("A"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[[1],[NaN]]]", "NaN is not valid JSON"),
        ('{"a": 1}', "JSON array of rows"),
        ("[[[1],[1.0]]] x", "after the closing"),
        ("[[[1],[1.0]]", "ends too early|expected"),
        ("", None),
    ],
)
def test_not_json(text: str, expected: str | None) -> None:
    if expected is None:
        assert len(decode(text, [MD], channels("A"))) == 0
        return
    with pytest.raises(BulkDataError, match=expected):
        decode(text, [MD], channels("A"))


PDS_TRAILING = """[
    [ [0 ], [ 3.11 ] ],
    [ [100 ], [ 3.12 ] ],
    [ [150 ], [ 3.14 ] ],
    [ [200 ], [ 3.15 ] ],
]"""


def test_trailing_commas_are_an_error_when_strict() -> None:
    with pytest.raises(BulkDataError, match=r"row 4: trailing comma") as caught:
        decode(PDS_TRAILING, [MD], channels("MSG"), line=10)
    assert caught.value.line == 14


def test_trailing_commas_are_tolerated_and_reported_when_lax() -> None:
    table = decode(PDS_TRAILING, [MD], channels("MSG"), lax=True, line=10)
    np.testing.assert_array_equal(table["MSG"].values, [3.11, 3.12, 3.14, 3.15])
    (finding,) = table.findings
    assert finding.severity is Severity.WARNING
    assert finding.rule == "data-trailing-comma"
    assert finding.line == 14


def test_trailing_commas_inside_rows_and_strings_when_lax() -> None:
    text = '[[[1,],["a,]",],],]'
    table = decode(text, [MD], [ChannelSpec("S", "Euc", "string")], lax=True)
    assert list(table["S"].values) == ["a,]"]


def test_rows_of_the_wrong_shape() -> None:
    text = "[[[1],[1.0,2.0]],\n[[2],[1.0]],\n[[3]],\n[[4],[4.0,5.0]]]"
    with pytest.raises(BulkDataError, match=r"row 2: 1 index value\(s\) and 1 channel"):
        decode(text, [MD], channels("A", "B"))
    table = decode(text, [MD], channels("A", "B"), lax=True)
    np.testing.assert_array_equal(table.index.values, [1.0, 4.0])
    assert [(f.rule, f.severity) for f in table.findings] == [
        ("data-row-shape", Severity.ERROR),
        ("data-row-shape", Severity.ERROR),
    ]
    assert "row 3: not [[index values], [channel values]]: [[3]]" in table.findings[1].message
    assert "(line 3 of the data)" in table.findings[1].message


def test_values_of_the_wrong_type_are_reported_with_row_and_become_missing() -> None:
    specs = [ChannelSpec("A", "Euc", "double"), ChannelSpec("N", "Euc", "int")]
    text = (
        '[[[1],["x",1]],[[2],[true,2147483648]],'
        "[[3],[1e999,3.5]],[[4],[99999999999999999999999,4]]]"
    )
    with pytest.raises(BulkDataError, match="row 1: channel 'A': expected a number, got \"x\""):
        decode(text, [MD], specs)
    table = decode(text, [MD], specs, lax=True)
    a, n = table.channels
    assert list(a.mask) == [True, True, False, False]
    assert np.isinf(a.values[2])
    assert list(n.mask) == [False, True, True, False]
    messages = [f.message for f in table.findings]
    assert any("row 2: channel 'N': 2147483648 is out of range" in m for m in messages)
    assert any("row 3: channel 'N': expected an integer, got 3.5" in m for m in messages)


def test_huge_integer_in_a_double_channel() -> None:
    text = "[[[1],[" + "9" * 400 + "]]]"
    with pytest.raises(BulkDataError, match="out of range"):
        decode(text, [MD], channels("A"))


def test_null_index_values() -> None:
    text = '[[[1,"2016-03-01T00:00:00Z"],[1.0]],[[null,null],[2.0]]]'
    with pytest.raises(BulkDataError, match="row 2: index 'MD': null index value"):
        decode(text, [MD, TIME], channels("A"))
    table = decode(text, [MD, TIME], channels("A"), lax=True)
    assert list(table.index.mask) == [False, True]
    assert list(table.indexes[1].mask) == [False, True]
    assert [f.rule for f in table.findings] == ["data-index-null", "data-index-null"]


def test_times_without_offset_and_invalid_times() -> None:
    text = '[[["2016-03-01T00:00:00"],[1.0]],[["2016-02-30T00:00:00Z"],[2.0]]]'
    with pytest.raises(BulkDataError, match="has no UTC offset"):
        decode(text, [TIME], channels("A"))
    table = decode(text, [TIME], channels("A"), lax=True)
    assert str(table.index.values[0]) == "2016-03-01T00:00:00.000000000"
    assert table.index.mask[1]
    assert [(f.rule, f.severity) for f in table.findings] == [
        ("data-time-offset", Severity.WARNING),
        ("data-value", Severity.ERROR),
    ]


def test_findings_are_capped_per_rule() -> None:
    rows = ",".join(f'[[{i}],["x"]]' for i in range(50))
    table = decode(f"[{rows}]", [MD], channels("A"), lax=True)
    assert len(table.findings) == 21
    assert "30 more problem(s) of this kind (data-value)" in table.findings[-1].message


def test_check_never_raises_on_bad_data() -> None:
    table, findings = check("[[[1],[1.0]],[[2]]]", [MD], channels("A"), line=5, path="/p")
    assert table is not None
    assert len(table) == 1
    assert [f.rule for f in findings] == ["data-row-shape"]
    table, findings = check("[[[1],[1.0]", [MD], channels("A"), line=5, path="/p")
    assert table is None
    (finding,) = findings
    assert finding.rule == "data-json"
    assert finding.line == 5
    assert finding.path == "/p"


# --- writing --------------------------------------------------------------------------------


def test_writer_output() -> None:
    table = ChannelTable(
        [Column.index("MD", [1500.0, 1500.5], uom="m")],
        [
            Column.channel("ROP", [12.5, np.nan], uom="m/h"),
            Column.channel("N", [3, 4], uom="Euc", mask=[False, True]),
            Column.channel("OK", [True, False], uom="Euc"),
            Column.channel("S", np.array(['a"b', None], dtype=object), uom="Euc"),
        ],
    )
    assert (
        table.to_json()
        == '[\n[[1500.0],[12.5,3,true,"a\\"b"]],\n[[1500.5],[null,null,false,null]]\n]'
    )
    types = [spec.data_type for spec in table.channel_specs]
    assert types == ["double", "long", "boolean", "string"]


def test_float_writing_is_shortest_and_exact() -> None:
    values = np.array([0.1, 1 / 3, 1e-310, -0.0, 1.7976931348623157e308, 5e-324, 123456789.0])
    table = ChannelTable(
        [Column.index("MD", np.arange(7.0), uom="m")], [Column.channel("A", values, uom="m")]
    )
    text = table.to_json()
    assert "0.1," in text.replace("]", ",")
    assert "1e-310" in text
    back = decode(text, table.index_specs, table.channel_specs)
    assert_same_table(table, back)


def test_infinite_values_cannot_be_written() -> None:
    table = ChannelTable(
        [Column.index("MD", [1.0, 2.0], uom="m")], [Column.channel("A", [1.0, np.inf], uom="m")]
    )
    with pytest.raises(BulkDataError, match="'A' row 2: an infinite value"):
        table.to_json()


def test_time_index_writes_the_fewest_fraction_digits() -> None:
    times = np.array(["2024-01-01T00:00:00", "2024-01-01T00:00:01.5"], dtype="datetime64[ns]")
    table = ChannelTable(
        [Column.index("T", times, uom="s")], [Column.channel("A", [1.0, 2.0], uom="m")]
    )
    assert table.index.spec == IndexSpec("T", "s", "date time")
    assert '"2024-01-01T00:00:01.500Z"' in table.to_json()


def test_bad_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        ChannelTable(
            [Column.index("MD", [1.0], uom="m")], [Column.channel("A", [1.0, 2.0], uom="m")]
        )
    with pytest.raises(ValueError, match="at least one index"):
        ChannelTable([], [])
    with pytest.raises(ValueError, match="not an index column"):
        ChannelTable([Column.channel("A", [1.0], uom="m")], [])
    with pytest.raises(ValueError, match="must be integers"):
        Column.channel("N", [1.5], uom="Euc", data_type="long")
    with pytest.raises(ValueError, match="32-bit"):
        Column.channel("N", [2**40], uom="Euc", data_type="int")
    with pytest.raises(ValueError, match="datetime64"):
        Column.index("T", [1.0], uom="s", index_type="date time")
    with pytest.raises(ValueError, match="one-dimensional"):
        Column.channel("A", [[1.0]], uom="m")


# --- pandas ---------------------------------------------------------------------------------


def test_to_pandas_types_units_and_index() -> None:
    text = (
        '[[["2016-03-01T00:00:00Z"],[1.5,1,true,"a"]],'
        '[["2016-03-01T00:00:01Z"],[null,null,null,null]]]'
    )
    specs = [
        ChannelSpec("ROP", "m/h"),
        ChannelSpec("N", "Euc", "long"),
        ChannelSpec("B", "Euc", "boolean"),
        ChannelSpec("S", "Euc", "string"),
    ]
    frame = decode(text, [TIME], specs).to_pandas()
    assert str(frame.index.dtype) == "datetime64[ns, UTC]"
    assert frame.index.name == "TIME"
    assert [str(t) for t in frame.dtypes] == ["float64", "Int64", "boolean", "string"]
    assert frame.attrs["units"]["ROP"] == "m/h"
    assert frame.attrs["units"]["TIME"] == "s"
    assert frame["N"].isna().tolist() == [False, True]


def test_pandas_round_trip_keeps_the_declarations() -> None:
    quality = PointMetadataSpec("q", "int")
    specs = [ChannelSpec("A", "m", "float", (quality,)), ChannelSpec("A", "m", "double")]
    elapsed = IndexSpec("ET", "s", "elapsed time", "decreasing")
    text = (
        '[[[2.0,"2016-03-01T00:00:00Z"],[[1.0,3],4.0]],[[1.0,"2016-03-01T00:00:01Z"],[null,5.0]]]'
    )
    table = decode(text, [elapsed, TIME], specs)
    back = ChannelTable.from_pandas(table.to_pandas())
    assert_same_table(table, back)


def test_from_pandas_needs_units() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"ROP": [1.0, 2.0]}, index=pandas.Index([1.0, 2.0], name="MD"))
    with pytest.raises(UnitError, match=r"no unit of measure for \['MD', 'ROP'\]"):
        ChannelTable.from_pandas(frame)
    table = ChannelTable.from_pandas(frame, units={"MD": "m", "ROP": "m/h"})
    assert table.channel_specs == (ChannelSpec("ROP", "m/h", "double"),)
    tz = pandas.DataFrame(
        {"A": [1]}, index=pandas.DatetimeIndex(["2024-01-01T01:00+01:00"], name="T")
    )
    table = ChannelTable.from_pandas(tz, units={"T": "s", "A": "Euc"})
    assert str(table.index.values[0]) == "2024-01-01T00:00:00.000000000"
    assert table.channel_specs[0].data_type == "long"


def test_missing_pandas_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    table = decode("[[[1],[1.0]]]", [MD], channels("A"))
    with pytest.raises(ImportError, match=r"pip install 'witsml-etp\[pandas\]'"):
        table.to_pandas()


# --- the ChannelSet model -------------------------------------------------------------------


def _channel_set(data: Any) -> Any:
    from witsml.objects import Channel, ChannelIndex, ChannelSet, Citation, DataObjectReference

    index = ChannelIndex(
        index_type="measured depth", uom="m", direction="increasing", mnemonic="MD"
    )
    kind = DataObjectReference(
        content_type="application/x-eml+xml;version=2.1;type=PropertyKind",
        title="rate of penetration",
        uuid="6e4bd2c8-7d26-4b2b-9e4b-2a2b3f0e6f11",
    )
    rop = Channel(
        citation=Citation(title="ROP"),
        mnemonic="ROP",
        data_type="double",
        uom="m/h",
        growing_status="closed",
        time_depth="depth",
        channel_class=kind,
        logging_company_name="Acme",
        indexes=[index],
    )
    return ChannelSet(citation=Citation(title="cs"), indexes=[index], channels=[rop], data=data)


def test_channel_set_table_and_set_table() -> None:
    from witsml.objects import ChannelData

    channel_set = _channel_set(ChannelData(text="[[[1.0],[10.5]],[[2.0],[null]]]"))
    table = channel_set.table()
    assert table.index_specs == (IndexSpec("MD", "m", "measured depth", "increasing"),)
    assert table.channel_specs == (ChannelSpec("ROP", "m/h", "double"),)
    new = ChannelTable(
        [Column.index("MD", [5.0], uom="m")], [Column.channel("ROP", [7.25], uom="m/h")]
    )
    channel_set.set_table(new)
    assert channel_set.data.text == "[\n[[5.0],[7.25]]\n]"
    with pytest.raises(ValueError, match=r"declared: MD \[m, measured depth, increasing\]"):
        channel_set.set_table(
            ChannelTable(
                [Column.index("MD", [5.0], uom="ft")], [Column.channel("ROP", [7.0], uom="m/h")]
            )
        )


def test_channel_set_with_external_data_names_the_uri() -> None:
    from witsml.objects import ChannelData

    channel_set = _channel_set(ChannelData(file_uri="./abc.avro"))
    with pytest.raises(BulkDataError, match=r"external file, FileUri './abc.avro'"):
        channel_set.table()
    assert channel_set.data.file_uri == "./abc.avro"


def test_channel_set_without_data_and_with_empty_data() -> None:
    from witsml.objects import ChannelData

    assert len(_channel_set(None).table()) == 0
    assert len(_channel_set(ChannelData(text="")).table()) == 0


def test_channel_set_errors_name_the_channel_set() -> None:
    from witsml.objects import ChannelData

    channel_set = _channel_set(ChannelData(text="[[[1.0],[1.0,2.0]]]"))
    with pytest.raises(BulkDataError) as caught:
        channel_set.table()
    assert caught.value.path == f"ChannelSet {channel_set.uuid}/Data/Data"


def _kind(title: str) -> Any:
    from witsml.objects import DataObjectReference

    return DataObjectReference(
        content_type="application/x-eml+xml;version=2.1;type=PropertyKind",
        title=title,
        uuid="6e4bd2c8-7d26-4b2b-9e4b-2a2b3f0e6f11",
    )


def test_a_channel_set_from_a_dataframe_written_and_read_back(official_xsd_20: Any) -> None:
    pandas = pytest.importorskip("pandas")
    from lxml import etree

    import witsml
    from witsml.objects import ChannelSet

    times = pandas.date_range("2024-03-14T06:00:00Z", periods=4, freq="s", name="TIME")
    frame = pandas.DataFrame(
        {"ROP": [12.5, None, 13.0, 13.25], "STKC": pandas.array([1, 2, None, 4], dtype="Int64")},
        index=times,
    )
    table = ChannelTable.from_pandas(frame, units={"TIME": "s", "ROP": "m/h", "STKC": "Euc"})
    channel_set = ChannelSet.from_table(
        table,
        title="Surface data",
        logging_company_name="Acme",
        channel_classes={"ROP": _kind("rate of penetration"), "STKC": _kind("count")},
    )
    document = witsml.to_xml(channel_set)
    schema = etree.XMLSchema(etree.parse(str(official_xsd_20)))
    assert schema.validate(etree.fromstring(document)), schema.error_log
    assert witsml.validate(document).valid
    again = witsml.parse(document)
    assert isinstance(again, ChannelSet)
    assert_same_table(again.table(), table)
    assert again.time_depth == "time"
    assert again.channels[1].data_type == "long"


def test_from_table_needs_every_channel_class() -> None:
    from witsml.objects import ChannelSet

    table = decode("[[[1],[1.0,2.0]]]", [MD], channels("ROP", "WOB"))
    with pytest.raises(
        ValueError, match=r"no channel_classes \(PropertyKind reference\) for \['WOB'\]"
    ):
        ChannelSet.from_table(
            table, title="t", logging_company_name="c", channel_classes={"ROP": _kind("rop")}
        )


@pytest.mark.parametrize(
    "text",
    [
        '[[["2016-03-01T00:00:00Z\\u0000"],[1.0]]]',
        '[[["2016-03-01T00:00:00Z\x00"],[1.0]]]',
        '[[["2016-03-01T00:00:00Zé"],[1.0]]]',
    ],
)
def test_nul_and_non_ascii_make_a_time_invalid(text: str) -> None:
    with pytest.raises(BulkDataError, match=r"invalid JSON|invalid date-time"):
        decode(text, [TIME], channels("A"))


def test_an_integer_just_beyond_the_float_range() -> None:
    value = 2**1024 - 2**969  # rounds to infinity: float() overflows
    with pytest.raises(BulkDataError, match="out of range"):
        decode(f"[[[1],[{value}]]]", [MD], channels("A"))


def test_petrolink_sample_with_empty_data(samples_20: Any) -> None:
    import witsml
    from witsml.objects import Log

    parsed = witsml.parse(samples_20 / "witsml-converter__Witsml20Source_Log.xml", validation="lax")
    log = parsed[0] if isinstance(parsed, tuple) else parsed
    assert isinstance(log, Log)
    table = log.channel_sets[0].table()  # <Data><Data/></Data>
    assert len(table) == 0
    assert len(table.channels) == 21
    assert table.positions("Max - Min TQ") == [13, 14]  # a duplicate mnemonic in the sample
    assert all(column.values.dtype == np.float64 for column in table.channels)


def test_a_given_mask_sets_the_missing_values() -> None:
    column = Column.channel("A", [1.0, 2.0], uom="m", mask=[False, True])
    assert np.isnan(column.values[1])
    times = np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[ns]")
    index = Column.of(IndexSpec("T", "s", "date time"), times, [True, False])
    assert np.isnat(index.values[0])
    assert list(Column.channel("N", [5, 6], uom="Euc", mask=[True, False]).values) == [0, 6]
