"""What the channel handlers share: their limits, the session's channel ids, metadata records,
and channel points ⇄ DataItem arrays.

ChannelSubscribe (21), ChannelDataLoad (22) and ChannelStreaming (1) name channels by ids the
store hands out per session (GetChannelMetadata, OpenChannels, ChannelMetadata). One
:class:`SessionChannels` per session, shared by the three handlers, maps them to the store's
channel keys: a channel has one id in a session whatever the protocol, ids start at 1 in every
session, and an id the session was never given is EINVALID_CHANNELID.

Points travel as :class:`~etp.messages.data_items.DataItems` columns (the codec's vectorized
path) both ways; only string channels (and irregular items a peer may send) take the generic
``DataItem`` path. :func:`item_arrays` cuts a send into arrays that each fit one message.
"""

from __future__ import annotations

import collections
import dataclasses
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from etp.errors import ErrorCode, ProtocolError
from etp.messages import datatypes as wire
from etp.messages.data_items import DataItems
from etp.messages.datatypes import DataItem, DataValue, ProtocolCapabilityKind
from etp.protocols import SessionContext
from etp.protocols.store_backend import can_read, can_write, denied
from etp.store import Store
from etp.store.channels import ChannelInfo, IndexValue, Points, split_by_channel
from etp.uri import DataObjectUri
from witsml import units
from witsml.errors import UnitError

__all__ = [
    "ChannelLimits",
    "SessionChannels",
    "index_bound",
    "index_value",
    "item_arrays",
    "item_bytes",
    "metadata_record",
    "open_channels",
    "points_by_id",
]

