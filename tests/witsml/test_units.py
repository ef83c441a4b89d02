"""witsml.units: published conversion factors, quantity classes, aliases, errors, the API."""

from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pytest

from tests.conftest import ROOT
from witsml import units
from witsml.errors import UnitError, WitsmlError
from witsml.units import (
    MeasureValue,
    UnitAliasWarning,
    compatible,
    conversion,
    convert,
    convert_measure,
    is_valid_symbol,
    quantity_of,
    resolve_alias,
    unit,
)
from witsml.units.aliases import ALIASES
from witsml.units.quantities import QUANTITY_CLASSES, STRUCTURAL_NAMES
from witsml.units.symbols import parse_symbol
from witsml.units.table import ATOMS, PREFIXES

# -- NIST SP 811 (2008) appendix B: exact definitions ------------------------------------------


@pytest.mark.parametrize(
    ("value", "from_uom", "to_uom", "expected"),
    [
        (1.0, "ft", "m", 0.3048),
        (1.0, "in", "m", 0.0254),
        (1.0, "mi", "m", 1609.344),
        (1.0, "yd", "m", 0.9144),
        (1.0, "ft[US]", "m", 1200 / 3937),
        (1.0, "lbm", "kg", 0.45359237),
        (1.0, "lbf", "N", 4.4482216152605),
        (1.0, "klbf", "kN", 4.4482216152605),
        (1.0, "kgf", "N", 9.80665),
        (1.0, "psi", "Pa", 6894.757293168361),
        (1.0, "psi", "kPa", 6.894757293168361),
        (1.0, "bar", "kPa", 100.0),
        (1.0, "atm", "Pa", 101325.0),
        (1.0, "gal[US]", "L", 3.785411784),
        (1.0, "gal[UK]", "L", 4.54609),
        (1.0, "bbl", "m3", 0.158987294928),
        (1.0, "bbl", "gal[US]", 42.0),
        (1.0, "ft3", "m3", 0.028316846592),
        (1.0, "gal[US]/min", "m3/min", 0.003785411784),
        (1.0, "bbl/min", "m3/s", 0.158987294928 / 60),
        (1.0, "lbm/gal[US]", "kg/m3", 119.82642731689663),
        (1.0, "g/cm3", "kg/m3", 1000.0),
        (1.0, "lbm/ft3", "kg/m3", 16.018463373960138),
        (1.0, "lbf.ft", "N.m", 1.3558179483314004),
        (1.0, "1000 lbf.ft", "kN.m", 1.3558179483314004),
        (1.0, "Btu[IT]", "J", 1055.05585262),
        (1.0, "cal[th]", "J", 4.184),
        (1.0, "hp", "W", 745.69987158227022),
        (1.0, "cP", "Pa.s", 0.001),
        (1.0, "dega", "rad", math.pi / 180),
        (1.0, "rpm", "rad/s", 2 * math.pi / 60),
        (1.0, "rev", "dega", 360.0),
        (1.0, "h", "s", 3600.0),
        (1.0, "d", "h", 24.0),
        (1.0, "a", "d", 365.25),
        (1.0, "m/h", "ft/h", 1 / 0.3048),
        (1.0, "ft/h", "m/h", 0.3048),
        (1.0, "us/ft", "us/m", 1 / 0.3048),
        (1.0, "mD", "m2", 9.869232667160128e-16),
        (100.0, "%", "Euc", 1.0),
        (1.0, "ppm", "Euc", 1e-6),
    ],
)
def test_published_factors(value: float, from_uom: str, to_uom: str, expected: float) -> None:
    assert convert(value, from_uom, to_uom) == pytest.approx(expected, rel=1e-15)


def test_the_oil_barrel_is_exactly_42_us_gallons_not_the_rounded_figure() -> None:
    assert convert(1.0, "bbl", "m3") == 0.158987294928
    assert convert(1.0, "bbl", "m3") != pytest.approx(0.158987, rel=1e-9)
    assert convert(1_000_000.0, "bbl", "m3") == pytest.approx(158987.294928, rel=1e-15)


