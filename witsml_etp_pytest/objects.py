"""Sample WITSML 2.0 objects for tests: a well, its wellbore, a log, a trajectory, made-to-measure
logs. Plain functions and classes (no pytest): the plugin's ``witsml_*`` fixtures call them.

::

    well, wellbore, log, trajectory = samples(seed=0)            # fresh uuids on every call
    make_log = LogFactory(wellbore=wellbore)
    log = make_log(500, channels=["ROP", "WOB", "HKLD"], index="time", nulls=0.05)

The data comes from the rig simulator (:mod:`etp.simulator`): surface drilling channels with
their physics (rate of penetration following weight on bit and formation, hookload, stand pipe
pressure, pit volumes...), sensor noise and the odd missing reading. Everything is
deterministic for a ``seed`` and starts at :data:`START_TIME`; the objects are valid against the
official WITSML 2.0 XSD.

Uuids are fresh (random) unless ``fresh_uuids=False``: then they are stable, the simulator's for
the sample set (derived from the seed), derived from the arguments for a made-to-measure log, so
the same call gives the same objects (and the same ETP URIs). References between the objects
follow their uuids: the log and the trajectory reference the wellbore, the wellbore the well.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from etp.simulator import CURVES, TIME_CURVES, Rig, RigObjects
from witsml.data import ChannelTable, Column
from witsml.objects import (
    AbstractObject,
    DataObjectReference,
    IndexDirection,
    Log,
    Trajectory,
    Well,
    Wellbore,
    XmlModel,
)

__all__ = ["SAMPLE_ROWS", "START_TIME", "LogFactory", "Samples", "samples"]

START_TIME = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
"""When the simulated rig starts drilling: the first time index, the objects' creation time."""
SAMPLE_ROWS = 200
"""Rows of the sample log (one per 0.1 m drilled: 20 m of hole)."""

Floats = npt.NDArray[np.float64]
IndexKind = Literal["depth", "time"]
Direction = Literal["increasing", "decreasing"]

_STABLE = uuid.UUID("5b1f3c52-8a0e-4d8e-9f39-2f4c7e1d6a10")  # namespace of stable test uuids


class Samples(NamedTuple):
    """A consistent set of sample objects: the log and trajectory reference the wellbore, the
    wellbore the well."""

    well: Well
    wellbore: Wellbore
    log: Log
    trajectory: Trajectory


def samples(seed: int = 0, *, fresh_uuids: bool = True) -> Samples:
    """A well, its wellbore, a depth log of :data:`SAMPLE_ROWS` rows with all 24 drilling
    channels, and the survey (trajectory) of the hole drilled so far. New objects on every call.
    """
    well, wellbore, log, trajectory = _samples(seed)
    found = Samples(
        well.model_copy(deep=True),
        wellbore.model_copy(deep=True),
        log.model_copy(deep=True),
        trajectory.model_copy(deep=True),
    )
    if fresh_uuids:
        _rename(found, lambda _: str(uuid.uuid4()))
    return found


@dataclass(frozen=True)
class LogFactory:
    """Makes logs to measure (the ``witsml_log_factory`` fixture): call it with the shape wanted.

    ``wellbore`` is the Wellbore the logs reference (None: the seed's sample wellbore, by its
    stable uuid); ``seed`` and ``fresh_uuids`` are the defaults of every call.
    """

    wellbore: Wellbore | None = None
    seed: int = 0
    fresh_uuids: bool = True

    def __call__(
        self,
        rows: int = 100,
        *,
        channels: int | Sequence[str] | None = None,
        index: IndexKind = "depth",
        direction: Direction = "increasing",
        nulls: float | None = None,
        rate_hz: float = 1.0,
        seed: int | None = None,
    ) -> Log:
        """A Log with one ChannelSet holding ``rows`` rows of simulated drilling data.

        ``channels``: how many of the simulator's channels (in its order), or their mnemonics
        (in the order given); None for all 24. See :data:`etp.simulator.CURVES` (depth) and
        :data:`etp.simulator.TIME_CURVES` (time) for the mnemonics.
        ``index``: ``"depth"`` (measured depth in m, a row per 0.1 m drilled) or ``"time"``
        (UTC date times, ``rate_hz`` rows a second, from :data:`START_TIME`).
        ``direction``: ``"decreasing"`` gives the same rows in reverse order (a log recorded
        upwards) and declares the index so.
        ``nulls``: None keeps the simulator's missing readings (sensor dropouts, a gas trap out
        of service); a fraction from 0 to 1 fills those in and makes exactly that fraction of
        the channel values null, at random (seeded) places. Index values are never null.
        """
        seed = self.seed if seed is None else seed
        log = _log(seed, rows, channels, index, direction, nulls, rate_hz)
        if self.wellbore is not None:
            _point_at(log, self.wellbore)
        if self.fresh_uuids:
            _rename([log], lambda _: str(uuid.uuid4()))
        else:
            shape = f"{seed}/{rows}/{channels}/{index}/{direction}/{nulls}/{rate_hz}"
            _rename([log], lambda old: str(uuid.uuid5(_STABLE, f"{shape}/{old}")))
        return log


