"""Channel data as the client hands it out: channel metadata, batches of points as numpy columns,
their pandas and per-point views, and the conversions done on receipt.

* :class:`ChannelMeta`: a channel as the store describes it (``id`` valid in one session).
* :class:`ChannelBatch`: points of several channels in long format (``channel_ids``, ``index``,
  ``values``, ``nulls``: numpy columns straight from the wire), per channel
  (:class:`ChannelPoints`), as a DataFrame (``to_pandas()``: time index as UTC datetimes, depth
  as float, units in ``attrs``), or as :class:`Point` objects built only when asked.
* :class:`Replaced` and :class:`Truncated`: changes to data already delivered.

Time index values are int64 microseconds since 1970 UTC in the columns. Unit conversion on
receipt (``units={"length": "ft", "ROP": "ft/h"}``: keys are mnemonics, index names or quantity
classes) and delivery exactly once (dropping what comes again after a resume) are here too, for
:mod:`etp.client_channels`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from etp.messages import datatypes as wire
from etp.messages.data_items import DataItems
from etp.messages.datatypes import DataItem
from witsml import units as witsml_units
from witsml.errors import UnitError

if TYPE_CHECKING:
    import pandas as pd


__all__ = [
    "ChannelBatch",
    "ChannelMeta",
    "ChannelPoints",
    "Index",
    "Item",
    "Point",
    "Replaced",
    "Truncated",
]

Index: TypeAlias = datetime | int | float
"""An index value: an aware datetime or int microseconds for a time index, a number (in the
index unit) otherwise."""

_US = 1_000_000
_DENSE_IDS = 1 << 20  # channel ids below this are looked up in tables, above by sorting
_INT64 = np.iinfo(np.int64)


# --- metadata and data ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ChannelMeta:
    """A channel as the store describes it (ChannelMetadataRecord). ``id`` is valid in the
    session it came from only; ``start``/``end`` (the index range then) are int microseconds
    since 1970 UTC for a time index, numbers in ``index_uom`` otherwise, None when empty."""

    uri: str
    id: int
    mnemonic: str
    uom: str
    data_kind: str
    index_kind: str
    index_uom: str
    index_name: str
    direction: str
    start: int | float | None
    end: int | float | None
    status: str
    depth_datum: str = ""

    @classmethod
    def from_record(cls, record: wire.ChannelMetadataRecord) -> ChannelMeta:
        """The metadata of a ChannelMetadataRecord (its first index is the primary one)."""
        index = record.indexes[0] if record.indexes else None

        def bound(value: object) -> int | float | None:
            return value if isinstance(value, int | float) else None

        return cls(
            uri=record.uri,
            id=record.id,
            mnemonic=record.channel_name,
            uom=record.uom,
            data_kind=str(record.data_kind.value),
            index_kind=str(index.index_kind.value) if index else "",
            index_uom=index.uom if index else "",
            index_name=index.name if index else "",
            direction=str(index.direction.value) if index else "Increasing",
            start=bound(index.interval.start_index) if index else None,
            end=bound(index.interval.end_index) if index else None,
            status=str(record.status.value),
            depth_datum=record.depth_datum,
        )

    @property
    def is_time(self) -> bool:
        """True for a DateTime index (values are int microseconds since 1970 UTC)."""
        return self.index_kind == "DateTime"

    @property
    def increasing(self) -> bool:
        """False for a decreasing index."""
        return self.direction != "Decreasing"


@dataclasses.dataclass(frozen=True, slots=True)
class Point:
    """One point, as an object: ``index`` is an aware UTC datetime for a time channel."""

    uri: str
    mnemonic: str
    index: datetime | float
    value: Any
    uom: str


_set_uri, _set_mnemonic, _set_index, _set_value, _set_uom = (
    Point.__dict__[f.name].__set__ for f in dataclasses.fields(Point)
)


def _point(uri: str, mnemonic: str, index: datetime | float, value: Any, uom: str) -> Point:
    """``Point(uri, mnemonic, index, value, uom)`` at about half the cost: its slots set
    directly (a frozen dataclass's ``__init__`` goes through ``object.__setattr__`` per field)."""
    point = object.__new__(Point)
    _set_uri(point, uri)
    _set_mnemonic(point, mnemonic)
    _set_index(point, index)
    _set_value(point, value)
    _set_uom(point, uom)
    return point


@dataclasses.dataclass(frozen=True, eq=False)
class ChannelPoints:
    """The points of one channel, in channel order: ``index`` (int64 µs for time, float64),
    ``values``, ``nulls`` (True where null, or None)."""

    channel: ChannelMeta
    index: NDArray[Any]
    values: NDArray[Any]
    nulls: NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return len(self.index)

    def times(self) -> NDArray[np.datetime64]:
        """The index as ``datetime64[us]`` (UTC), for a time channel."""
        if not self.channel.is_time:
            raise ValueError(f"{self.channel.mnemonic} has a {self.channel.index_kind} index")
        return self.index.astype("datetime64[us]")

    def to_pandas(self) -> pd.Series[Any]:
        """The points as a Series named by the mnemonic (UTC DatetimeIndex for time)."""
        lib = import_pandas()
        series: pd.Series[Any] = lib.Series(
            _column_values(lib, self.values, self.nulls),
            index=_pandas_index(lib, self.channel, self.index),
            name=self.channel.mnemonic,
        )
        return series


class ChannelBatch:
    """Points of one or more channels (what a message brought), as numpy columns in long
    format: item ``i`` is channel ``channels[channel_ids[i]]`` at ``index[i]``, ``values[i]``
    (meaningless where ``nulls[i]``). See the module documentation for the other views."""

    __slots__ = ("_split", "channel_ids", "channels", "index", "nulls", "values")

    def __init__(
        self,
        channels: Mapping[int, ChannelMeta],
        channel_ids: NDArray[np.int64],
        index: NDArray[Any],
        values: NDArray[Any],
        nulls: NDArray[np.bool_] | None = None,
    ) -> None:
        self.channels = channels
        self.channel_ids = channel_ids
        self.index = index
        self.values = values
        self.nulls = nulls if nulls is not None and nulls.any() else None
        self._split: dict[str, ChannelPoints] | None = None

    @classmethod
    def of(cls, data: Sequence[DataItem], channels: Mapping[int, ChannelMeta]) -> ChannelBatch:
        """The batch of a received DataItem array (columns taken as they are)."""
        if isinstance(data, DataItems):
            return cls(channels, data.channel_ids, data.indexes, data.values, data.nulls)
        ids = np.fromiter((item.channel_id for item in data), np.int64, len(data))
        index = np.array([item.indexes[0] if item.indexes else np.nan for item in data])
        raw = [item.value for item in data]
        nulls = np.fromiter((v is None for v in raw), bool, len(raw))
        if any(isinstance(v, str | bytes) for v in raw):
            values: NDArray[Any] = np.array(raw, dtype=object)
        else:
            present = [v for v in raw if v is not None]
            dtype = np.asarray(present).dtype if present else np.dtype(np.float64)
            values = np.array([0 if v is None else v for v in raw], dtype=dtype)
        return cls(channels, ids, index, values, nulls)

    @classmethod
    def empty(cls, channels: Mapping[int, ChannelMeta]) -> ChannelBatch:
        """A batch without points."""
        return cls(channels, np.zeros(0, np.int64), np.zeros(0), np.zeros(0))

    @classmethod
    def concat(cls, batches: Sequence[ChannelBatch]) -> ChannelBatch:
        """One batch of several (at least one), in order (channels merged, later metadata
        winning)."""
        if len(batches) == 1:
            return batches[0]
        channels: dict[int, ChannelMeta] = {}
        for b in batches:
            channels.update(b.channels)
        nulls = None
        if any(b.nulls is not None for b in batches):
            nulls = np.concatenate(
                [b.nulls if b.nulls is not None else np.zeros(len(b), bool) for b in batches]
            )
        return cls(
            channels,
            np.concatenate([b.channel_ids for b in batches]),
            np.concatenate([b.index for b in batches]),
            np.concatenate([b.values for b in batches]),
            nulls,
        )

    def __len__(self) -> int:
        return len(self.channel_ids)

    def __repr__(self) -> str:
        names = ", ".join(sorted({c.mnemonic for c in self.channels.values()}))
        return f"ChannelBatch({len(self)} points: {names})"

    def select(self, keep: NDArray[np.bool_]) -> ChannelBatch:
        """The items where ``keep`` is True."""
        if keep.all():
            return self
        return ChannelBatch(
            self.channels,
            self.channel_ids[keep],
            self.index[keep],
            self.values[keep],
            None if self.nulls is None else self.nulls[keep],
        )

    def by_channel(self) -> dict[str, ChannelPoints]:
        """The points per channel URI (in the order of ``channels``: document order for a
        Log), each in arrival (channel) order."""
        if self._split is None:
            from etp.store.channels import split_by_channel

            split = split_by_channel(self.channel_ids, self.index, self.values, self.nulls)
            self._split = {
                meta.uri: ChannelPoints(meta, split[i].indexes, split[i].values, split[i].nulls)
                for i, meta in self.channels.items()
                if i in split
            }
        return self._split

    def channel(self, name: str) -> ChannelPoints:
        """The points of the channel with this URI or mnemonic (KeyError if none or several)."""
        split = self.by_channel()
        if name in split:
            return split[name]
        found = [p for p in split.values() if p.channel.mnemonic == name]
        if len(found) == 1:
            return found[0]
        known = sorted(p.channel.mnemonic for p in split.values())
        what = "several channels" if found else "no channel"
        raise KeyError(f"{what} named {name!r} in this batch (it has {known})")

    def points(self) -> list[Point]:
        """Every point as a :class:`Point` (built now: use the columns for speed)."""
        out: list[Point] = []
        append = out.append
        values = self.values.tolist()
        nulls = self.nulls.tolist() if self.nulls is not None else None
        known: dict[int, tuple[str, str, str, bool] | None] = {}
        for i, (cid, index) in enumerate(
            zip(self.channel_ids.tolist(), self.index.tolist(), strict=True)
        ):
            if cid in known:
                meta = known[cid]
            else:
                channel = self.channels.get(cid)
                known[cid] = meta = (
                    None
                    if channel is None
                    else (channel.uri, channel.mnemonic, channel.uom, channel.is_time)
                )
            if meta is None:
                continue
            uri, mnemonic, uom, is_time = meta
            at = datetime.fromtimestamp(index / _US, UTC) if is_time else float(index)
            value = None if nulls is not None and nulls[i] else values[i]
            append(_point(uri, mnemonic, at, value, uom))
        return out

    def to_pandas(self, *, wide: bool = True) -> pd.DataFrame:
        """A DataFrame: ``wide`` (default) one column per channel (named by mnemonic, ``#2``
        for a repeated one) on the union of their indexes, NaN/NA where a channel has no point;
        else long format (``uri``, ``mnemonic``, ``index``, ``value``, ``uom``). The index is a
        UTC DatetimeIndex for time channels. ``attrs``: ``units``, ``uris`` per column,
        ``index_uom``."""
        lib = import_pandas()
        split = self.by_channel()
        frame: pd.DataFrame = _wide_frame(lib, split) if wide else _long_frame(lib, split)
        return frame


@dataclasses.dataclass(frozen=True)
class Replaced:
    """The store replaced the points of ``channel`` in [``start``, ``end``] by ``data``
    (RangeReplaced: ``data_changes=True`` subscriptions)."""

    channel: ChannelMeta
    start: int | float | None
    end: int | float | None
    time: datetime
    data: ChannelBatch


@dataclasses.dataclass(frozen=True)
class Truncated:
    """The points of ``channel`` after ``new_end`` were deleted (ChannelsTruncated;
    TruncateChannels when streaming). ``time`` is None when not given."""

    channel: ChannelMeta
    new_end: int | float | None
    time: datetime | None


Item: TypeAlias = ChannelBatch | Replaced | Truncated
"""What a subscription or a stream yields."""


# --- pandas ---------------------------------------------------------------------------------------


def import_pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "to_pandas() needs pandas, which is optional: pip install 'witsml-etp[pandas]'"
        ) from None
    return pandas


