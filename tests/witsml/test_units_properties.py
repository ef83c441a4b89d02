"""witsml.units property tests: round trips, arrays against scalars, the parser on any text."""

from __future__ import annotations

import contextlib
import math
from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from witsml.errors import UnitError
from witsml.units import compatible, conversion, convert, unit
from witsml.units.symbols import parse_symbol
from witsml.units.table import ATOMS

DRILLING = [
    "m", "ft", "ft[US]", "in", "km", "1/2 ft", "0.1 ft", "30 m",
    "s", "ms", "min", "h", "d",
    "psi", "kPa", "MPa", "bar", "atm", "0.01 lbf/ft2", "kgf/cm2",
    "lbf", "klbf", "N", "kN", "daN", "tonf[US]", "kgf",
    "kg", "lbm", "klbm", "t", "ton[US]", "sack[94lbm]",
    "lbm/gal[US]", "g/cm3", "kg/m3", "lbm/ft3", "lbm/bbl", "kg/L",
    "gal[US]/min", "bbl/min", "m3/min", "m3/s", "L/min", "bbl/d", "1000 m3/d",
    "dega", "rad", "rev", "gon", "seca",
    "rpm", "rad/s", "dega/s", "rev/s",
    "kN.m", "N.m", "lbf.ft", "1000 lbf.ft", "kgf.m", "J", "kW.h",
    "degC", "degF", "K", "degR",
    "deltaC", "deltaF", "deltaK",
    "degC/m", "degF/ft", "0.01 degF/ft",
    "Euc", "%", "ppm", "m3/m3", "bbl/bbl",
    "gAPI",
    "dega/m", "dega/ft", "1/30 dega/m", "0.01 dega/ft", "rad/ft",
    "m/h", "ft/h", "m/s", "ft/min", "1000 ft/h",
    "us/ft", "us/m", "s/m",
    "bbl", "m3", "gal[US]", "L", "ft3", "1000 bbl",
    "psi/ft", "kPa/m", "bar/m",
    "cP", "Pa.s", "mPa.s",
    "ohm.m", "mS/m", "nT", "uT", "mD", "D",
]  # fmt: skip

_GROUPS: dict[tuple[str, bool], list[str]] = defaultdict(list)
for _symbol in DRILLING + [atom.symbol for atom in ATOMS]:
    _unit = parse_symbol(_symbol)
    _GROUPS[(_unit.dimension, _unit.is_absolute_temperature)].append(_symbol)
GROUPS = sorted(group for group in _GROUPS.values() if len(group) > 1)

# Magnitudes a log holds; far from the float limits, where a factor of 1E25 (quad to erg)
# would overflow or underflow and no round trip can hold.
_magnitudes = st.floats(min_value=1e-9, max_value=1e9)
values = st.just(0.0) | _magnitudes | _magnitudes.map(lambda x: -x)


@st.composite
def compatible_pairs(draw: st.DrawFn) -> tuple[str, str]:
    group = draw(st.sampled_from(GROUPS))
    return draw(st.sampled_from(group)), draw(st.sampled_from(group))


def _tolerance(from_uom: str, to_uom: str, value: float) -> float:
    # a -> b -> a rounds a few times; an offset (temperatures) adds rounding at its own size.
    a, b, _, _ = conversion(from_uom, to_uom)
    return 1e-12 * (abs(value) + abs(a / b))


@given(compatible_pairs(), values)
def test_round_trip_returns_the_input(pair: tuple[str, str], value: float) -> None:
    a, b = pair
    assert compatible(a, b)
    there = convert(value, a, b)
    back = convert(there, b, a)
    assert math.isclose(back, value, rel_tol=1e-12, abs_tol=_tolerance(a, b, value)), (a, b)


@given(compatible_pairs(), st.lists(values, max_size=20))
def test_arrays_convert_like_their_elements(pair: tuple[str, str], xs: list[float]) -> None:
    a, b = pair
    array = convert(np.array(xs), a, b)
    assert array.tolist() == [convert(x, a, b) for x in xs]


@given(compatible_pairs(), values)
def test_conversion_goes_through_any_third_unit(pair: tuple[str, str], value: float) -> None:
    a, b = pair
    pivot = _GROUPS[(unit(a).dimension, unit(a).is_absolute_temperature)][0]
    direct = convert(value, a, b)
    via = convert(convert(value, a, pivot), pivot, b)
    assert math.isclose(direct, via, rel_tol=1e-12, abs_tol=1e-9 * (1 + abs(direct)))


@given(st.sampled_from(DRILLING), st.sampled_from(DRILLING), st.sampled_from(DRILLING))
def test_quotients_and_products_compose_their_factors(a: str, b: str, c: str) -> None:
    # "((a).(b))/(c)" converts to SI with factor(a) * factor(b) / factor(c); offsets are dropped
    # inside compounds, so only the scale (B/C of the dictionary form) is compared.
    def scale(symbol: str) -> float:
        _, b_, c_, _ = parse_symbol(symbol).factors
        return b_ / c_

    if " " in a + b + c:  # multipliers only lead a symbol
        return
    compound = parse_symbol(f"(({a}).({b}))/({c})")
    assert math.isclose(scale(compound.symbol), scale(a) * scale(b) / scale(c), rel_tol=1e-12)


SYMBOL_TEXT = st.text(alphabet="mftgalUS[]()./ 0123456789E-kMudegCFK%", max_size=24)


@settings(max_examples=500)
@given(SYMBOL_TEXT)
def test_the_parser_returns_a_unit_or_raises_unit_error(text: str) -> None:
    try:
        parsed = parse_symbol(text)
    except UnitError as error:
        message = str(error)
    else:
        assert parsed.symbol == text
        assert parsed.factors[1] != 0
        return
    assert message.startswith("unknown unit")


@given(st.text(max_size=80))
def test_any_text_gives_a_unit_or_unit_error(text: str) -> None:
    with contextlib.suppress(UnitError):
        assert unit(text, aliases=False).symbol == text
