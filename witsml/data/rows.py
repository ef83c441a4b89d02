"""The general decoding path: any bulk-data text, through :func:`json.loads`, to columns.

Slower than :mod:`witsml.data.fast` but handles every layout (strings, booleans, integers, point
metadata, vectors) and is the one that explains problems: each names the row (1-based) and,
when the text has several lines, the line.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections.abc import Callable, Iterator, Sequence
from types import NoneType
from typing import Any

import numpy as np
import numpy.typing as npt

from witsml.data import times
from witsml.data.problems import Problems
from witsml.data.table import (
    ChannelSpec,
    Column,
    IndexSpec,
    PointMetadataSpec,
    Spec,
    spec_type,
    storage_of,
)
from witsml.errors import BulkDataError

_SPACE = re.compile(r"[ \t\n\r]*")
# A JSON string (skipped whole) or a comma followed by a closing bracket: the trailing commas of
# the PDS samples, which Newtonsoft.Json accepts and JSON does not.
_STRING_OR_TRAILING_COMMA = re.compile(r'"(?:[^"\\]|\\.)*"|,(?=[ \t\n\r]*[\]}])')
_MAYBE_TRAILING_COMMA = re.compile(r",[ \t\n\r]*[\]}]")
_INT64 = (-(2**63), 2**63 - 1)
_INT32 = (-(2**31), 2**31 - 1)
_SNIPPET = 60


class _NonFinite(ValueError):
    """``NaN``/``Infinity`` literals: Python's json accepts them, JSON does not."""


def _reject_constant(name: str) -> Any:
    raise _NonFinite(f"{name} is not valid JSON (write null for a missing value)")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


class _JsonProblem(Exception):
    def __init__(self, reason: str, position: int, row: int | None) -> None:
        super().__init__(reason)
        self.reason, self.position, self.row = reason, position, row


def load(text: str, problems: Problems) -> tuple[list[Any], str]:
    """The rows of ``text`` and the text they were read from (trailing commas removed when
    ``problems`` is lax). Invalid JSON raises BulkDataError naming the row and line."""
    try:
        rows = _DECODER.decode(text)
    except ValueError:
        if problems.lax and _MAYBE_TRAILING_COMMA.search(text):
            text, first = _strip_trailing_commas(text)
            if first is not None:
                problems.warning(
                    "data-trailing-comma",
                    "trailing comma(s) before ']' removed (not valid JSON)",
                    text_line=_line_at(text, first),
                )
            try:
                rows = _DECODER.decode(text)
            except ValueError:
                raise _located(text, problems) from None
        else:
            raise _located(text, problems) from None
    if not isinstance(rows, list):
        raise problems.fatal(f"the data must be a JSON array of rows, not {type(rows).__name__}")
    return rows, text


def _located(text: str, problems: Problems) -> BulkDataError:
    """The error for the first JSON problem in ``text``, with its row and line."""
    try:
        for _ in _walk(text):
            pass
    except _JsonProblem as problem:
        where = f"row {problem.row + 1}: " if problem.row is not None else ""
        return problems.fatal(
            f"invalid JSON, {where}{problem.reason}", text_line=_line_at(text, problem.position)
        )
    return problems.fatal("invalid JSON")  # pragma: no cover - json.loads and _walk agree


def _walk(text: str) -> Iterator[int]:
    """The start offset of each top-level row; raises _JsonProblem at the first error."""
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        raise _JsonProblem("the data must be a JSON array of rows ('[' expected)", position, None)
    position = _skip_space(text, position + 1)
    row = 0
    if not text.startswith("]", position):
        while True:
            try:
                _, end = _DECODER.raw_decode(text, position)
            except _NonFinite as error:
                raise _JsonProblem(str(error), position, row) from None
            except json.JSONDecodeError as error:
                raise _JsonProblem(_json_reason(text, error), error.pos, row) from None
            yield position
            position = _skip_space(text, end)
            if text.startswith(",", position):
                comma = position
                position = _skip_space(text, position + 1)
                if text.startswith("]", position):
                    raise _JsonProblem(_TRAILING, comma, row)
                row += 1
            elif text.startswith("]", position):
                break
            else:
                raise _JsonProblem("',' or ']' expected after the row", position, row)
    position = _skip_space(text, position + 1)
    if position != len(text):
        raise _JsonProblem("text after the closing ']' of the rows", position, None)