def _pandas_index(pd: Any, channel: ChannelMeta, index: NDArray[Any]) -> Any:
    name = channel.index_name or channel.index_kind
    if channel.is_time:
        return pd.DatetimeIndex(pd.to_datetime(index, unit="us", utc=True), name=name)
    return pd.Index(index.astype(np.float64), name=name)


def _column_values(pd: Any, values: NDArray[Any], nulls: NDArray[np.bool_] | None) -> Any:
    if nulls is None:
        return values
    if values.dtype.kind == "f":
        out = values.astype(np.float64, copy=True)
        out[nulls] = np.nan
        return out
    out = values.astype(object, copy=True)
    out[nulls] = None
    kind = {"i": "Int64", "u": "Int64", "b": "boolean"}.get(values.dtype.kind)
    if kind is not None:
        return pd.array(out, dtype=kind)
    return out


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}#{n}"
    taken.add(candidate)
    return candidate


def _wide_frame(pd: Any, split: Mapping[str, ChannelPoints]) -> Any:
    if not split:
        return pd.DataFrame()
    parts = list(split.values())
    first = parts[0]
    same = all(len(p) == len(first) and np.array_equal(p.index, first.index) for p in parts)
    if same:
        index = first.index
    else:
        index = np.unique(np.concatenate([p.index for p in parts]))
        if not any(p.channel.increasing for p in parts):
            index = index[::-1]
    taken: set[str] = set()
    data: dict[str, Any] = {}
    units: dict[str, str] = {}
    uris: dict[str, str] = {}
    for p in parts:
        name = _unique_name(p.channel.mnemonic, taken)
        values, nulls = p.values, p.nulls
        if not same:
            order = np.argsort(index, kind="stable")
            at = order[np.searchsorted(index, p.index, sorter=order)]
            missing = np.ones(len(index), bool)
            missing[at] = False if nulls is None else nulls
            filled = np.zeros(len(index), values.dtype if values.dtype != object else object)
            filled[at] = values
            values, nulls = filled, missing if missing.any() else None
        data[name] = _column_values(pd, values, nulls)
        units[name], uris[name] = p.channel.uom, p.channel.uri
    frame = pd.DataFrame(data, index=_pandas_index(pd, first.channel, index))
    frame.attrs.update(units=units, uris=uris, index_uom=first.channel.index_uom)
    return frame


