"""A simple columnar JSON for one ChannelSet, for web front-ends and HTTP services.

WITSML's own bulk data is rows (``[[index...],[values...]]``); a chart or a dashboard wants one
array per curve, with its unit beside it. This is that, and nothing more::

    {
      "format": "witsml-etp/columns", "version": 1,
      "title": "Surface data 12.25in section",
      "indexes": [
        {"mnemonic": "DEPTH", "uom": "m", "indexType": "measured depth",
         "direction": "increasing", "values": [1500.0, 1500.5]}
      ],
      "channels": [
        {"mnemonic": "ROP", "uom": "m/h", "dataType": "double", "values": [12.5, null]},
        {"mnemonic": "FLAG", "uom": "Euc", "dataType": "int", "values": [1, 0],
         "pointMetadata": [{"name": "quality", "dataType": "int", "values": [0, 2]}]}
      ]
    }

Values are JSON numbers, booleans and strings as the ``dataType`` says, ``null`` where missing,
ISO-8601 UTC strings for a ``date time`` index. Every declared type, point metadata, duplicate
mnemonics and the index direction survive the round trip (:func:`write_json` then
:func:`read_json`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from witsml.convert.exporting import Export, as_export
from witsml.convert.importing import Header, Imported, Origin, assemble, parse_times
from witsml.data import times
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

FORMAT, VERSION = "witsml-etp/columns", 1


def write_json(source: Log | ChannelSet | Export, *, indent: int | None = None) -> str:
    """The columnar JSON text of one ChannelSet (see the module docstring)."""
    export = as_export(source)
    table = export.table
    document = {
        "format": FORMAT,
        "version": VERSION,
        "title": export.title,
        "indexes": [
            {
                "mnemonic": spec.mnemonic,
                "uom": spec.uom,
                "indexType": spec.index_type,
                "direction": spec.direction,
                "values": _values(column),
            }
            for column, spec in zip(table.indexes, table.index_specs, strict=True)
        ],
        "channels": [_channel(column) for column in table.channels],
    }
    return json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False)


def _channel(column: Column) -> dict[str, Any]:
    spec = column.spec
    assert isinstance(spec, ChannelSpec)
    entry: dict[str, Any] = {
        "mnemonic": spec.mnemonic,
        "uom": spec.uom,
        "dataType": spec.data_type,
        "values": _values(column),
    }
    if column.point_metadata:
        entry["pointMetadata"] = [
            {"name": meta.mnemonic, "dataType": meta.spec.data_type, "values": _values(meta)}
            for meta in column.point_metadata
            if isinstance(meta.spec, PointMetadataSpec)
        ]
    return entry


def _values(column: Column) -> list[Any]:
    if column.storage == "time":
        values: list[Any] = times.format_iso(column.values)
    else:
        values = column.values.tolist()
    for position in np.flatnonzero(column.mask).tolist():
        values[position] = None
    return values


def read_json(
    path: str | os.PathLike[str],
    *,
    origin: Origin | None = None,
    channel_classes: Mapping[str, DataObjectReference] | None = None,
) -> Imported:
    """A Log (one ChannelSet), a Wellbore and a Well from a columnar JSON file.

    Raises :class:`~witsml.errors.FormatError` naming the file and the member at fault
    (``channels[2].values[17]``) for anything that does not fit the format.
    """
    source = str(path)
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise FormatError(f"not JSON: {error.msg}", source=source, line=error.lineno) from None
    reader = _Reader(source)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FormatError(f'not a {FORMAT!r} document (no "format": {FORMAT!r})', source=source)
    if document.get("version") != VERSION:
        raise FormatError(f"version {document.get('version')!r}; {VERSION} is read", source=source)
    indexes = [
        reader.index(entry, f"indexes[{n}]")
        for n, entry in enumerate(reader.array(document, "indexes", "indexes"))
    ]
    channels = [
        reader.channel(entry, f"channels[{n}]")
        for n, entry in enumerate(reader.array(document, "channels", "channels"))
    ]
    if not indexes:
        raise FormatError("no index", source=source, path="indexes")
    try:
        table = ChannelTable(indexes, channels)
    except ValueError as error:
        raise FormatError(str(error), source=source) from None
    title = document.get("title") if isinstance(document.get("title"), str) else None
    return assemble(
        table,
        Header(log_title=title),
        origin or Origin(),
        fallback_name=Path(source).stem,
        channel_classes=channel_classes,
    )


class _Reader:
    """Reads the members of the document, raising FormatError with the member's path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, path: str) -> FormatError:
        return FormatError(message, source=self.source, path=path)

    def array(self, parent: Any, key: str, path: str) -> list[Any]:
        value = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(value, list):
            raise self.fail("must be an array", path)
        return value

    def text(self, parent: Any, key: str, path: str) -> str:
        value = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(value, str) or not value:
            raise self.fail("must be a non-empty string", f"{path}.{key}")
        return value

    def index(self, entry: Any, path: str) -> Column:
        spec = IndexSpec(
            self.text(entry, "mnemonic", path),
            self.text(entry, "uom", path),
            self.text(entry, "indexType", path),
            self.text(entry, "direction", path),
        )
        return self.column(spec, entry, path)

    def channel(self, entry: Any, path: str) -> Column:
        metadata = [
            self.column(
                PointMetadataSpec(
                    self.text(meta, "name", f"{path}.pointMetadata[{n}]"),
                    self.text(meta, "dataType", f"{path}.pointMetadata[{n}]"),
                ),
                meta,
                f"{path}.pointMetadata[{n}]",
            )
            for n, meta in enumerate(
                entry.get("pointMetadata", []) if isinstance(entry, dict) else []
            )
        ]
        spec = ChannelSpec(
            self.text(entry, "mnemonic", path),
            self.text(entry, "uom", path),
            self.text(entry, "dataType", path),
            tuple(m.spec for m in metadata if isinstance(m.spec, PointMetadataSpec)),
        )
        return self.column(spec, entry, path, metadata)

    def column(
        self, spec: Spec, entry: Any, path: str, metadata: list[Column] | None = None
    ) -> Column:
        raw = self.array(entry, "values", f"{path}.values")
        missing = np.array([value is None for value in raw], dtype=np.bool_)
        storage = storage_of(spec)
        expected: tuple[type, ...] = {
            "float": (int, float),
            "int": (int,),
            "bool": (bool,),
            "str": (str,),
            "time": (str,),
        }.get(storage, (object,))
        for position, value in enumerate(raw):
            wrong = isinstance(value, bool) and bool not in expected
            if value is not None and (wrong or not isinstance(value, expected)):
                raise self.fail(f"{value!r} is not a {storage} value", f"{path}.values[{position}]")
        try:
            values = self._array(raw, storage, path)
            return Column.of(spec, values, missing, metadata or ())
        except (ValueError, OverflowError) as error:
            raise self.fail(str(error), f"{path}.values") from None

    def _array(self, raw: list[Any], storage: str, path: str) -> np.ndarray[Any, Any]:
        values: np.ndarray[Any, Any]
        if storage == "time":
            values, bad = parse_times(raw)
            if bad:
                raise self.fail("not an ISO-8601 date-time", f"{path}.values[{bad[0]}]")
        elif storage == "float":
            values = np.array([np.nan if v is None else v for v in raw], dtype=np.float64)
        elif storage == "int":
            values = np.array([0 if v is None else v for v in raw], dtype=np.int64)
        elif storage == "bool":
            values = np.array([bool(v) for v in raw], dtype=np.bool_)
        else:
            values = np.empty(len(raw), dtype=object)
            for position, value in enumerate(raw):
                values[position] = value
        return values
