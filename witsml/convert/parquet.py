"""Parquet <-> WITSML logs, through ``pyarrow`` (optional: ``pip install 'witsml-etp[parquet]'``).

One Parquet column per index, channel and point metadata, in declaration order, named as
``to_pandas()`` names them (a repeated ``ROP`` is ``ROP#2``, point metadata ``ROP:quality``), so
the file reads straight into pandas, polars, DuckDB or Spark. Each field's metadata says what
it is, with keys every Parquet tool shows::

    witsml.role       index | channel | pointMetadata
    witsml.mnemonic   the mnemonic as declared (point metadata: its name)
    witsml.uom        the unit of measure (not on point metadata)
    witsml.type       the EtpDataType, or the index type for an index
    witsml.direction  increasing | decreasing (indexes)
    witsml.channel    the owning column (point metadata)

and the schema metadata holds ``witsml.title``. Arrow types follow the declared types:
``double`` and ``float`` float64, ``long`` int64, ``int`` int32, ``boolean`` bool, ``string``
string, a ``date time`` index ``timestamp[ns, UTC]``; ``bytes``/``vector``/``null`` values as their
JSON text. Missing values are Parquet nulls.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from witsml.convert.exporting import Export, as_export
from witsml.convert.importing import Header, Imported, Origin, assemble
from witsml.data.table import (
    ChannelSpec,
    ChannelTable,
    Column,
    IndexSpec,
    PointMetadataSpec,
    Spec,
    storage_of,
)
from witsml.errors import FormatError
from witsml.objects.common import DataObjectReference
from witsml.objects.log import ChannelSet, Log

_ROLE, _MNEMONIC, _UOM, _TYPE, _DIRECTION, _CHANNEL, _TITLE = (
    b"witsml.role",
    b"witsml.mnemonic",
    b"witsml.uom",
    b"witsml.type",
    b"witsml.direction",
    b"witsml.channel",
    b"witsml.title",
)


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ImportError(
            "Parquet files need pyarrow, which is optional: pip install 'witsml-etp[parquet]'"
        ) from None
    return pyarrow


def _arrow_type(pa: Any, column: Column) -> Any:
    spec = column.spec
    if column.storage == "time":
        return pa.timestamp("ns", tz="UTC")
    if column.storage == "int":
        return pa.int32() if getattr(spec, "data_type", "") == "int" else pa.int64()
    return {"float": pa.float64(), "bool": pa.bool_()}.get(column.storage, pa.string())


def _arrow_values(column: Column) -> Any:
    if column.storage == "object":
        return [json.dumps(v, separators=(",", ":")) for v in column.values.tolist()]
    return column.values


def write_parquet(source: Log | ChannelSet | Export, path: str | os.PathLike[str]) -> None:
    """Write one ChannelSet to a Parquet file (see the module docstring)."""
    export = as_export(source)
    pa = _pyarrow()
    table = export.table
    frame_names = _names(table)
    arrays, fields = [], []
    for column, name, metadata in _described(table, frame_names):
        array = pa.array(_arrow_values(column), type=_arrow_type(pa, column), mask=column.mask)
        arrays.append(array)
        fields.append(pa.field(name, array.type, metadata=metadata))
    schema = pa.schema(fields, metadata={_TITLE: export.title.encode()})
    pa.parquet.write_table(pa.Table.from_arrays(arrays, schema=schema), str(path))


def _names(table: ChannelTable) -> list[str]:
    """Unique column names in declaration order: ``ROP``, ``ROP#2``; ``ROP:quality``."""
    taken: set[str] = set()

    def unique(name: str) -> str:
        candidate, repeat = name, 1
        while candidate in taken:
            repeat += 1
            candidate = f"{name}#{repeat}"
        taken.add(candidate)
        return candidate

    names = []
    for column in table.columns:
        name = unique(column.mnemonic)
        names.append(name)
        names += [unique(f"{name}:{meta.mnemonic}") for meta in column.point_metadata]
    return names


def _described(
    table: ChannelTable, names: list[str]
) -> list[tuple[Column, str, dict[bytes, bytes]]]:
    out: list[tuple[Column, str, dict[bytes, bytes]]] = []
    position = iter(names)
    for column in table.columns:
        spec = column.spec
        name = next(position)
        if isinstance(spec, IndexSpec):
            metadata = {
                _ROLE: b"index",
                _TYPE: spec.index_type.encode(),
                _DIRECTION: spec.direction.encode(),
            }
        else:
            assert isinstance(spec, ChannelSpec)
            metadata = {_ROLE: b"channel", _TYPE: spec.data_type.encode()}
        metadata |= {_MNEMONIC: spec.mnemonic.encode(), _UOM: spec.uom.encode()}
        out.append((column, name, metadata))
        for meta in column.point_metadata:
            assert isinstance(meta.spec, PointMetadataSpec)
            out.append(
                (
                    meta,
                    next(position),
                    {
                        _ROLE: b"pointMetadata",
                        _MNEMONIC: meta.spec.name.encode(),
                        _TYPE: meta.spec.data_type.encode(),
                        _CHANNEL: name.encode(),
                    },
                )
            )
    return out


