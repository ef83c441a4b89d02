"""Random numbers addressed by position, so that the rig's output does not depend on batching.

Every draw is named by a stream (what it is for) and a position (a sample number, a depth row,
a stand). Values come from fixed-size blocks, each from its own generator seeded with
``(seed, stream, block)``: the value at a position is the same whether it is asked for alone or
inside a longer range, which is what lets ``rig.advance(1)`` twice equal ``rig.advance(2)``.
"""

from __future__ import annotations

import enum
from collections import OrderedDict

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

BLOCK = 4096
"""Positions per generated block."""

_NEGATIVE_OFFSET = 2**40  # seeds must be non-negative; positions before 0 map above this
_CACHED_BLOCKS = 2  # per stream
_SMOOTH_RMS = 0.862  # RMS of two unit normals joined by a smoothstep: scales smooth() to ~1


class Stream(enum.IntEnum):
    """What a draw is for: each stream is an independent sequence."""

    STAND = 1
    HARDNESS = 2
    LAYERS = 3
    WOB = 4
    RPM = 5
    FLOW = 6
    GAS = 7
    MUD = 8
    TEMPERATURE = 9
    PIT = 10
    INCLINATION = 11
    AZIMUTH = 12
    TIME_SENSOR = 13
    TIME_DROPOUT = 14
    DEPTH_SENSOR = 15
    DEPTH_DROPOUT = 16
    GAS_TRAP = 17
    DENSITOMETER = 18
    WELL = 19


class Noise:
    """Deterministic noise for one seed: white noise by position, smooth noise along an axis."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        # the latest blocks of each stream: reading goes forward, batch after batch
        self._blocks: dict[tuple[int, str, int], OrderedDict[int, Floats]] = {}

    def generator(self, stream: Stream, key: int) -> np.random.Generator:
        """A generator of its own for one entity (a stand, a station)."""
        return np.random.default_rng([self.seed, int(stream), _key(key)])

    def normal(self, stream: Stream, start: int, stop: int, rows: int = 1) -> Floats:
        """Standard normal values at positions ``start..stop-1``: shape ``(rows, stop - start)``.

        A stream must always be read with the same ``rows``.
        """
        return self._range(stream, "normal", start, stop, rows)

    def uniform(self, stream: Stream, start: int, stop: int, rows: int = 1) -> Floats:
        """Uniform values in [0, 1) at positions ``start..stop-1``: shape ``(rows, n)``."""
        return self._range(stream, "uniform", start, stop, rows)

    def smooth(self, stream: Stream, x: Floats, scale: float) -> Floats:
        """Smooth noise along ``x`` (depth, seconds): about unit spread, varying over ``scale``.

        Value noise: independent normal values at every multiple of ``scale``, joined by a
        smoothstep curve.
        """
        u: Floats = np.asarray(x, dtype=np.float64) / scale
        if u.size == 0:
            return np.zeros(0)
        low = np.floor(u)
        first = int(low.min())
        knots: Floats = self.normal(stream, first, int(low.max()) + 2)[0]
        i = (low - first).astype(np.intp)
        f = u - low
        w = f * f * (3.0 - 2.0 * f)
        return (knots[i] * (1.0 - w) + knots[i + 1] * w) / _SMOOTH_RMS

    def steps(self, stream: Stream, x: Floats, scale: float) -> Floats:
        """Piecewise-constant noise: one normal value per interval of length ``scale``."""
        u: Floats = np.floor(np.asarray(x, dtype=np.float64) / scale)
        if u.size == 0:
            return np.zeros(0)
        first = int(u.min())
        knots: Floats = self.normal(stream, first, int(u.max()) + 1)[0]
        return knots[(u - first).astype(np.intp)]

    def _range(self, stream: Stream, kind: str, start: int, stop: int, rows: int) -> Floats:
        if stop <= start:
            return np.zeros((rows, 0))
        first, last = start // BLOCK, (stop - 1) // BLOCK
        parts = [self._block(stream, kind, rows, b) for b in range(first, last + 1)]
        whole = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        offset = start - first * BLOCK
        return whole[:, offset : offset + stop - start]

    def _block(self, stream: Stream, kind: str, rows: int, block: int) -> Floats:
        recent = self._blocks.setdefault((int(stream), kind, rows), OrderedDict())
        cached = recent.get(block)
        if cached is not None:
            return cached
        rng = np.random.default_rng([self.seed, int(stream), _key(block), rows])
        values = (
            rng.standard_normal((rows, BLOCK)) if kind == "normal" else rng.random((rows, BLOCK))
        )
        recent[block] = values
        if len(recent) > _CACHED_BLOCKS:
            recent.popitem(last=False)
        return values


def _key(position: int) -> int:
    return position if position >= 0 else _NEGATIVE_OFFSET - position