@pytest.mark.parametrize(
    ("value", "from_uom", "to_uom", "expected"),
    [
        (32.0, "degF", "degC", 0.0),
        (212.0, "degF", "degC", 100.0),
        (-40.0, "degF", "degC", -40.0),
        (-40.0, "degC", "degF", -40.0),
        (100.0, "degC", "degF", 212.0),
        (0.0, "degC", "K", 273.15),
        (-273.15, "degC", "K", 0.0),
        (0.0, "K", "degF", -459.67),
        (491.67, "degR", "degC", 0.0),
        (0.0, "degR", "K", 0.0),
        (18.0, "deltaF", "deltaC", 10.0),
        (1.0, "degF/ft", "degC/m", 1 / 0.3048 * 5 / 9),
    ],
)
def test_temperature_scales_and_intervals(
    value: float, from_uom: str, to_uom: str, expected: float
) -> None:
    assert convert(value, from_uom, to_uom) == pytest.approx(expected, abs=1e-12)


def test_fahrenheit_to_celsius_is_exact_at_the_fixed_points() -> None:
    # (A + B·x) / C with A = -160, B = 5, C = 9: no rounding at 32, 212 and -40.
    assert conversion("degF", "degC") == (-160.0, 5.0, 9.0, 0.0)
    assert convert(np.array([32.0, 212.0, -40.0]), "degF", "degC").tolist() == [0.0, 100.0, -40.0]


def test_dictionary_form_of_fahrenheit_matches_the_dictionary() -> None:
    # The Energistics dictionary gives degF -> K as A = 2298.35, B = 5, C = 9, D = 0.
    assert unit("degF").factors == (2298.35, 5.0, 9.0, 0.0)
    assert unit("degC").factors == (273.15, 1.0, 1.0, 0.0)
    assert unit("ft").factors == (0.0, 381.0, 1250.0, 0.0)


def test_dogleg_severity_units() -> None:
    # 1 dega/30 m in dega/100 ft: 100 ft is 30.48 m.
    assert convert(1.0, "1/30 dega/m", "0.01 dega/ft") == pytest.approx(30.48 / 30, rel=1e-15)
    assert convert(1.0, "0.01 dega/ft", "dega/m") == pytest.approx(1 / 30.48, rel=1e-15)
    assert convert(1.0, "1/30 dega/m", "rad/m") == pytest.approx(math.pi / 180 / 30, rel=1e-15)


def test_multipliers() -> None:
    assert convert(1.0, "1E6 bbl", "bbl") == pytest.approx(1e6, rel=1e-15)
    assert convert(1.0, "1E-6 gal[US]", "gal[US]") == pytest.approx(1e-6, rel=1e-15)
    assert convert(1.0, "1/64 in", "in") == 1 / 64
    assert convert(1.0, "0.1 ft[US]", "ft[US]") == pytest.approx(0.1, rel=1e-15)
    assert convert(3.0, "30 m", "m") == 90.0


# -- quantity classes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "quantity"),
    [
        ("m", "length"),
        ("ft", "length"),
        ("1/2 ft", "length"),
        ("s", "time"),
        ("h", "time"),
        ("psi", "pressure"),
        ("kPa", "pressure"),
        ("0.01 lbf/ft2", "pressure"),
        ("klbf", "force"),
        ("kN", "force"),
        ("lbm/gal[US]", "mass per volume"),
        ("g/cm3", "mass per volume"),
        ("gal[US]/min", "volume per time"),
        ("m3/min", "volume per time"),
        ("dega", "plane angle"),
        ("rpm", "angular velocity"),
        ("kN.m", "moment of force"),
        ("1000 lbf.ft", "moment of force"),
        ("ft.lbf", "moment of force"),
        ("J", "energy"),
        ("kW.h", "energy"),
        ("degC", "thermodynamic temperature"),
        ("degF", "thermodynamic temperature"),
        ("deltaC", "temperature interval"),
        ("degC/m", "temperature interval per length"),
        ("Euc", "dimensionless"),
        ("%", "dimensionless"),
        ("m3/m3", "volume per volume"),
        ("gAPI", "api gamma ray"),
        ("1/30 dega/m", "angle per length"),
        ("0.01 dega/ft", "angle per length"),
        ("m/h", "length per time"),
        ("ft/h", "length per time"),
        ("kg", "mass"),
        ("lbm", "mass"),
        ("bbl/ft", "volume per length"),
        ("m2", "area"),
        ("mD", "permeability rock"),
        ("mD.ft", "permeability length"),
        ("cP", "dynamic viscosity"),
        ("cSt", "kinematic viscosity"),
        ("us/ft", "time per length"),
        ("psi/ft", "force per volume"),
        ("1/min", "frequency"),
        ("nT", "magnetic flux density"),
        ("ohm.m", "electrical resistivity"),
        ("m4/s2", "L4.T-2"),  # no quantity class has this dimension
    ],
)
def test_quantity_of(symbol: str, quantity: str) -> None:
    assert quantity_of(symbol) == quantity
    assert unit(symbol).quantity == quantity


