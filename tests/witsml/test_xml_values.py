"""Text conversions of the XML binding: XSD lexical forms to Python values and back."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from witsml.objects import UNSPECIFIED_OFFSET, Citation, Well, WellStatus
from witsml.xml.binding import (
    format_datetime,
    format_double,
    format_scalar,
    parse_bool,
    parse_datetime,
    parse_double,
    parse_int,
    parse_scalar,
    plan_for,
)
from witsml.xml.namespaces import EML, WITSML, clark

OFFSETS = st.sampled_from(
    [
        UTC,
        UNSPECIFIED_OFFSET,
        timezone(timedelta(hours=-6)),
        timezone(timedelta(hours=5, minutes=30)),
    ]
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("520", 520.0),
        (" -118.40\n", -118.4),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("+7E-2", 0.07),
        ("INF", math.inf),
        ("-INF", -math.inf),
    ],
)
def test_parse_double(text: str, value: float) -> None:
    assert parse_double(text) == value


@pytest.mark.parametrize(
    "text", ["", "abc", "1,5", "inf", "nan", "Infinity", "1_000", "0x10", "1e"]
)
def test_parse_double_refuses_what_xsd_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_double(text)


def test_nan_reads_and_writes_the_xsd_way() -> None:
    assert math.isnan(parse_double("NaN"))
    assert format_double(math.nan) == "NaN"
    assert format_double(math.inf) == "INF"
    assert format_double(-math.inf) == "-INF"
    assert format_double(520.0) == "520"
    assert format_double(0.1) == "0.1"
    assert format_double(1e300) == "1e+300"


@given(st.floats(allow_nan=False))
def test_double_text_round_trip(value: float) -> None:
    assert parse_double(format_double(value)) == value


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_int_text_round_trip(value: int) -> None:
    assert parse_int(format_scalar(value)) == value


@pytest.mark.parametrize("text", ["1.0", "", "one", "1e3"])
def test_parse_int_refuses_non_integers(text: str) -> None:
    with pytest.raises(ValueError, match="not an integer"):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("1", True), (" false ", False), ("0", False)]
)
def test_parse_bool(text: str, value: bool) -> None:
    assert parse_bool(text) is value


@pytest.mark.parametrize("text", ["True", "yes", "", "2"])
def test_parse_bool_refuses_other_words(text: str) -> None:
    with pytest.raises(ValueError, match="not a boolean"):
        parse_bool(text)


def test_datetime_offsets() -> None:
    assert parse_datetime("2018-01-23T08:19:21.668-06:00") == datetime(
        2018, 1, 23, 14, 19, 21, 668000, tzinfo=UTC
    )
    assert parse_datetime("2001-05-31T08:15:00Z").tzinfo is UTC
    assert parse_datetime("2001-05-31T08:15:00+00:00").tzinfo is UTC
    naive = parse_datetime("2001-05-31T08:15:00")
    assert naive.tzinfo is UNSPECIFIED_OFFSET
    assert naive == datetime(2001, 5, 31, 8, 15, tzinfo=UTC)
    assert format_datetime(naive) == "2001-05-31T08:15:00"


def test_datetime_fraction_beyond_microseconds_is_truncated() -> None:
    value = parse_datetime("2023-05-23T11:11:58.6567992Z")
    assert value.microsecond == 656799
    assert format_datetime(value) == "2023-05-23T11:11:58.656799Z"


def test_datetime_end_of_day_is_next_midnight() -> None:
    assert parse_datetime("2020-12-31T24:00:00Z") == datetime(2021, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="24:00:00"):
        parse_datetime("2020-12-31T24:00:01Z")


@pytest.mark.parametrize(
    "text",
    [
        "2020-13-01T00:00:00Z",
        "2020-01-01",
        "2020-01-01 00:00:00Z",
        "0000-01-01T00:00:00Z",
        "2020-01-01T00:00:00+15:00",
        "yesterday",
    ],
)
def test_parse_datetime_refuses_bad_values(text: str) -> None:
    with pytest.raises(ValueError, match=r"date-time|year|offset"):
        parse_datetime(text)


def test_format_datetime_refuses_naive_and_second_offsets() -> None:
    with pytest.raises(ValueError, match="time zone"):
        format_datetime(datetime(2020, 1, 1))
    with pytest.raises(ValueError, match="whole minutes"):
        format_datetime(datetime(2020, 1, 1, tzinfo=timezone(timedelta(seconds=30))))


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=OFFSETS))
def test_datetime_text_round_trip(value: datetime) -> None:
    text = format_datetime(value)
    back = parse_datetime(text)
    assert back == value
    assert back.utcoffset() == value.utcoffset()
    assert (back.tzinfo is UNSPECIFIED_OFFSET) == (value.tzinfo is UNSPECIFIED_OFFSET)
    assert format_datetime(back) == text


def test_enum_values_and_their_error_message() -> None:
    assert parse_scalar(WellStatus, "active -- producing") is WellStatus.ACTIVE_PRODUCING
    with pytest.raises(ValueError, match="'drilin' is not one of 'abandoned'"):
        parse_scalar(WellStatus, "drilin")
    assert format_scalar(WellStatus.DRILLING) == "drilling"


def test_plan_follows_xsd_order_and_namespaces() -> None:
    plan = plan_for(Well)
    names = [field.xml_name for field in plan.fields if field.kind == "element"]

    assert names[:4] == [
        clark(EML, n) for n in ("Aliases", "Citation", "CustomData", "ExtensionNameValue")
    ]
    assert names[4] == clark(WITSML, "NameLegal")
    assert names[-1] == clark(WITSML, "GroundElevation")
    assert plan.attributes["uuid"].required
    assert plan.attributes["schemaVersion"].required
    assert not plan.attributes["objectVersion"].required
    citation = plan.elements[clark(EML, "Citation")]
    assert citation.required
    assert citation.model is Citation
    locations = plan.elements[clark(WITSML, "WellLocation")]
    assert locations.repeated
    assert locations.fragment
    assert len(locations.choices) == 2
