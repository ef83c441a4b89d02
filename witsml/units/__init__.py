"""Units of measure: Energistics unit symbols, quantity classes and conversion.

Every symbol of the Energistics unit dictionary resolves (``m``, ``klbf``, ``gal[US]/min``,
``1/30 dega/m``, ``1000 lbf.ft``...), and so does any symbol written in the same grammar from the
same units. Conversion is exact up to one final rounding, vectorized over numpy arrays::

    >>> from witsml import units
    >>> units.convert(10_000.0, "ft", "m")
    3048.0
    >>> units.convert([32.0, 212.0], "degF", "degC")
    array([  0., 100.])
    >>> units.quantity_of("kN.m")
    'moment of force'
    >>> units.convert(1.0, "m", "psi")
    Traceback (most recent call last):
    ...
    witsml.errors.UnitError: cannot convert 'm' (length) to 'psi' (pressure)

Vendor spellings (``gpm``, ``Klbf``, ``deg``, ``kft.lbf``) are read through an explicit alias
table. Functions that take a symbol accept them and issue a :class:`UnitAliasWarning` saying
how the spelling was read; :func:`resolve_alias` returns that note instead, for code that logs
it or stores the canonical symbol. Unknown symbols raise :class:`~witsml.errors.UnitError`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, overload

import numpy as np

from witsml.errors import UnitError
from witsml.units.aliases import ALIASES
from witsml.units.symbols import Unit, dictionary_form, parse_symbol

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
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
]


class UnitAliasWarning(UserWarning):
    """A unit was given in a vendor or legacy spelling and read as an Energistics symbol."""


@lru_cache(maxsize=4096)
def _resolve(symbol: str) -> tuple[str, str | None]:
    try:
        parse_symbol(symbol)
        return symbol, None
    except UnitError as error:
        unknown = error
    stripped = symbol.strip()
    if stripped != symbol and is_valid_symbol(stripped):
        return stripped, f"{symbol!r} read as {stripped!r} (surrounding space removed)"
    if stripped in ALIASES:
        canonical, why = ALIASES[stripped]
        note = f"{symbol!r} is not an Energistics unit symbol; read as {canonical!r}"
        return canonical, f"{note} ({why})" if why else note
    raise unknown


def resolve_alias(symbol: str) -> tuple[str, str | None]:
    """The Energistics symbol for ``symbol``, and a note when an alias had to be applied.

    >>> resolve_alias("gal[US]/min")
    ('gal[US]/min', None)
    >>> resolve_alias("gpm")
    ('gal[US]/min', "'gpm' is not an Energistics unit symbol; read as 'gal[US]/min'")

    Raises :class:`~witsml.errors.UnitError` when the symbol is neither valid nor a known alias.
    """
    return _resolve(symbol)


def _lookup(symbol: str) -> Unit:
    """The unit for ``symbol``, warning (at the caller's caller) when an alias was applied."""
    canonical, note = _resolve(symbol)
    if note:
        warnings.warn(note, UnitAliasWarning, stacklevel=3)
    return parse_symbol(canonical)


def unit(symbol: str, *, aliases: bool = True) -> Unit:
    """The :class:`Unit` for an Energistics symbol: its quantity class, dimension and factors.

    >>> u = unit("klbf")
    >>> u.symbol, u.quantity, u.factors
    ('klbf', 'force', (0.0, 4448.2216152605, 1.0, 0.0))

    With ``aliases=False`` only Energistics symbols are accepted and a vendor spelling raises
    :class:`~witsml.errors.UnitError` naming the symbol it would be read as.
    """
    if aliases:
        return _lookup(symbol)
    try:
        return parse_symbol(symbol)
    except UnitError as error:
        if symbol.strip() in ALIASES:
            canonical = ALIASES[symbol.strip()][0]
            raise UnitError(f"{error} (did you mean {canonical!r}?)") from None
        raise


def is_valid_symbol(symbol: str) -> bool:
    """True if ``symbol`` is written in the Energistics grammar from known units (no aliases)."""
    try:
        parse_symbol(symbol)
    except UnitError:
        return False
    return True


def quantity_of(symbol: str) -> str:
    """The quantity class of a unit: ``"length"``, ``"pressure"``, ``"angle per length"``..."""
    return _lookup(symbol).quantity


def compatible(a: str, b: str) -> bool:
    """True if values convert between the two units. Raises if either symbol is unknown."""
    return _lookup(a).is_compatible(_lookup(b))


@lru_cache(maxsize=4096)
def _plan(from_uom: str, to_uom: str) -> tuple[tuple[float, float, float, float], tuple[str, ...]]:
    """The dictionary-form factors from one unit to another, and the alias notes."""
    (source, source_note), (target, target_note) = _resolve(from_uom), _resolve(to_uom)
    factors = dictionary_form(parse_symbol(source), parse_symbol(target))
    return factors, tuple(note for note in (source_note, target_note) if note)


def conversion(from_uom: str, to_uom: str) -> tuple[float, float, float, float]:
    """``(A, B, C, D)`` such that ``x`` in ``from_uom`` is ``(A + B·x) / (C + D·x)`` in ``to_uom``.

    ``D`` is always 0. ``B/C`` is the exact ratio of the two units when it is a fraction of
    small integers (``5/9`` for ``degF`` to ``degC``, with ``A`` = -160), so a caller that
    converts elsewhere (SQL, another language) gets the same results as :func:`convert`.
    """
    factors, notes = _plan(from_uom, to_uom)
    for note in notes:
        warnings.warn(note, UnitAliasWarning, stacklevel=2)
    return factors


@overload
def convert(values: float, from_uom: str, to_uom: str) -> float: ...


@overload
def convert(values: npt.ArrayLike, from_uom: str, to_uom: str) -> npt.NDArray[np.float64]: ...


def convert(
    values: float | npt.ArrayLike, from_uom: str, to_uom: str
) -> float | npt.NDArray[np.float64]:
    """Convert values from one unit to another.

    A Python or numpy scalar gives a ``float``; anything else (list, numpy array, pandas
    Series) gives a new float64 numpy array. NaN stays NaN. Raises
    :class:`~witsml.errors.UnitError` for an unknown unit or incompatible units, naming both
    units and their quantities.
    """
    (a, b, c, _), notes = _plan(from_uom, to_uom)
    for note in notes:
        warnings.warn(note, UnitAliasWarning, stacklevel=2)
    if isinstance(values, int | float | np.number):
        return (a + b * float(values)) / c
    array = np.asarray(values, dtype=np.float64)
    out = array * b if b != 1.0 else array.copy()
    if a:
        out += a
    if c != 1.0:
        out /= c
    return out


@dataclass(frozen=True)
class MeasureValue:
    """A value with its unit; :meth:`to` converts it. The measure models build on this."""

    value: float
    uom: str

    @property
    def quantity(self) -> str:
        """The quantity class of :attr:`uom`."""
        return quantity_of(self.uom)

    def to(self, uom: str) -> MeasureValue:
        """The same measure in ``uom`` (given as an Energistics symbol or an alias)."""
        target = _lookup(uom).symbol
        return MeasureValue(convert(self.value, _lookup(self.uom).symbol, target), target)


def convert_measure(value: float, uom: str, to_uom: str) -> MeasureValue:
    """``value`` in ``uom``, converted to ``to_uom``: the helper for measure models."""
    return MeasureValue(value, uom).to(to_uom)
