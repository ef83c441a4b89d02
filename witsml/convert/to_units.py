"""Log data in other units: columns, tables, ChannelSets, Logs and DataFrames.

A target mapping names what to convert and to which unit, by mnemonic or by quantity class
(the names :func:`witsml.units.quantity_of` gives)::

    channel_set.to_units({"length": "ft", "pressure": "psi", "ROP": "ft/h"})

A mnemonic key wins over a quantity key, and applies to every channel (or index) of that
mnemonic, duplicates included. A quantity key applies to each column whose unit is of that
quantity; columns whose unit is an extension (``authority:symbol``) have no known quantity and
are left as they are. Converted columns take the target unit; integer channels become
``double`` (converted values are not integers in general). Everything else is kept as it is.

Raised as :class:`~witsml.errors.UnitError`, naming the mnemonic: an unknown target or column
unit, a unit of another quantity than its key, a key that is neither a mnemonic nor a quantity
class, and values that are not numbers (strings, booleans, date-time indexes). A unit written in
a vendor spelling (``ft/hr``) is read through the alias table and reported with a
:class:`~witsml.units.UnitAliasWarning` naming the mnemonic, never silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from witsml import units
from witsml.data.table import ChannelSpec, ChannelTable, Column, IndexSpec
from witsml.errors import UnitError
from witsml.units.quantities import QUANTITY_CLASSES

if TYPE_CHECKING:
    import pandas

    from witsml.objects.log import ChannelSet, IndexValue, Log

_QUANTITY_REFERENCE = dict(QUANTITY_CLASSES)
_CONVERTIBLE = ("float", "int")


@dataclass(frozen=True, slots=True)
class _Target:
    """The unit one column converts to, and the key that asked for it."""

    uom: str
    key: str


class _Plan:
    """Which column goes to which unit, decided once from the columns' mnemonics and units."""

    def __init__(self, targets: Mapping[str, str], mnemonics: Sequence[str]) -> None:
        self.by_mnemonic: dict[str, str] = {}
        self.by_quantity: dict[str, str] = {}
        for key, target in targets.items():
            canonical = _canonical(target, f"target of {key!r}")
            if key in mnemonics:
                self.by_mnemonic[key] = canonical
            elif key in _QUANTITY_REFERENCE:
                if not units.compatible(canonical, _QUANTITY_REFERENCE[key]):
                    raise UnitError(
                        f"{key!r}: {target!r} is a {units.quantity_of(canonical)} unit, "
                        f"not a {key} unit"
                    )
                self.by_quantity[key] = canonical
            else:
                names = ", ".join(dict.fromkeys(mnemonics))
                raise UnitError(
                    f"{key!r} is neither a mnemonic of these columns ({names}) nor a quantity "
                    "class (such as 'length', 'pressure', 'length per time')"
                )

    def target(
        self, mnemonic: str, uom: str | None, storage: str, names: Sequence[str] = ()
    ) -> _Target | None:
        """The unit for a column named ``mnemonic`` (or any of ``names``) whose values are kept
        as ``storage``, None to keep it as it is."""
        for name in (*names, mnemonic):
            if name in self.by_mnemonic:
                return _Target(self.by_mnemonic[name], name)
        if not self.by_quantity or storage not in _CONVERTIBLE or uom is None:
            return None
        if _is_extension(uom):
            return None
        try:
            quantity = units.unit(units.resolve_alias(uom)[0], aliases=False).quantity
        except UnitError as error:
            raise UnitError(f"{mnemonic!r}: {error}") from None
        if quantity in self.by_quantity:
            return _Target(self.by_quantity[quantity], quantity)
        return None


def _canonical(symbol: str, what: str) -> str:
    try:
        canonical, note = units.resolve_alias(symbol)
    except UnitError as error:
        raise UnitError(f"{what}: {error}") from None
    if note:
        warnings.warn(f"{what}: {note}", units.UnitAliasWarning, stacklevel=4)
    return canonical