# --- the simulator's objects and data --------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _samples(seed: int) -> Samples:
    """The sample set of ``seed`` with the simulator's uuids (never handed out: copied)."""
    rig = _rig_objects(seed)
    log = _log(seed, SAMPLE_ROWS, None, "depth", "increasing", None, 1.0)
    return Samples(rig.well, rig.wellbore, log, rig.trajectory)


@functools.lru_cache(maxsize=8)
def _rig_objects(seed: int) -> RigObjects:
    """The rig's objects for ``seed`` (never handed out: callers copy them)."""
    return Rig(seed=seed, start_time=START_TIME).objects()


@functools.lru_cache(maxsize=16)
def _drilled(seed: int, index: IndexKind, rows: int, rate_hz: float) -> tuple[Any, list[Floats]]:
    """The first ``rows`` rows of the rig's time or depth log: the index and a column per
    channel (read-only arrays: they are cached)."""
    rig = Rig(seed=seed, rate_hz=rate_hz, start_time=START_TIME)
    indexes: list[npt.NDArray[Any]] = []
    values: list[tuple[Floats, ...]] = []
    found = 0
    seconds = (rows + 1) / rate_hz if index == "time" else 3600.0 * (rows > 0)
    while True:
        step = rig.advance(seconds)
        batch = step.time_log if index == "time" else step.depth_log
        indexes.append(batch.index)
        values.append(batch.values)
        found += len(batch)
        if found >= rows:
            break
        if index == "depth" and found:  # aim the next step at the rows still missing
            elapsed = (step.end - START_TIME).total_seconds()
            seconds = max(600.0, 1.1 * (rows - found) * elapsed / found)
    all_index = np.concatenate(indexes)[:rows]
    columns = [np.concatenate(column)[:rows] for column in zip(*values, strict=True)]
    for array in (all_index, *columns):
        array.flags.writeable = False
    return all_index, columns


def _log(
    seed: int,
    rows: int,
    channels: int | Sequence[str] | None,
    index: IndexKind,
    direction: Direction,
    nulls: float | None,
    rate_hz: float,
) -> Log:
    """A copy of the rig's time or depth log (its uuids) holding ``rows`` rows of data."""
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 0:
        raise ValueError(f"rows must be an integer >= 0, not {rows!r}")
    if index not in ("depth", "time"):
        raise ValueError(f"index must be 'depth' or 'time', not {index!r}")
    if direction not in ("increasing", "decreasing"):
        raise ValueError(f"direction must be 'increasing' or 'decreasing', not {direction!r}")
    if nulls is not None and not 0.0 <= nulls <= 1.0:
        raise ValueError(f"nulls must be None or a fraction from 0 to 1, not {nulls!r}")
    curves = TIME_CURVES if index == "time" else CURVES
    chosen = _chosen(channels, [curve.mnemonic for curve in curves])
    template = _rig_objects(seed)
    log = (template.time_log if index == "time" else template.depth_log).model_copy(deep=True)
    channel_set = log.channel_sets[0]
    channel_set.channels = [channel_set.channels[i] for i in chosen]
    positions, all_values = _drilled(seed, index, rows, rate_hz if index == "time" else 1.0)
    values = [all_values[i] for i in chosen]
    if nulls is not None:
        values = _with_nulls(values, nulls, np.random.default_rng([seed, rows]))
    if direction == "decreasing":
        positions, values = positions[::-1], [v[::-1] for v in values]
        declared = [*channel_set.indexes, *(i for c in channel_set.channels for i in c.indexes)]
        for declared_index in declared:
            declared_index.direction = IndexDirection.DECREASING
    [declared_index] = channel_set.indexes
    table = ChannelTable(
        [
            Column.index(
                declared_index.mnemonic,
                positions,
                uom=declared_index.uom,
                index_type=str(declared_index.index_type),
                direction=direction,
            )
        ],
        [
            Column.channel(channel.mnemonic, column, uom=channel.uom, data_type="double")
            for channel, column in zip(channel_set.channels, values, strict=True)
        ],
    )
    channel_set.set_table(table)
    return log


