"""What the crew does and when: drilling a stand, then a connection, stand after stand.

Each stand (three joints, about 28.5 m) is drilled on bottom, rotating or sliding; then the
driller picks up off bottom, circulates, stops the pumps, sets the slips, raises the block and
makes up the next stand, starts the pumps, washes down to bottom and drills it. The timeline is
built one stand at a time, each from its own draws, so any instant can be looked up
(:meth:`Schedule.activity`) whatever was asked before: the rig's readings are functions of time.

Times are seconds since the rig started; depths are measured depths in metres.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from etp.simulator.noise import Noise, Stream

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

BLOCK_LOW = 1.2
"""Block position (m above the rig floor) with a stand drilled down."""
BLOCK_SPEED = 0.6
"""How fast the block travels up to pick up the next stand, m/s."""
SENSOR_OFFSET = 14.5
"""Distance from the bit up to the MWD survey sensor, m."""
PICK_UP_DRAG = 25.0
"""Overpull while picking up off bottom, kN."""
SLACK_OFF_DRAG = -20.0
"""Drag while washing down to bottom, kN."""
_DRILL_STEP = 0.05  # m: resolution of each stand's depth-time table


class Phase(enum.IntEnum):
    """The steps of one stand, in order: the connection, then drilling."""

    PICK_UP = 0
    CIRCULATE = 1
    PUMPS_OFF = 2
    IN_SLIPS = 3
    PUMPS_ON = 4
    WASH_DOWN = 5
    DRILL = 6


@dataclass(frozen=True, eq=False)
class Stand:
    """One stand: where it is drilled, its connection's timing, its drilling depth-time table.

    ``starts`` holds the start time of each :class:`Phase` then the drilling end; stand 0 has
    no connection (the rig starts drilling at time 0). ``drill_depth`` and ``drill_time`` give
    the hole depth against time since drilling started.
    """

    number: int
    top: float
    length: float
    pick_up: float
    slide_to: float
    starts: Floats
    drill_depth: Floats
    drill_time: Floats
    survey_delay: float

    @property
    def bottom(self) -> float:
        """Hole depth when the stand is drilled down."""
        return self.top + self.length

    @property
    def end(self) -> float:
        """Time the stand is drilled down."""
        return float(self.starts[-1])

    @property
    def survey_depth(self) -> float:
        """Measured depth of the survey taken during this stand's connection."""
        return self.top - self.pick_up - SENSOR_OFFSET

    @property
    def survey_time(self) -> float:
        """When the survey is taken: pumps off, string still, in the slips."""
        return float(self.starts[Phase.IN_SLIPS]) + 20.0

    @property
    def survey_sent(self) -> float:
        """When the survey reaches the surface (mud-pulsed once the pumps are back on)."""
        return float(self.starts[Phase.WASH_DOWN]) + self.survey_delay


@dataclass(frozen=True, eq=False)
class Activity:
    """The rig's state at a set of times (one value per time in every array).

    ``flow`` and ``rotation`` are fractions of the driller's settings (0 = stopped);
    ``rotation`` is 0 while sliding (a downhole motor turns the bit, not the top drive).
    ``drag`` is the extra hookload from moving the string (kN); ``make_up`` marks the top drive
    torquing up a connection.
    """

    hole_depth: Floats
    bit_depth: Floats
    block_position: Floats
    flow: Floats
    rotation: Floats
    drag: Floats
    on_bottom: Bools
    sliding: Bools
    in_slips: Bools
    make_up: Bools


RateOfPenetration = Callable[[Floats, Floats], Floats]
"""``rop(depths, sliding)``: m/h drilling at each depth (``sliding`` is 0/1 per depth)."""


