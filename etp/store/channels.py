"""Channel data in the store: what the ChannelDataLoad, ChannelSubscribe and ChannelStreaming
handlers call (``store.channels``), and the values it takes and gives.

A channel is a stored ``witsml20.Channel`` object (put through the Store protocol, alone or in
its ChannelSet/Log): :func:`etp.store.describe.describe` reads its declaration into a
:class:`ChannelDefinition` (primary index kind, unit and direction, value type, unit). Its
points live in the store as columnar blocks (:mod:`etp.store.blocks`), indexed for range
queries. The store addresses a channel by a stable integer **key** (the same across sessions,
processes and restarts, until the object is deleted); session-scoped ETP channel ids are the
protocol layer's business: map them to keys.

Index values: a ``DateTime`` index is ``int`` microseconds since 1970-01-01 UTC (numpy int64);
every other kind (depths, elapsed time, pressure...) is ``float`` in the index uom (float64).
Pass-indexed channels hold no data here (ENOTSUPPORTED). Values follow the data kind: double →
float64, float → float32, long → int64, int → int32, boolean → bool, string → ``str`` (object
array); any value may be null (``Points.nulls``). Exactly representable values of another dtype
are accepted (ints for a double channel, in-range long for an int channel...); anything that would
change a value is refused.

Rules, the same for every write (each call is one transaction: **all or nothing**, across every
channel it names; a refused call writes nothing):

* append: each channel's new indexes must continue its direction strictly (increasing: every
  index greater than the one before and than the channel's end index; decreasing: smaller).
  A point that does not append raises ProtocolError EINVALID_APPEND naming the channel (URI and
  key), the offending index and the end it had to pass. Index values of the wrong kind raise
  EINVALID_INDEXKIND, values of the wrong type EINVALID_ARGUMENT, an unknown key ENOT_FOUND.
* replace_range: delete every point in the closed interval, insert the given points (which must
  lie inside it, in channel order), atomically.
* truncate: delete every point after the new end index (in channel order).

Durability: a write returns after its transaction committed (SQLite ``synchronous=FULL``: on
disk, so also a power loss keeps it; PostgreSQL: committed with the server's
``synchronous_commit``). Writes from every caller are **group committed**: while one transaction
commits, the requests that arrive queue up and the next transaction takes them all, so many
producers share one commit (no added latency when idle). Requests run in the order they were
made: a handler may issue its next append before the previous one is acknowledged (keeping at
most a few in flight) and let them share commits.

Fan-out: after the commit, every change is published to :meth:`ChannelStore.subscribe` feeds of
this process with the data (no re-read), in commit order; with PostgreSQL other server processes
learn of it by ``NOTIFY`` (channel key, change kind, sequence number and index interval) and read
the rows (as they are when read: a replace committed meanwhile shows through, and its own event
follows). A subscriber never sees data before it is durable. Each change carries the channel's
new sequence number ``seq`` (also in :class:`ChannelInfo` and :class:`ChannelRange`): to resume
without gap or duplicate, subscribe first, then read (range or latest), then apply the events
whose ``seq`` is above the read's. A feed that falls more than ``max_pending`` points behind is
cut off with a StoreError (memory stays bounded); resubscribe and read from the last index seen.
When a channel is deleted (its Channel object, alone, with its ChannelSet or Log, or with its
dataspace; by any process of a PostgreSQL store) its feeds get a :class:`Deleted` event and
nothing more of it; a feed subscribed with ``data=False`` gets only those (a producer watching
the channels it writes to).

Live metadata: the Channel objects' StartIndex/EndIndex/GrowingStatus (and their ChannelSets' and
Logs' ranges) are rendered from the data when the object is read (``get_objects``), not rewritten
on append. The active status (Discovery's activeStatus, ObjectActiveStatusChanged) flips to
active on the first append and back to inactive after ``active_timeout`` seconds without an
append or on :meth:`ChannelStore.close`, published on ``store.changes()`` for the channel and its
ChannelSet/Log. A channel's storeLastWrite follows its appends (at most one update a second).

Change annotations (GetChangeAnnotations) are kept ``change_retention`` seconds: appends to a
channel within a minute share one annotation, each replace and truncate has its own.

Use from a protocol handler::

    opened = await store.channels.open(["eml:///witsml20.Channel(...)"])
    [info] = opened.found["eml:///witsml20.Channel(...)"]
    await store.channels.append({info.key: Points(indexes, values)})
    async with store.channels.subscribe([info.key]) as feed:
        page = await store.channels.read_range(info.key, start, end, limit=10_000)
        async for event in feed:     # Appended / Replaced / Truncated (with event.seq), Deleted
            ...
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from etp.errors import ErrorCode, ProtocolError
from etp.store.records import ActiveStatus

if TYPE_CHECKING:
    from etp.store.channel_feed import ChannelFeed

__all__ = [
    "Appended",
    "ChangeAnnotation",
    "ChangeAnnotations",
    "ChannelDefinition",
    "ChannelEvent",
    "ChannelInfo",
    "ChannelRange",
    "ChannelStore",
    "DataKind",
    "Deleted",
    "IndexDirection",
    "IndexKind",
    "IndexValue",
    "OpenOutcome",
    "Points",
    "Replaced",
    "Truncated",
    "split_by_channel",
]

IndexValue: TypeAlias = int | float
"""A primary index value: int µs since the epoch (DateTime) or float in the index uom."""


class IndexKind(enum.StrEnum):
    """ETP ``ChannelIndexKind`` of a channel's primary index (values are the Avro symbols)."""

    DATE_TIME = "DateTime"
    ELAPSED_TIME = "ElapsedTime"
    MEASURED_DEPTH = "MeasuredDepth"
    TRUE_VERTICAL_DEPTH = "TrueVerticalDepth"
    PASS_INDEXED_DEPTH = "PassIndexedDepth"
    PRESSURE = "Pressure"
    TEMPERATURE = "Temperature"
    SCALAR = "Scalar"