_K = ProtocolCapabilityKind


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChannelLimits:
    """Limits of the channel handlers, advertised as protocol capabilities."""

    max_subscriptions: int = 10_000
    """MaxSubscriptionSessionCount (ChannelSubscribe): channels one session may subscribe to."""
    max_range_channels: int = 1_000
    """MaxRangeChannelCount: channels one GetRanges may name."""
    max_range_items: int = 1_000_000
    """MaxRangeDataItemCount: points in one GetRanges answer; past it the store sends what it
    read, then ERESPONSECOUNT_EXCEEDED."""
    max_streaming_channels: int = 10_000
    """MaxStreamingChannelsSessionCount: channels ChannelStreaming streams to one session."""
    max_pending: int = 1_000_000
    """Points a session's subscriptions may lag behind the store before they are stopped."""
    message_bytes: int = 256_000
    """Target size of one ChannelData message (never more than the negotiated limit): about
    11,000 double points; measured no slower than larger ones, and it bounds what a session
    that does not read holds in its send queue (its capacity times this)."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"ChannelLimits.{f.name} must be a positive integer, got {value!r}"
                )

    def capabilities(self, *kinds: ProtocolCapabilityKind) -> dict[str, DataValue]:
        """The protocolCapabilities map announcing the limits named by ``kinds``."""
        values = {
            _K.MAX_SUBSCRIPTION_SESSION_COUNT: self.max_subscriptions,
            _K.MAX_RANGE_CHANNEL_COUNT: self.max_range_channels,
            _K.MAX_RANGE_DATA_ITEM_COUNT: self.max_range_items,
            _K.MAX_STREAMING_CHANNELS_SESSION_COUNT: self.max_streaming_channels,
        }
        return {str(kind): values[kind] for kind in kinds}

    def message_budget(self, session: SessionContext) -> int:
        """Bytes of DataItems one message may carry in ``session``."""
        negotiated = session.negotiated.capabilities.max_message_size
        return max(1024, min(self.message_bytes, negotiated) - 256)


# --- session channel ids ------------------------------------------------------------------------


@dataclasses.dataclass
class SessionChannel:
    """A channel this session was given an id for."""

    id: int
    info: ChannelInfo
    dataspace: str

    @property
    def key(self) -> int:
        return self.info.key


_REGISTRIES: weakref.WeakKeyDictionary[SessionContext, SessionChannels] = (
    weakref.WeakKeyDictionary()
)


class SessionChannels:
    """The channel ids of one session (shared by its channel handlers)."""

    def __init__(self) -> None:
        self._by_id: dict[int, SessionChannel] = {}
        self._by_key: dict[int, SessionChannel] = {}

    @staticmethod
    def of(session: SessionContext) -> SessionChannels:
        """The registry of ``session`` (created on first use)."""
        registry = _REGISTRIES.get(session)
        if registry is None:
            registry = _REGISTRIES[session] = SessionChannels()
        return registry

    def add(self, info: ChannelInfo) -> SessionChannel:
        """The session's entry for a channel the store opened: its id (the same as before if
        the session has seen it), with ``info`` as its latest state."""
        known = self._by_key.get(info.key)
        if known is not None:
            known.info = info
            return known
        dataspace = str(DataObjectUri.parse(info.uri).dataspace_uri)
        entry = SessionChannel(len(self._by_id) + 1, info, dataspace)
        self._by_id[entry.id] = entry
        self._by_key[info.key] = entry
        return entry

    def get(self, channel_id: int) -> SessionChannel:
        """The channel of ``channel_id``; EINVALID_CHANNELID if this session was never given it."""
        entry = self._by_id.get(channel_id)
        if entry is None:
            raise ProtocolError(
                ErrorCode.EINVALID_CHANNELID,
                f"channel id {channel_id} was not given to this session (ids come from "
                "GetChannelMetadata, OpenChannels or ChannelMetadata, per session)",
            )
        return entry

    def by_key(self, key: int) -> SessionChannel | None:
        """The entry of a store channel key, if the session has one."""
        return self._by_key.get(key)


async def open_channels(
    store: Store,
    session: SessionContext,
    uris: Mapping[str, str],
    *,
    write: bool = False,
) -> tuple[dict[str, SessionChannel], dict[str, ProtocolError]]:
    """The channels named by a map request (GetChannelMetadata, OpenChannels), by its keys.

    Each key names one Channel (a map response reuses the request's keys, one entry each, as
    ETP peers expect): a ChannelSet or Log URI is EINVALID_ARGUMENT, naming the way to its
    channels (Discovery, or the object's XML; :meth:`etp.client.Client.channels` does it).
    Per key also: EINVALID_URI, EREQUEST_DENIED (dataspace not readable, or not writable with
    ``write``), ENOT_FOUND, EINVALID_ARGUMENT (not a Channel, or one that declares no index).
    """
    registry = SessionChannels.of(session)
    errors: dict[str, ProtocolError] = {}
    wanted: dict[str, str] = {}
    for key, text in uris.items():
        try:
            uri = DataObjectUri.parse(text)
        except ProtocolError as e:
            errors[key] = ProtocolError(e.code, e.message, key=key)
            continue
        if uri.object_type in ("ChannelSet", "Log"):
            errors[key] = ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"{text} is a {uri.object_type}: name its Channels, one per key (Discovery "
                "GetResources with it as context and dataObjectTypes Channel lists them)",
                key=key,
            )
            continue
        dataspace = str(uri.dataspace_uri)
        allowed = (can_write if write else can_read)(session.identity, dataspace)
        if not allowed:
            errors[key] = denied("write" if write else "read", dataspace, key)
            continue
        wanted[key] = text
    outcome = await store.channels.open(set(wanted.values()))
    found: dict[str, SessionChannel] = {}
    for key, text in wanted.items():
        if text in outcome.errors:
            error = outcome.errors[text]
            errors[key] = ProtocolError(error.code, error.message, key=key)
            continue
        found[key] = registry.add(outcome.found[text][0])
    return found, errors


# --- metadata -------------------------------------------------------------------------------------


def metadata_record(channel: SessionChannel) -> wire.ChannelMetadataRecord:
    """The ChannelMetadataRecord of a session channel: its id, primary index with the current
    interval, data kind, unit and status."""
    info = channel.info
    d = info.definition
    index = wire.IndexMetadataRecord(
        index_kind=wire.ChannelIndexKind(d.index_kind.value),
        interval=wire.IndexInterval(
            start_index=index_value(info.start),
            end_index=index_value(info.end),
            uom=d.index_uom,
            depth_datum=d.depth_datum,
        ),
        direction=wire.IndexDirection(d.direction.value),
        name=d.index_mnemonic,
        uom=d.index_uom,
        depth_datum=d.depth_datum,
        index_property_kind_uri="",
        filterable=True,
    )
    kind = d.data_kind.value if d.data_kind is not None else wire.ChannelDataKind.TYPE_BYTES
    return wire.ChannelMetadataRecord(
        uri=info.uri,
        id=channel.id,
        indexes=[index],
        channel_name=d.mnemonic,
        data_kind=wire.ChannelDataKind(kind),
        uom=d.uom,
        depth_datum=d.depth_datum,
        channel_class_uri="",
        status=wire.ActiveStatusKind(info.status.value),
        source="",
        axis_vector_lengths=[],
    )


# --- index values ---------------------------------------------------------------------------------


def index_value(value: IndexValue | None) -> int | float | None:
    """A store index value as a wire IndexValue (long for time, double otherwise)."""
    if value is None:
        return None
    return value.item() if isinstance(value, np.generic) else value


def index_bound(
    channel: SessionChannel, value: wire.IndexValue, uom: str, what: str
) -> IndexValue | None:
    """A wire index value (a range bound, a start, a new end) for ``channel``: long for a time
    index, double otherwise, converted from ``uom`` to the channel's index unit when both are
    given and differ. EINVALID_INDEXKIND for the other kind, EINVALID_ARGUMENT for a unit that
    does not convert."""
    d = channel.info.definition
    if value is None:
        return None
    if isinstance(value, wire.PassIndexedDepth | bool):
        raise ProtocolError(
            ErrorCode.EINVALID_INDEXKIND,
            f"{what}: {value!r} is not a {d.index_kind.value} index value of {channel.info.uri}",
        )
    if d.is_time:
        if isinstance(value, int):
            return value
        raise ProtocolError(
            ErrorCode.EINVALID_INDEXKIND,
            f"{what}: {channel.info.uri} has a DateTime index: give a long (microseconds since "
            f"1970 UTC), not {value!r}",
        )
    if not isinstance(value, float):
        raise ProtocolError(
            ErrorCode.EINVALID_INDEXKIND,
            f"{what}: {channel.info.uri} has a {d.index_kind.value} index: give a double in "
            f"{d.index_uom or 'its unit'}, not {value!r}",
        )
    if uom and d.index_uom and uom != d.index_uom:
        try:
            return units.convert(value, uom, d.index_uom)
        except UnitError as e:
            raise ProtocolError(ErrorCode.EINVALID_ARGUMENT, f"{what}: {e}") from None
    return value


# --- points ⇄ DataItem arrays -------------------------------------------------------------------

# Bytes of a DataItem's value / index besides the channel id and 5 bytes of structure.
_VALUE_BYTES = {"f8": 8, "f4": 4, "i8": 10, "i4": 5, "b1": 1}


def item_bytes(channel_ids: NDArray[Any], indexes: NDArray[Any], values: NDArray[Any]) -> int:
    """The most bytes one item of these DataItems columns takes encoded (one index, no
    attributes; numeric values): to cut arrays that fit a message without encoding them."""
    top = int(channel_ids.max(initial=0))
    return 5 + _varint_bytes(2 * top) + _column_bytes(indexes) + _column_bytes(values)


def _column_bytes(column: NDArray[Any]) -> int:
    if column.dtype.kind in "iu" and len(column):  # zig-zag varints
        largest = max(abs(int(column.min())), abs(int(column.max())))
        return _varint_bytes(2 * largest + 1)
    return _VALUE_BYTES.get(column.dtype.str[1:], 10)


# The arrays last built for few points, by (budget, (channel id, points)...): Points compare
# and hash by identity, and the key holds them alive.
_SHARED: collections.OrderedDict[tuple[object, ...], list[Sequence[DataItem]]] = (
    collections.OrderedDict()
)
_SHARED_ENTRIES = 32
_SHARED_POINTS = 65_536


def item_arrays(parts: Sequence[tuple[int, Points]], budget: int) -> list[Sequence[DataItem]]:
    """The points of ``parts`` ((channel id, points) in the order to send) as DataItem arrays of
    at most ``budget`` encoded bytes each: DataItems columns, one array per index and value
    dtype (a message holds one of each), generic items for string values.

    The same parts again (the same Points objects under the same ids: what every session
    subscribed to the channels of one commit sends) give the same DataItems objects, built
    once, whose encoding the codec then reuses: fan-out costs little per session. Only sends
    of up to 65,536 points are remembered (the last 32)."""
    key = (budget, *parts)
    shared = _SHARED.get(key)
    if shared is not None:
        _SHARED.move_to_end(key)
        return list(shared)
    arrays = _item_arrays(parts, budget)
    if sum(len(points) for _, points in parts) <= _SHARED_POINTS:
        _SHARED[key] = arrays
        if len(_SHARED) > _SHARED_ENTRIES:
            _SHARED.popitem(last=False)
    return list(arrays)


def _item_arrays(parts: Sequence[tuple[int, Points]], budget: int) -> list[Sequence[DataItem]]:
    groups: dict[tuple[str, str], list[tuple[int, Points]]] = {}
    for channel_id, points in parts:
        if len(points):
            kind = (points.indexes.dtype.str[1:], points.values.dtype.str[1:])
            groups.setdefault(kind, []).append((channel_id, points))
    out: list[Sequence[DataItem]] = []
    for (_, value_kind), members in groups.items():
        if value_kind in _VALUE_BYTES:
            out += _columns(members, budget)
        else:
            out += _generic(members, budget)
    return out


def _columns(members: list[tuple[int, Points]], budget: int) -> list[Sequence[DataItem]]:
    if len(members) == 1:
        channel_id, points = members[0]
        ids = np.full(len(points), channel_id, np.int64)
        indexes, values, nulls = points.indexes, points.values, points.nulls
    else:
        lengths = [len(p) for _, p in members]
        ids = np.repeat(np.array([i for i, _ in members], np.int64), lengths)
        indexes = np.concatenate([p.indexes for _, p in members])
        values = np.concatenate([p.values for _, p in members])
        nulls = None
        if any(p.nulls is not None for _, p in members):
            nulls = np.concatenate(
                [p.nulls if p.nulls is not None else np.zeros(len(p), bool) for _, p in members]
            )
    step = max(1, budget // item_bytes(ids, indexes, values))
    return [
        DataItems(
            ids[i : i + step],
            indexes[i : i + step],
            values[i : i + step],
            None if nulls is None else nulls[i : i + step],
        )
        for i in range(0, len(ids), step)
    ]


def _generic(members: list[tuple[int, Points]], budget: int) -> list[Sequence[DataItem]]:
    out: list[Sequence[DataItem]] = []
    items: list[DataItem] = []
    size = 0
    for channel_id, points in members:
        for index, value in zip(points.indexes.tolist(), points.value_list(), strict=True):
            need = 32 + (len(value.encode()) if isinstance(value, str) else 16)
            if items and size + need > budget:
                out.append(items)
                items, size = [], 0
            items.append(DataItem(channel_id=channel_id, indexes=[index], value=value))
            size += need
    if items:
        out.append(items)
    return out


def _varint_bytes(value: int) -> int:
    return max(1, (value.bit_length() + 6) // 7)


def points_by_id(data: Sequence[DataItem]) -> dict[int, Points]:
    """The points of a received DataItem array per channel id, each in arrival order.

    Columns are split without copying; generic items are checked one by one: EINVALID_ARGUMENT
    for an item without exactly one index, with value attributes, or with an array value.
    """
    if isinstance(data, DataItems):
        return split_by_channel(data.channel_ids, data.indexes, data.values, data.nulls)
    indexes: dict[int, list[Any]] = {}
    values: dict[int, list[Any]] = {}
    for n, item in enumerate(data):
        if len(item.indexes) != 1:
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"item {n} (channel id {item.channel_id}) has {len(item.indexes)} index values: "
                "this store keeps one (the primary index)",
            )
        value = item.value
        if value is not None and not isinstance(value, bool | int | float | str | np.number):
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"item {n} (channel id {item.channel_id}): a {type(value).__name__} value; "
                "channels hold scalars",
            )
        indexes.setdefault(item.channel_id, []).append(item.indexes[0])
        values.setdefault(item.channel_id, []).append(value)
    return {
        channel_id: _points(indexes[channel_id], column) for channel_id, column in values.items()
    }


def _points(indexes: list[Any], values: list[Any]) -> Points:
    nulls = np.fromiter((v is None for v in values), bool, len(values))
    if any(isinstance(v, str) for v in values):
        column: NDArray[Any] = np.array(values, dtype=object)
    else:
        present = [v for v in values if v is not None]
        dtype = np.asarray(present).dtype if present else np.dtype(np.float64)
        column = np.array([0 if v is None else v for v in values], dtype=dtype)
    index = np.array(indexes)
    if index.dtype == object:  # PassIndexedDepth or a mix the store will name
        raise ProtocolError(
            ErrorCode.EINVALID_INDEXKIND,
            f"index values {indexes[:3]!r}... are neither all longs nor all doubles",
        )
    return Points(index, column, nulls)
