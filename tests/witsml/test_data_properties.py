"""Property tests of witsml.data: round trips, the fast path against the general path and
json.loads, garbage in -> BulkDataError out."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.witsml.test_data import assert_same_table
from witsml.data import (
    ChannelSpec,
    ChannelTable,
    Column,
    IndexSpec,
    PointMetadataSpec,
    decode,
    fast,
    rows,
)
from witsml.data.problems import Problems
from witsml.data.table import Spec
from witsml.errors import BulkDataError

SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPOCH = dt.datetime(1970, 1, 1)
NS_RANGE = (-(10**18) * 9, 9 * 10**18)  # well inside datetime64[ns]

# --- strategies -----------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
INDEX_TYPES = ["measured depth", "true vertical depth", "elapsed time", "date time"]
DATA_TYPES = ["double", "float", "long", "int", "boolean", "string"]


def _values(data_type: str, n: int) -> st.SearchStrategy[list[Any]]:
    element: st.SearchStrategy[Any] = {
        "double": finite,
        "float": finite,
        "long": st.integers(-(2**63), 2**63 - 1),
        "int": st.integers(-(2**31), 2**31 - 1),
        "boolean": st.booleans(),
        "string": st.text(max_size=8),
    }[data_type]
    return st.lists(st.none() | element, min_size=n, max_size=n)


def _column(spec: Any, values: list[Any]) -> Column:
    data_type = spec.data_type
    if data_type in ("double", "float"):
        return Column.of(spec, np.array([np.nan if v is None else v for v in values], float))
    if data_type in ("long", "int"):
        array = np.array([0 if v is None else v for v in values], dtype=np.int64)
        return Column.of(spec, array, [v is None for v in values])
    if data_type == "boolean":
        array = np.array([bool(v) for v in values], dtype=np.bool_)
        return Column.of(spec, array, [v is None for v in values])
    return Column.of(spec, np.array([*values, None], dtype=object)[:-1])


@st.composite
def tables(draw: st.DrawFn) -> ChannelTable:
    """Any table: 1-3 indexes of any type and direction, 1-4 channels of any type, with point
    metadata, missing values, 0-12 rows."""
    n = draw(st.integers(0, 12))
    indexes = []
    for i in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(INDEX_TYPES))
        direction = draw(st.sampled_from(["increasing", "decreasing"]))
        spec = IndexSpec(f"I{i}", "s" if "time" in kind else "m", kind, direction)
        if kind == "date time":
            nanos = draw(st.lists(st.integers(*NS_RANGE), min_size=n, max_size=n))
            values = np.sort(np.array(nanos, dtype=np.int64)).view("datetime64[ns]")
        else:
            values = np.sort(np.array(draw(st.lists(finite, min_size=n, max_size=n)), float))
        if direction == "decreasing":
            values = values[::-1]
        indexes.append(Column.of(spec, values))
    channels = []
    for _j in range(draw(st.integers(1, 4))):
        data_type = draw(st.sampled_from(DATA_TYPES))
        metadata = []
        for k in range(draw(st.integers(0, 2))):
            meta = PointMetadataSpec(f"m{k}", draw(st.sampled_from(DATA_TYPES)))
            metadata.append(_column(meta, draw(_values(meta.data_type, n))))
        mnemonic = draw(st.sampled_from(["A", "B", "ROP"]))  # duplicates happen
        declared = tuple(c.spec for c in metadata if isinstance(c.spec, PointMetadataSpec))
        channel = ChannelSpec(mnemonic, "Euc", data_type, declared)
        main = _column(ChannelSpec(mnemonic, "Euc", data_type), draw(_values(data_type, n)))
        channels.append(Column.of(channel, main.values, main.mask, metadata))
    return ChannelTable(indexes, channels)


@given(tables())
@SETTINGS
def test_columns_to_json_to_columns_is_identity(table: ChannelTable) -> None:
    text = table.to_json()
    json.loads(text)  # plain JSON
    assert_same_table(decode(text, table.index_specs, table.channel_specs), table)


@given(tables())
@SETTINGS
def test_table_to_pandas_and_back_is_identity(table: ChannelTable) -> None:
    assert_same_table(ChannelTable.from_pandas(table.to_pandas()), table)


# --- the fast path --------------------------------------------------------------------------


def _general(text: str, indexes: list[IndexSpec], channels: list[ChannelSpec]) -> ChannelTable:
    problems = Problems(lax=False)
    values, read = rows.load(text, problems)
    index_columns, channel_columns = rows.to_columns(
        values, indexes, channels, problems, rows.RowLines(read)
    )
    return ChannelTable(index_columns, channel_columns)


def _fast(text: str, indexes: list[IndexSpec], channels: list[ChannelSpec]) -> ChannelTable | None:
    arrays = fast.decode(text, indexes, len(channels))
    if arrays is None:
        return None
    specs: list[Spec] = [*indexes, *channels]
    columns = [Column.of(s, a) for s, a in zip(specs, arrays, strict=True)]
    return ChannelTable(columns[: len(indexes)], columns[len(indexes) :])


def _reference(text: str, indexes: list[IndexSpec], channels: list[ChannelSpec]) -> ChannelTable:
    """The columns straight from json.loads: what both paths must give."""
    data = json.loads(text)
    columns = []
    specs: list[Spec] = [*indexes, *channels]
    for position, spec in enumerate(specs):
        part, at = (0, position) if position < len(indexes) else (1, position - len(indexes))
        values = [row[part][at] for row in data]
        if isinstance(spec, IndexSpec) and spec.is_time:
            array = np.array([_nanos(v) for v in values], dtype=np.int64).view("datetime64[ns]")
        else:
            array = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
        columns.append(Column.of(spec, array))
    return ChannelTable(columns[: len(indexes)], columns[len(indexes) :])


def _nanos(text: str) -> int:
    """Reference ISO-8601 parser (datetime has microseconds only: the fraction by hand)."""
    body, fraction, zone = text[:19], "", text[19:]
    if zone.startswith("."):
        digits = len(zone) - len(zone.lstrip(".0123456789"))
        fraction, zone = zone[1:digits], zone[digits:]
    local = dt.datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    offset = dt.timedelta(0)
    if zone not in ("Z", ""):
        sign = -1 if zone[0] == "-" else 1
        offset = sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    seconds = (local - offset - EPOCH) // dt.timedelta(seconds=1)
    return seconds * 10**9 + int(fraction.ljust(9, "0") or 0)


def _number_token(value: float, style: int) -> str:
    if style == 1 and value.is_integer() and abs(value) < 2**63 and value != 0:
        return str(int(value))
    if style == 2:
        return f"{value:e}"
    if style == 3:
        return f"{value:.17G}" if "E" in f"{value:.17G}" or "." in f"{value:.17G}" else repr(value)
    return repr(value)


def _time_token(draw: st.DrawFn) -> str:
    nanos = draw(st.integers(*NS_RANGE))
    digits = draw(st.integers(0, 9))
    nanos -= nanos % 10 ** (9 - digits)
    minutes = draw(st.sampled_from([None, 0, 60, -360, 330, -30, 14 * 60, -14 * 60]))
    local_nanos = nanos + (minutes or 0) * 60 * 10**9
    local = EPOCH + dt.timedelta(seconds=local_nanos // 10**9)
    fraction = str(local_nanos % 10**9).rjust(9, "0")[:digits]
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "")
    if minutes is None:
        return text + "Z"
    sign = "-" if minutes < 0 else "+"
    return f"{text}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@st.composite
def numeric_texts(draw: st.DrawFn) -> tuple[str, list[IndexSpec], list[ChannelSpec]]:
    """Valid JSON of the numeric layout, written in many ways: number styles, whitespace,
    one row per line or all on one line, nulls, date-time indexes."""
    n_rows = draw(st.integers(0, 8))
    kinds = draw(st.lists(st.sampled_from(["measured depth", "date time"]), min_size=1, max_size=2))
    indexes = [IndexSpec(f"I{i}", "m", kind) for i, kind in enumerate(kinds)]
    channels = [ChannelSpec(f"C{j}", "Euc") for j in range(draw(st.integers(1, 4)))]
    space = st.sampled_from(["", "", " ", "\n", " \t", "\r\n  "])
    null_rate = draw(st.sampled_from([0.0, 0.3]))
    style = draw(st.integers(0, 3))
    lines = []
    for _ in range(n_rows):
        index_tokens = []
        for spec in indexes:
            if spec.is_time:
                index_tokens.append(json.dumps(_time_token(draw)))
            else:
                index_tokens.append(_number_token(draw(finite), style))
        value_tokens = []
        for _ in channels:
            if draw(st.floats(0, 1)) < null_rate:
                value_tokens.append("null")
            else:
                value_tokens.append(_number_token(draw(finite), draw(st.integers(0, 3))))

        def joined(tokens: list[str]) -> str:
            return ",".join(draw(space) + t + draw(space) for t in tokens)

        lines.append(
            f"[{draw(space)}[{joined(index_tokens)}],{draw(space)}[{joined(value_tokens)}]]"
        )
    separator = draw(st.sampled_from([",", ",\n", ", ", "\n,"]))
    text = draw(space) + "[" + draw(space) + separator.join(lines) + draw(space) + "]"
    return text, indexes, channels


@given(numeric_texts())
@SETTINGS
def test_fast_path_equals_general_path_and_json_loads(
    case: tuple[str, list[IndexSpec], list[ChannelSpec]],
) -> None:
    text, indexes, channels = case
    reference = _reference(text, indexes, channels)
    general = _general(text, indexes, channels)
    assert_same_table(general, reference)
    quick = _fast(text, indexes, channels)
    if quick is not None:
        assert_same_table(quick, reference)
    assert_same_table(decode(text, indexes, channels), reference)


LAYOUTS = [
    "[[[1.0],[2.5,null]],[[2.0],[-3e-05,4]]]",
    "[\n[[1.0],[2.5,null]],\n[[2.0],[-3e-05,4]]\n]",
    "[ [ [1.0 ], [ 2.5, null ] ],\n  [ [2.0 ], [ -3E-05, 4 ] ] ]",
    "[[[1.0], [2.5, null]], [[2.0], [-0.3e-4, 4.0]]]",
    "\n[\n  [[1.0],\n   [2.5,null]],\n  [[2.0],\n   [-3e-05,4]]\n]\n",
]


@pytest.mark.parametrize("text", LAYOUTS)
def test_common_layouts_take_the_fast_path(text: str) -> None:
    specs = [IndexSpec("MD", "m")], [ChannelSpec("A", "Euc"), ChannelSpec("B", "Euc")]
    quick = _fast(text, *specs)
    assert quick is not None
    assert_same_table(quick, _reference(text, *specs))


def test_time_index_takes_the_fast_path() -> None:
    text = '[\n[["2016-03-01T00:00:00.0-06:00"],[1.5]],\n[["2016-03-01T06:00:01Z"],[null]]\n]'
    specs = [IndexSpec("T", "s", "date time")], [ChannelSpec("A", "Euc")]
    quick = _fast(text, *specs)
    assert quick is not None
    assert_same_table(quick, _reference(text, *specs))


@pytest.mark.parametrize(
    "token",
    ["+1", ".5", "1.", "01", "-01", "1e", "1e+", "- 1", "1 2", "nul", "nulll", "nul9", "nan", "NaN",
     "Infinity", "0x10", "1_0", "1,", "", "--1", "1-2", "1.5.2", "1e5e5", "\"1\"", "true",
     "9" * 400, "1e999", "-0", "-0.0", "9e99", "1E400", "٣"],
)  # fmt: skip
def test_tokens_the_fast_path_leaves_to_the_general_path(token: str) -> None:
    text = f"[[[1.0],[2.0,{token}]],\n[[2.0],[3.0,4.0]]]"
    specs = [IndexSpec("MD", "m")], [ChannelSpec("A", "Euc"), ChannelSpec("B", "Euc")]
    assert _fast(text, *specs) is None
    try:
        expected: ChannelTable | None = _reference(text, *specs)
    except (ValueError, IndexError, TypeError, OverflowError):
        expected = None
    try:
        got = decode(text, *specs)
    except BulkDataError:
        got = None
    if expected is None or got is None:
        assert got is None or token in ("1e999", "1E400")
    else:
        assert_same_table(got, expected)


MUTATION_ALPHABET = '0123456789.-+eE[], nul"\nTZ:x\0\\'


@given(numeric_texts(), st.data())
@SETTINGS
def test_mutated_texts_never_disagree(
    case: tuple[str, list[IndexSpec], list[ChannelSpec]], data: st.DataObject
) -> None:
    text, indexes, channels = case
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(chars)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        char = data.draw(st.sampled_from(MUTATION_ALPHABET))
        if action == "insert":
            chars.insert(position, char)
        elif position < len(chars):
            chars[position : position + 1] = [] if action == "delete" else [char]
    mutated = "".join(chars)
    quick = _fast(mutated, indexes, channels)
    try:
        general: ChannelTable | None = _general(mutated, indexes, channels)
    except BulkDataError:
        general = None
    if quick is not None:
        assert general is not None, mutated
        assert_same_table(quick, general)
    try:
        json.loads(mutated, parse_constant=lambda name: 1 / 0)
    except (ValueError, ZeroDivisionError):
        assert general is None, mutated


@given(st.text(max_size=60) | st.binary(max_size=60).map(lambda b: b.decode("latin-1")))
@SETTINGS
def test_garbage_raises_bulk_data_error_only(text: str) -> None:
    specs = (
        [IndexSpec("MD", "m"), IndexSpec("T", "s", "date time")],
        [
            ChannelSpec("A", "Euc"),
            ChannelSpec("S", "Euc", "string", (PointMetadataSpec("q", "long"),)),
        ],
    )
    for lax in (False, True):
        with contextlib.suppress(BulkDataError):
            decode(text, *specs, lax=lax)


@given(
    st.recursive(
        st.none() | st.booleans() | finite | st.integers() | st.text(max_size=4),
        lambda inner: st.lists(inner, max_size=4),
        max_leaves=25,
    )
)
@SETTINGS
def test_any_json_value_decodes_or_raises_bulk_data_error(value: Any) -> None:
    text = json.dumps(value)
    specs = [IndexSpec("MD", "m")], [ChannelSpec("A", "Euc"), ChannelSpec("N", "Euc", "long")]
    for lax in (False, True):
        try:
            decode(text, *specs, lax=lax)
        except BulkDataError:
            assume(True)


def test_every_short_token_the_fast_path_accepts_is_the_json_number() -> None:
    """Exhaustive over tokens of up to 4 bytes from the bytes the sweep judges."""
    alphabet = "019-+.enul "  # (9: "nul9" would read as the 9e99 sentinel)
    specs = [IndexSpec("MD", "m")], [ChannelSpec("A", "Euc")]
    tokens = [""]
    accepted = 0
    for _ in range(4):
        tokens = [token + char for token in tokens for char in alphabet]
        for token in tokens:
            quick = _fast(f"[[[1.0],[{token}]]]", *specs)
            if quick is None:
                continue
            accepted += 1
            value = json.loads(token)
            assert value is None or type(value) in (int, float), token
            expected = np.nan if value is None else float(value)
            np.testing.assert_array_equal(quick.channel(0).values, [expected], err_msg=token)
    assert accepted > 100  # the numbers and nulls among them
