"""The customer side of the channel protocols: channel data as numpy columns, live and past.

::

    async with etp.connect("ws://127.0.0.1:9002/") as client:
        for channel in await client.channels([log_uri]):          # a Log means all its channels
            print(channel.mnemonic, channel.uom, channel.end)
        async with client.subscribe([log_uri], latest=100, units={"length": "ft"}) as batches:
            async for batch in batches:                            # ChannelBatch
                frame = batch.to_pandas()                          # a column per channel
        past = await client.get_range([rop_uri], 1500.0, 1600.0)   # ChannelBatch
        async with await client.load([log_uri]) as loader:         # ChannelDataLoad
            await loader.append(table)                             # ChannelTable, DataFrame...
            await loader.flush()                                   # stored, or ProtocolErrors
        async for batch in client.stream():                        # ChannelStreaming
            ...

* Channels are named by URI (Channel, or ChannelSet/Log for all their channels); the ids the
  store gives them belong to one session and are looked up again after a reconnection.
* A :class:`ChannelBatch` holds what one message brought, in long format (``channel_ids``,
  ``index``, ``values``, ``nulls``: numpy columns straight from the wire), per channel
  (``batch.channel("ROP")``, ``batch.by_channel()``), as a DataFrame (``to_pandas()``: time
  index as UTC datetimes, depth as float, units in ``attrs``) or, built only when asked, as
  :class:`Point` objects (``batch.points()``). Time indexes are int64 microseconds since 1970
  UTC in the columns.
* ``subscribe(..., units={"length": "ft", "ROP": "ft/h"})`` converts values on receipt (keys are
  mnemonics or quantity classes, as :meth:`witsml.data.ChannelTable.to_units` takes them).
* A subscription buffers at most ``buffer`` points its reader has not taken. When the reader
  falls further behind, or the store stops the subscription (SubscriptionsStopped: it did not
  read fast enough), or the connection is lost, the iteration raises
  :class:`~etp.errors.SubscriptionStopped` (:class:`~etp.errors.ConnectionClosed`) once what
  was received has been read, unless ``resume=True``: then it reconnects if needed (with
  backoff), asks for the channels' metadata again, subscribes from now, fills the gap from the
  last index it delivered with GetRanges, and drops what it already delivered: every point
  exactly once, in channel order.
* The loader sends columns as DataItems, row by row for a table; the store answers only
  refusals, so :meth:`ChannelLoader.flush` (also done by ``close``) waits until everything sent
  is stored and raises :class:`~etp.errors.ProtocolErrors` for what was refused.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from etp.errors import (
    ConnectionClosed,
    EncodeError,
    ErrorCode,
    EtpError,
    ProtocolError,
    ProtocolErrors,
    RequestTimeout,
    SessionError,
    SubscriptionStopped,
)
from etp.messages import channel_data_load as load_msg
from etp.messages import channel_streaming as stream_msg
from etp.messages import channel_subscribe as sub_msg
from etp.messages import datatypes as wire
from etp.messages.base import Message
from etp.messages.data_items import DataItems
from etp.messages.datatypes import DataItem
from etp.protocols.channel_data_load import ChannelDataLoadCustomer
from etp.protocols.channel_streaming import ChannelStreamingConsumer
from etp.protocols.channel_subscribe import ChannelSubscribeCustomer
from etp.session import Response
from witsml import units as witsml_units
from witsml.data import ChannelTable
from witsml.errors import UnitError

if TYPE_CHECKING:
    import pandas as pd

    from etp.capabilities import Negotiated
    from etp.client import Client
    from etp.sync import _LoopThread
    from etp.transport import Connection

__all__ = [
    "ChannelBatch",
    "ChannelClient",
    "ChannelLoader",
    "ChannelMeta",
    "ChannelPoints",
    "ChannelStream",
    "ChannelSubscription",
    "Point",
    "Replaced",
    "SyncChannelClient",
    "Truncated",
]

log = logging.getLogger("etp.client")

Index: TypeAlias = datetime | int | float
"""An index value: an aware datetime or int microseconds for a time index, a number (in the
index unit) otherwise."""
Channels: TypeAlias = "str | ChannelMeta | Iterable[str | ChannelMeta]"
"""Channels to read: URIs (Channel, ChannelSet, Log) or ChannelMeta, one or several."""

_US = 1_000_000
_DENSE_IDS = 1 << 20  # channel ids below this are looked up in tables, above by sorting


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
        lib = _pandas()
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
    def concat(cls, batches: Sequence[ChannelBatch]) -> ChannelBatch:
        """One batch of several, in order (channels merged, later metadata winning)."""
        if len(batches) == 1:
            return batches[0]
        channels: dict[int, ChannelMeta] = {}
        for b in batches:
            channels.update(b.channels)
        if not batches:
            return cls(channels, np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
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
        values = self.values.tolist()
        nulls = self.nulls.tolist() if self.nulls is not None else None
        for i, (cid, index) in enumerate(
            zip(self.channel_ids.tolist(), self.index.tolist(), strict=True)
        ):
            meta = self.channels.get(cid)
            if meta is None:
                continue
            at = datetime.fromtimestamp(index / _US, UTC) if meta.is_time else float(index)
            value = None if nulls is not None and nulls[i] else values[i]
            out.append(Point(meta.uri, meta.mnemonic, at, value, meta.uom))
        return out

    def to_pandas(self, *, wide: bool = True) -> pd.DataFrame:
        """A DataFrame: ``wide`` (default) one column per channel (named by mnemonic, ``#2``
        for a repeated one) on the union of their indexes, NaN/NA where a channel has no point;
        else long format (``uri``, ``mnemonic``, ``index``, ``value``, ``uom``). The index is a
        UTC DatetimeIndex for time channels. ``attrs``: ``units``, ``uris`` per column,
        ``index_uom``."""
        lib = _pandas()
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


def _pandas() -> Any:
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


def _index_arg(value: Index | None, channel: ChannelMeta, what: str) -> int | float | None:
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


class _Units:
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


class _Progress:
    """The last index delivered per channel URI: what comes again is dropped."""

    def __init__(self) -> None:
        self.last: dict[str, int | float] = {}

    def fresh(self, batch: ChannelBatch) -> ChannelBatch:
        """The items of ``batch`` past each channel's last index (and of known channels); the
        last indexes move to the end of what is kept."""
        if not len(batch):
            return batch
        table = _Codes(batch.channel_ids)
        codes, size = table.codes, table.size
        known = np.zeros(size, bool)
        decreasing = np.zeros(size, bool)
        time = batch.index.dtype.kind in "iu"
        low = np.iinfo(np.int64).min if time else -np.inf
        high = np.iinfo(np.int64).max if time else np.inf
        threshold = np.full(size, low, batch.index.dtype if time else np.float64)
        metas: dict[int, ChannelMeta] = {}
        for cid, meta in batch.channels.items():
            code = table.of(cid)
            if code is None:
                continue
            metas[code] = meta
            known[code] = True
            decreasing[code] = not meta.increasing
            last = self.last.get(meta.uri)
            threshold[code] = (high if decreasing[code] else low) if last is None else last
        item_threshold = threshold[codes]
        item_decreasing = decreasing[codes]
        keep = np.where(item_decreasing, batch.index < item_threshold, batch.index > item_threshold)
        keep &= known[codes]
        batch = batch.select(keep)
        if len(batch):
            kept_codes = codes[keep]
            ends_up = np.full(size, low, threshold.dtype)
            ends_down = np.full(size, high, threshold.dtype)
            np.maximum.at(ends_up, kept_codes, batch.index.astype(threshold.dtype))
            np.minimum.at(ends_down, kept_codes, batch.index.astype(threshold.dtype))
            present = np.zeros(size, bool)
            present[kept_codes] = True
            for code in np.flatnonzero(present).tolist():
                end = ends_down[code] if decreasing[code] else ends_up[code]
                self.last[metas[code].uri] = end.item()
        return batch


# --- receiving: one bounded buffer per subscription or stream -------------------------------------


class _Inbox:
    """What arrived for one subscription or stream, until its reader takes it; at most
    ``bound`` points (past that it drops everything and says so, once)."""

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self.entries: collections.deque[tuple[str, Any]] = collections.deque()
        self.points = 0
        self.dropping = False
        self.wake = asyncio.Event()

    def data(self, data: Sequence[DataItem]) -> bool:
        """Queue points; False when they overflow the bound (then it drops until ``accept``)."""
        if self.dropping:
            return True
        if self.points + len(data) > self.bound and self.entries:
            self.dropping = True
            self.put("overflow", None)
            return False
        self.points += len(data)
        self.put("data", data)
        return True

    def put(self, kind: str, payload: Any) -> None:
        self.entries.append((kind, payload))
        self.wake.set()

    def accept(self) -> None:
        """Take data again (after the reader dealt with an overflow)."""
        self.dropping = False

    async def get(self) -> tuple[str, Any]:
        while not self.entries:
            self.wake.clear()
            await self.wake.wait()
        kind, payload = self.entries.popleft()
        if kind == "data":
            self.points -= len(payload)
        return kind, payload


def _uris(channels: Channels) -> list[str]:
    if isinstance(channels, str | ChannelMeta):
        channels = [channels]
    uris = [c.uri if isinstance(c, ChannelMeta) else c for c in channels]
    if not uris:
        raise ValueError("name at least one channel (a Channel, ChannelSet or Log URI)")
    return list(dict.fromkeys(uris))


class ChannelSubscription:
    """A ChannelSubscribe subscription (made by :meth:`ChannelClient.subscribe`): an async
    iterator of :class:`ChannelBatch` (and, with ``data_changes``, :class:`Replaced` and
    :class:`Truncated`); ``async with`` unsubscribes on the way out. It subscribes on first use.
    """

    def __init__(
        self,
        client: ChannelClient,
        channels: Channels,
        *,
        start: Index | None,
        latest: int | None,
        units: Mapping[str, str] | None,
        resume: bool,
        data_changes: bool,
        buffer: int,
    ) -> None:
        self.uris = _uris(channels)
        self.start_index = start
        self.latest = latest
        self.resume = resume
        self.data_changes = data_changes
        self.channels: dict[int, ChannelMeta] = {}
        """The subscribed channels by id (in the current session), units as delivered."""
        self.reason: str | None = None
        """Why the subscription ended, once it has."""
        self.resumed = 0
        """How many times it resumed (reconnection, falling behind)."""
        self._client = client
        self._owned: list[ChannelClient] = []
        self._units = _Units(units or {})
        self._original: dict[int, ChannelMeta] = {}
        self._progress = _Progress()
        self._inbox = _Inbox(buffer)
        self._front: collections.deque[ChannelBatch] = collections.deque()
        self._started = False
        self._ended = False
        self._handler: ChannelSubscribeCustomer | None = None

    # --- receiving (ChannelReceiver) ---------------------------------------------------------

    def on_data(self, data: Sequence[DataItem]) -> None:
        if not self._inbox.data(data) and self._handler is not None:
            ids = {str(i): i for i in self.channels}
            client = self._client
            client._conn.start_task(
                _quietly(client.request(sub_msg.UnsubscribeChannels(channel_ids=ids))),
                name="etp-unsubscribe-behind",
            )

    def on_message(self, message: Message) -> None:
        self._inbox.put("message", message)

    def on_session_end(self) -> None:
        self._inbox.put("lost", None)

    # --- the iteration -----------------------------------------------------------------------

    async def start(self) -> ChannelSubscription:
        """Subscribe now (iteration does it otherwise). Raises ProtocolErrors naming the
        channels the store refused (nothing stays subscribed then)."""
        if not self._started:
            self._started = True
            await self._subscribe(self._client)
        return self

    def __aiter__(self) -> ChannelSubscription:
        return self

    async def __anext__(self) -> Item:
        await self.start()
        while True:
            if self._front:
                batch = self._deliverable(self._front.popleft())
                if batch is not None:
                    return batch
                continue
            if self._ended:
                raise StopAsyncIteration
            kind, payload = await self._inbox.get()
            if kind == "data":
                batch = self._deliverable(ChannelBatch.of(payload, self._original))
                if batch is not None:
                    return batch
            elif kind == "message":
                item = await self._message(payload)
                if item is not None:
                    return item
            elif kind == "overflow":
                await self._interrupted(
                    f"the reader fell behind: more than {self._inbox.bound} points waited to be "
                    "read (subscribe with a larger buffer, or read faster)"
                )
            elif kind == "lost":
                await self._interrupted("the connection was lost", lost=True)
            elif kind == "end":
                raise StopAsyncIteration

    def _deliverable(self, batch: ChannelBatch) -> ChannelBatch | None:
        batch = self._progress.fresh(batch)
        if not len(batch):
            return None
        converted = ChannelBatch(
            self.channels, batch.channel_ids, batch.index, batch.values, batch.nulls
        )
        return self._units.apply(converted, self._original) if self._units else converted

    async def _message(self, message: Message) -> Item | None:
        match message:
            case sub_msg.SubscriptionsStopped(reason=reason):
                await self._interrupted(f"the store stopped the subscription: {reason}")
            case sub_msg.RangeReplaced() if self.data_changes:
                return self._replaced(message)
            case sub_msg.ChannelsTruncated(channels=infos, change_time=when) if self.data_changes:
                for info in infos:
                    meta = self.channels.get(info.channel_id)
                    if meta is not None:
                        new_end = info.new_end_index
                        end = new_end if isinstance(new_end, int | float) else None
                        if end is not None and meta.uri in self._progress.last:
                            self._progress.last[meta.uri] = end
                        return Truncated(meta, end, _datetime(when))
        return None

    def _replaced(self, message: sub_msg.RangeReplaced) -> Replaced | None:
        ids = [i for i in message.channel_ids if i in self.channels]
        if not ids:
            return None
        data = ChannelBatch.of(message.data, self.channels)
        interval = message.changed_interval

        def bound(value: object) -> int | float | None:
            return value if isinstance(value, int | float) else None

        return Replaced(
            self.channels[ids[0]],
            bound(interval.start_index),
            bound(interval.end_index),
            _datetime(message.change_time),
            self._units.apply(data, self._original) if self._units else data,
        )

    async def _interrupted(self, reason: str, *, lost: bool = False) -> None:
        if not self.resume:
            self._finish(reason)
            if lost:
                raise ConnectionClosed(reason)
            raise SubscriptionStopped(reason, self.uris)
        log.warning("channel subscription interrupted (%s): resuming", reason)
        self.resumed += 1
        delay = 0.1
        while True:
            try:
                client = await self._live_client()
                if not lost:
                    await _quietly(self._unsubscribe_all(client))
                await self._subscribe(client)
                return
            except (ConnectionClosed, SessionError, RequestTimeout) as e:
                lost = True
                log.warning("resuming the channel subscription failed (%s); retry in %gs", e, delay)
                await asyncio.sleep(delay)
                delay = min(2 * delay, 5.0)

    async def _live_client(self) -> ChannelClient:
        if not self._client.closed:
            return self._client
        for owned in self._owned:
            await _quietly(owned.close())
        self._owned.clear()
        client = await self._client.reconnect()
        self._owned.append(client)
        self._client = client
        return client

    # --- subscribing ---------------------------------------------------------------------------

    async def _subscribe(self, client: ChannelClient) -> None:
        handler = ChannelSubscribeCustomer.of(client._conn)
        if handler is None:
            raise SessionError(
                "ChannelSubscribe (21) is not available in this session: the server did not "
                "grant it, or the client was connected without "
                "etp.protocols.channel_subscribe.ChannelSubscribeCustomer"
            )
        if self._handler is not None:
            self._handler.unroute(self)
        metas = {m.id: m for m in await client.channels(self.uris)}
        if self._units:
            self._units.check(metas.values())
        self._original = metas
        self.channels = {i: self._units.channel(m) for i, m in metas.items()}
        self._handler = handler
        handler.route(list(metas), self)
        resumed = {i: m for i, m in metas.items() if m.uri in self._progress.last}
        infos = {
            str(i): wire.ChannelSubscribeInfo(
                channel_id=i,
                start_index=None if i in resumed else self._start(m),
                data_changes=self.data_changes,
                request_latest_index_count=None if i in resumed else self.latest,
            )
            for i, m in metas.items()
        }
        self._inbox.accept()
        response = await client.request(sub_msg.SubscribeChannels(channels=infos))
        if response.errors or response.error is not None:
            await _quietly(self._unsubscribe_all(client))
            handler.unroute(self)
            refused = {metas[int(k)].uri: e for k, e in response.errors.items() if k.isdigit()}
            raise ProtocolErrors("SubscribeChannels", refused, error=response.error)
        if resumed:  # what came between the last point delivered and the new subscription
            ends = {m.uri: m.end for m in await client.channels([m.uri for m in resumed.values()])}
            gaps = [
                (m, self._progress.last[m.uri], ends.get(m.uri))
                for m in resumed.values()
                if ends.get(m.uri) is not None
            ]
            if gaps:
                self._front.append(await client._read_ranges(gaps, self._original))

    def _start(self, channel: ChannelMeta) -> int | float | None:
        """The start index for ``channel``, given in the units asked for, in the channel's."""
        shown = self.channels[channel.id]
        start = _index_arg(self.start_index, shown, "start")
        if isinstance(start, float) and shown.index_uom != channel.index_uom:
            return witsml_units.convert(start, shown.index_uom, channel.index_uom)
        return start

    async def _unsubscribe_all(self, client: ChannelClient) -> None:
        if self.channels and not client.closed:
            ids = {str(i): i for i in self.channels}
            await client.request(sub_msg.UnsubscribeChannels(channel_ids=ids))

    def _finish(self, reason: str) -> None:
        self._ended = True
        self.reason = self.reason or reason
        if self._handler is not None:
            self._handler.unroute(self)

    async def unsubscribe(self) -> None:
        """End the subscription (UnsubscribeChannels; what is buffered is dropped).
        Idempotent."""
        if self._ended:
            return
        self._finish("unsubscribed")
        if self._started and not self._client.closed:
            await _quietly(self._unsubscribe_all(self._client))
        for owned in self._owned:
            await _quietly(owned.close())
        self._owned.clear()

    async def __aenter__(self) -> ChannelSubscription:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.unsubscribe()