def _long_frame(pd: Any, split: Mapping[str, ChannelPoints]) -> Any:
    frames = []
    for p in split.values():
        frame = pd.DataFrame(
            {
                "uri": p.channel.uri,
                "mnemonic": p.channel.mnemonic,
                "index": _pandas_index(pd, p.channel, p.index),
                "value": _column_values(pd, p.values, p.nulls),
                "uom": p.channel.uom,
            }
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["uri", "mnemonic", "index", "value", "uom"])
    return pd.concat(frames, ignore_index=True)


# --- index values and units -----------------------------------------------------------------------


def wire_index(value: Index | None, channel: ChannelMeta, what: str) -> int | float | None:
    """``value`` as a wire index value for ``channel``."""
    if value is None:
        return None
    if channel.is_time:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"{what}: {value!r} has no time zone (use tz=UTC)")
            return round(value.timestamp() * _US)
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            return int(value)
        raise ValueError(
            f"{what}: {channel.mnemonic} has a time index: give an aware datetime or int "
            f"microseconds, not {value!r}"
        )
    if isinstance(value, datetime | bool):
        raise ValueError(
            f"{what}: {channel.mnemonic} has a {channel.index_kind} index: give a number "
            f"in {channel.index_uom}, not {value!r}"
        )
    return float(value)


