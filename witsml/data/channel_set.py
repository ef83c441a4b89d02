"""The ChannelSet model <-> its data as a table: what ``ChannelSet.table()``,
``ChannelSet.set_table()`` and ``ChannelSet.from_table()`` do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from witsml.data.decode import decode
from witsml.data.table import ChannelSpec, ChannelTable, IndexSpec, PointMetadataSpec
from witsml.errors import BulkDataError

if TYPE_CHECKING:
    from witsml.objects.common import DataObjectReference
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


def build(
    table: ChannelTable,
    *,
    title: str,
    logging_company_name: str,
    channel_classes: Mapping[str, DataObjectReference],
    growing_status: str = "closed",
) -> ChannelSet:
    """A new ChannelSet declaring the table's indexes and channels, holding its data.

    Each channel needs its ``ChannelClass``, a reference to the PropertyKind of its quantity:
    ``channel_classes`` maps every channel mnemonic to one. ``TimeDepth`` is ``time`` for a time
    primary index, else ``depth``.
    """
    from witsml.objects.common import Citation
    from witsml.objects.log import Channel, ChannelData, ChannelIndex, ChannelSet, PointMetadata

    missing = sorted({m for m in table.mnemonics if m not in channel_classes})
    if missing:
        raise ValueError(f"no channel_classes (PropertyKind reference) for {missing}")
    indexes = [
        ChannelIndex(
            index_type=spec.index_type,
            uom=spec.uom,
            direction=spec.direction,
            mnemonic=spec.mnemonic,
        )
        for spec in table.index_specs
    ]
    time_depth = "time" if "time" in table.index_specs[0].index_type else "depth"
    channels = [
        Channel(
            citation=Citation(title=spec.mnemonic),
            mnemonic=spec.mnemonic,
            data_type=spec.data_type,
            uom=spec.uom,
            growing_status=growing_status,
            time_depth=time_depth,
            channel_class=channel_classes[spec.mnemonic],
            logging_company_name=logging_company_name,
            point_metadata=[
                PointMetadata(name=m.name, etp_data_type=m.data_type, description=m.name)
                for m in spec.point_metadata
            ],
            indexes=indexes,
        )
        for spec in table.channel_specs
    ]
    return ChannelSet(
        citation=Citation(title=title),
        indexes=indexes,
        channels=channels,
        data=ChannelData(text=table.to_json()),
        time_depth=time_depth,
        logging_company_name=logging_company_name,
    )