async def _quietly(work: Any) -> None:
    """Await ``work``, ignoring what a dying session or a refusal raises (best effort)."""
    with contextlib.suppress(EtpError, TimeoutError):
        await work


def _datetime(us: int) -> datetime:
    return datetime.fromtimestamp(us / _US, UTC)


class ChannelStream:
    """ChannelStreaming as the consumer (made by :meth:`ChannelClient.stream`): an async
    iterator of :class:`ChannelBatch` and :class:`Truncated` from StartStreaming on; ``async
    with`` (or :meth:`stop`) sends StopStreaming. ``channels`` (by id) once started."""

    def __init__(self, client: ChannelClient, units: Mapping[str, str] | None, buffer: int) -> None:
        self.channels: dict[int, ChannelMeta] = {}
        self.reason: str | None = None
        self._client = client
        self._units = _Units(units or {})
        self._original: dict[int, ChannelMeta] = {}
        self._inbox = _Inbox(buffer)
        self._metadata: asyncio.Future[stream_msg.ChannelMetadata] | None = None
        self._handler: ChannelStreamingConsumer | None = None
        self._started = False
        self._ended = False

    def on_data(self, data: Sequence[DataItem]) -> None:
        if not self._inbox.data(data):
            self._client._conn.start_task(
                _quietly(self._client.send(stream_msg.StopStreaming())), name="etp-stop-behind"
            )

    def on_message(self, message: Message) -> None:
        if isinstance(message, stream_msg.ChannelMetadata):
            if self._metadata is not None and not self._metadata.done():
                self._metadata.set_result(message)
            self._set_channels(message)
            return
        self._inbox.put("message", message)

    def on_session_end(self) -> None:
        self._inbox.put("lost", None)

    def _set_channels(self, message: stream_msg.ChannelMetadata) -> None:
        metas = {r.id: ChannelMeta.from_record(r) for r in message.channels}
        if self._units:
            self._units.check(metas.values())
        self._original = metas
        self.channels = {i: self._units.channel(m) for i, m in metas.items()}

    async def start(self) -> ChannelStream:
        """StartStreaming now (iteration does it otherwise); waits for the ChannelMetadata."""
        if self._started:
            return self
        self._started = True
        client = self._client
        handler = ChannelStreamingConsumer.of(client._conn)
        if handler is None:
            raise SessionError(
                "ChannelStreaming (1) with the server as producer is not available in this "
                "session: the server did not grant it"
            )
        if handler.receiver is not None:
            raise SessionError("this session is already streaming (one stream per session)")
        handler.receiver = self
        self._handler = handler
        self._metadata = asyncio.get_running_loop().create_future()
        # The metadata answers StartStreaming, or comes on its own (correlationId 0).
        asking = asyncio.ensure_future(client.request(stream_msg.StartStreaming()))
        waiting: set[asyncio.Future[Any]] = {asking, self._metadata}
        done, _ = await asyncio.wait(waiting, return_when="FIRST_COMPLETED")
        if asking in done:
            message = asking.result().message
            if not isinstance(message, stream_msg.ChannelMetadata):
                raise ProtocolError(
                    ErrorCode.EINVALID_MESSAGETYPE,
                    f"StartStreaming answered with {type(message).__name__}",
                )
            self._set_channels(message)
        else:
            asking.cancel()
        return self

    def __aiter__(self) -> ChannelStream:
        return self

    async def __anext__(self) -> Item:
        await self.start()
        while True:
            if self._ended:
                raise StopAsyncIteration
            kind, payload = await self._inbox.get()
            if kind == "data":
                batch = ChannelBatch.of(payload, self.channels)
                if len(batch):
                    return self._units.apply(batch, self._original) if self._units else batch
            elif kind == "message" and isinstance(payload, stream_msg.TruncateChannels):
                for info in payload.channels:
                    meta = self.channels.get(info.channel_id)
                    if meta is not None:
                        end = info.new_end_index
                        return Truncated(meta, end if isinstance(end, int | float) else None, None)
            elif kind == "overflow":
                self._finish("the reader fell behind: streaming stopped")
                raise SubscriptionStopped(self.reason or "", [])
            elif kind == "lost":
                self._finish("the connection was lost")
                raise ConnectionClosed(self.reason or "")

    def _finish(self, reason: str) -> None:
        self._ended = True
        self.reason = self.reason or reason
        if self._handler is not None and self._handler.receiver is self:
            self._handler.receiver = None

    async def stop(self) -> None:
        """StopStreaming (what is buffered is dropped). Idempotent."""
        if self._ended:
            return
        self._finish("stopped")
        if self._started and not self._client.closed:
            await _quietly(self._client.send(stream_msg.StopStreaming()))

    async def __aenter__(self) -> ChannelStream:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