def _skip_space(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    return match.end() if match else position


_TRAILING = "trailing comma before ']' (not valid JSON; tolerated when reading lax)"


def _json_reason(text: str, error: json.JSONDecodeError) -> str:
    before = text[: error.pos].rstrip(" \t\n\r")
    if text.startswith("]", error.pos) and before.endswith(","):
        return _TRAILING
    found = text[error.pos : error.pos + 20]
    return f"{error.msg} at {found!r}" if found else f"{error.msg} (the text ends too early)"


def _strip_trailing_commas(text: str) -> tuple[str, int | None]:
    """``text`` without commas before ``]``/``}``, and the offset of the first one removed."""
    pieces: list[str] = []
    start = 0
    first: int | None = None
    for match in _STRING_OR_TRAILING_COMMA.finditer(text):
        if match.group().startswith(","):
            pieces.append(text[start : match.start()])
            start = match.end()
            if first is None:
                first = match.start()
    pieces.append(text[start:])
    return "".join(pieces), first


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


class RowLines:
    """The line of each row of a valid JSON text, computed on first use (problems only)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._rows: list[int] = []
        self._newlines: list[int] | None = None

    def __call__(self, row: int) -> int:
        """The 1-based line of the data text on which row ``row`` (0-based) starts."""
        if self._newlines is None:
            self._rows = list(_walk(self._text))
            self._newlines = [match.start() for match in re.finditer("\n", self._text)]
        return bisect.bisect_right(self._newlines, self._rows[row]) + 1


def to_columns(
    rows: list[Any],
    indexes: Sequence[IndexSpec],
    channels: Sequence[ChannelSpec],
    problems: Problems,
    lines: Callable[[int], int | None],
) -> tuple[list[Column], list[Column]]:
    """Typed index and channel columns from decoded rows (misshapen rows reported, dropped)."""
    n_index, n_channel = len(indexes), len(channels)
    bad = [
        i
        for i, row in enumerate(rows)
        if not (
            type(row) is list
            and len(row) == 2
            and type(row[0]) is list
            and type(row[1]) is list
            and len(row[0]) == n_index
            and len(row[1]) == n_channel
        )
    ]
    row_numbers: Sequence[int] = range(len(rows))
    if bad:
        for i in bad:
            _report(
                problems, lines, "data-row-shape", i, _shape_problem(rows[i], indexes, channels)
            )
        dropped = set(bad)
        row_numbers = [i for i in range(len(rows)) if i not in dropped]
        rows = [rows[i] for i in row_numbers]

    def report(rule: str, position: int, reason: str, warning: bool = False) -> None:
        _report(problems, lines, rule, row_numbers[position], reason, warning=warning)

    index_values = list(zip(*(row[0] for row in rows), strict=True)) or [()] * n_index
    channel_values = list(zip(*(row[1] for row in rows), strict=True)) or [()] * n_channel
    index_columns = [
        _column(spec, values, report) for spec, values in zip(indexes, index_values, strict=True)
    ]
    channel_columns = [
        _channel(spec, values, report)
        for spec, values in zip(channels, channel_values, strict=True)
    ]
    return index_columns, channel_columns


_Report = Callable[..., None]


def _report(
    problems: Problems,
    lines: Callable[[int], int | None],
    rule: str,
    row: int,
    reason: str,
    *,
    warning: bool = False,
) -> None:
    line = lines(row) if problems.recording(rule) else None
    message = f"row {row + 1}: {reason}"
    if warning:
        problems.warning(rule, message, text_line=line)
    else:
        problems.error(rule, message, text_line=line)


def _shape_problem(row: Any, indexes: Sequence[IndexSpec], channels: Sequence[ChannelSpec]) -> str:
    declared = f"the ChannelSet declares {len(indexes)} index(es) and {len(channels)} channel(s)"
    if type(row) is list and len(row) == 2 and all(type(part) is list for part in row):
        return (
            f"{len(row[0])} index value(s) and {len(row[1])} channel value(s), "
            f"but {declared}; row dropped"
        )
    return f"not [[index values], [channel values]]: {_snippet(row)}; row dropped"


def _snippet(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 3] + "..."


def _channel(spec: ChannelSpec, values: Sequence[Any], report: _Report) -> Column:
    if not spec.point_metadata:
        return _column(spec, values, report)
    width = len(spec.point_metadata) + 1
    main: list[Any] = []
    metadata: list[list[Any]] = [[] for _ in spec.point_metadata]
    for position, value in enumerate(values):
        if type(value) is not list:
            main.append(value)  # a bare value (or null): no metadata for this point
            for column in metadata:
                column.append(None)
        elif len(value) == width:
            main.append(value[0])
            for column, item in zip(metadata, value[1:], strict=True):
                column.append(item)
        else:
            reason = (
                f"channel {spec.mnemonic!r}: expected [value, {width - 1} point metadata], "
                f"got {_snippet(value)}; point set missing"
            )
            report("data-value", position, reason)
            main.append(None)
            for column in metadata:
                column.append(None)
    meta_columns = [
        _column(meta, column, report)
        for meta, column in zip(spec.point_metadata, metadata, strict=True)
    ]
    main_column = _column(dataclasses.replace(spec, point_metadata=()), main, report)
    return Column.of(spec, main_column.values, main_column.mask, meta_columns)


_ACCEPTED: dict[str, tuple[frozenset[type], str]] = {
    "float": (frozenset({float, int, NoneType}), "a number"),
    "int": (frozenset({int, NoneType}), "an integer"),
    "bool": (frozenset({bool, NoneType}), "true or false"),
    "str": (frozenset({str, NoneType}), "a string"),
    "time": (frozenset({str, NoneType}), "an ISO-8601 date-time string"),
}


def _column(spec: Spec, values: Sequence[Any], report: _Report) -> Column:
    """One typed column; values of the wrong type are reported and become missing."""
    storage = storage_of(spec)
    label = _label(spec)
    if storage == "object":
        return Column.of(spec, np.fromiter(values, dtype=object, count=len(values)))
    accepted, expected = _ACCEPTED[storage]
    if not set(map(type, values)) <= accepted:
        fixed = list(values)
        for position, value in enumerate(values):
            if type(value) not in accepted:
                report(
                    "data-value", position, f"{label}: expected {expected}, got {_snippet(value)}"
                )
                fixed[position] = None
        values = fixed
    if isinstance(spec, IndexSpec) and None in values:
        for position, value in enumerate(values):
            if value is None:
                report("data-index-null", position, f"{label}: null index value")
    if storage == "float":
        return Column.of(spec, _floats(values, label, report))
    if storage == "int":
        low, high = _INT32 if spec_type(spec) == "int" else _INT64
        integers, mask = _integers(values, low, high, label, report)
        return Column.of(spec, integers, mask)
    if storage == "bool":
        mask = np.fromiter((value is None for value in values), np.bool_, len(values))
        flags = np.fromiter((value is True for value in values), np.bool_, len(values))
        return Column.of(spec, flags, mask)
    if storage == "str":
        return Column.of(spec, np.fromiter(values, dtype=object, count=len(values)))
    return Column.of(spec, _times(values, label, report))


def _label(spec: Spec) -> str:
    if isinstance(spec, IndexSpec):
        return f"index {spec.mnemonic!r}"
    if isinstance(spec, PointMetadataSpec):
        return f"point metadata {spec.name!r}"
    return f"channel {spec.mnemonic!r}"


def _floats(values: Sequence[Any], label: str, report: _Report) -> npt.NDArray[np.float64]:
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:  # an integer beyond the float range
        fixed = list(values)
        for position, value in enumerate(values):
            if type(value) is int and not _fits_float(value):
                report("data-value", position, f"{label}: {_snippet(value)} is out of range")
                fixed[position] = None
        return np.array(fixed, dtype=np.float64)


def _fits_float(value: int) -> bool:
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _integers(
    values: Sequence[Any], low: int, high: int, label: str, report: _Report
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    fixed = list(values)
    for position, value in enumerate(values):
        if value is not None and not low <= value <= high:
            report("data-value", position, f"{label}: {value} is out of range")
            fixed[position] = None
    mask = np.fromiter((value is None for value in fixed), np.bool_, len(fixed))
    integers = np.array([0 if value is None else value for value in fixed], dtype=np.int64)
    return integers, mask


def _times(values: Sequence[Any], label: str, report: _Report) -> np.ndarray[Any, Any]:
    present = [i for i, value in enumerate(values) if value is not None]
    # Non-ASCII and NUL (numpy drops trailing NULs) both make a value invalid.
    encoded = [values[i].encode("ascii", "replace").replace(b"\0", b"?") for i in present]
    nanos, status = times.parse_iso(np.array(encoded, dtype=np.bytes_))
    result = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    result[present] = nanos.view("datetime64[ns]")
    for k in np.flatnonzero(status != times.OK).tolist():
        position = present[k]
        if status[k] == times.NAIVE:
            reason = f"{label}: {values[position]!r} has no UTC offset; read as UTC"
            report("data-time-offset", position, reason, warning=True)
        else:
            report(
                "data-value", position, f"{label}: invalid date-time {_snippet(values[position])}"
            )
            result[position] = np.datetime64("NaT")
    return result