def _is_extension(uom: str) -> bool:
    return ":" in uom


def _convert_values(
    values: np.ndarray[Any, Any], storage: str, mnemonic: str, source: str, target: _Target
) -> np.ndarray[Any, Any]:
    if storage not in _CONVERTIBLE:
        kind = "date-time" if storage == "time" else storage
        raise UnitError(
            f"{mnemonic!r}: {kind} values cannot be converted to {target.uom!r} "
            f"(asked by {target.key!r})"
        )
    if _is_extension(source):
        raise UnitError(f"{mnemonic!r}: {source!r} is an extension unit, which does not convert")
    canonical = _canonical(source, repr(mnemonic))
    try:
        return units.convert(values, canonical, target.uom)
    except UnitError as error:
        raise UnitError(f"{mnemonic!r}: {error}") from None


def convert_column(column: Column, uom: str) -> Column:
    """``column`` in ``uom``: a new column (``values`` converted, ``mask`` kept)."""
    spec = column.spec
    if not isinstance(spec, IndexSpec | ChannelSpec):
        raise UnitError(f"point metadata {column.mnemonic!r} has no unit to convert")
    target = _Target(_canonical(uom, repr(column.mnemonic)), column.mnemonic)
    return _converted(column, target)


def _converted(column: Column, target: _Target) -> Column:
    spec = column.spec
    assert isinstance(spec, IndexSpec | ChannelSpec)
    values = _convert_values(column.values, column.storage, spec.mnemonic, spec.uom, target)
    if isinstance(spec, IndexSpec):
        new_spec: IndexSpec | ChannelSpec = IndexSpec(
            spec.mnemonic, target.uom, spec.index_type, spec.direction
        )
    else:
        data_type = "double" if column.storage == "int" else spec.data_type
        new_spec = ChannelSpec(spec.mnemonic, target.uom, data_type, spec.point_metadata)
    values[column.mask] = np.nan
    return Column.of(new_spec, values, column.mask, column.point_metadata)


def table_to_units(table: ChannelTable, targets: Mapping[str, str]) -> ChannelTable:
    """``table`` with the columns named by ``targets`` converted (see the module docstring)."""
    plan = _Plan(targets, [column.mnemonic for column in table.columns])

    def convert(column: Column) -> Column:
        target = plan.target(column.mnemonic, column.uom, column.storage)
        return column if target is None else _converted(column, target)

    return ChannelTable(
        [convert(column) for column in table.indexes],
        [convert(column) for column in table.channels],
        table.findings,
    )


def channel_set_to_units(channel_set: ChannelSet, targets: Mapping[str, str]) -> ChannelSet:
    """A new ChannelSet in the target units: its data, every ``Uom`` (ChannelSet and Channel
    indexes, channels) and the Start/EndIndex of the ChannelSet and its channels follow."""
    from witsml.objects.log import ChannelData, EtpDataType

    table = channel_set.table()
    converted = table_to_units(table, targets)
    result = channel_set.model_copy(deep=True)
    primary = (table.index.spec, converted.index.spec)
    for index, column in zip(result.indexes, converted.indexes, strict=True):
        index.uom = _spec_uom(column)
    for channel, before, after in zip(
        result.channels, table.channels, converted.channels, strict=True
    ):
        channel.uom = _spec_uom(after)
        if before.storage == "int" and after.storage == "float":
            channel.data_type = EtpDataType.DOUBLE
        for index, own in zip(channel.indexes, converted.indexes, strict=False):
            if index.mnemonic == own.mnemonic:
                index.uom = _spec_uom(own)
        channel.start_index = _bound(channel.start_index, *primary)
        channel.end_index = _bound(channel.end_index, *primary)
    result.start_index = _bound(result.start_index, *primary)
    result.end_index = _bound(result.end_index, *primary)
    if channel_set.data is not None and channel_set.data.text is not None:
        result.data = ChannelData(text=converted.to_json())
    return result