class IndexDirection(enum.StrEnum):
    """ETP ``IndexDirection`` of a channel's primary index (the store keeps ordered channels)."""

    INCREASING = "Increasing"
    DECREASING = "Decreasing"


class DataKind(enum.StrEnum):
    """ETP ``ChannelDataKind`` of a channel's values (the storable ones, and bytes)."""

    TYPE_BOOLEAN = "typeBoolean"
    TYPE_INT = "typeInt"
    TYPE_LONG = "typeLong"
    TYPE_FLOAT = "typeFloat"
    TYPE_DOUBLE = "typeDouble"
    TYPE_STRING = "typeString"
    TYPE_BYTES = "typeBytes"


@dataclass(frozen=True, slots=True)
class ChannelDefinition:
    """What a Channel object declares about its data (from its first ``Index``, or its
    ChannelSet's when it declares none).

    ``data_kind`` is None for WITSML types with no ETP data kind (``vector``, ``null``); such
    channels, bytes channels and pass-indexed ones can be opened but hold no data.
    """

    mnemonic: str
    data_kind: DataKind | None
    uom: str
    index_kind: IndexKind
    index_uom: str
    direction: IndexDirection = IndexDirection.INCREASING
    index_mnemonic: str = ""
    depth_datum: str = ""

    @property
    def is_time(self) -> bool:
        """True when index values are int microseconds (a DateTime index)."""
        return self.index_kind is IndexKind.DATE_TIME


@dataclass(frozen=True, slots=True, eq=False)
class Points:
    """Points of one channel as columns, in channel order.

    ``indexes``: int64 (time) or float64; ``values``: a numpy column (see the module docstring;
    strings as an object array of ``str``); ``nulls``: True where a value is null (its entry in
    ``values`` is then meaningless), or None. Arrays given are not copied; do not modify them
    afterwards (feeds share them).
    """

    indexes: NDArray[Any]
    values: NDArray[Any]
    nulls: NDArray[np.bool_] | None = None

    def __init__(
        self, indexes: ArrayLike, values: ArrayLike, nulls: ArrayLike | None = None
    ) -> None:
        idx = np.asarray(indexes)
        vals = np.asarray(values)
        mask = None if nulls is None else np.asarray(nulls, dtype=bool)
        if idx.ndim != 1 or vals.ndim != 1 or (mask is not None and mask.ndim != 1):
            raise ProtocolError(ErrorCode.EINVALID_ARGUMENT, "points must be 1-D columns")
        if len(vals) != len(idx) or (mask is not None and len(mask) != len(idx)):
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"point columns differ in length: indexes {len(idx)}, values {len(vals)}"
                + ("" if mask is None else f", nulls {len(mask)}"),
            )
        object.__setattr__(self, "indexes", idx)
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "nulls", mask if mask is not None and mask.any() else None)

    def __len__(self) -> int:
        return len(self.indexes)

    def __getitem__(self, which: slice) -> Points:
        nulls = None if self.nulls is None else self.nulls[which]
        return Points(self.indexes[which], self.values[which], nulls)

    def value_list(self) -> list[Any]:
        """The values as Python objects, None where null."""
        values: list[Any] = self.values.tolist()
        if self.nulls is not None:
            for i in np.flatnonzero(self.nulls).tolist():
                values[i] = None
        return values

    def __repr__(self) -> str:
        nulls = 0 if self.nulls is None else int(self.nulls.sum())
        return (
            f"Points({len(self)} points, indexes {self.indexes.dtype}, values "
            f"{self.values.dtype}, {nulls} nulls)"
        )


