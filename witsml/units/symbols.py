"""Parsing Energistics unit symbols into :class:`Unit` objects.

The grammar (Energistics Unit of Measure Standard, as the symbols in the dictionary use it)::

    symbol     = [multiplier " "] quotient
    multiplier = number                  "1000", "0.01", "1E-6", "1/30"
    quotient   = product ["/" product]   at most one "/" per level; "a/b.c" is a/(b.c)
    product    = factor {"." factor}
    factor     = "(" quotient ")" | "1" | [prefix] atom [exponent]
    exponent   = digit 1 to 9            "m3", "mi[US]2"

A unit is held exactly: a rational scale times a power of pi, an offset (absolute temperature
scales only) and a dimension vector. Conversion factors between two units are computed exactly
and rounded to float once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Final, NamedTuple

from witsml.errors import UnitError
from witsml.units.quantities import (
    QUANTITY_CLASSES,
    STRUCTURAL_NAMES,
    THERMODYNAMIC_TEMPERATURE,
)
from witsml.units.table import ATOMS, BASE_DIMENSIONS, PREFIXES, Atom

Dims = tuple[int, ...]

_NO_DIMS: Final[Dims] = (0,) * len(BASE_DIMENSIONS)
_MULTIPLIER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:E[+-]?\d+)?(?:/\d+)? ")
_EXPONENT = re.compile(r"(.*?)([1-9])?", re.DOTALL)  # "m3", "in4": one digit
_DELIMITERS = frozenset("./() ")
_PREFIXES_LONGEST_FIRST = sorted(PREFIXES, key=len, reverse=True)  # "da" before "d"
_MAX_LENGTH = 64  # the schemas allow 32 characters; this bounds the parser's recursion
_SMALL_INTEGER = 10**6  # B/C is kept as a fraction when both fit (5/9, 381/1250)


def _exact(text: str) -> Fraction:
    """``"0.9143992/3"`` or ``"1E-6"`` as an exact fraction."""
    numerator, _, denominator = text.partition("/")
    value = Fraction(numerator)
    return value / Fraction(denominator) if denominator else value


def format_dims(dims: Dims) -> str:
    """A dimension vector as text: ``"L-1.M.T-2"`` for pressure, ``""`` when dimensionless."""
    parts = []
    for name, power in zip(BASE_DIMENSIONS, dims, strict=True):
        if power:
            parts.append(name if power == 1 else f"{name}{power}")
    return ".".join(parts)


@dataclass(frozen=True, slots=True)
class _Value:
    """The exact value of a unit expression: ``scale * pi**pi`` in the base units."""

    scale: Fraction
    pi: int
    dims: Dims

    def __mul__(self, other: _Value) -> _Value:
        dims = tuple(a + b for a, b in zip(self.dims, other.dims, strict=True))
        return _Value(self.scale * other.scale, self.pi + other.pi, dims)

    def __truediv__(self, other: _Value) -> _Value:
        dims = tuple(a - b for a, b in zip(self.dims, other.dims, strict=True))
        return _Value(self.scale / other.scale, self.pi - other.pi, dims)

    def __pow__(self, power: int) -> _Value:
        return _Value(self.scale**power, self.pi * power, tuple(d * power for d in self.dims))


_ONE: Final = _Value(Fraction(1), 0, _NO_DIMS)


class _AtomValue(NamedTuple):
    value: _Value
    atom: Atom


# --- syntax tree ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Factor:
    """An atom with its prefix and exponent, or ``"1"``."""

    value: _Value
    atom: Atom | None  # None for "1"
    prefixed: bool
    exponent: int


@dataclass(frozen=True)
class _Product:
    factors: tuple[_Node, ...]
    value: _Value


@dataclass(frozen=True)
class _Quotient:
    numerator: _Node
    denominator: _Node
    value: _Value


_Node = _Factor | _Product | _Quotient


class _Parser:
    """Recursive descent over one symbol; atoms are looked up in ``atoms``."""

    def __init__(self, symbol: str, atoms: dict[str, _AtomValue]) -> None:
        self.symbol = symbol
        self.atoms = atoms
        self.pos = 0

    def error(self, reason: str) -> UnitError:
        shown = (
            self.symbol if len(self.symbol) <= _MAX_LENGTH else self.symbol[:_MAX_LENGTH] + "..."
        )
        return UnitError(f"unknown unit {shown!r}: {reason}")

    def parse(self) -> tuple[Fraction, _Node]:
        if len(self.symbol) > _MAX_LENGTH:
            raise self.error(f"longer than {_MAX_LENGTH} characters")
        multiplier = Fraction(1)
        match = _MULTIPLIER.match(self.symbol)
        if match:
            multiplier = _exact(match.group()[:-1])
            if multiplier == 0:
                raise self.error("the multiplier is zero")
            self.pos = match.end()
        if self.pos == len(self.symbol):
            raise self.error("empty symbol")
        node = self.quotient()
        if self.pos != len(self.symbol):
            raise self.error(f"unexpected {self.symbol[self.pos]!r} at position {self.pos}")
        return multiplier, node

    def peek(self) -> str:
        return self.symbol[self.pos] if self.pos < len(self.symbol) else ""

    def quotient(self) -> _Node:
        numerator = self.product()
        if self.peek() != "/":
            return numerator
        self.pos += 1
        denominator = self.product()
        if self.peek() == "/":
            raise self.error(f"a second '/' at position {self.pos} needs parentheses")
        return _Quotient(numerator, denominator, numerator.value / denominator.value)

    def product(self) -> _Node:
        factors = [self.factor()]
        while self.peek() == ".":
            self.pos += 1
            factors.append(self.factor())
        if len(factors) == 1:
            return factors[0]
        value = _ONE
        for factor in factors:
            value = value * factor.value
        return _Product(tuple(factors), value)

    def factor(self) -> _Node:
        if self.peek() == "(":
            self.pos += 1
            node = self.quotient()
            if self.peek() != ")":
                raise self.error(f"missing ')' at position {self.pos}")
            self.pos += 1
            return node
        start = self.pos
        while self.pos < len(self.symbol) and self.symbol[self.pos] not in _DELIMITERS:
            if self.symbol[self.pos] == "[":
                close = self.symbol.find("]", self.pos)
                if close < 0:
                    raise self.error(f"unclosed '[' at position {self.pos}")
                self.pos = close
            self.pos += 1
        text = self.symbol[start : self.pos]
        if not text:
            what = repr(self.peek()) if self.peek() else "end of symbol"
            raise self.error(f"a unit is missing before {what} at position {self.pos}")
        return self.atom(text)

    def atom(self, text: str) -> _Factor:
        if text == "1":
            return _Factor(_ONE, None, False, 1)
        match = _EXPONENT.fullmatch(text)
        assert match is not None
        name, exponent_text = match.group(1), match.group(2)
        if not name:
            raise self.error(f"{text!r} is not a unit")
        exponent = int(exponent_text) if exponent_text else 1
        found = self.atoms.get(name)
        prefixed = False
        if found is not None:
            value, atom = found
        else:
            value, atom = self.prefixed(name)
            prefixed = True
        return _Factor(value**exponent, atom, prefixed, exponent)

    def prefixed(self, name: str) -> _AtomValue:
        for prefix in _PREFIXES_LONGEST_FIRST:
            if name.startswith(prefix) and name[len(prefix) :] in self.atoms:
                value, atom = self.atoms[name[len(prefix) :]]
                if not atom.prefixable:
                    raise self.error(f"{atom.symbol!r} does not take SI prefixes ({name!r})")
                scaled = _Value(value.scale * _exact(PREFIXES[prefix]), value.pi, value.dims)
                return _AtomValue(scaled, atom)
        raise self.error(f"{name!r} is not an Energistics unit")


def _build_atoms() -> dict[str, _AtomValue]:
    atoms: dict[str, _AtomValue] = {}
    for atom in ATOMS:
        if atom.definition.startswith("@"):
            dims = tuple(int(d == atom.definition[1:]) for d in BASE_DIMENSIONS)
            base = _Value(Fraction(1), 0, dims)
        else:
            multiplier, node = _Parser(atom.definition, atoms).parse()
            base = _Value(node.value.scale * multiplier, node.value.pi, node.value.dims)
        factor = _Value(_exact(atom.factor), atom.pi_power, _NO_DIMS)
        atoms[atom.symbol] = _AtomValue(factor * base, atom)
    return atoms


_ATOMS: Final = _build_atoms()


def _reference_dims(symbol: str) -> Dims:
    return _Parser(symbol, _ATOMS).parse()[1].value.dims


def _build_quantity_names() -> dict[Dims, list[str]]:
    names: dict[Dims, list[str]] = {}
    for name, reference in QUANTITY_CLASSES:
        names.setdefault(_reference_dims(reference), []).append(name)
    return names


_QUANTITY_NAMES: Final = _build_quantity_names()


@dataclass(frozen=True)
class Unit:
    """A unit of measure: its symbol, quantity class, dimension and exact conversion to SI.

    Converting a value ``x`` in this unit to the coherent SI unit of its dimension follows the
    Energistics dictionary form ``(A + B·x) / (C + D·x)``, see :attr:`factors`; ``A`` is
    non-zero for ``degC`` and ``degF`` only.
    """

    #: The canonical Energistics symbol, for example ``"gal[US]/min"``.
    symbol: str
    #: The quantity class, for example ``"volume per time"`` (see docs/units.md for the names).
    quantity: str
    #: The dimension as text, for example ``"L3.T-1"``; ``""`` for dimensionless units.
    dimension: str
    _value: _Value = field(repr=False, compare=False)
    _offset: Fraction = field(repr=False, compare=False)
    _absolute: bool = field(repr=False, compare=False)

    @property
    def factors(self) -> tuple[float, float, float, float]:
        """``(A, B, C, D)`` such that the SI value is ``(A + B·x) / (C + D·x)``.

        ``B/C`` is the exact ratio when it is a fraction of small integers (``ft`` is
        ``381/1250`` m), otherwise ``C`` is 1. ``D`` is 0 for every unit.
        """
        return _form(self._value.scale, self._value.pi, self._offset)

    @property
    def is_absolute_temperature(self) -> bool:
        """True for the scales ``K``, ``degC``, ``degF``, ``degR`` written alone.

        Inside a compound symbol (``degC/m``) a temperature unit is an interval and carries no
        offset; ``deltaC`` and friends are always intervals.
        """
        return self._absolute

    def is_compatible(self, other: Unit) -> bool:
        """True when values convert between the two units (same dimension, same kind)."""
        return self._value.dims == other._value.dims and self._absolute == other._absolute

    def describe(self) -> str:
        """The symbol and its quantity, as error messages name a unit: ``'m' (length)``."""
        return f"{self.symbol!r} ({self.quantity})"

    def __str__(self) -> str:
        return self.symbol


def _form(scale: Fraction, pi: int, offset: Fraction) -> tuple[float, float, float, float]:
    """The dictionary form ``(A, B, C, D)`` of ``y = scale·pi^pi·x + offset``."""
    if not pi and max(scale.numerator, scale.denominator) <= _SMALL_INTEGER:
        denominator = scale.denominator
        return float(offset * denominator), float(scale.numerator), float(denominator), 0.0
    return float(offset), float(scale) * math.pi**pi, 1.0, 0.0


def dictionary_form(source: Unit, target: Unit) -> tuple[float, float, float, float]:
    """``(A, B, C, D)`` taking a value in ``source`` to ``target``: ``(A + B·x) / (C + D·x)``.

    Raises :class:`~witsml.errors.UnitError` naming both units when they do not convert.
    """
    if not source.is_compatible(target):
        why = ""
        if source._value.dims == target._value.dims:
            why = "; a temperature on a scale and a temperature interval do not convert"
        raise UnitError(f"cannot convert {source.describe()} to {target.describe()}{why}")
    ratio = source._value / target._value
    offset = (source._offset - target._offset) / target._value.scale
    return _form(ratio.scale, ratio.pi, offset)


def _default_name(node: _Node) -> str | None:
    """The quantity of a part of a symbol taken alone: its atom's, or its dimension's default."""
    if isinstance(node, _Factor) and node.atom and node.atom.quantity and node.exponent == 1:
        return node.atom.quantity
    names = _QUANTITY_NAMES.get(node.value.dims)
    return names[0] if names else None


def _structural_name(node: _Node) -> str | None:
    """The name the symbol's shape spells: ``bbl/ft`` is a volume per length, not an area."""
    if isinstance(node, _Quotient):
        numerator, denominator = _default_name(node.numerator), _default_name(node.denominator)
        if numerator and denominator:
            return f"{numerator} per {denominator}"
    elif isinstance(node, _Product) and len(node.factors) == 2:
        first, second = (_default_name(f) for f in node.factors)
        if first and second:
            for name in (f"{first} {second}", f"{second} {first}"):
                name = STRUCTURAL_NAMES.get(name, name)
                if name in _QUANTITY_NAMES.get(node.value.dims, ()):
                    return name
    return None


