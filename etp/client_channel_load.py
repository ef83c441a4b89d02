"""Loading channel data with ChannelDataLoad: :class:`ChannelLoader` (made by
:meth:`etp.client_channels.ChannelClient.load`) and its blocking twin.

The loader sends columns as DataItems (row by row for a table, channel after channel
otherwise), converting time indexes to microseconds, NaN to null and, when the data says its
units, values and depth indexes to the channel's. The store answers only refusals, so
:meth:`ChannelLoader.flush` (also done on leaving ``async with``) waits until everything sent is
stored and raises :class:`~etp.errors.ProtocolErrors` for what was refused.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from etp.channel_data import (
    ChannelMeta,
    ChannelPoints,
    Index,
    import_pandas,
    utc_datetime,
    wire_index,
)
from etp.client_subscriptions import SyncWrapper
from etp.errors import (
    EncodeError,
    EtpError,
    ProtocolError,
    ProtocolErrors,
    SessionError,
)
from etp.messages import channel_data_load as load_msg
from etp.messages import datatypes as wire
from etp.messages.base import Message
from etp.messages.data_items import DataItems
from etp.messages.datatypes import DataItem
from etp.protocols.channel_backend import item_arrays, item_bytes
from etp.protocols.channel_data_load import ChannelDataLoadCustomer
from witsml import units as witsml_units
from witsml.data import ChannelTable
from witsml.errors import UnitError

if TYPE_CHECKING:
    import pandas as pd

    from etp.client_channels import ChannelClient
    from etp.sync import LoopThread

__all__ = ["ChannelLoader", "Data", "SyncChannelLoader"]

_MESSAGE_BYTES = 1_000_000


# --- the loader -------------------------------------------------------------------------------

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
            start_index=wire_index(start, first, "start"),
            end_index=wire_index(end, first, "end"),
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
        return utc_datetime(answer.channel_change_time)

    async def truncate(self, new_ends: Mapping[str, Index]) -> dict[str, datetime]:
        """Delete, per channel (URI or mnemonic), the points after its new end index; returns
        the change time per channel URI."""
        self._check_open()
        infos: dict[str, wire.TruncateInfo] = {}
        for name, end in new_ends.items():
            channel = self.channel(name)
            infos[channel.uri] = wire.TruncateInfo(
                channel_id=channel.id, new_end_index=wire_index(end, channel, "new end")
            )
        response = await self._client.request(load_msg.TruncateChannels(channels=infos))
        done = {uri: utc_datetime(t) for uri, t in response.map().items()}
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
                with contextlib.suppress(EtpError, TimeoutError):
                    await self._client.request(load_msg.CloseChannels(id=ids))
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
        try:
            if exc is None:
                await self.flush()
        finally:
            await self.close()

    # --- columns -------------------------------------------------------------------------------

    def _budget(self) -> int:
        # Each ChannelData is one transaction of the store: about 45,000 points a commit.
        return max(
            1024, min(_MESSAGE_BYTES, self._client.negotiated.capabilities.max_message_size) - 256
        )

    def _items(self, data: Data) -> list[Sequence[DataItem]]:
        if isinstance(data, DataItems):
            width = item_bytes(data.channel_ids, data.indexes, data.values)
            step = max(1, self._budget() // width)
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
        pd = import_pandas()
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
        step = max(k, budget // item_bytes(ids, index, values) // k * k)  # whole rows
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


class SyncChannelLoader(SyncWrapper):
    """A blocking :class:`ChannelLoader`."""

    def __init__(self, loader: ChannelLoader, runner: LoopThread) -> None:
        super().__init__(loader, runner)
        self.loader = loader

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
