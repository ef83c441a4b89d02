"""The rig: its objects, its clock, and the readings of its sensors, batch by batch.

Readings are functions of time: the crew's timeline (:mod:`etp.simulator.schedule`), the
formation and the driller's settings along depth, and sensor noise addressed by sample number
(:mod:`etp.simulator.noise`). So a batch is computed with numpy over all its samples at once,
and the data do not depend on how the time is cut into batches: ``advance(1)`` twice gives the
rows of ``advance(2)``. The depth log is sampled where the bit crosses each 0.1 m of new hole,
whatever the time log's rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from etp.messages.data_items import DataItems
from etp.simulator import objects
from etp.simulator.curves import CURVES, TIME_CURVES, Curve
from etp.simulator.noise import Noise, Stream
from etp.simulator.physics import (
    ANNULAR_CAPACITY,
    BLOCK_WEIGHT,
    HOLE_CAPACITY,
    corrected_d_exponent,
    rate_of_penetration,
    rotary_torque,
    standpipe_pressure,
    string_weight,
)
from etp.simulator.schedule import Activity, Phase, Schedule
from etp.simulator.survey import Fix, Plan, WellPath
from witsml.data import ChannelTable, Column
from witsml.objects import (
    Channel,
    DepthCoord,
    Log,
    Trajectory,
    TrajectoryStation,
    Well,
    Wellbore,
)

Floats = npt.NDArray[np.float64]

DEPTH_STEP = 0.1
"""Metres of new hole between two rows of the depth log."""
SURVEY_INTERVAL = 30.0
"""Spacing of the survey stations of the hole drilled before the rig starts, m."""

_ROWS_PER_METRE = round(1 / DEPTH_STEP)
_LAYER_THICKNESS = 45.0  # m: formation layers, each with its own strength
_NOMINAL_FLOW = 0.05  # m3/s (3000 L/min): sets the lag of returns behind the bit
_MAKE_UP_TORQUE = 32.0  # kN.m
_FLOWBACK = 1.6  # m3: the annulus drains back to the pits when the pumps stop
_PIT_FULL, _PIT_TRANSFER = 82.0, 12.0  # m3: active pit topped up by this much at a time
_STROKE_VOLUME = 19.1  # L per pump stroke
_PADDLE_FULL_FLOW = 3000.0 / 42.0  # L/min per % of the flow-out paddle
_TIME_DROPOUT = 1e-4  # chance of a missing reading per sample and channel
_DEPTH_DROPOUT = 2e-3
_ALWAYS_READ = frozenset({"BDEP", "HDEP"})  # depth encoders: never missing


@dataclass(frozen=True, eq=False)
class Batch:
    """New rows of one of the rig's logs, as numpy columns.

    ``index`` is the primary index: ``datetime64[us]`` (UTC) for the time log, float64 metres
    for the depth log. ``values`` holds one float64 array per channel of ``log``, in declaration
    order, NaN where a sensor gave no reading.
    """

    log: Log
    index: npt.NDArray[Any]
    values: tuple[Floats, ...]

    @property
    def channels(self) -> list[Channel]:
        """The channels of the log, in the order of ``values``."""
        return self.log.channel_sets[0].channels

    def columns(self) -> dict[str, Floats]:
        """Each channel's ETP URI (``eml:///witsml20.Channel(uuid)``) → its new values."""
        pairs = zip(self.channels, self.values, strict=True)
        return {channel.uri: values for channel, values in pairs}

    def table(self) -> ChannelTable:
        """The rows as a :class:`~witsml.data.ChannelTable` (for pandas or a ChannelSet)."""
        [index] = self.log.channel_sets[0].indexes
        index_column = Column.index(
            index.mnemonic, self.index, uom=index.uom, index_type=str(index.index_type)
        )
        channels = [
            Column.channel(channel.mnemonic, values, uom=channel.uom, data_type="double")
            for channel, values in zip(self.channels, self.values, strict=True)
        ]
        return ChannelTable([index_column], channels)

    def data_items(self, channel_ids: Mapping[str, int]) -> DataItems:
        """The rows as an ETP DataItem array (ChannelDataLoad ``ChannelData``), row by row:
        each index with the value of every channel in ``channel_ids``.

        ``channel_ids`` maps channel URIs to the ids the store gave them (OpenChannelsResponse);
        channels left out of it are left out of the items. Time indexes go as microseconds
        since 1970 UTC (long), depths as metres (double); missing values as null.
        """
        positions = {channel.uri: i for i, channel in enumerate(self.channels)}
        unknown = sorted(set(channel_ids) - set(positions))
        if unknown:
            raise ValueError(f"not channels of {self.log.uri}: {unknown}")
        chosen = [positions[uri] for uri in channel_ids]
        ids = np.fromiter(channel_ids.values(), np.int64, len(channel_ids))
        index = self.index.astype(np.int64) if self.index.dtype.kind == "M" else self.index
        values: Floats = (
            np.stack([self.values[i] for i in chosen], axis=1).ravel() if chosen else np.zeros(0)
        )
        rows = len(self.index)
        return DataItems(np.tile(ids, rows), np.repeat(index, len(ids)), values, np.isnan(values))

    def __len__(self) -> int:
        return len(self.index)