def read_parquet(
    path: str | os.PathLike[str],
    *,
    origin: Origin | None = None,
    channel_classes: Mapping[str, DataObjectReference] | None = None,
) -> Imported:
    """A Log (one ChannelSet), a Wellbore and a Well from a Parquet file written by
    :func:`write_parquet` (or any file whose fields carry the same metadata).

    Raises :class:`~witsml.errors.FormatError` naming the file and field when the file is not
    Parquet or a field lacks the ``witsml.*`` metadata.
    """
    pa = _pyarrow()
    source = str(path)
    try:
        arrow = pa.parquet.read_table(source)
    except (pa.ArrowException, OSError) as error:
        raise FormatError(f"not a readable Parquet file: {error}", source=source) from None
    indexes: list[Column] = []
    channels: list[tuple[str, ChannelSpec, Any]] = []
    metadata_of: dict[str, list[Column]] = {}
    for field, chunked in zip(arrow.schema, arrow.columns, strict=True):
        meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        where = f"field {field.name!r}"
        role = meta.get(_ROLE.decode())
        if role is None or _TYPE.decode() not in meta or _MNEMONIC.decode() not in meta:
            raise FormatError(
                f"{where} has no witsml.role/witsml.type/witsml.mnemonic metadata: the file "
                "was not written by witsml convert",
                source=source,
            )
        mnemonic, kind = meta[_MNEMONIC.decode()], meta[_TYPE.decode()]
        if role == "pointMetadata":
            spec: Spec = PointMetadataSpec(mnemonic, kind)
            owner = meta.get(_CHANNEL.decode(), "")
            metadata_of.setdefault(owner, []).append(_column(spec, chunked, source, where))
            continue
        uom = meta.get(_UOM.decode())
        if not uom:
            raise FormatError(f"{where} has no witsml.uom metadata", source=source)
        if role == "index":
            direction = meta.get(_DIRECTION.decode(), "increasing")
            indexes.append(
                _column(IndexSpec(mnemonic, uom, kind, direction), chunked, source, where)
            )
        else:
            channels.append((field.name, ChannelSpec(mnemonic, uom, kind), chunked))
    columns = []
    for name, spec, chunked in channels:
        meta_columns = metadata_of.get(name, [])
        spec = ChannelSpec(
            spec.mnemonic,
            spec.uom,
            spec.data_type,
            tuple(c.spec for c in meta_columns if isinstance(c.spec, PointMetadataSpec)),
        )
        columns.append(_column(spec, chunked, source, f"field {name!r}", meta_columns))
    if not indexes:
        raise FormatError("no field has witsml.role 'index'", source=source)
    title = (arrow.schema.metadata or {}).get(_TITLE)
    return assemble(
        ChannelTable(indexes, columns),
        Header(log_title=title.decode() if title else None),
        origin or Origin(),
        fallback_name=Path(source).stem,
        channel_classes=channel_classes,
    )


def _column(
    spec: Spec, chunked: Any, source: str, where: str, metadata: list[Column] | None = None
) -> Column:
    missing = np.asarray(chunked.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
    try:
        if isinstance(spec, IndexSpec) and spec.is_time:
            values = chunked.cast("int64").fill_null(0).to_numpy().view("datetime64[ns]").copy()
            values[missing] = np.datetime64("NaT")
        else:
            storage = storage_of(spec)
            if storage == "float":
                values = chunked.fill_null(np.nan).to_numpy().astype(np.float64)
            elif storage == "int":
                values = chunked.fill_null(0).to_numpy().astype(np.int64)
            elif storage == "bool":
                values = chunked.fill_null(False).to_numpy(zero_copy_only=False).astype(np.bool_)
            elif storage == "str":
                values = np.array(chunked.to_pylist(), dtype=object)
            else:
                values = np.empty(len(missing), dtype=object)
                for position, text in enumerate(chunked.to_pylist()):
                    values[position] = None if text is None else json.loads(text)
        return Column.of(spec, values, missing, metadata or ())
    except (ValueError, TypeError) as error:
        raise FormatError(f"{where}: {error}", source=source) from None