_Plan: TypeAlias = tuple[float, float, float]


class Units:
    """Which channels (and depth indexes) convert to which unit (``units={"length": "ft",
    "ROP": "ft/h"}``: keys are mnemonics, index names or quantity classes)."""

    def __init__(self, targets: Mapping[str, str]) -> None:
        self.targets = dict(targets)
        self._plans: dict[tuple[str, str], _Plan | None] = {}

    def __bool__(self) -> bool:
        return bool(self.targets)

    def _target(self, name: str, uom: str) -> str | None:
        if name in self.targets:
            return self.targets[name]
        if not uom or ":" in uom:
            return None
        try:
            quantity = witsml_units.quantity_of(witsml_units.resolve_alias(uom)[0])
        except UnitError:
            return None
        return self.targets.get(quantity)

    def _plan(self, name: str, uom: str) -> _Plan | None:
        """(A, B, C): ``(A + B·x) / C`` converts values in ``uom``; None: no conversion."""
        target = self._target(name, uom)
        key = (uom, target or "")
        if key not in self._plans:
            if target is None or target == uom:
                self._plans[key] = None
            else:
                try:
                    a, b, c, _ = witsml_units.conversion(uom, target)
                except UnitError as e:
                    raise UnitError(f"{name!r}: {e}") from None
                self._plans[key] = (a, b, c)
        return self._plans[key]

    def plan(self, channel: ChannelMeta) -> _Plan | None:
        """How ``channel``'s values convert (None: they do not)."""
        return self._plan(channel.mnemonic, channel.uom)

    def index_plan(self, channel: ChannelMeta) -> _Plan | None:
        """How ``channel``'s index values convert (time indexes never do)."""
        if channel.is_time:
            return None
        return self._plan(channel.index_name or channel.index_kind, channel.index_uom)

    def check(self, channels: Iterable[ChannelMeta]) -> None:
        """Raise UnitError (naming the mnemonic) for a target that does not apply, and for a
        key that is neither a mnemonic or index of these channels nor a quantity class."""
        from witsml.units.quantities import QUANTITY_CLASSES

        channels = list(channels)
        names = {c.mnemonic for c in channels} | {c.index_name for c in channels}
        quantities = dict(QUANTITY_CLASSES)
        for key in self.targets:
            if key not in names and key not in quantities:
                raise UnitError(
                    f"units: {key!r} is neither a mnemonic of these channels "
                    f"({', '.join(sorted(c.mnemonic for c in channels))}) nor a quantity class"
                )
        for channel in channels:
            self.plan(channel)
            self.index_plan(channel)

    def channel(self, channel: ChannelMeta) -> ChannelMeta:
        """``channel`` with the units its values and index are given in."""
        uom, index_uom = channel.uom, channel.index_uom
        if self.plan(channel) is not None:
            uom = self._target(channel.mnemonic, channel.uom) or uom
        if self.index_plan(channel) is not None:
            name = channel.index_name or channel.index_kind
            index_uom = self._target(name, channel.index_uom) or index_uom
        if (uom, index_uom) == (channel.uom, channel.index_uom):
            return channel
        return dataclasses.replace(
            channel,
            uom=uom,
            index_uom=index_uom,
            start=_apply(self.index_plan(channel), channel.start),
            end=_apply(self.index_plan(channel), channel.end),
        )

    def apply(self, batch: ChannelBatch, original: Mapping[int, ChannelMeta]) -> ChannelBatch:
        """``batch`` (whose ``channels`` are already converted metadata) with its values and
        depth indexes converted from the ``original`` channels' units."""
        if not len(batch):
            return batch
        codes = _Codes(batch.channel_ids)
        values, index = batch.values, batch.index
        if values.dtype.kind in "fiu":
            values = _converted_column(values, codes, original, self.plan)
        if index.dtype.kind == "f":
            index = _converted_column(index, codes, original, self.index_plan)
        if values is batch.values and index is batch.index:
            return batch
        return ChannelBatch(batch.channels, batch.channel_ids, index, values, batch.nulls)


