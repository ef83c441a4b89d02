"""Logs in other units and other formats: LAS, CSV, columnar JSON, Parquet (``docs/convert.md``).

Out of WITSML, each writer takes a Log (its first ChannelSet), a ChannelSet, or an
:class:`Export` made by :func:`select` (which ChannelSet, which channels, the Well and Wellbore
for LAS header items)::

    from witsml.convert import select, write_las, write_csv
    text = write_las(select(log, channels=["ROP", "WOB"], well=well))

Into WITSML, each reader gives an :class:`Imported`: a Log holding one ChannelSet, the Wellbore
it references and that Wellbore's Well, with ``findings`` saying what was read differently from
how it was written (vendor units, renamed duplicate mnemonics). :class:`Origin` names or
identifies the Well and Wellbore::

    imported = read_las("run3.las", origin=Origin(well_uuid="...", wellbore_name="A-12 T2"))
    witsml.to_xml(imported.log)

Units: :func:`to_units` converts a Column, ChannelTable, ChannelSet, Log or DataFrame (also
``channel_set.to_units({"length": "ft"})`` and friends). Optional dependencies, imported when
needed: ``lasio`` (extra ``las``), ``pyarrow`` (extra ``parquet``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, overload

from witsml.convert.csv_table import read_csv, write_csv
from witsml.convert.exporting import Export, select
from witsml.convert.importing import Imported, Origin, property_kind
from witsml.convert.json_columns import read_json, write_json
from witsml.convert.las import read_las, write_las
from witsml.convert.parquet import read_parquet, write_parquet
from witsml.convert.to_units import (
    channel_set_to_units,
    convert_column,
    frame_to_units,
    log_to_units,
    table_to_units,
)
from witsml.data.table import ChannelTable, Column
from witsml.objects.log import ChannelSet, Log

if TYPE_CHECKING:
    import pandas

__all__ = [
    "Export",
    "Imported",
    "Origin",
    "property_kind",
    "read_csv",
    "read_json",
    "read_las",
    "read_parquet",
    "select",
    "to_units",
    "write_csv",
    "write_json",
    "write_las",
    "write_parquet",
]


@overload
def to_units(obj: Log, targets: Mapping[str, str]) -> Log: ...
@overload
def to_units(obj: ChannelSet, targets: Mapping[str, str]) -> ChannelSet: ...
@overload
def to_units(obj: ChannelTable, targets: Mapping[str, str]) -> ChannelTable: ...
@overload
def to_units(obj: Column, targets: str) -> Column: ...
@overload
def to_units(obj: pandas.DataFrame, targets: Mapping[str, str]) -> pandas.DataFrame: ...


def to_units(obj: Any, targets: Any) -> Any:
    """``obj`` in other units: a new object, ``obj`` is never changed.

    ``targets`` maps mnemonics or quantity classes to units (``{"length": "ft", "ROP":
    "ft/h"}``); for a single Column it is the unit. See :mod:`witsml.convert.to_units` for the
    rules and the errors (:class:`~witsml.errors.UnitError`, naming the mnemonic).
    """
    if isinstance(obj, Log):
        return log_to_units(obj, targets)
    if isinstance(obj, ChannelSet):
        return channel_set_to_units(obj, targets)
    if isinstance(obj, ChannelTable):
        return table_to_units(obj, targets)
    if isinstance(obj, Column):
        return convert_column(obj, targets)
    if hasattr(obj, "attrs") and hasattr(obj, "columns"):
        return frame_to_units(obj, targets)
    raise TypeError(
        f"to_units converts a Log, ChannelSet, ChannelTable, Column or DataFrame, "
        f"not {type(obj).__name__}"
    )