def split_by_channel(
    channel_ids: NDArray[Any],
    indexes: NDArray[Any],
    values: NDArray[Any],
    nulls: NDArray[np.bool_] | None = None,
) -> dict[int, Points]:
    """Columns of several channels' items (a decoded ChannelData's ``DataItems``) as points per
    channel id, each in arrival order.

    Data from a ChannelSet arrives row by row, the same channels in the same order in every row:
    that case is split with strided views (no copy); any other order with one stable sort.
    """
    n = len(channel_ids)
    if n == 0:
        return {}
    first = channel_ids[0]
    same = channel_ids == first
    if channel_ids[-1] == first and bool(same.all()):
        return {int(first): Points(indexes, values, nulls)}
    repeats = np.flatnonzero(same)  # rows start where the first channel comes again
    k = int(repeats[1]) if len(repeats) > 1 else n
    if n % k == 0 and len(repeats) == n // k:
        order = channel_ids[:k]
        distinct = len(set(order.tolist())) == k
        if distinct and bool((channel_ids.reshape(-1, k) == order).all()):
            return {
                int(order[j]): Points(
                    indexes[j::k], values[j::k], None if nulls is None else nulls[j::k]
                )
                for j in range(k)
            }
    sort = np.argsort(channel_ids, kind="stable")
    ids_sorted = channel_ids[sort]
    starts = np.flatnonzero(np.r_[True, ids_sorted[1:] != ids_sorted[:-1]])
    ends = np.r_[starts[1:], n]
    out = {}
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        take = sort[s:e]
        out[int(ids_sorted[s])] = Points(
            indexes[take], values[take], None if nulls is None else nulls[take]
        )
    return out


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel as the store has it now: declaration and data extent.

    ``start``/``end``: the first and last index in channel order (None when it holds no
    points); ``seq``: bumped by every committed change of its data (0: never had data through
    the store); ``last_append``: µs time of the last append (0: none).
    """

    key: int
    uri: str
    definition: ChannelDefinition
    start: IndexValue | None
    end: IndexValue | None
    count: int
    seq: int
    status: ActiveStatus
    last_append: int


@dataclass(frozen=True, slots=True)
class OpenOutcome:
    """The outcome of :meth:`ChannelStore.open`, per URI as given.

    ``found[uri]``: the channels of that URI (one for a Channel URI; every contained channel,
    in document order, for a ChannelSet or Log URI). ``errors[uri]``: ENOT_FOUND (no such object),
    EINVALID_URI, or EINVALID_ARGUMENT (not a Channel, ChannelSet or Log; a Channel that declares
    no index).
    """

    found: dict[str, list[ChannelInfo]] = field(default_factory=dict)
    errors: dict[str, ProtocolError] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChannelRange:
    """Points read from one channel, in channel order, as of one snapshot.

    ``more``: the read stopped at its limit and more points are in the interval; continue with
    ``after=points.indexes[-1]``. ``seq``: the channel's sequence number in that snapshot.
    """

    key: int
    points: Points
    more: bool
    seq: int


@dataclass(frozen=True, slots=True)
class Appended:
    """Points appended to a channel (published after commit)."""

    key: int
    points: Points
    seq: int
    time: int


@dataclass(frozen=True, slots=True)
class Replaced:
    """The points of a channel in the closed interval [``start``, ``end``] (channel order) were
    replaced by ``points`` (possibly none: deleted)."""

    key: int
    start: IndexValue
    end: IndexValue
    points: Points
    seq: int
    time: int


@dataclass(frozen=True, slots=True)
class Truncated:
    """Every point of a channel after ``new_end`` (channel order) was deleted."""

    key: int
    new_end: IndexValue
    seq: int
    time: int


@dataclass(frozen=True, slots=True)
class Deleted:
    """The channel was deleted (its Channel object, alone, with its ChannelSet or Log, or with
    its dataspace) at ``time``: its feeds get nothing more of it."""

    key: int
    uri: str
    time: int


ChannelEvent: TypeAlias = Appended | Replaced | Truncated | Deleted
"""A committed change of channel data, as a feed delivers it."""


@dataclass(frozen=True, slots=True)
class ChangeAnnotation:
    """An interval of a channel that changed at ``change_time`` (µs): ``start`` and ``end`` in
    channel order (ETP ``ChangeAnnotation``)."""

    change_time: int
    start: IndexValue
    end: IndexValue


@dataclass(frozen=True, slots=True)
class ChangeAnnotations:
    """Annotations per channel key, oldest first, as of ``response_time`` (µs)."""

    response_time: int
    changes: dict[int, list[ChangeAnnotation]]


class ChannelStore(abc.ABC):
    """Channel data of one store (``store.channels``). Coroutines are safe to call concurrently;
    see the module docstring for the rules every write follows."""

    @abc.abstractmethod
    async def open(self, uris: Iterable[str]) -> OpenOutcome:
        """The channels named by ``uris`` (Channel, or ChannelSet/Log for all they contain)."""

    @abc.abstractmethod
    async def info(self, keys: Iterable[int]) -> dict[int, ChannelInfo]:
        """The current state of the channels ``keys`` (absent: no longer stored)."""

    @abc.abstractmethod
    async def append(self, points: Mapping[int, Points]) -> int:
        """Append points to channels (by key); returns the commit time (µs)."""

    @abc.abstractmethod
    async def replace_range(
        self, start: IndexValue, end: IndexValue, points: Mapping[int, Points]
    ) -> int:
        """Replace the points in [``start``, ``end``] (either order) of every channel in
        ``points`` (empty Points: delete only); returns the change time (µs)."""

    @abc.abstractmethod
    async def truncate(self, new_ends: Mapping[int, IndexValue]) -> int:
        """Delete, per channel, the points after its new end index; returns the change time."""

    @abc.abstractmethod
    async def read_range(
        self,
        key: int,
        start: IndexValue | None = None,
        end: IndexValue | None = None,
        *,
        limit: int | None = None,
        after: IndexValue | None = None,
    ) -> ChannelRange:
        """The points with index in [``start``, ``end``] (inclusive, either order; None: open
        on that side), strictly after ``after`` in channel order, at most ``limit``."""

    @abc.abstractmethod
    async def read_ranges(
        self,
        keys: Sequence[int],
        start: IndexValue | None = None,
        end: IndexValue | None = None,
        *,
        limit: int | None = None,
    ) -> dict[int, ChannelRange]:
        """:meth:`read_range` of several channels in one snapshot (``limit`` per channel)."""

    @abc.abstractmethod
    async def read_latest(self, key: int, count: int) -> ChannelRange:
        """The last ``count`` points of a channel, in channel order."""

    @abc.abstractmethod
    async def change_annotations(
        self, keys: Iterable[int], since: int, *, latest_only: bool = False
    ) -> ChangeAnnotations:
        """Intervals changed at or after ``since`` (µs) per channel; ``latest_only``: only the
        latest one. ``since`` before the retention period: ERETENTION_PERIOD_EXCEEDED."""

    @abc.abstractmethod
    async def close(self, keys: Iterable[int]) -> None:
        """The producer closed these channels: they become inactive now (published)."""

    @abc.abstractmethod
    def subscribe(
        self, keys: Iterable[int] = (), *, max_pending: int | None = None, data: bool = True
    ) -> ChannelFeed:
        """A feed of the changes committed from now on to the channels ``keys`` (add more with
        ``feed.add``). ``max_pending``: points it may lag behind before it is cut off.
        ``data=False``: only their :class:`Deleted` events."""