def _apply(plan: _Plan | None, value: int | float | None) -> int | float | None:
    if plan is None or value is None:
        return value
    return (plan[0] + plan[1] * value) / plan[2]


def _converted_column(
    column: NDArray[Any],
    codes: _Codes,
    channels: Mapping[int, ChannelMeta],
    plan_of: Any,
) -> NDArray[Any]:
    """``column`` with each item converted by its channel's plan (unchanged if none has one)."""
    coefficients = np.tile(np.array([0.0, 1.0, 1.0]), (codes.size, 1))
    converts = False
    for cid, meta in channels.items():
        plan = plan_of(meta)
        code = codes.of(cid)
        if plan is not None and code is not None:
            coefficients[code] = plan
            converts = True
    if not converts:
        return column
    per_item = coefficients[codes.codes]
    out: NDArray[Any] = (per_item[:, 0] + per_item[:, 1] * column) / per_item[:, 2]
    return out


class _Codes:
    """Small non-negative codes for the channel ids of a batch, to index per-channel tables
    (the ids themselves when they are small, as the store's are)."""

    def __init__(self, ids: NDArray[np.int64]) -> None:
        self._unique: NDArray[np.int64] | None = None
        if not len(ids):
            self.codes, self.size = ids, 1
            return
        low, high = int(ids.min()), int(ids.max())
        if low >= 0 and high < _DENSE_IDS:
            self.codes, self.size = ids, high + 1
            return
        unique, inverse = np.unique(ids, return_inverse=True)
        self._unique = unique
        self.codes, self.size = inverse.astype(np.int64), len(unique)

    def of(self, channel_id: int) -> int | None:
        """The code of ``channel_id``; None when the batch has no item of it."""
        if self._unique is None:
            return channel_id if 0 <= channel_id < self.size else None
        at = int(np.searchsorted(self._unique, channel_id))
        found = at < len(self._unique) and int(self._unique[at]) == channel_id
        return at if found else None


