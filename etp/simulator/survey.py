"""The well's path and its survey stations (minimum curvature).

The path follows a build-and-hold plan (vertical to the kickoff point, building at a steady
rate to the hold angle on a fixed azimuth) with the wander of a real bore. Stations sample it;
positions come from the minimum-curvature method, station after station from the tie-in at
surface, as a survey contractor computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from etp.simulator.noise import Noise, Stream

Floats = npt.NDArray[np.float64]

_GRID = 1.0  # m: the resolution of the TVD table behind the TVD channel
_GRID_CHUNK = 1000  # m of table built at a time


@dataclass(frozen=True)
class Plan:
    """A build-and-hold well plan: angles in degrees, build rate in degrees per 30 m."""

    kickoff: float
    build_rate: float
    hold: float
    azimuth: float

    @classmethod
    def draw(cls, noise: Noise) -> Plan:
        """A plan for the rig's seed."""
        rng = noise.generator(Stream.WELL, 0)
        return cls(
            kickoff=float(np.round(rng.uniform(400, 900), -1)),
            build_rate=float(rng.choice([2.0, 2.5, 3.0])),
            hold=float(np.round(rng.uniform(25, 55))),
            azimuth=float(np.round(rng.uniform(0, 360), 1)),
        )

    @property
    def end_of_build(self) -> float:
        """Measured depth where the build reaches the hold angle."""
        return self.kickoff + self.hold / self.build_rate * 30.0

    def inclination(self, md: Floats) -> Floats:
        """The planned inclination at ``md``, degrees."""
        return np.clip((md - self.kickoff) * self.build_rate / 30.0, 0.0, self.hold)


@dataclass(frozen=True)
class Fix:
    """One survey station: measured depth, angles and the position minimum curvature gives.

    Depths and displacements in m from the well's datum, angles in degrees, ``dls`` (dogleg
    severity) in degrees per 30 m, ``vertical_section`` along the plan's azimuth.
    """

    md: float
    inclination: float
    azimuth: float
    tvd: float
    north: float
    east: float
    vertical_section: float
    dls: float


class WellPath:
    """Inclination and azimuth along measured depth: the plan plus smooth wander."""

    def __init__(self, noise: Noise, plan: Plan) -> None:
        self.plan = plan
        self._noise = noise
        self._grid_md: Floats = np.zeros(1)
        self._grid_tvd: Floats = np.zeros(1)

    def inclination(self, md: Floats) -> Floats:
        """Degrees at ``md``: the plan, ±0.5° of wander (never below vertical)."""
        wander = 0.5 * self._noise.smooth(Stream.INCLINATION, md, 90.0)
        return np.abs(self.plan.inclination(md) + wander)

    def azimuth(self, md: Floats) -> Floats:
        """Degrees from grid north at ``md``: the plan's, wandering a few degrees."""
        wander = 3.0 * self._noise.smooth(Stream.AZIMUTH, md, 150.0)
        return np.mod(self.plan.azimuth + wander, 360.0)

    def tvd(self, md: Floats) -> Floats:
        """True vertical depth at ``md`` (interpolated in a 1 m minimum-curvature table)."""
        top = float(np.max(md, initial=0.0))
        while self._grid_md[-1] < top:
            self._extend()
        return np.interp(md, self._grid_md, self._grid_tvd)

    def fixes(self, depths: Floats, previous: Fix | None = None) -> list[Fix]:
        """Stations at increasing ``depths``, continuing from ``previous`` (else a vertical
        tie-in at depth 0). Depths and angles are rounded to 0.01 as reported, and positions
        computed from the reported values."""
        last = previous or Fix(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        md = np.round(depths, 2)
        inc = np.round(self.inclination(md), 2)
        azi = np.mod(np.round(self.azimuth(md), 2), 360.0)
        dtvd, dnorth, deast, dogleg = minimum_curvature(
            np.concatenate([[last.md], md]),
            np.concatenate([[last.inclination], inc]),
            np.concatenate([[last.azimuth], azi]),
        )
        tvd = last.tvd + np.cumsum(dtvd)
        north, east = last.north + np.cumsum(dnorth), last.east + np.cumsum(deast)
        direction = math.radians(self.plan.azimuth)
        section = north * math.cos(direction) + east * math.sin(direction)
        course = np.diff(np.concatenate([[last.md], md]))
        dls = np.where(course > 0, dogleg * 30.0 / np.where(course > 0, course, 1.0), 0.0)
        columns = (md, inc, azi, tvd, north, east, section, dls)
        return [Fix(*row) for row in zip(*(c.tolist() for c in columns), strict=True)]

    def _extend(self) -> None:
        start = self._grid_md[-1]
        md = start + _GRID * np.arange(0, int(_GRID_CHUNK / _GRID) + 1)
        dtvd = minimum_curvature(md, self.inclination(md), self.azimuth(md))[0]
        self._grid_md = np.concatenate([self._grid_md, md[1:]])
        self._grid_tvd = np.concatenate([self._grid_tvd, self._grid_tvd[-1] + np.cumsum(dtvd)])


def minimum_curvature(
    md: Floats, inclination: Floats, azimuth: Floats
) -> tuple[Floats, Floats, Floats, Floats]:
    """The minimum-curvature method over successive stations (angles in degrees).

    Returns, for each course between two successive stations, the change in TVD, north and
    east, and the dogleg in degrees: one value fewer than stations.
    """
    i, a = np.radians(inclination), np.radians(azimuth)
    i1, i2, a1, a2 = i[:-1], i[1:], a[:-1], a[1:]
    # the haversine form of the angle between the two directions, stable for small angles
    h = np.sin((i2 - i1) / 2) ** 2 + np.sin(i1) * np.sin(i2) * np.sin((a2 - a1) / 2) ** 2
    dogleg = 2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    straight = dogleg < 1e-9
    ratio = np.where(straight, 1.0, 2 / np.where(straight, 1.0, dogleg) * np.tan(dogleg / 2))
    half = np.diff(md) / 2 * ratio
    return (
        half * (np.cos(i1) + np.cos(i2)),
        half * (np.sin(i1) * np.cos(a1) + np.sin(i2) * np.cos(a2)),
        half * (np.sin(i1) * np.sin(a1) + np.sin(i2) * np.sin(a2)),
        np.degrees(dogleg),
    )