class RigObjects(NamedTuple):
    """The rig's WITSML objects, in the order to store them."""

    well: Well
    wellbore: Wellbore
    time_log: Log
    depth_log: Log
    trajectory: Trajectory


@dataclass(frozen=True, eq=False)
class Step:
    """What one :meth:`Rig.advance` produced between ``start`` (included) and ``end``."""

    start: datetime
    end: datetime
    time_log: Batch
    depth_log: Batch
    stations: tuple[TrajectoryStation, ...]

    @property
    def batches(self) -> tuple[Batch, Batch]:
        """The time log's and the depth log's batches."""
        return self.time_log, self.depth_log


class Rig:
    """A drilling rig making hole in a 12 1/4 in section, deterministic for its seed.

    ``rate_hz`` is the time log's sampling rate (1 to 1000 samples per second); the rig starts
    drilling at ``start_time`` (default: now, to the second) with the bit on bottom at
    ``start_depth`` metres measured depth. The same seed, rate, start time and depth always give
    the same objects and the same data; the objects' uuids depend on the seed alone, so two rigs
    feeding one store need different seeds.

    ``objects()`` gives the WITSML objects to store first; ``advance(seconds)`` moves the clock
    on and returns the new rows of both logs and any new survey stations.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        rate_hz: float = 1.0,
        start_time: datetime | None = None,
        start_depth: float = 1500.0,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
        if not 1.0 <= rate_hz <= 1000.0:
            raise ValueError(f"rate_hz must be between 1 and 1000, not {rate_hz!r}")
        if not 100.0 <= start_depth <= 10_000.0:
            raise ValueError(f"start_depth must be between 100 and 10000 m, not {start_depth!r}")
        if start_time is None:
            start_time = datetime.now(UTC).replace(microsecond=0)
        elif start_time.utcoffset() is None:
            raise ValueError(f"start_time must carry a time zone, not {start_time!r}")
        self.seed = seed
        self.rate_hz = float(rate_hz)
        self.start_time = start_time
        self.start_depth = float(start_depth)
        self._start_us = np.datetime64(start_time.astimezone(UTC).replace(tzinfo=None), "us")
        self._elapsed_us = 0
        self._noise = Noise(seed)
        self._path = WellPath(self._noise, Plan.draw(self._noise))
        self._schedule = Schedule(self._noise, self.start_depth, self._rate, self._slide_chance)
        self._build_objects()

    @property
    def plan(self) -> Plan:
        """The well plan the rig drills to (kickoff, build rate, hold angle, azimuth)."""
        return self._path.plan

    @property
    def time(self) -> datetime:
        """The rig's clock: the start time plus the time advanced so far."""
        return self.start_time + timedelta(microseconds=self._elapsed_us)

    @property
    def hole_depth(self) -> float:
        """Measured depth of the hole now, m."""
        return float(self._schedule.hole_depth(np.array([self._elapsed_us / 1e6]))[0])

    def objects(self) -> RigObjects:
        """Well, Wellbore, the time Log, the depth Log and the Trajectory, as they are now.

        The Logs declare their channels and carry no data (it comes in batches); the
        Trajectory holds every station surveyed so far. Copies: changing them changes nothing
        in the rig.
        """
        return RigObjects(
            self._well.model_copy(deep=True),
            self._wellbore.model_copy(deep=True),
            self._time_log.model_copy(deep=True),
            self._depth_log.model_copy(deep=True),
            self._trajectory.model_copy(deep=True),
        )

    def advance(self, seconds: float) -> Step:
        """Move the clock on by ``seconds`` and return what the rig recorded meanwhile.

        The time log gets every sample in ``[now, now + seconds)``, the depth log a row for
        each 0.1 m drilled in that time, the trajectory each survey that reached the surface.
        """
        if not seconds >= 0 or math.isinf(seconds):
            raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
        t0, t1 = self._elapsed_us, self._elapsed_us + round(seconds * 1e6)
        self._schedule.extend_to(t1 / 1e6)
        step = Step(
            start=self.time,
            end=self.start_time + timedelta(microseconds=t1),
            time_log=self._time_batch(t0, t1),
            depth_log=self._depth_batch(t0, t1),
            stations=self._surveys(t1),
        )
        self._elapsed_us = t1
        return step

    def skip(self, seconds: float) -> tuple[TrajectoryStation, ...]:
        """Move the clock on by ``seconds`` without recording the logs (the crew drilled on
        while the recorder was off); returns the survey stations that reached the surface."""
        if not seconds >= 0 or math.isinf(seconds):
            raise ValueError(f"seconds must be a finite number >= 0, not {seconds!r}")
        t1 = self._elapsed_us + round(seconds * 1e6)
        self._schedule.extend_to(t1 / 1e6)
        stations = self._surveys(t1)
        self._elapsed_us = t1
        return stations

    # -- objects --------------------------------------------------------------------------

    def _build_objects(self) -> None:
        seed, start = self.seed, self.start_time
        self._well = objects.well(seed, self._noise, start, self.start_depth)
        self._wellbore = objects.wellbore(seed, self._well, self._path.plan, start)
        self._time_log = objects.log(seed, self._wellbore, TIME_CURVES, objects.time_index(), start)
        self._depth_log = objects.log(seed, self._wellbore, CURVES, objects.depth_index(), start)
        # the hole already drilled was surveyed every 30 m, from spud until now
        depths = np.arange(0.0, self.start_depth - 20.0, SURVEY_INTERVAL)
        fixes = self._path.fixes(depths)
        spud = self._well.dtim_spud or start
        stations = [
            objects.station(n, fix, spud + (start - spud) * (fix.md / self.start_depth))
            for n, fix in enumerate(fixes)
        ]
        self._last_fix: Fix = fixes[-1]
        self._next_survey = 1  # the stand whose connection survey comes next
        self._trajectory = objects.trajectory(
            seed, self._wellbore, self._path.plan, start, stations
        )
        self._set_survey_range()

    def _set_survey_range(self) -> None:
        stations = self._trajectory.stations
        self._trajectory.md_mn = DepthCoord(
            value=stations[0].md.value, uom="m", datum=objects.DATUM
        )
        self._trajectory.md_mx = DepthCoord(
            value=stations[-1].md.value, uom="m", datum=objects.DATUM
        )

    def _surveys(self, t1: int) -> tuple[TrajectoryStation, ...]:
        """Stations whose survey reached the surface before ``t1`` (µs), not yet reported."""
        found = []
        stands = self._schedule.stands
        while self._next_survey < len(stands):
            stand = stands[self._next_survey]
            if round(stand.survey_sent * 1e6) >= t1:
                break
            [fix] = self._path.fixes(np.array([stand.survey_depth]), self._last_fix)
            taken = self.start_time + timedelta(seconds=stand.survey_time)
            number = len(self._trajectory.stations)
            found.append(objects.station(number, fix, taken.replace(microsecond=0)))
            self._trajectory.stations.append(found[-1])
            self._last_fix = fix
            self._next_survey += 1
        if found:
            self._set_survey_range()
        return tuple(station.model_copy() for station in found)

    # -- batches --------------------------------------------------------------------------

    def _time_batch(self, t0: int, t1: int) -> Batch:
        rate = self.rate_hz
        first = max(math.floor(t0 * rate / 1e6) - 1, 0)
        k = np.arange(first, math.ceil(t1 * rate / 1e6) + 1)
        when = np.rint(k * (1e6 / rate)).astype(np.int64)
        keep = (when >= t0) & (when < t1)
        k, when = k[keep], when[keep]
        seconds = when / 1e6
        values = self._readings(
            seconds,
            TIME_CURVES,
            self._noise.normal(Stream.TIME_SENSOR, *_span(k), rows=len(TIME_CURVES)),
            self._noise.uniform(Stream.TIME_DROPOUT, *_span(k), rows=len(TIME_CURVES))
            < _TIME_DROPOUT,
        )
        return Batch(self._time_log, self._start_us + when.astype("timedelta64[us]"), values)

    def _depth_batch(self, t0: int, t1: int) -> Batch:
        rows: list[npt.NDArray[np.int64]] = []
        times: list[Floats] = []
        for stand in self._schedule.stands_between(t0 / 1e6, t1 / 1e6):
            first = math.floor(stand.top * _ROWS_PER_METRE)
            j = np.arange(first, math.ceil(stand.bottom * _ROWS_PER_METRE) + 1)
            depth = j / _ROWS_PER_METRE
            inside = (depth > stand.top) & (depth <= stand.bottom)
            j, depth = j[inside], depth[inside]
            crossed = self._schedule.crossings(stand, depth)
            crossed_us = np.rint(crossed * 1e6)
            keep = (crossed_us >= t0) & (crossed_us < t1)
            rows.append(j[keep])
            times.append(crossed[keep])
        j = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        seconds = np.concatenate(times) if times else np.zeros(0)
        values = self._readings(
            seconds,
            CURVES,
            self._noise.normal(Stream.DEPTH_SENSOR, *_span(j), rows=len(CURVES)),
            self._noise.uniform(Stream.DEPTH_DROPOUT, *_span(j), rows=len(CURVES)) < _DEPTH_DROPOUT,
        )
        return Batch(self._depth_log, j / _ROWS_PER_METRE, values)

    # -- the model ------------------------------------------------------------------------

    def _hardness(self, depth: Floats) -> Floats:
        """Formation strength along depth (1 = average): layers, variation within them, and
        rock getting harder with depth."""
        within = 0.3 * self._noise.smooth(Stream.HARDNESS, depth, 25.0)
        layers = 0.35 * self._noise.steps(Stream.LAYERS, depth, _LAYER_THICKNESS)
        return np.exp(within + layers) * (1.0 + depth / 8000.0)

    def _settings(self, depth: Floats) -> tuple[Floats, Floats, Floats]:
        """The driller's weight on bit (kN), rotary speed (rpm) and flow (L/min) along depth."""
        noise = self._noise
        wob = np.clip(95 + 20 * noise.smooth(Stream.WOB, depth, 40.0), 40, 200)
        wob = np.minimum(wob, 0.8 * (string_weight(depth) - BLOCK_WEIGHT))  # what hangs below
        rpm = np.clip(150 + 15 * noise.smooth(Stream.RPM, depth, 80.0), 80, 200)
        flow = np.clip(3000 + 120 * noise.smooth(Stream.FLOW, depth, 200.0), 2400, 3600)
        return wob, rpm, flow

    def _rate(self, depth: Floats, sliding: Floats) -> Floats:
        """Rate of penetration (m/h) at each depth; ``sliding`` 1 where the bit is slid."""
        wob, rpm, _ = self._settings(depth)
        return _rop(wob, rpm, self._hardness(depth), sliding)

    def _slide_chance(self, depth: float) -> float:
        """How likely a stand starts with a slide: often while building angle, else seldom."""
        plan = self._path.plan
        return 0.7 if plan.kickoff <= depth < plan.end_of_build else 0.15

    def _gas(self, t: Floats, hole: Floats) -> Floats:
        """Total gas (%) reaching the surface at times ``t``: gas of the rock drilled one
        bottoms-up earlier (porous, soft layers carry gas), plus the swab gas of each
        connection arriving a bottoms-up after the pumps restarted."""
        lag = hole * ANNULAR_CAPACITY / _NOMINAL_FLOW
        source = np.maximum.accumulate(np.maximum(t - lag, 0.0))
        drilled = self._schedule.hole_depth(source)
        layers = self._noise.steps(Stream.LAYERS, drilled, _LAYER_THICKNESS)
        gas = 0.12 + 1.5 * np.maximum(-layers - 0.8, 0.0)
        gas += 0.03 * self._noise.smooth(Stream.GAS, drilled, 5.0)
        if len(t):
            longest = float(lag.max())
            for stand in self._schedule.stands_between(float(t[0]) - longest - 900, float(t[-1])):
                if stand.number:
                    restart = float(stand.starts[Phase.PUMPS_ON])
                    arrival = restart + stand.top * ANNULAR_CAPACITY / _NOMINAL_FLOW
                    gas += 0.5 * np.exp(-(((t - arrival) / 120.0) ** 2))
        return np.maximum(gas, 0.02)

    def _readings(
        self,
        t: Floats,
        curves: Sequence[Curve],
        noise: Floats,
        dropped: npt.NDArray[np.bool_],
    ) -> tuple[Floats, ...]:
        """What the sensors of ``curves`` read at the sorted times ``t`` (seconds).

        ``noise`` holds one row of standard normal values per curve, ``dropped`` marks the
        readings that go missing.
        """
        if len(t) == 0:
            return tuple(np.zeros(0) for _ in curves)
        a: Activity = self._schedule.activity(t)
        rows = {curve.mnemonic: i for i, curve in enumerate(curves)}

        def jitter(mnemonic: str, sigma: float) -> Floats | float:
            row = rows.get(mnemonic)
            return 0.0 if row is None else sigma * noise[row]

        hole, bit, on_bottom = a.hole_depth, a.bit_depth, a.on_bottom
        hardness = self._hardness(hole)
        wob_set, rpm_set, flow_set = self._settings(hole)
        slide = a.sliding.astype(np.float64)
        rotating, pumping = a.rotation > 0, a.flow > 0
        before = self._schedule.flow(np.maximum(t - 8.0, 0.0))  # returns lag the pumps
        drained = self._schedule.flow(np.maximum(t - 20.0, 0.0))

        wob = _where(on_bottom, wob_set * (1 + 0.15 * slide) + jitter("WOB", 2.0))
        rpm = _where(rotating, rpm_set * a.rotation + jitter("RPM", 1.5))
        rop = _where(on_bottom, _rop(wob_set, rpm_set, hardness, slide) + jitter("ROP", 1.2))
        torque = _where(
            rotating, rotary_torque(wob, hardness) * (0.5 + 0.5 * a.rotation) + jitter("TQ", 0.5)
        )
        torque = np.where(a.sliding, 0.8 + np.abs(jitter("TQ", 0.5)), torque)
        torque = np.where(a.make_up, _MAKE_UP_TORQUE + jitter("TQ", 0.5), torque)
        flow = flow_set * a.flow
        # the rig computes flow in from the pump stroke counters
        strokes = [
            np.round(_where(pumping, flow / 2 / _STROKE_VOLUME + jitter(pump, 0.3)), 1)
            for pump in ("SPM1", "SPM2")
        ]
        spp = standpipe_pressure(flow, bit) + 12.0 * wob  # bit and motor pressure drop on bottom
        hookload = np.where(a.in_slips, BLOCK_WEIGHT, string_weight(bit) - wob + a.drag)
        flowback = _FLOWBACK * (1.0 - drained)
        drift = 0.2 * self._noise.smooth(Stream.PIT, t, 900.0)
        new_hole = HOLE_CAPACITY * (hole - self.start_depth)
        mud_in = 1.2 + 0.00004 * hole + 0.004 * self._noise.smooth(Stream.MUD, t, 7200.0)
        temp_in = 34 + 1.5 * self._noise.smooth(Stream.TEMPERATURE, t, 7200.0)
        gas = self._gas(t, hole) * (0.3 + 0.7 * a.flow)

        values: dict[str, Floats] = {
            "BDEP": bit,
            "HDEP": hole,
            "BPOS": a.block_position + jitter("BPOS", 0.01),
            "HKLD": hookload + jitter("HKLD", 3.0),
            "WOB": wob,
            "RPM": rpm,
            "TQ": torque,
            "ROP": rop,
            "SPP": _where(pumping, spp + jitter("SPP", 60.0)),
            "FLWI": (strokes[0] + strokes[1]) * _STROKE_VOLUME,
            "FLWOP": _where(before > 0, flow_set * before / _PADDLE_FULL_FLOW + jitter("FLWOP", 1)),
            "SPM1": strokes[0],
            "SPM2": strokes[1],
            "PITV": _PIT_FULL
            - np.mod(new_hole, _PIT_TRANSFER)
            + flowback
            + drift
            + jitter("PITV", 0.05),
            "PITG": flowback + drift + jitter("PITG", 0.05),
            "MWIN": mud_in + jitter("MWIN", 0.002),
            "MWOUT": mud_in + 0.005 * a.flow - 0.004 * gas + jitter("MWOUT", 0.002),
            "TMPIN": temp_in + jitter("TMPIN", 0.1),
            "TMPOUT": temp_in + (8 + 0.004 * hole) * (0.6 + 0.4 * drained) + jitter("TMPOUT", 0.1),
            "GASA": np.maximum(gas + jitter("GASA", 0.01), 0.01),
            "C1": np.maximum(gas * 8200 + jitter("C1", 25.0), 0.0),
            "ECD": mud_in + a.flow * (0.03 + 0.00001 * hole) + jitter("ECD", 0.002),
            "TVD": self._path.tvd(bit),
        }
        drilling = on_bottom & rotating & (rop > 0) & (wob > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            dxc = corrected_d_exponent(rop, rpm, wob, values["MWIN"]) + jitter("DXC", 0.02)
        values["DXC"] = np.where(drilling, dxc, np.nan)
        if "TQMX" in rows:
            values["TQMX"] = torque * (1.12 + np.abs(jitter("TQMX", 0.04)))
            values["RPMMX"] = rpm + np.abs(jitter("RPMMX", 3.0))

        gas_trap_down = self._noise.smooth(Stream.GAS_TRAP, t, 1800.0) > 2.3
        densitometer_down = self._noise.smooth(Stream.DENSITOMETER, t, 1200.0) > 2.4
        out = []
        for i, curve in enumerate(curves):
            reading = np.round(values[curve.mnemonic], curve.decimals) + 0.0  # no -0.0
            if curve.mnemonic not in _ALWAYS_READ:
                missing = dropped[i]
                if curve.mnemonic in ("GASA", "C1"):
                    missing = missing | gas_trap_down
                elif curve.mnemonic == "MWIN":
                    missing = missing | densitometer_down
                reading[missing] = np.nan
            out.append(reading)
        return tuple(out)


def _rop(wob: Floats, rpm: Floats, hardness: Floats, sliding: Floats) -> Floats:
    """Rate of penetration, m/h: slid footage drills at about half the rotating rate."""
    rate = np.clip(rate_of_penetration(wob * (1 + 0.15 * sliding), rpm, hardness), 0.5, 90.0)
    return rate * (1.0 - 0.5 * sliding)


def _where(condition: npt.NDArray[np.bool_], reading: Floats | float) -> Floats:
    """The reading (never below 0) where ``condition`` holds, else 0: a stopped machine."""
    return np.where(condition, np.maximum(reading, 0.0), 0.0)


def _span(positions: npt.NDArray[np.int64]) -> tuple[int, int]:
    """The range of noise positions for sorted consecutive ``positions``."""
    if len(positions) == 0:
        return 0, 0
    return int(positions[0]), int(positions[-1]) + 1


def simulate(
    seconds: float,
    *,
    seed: int = 0,
    rate_hz: float = 1.0,
    start_time: datetime | None = None,
    start_depth: float = 1500.0,
) -> RigObjects:
    """The rig's objects after ``seconds`` of drilling, the Logs holding all their data.

    A quick way to a realistic, schema-valid set of WITSML documents::

        for obj in simulate(3600, seed=7):
            Path(f"{obj.object_type}-{obj.uuid}.xml").write_bytes(witsml.to_xml(obj))
    """
    rig = Rig(seed=seed, rate_hz=rate_hz, start_time=start_time, start_depth=start_depth)
    step = rig.advance(seconds)
    found = rig.objects()
    for log, batch in ((found.time_log, step.time_log), (found.depth_log, step.depth_log)):
        log.channel_sets[0].set_table(batch.table())
    return found
