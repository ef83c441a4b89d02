"""witsml.data.times: ISO-8601 <-> datetime64[ns] UTC."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from witsml.data.times import INVALID, NAIVE, OK, format_iso, parse_iso

EPOCH = dt.datetime(1970, 1, 1)


def parse(*texts: str) -> tuple[list[int], list[int]]:
    nanos, status = parse_iso(np.array([t.encode() for t in texts], dtype=np.bytes_))
    return nanos.tolist(), status.tolist()


@st.composite
def iso_texts(draw: st.DrawFn) -> tuple[str, int, int]:
    """(text, UTC nanoseconds, status) for any valid layout: 0-9 fraction digits, Z, an offset
    or none."""
    local = draw(st.datetimes(dt.datetime(1678, 2, 1), dt.datetime(2261, 11, 30)))
    local = local.replace(microsecond=0)
    digits = draw(st.integers(0, 9))
    fraction = draw(st.integers(0, 10**digits - 1)) if digits else 0
    zone = draw(st.sampled_from(["Z", "", "+hh:mm", "-hh:mm"]))
    minutes = draw(st.integers(0, 14 * 60)) if "hh" in zone else 0
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction:0{digits}d}" if digits else "")
    offset = 0
    if "hh" in zone:
        text += f"{zone[0]}{minutes // 60:02d}:{minutes % 60:02d}"
        offset = minutes if zone[0] == "+" else -minutes
    else:
        text += zone
    seconds = (local - EPOCH) // dt.timedelta(seconds=1) - offset * 60
    nanos = seconds * 10**9 + fraction * 10 ** (9 - digits)
    return text, nanos, NAIVE if zone == "" else OK


@given(st.lists(iso_texts(), max_size=20))
@settings(max_examples=200, deadline=None)
def test_parse_matches_the_reference(cases: list[tuple[str, int, int]]) -> None:
    nanos, status = parse(*(text for text, _, _ in cases))
    assert nanos == [expected for _, expected, _ in cases]
    assert status == [kind for _, _, kind in cases]


@given(st.lists(st.integers(-(9 * 10**18), 9 * 10**18), max_size=20), st.integers(0, 3))
@settings(max_examples=200, deadline=None)
def test_format_then_parse_is_identity(values: list[int], coarsen: int) -> None:
    step = [1, 1000, 10**6, 10**9][coarsen]
    array = np.array([v - v % step for v in values], dtype=np.int64).view("datetime64[ns]")
    texts = format_iso(array)
    assert all(t.endswith("Z") for t in texts)
    nanos, status = parse(*texts)
    assert nanos == array.view(np.int64).tolist()
    assert set(status) <= {OK}


def test_format_chooses_the_unit_and_keeps_nat() -> None:
    array = np.array(["2024-01-01T00:00:00", "NaT"], dtype="datetime64[ns]")
    assert format_iso(array) == ["2024-01-01T00:00:00Z", "NaT"]
    array = np.array(["2024-01-01T00:00:00.000001"], dtype="datetime64[ns]")
    assert format_iso(array) == ["2024-01-01T00:00:00.000001Z"]


@pytest.mark.parametrize(
    "text",
    [
        "2016-13-01T00:00:00Z",
        "2016-02-30T00:00:00Z",
        "2015-02-29T00:00:00Z",
        "2016-03-01T24:00:00Z",
        "2016-03-01T00:60:00Z",
        "2016-03-01T00:00:60Z",
        "2016-03-01 00:00:00Z",
        "2016-03-01T00:00:00.Z",
        "2016-03-01T00:00:00.1234567890Z",
        "2016-03-01T00:00:00+15:00",
        "2016-03-01T00:00:00+01:60",
        "2016-03-01T00:00:00+0100",
        "2016-03-01T00:00:00z",
        "2016-03-01",
        "1600-01-01T00:00:00Z",
        "2300-01-01T00:00:00Z",
        "20160301T000000Z",
        "2016-03-01T00:00:0aZ",
        "",
        "NaT",
        "now",
    ],
)
def test_invalid_texts(text: str) -> None:
    assert parse(text) == ([0], [INVALID])


def test_leap_day_and_offsets() -> None:
    nanos, status = parse("2016-02-29T23:00:00-01:00", "2016-03-01T00:00:00Z")
    assert nanos[0] == nanos[1]
    assert status == [OK, OK]