def _chosen(channels: int | Sequence[str] | None, mnemonics: list[str]) -> list[int]:
    """Positions in ``mnemonics`` of the channels asked for."""
    if channels is None:
        return list(range(len(mnemonics)))
    if isinstance(channels, int) and not isinstance(channels, bool):
        if not 1 <= channels <= len(mnemonics):
            raise ValueError(f"channels must be from 1 to {len(mnemonics)}, not {channels}")
        return list(range(channels))
    names = [] if isinstance(channels, str | bool) else list(channels)
    if not names or not all(isinstance(m, str) for m in names):
        raise ValueError(f"channels must be a count or a list of mnemonics, not {channels!r}")
    unknown = [m for m in names if m not in mnemonics]
    if unknown:
        raise ValueError(f"unknown channels {unknown}: the simulator has {', '.join(mnemonics)}")
    if len(set(names)) != len(names):
        raise ValueError(f"channels must name each channel once: {names}")
    return [mnemonics.index(m) for m in names]


def _with_nulls(values: list[Floats], fraction: float, rng: np.random.Generator) -> list[Floats]:
    """The columns with their gaps filled in, then ``fraction`` of all values made null."""
    if not values or not len(values[0]):
        return values
    grid = np.stack([_filled(column) for column in values])
    count = round(fraction * grid.size)
    grid.flat[rng.choice(grid.size, count, replace=False)] = np.nan
    return list(grid)


def _filled(column: Floats) -> Floats:
    """``column`` with each missing value replaced by the reading before it (the first reading
    for leading gaps; zeros when there is none at all)."""
    valid = ~np.isnan(column)
    if not valid.any():
        return np.zeros_like(column)
    source = np.where(valid, np.arange(len(column)), -1)
    np.maximum.accumulate(source, out=source)
    source[source < 0] = int(np.argmax(valid))
    return column[source]


# --- uuids and references -------------------------------------------------------------------


def _point_at(log: Log, wellbore: Wellbore) -> None:
    """Make the log, its channel sets and channels reference ``wellbore``."""
    reference = wellbore.reference()
    log.wellbore = reference
    for channel_set in log.channel_sets:
        channel_set.wellbore = reference
        for channel in channel_set.channels:
            channel.wellbore = reference


def _rename(objects: Sequence[AbstractObject], new_uuid: Callable[[str], str]) -> None:
    """Give ``objects`` and every object they contain the uuid ``new_uuid(old)``, and make every
    reference among them follow (its uuid and URI)."""
    models = _models(objects)
    renamed = {m.uuid: new_uuid(m.uuid) for m in models if isinstance(m, AbstractObject)}
    for model in models:
        if isinstance(model, AbstractObject):
            model.uuid = renamed.get(model.uuid, model.uuid)  # a shared model comes twice
        elif isinstance(model, DataObjectReference) and model.uuid in renamed:
            new = renamed[model.uuid]
            if model.uri is not None:
                model.uri = model.uri.replace(model.uuid, new)
            model.uuid = new


def _models(roots: Sequence[XmlModel]) -> list[XmlModel]:
    """Every model in ``roots`` and their fields, at any depth."""
    found: list[XmlModel] = []
    stack: list[Any] = list(roots)
    while stack:
        value = stack.pop()
        if isinstance(value, XmlModel):
            found.append(value)
            stack.extend(v for v in value.__dict__.values() if isinstance(v, XmlModel | list))
        elif isinstance(value, list):
            stack.extend(value)
    return found
