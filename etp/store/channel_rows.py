"""A channel's row and its blocks in SQL, shared by the channel data modules.

The ``channels`` row of a Channel object holds its declaration (a :class:`ChannelDefinition`)
and its live state (first/last key, count, seq, last append, active, the open append
annotation); :class:`ChannelRow` is that row in memory. :func:`scan` reads the blocks of a key
interval in channel order; :func:`read_bounds` turns the arguments of a range read into keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from etp.errors import ErrorCode, ProtocolError
from etp.store import blocks
from etp.store.channels import (
    ChannelDefinition,
    ChannelInfo,
    DataKind,
    IndexDirection,
    IndexKind,
    IndexValue,
    Points,
)
from etp.store.records import ActiveStatus
from etp.store.tx import Row, Tx

if TYPE_CHECKING:
    from etp.store.channel_write import Chunk

__all__ = [
    "CHANNEL_COLUMNS",
    "CHANNEL_TYPES",
    "KEY_MAX",
    "KEY_MIN",
    "ChannelRow",
    "contained_ids",
    "definition_of",
    "definition_row",
    "index_arg",
    "joined",
    "key_at",
    "read_bounds",
    "scalar",
    "scan",
    "value_at",
]

KEY_MIN = -(2**63)
KEY_MAX = 2**63 - 1
CHANNEL_TYPES = ("Channel", "ChannelSet", "Log")
"""The object types that are or contain channels."""
CHANNEL_COLUMNS = (
    "key, object_id, mnemonic, data_kind, uom, index_kind, index_uom, direction, index_mnemonic, "
    "depth_datum, first_key, last_key, point_count, seq, last_append, active, append_since, "
    "append_from_key, written"
)
"""The columns of a ``channels`` row, as :class:`ChannelRow` reads them."""
_READ_BATCH = 64  # blocks fetched per query of a range read


def definition_of(row: Row) -> ChannelDefinition:
    """The declaration in a ``channels`` row."""
    return ChannelDefinition(
        mnemonic=row[2],
        data_kind=DataKind(row[3]) if row[3] is not None else None,
        uom=row[4],
        index_kind=IndexKind(row[5]),
        index_uom=row[6],
        direction=IndexDirection(row[7]),
        index_mnemonic=row[8],
        depth_datum=row[9],
    )


def definition_row(object_id: int, d: ChannelDefinition) -> tuple[object, ...]:
    """The declaration columns of a ``channels`` row (after ``object_id``)."""
    return (
        object_id,
        d.mnemonic,
        d.data_kind.value if d.data_kind is not None else None,
        d.uom,
        d.index_kind.value,
        d.index_uom,
        d.direction.value,
        d.index_mnemonic,
        d.depth_datum,
    )


def value_at(key: int | None, definition: ChannelDefinition) -> IndexValue | None:
    """The index value of a stored key (None stays None)."""
    return None if key is None else blocks.value_of(key, definition.is_time)


def key_at(value: IndexValue | None, definition: ChannelDefinition) -> int | None:
    """The stored key of an index value (None stays None)."""
    return None if value is None else blocks.key_of(value, definition.is_time)


@dataclass(slots=True)
class ChannelRow:
    """A channel's row in memory (changed there by a write transaction, then written back)."""

    key: int
    object_id: int
    definition: ChannelDefinition
    first: IndexValue | None
    last: IndexValue | None
    count: int
    seq: int
    last_append: int
    active: bool
    append_since: int
    append_from: IndexValue | None
    written: int
    uri: str = ""
    was_active: bool = False
    dirty: bool = False
    pending: list[Chunk] = field(default_factory=list)

    @classmethod
    def of(cls, row: Row, uri: str, d: ChannelDefinition) -> ChannelRow:
        """The row read with :data:`CHANNEL_COLUMNS` (its declaration already made: ``d``)."""
        return cls(
            key=row[0],
            object_id=row[1],
            definition=d,
            first=value_at(row[10], d),
            last=value_at(row[11], d),
            count=row[12],
            seq=row[13],
            last_append=row[14],
            active=bool(row[15]),
            append_since=row[16],
            append_from=value_at(row[17], d),
            written=row[18],
            uri=uri,
            was_active=bool(row[15]),
        )

    def info(self) -> ChannelInfo:
        """What :class:`ChannelInfo` says of the channel."""
        return ChannelInfo(
            key=self.key,
            uri=self.uri,
            definition=self.definition,
            start=self.first,
            end=self.last,
            count=self.count,
            seq=self.seq,
            status=ActiveStatus.ACTIVE if self.active else ActiveStatus.INACTIVE,
            last_append=self.last_append,
        )

    def state_row(self) -> tuple[object, ...]:
        """The live state columns, then the key (the parameters of the state UPDATE)."""
        d = self.definition
        return (
            key_at(self.first, d),
            key_at(self.last, d),
            self.count,
            self.seq,
            self.last_append,
            int(self.active),
            self.append_since,
            key_at(self.append_from, d),
            self.written,
            self.key,
        )


