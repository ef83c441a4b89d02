"""ISO-8601 date-times of ``date time`` indexes <-> numpy datetime64[ns] in UTC, vectorized.

Accepted: ``YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm)``, the ``xs:dateTime`` shape the Energistics
writers use (.NET's ``"o"`` format has 7 fraction digits). An offset is applied to give UTC; a
value without offset is read as UTC and flagged :data:`NAIVE` so that the caller can report it.
Years outside datetime64[ns] (1678..2261) are invalid.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

OK, INVALID, NAIVE = 0, 1, 2
"""Status of each parsed value."""

_BODY = 19  # len("2016-03-01T00:00:00")
_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)
_SEPARATORS = {4: b"-", 7: b"-", 10: b"T", 13: b":", 16: b":"}
_NS_PER_S = 1_000_000_000
_MIN_YEAR, _MAX_YEAR = 1678, 2261
_UNITS: tuple[tuple[Literal["s", "ms", "us"], int], ...] = (
    ("s", _NS_PER_S),
    ("ms", 1_000_000),
    ("us", 1_000),
)


def parse_iso(
    strings: npt.NDArray[np.bytes_],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Nanoseconds since 1970-01-01 UTC and a status (OK/INVALID/NAIVE) per ASCII byte string.

    Invalid values get 0 nanoseconds; the caller decides what they become.
    """
    count = len(strings)
    nanos = np.zeros(count, dtype=np.int64)
    status = np.full(count, INVALID, dtype=np.uint8)
    if count == 0:
        return nanos, status
    lengths = np.char.str_len(strings)
    for length in np.unique(lengths).tolist():
        rows = np.flatnonzero(lengths == length)
        if length < _BODY:
            continue
        matrix = strings[rows].astype(f"S{length}").view(np.uint8).reshape(-1, length)
        _parse_same_length(matrix, rows, nanos, status)
    return nanos, status


def _parse_same_length(
    matrix: npt.NDArray[np.uint8],
    rows: npt.NDArray[np.intp],
    nanos: npt.NDArray[np.int64],
    status: npt.NDArray[np.uint8],
) -> None:
    length = matrix.shape[1]
    zulu = matrix[:, -1] == ord("Z")
    offset = np.zeros(len(matrix), dtype=np.bool_)
    if length >= _BODY + 6:
        sign = matrix[:, length - 6]
        offset = ((sign == ord("+")) | (sign == ord("-"))) & (matrix[:, length - 3] == ord(":"))
    for zone_length, members in ((1, zulu), (6, offset & ~zulu), (0, ~zulu & ~offset)):
        if members.any():
            which = np.flatnonzero(members)
            ok, value = _parse_layout(matrix[which], length - zone_length, zone_length)
            target = rows[which]
            nanos[target] = np.where(ok, value, 0)
            status[target] = np.where(ok, NAIVE if zone_length == 0 else OK, INVALID)


def _parse_layout(
    matrix: npt.NDArray[np.uint8], body: int, zone: int
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """Validity and UTC nanoseconds of rows laid out as a body of ``body`` chars + zone."""
    fraction = body - _BODY - 1  # digits after the decimal point
    if body != _BODY and not 1 <= fraction <= 9:
        return np.zeros(len(matrix), dtype=np.bool_), np.zeros(len(matrix), dtype=np.int64)

    def digit(position: int) -> npt.NDArray[np.int64]:
        return matrix[:, position].astype(np.int64) - ord("0")

    def number(*positions: int) -> npt.NDArray[np.int64]:
        total = np.zeros(len(matrix), dtype=np.int64)
        for position in positions:
            total = total * 10 + digit(position)
        return total

    digits = list(_DIGITS)
    separators = dict(_SEPARATORS)
    if fraction > 0:
        separators[_BODY] = b"."
        digits += range(_BODY + 1, body)
    if zone == 6:
        digits += [body + 1, body + 2, body + 4, body + 5]
        separators[body + 3] = b":"
    ok = np.all((matrix[:, digits] - ord("0")) <= 9, axis=1)
    for position, char in separators.items():
        ok &= matrix[:, position] == ord(char)

    year, month, day = number(0, 1, 2, 3), number(5, 6), number(8, 9)
    hour, minute, second = number(11, 12), number(14, 15), number(17, 18)
    ok &= (year >= _MIN_YEAR) & (year <= _MAX_YEAR) & (month >= 1) & (month <= 12)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59) & (day >= 1)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    following = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    ok &= day <= following - first

    seconds = (first + day - 1) * 86_400 + hour * 3_600 + minute * 60 + second
    if zone == 6:
        hours, minutes = number(body + 1, body + 2), number(body + 4, body + 5)
        ok &= (hours <= 14) & (minutes <= 59)
        sign = np.where(matrix[:, body] == ord("-"), -1, 1)
        seconds -= sign * (hours * 3_600 + minutes * 60)
    value = seconds * _NS_PER_S
    if fraction > 0:
        value += number(*range(_BODY + 1, body)) * 10 ** (9 - fraction)
    return ok, np.where(ok, value, 0)


def format_iso(values: np.ndarray[Any, np.dtype[np.datetime64]]) -> list[str]:
    """ISO-8601 UTC strings (``...Z``) with the fewest fraction digits that keep every value
    exact (none, 3, 6 or 9); NaT gives ``"NaT"``, which the caller writes as ``null``."""
    nanos = values.astype("datetime64[ns]").view(np.int64)[~np.isnat(values)]
    unit: Literal["s", "ms", "us", "ns"] = "ns"
    for candidate, step in _UNITS:
        if not np.any(nanos % step):
            unit = candidate
            break
    as_unit = values.astype(f"datetime64[{unit}]")
    return list(np.datetime_as_string(as_unit, unit=unit, timezone="UTC").tolist())