# --- loading --------------------------------------------------------------------------------------

Data: TypeAlias = "ChannelTable | pd.DataFrame | DataItems | Mapping[str, Any]"
"""What a loader takes: a ChannelTable or DataFrame (columns named by mnemonic or URI), a
mapping of channel (URI or mnemonic) to ``(index, values)`` arrays or a ChannelPoints, or
DataItems carrying the loader's ids (``loader.ids``)."""


@dataclasses.dataclass(eq=False)
class _Column:
    channel: ChannelMeta
    index: NDArray[Any]
    values: NDArray[Any]
    nulls: NDArray[np.bool_] | None


class ChannelLoader:
    """Channels opened for loading (made by :meth:`ChannelClient.load`); ``async with`` closes
    them (CloseChannels), after checking that everything sent was stored."""

    def __init__(self, client: ChannelClient, channels: Sequence[ChannelMeta]) -> None:
        self.channels = list(channels)
        """The opened channels (ids of this session, ranges when opened)."""
        self.sent = 0
        """Points sent."""
        self.closed_by_store: dict[int, str] = {}
        """Channels the store closed on its own, with its reason."""
        self._client = client
        self._refused: dict[int, ProtocolError] = {}
        self._by_uri = {c.uri: c for c in self.channels}
        self._closed = False

    @property
    def ids(self) -> dict[str, int]:
        """The session id of each opened channel, by URI (e.g. for ``Batch.data_items``)."""
        return {c.uri: c.id for c in self.channels}

    def channel(self, name: str) -> ChannelMeta:
        """The opened channel with this URI or mnemonic (KeyError if none or several)."""
        if name in self._by_uri:
            return self._by_uri[name]
        found = [c for c in self.channels if c.mnemonic == name]
        if len(found) != 1:
            what = "several opened channels" if found else "no opened channel"
            raise KeyError(
                f"{what} named {name!r}; opened: {sorted(c.mnemonic for c in self.channels)}"
            )
        return found[0]

    # --- receiving (LoadReceiver) --------------------------------------------------------------

    def on_refused(self, message_id: int, error: ProtocolError) -> None:
        self._refused[message_id] = error

    def on_closed(self, reason: str, channel_ids: list[int]) -> None:
        mine = {c.id for c in self.channels}
        for channel_id in channel_ids:
            if channel_id in mine:
                self.closed_by_store[channel_id] = reason

    # --- sending -------------------------------------------------------------------------------

    async def append(self, data: Data) -> int:
        """Append points (see :data:`Data`); returns how many were sent. The store refuses a
        message that does not append (EINVALID_APPEND...): :meth:`flush` reports it."""
        self._check_open()
        messages = self._items(data)
        for items in messages:
            await self._send(load_msg.ChannelData(data=items))
            self.sent += len(items)
        return sum(len(items) for items in messages)

    async def _send(self, message: Message) -> None:
        await self._client.send(message)

    async def flush(self) -> None:
        """Wait until the store has handled everything sent so far; raise ProtocolErrors
        (keyed ``message <id>``) for the ChannelData it refused since the last flush."""
        self._check_open()
        await self._client.request(load_msg.OpenChannels(uris={}))
        self._raise_refused()

    def _raise_refused(self) -> None:
        if self._refused:
            errors = {f"message {i}": e for i, e in sorted(self._refused.items())}
            self._refused.clear()
            raise ProtocolErrors("ChannelData", errors)

    async def replace_range(
        self, start: Index, end: Index, data: Data | None = None, channels: Iterable[str] = ()
    ) -> datetime:
        """Replace the points in [``start``, ``end``] of the channels in ``data`` and
        ``channels`` (named: deleted only) by ``data``; returns the store's change time."""
        self._check_open()
        named = [self.channel(name) for name in channels]
        columns = self._columns(data) if data is not None else []
        targets = list({c.id: c for c in [*named, *(col.channel for col in columns)]}.values())
        if not targets:
            raise ValueError("replace_range: name the channels (data or channels=...)")
        first = targets[0]
        interval = wire.IndexInterval(
            start_index=_index_arg(start, first, "start"),
            end_index=_index_arg(end, first, "end"),
            uom=first.index_uom,
            depth_datum=first.depth_datum,
        )
        ids = [c.id for c in targets]
        budget = self._budget()
        arrays = _row_items(columns, budget) or [[]]
        parts = [
            load_msg.ReplaceRange(changed_interval=interval, channel_ids=ids, data=items)
            for items in arrays
        ]
        response = await self._client.request(parts[0], *parts[1:])
        answer = response.message
        assert isinstance(answer, load_msg.ReplaceRangeResponse)
        return _datetime(answer.channel_change_time)

    async def truncate(self, new_ends: Mapping[str, Index]) -> dict[str, datetime]:
        """Delete, per channel (URI or mnemonic), the points after its new end index; returns
        the change time per channel URI."""
        self._check_open()
        infos: dict[str, wire.TruncateInfo] = {}
        for name, end in new_ends.items():
            channel = self.channel(name)
            infos[channel.uri] = wire.TruncateInfo(
                channel_id=channel.id, new_end_index=_index_arg(end, channel, "new end")
            )
        response = await self._client.request(load_msg.TruncateChannels(channels=infos))
        done = {uri: _datetime(t) for uri, t in response.map().items()}
        if response.errors or response.error is not None:
            raise ProtocolErrors(
                "TruncateChannels", dict(response.errors), done, error=response.error
            )
        return done

    async def close(self) -> None:
        """Close the channels (CloseChannels); raise ProtocolErrors for refused ChannelData.
        Idempotent."""
        if self._closed:
            return
        self._closed = True
        handler = ChannelDataLoadCustomer.of(self._client._conn)
        if not self._client.closed:
            ids = {c.uri: c.id for c in self.channels if c.id not in self.closed_by_store}
            if ids:
                await _quietly(self._client.request(load_msg.CloseChannels(id=ids)))
        if handler is not None and self in handler.loaders:
            handler.loaders.remove(self)
        self._raise_refused()

    def _check_open(self) -> None:
        if self._closed:
            raise SessionError("this loader is closed")

    async def __aenter__(self) -> ChannelLoader:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.flush()
        await self.close()

    # --- columns -------------------------------------------------------------------------------

    def _budget(self) -> int:
        return max(
            1024, min(1_000_000, self._client.negotiated.capabilities.max_message_size) - 256
        )

    def _items(self, data: Data) -> list[Sequence[DataItem]]:
        if isinstance(data, DataItems):
            step = max(1, self._budget() // 40)
            return [data[i : i + step] for i in range(0, len(data), step)]
        return _row_items(self._columns(data), self._budget())

    def _columns(self, data: Data) -> list[_Column]:
        if isinstance(data, ChannelTable):
            return self._table_columns(data)
        if hasattr(data, "columns") and hasattr(data, "index") and not isinstance(data, Mapping):
            return self._frame_columns(data)
        if isinstance(data, Mapping):
            out = []
            for name, value in data.items():
                channel = self.channel(name)
                if isinstance(value, ChannelPoints):
                    out.append(_column(channel, value.index, value.values, value.nulls))
                else:
                    index, values = value
                    out.append(_column(channel, index, values, None))
            return out
        raise TypeError(f"cannot load a {type(data).__name__}: see ChannelLoader.append")

    def _table_columns(self, table: ChannelTable) -> list[_Column]:
        index_column = table.index
        out = []
        for column in table.channels:
            channel = self.channel(column.mnemonic)
            index = _converted(index_column.values, index_column.uom, channel.index_uom, channel)
            values = column.values
            if column.uom and channel.uom and column.uom != channel.uom:
                values = _to_unit(values, column.uom, channel)
            out.append(_column(channel, index, values, column.mask))
        return out

    def _frame_columns(self, frame: Any) -> list[_Column]:
        pd = _pandas()
        units = dict(frame.attrs.get("units", {}))
        raw_index = frame.index
        if isinstance(raw_index, pd.DatetimeIndex):
            stamps = (
                raw_index if raw_index.tz is None else raw_index.tz_convert("UTC").tz_localize(None)
            )
            index = stamps.to_numpy().astype("datetime64[us]")
        else:
            index = np.asarray(raw_index)
        out = []
        for name in frame.columns:
            channel = self.channel(str(name))
            series = frame[name]
            nulls = series.isna().to_numpy()
            values = series.to_numpy()
            if values.dtype == object and channel.data_kind != "typeString":
                values = series.astype("float64").to_numpy()
            uom = units.get(name)
            if uom and channel.uom and uom != channel.uom:
                values = _to_unit(values, uom, channel)
            idx = _converted(index, units.get(raw_index.name), channel.index_uom, channel)
            out.append(_column(channel, idx, values, nulls))
        return out


def _converted(
    index: NDArray[Any], uom: str | None, target: str, channel: ChannelMeta
) -> NDArray[Any]:
    if index.dtype.kind == "M" or channel.is_time:
        return index
    if uom and target and uom != target:
        return witsml_units.convert(index, uom, target)
    return index


def _to_unit(values: NDArray[Any], uom: str, channel: ChannelMeta) -> NDArray[Any]:
    if values.dtype.kind not in "fiu":
        raise EncodeError(
            f"{channel.mnemonic}: {values.dtype} values cannot be converted from {uom}"
        )
    try:
        return witsml_units.convert(values, uom, channel.uom)
    except UnitError as e:
        raise EncodeError(f"{channel.mnemonic}: {e}") from None


def _column(channel: ChannelMeta, index: Any, values: Any, nulls: Any) -> _Column:
    """One channel's points for the wire: the index as int64 µs (time) or float64, NaN as null."""
    idx = np.asarray(index)
    if idx.dtype.kind == "M":
        idx = idx.astype("datetime64[us]").astype(np.int64)
    elif channel.is_time:
        if idx.dtype.kind not in "iu":
            raise EncodeError(
                f"{channel.mnemonic} has a time index: give datetime64 values or int microseconds"
            )
        idx = idx.astype(np.int64)
    else:
        idx = idx.astype(np.float64)
    vals = np.asarray(values)
    mask = None if nulls is None else np.asarray(nulls, bool)
    if vals.dtype.kind == "f":
        nan = np.isnan(vals)
        if nan.any():
            mask = nan if mask is None else mask | nan
    if vals.dtype.kind == "U":
        vals = vals.astype(object)
    if len(vals) != len(idx) or (mask is not None and len(mask) != len(idx)):
        raise EncodeError(f"{channel.mnemonic}: {len(idx)} index values but {len(vals)} values")
    return _Column(channel, idx, vals, mask if mask is not None and mask.any() else None)


def _row_items(columns: Sequence[_Column], budget: int) -> list[Sequence[DataItem]]:
    """The columns as DataItem arrays: row by row when they share their index (a table), one
    channel after the other otherwise; one array per value dtype, each fitting ``budget``."""
    from etp.protocols.channel_backend import item_arrays
    from etp.store.channels import Points

    groups: dict[tuple[str, str], list[_Column]] = {}
    for c in columns:
        if len(c.index):
            groups.setdefault((c.index.dtype.str, c.values.dtype.str), []).append(c)
    out: list[Sequence[DataItem]] = []
    for members in groups.values():
        first = members[0]
        rows = (
            len(members) > 1
            and first.values.dtype != object
            and all(m.index is first.index or np.array_equal(m.index, first.index) for m in members)
        )
        if not rows:
            parts = [(m.channel.id, Points(m.index, m.values, m.nulls)) for m in members]
            out += item_arrays(parts, budget)
            continue
        k, n = len(members), len(first.index)
        ids = np.tile(np.array([m.channel.id for m in members], np.int64), n)
        index = np.repeat(first.index, k)
        values = np.stack([m.values for m in members], axis=1).ravel()
        nulls = None
        if any(m.nulls is not None for m in members):
            nulls = np.stack(
                [m.nulls if m.nulls is not None else np.zeros(n, bool) for m in members], axis=1
            ).ravel()
        step = max(k, budget // 40 // k * k)  # whole rows per message
        out += [
            DataItems(
                ids[i : i + step],
                index[i : i + step],
                values[i : i + step],
                None if nulls is None else nulls[i : i + step],
            )
            for i in range(0, len(ids), step)
        ]
    return out


# --- the client methods ---------------------------------------------------------------------------


class ChannelClient:
    """The channel-protocol methods of :class:`etp.Client` (a mixin; see the module docs)."""

    if TYPE_CHECKING:
        _conn: Connection

        @property
        def negotiated(self) -> Negotiated: ...

        @property
        def closed(self) -> bool: ...

        async def request(
            self, message: Message, *parts: Message, acknowledge: bool = False
        ) -> Response: ...

        async def send(self, message: Message, *parts: Message) -> int: ...

        async def close(self, reason: str = "") -> None: ...

        async def reconnect(self) -> Client: ...

    async def channels(self, uris: Channels) -> list[ChannelMeta]:
        """The metadata of channels (GetChannelMetadata): a ChannelSet or Log URI gives all its
        channels, in document order. Raises ProtocolErrors naming the URIs the store refused
        (``results``: the channels found)."""
        keys = {str(i): uri for i, uri in enumerate(_uris(uris))}
        response = await self.request(sub_msg.GetChannelMetadata(uris=keys))
        found = response.map()
        order = {key: n for n, key in enumerate(keys)}

        def position(key: str) -> tuple[int, int]:
            head, _, tail = key.partition("/")
            return order.get(head, len(order)), int(tail) if tail.isdigit() else -1

        metas = [ChannelMeta.from_record(found[k]) for k in sorted(found, key=position)]
        if response.errors or response.error is not None:
            errors = {keys.get(k, k): e for k, e in response.errors.items()}
            raise ProtocolErrors("GetChannelMetadata", errors, metas, error=response.error)
        return metas

    def subscribe(
        self,
        channels: Channels,
        *,
        start: Index | None = None,
        latest: int | None = None,
        units: Mapping[str, str] | None = None,
        resume: bool = False,
        data_changes: bool = False,
        buffer: int = 1_000_000,
    ) -> ChannelSubscription:
        """Subscribe to channels (ChannelSubscribe): the latest ``latest`` points of each, or
        its points from ``start`` (an aware datetime or µs for time, a number for depth), or
        from now; then every new point. Iterate the returned subscription (see the module
        documentation for ``units``, ``resume`` and ``buffer``); ``data_changes`` also yields
        :class:`Replaced` and :class:`Truncated` events."""
        return ChannelSubscription(
            self,
            channels,
            start=start,
            latest=latest,
            units=units,
            resume=resume,
            data_changes=data_changes,
            buffer=buffer,
        )

    async def get_range(
        self,
        channels: Channels,
        start: Index | None = None,
        end: Index | None = None,
        *,
        units: Mapping[str, str] | None = None,
    ) -> ChannelBatch:
        """The points of channels with index in [``start``, ``end``] (inclusive, either order;
        None: open) (GetRanges). Raises ProtocolErrors with the points read in ``results``
        when the store stops at its MaxRangeDataItemCount."""
        metas = await self.channels(channels)
        converter = _Units(units or {})
        converter.check(metas)
        shown = {m.id: converter.channel(m) for m in metas}
        ranges = [  # in the units asked for: the store converts the interval
            (s, _index_arg(start, s, "start"), _index_arg(end, s, "end")) for s in shown.values()
        ]
        batch = await self._read_ranges(ranges, {m.id: m for m in metas})
        if not converter:
            return batch
        return converter.apply(
            ChannelBatch(shown, batch.channel_ids, batch.index, batch.values, batch.nulls),
            batch.channels,
        )

    async def _read_ranges(
        self,
        ranges: Sequence[tuple[ChannelMeta, int | float | None, int | float | None]],
        channels: Mapping[int, ChannelMeta],
    ) -> ChannelBatch:
        """GetRanges of (channel, start, end) triples, one ChannelRangeInfo each."""
        infos = [
            wire.ChannelRangeInfo(
                channel_ids=[m.id],
                interval=wire.IndexInterval(
                    start_index=start, end_index=end, uom=m.index_uom, depth_datum=m.depth_datum
                ),
            )
            for m, start, end in ranges
        ]
        response = await self.request(
            sub_msg.GetRanges(request_uuid=uuid.uuid4(), channel_ranges=infos)
        )
        batches = [
            ChannelBatch.of(m.data, channels)
            for m in response.messages
            if isinstance(m, sub_msg.GetRangesResponse) and len(m.data)
        ]
        batch = ChannelBatch.concat(batches) if batches else ChannelBatch.concat([])
        if batch is not None and not batches:
            batch = ChannelBatch(dict(channels), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))
        if response.errors or response.error is not None:
            raise ProtocolErrors("GetRanges", dict(response.errors), batch, error=response.error)
        return batch

    async def load(self, channels: Channels) -> ChannelLoader:
        """Open channels for loading (ChannelDataLoad OpenChannels; the Channel objects must be
        in the store). Raises ProtocolErrors naming the URIs refused (nothing stays open)."""
        handler = ChannelDataLoadCustomer.of(self._conn)
        if handler is None:
            raise SessionError(
                "ChannelDataLoad (22) is not available in this session: the server did not "
                "grant it, or the client was connected without its customer handler"
            )
        keys = {str(i): uri for i, uri in enumerate(_uris(channels))}
        response = await self.request(load_msg.OpenChannels(uris=keys))
        opened = response.map()
        metas = [ChannelMeta.from_record(info.metadata) for info in opened.values()]
        if response.errors or response.error is not None:
            if metas:
                ids = {m.uri: m.id for m in metas}
                await _quietly(self.request(load_msg.CloseChannels(id=ids)))
            errors = {keys.get(k, k): e for k, e in response.errors.items()}
            raise ProtocolErrors("OpenChannels", errors, metas, error=response.error)
        loader = ChannelLoader(self, metas)
        handler.loaders.append(loader)
        return loader

    def stream(
        self, *, units: Mapping[str, str] | None = None, buffer: int = 1_000_000
    ) -> ChannelStream:
        """Consume the server's ChannelStreaming: iterate the returned stream (it sends
        StartStreaming on first use; ``stream.channels`` then lists what it streams)."""
        return ChannelStream(self, units, buffer)


# --- the blocking twins ---------------------------------------------------------------------------


class _SyncIterator:
    """A blocking iterator over an async one; each wait bounded by ``timeout`` (iteration
    stops when nothing arrives in time)."""

    def __init__(self, source: Any, runner: _LoopThread, timeout: float | None) -> None:
        self._source = source
        self._runner = runner
        self.timeout = timeout

    def __iter__(self) -> Iterator[Any]:
        async def next_item() -> Any:
            return await anext(self._source)

        while True:
            try:
                yield self._runner.call(next_item(), self.timeout)
            except (StopAsyncIteration, RequestTimeout):
                return

    def __enter__(self) -> Any:
        self._runner.call(self._source.__aenter__())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._runner.call(self._source.__aexit__(exc_type, exc, tb))


class SyncChannelSubscription(_SyncIterator):
    """A blocking :class:`ChannelSubscription`: iterate for batches; ``with`` unsubscribes."""

    def unsubscribe(self) -> None:
        """End the subscription."""
        self._runner.call(self._source.unsubscribe())


class SyncChannelStream(_SyncIterator):
    """A blocking :class:`ChannelStream`: iterate for batches; ``with`` stops streaming."""

    def stop(self) -> None:
        """StopStreaming."""
        self._runner.call(self._source.stop())


class SyncChannelLoader:
    """A blocking :class:`ChannelLoader`."""

    def __init__(self, loader: ChannelLoader, runner: _LoopThread) -> None:
        self.loader = loader
        self._runner = runner

    @property
    def channels(self) -> list[ChannelMeta]:
        return self.loader.channels

    @property
    def ids(self) -> dict[str, int]:
        return self.loader.ids

    def append(self, data: Data) -> int:
        """See :meth:`ChannelLoader.append`."""
        return self._runner.call(self.loader.append(data))

    def flush(self) -> None:
        """See :meth:`ChannelLoader.flush`."""
        self._runner.call(self.loader.flush())

    def replace_range(
        self, start: Index, end: Index, data: Data | None = None, channels: Iterable[str] = ()
    ) -> datetime:
        """See :meth:`ChannelLoader.replace_range`."""
        return self._runner.call(self.loader.replace_range(start, end, data, list(channels)))

    def truncate(self, new_ends: Mapping[str, Index]) -> dict[str, datetime]:
        """See :meth:`ChannelLoader.truncate`."""
        return self._runner.call(self.loader.truncate(dict(new_ends)))

    def close(self) -> None:
        """See :meth:`ChannelLoader.close`."""
        self._runner.call(self.loader.close())

    def __enter__(self) -> SyncChannelLoader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._runner.call(self.loader.__aexit__(exc_type, exc, tb))


class SyncChannelClient:
    """The blocking twins of :class:`ChannelClient`'s methods (a mixin of
    :class:`etp.SyncClient`)."""

    if TYPE_CHECKING:
        _client: Client
        _runner: _LoopThread

    def channels(self, uris: Channels) -> list[ChannelMeta]:
        """See :meth:`ChannelClient.channels`."""
        return self._runner.call(self._client.channels(_uris(uris)))

    def subscribe(
        self, channels: Channels, *, timeout: float | None = None, **options: Any
    ) -> SyncChannelSubscription:
        """See :meth:`ChannelClient.subscribe` (same keyword options); ``timeout`` bounds each
        wait for a batch when iterating."""
        subscription = self._client.subscribe(_uris(channels), **options)
        return SyncChannelSubscription(subscription, self._runner, timeout)

    def get_range(
        self,
        channels: Channels,
        start: Index | None = None,
        end: Index | None = None,
        **options: Any,
    ) -> ChannelBatch:
        """See :meth:`ChannelClient.get_range`."""
        return self._runner.call(self._client.get_range(_uris(channels), start, end, **options))

    def load(self, channels: Channels) -> SyncChannelLoader:
        """See :meth:`ChannelClient.load`."""
        return SyncChannelLoader(
            self._runner.call(self._client.load(_uris(channels))), self._runner
        )

    def stream(self, *, timeout: float | None = None, **options: Any) -> SyncChannelStream:
        """See :meth:`ChannelClient.stream`; ``timeout`` bounds each wait when iterating."""
        return SyncChannelStream(self._client.stream(**options), self._runner, timeout)
