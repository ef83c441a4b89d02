"""What a writer gets: one ChannelSet's columns, with the objects that describe it.

Every format holds the data of one ChannelSet. :func:`select` picks it from a Log (or takes a
ChannelSet), decodes its data and keeps only the channels asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from witsml.data.table import ChannelTable
from witsml.errors import FormatError
from witsml.objects.log import ChannelSet, Log
from witsml.objects.well import Well
from witsml.objects.wellbore import Wellbore


@dataclass(frozen=True)
class Export:
    """One ChannelSet to write: its decoded ``table`` and the objects around it.

    ``log`` is None when a lone ChannelSet was given; ``well`` and ``wellbore``, when known,
    fill header items (LAS ``~Well``) that a Log alone does not carry.
    """

    table: ChannelTable
    channel_set: ChannelSet
    log: Log | None = None
    well: Well | None = None
    wellbore: Wellbore | None = None

    @property
    def title(self) -> str:
        """The Log's title, else the ChannelSet's."""
        return (self.log or self.channel_set).citation.title

    @property
    def wellbore_title(self) -> str | None:
        """The Wellbore's name: from the Wellbore object, else from the Log's reference."""
        if self.wellbore is not None:
            return self.wellbore.citation.title
        reference = self.log.wellbore if self.log is not None else self.channel_set.wellbore
        return reference.title if reference is not None else None

    @property
    def logging_company(self) -> str | None:
        """The logging company of the Log, else of the ChannelSet."""
        if self.log is not None and self.log.logging_company_name:
            return self.log.logging_company_name
        return self.channel_set.logging_company_name


def select(
    source: Log | ChannelSet,
    *,
    channel_set: int = 1,
    channels: Sequence[str] | None = None,
    well: Well | None = None,
    wellbore: Wellbore | None = None,
) -> Export:
    """The ChannelSet numbered ``channel_set`` (1-based) of a Log, or the ChannelSet given,
    decoded, with only ``channels`` (mnemonics, in the order given; all when None).

    Raises :class:`~witsml.errors.FormatError` for a ChannelSet or mnemonic that is not there;
    a Log of several ChannelSets must say which one unless the first is meant.
    """
    log = source if isinstance(source, Log) else None
    if log is not None:
        count = len(log.channel_sets)
        if not 1 <= channel_set <= count:
            raise FormatError(
                f"the Log has {count} ChannelSet{'s' if count != 1 else ''}: "
                f"there is no ChannelSet {channel_set}",
                path=f"Log {log.uuid}",
            )
        chosen = log.channel_sets[channel_set - 1]
    else:
        assert isinstance(source, ChannelSet)
        chosen = source
    table = chosen.table()
    if channels is not None:
        table = _only(table, channels, chosen)
    return Export(table, chosen, log, well, wellbore)


def as_export(source: Log | ChannelSet | Export) -> Export:
    """``source`` itself, or :func:`select` of a Log's first ChannelSet (or a ChannelSet)."""
    return source if isinstance(source, Export) else select(source)


def _only(table: ChannelTable, mnemonics: Sequence[str], channel_set: ChannelSet) -> ChannelTable:
    missing = [m for m in mnemonics if not table.positions(m)]
    if missing:
        raise FormatError(
            f"no channel {', '.join(map(repr, missing))}; the channels are "
            f"{', '.join(table.mnemonics)}",
            path=f"ChannelSet {channel_set.uuid}",
        )
    picked = [table.channels[p] for m in dict.fromkeys(mnemonics) for p in table.positions(m)]
    return ChannelTable(table.indexes, picked, table.findings)