def test_quantity_class_table_is_consistent() -> None:
    names = [name for name, _ in QUANTITY_CLASSES]
    assert len(names) == len(set(names))
    for _, reference in QUANTITY_CLASSES:
        assert is_valid_symbol(reference), reference
    assert set(STRUCTURAL_NAMES.values()) <= set(names)


def test_atom_quantities_belong_to_their_dimension() -> None:
    for atom in ATOMS:
        if atom.quantity:
            assert atom.quantity in {name for name, _ in QUANTITY_CLASSES}
            assert quantity_of(atom.symbol) == atom.quantity, atom.symbol


def test_unit_object() -> None:
    u = unit("klbf")
    assert (u.symbol, u.quantity, u.dimension) == ("klbf", "force", "L.M.T-2")
    assert u.factors == (0.0, 4448.2216152605, 1.0, 0.0)
    assert str(u) == "klbf"
    assert not u.is_absolute_temperature
    assert unit("degC").is_absolute_temperature
    assert not unit("degC/m").is_absolute_temperature
    assert unit("%").dimension == ""
    assert unit("klbf") == unit("klbf")
    assert u.describe() == "'klbf' (force)"


# -- compatibility and errors -------------------------------------------------------------------


def test_incompatible_units_raise_naming_both_units_and_quantities() -> None:
    with pytest.raises(UnitError) as raised:
        convert(1.0, "m", "psi")
    message = str(raised.value)
    assert "'m' (length)" in message
    assert "'psi' (pressure)" in message
    assert isinstance(raised.value, WitsmlError)
    assert isinstance(raised.value, ValueError)


def test_temperature_and_interval_do_not_convert() -> None:
    assert not compatible("degC", "deltaC")
    with pytest.raises(UnitError, match="temperature interval"):
        convert(10.0, "degC", "deltaC")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("m", "ft", True),
        ("m", "ft[US]", True),
        ("rpm", "rad/s", True),
        ("rpm", "1/min", False),  # plane angle is a dimension: rpm is not a frequency
        ("dega/m", "1/m", False),
        ("gAPI", "Euc", False),
        ("kN.m", "J", True),
        ("K", "degF", True),
        ("degC/m", "deltaF/ft", True),
        ("W/(m.K)", "W/(m.deltaK)", True),
        ("bbl/ft", "m2", True),
        ("m", "psi", False),
    ],
)
def test_compatible(a: str, b: str, expected: bool) -> None:
    assert compatible(a, b) is expected
    assert unit(a).is_compatible(unit(b)) is expected


@pytest.mark.parametrize(
    ("symbol", "fragment"),
    [
        ("", "empty symbol"),
        ("xyz", "'xyz' is not an Energistics unit"),
        ("kft", "'ft' does not take SI prefixes"),
        ("m//s", "a unit is missing before '/' at position 2"),
        ("m/s/s", "a second '/' at position 3 needs parentheses"),
        ("(m/s", "missing ')' at position 4"),
        ("m)", "unexpected ')' at position 1"),
        ("ft[US", "unclosed '['"),
        ("m s", "unexpected ' ' at position 1"),
        ("10 degC", "a temperature scale takes no multiplier"),
        ("0 m", "the multiplier is zero"),
        ("m0", "'m0' is not an Energistics unit"),
        ("a100", "'a100' is not an Energistics unit"),  # regression: exponents are one digit
        ("Ea[t]9.Ea[t]9.Ea[t]9.Ea[t]9.Ea[t]9", "out of the range of a float"),
        ("ym9.ym9.ym9.ym9.ym9.ym9", "out of the range of a float"),
        ("\n", "'\\n' is not an Energistics unit"),  # regression: found by the fuzz test
        ("m\tft", "'m\\tft' is not an Energistics unit"),
        ("(" * 5000, "longer than 64 characters"),
    ],
)
def test_unknown_units_raise(symbol: str, fragment: str) -> None:
    with pytest.raises(UnitError) as raised:
        unit(symbol)
    assert fragment in str(raised.value)
    assert repr(symbol[:64]).rstrip("'") in str(raised.value)
    assert not is_valid_symbol(symbol)
    with pytest.raises(UnitError):
        convert(1.0, symbol, "m")
    with pytest.raises(UnitError):
        quantity_of(symbol)


