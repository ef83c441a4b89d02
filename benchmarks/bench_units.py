"""Unit conversion, as the ETP client does on receive and a pipeline does on a log column.

Floors: a bare numpy ``array * factor`` for arrays, a bare Python ``x * factor`` for scalars;
``ratio`` is :func:`witsml.units.convert` over the floor. The first parse of a symbol is measured
separately (it is cached afterwards).
"""

from __future__ import annotations

import functools
import timeit
from collections.abc import Callable, Iterable

import numpy as np

from witsml.units import convert
from witsml.units.symbols import parse_symbol

_PAIRS = {
    "ft_to_m": ("ft", "m"),  # B/C = 381/1250: a multiply and a divide
    "psi_to_kPa": ("psi", "kPa"),  # one multiply
    "degF_to_degC": ("degF", "degC"),  # multiply, add, divide
}


def _per_op(statement: Callable[[], object], number: int) -> float:
    """Best of 5 runs, in microseconds per call."""
    return min(timeit.Timer(statement).repeat(repeat=5, number=number)) / number * 1e6


def run(quick: bool) -> Iterable[dict[str, object]]:
    size = 100_000 if quick else 1_000_000
    number = 20 if quick else 100
    column = np.random.default_rng(0).uniform(0.0, 30_000.0, size)
    floor_us = _per_op(lambda: column * 0.3048, number)
    for case, (source, target) in _PAIRS.items():
        us = _per_op(functools.partial(convert, column, source, target), number)
        yield {
            "case": f"array_{case}",
            "rows": size,
            "us_per_op": round(us, 1),
            "ns_per_value": round(us * 1000 / size, 3),
            "ratio": round(us / floor_us, 2),
        }
    yield {"case": "floor_numpy_multiply", "rows": size, "us_per_op": round(floor_us, 1)}

    scalar_number = 20_000 if quick else 200_000
    scalar_floor = _per_op(lambda: 8000.0 * 0.3048, scalar_number)
    for case, (source, target) in _PAIRS.items():
        us = _per_op(functools.partial(convert, 8000.0, source, target), scalar_number)
        yield {
            "case": f"scalar_{case}",
            "us_per_op": round(us, 3),
            "ratio": round(us / scalar_floor, 1),
        }
    yield {"case": "floor_python_multiply", "us_per_op": round(scalar_floor, 3)}

    symbols = ["1/30 dega/m", "Btu[IT]/(h.ft2.degF)", "lbm/gal[US]"]
    parse_number = 200 if quick else 2_000

    def parse_uncached() -> None:
        parse_symbol.cache_clear()
        for symbol in symbols:
            parse_symbol(symbol)

    us = _per_op(parse_uncached, parse_number) / len(symbols)
    yield {"case": "parse_symbol_uncached", "us_per_op": round(us, 2)}