class Schedule:
    """The rig's timeline from time 0, extended stand by stand as far as it is asked about."""

    def __init__(
        self,
        noise: Noise,
        start_depth: float,
        rop: RateOfPenetration,
        slide_chance: Callable[[float], float],
    ) -> None:
        self._noise = noise
        self._rop = rop
        self._slide_chance = slide_chance
        self.stands: list[Stand] = []
        self._stand_starts: list[float] = []
        self._starts: Floats = np.zeros(0)
        self._add(start_depth)

    @property
    def end(self) -> float:
        """Time up to which the timeline is built."""
        return self.stands[-1].end

    def extend_to(self, t: float) -> None:
        """Build stands until the timeline reaches past time ``t``."""
        while self.end <= t:
            self._add(self.stands[-1].bottom)

    def activity(self, t: Floats) -> Activity:
        """The rig's state at the sorted times ``t`` (seconds, all ≥ 0)."""
        n = len(t)
        hole, bit, block = np.empty(n), np.empty(n), np.empty(n)
        flow, rotation, drag = np.zeros(n), np.zeros(n), np.zeros(n)
        on_bottom, sliding = np.zeros(n, np.bool_), np.zeros(n, np.bool_)
        in_slips, make_up = np.zeros(n, np.bool_), np.zeros(n, np.bool_)
        for stand, phase, lo, hi in self._segments(t):
            part = slice(lo, hi)
            begin, end = float(stand.starts[phase]), float(stand.starts[phase + 1])
            tau = t[part] - begin
            progress = np.clip(tau / (end - begin), 0.0, 1.0) if end > begin else np.ones(hi - lo)
            top, h = stand.top, stand.pick_up
            hole[part] = top
            if phase is Phase.DRILL:
                hole[part] = np.interp(tau, stand.drill_time, stand.drill_depth)
                bit[part] = hole[part]
                slide = hole[part] < stand.slide_to
                sliding[part] = slide
                on_bottom[part] = True
                flow[part] = 1.0
                rotation[part] = np.where(slide, 0.0, 1.0)
            elif phase is Phase.PICK_UP:
                bit[part] = top - h * progress
                flow[part] = 1.0
                rotation[part] = 1.0 - 0.5 * progress
                drag[part] = PICK_UP_DRAG
            elif phase is Phase.CIRCULATE:
                bit[part] = top - h
                flow[part] = 1.0
                rotation[part] = 0.5
            elif phase is Phase.PUMPS_OFF:
                bit[part] = top - h
                flow[part] = 1.0 - progress
                rotation[part] = 0.5 * np.maximum(1.0 - 3.0 * progress, 0.0)
            elif phase is Phase.IN_SLIPS:
                bit[part] = top - h
                in_slips[part] = True
                travel = np.clip((tau - 10.0) * BLOCK_SPEED, 0.0, stand.length)
                block[part] = BLOCK_LOW + h + travel
                make_up[part] = (tau > end - begin - 10.0) & (tau < end - begin - 6.0)
            elif phase is Phase.PUMPS_ON:
                bit[part] = top - h
                flow[part] = progress
            else:  # WASH_DOWN
                bit[part] = top - h * (1.0 - progress)
                flow[part] = 1.0
                rotation[part] = 0.5
                drag[part] = SLACK_OFF_DRAG
            if phase in (Phase.PICK_UP, Phase.CIRCULATE, Phase.PUMPS_OFF):
                block[part] = BLOCK_LOW + top - bit[part]
            elif phase is not Phase.IN_SLIPS:
                block[part] = BLOCK_LOW + stand.bottom - bit[part]
        return Activity(
            hole, bit, block, flow, rotation, drag, on_bottom, sliding, in_slips, make_up
        )

    def hole_depth(self, t: Floats) -> Floats:
        """Hole depth at the sorted times ``t``."""
        hole = np.empty(len(t))
        for stand, phase, lo, hi in self._segments(t):
            if phase is Phase.DRILL:
                tau = t[lo:hi] - stand.starts[Phase.DRILL]
                hole[lo:hi] = np.interp(tau, stand.drill_time, stand.drill_depth)
            else:
                hole[lo:hi] = stand.top
        return hole

    def flow(self, t: Floats) -> Floats:
        """Pump rate at the sorted times ``t``, as a fraction of the driller's setting."""
        flow = np.ones(len(t))
        for stand, phase, lo, hi in self._segments(t):
            if phase in (Phase.PUMPS_OFF, Phase.PUMPS_ON):
                begin, end = stand.starts[phase], stand.starts[phase + 1]
                progress = np.clip((t[lo:hi] - begin) / (end - begin), 0.0, 1.0)
                flow[lo:hi] = 1.0 - progress if phase is Phase.PUMPS_OFF else progress
            elif phase is Phase.IN_SLIPS:
                flow[lo:hi] = 0.0
        return flow

    def crossings(self, stand: Stand, depths: Floats) -> Floats:
        """When the bit drills through ``depths`` (within the stand), in seconds."""
        drilled = np.interp(depths, stand.drill_depth, stand.drill_time)
        return drilled + stand.starts[Phase.DRILL]  # type: ignore[no-any-return]

    def stands_between(self, t0: float, t1: float) -> list[Stand]:
        """The stands whose time span meets ``[t0, t1]`` (built as far as ``t1``)."""
        self.extend_to(t1)
        first = max(bisect.bisect_right(self._stand_starts, t0) - 1, 0)
        return self.stands[first : bisect.bisect_right(self._stand_starts, t1)]

    def _segments(self, t: Floats) -> list[tuple[Stand, Phase, int, int]]:
        """(stand, phase, first, end) for each run of ``t`` within one phase."""
        if len(t) == 0:
            return []
        self.extend_to(float(t[-1]))
        found = np.searchsorted(self._starts, t, side="right") - 1
        found = np.maximum(found, 0)
        cuts = np.flatnonzero(np.diff(found)) + 1
        bounds = [0, *cuts.tolist(), len(t)]
        segments = []
        for lo, hi in itertools.pairwise(bounds):
            number, phase = divmod(int(found[lo]), len(Phase))
            segments.append((self.stands[number], Phase(phase), lo, hi))
        return segments

    def _add(self, top: float) -> None:
        number = len(self.stands)
        rng = self._noise.generator(Stream.STAND, number)
        length = round(float(rng.uniform(9.2, 9.8, 3).sum()), 2)
        pick_up = float(rng.uniform(1.0, 2.5))
        durations = rng.uniform([20, 60, 20, 100, 30, 30], [40, 240, 30, 240, 60, 60])
        slides = float(rng.random()) < self._slide_chance(top)
        slide_length = float(rng.uniform(3.0, 10.0))
        survey_delay = float(rng.uniform(60.0, 120.0))
        if number == 0:
            durations[:] = 0.0
        steps = max(math.ceil(length / _DRILL_STEP), 1)
        depth = np.linspace(top, top + length, steps + 1)
        middle = (depth[:-1] + depth[1:]) / 2
        slide_to = top + slide_length if slides else top
        rate = self._rop(middle, (middle < slide_to).astype(np.float64))
        drill_time = np.concatenate([[0.0], np.cumsum(np.diff(depth) / rate * 3600.0)])
        begin = self.stands[-1].end if self.stands else 0.0
        starts = begin + np.concatenate([[0.0], np.cumsum(durations), [0.0]])
        starts[-1] = starts[-2] + drill_time[-1]
        stand = Stand(
            number, top, length, pick_up, slide_to, starts, depth, drill_time, survey_delay
        )
        self.stands.append(stand)
        self._stand_starts.append(float(starts[0]))
        self._starts = np.concatenate([self._starts, starts[:-1]])