def test_unknown_unit_never_returns_none() -> None:
    for call in (unit, quantity_of, resolve_alias):
        with pytest.raises(UnitError):
            call("no-such-unit")  # type: ignore[operator]
    with pytest.raises(UnitError):
        compatible("m", "no-such-unit")


# -- aliases ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("galUS/min", "gal[US]/min"),
        ("gpm", "gal[US]/min"),
        ("Klbf", "klbf"),
        ("deg", "dega"),
        ("DEGF", "degF"),
        ("kft.lbf", "1000 lbf.ft"),
        ("spm", "1/min"),
        ("ppg", "lbm/gal[US]"),
        ("psig", "psi"),
        ("ftUS", "ft[US]"),
        ("deg/100ft", "0.01 dega/ft"),
        ("WITSML:Unitless", "Euc"),
    ],
)
def test_aliases_resolve_with_a_note(alias: str, canonical: str) -> None:
    symbol, note = resolve_alias(alias)
    assert symbol == canonical
    assert note is not None
    assert repr(alias) in note
    assert repr(canonical) in note
    assert not is_valid_symbol(alias)


def test_alias_notes_say_why_when_the_reading_is_a_choice() -> None:
    assert "gauge" in (resolve_alias("psig")[1] or "")
    assert "hook load" in (resolve_alias("klb")[1] or "")


def test_valid_symbols_resolve_without_a_note() -> None:
    assert resolve_alias("gal[US]/min") == ("gal[US]/min", None)
    assert resolve_alias("kft.lbf")[0] == "1000 lbf.ft"


def test_surrounding_space_is_removed_with_a_note() -> None:
    symbol, note = resolve_alias(" ft ")
    assert symbol == "ft"
    assert note is not None
    assert "space" in note


def test_functions_warn_when_an_alias_was_applied() -> None:
    with pytest.warns(UnitAliasWarning, match="'gpm' is not an Energistics unit symbol"):
        assert convert(100.0, "gpm", "m3/min") == pytest.approx(0.3785411784, rel=1e-15)
    with pytest.warns(UnitAliasWarning, match="'Klbf'"):
        assert quantity_of("Klbf") == "force"
    with pytest.warns(UnitAliasWarning, match="'kft.lbf'"):
        assert unit("kft.lbf").symbol == "1000 lbf.ft"
    with pytest.warns(UnitAliasWarning, match="'deg'"):
        assert compatible("deg", "rad")
    with pytest.warns(UnitAliasWarning, match="'DEGF'"):
        assert conversion("DEGF", "degC") == (-160.0, 5.0, 9.0, 0.0)


def test_the_warning_points_at_the_callers_line() -> None:
    with pytest.warns(UnitAliasWarning) as record:
        convert(1.0, "gpm", "m3/s")
    assert record[0].filename == __file__


def test_canonical_symbols_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        convert(1.0, "gal[US]/min", "m3/s")
        quantity_of("kN.m")
        unit("dega")


def test_strict_lookup_rejects_aliases_and_suggests_the_symbol() -> None:
    with pytest.raises(UnitError, match=r"did you mean 'gal\[US\]/min'"):
        unit("gpm", aliases=False)
    with pytest.raises(UnitError, match="'xyz' is not an Energistics unit"):
        unit("xyz", aliases=False)
    assert unit("gal[US]/min", aliases=False).symbol == "gal[US]/min"


def test_alias_table_is_consistent() -> None:
    for alias, (canonical, _) in ALIASES.items():
        assert not is_valid_symbol(alias), f"{alias!r} is a valid symbol: the alias is never used"
        assert is_valid_symbol(canonical), canonical


# -- the grammar --------------------------------------------------------------------------------


def test_every_atom_parses_and_prefixes_apply_only_where_allowed() -> None:
    for atom in ATOMS:
        assert parse_symbol(atom.symbol).symbol == atom.symbol
    assert len({atom.symbol for atom in ATOMS}) == len(ATOMS)
    assert convert(1.0, "km", "m") == 1000.0
    assert convert(1.0, "dam", "m") == 10.0  # "da" is matched before "d"
    assert not is_valid_symbol("kft")
    assert not is_valid_symbol("mdegC")
    assert len(PREFIXES) == 20


