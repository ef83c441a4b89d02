"""A ChannelTable as a pandas DataFrame and back (pandas is optional, imported here only).

The DataFrame is indexed by the primary index (a UTC ``DatetimeIndex`` for a date-time index);
further indexes come first among the columns, then the channels, then each channel's point
metadata as ``"<column>:<name>"``. Nullable types keep missing values: ``Int64``, ``boolean``,
``string``. Column names are the mnemonics, made unique in declaration order: a repeated
``ROP`` becomes ``ROP#2``, ``ROP#3``... (the next number whose name is free). ``df.attrs``
keeps what :func:`from_pandas` needs to give the same table back::

    attrs["units"]        column (and index) name -> unit of measure
    attrs["mnemonics"]    column (and index) name -> mnemonic as declared
    attrs["data_types"]   column name -> EtpDataType; index name -> index type
    attrs["indexes"]      names of the index columns, primary first
    attrs["directions"]   index name -> "increasing" | "decreasing"
    attrs["point_metadata"]  metadata column -> [channel column, metadata name]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from witsml.data.table import ChannelTable, Column, IndexSpec, spec_type
from witsml.errors import UnitError

if TYPE_CHECKING:
    import pandas


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "to_pandas()/from_pandas() need pandas, which is optional: "
            "pip install 'witsml-etp[pandas]'"
        ) from None
    return pandas


def to_pandas(table: ChannelTable) -> pandas.DataFrame:
    """The table as a DataFrame indexed by its primary index (see the module docstring)."""
    pd = _pandas()
    taken: set[str] = set()
    units: dict[str, str | None] = {}
    mnemonics: dict[str, str] = {}
    data_types: dict[str, str] = {}
    point_metadata: dict[str, list[str]] = {}
    data: dict[str, Any] = {}

    def add(column: Column, name: str) -> None:
        data[name] = _series_values(pd, column)
        units[name], mnemonics[name] = column.uom, column.mnemonic
        data_types[name] = spec_type(column.spec)

    index_name = _unique(table.index.mnemonic, taken)
    units[index_name], mnemonics[index_name] = table.index.uom, table.index.mnemonic
    data_types[index_name] = spec_type(table.index.spec)
    index_names = [index_name]
    for column in table.indexes[1:]:
        name = _unique(column.mnemonic, taken)
        index_names.append(name)
        add(column, name)
    for column in table.channels:
        name = _unique(column.mnemonic, taken)
        add(column, name)
        for meta in column.point_metadata:
            meta_name = _unique(f"{name}:{meta.mnemonic}", taken)
            add(meta, meta_name)
            point_metadata[meta_name] = [name, meta.mnemonic]
    index = pd.Index(_series_values(pd, table.index), name=index_name)
    frame: pandas.DataFrame = pd.DataFrame(data, index=index)
    frame.attrs.update(
        units=units,
        mnemonics=mnemonics,
        data_types=data_types,
        indexes=index_names,
        directions={
            name: column.spec.direction
            for name, column in zip(index_names, table.indexes, strict=True)
            if isinstance(column.spec, IndexSpec)
        },
        point_metadata=point_metadata,
    )
    return frame


def _unique(name: str, taken: set[str]) -> str:
    candidate, repeat = name, 1
    while candidate in taken:
        repeat += 1
        candidate = f"{name}#{repeat}"
    taken.add(candidate)
    return candidate


def _series_values(pd: Any, column: Column) -> Any:
    storage, values, mask = column.storage, column.values, column.mask
    if storage == "int":
        return pd.arrays.IntegerArray(values, mask.copy())
    if storage == "bool":
        return pd.arrays.BooleanArray(values, mask.copy())
    if storage == "str":
        return pd.array(values, dtype="string")
    if storage == "time":
        return pd.DatetimeIndex(values).tz_localize("UTC")
    return values


def from_pandas(
    frame: pandas.DataFrame,
    *,
    units: dict[str, str] | None = None,
    index_type: str | None = None,
) -> ChannelTable:
    """A table from a DataFrame: its index is the primary index, its columns the channels.

    Units come from ``units`` (column or index name -> unit), else from ``frame.attrs["units"]``
    (as written by :func:`to_pandas`); a column without a unit raises UnitError. ``index_type``
    defaults to ``date time`` for a datetime index and ``measured depth`` otherwise; tz-aware
    times are converted to UTC, naive ones taken as UTC. Data types follow the dtypes (float →
    ``double``, integer → ``long``, bool → ``boolean``, text → ``string``) unless
    ``frame.attrs["data_types"]`` says otherwise.
    """
    pd = _pandas()
    attrs = frame.attrs
    given_units = {**attrs.get("units", {}), **(units or {})}
    mnemonics: dict[str, str] = attrs.get("mnemonics", {})
    data_types: dict[str, str] = attrs.get("data_types", {})
    directions: dict[str, str] = attrs.get("directions", {})
    metadata_of: dict[str, list[str]] = attrs.get("point_metadata", {})
    index_name = str(frame.index.name) if frame.index.name is not None else "INDEX"
    secondary = [name for name in attrs.get("indexes", [])[1:] if name in frame.columns]

    missing_units = [
        str(name)
        for name in [index_name, *frame.columns]
        if str(name) not in metadata_of and given_units.get(str(name)) is None
    ]
    if missing_units:
        raise UnitError(
            f"no unit of measure for {missing_units}: pass units={{name: uom}} "
            "(Energistics symbols, e.g. 'm', 'm/h', 'kN')"
        )

    def index_column(name: str, values: Any) -> Column:
        array, _ = _array(pd, values)
        kind = index_type if name == index_name and index_type else data_types.get(name)
        return Column.index(
            mnemonics.get(name, name),
            array,
            uom=given_units[name],
            index_type=kind,
            direction=directions.get(name, "increasing"),
        )

    indexes = [index_column(index_name, frame.index)]
    indexes += [index_column(name, frame[name]) for name in secondary]
    metadata: dict[str, list[Column]] = {}
    for name, (owner, meta_name) in metadata_of.items():
        array, mask = _array(pd, frame[name])
        column = Column.metadata(meta_name, array, data_type=data_types.get(name), mask=mask)
        metadata.setdefault(owner, []).append(column)
    channels = []
    for raw_name in frame.columns:
        name = str(raw_name)
        if name in secondary or name in metadata_of:
            continue
        array, mask = _array(pd, frame[raw_name])
        channels.append(
            Column.channel(
                mnemonics.get(name, name),
                array,
                uom=given_units[name],
                data_type=data_types.get(name),
                mask=mask,
                point_metadata=metadata.get(name, ()),
            )
        )
    return ChannelTable(indexes, channels)


def _array(pd: Any, values: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any] | None]:
    """A numpy array and a missing-value mask (None when the array marks them itself)."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        utc = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None)
        return utc.to_numpy(dtype="datetime64[ns]"), None
    if dtype.kind == "M":
        return pd.DatetimeIndex(values).to_numpy(dtype="datetime64[ns]"), None
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "iub":
        mask = np.asarray(pd.isna(values))
        filler = False if dtype.kind == "b" else 0
        return values.to_numpy(dtype=dtype.numpy_dtype, na_value=filler), mask
    if dtype.kind == "f":
        return np.asarray(values, dtype=np.float64), None
    if dtype.kind in "iub":
        return np.asarray(values), None
    objects = np.asarray(values, dtype=object)
    missing = np.asarray(pd.isna(values))
    objects = objects.copy()
    objects[missing] = None
    return objects, None
