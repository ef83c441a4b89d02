"""The ChannelSet model <-> its data as a table: what ``ChannelSet.table()`` and
``ChannelSet.set_table()`` do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from witsml.data.decode import decode
from witsml.data.table import ChannelSpec, ChannelTable, IndexSpec, PointMetadataSpec
from witsml.errors import BulkDataError

if TYPE_CHECKING:
    from witsml.objects.log import ChannelSet


def specs(channel_set: ChannelSet) -> tuple[tuple[IndexSpec, ...], tuple[ChannelSpec, ...]]:
    """The declared indexes and channels of ``channel_set``, in order."""
    indexes = tuple(
        IndexSpec(index.mnemonic, index.uom, str(index.index_type), str(index.direction))
        for index in channel_set.indexes
    )
    channels = tuple(
        ChannelSpec(
            channel.mnemonic,
            channel.uom,
            str(channel.data_type),
            tuple(PointMetadataSpec(m.name, str(m.etp_data_type)) for m in channel.point_metadata),
        )
        for channel in channel_set.channels
    )
    return indexes, channels


def read(channel_set: ChannelSet, *, lax: bool = False) -> ChannelTable:
    """The data of ``channel_set`` as typed columns (zero rows when it has no data).

    Data kept in an external file (``Data/FileUri``) raises BulkDataError naming the URI: this
    library does not read such files, and an empty table would hide the data.
    """
    path = f"ChannelSet {channel_set.uuid}/Data"
    data = channel_set.data
    if data is not None and data.file_uri is not None:
        raise BulkDataError(
            f"the data is in an external file, FileUri {data.file_uri!r}, which is not read; "
            "the URI is channel_set.data.file_uri",
            path=f"{path}/FileUri",
        )
    indexes, channels = specs(channel_set)
    text = data.text if data is not None else None
    return decode(text, indexes, channels, lax=lax, path=f"{path}/Data")


def write(channel_set: ChannelSet, table: ChannelTable) -> None:
    """Replace the data of ``channel_set`` with ``table``, whose columns must be those declared:
    same mnemonics, units, index types and data types, in the same order."""
    from witsml.objects.log import ChannelData

    indexes, channels = specs(channel_set)
    if table.index_specs != indexes or table.channel_specs != channels:
        raise ValueError(
            "the table's columns differ from the ChannelSet's declared indexes and channels:\n"
            f"  declared: {_describe(indexes, channels)}\n"
            f"  table:    {_describe(table.index_specs, table.channel_specs)}"
        )
    channel_set.data = ChannelData(text=table.to_json())


def _describe(indexes: tuple[IndexSpec, ...], channels: tuple[ChannelSpec, ...]) -> str:
    parts = [f"{s.mnemonic} [{s.uom}, {s.index_type}, {s.direction}]" for s in indexes]
    parts += [f"{s.mnemonic} [{s.uom}, {s.data_type}]" for s in channels]
    return ", ".join(parts)