def index_arg(value: object, live: ChannelRow, what: str) -> IndexValue:
    """An index value given as an argument, checked against the channel's index kind."""
    d = live.definition
    where = f"channel {live.uri} (key {live.key})"
    if isinstance(value, bool):
        pass
    elif d.is_time and isinstance(value, int):
        return int(value)
    elif not d.is_time and isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ProtocolError(
                ErrorCode.EINVALID_ARGUMENT,
                f"{where}: {what} {value!r} is not finite",
                key=live.uri,
            )
        return float(value)
    expected = "long microseconds" if d.is_time else f"double ({d.index_uom})"
    raise ProtocolError(
        ErrorCode.EINVALID_INDEXKIND,
        f"{where} has a {d.index_kind.value} index: {what} must be {expected}, not {value!r}",
        key=live.uri,
    )


def scalar(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (index arguments may come from arrays)."""
    return value.item() if hasattr(value, "item") else value


# -- reading blocks -----------------------------------------------------------------------------


def scan(
    tx: Tx,
    key: int,
    definition: ChannelDefinition,
    low: int,
    high: int,
    want: int | None,
    *,
    backwards: bool = False,
) -> list[Points]:
    """The points of channel ``key`` with keys in [low, high], block by block, in channel order
    (``backwards``: in reverse channel order), until at least ``want`` points (None: all)."""
    if low > high:
        return []
    ascending = (definition.direction is IndexDirection.INCREASING) != backwards
    lo_value = None if low == KEY_MIN else blocks.value_of(low, definition.is_time)
    hi_value = None if high == KEY_MAX else blocks.value_of(high, definition.is_time)
    parts: list[Points] = []
    got = 0
    # from the block that may hold ``low`` (it starts at or below it), in the same query
    start = (
        "COALESCE((SELECT MAX(lo_key) FROM channel_data WHERE channel_id = ? AND lo_key <= ?), ?)"
    )
    start_args: tuple[int, ...] = (key, low, low)
    top = high
    batch = _READ_BATCH if want is None else 2  # a few points: fetch few blocks first
    while True:
        rows = tx.rows(
            "SELECT lo_key, point_count, indexes, vals, nulls FROM channel_data "
            f"WHERE channel_id = ? AND lo_key >= {start} AND lo_key <= ? "
            f"ORDER BY lo_key {'ASC' if ascending else 'DESC'} LIMIT {batch}",
            (key, *start_args, top),
        )
        for _, count, indexes, values, nulls in rows:
            points = blocks.decode_block(definition, count, indexes, values, nulls)
            points = blocks.select(points, lo_value, hi_value, definition.direction)
            if len(points):
                parts.append(points[::-1] if backwards else points)
                got += len(points)
        if len(rows) < batch or (want is not None and got >= want):
            return parts
        batch = min(batch * 4, _READ_BATCH)
        if ascending:
            start, start_args = "?", (rows[-1][0] + 1,)
        else:
            top = rows[-1][0] - 1


def read_bounds(
    live: ChannelRow,
    start: IndexValue | None,
    end: IndexValue | None,
    after: IndexValue | None,
) -> tuple[int, int]:
    """The key interval of a range read (see :meth:`ChannelStore.read_range
    <etp.store.channels.ChannelStore.read_range>`)."""
    d = live.definition
    increasing = d.direction is IndexDirection.INCREASING
    k_start = None if start is None else blocks.key_of(index_arg(start, live, "start"), d.is_time)
    k_end = None if end is None else blocks.key_of(index_arg(end, live, "end"), d.is_time)
    if k_start is not None and k_end is not None:
        low, high = min(k_start, k_end), max(k_start, k_end)
    elif increasing:
        low = KEY_MIN if k_start is None else k_start
        high = KEY_MAX if k_end is None else k_end
    else:
        low = KEY_MIN if k_end is None else k_end
        high = KEY_MAX if k_start is None else k_start
    if after is not None:
        k_after = blocks.key_of(index_arg(after, live, "after"), d.is_time)
        if increasing:
            low = max(low, k_after + 1) if k_after < KEY_MAX else KEY_MAX + 1
        else:
            high = min(high, k_after - 1) if k_after > KEY_MIN else KEY_MIN - 1
    return low, high


def joined(definition: ChannelDefinition, parts: list[Points], limit: int | None) -> Points:
    """``parts`` as one column set, at most ``limit`` points (empty: the channel's dtypes)."""
    if not parts:
        return blocks.empty_points(definition)
    points = blocks.concat(parts)
    return points if limit is None or len(points) <= limit else points[:limit]


def contained_ids(tx: Tx, object_id: int, object_type: str) -> list[int]:
    """The object and, for a ChannelSet or Log, every object it contains (at any depth)."""
    ids = [object_id]
    frontier = ids
    while frontier and object_type != "Channel":
        frontier = [
            row[0]
            for row in tx.rows(
                "SELECT t.id FROM edges e JOIN objects t ON t.uri = e.target "
                f"WHERE e.containment = 1 AND e.source_id {tx.IN_IDS}",
                (tx.array(frontier),),
            )
        ]
        ids = ids + frontier
    return ids