@dataclasses.dataclass(frozen=True, slots=True)
class _Slots:
    """Where the items of an id column are among a :class:`Progress`'s channels."""

    ids: NDArray[np.int64]
    slots: NDArray[Any]
    """The position of each item's channel (0 if unknown)."""
    known: NDArray[np.bool_] | None
    """Which items are of a known channel (None: all)."""
    unique: bool
    """Whether no two items share a position (one item per channel); False when not worked
    out (a column not kept)."""


class Progress:
    """The last index delivered per channel URI: what comes again is dropped.

    While batches come, the last indexes live in an array by channel (what :meth:`fresh`
    compares with and moves); :attr:`last` writes them into its dict when read.
    """

    def __init__(self) -> None:
        self._last: dict[str, int | float] = {}
        self._channels: Mapping[int, ChannelMeta] | None = None
        self._ids = np.zeros(0, np.int64)  # the known channel ids, sorted
        self._dense = True  # they are 1, 2, 3...
        self._uris: list[str] = []  # and by position there: their URIs,
        self._down: list[bool] = []  # whether their index decreases
        self._decreasing = np.zeros(0, bool)
        self._any_down = False
        self._ends: NDArray[Any] | None = None  # by position: the last index (None: see _last)
        self._moved = np.zeros(0, bool)  # positions whose end is not in _last yet
        self._slots: _Slots | None = None
        """The last batch's id column if read-only (the array: a decoder gives the same one for
        the same ids) and where its ids are."""

    @property
    def last(self) -> dict[str, int | float]:
        """The last index delivered per channel URI; changes made to this dict count for the
        batches that come next."""
        self._sync()
        self._ends = None  # the caller may change it: the next batch reads it again
        return self._last

    def fresh(self, batch: ChannelBatch) -> ChannelBatch:
        """The items of ``batch`` past each channel's last index (and of known channels); the
        last indexes move to the end of what is kept. Vectorized over the items, with no
        Python work per channel unless the channels or :attr:`last` changed."""
        if not len(batch):
            return batch
        self._learn(batch.channels)
        ids, index = batch.channel_ids, batch.index
        count = len(self._ids)
        if self._ends is None or self._ends.dtype != index.dtype:
            self._sync()
            self._ends = self._thresholds(index.dtype)
            self._moved = np.zeros(count, bool)
        ends = self._ends
        if count == 0:
            return batch.select(np.zeros(len(batch), bool))
        found = self._slots
        if found is None or found.ids is not ids:
            found = self._positions(ids)
            self._slots = None if ids.flags.writeable else found
        slots, known = found.slots, found.known
        thresholds = ends[slots]
        keep = index > thresholds
        if self._any_down:
            keep = np.where(self._decreasing[slots], index < thresholds, keep)
        if known is not None:
            keep &= known
        if np.count_nonzero(keep) < len(keep):
            batch = batch.select(keep)
            slots = slots[keep]
            if not len(batch):
                return batch
        index = batch.index
        if found.unique:  # one item per channel: each kept one is its channel's new end
            ends[slots] = index
        elif self._any_down:
            down = self._decreasing[slots]
            np.maximum.at(ends, slots[~down], index[~down])
            np.minimum.at(ends, slots[down], index[down])
        else:
            np.maximum.at(ends, slots, index)
        self._moved[slots] = True
        return batch

    def _positions(self, ids: NDArray[np.int64]) -> _Slots:
        """Where ``ids`` are among the known channels."""
        count = len(self._ids)
        known: NDArray[np.bool_] | None = None
        if self._dense:  # ids 1..count, as the store gives them: their slot is id - 1
            slots = ids - 1
            if int(ids.min()) < 1 or int(ids.max()) > count:
                known = (slots >= 0) & (slots < count)
        else:
            slots = np.searchsorted(self._ids, ids)
            known = slots < count
            known[known] = self._ids[slots[known]] == ids[known]
        if known is not None:
            slots = np.where(known, slots, 0)
        # Worth a sort only for a column kept for the batches to come (read-only, see fresh).
        kept = not ids.flags.writeable
        unique = kept and len(np.unique(slots)) == len(slots)
        return _Slots(ids, slots, known, unique)

    def _thresholds(self, dtype: np.dtype[Any]) -> NDArray[Any]:
        """The last index of each channel from :attr:`_last` (past either end when none)."""
        time = dtype.kind in "iu"
        low, high = (_INT64.min, _INT64.max) if time else (-np.inf, np.inf)
        last = self._last
        return np.array(
            [last.get(u, high if d else low) for u, d in zip(self._uris, self._down, strict=True)],
            dtype,
        )

    def _sync(self) -> None:
        """Write the ends that moved into :attr:`_last`."""
        if self._ends is None or not self._moved.any():
            return
        moved = np.flatnonzero(self._moved).tolist()
        for k, end in zip(moved, self._ends[moved].tolist(), strict=True):
            self._last[self._uris[k]] = end
        self._moved[:] = False

    def _learn(self, channels: Mapping[int, ChannelMeta]) -> None:
        """Tables of the subscription's channels (again only when it gives another mapping)."""
        if channels is self._channels:
            return
        self._sync()
        self._ends = None
        self._slots = None
        self._channels = channels
        order = sorted(channels)
        self._ids = np.array(order, np.int64)
        self._dense = order == list(range(1, len(order) + 1))
        self._uris = [channels[i].uri for i in order]
        self._down = [not channels[i].increasing for i in order]
        self._decreasing = np.array(self._down, bool)
        self._any_down = any(self._down)


def utc_datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / _US, UTC)