def test_whole_atoms_win_over_prefix_readings() -> None:
    assert quantity_of("cd") == "luminous intensity"  # candela, not centi-day
    assert quantity_of("Pa") == "pressure"  # pascal, not peta-annum
    assert quantity_of("min") == "time"  # minute, not milli-inch
    assert quantity_of("ft") == "length"
    assert quantity_of("ha") == "area"


def test_a_slash_takes_the_whole_product_after_it() -> None:
    # "kg/m3.K" (a legacy spelling in the 2.0 quantity schema) is kg/(m3.K).
    assert convert(1.0, "kg/m3.K", "kg/(m3.K)") == 1.0
    assert quantity_of("kg/m3.K") == "mass per volume per temperature"


def test_exponents_and_groups() -> None:
    assert convert(1.0, "mi[US]2", "acre") == pytest.approx(640.0, rel=1e-15)
    assert convert(1.0, "(bbl/d)/(bbl/d)", "Euc") == 1.0
    assert convert(1.0, "W.m2.K/(J.K)", "m2/s") == 1.0
    assert convert(1.0, "1/(kg.s)", "1/(g.s)") == pytest.approx(0.001, rel=1e-15)
    assert convert(1.0, "dm3", "L") == 1.0  # the prefix binds before the exponent


# -- convert: scalars, arrays, types ------------------------------------------------------------


def test_scalars_give_floats() -> None:
    for value in (1, 1.0, np.float32(1.0), np.int64(1), np.float64(1.0)):
        result = convert(value, "ft", "m")  # type: ignore[call-overload]
        assert type(result) is float
        assert result == pytest.approx(0.3048, rel=1e-7)


def test_arrays_give_new_float64_arrays() -> None:
    source = np.array([1, 2, 3], dtype=np.int32)
    result = convert(source, "ft", "m")
    assert result.dtype == np.float64
    assert result.tolist() == pytest.approx([0.3048, 0.6096, 0.9144], rel=1e-15)
    same = np.array([1.0, 2.0])
    copy = convert(same, "m", "m")
    assert copy is not same
    assert copy.tolist() == [1.0, 2.0]
    copy[0] = 9.0
    assert same[0] == 1.0
    assert convert([[1.0], [2.0]], "m", "cm").shape == (2, 1)
    assert convert([], "m", "ft").shape == (0,)


def test_nan_and_inf_pass_through() -> None:
    result = convert(np.array([np.nan, np.inf, 1.0]), "degF", "degC")
    assert np.isnan(result[0])
    assert result[1] == np.inf
    assert math.isnan(convert(float("nan"), "m", "ft"))


def test_pandas_series_converts() -> None:
    pd = pytest.importorskip("pandas")
    series = pd.Series([1.0, 2.0], index=["a", "b"])
    result = convert(series, "m", "cm")
    assert result.tolist() == [100.0, 200.0]


def test_non_numeric_values_raise_value_error() -> None:
    with pytest.raises(ValueError, match="could not convert"):
        convert(["x"], "m", "ft")


# -- the measure helper -------------------------------------------------------------------------


def test_measure_value() -> None:
    depth = MeasureValue(10_000.0, "ft")
    assert depth.to("m") == MeasureValue(3048.0, "m")
    assert depth.quantity == "length"
    assert convert_measure(20.0, "degC", "degF") == MeasureValue(68.0, "degF")
    with pytest.warns(UnitAliasWarning):
        assert convert_measure(1.0, "ft", "meters") == MeasureValue(0.3048, "m")
    with pytest.raises(UnitError, match=r"cannot convert 'ft' \(length\) to 'psi'"):
        depth.to("psi")


def test_public_names() -> None:
    assert set(units.__all__) == {
        "MeasureValue",
        "Unit",
        "UnitAliasWarning",
        "compatible",
        "conversion",
        "convert",
        "convert_measure",
        "is_valid_symbol",
        "quantity_of",
        "resolve_alias",
        "unit",
    }


def test_documentation_examples_run() -> None:
    docs = doctest.testfile(str(ROOT / "docs" / "units.md"), module_relative=False)
    assert docs.attempted > 10
    assert docs.failed == 0
    module = doctest.testmod(units)
    assert module.attempted > 5
    assert module.failed == 0