def _quantity(node: _Node, absolute: bool) -> str:
    if absolute:
        return THERMODYNAMIC_TEMPERATURE
    names = _QUANTITY_NAMES.get(node.value.dims)
    if not names:
        return format_dims(node.value.dims)
    if isinstance(node, _Factor):
        return _default_name(node) or names[0]
    structural = _structural_name(node)
    return structural if structural in names else names[0]


@lru_cache(maxsize=4096)
def parse_symbol(symbol: str) -> Unit:
    """Parse a symbol written in the Energistics grammar (no aliases).

    Raises :class:`~witsml.errors.UnitError` naming the symbol and what is wrong with it.
    """
    multiplier, node = _Parser(symbol, _ATOMS).parse()
    value = _Value(node.value.scale * multiplier, node.value.pi, node.value.dims)
    alone = isinstance(node, _Factor) and node.exponent == 1 and not node.prefixed
    absolute, offset = False, Fraction(0)
    if alone and isinstance(node, _Factor) and node.atom and node.atom.absolute:
        if multiplier != 1:
            raise UnitError(f"unknown unit {symbol!r}: a temperature scale takes no multiplier")
        absolute, offset = True, _exact(node.atom.offset)
    scale = value.scale * math.pi**value.pi if value.pi else value.scale
    try:
        float_scale = float(scale)
    except OverflowError:
        float_scale = math.inf
    if not 0 < abs(float_scale) < math.inf:
        raise UnitError(f"unknown unit {symbol!r}: its size is out of the range of a float")
    return Unit(
        symbol=symbol,
        quantity=_quantity(node, absolute),
        dimension=format_dims(value.dims),
        _value=value,
        _offset=offset,
        _absolute=absolute,
    )


__all__ = ["Unit", "dictionary_form", "format_dims", "parse_symbol"]