def log_to_units(log: Log, targets: Mapping[str, str]) -> Log:
    """A new Log with every ChannelSet in the target units (see :func:`channel_set_to_units`);
    the Log's Start/EndIndex follow its first ChannelSet's primary index."""
    result = log.model_copy(deep=True)
    result.channel_sets = [channel_set_to_units(cs, targets) for cs in log.channel_sets]
    if log.channel_sets:
        before, after = log.channel_sets[0].indexes[0], result.channel_sets[0].indexes[0]
        if before.uom != after.uom:
            result.start_index = _bound_uom(log.start_index, before.uom, after.uom)
            result.end_index = _bound_uom(log.end_index, before.uom, after.uom)
    return result


def _spec_uom(column: Column) -> str:
    spec = column.spec
    assert isinstance(spec, IndexSpec | ChannelSpec)
    return spec.uom


def _bound(value: IndexValue | None, before: Any, after: Any) -> IndexValue | None:
    return _bound_uom(value, before.uom, after.uom)


def _bound_uom(value: IndexValue | None, source: str, target: str) -> IndexValue | None:
    """A Start/EndIndex in the converted primary index unit (depths only: a time is a time)."""
    from witsml.objects.log import DepthIndexValue, PassIndexedDepth

    if source == target or not isinstance(value, DepthIndexValue | PassIndexedDepth):
        return value
    depth = units.convert(value.depth, units.resolve_alias(source)[0], target)
    return value.model_copy(update={"depth": depth})


def frame_to_units(frame: pandas.DataFrame, targets: Mapping[str, str]) -> pandas.DataFrame:
    """A copy of a DataFrame (as ``to_pandas()`` makes it) with columns in the target units.

    Keys are column names (``ROP#2`` for a repeated mnemonic), mnemonics (every column of that
    mnemonic) or quantity classes; units are read from ``frame.attrs["units"]`` and updated
    there, data types in ``frame.attrs["data_types"]``. The index converts too when it is
    numeric. Integer columns become float64.
    """
    import pandas as pd

    result = frame.copy()
    result.attrs = {
        key: dict(value) if isinstance(value, dict) else value for key, value in frame.attrs.items()
    }
    attrs = result.attrs
    attrs_units: dict[str, str | None] = attrs.setdefault("units", {})
    mnemonics: dict[str, str] = attrs.get("mnemonics", {})
    data_types: dict[str, str] = attrs.setdefault("data_types", {})
    index_name = str(frame.index.name) if frame.index.name is not None else None
    names = [str(name) for name in frame.columns]
    every = [*names, *([index_name] if index_name else [])]
    plan = _Plan(targets, sorted({*every, *(mnemonics.get(n, n) for n in every)}))

    def convert(name: str, values: Any) -> Any:
        uom = attrs_units.get(name)
        mnemonic = mnemonics.get(name, name)
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
            storage = "time" if pd.api.types.is_datetime64_any_dtype(dtype) else "str"
        else:
            storage = "float"
        target = plan.target(mnemonic, uom, storage, names=(name,))
        if target is None:
            return None
        if uom is None:
            raise UnitError(f"{name!r} has no unit in frame.attrs['units'] to convert from")
        if storage != "float":
            _convert_values(np.zeros(0), storage, name, uom, target)  # raises, naming it
        array = np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        converted = _convert_values(array, storage, name, uom, target)
        attrs_units[name] = target.uom
        if dtype.kind in "iu" and name in data_types and name != index_name:
            data_types[name] = "double"
        return converted

    for name, raw in zip(names, frame.columns, strict=True):
        converted = convert(name, frame[raw])
        if converted is not None:
            result[raw] = converted
    if index_name is not None:
        converted = convert(index_name, frame.index.to_series())
        if converted is not None:
            result.index = pd.Index(converted, name=frame.index.name)
    return result
