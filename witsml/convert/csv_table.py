"""CSV <-> WITSML logs: one header row of ``mnemonic (uom)``, index columns first.

Writing (:func:`write_csv`): one row per index value; missing values are empty fields;
date-times are ISO-8601 UTC (``2024-03-14T06:00:00Z``); floats in their shortest exact form
(always with a ``.`` or an exponent: ``1500.0``), integers without, booleans ``true``/``false``.

Reading (:func:`read_csv`): the first ``index_columns`` columns are the indexes (one by default),
the rest channels. A column's type follows its values: ISO-8601 date-times (index only), numbers
with a ``.`` or exponent (``double``), integers (``long``), ``true``/``false`` (``boolean``),
anything else ``string``; so ``int``/``float`` come back as ``long``/``double``, and strings that
all look like numbers come back as numbers. Index direction follows the index values. Units go
through :mod:`witsml.units` (aliases applied and reported; unknown units kept as the extension
``CSV:<unit>``, reported; no unit at all is ``Euc``, reported). Point metadata is not written:
CSV has one value per cell (write JSON or Parquet).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from witsml.convert.exporting import Export, as_export
from witsml.convert.importing import (
    Header,
    Imported,
    Origin,
    assemble,
    index_direction,
    note,
    parse_times,
    read_unit,
)
from witsml.data import times
from witsml.data.table import ChannelTable, Column, IndexSpec
from witsml.errors import FormatError
from witsml.objects.common import DataObjectReference
from witsml.objects.log import ChannelSet, Log
from witsml.units import quantity_of
from witsml.validation.report import Finding

EXTENSION_AUTHORITY = "CSV"
_INTEGER = re.compile(r"[+-]?\d+")
_BOOLEANS = {"true": True, "false": False}


def header_name(mnemonic: str, uom: str | None) -> str:
    """``"ROP (m/h)"``: how a column is named in the header row."""
    return f"{mnemonic} ({uom})" if uom else mnemonic


def split_header(name: str) -> tuple[str, str]:
    """``("ROP", "m/h")`` from ``"ROP (m/h)"``; the unit is the last balanced parenthesis
    (``"Q (m3/(s.m2))"`` gives ``m3/(s.m2)``), ``""`` when there is none."""
    name = name.strip()
    if not name.endswith(")"):
        return name, ""
    depth = 0
    for position in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[position], 0)
        if depth == 0:
            return name[:position].strip(), name[position + 1 : -1].strip()
    return name, ""


# -- writing ----------------------------------------------------------------------------------


def write_csv(source: Log | ChannelSet | Export, *, delimiter: str = ",") -> str:
    """The CSV text of one ChannelSet: a header row, then one row per index value.

    Raises :class:`~witsml.errors.FormatError` for channels with point metadata.
    """
    export = as_export(source)
    table = export.table
    for column in table.channels:
        if column.point_metadata:
            raise FormatError(
                f"channel {column.mnemonic!r} has point metadata, which CSV does not hold: "
                "leave it out (channels=...) or write JSON or Parquet"
            )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow([header_name(c.mnemonic, c.uom) for c in table.columns])
    writer.writerows(zip(*(cells(column) for column in table.columns), strict=True))
    return out.getvalue()


def cells(column: Column) -> list[Any]:
    """The text of each value of a column, ``""`` where it is missing."""
    storage, values = column.storage, column.values
    texts: list[Any]
    if storage == "time":
        texts = times.format_iso(values)
    elif storage == "float":
        texts = [repr(v) for v in values.tolist()]
    elif storage == "int":
        texts = [str(v) for v in values.tolist()]
    elif storage == "bool":
        texts = ["true" if v else "false" for v in values.tolist()]
    elif storage == "str":
        texts = list(values)
    else:
        import json

        texts = [json.dumps(v, separators=(",", ":")) for v in values.tolist()]
    for position in np.flatnonzero(column.mask).tolist():
        texts[position] = ""
    return texts


# -- reading ----------------------------------------------------------------------------------


def read_csv(
    path: str | os.PathLike[str],
    *,
    origin: Origin | None = None,
    channel_classes: Mapping[str, DataObjectReference] | None = None,
    index_columns: int = 1,
    index_type: str | None = None,
    delimiter: str = ",",
) -> Imported:
    """A Log (one ChannelSet), a Wellbore and a Well from a CSV file (see the module docstring).

    ``index_type`` overrides the primary index type read from its unit and values (``date
    time``, ``elapsed time`` for a time unit, ``measured depth`` for a length unit). Raises
    :class:`~witsml.errors.FormatError` naming the file and line for rows of the wrong length,
    index values that are missing, not numbers or date-times, or out of order.
    """
    source = str(path)
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise FormatError("no header row", source=source, line=1)
    names = rows[0]
    if not 1 <= index_columns < len(names) + 1:
        raise FormatError(
            f"{index_columns} index columns asked, the header has {len(names)} columns",
            source=source,
            line=1,
        )
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    lines = [n + 2 for n, row in enumerate(rows[1:]) if any(cell.strip() for cell in row)]
    for row, line in zip(body, lines, strict=True):
        if len(row) != len(names):
            raise FormatError(
                f"{len(row)} fields, the header has {len(names)}", source=source, line=line
            )
    columns = [[row[i] for row in body] for i in range(len(names))]
    findings: list[Finding] = []
    mnemonics = _unique([split_header(name)[0] for name in names], findings)
    indexes = [
        _index(
            mnemonics[i],
            split_header(names[i])[1],
            columns[i],
            lines,
            source,
            findings,
            index_type if i == 0 else None,
        )
        for i in range(index_columns)
    ]
    channels = [
        _channel(mnemonics[i], split_header(names[i])[1], columns[i], findings)
        for i in range(index_columns, len(names))
    ]
    return assemble(
        ChannelTable(indexes, channels),
        Header(),
        origin or Origin(),
        fallback_name=Path(source).stem,
        channel_classes=channel_classes,
        findings=findings,
    )


def _unique(mnemonics: Sequence[str], findings: list[Finding]) -> list[str]:
    taken: set[str] = set()
    result = []
    for mnemonic in mnemonics:
        name, repeat = mnemonic, 1
        while name in taken:
            repeat += 1
            name = f"{mnemonic}#{repeat}"
        if name != mnemonic:
            findings.append(note(f"column {mnemonic!r} repeated: read as {name!r}"))
        taken.add(name)
        result.append(name)
    return result


def _index(
    mnemonic: str,
    written_uom: str,
    raw: list[str],
    lines: list[int],
    source: str,
    findings: list[Finding],
    index_type: str | None,
) -> Column:
    cells = [cell.strip() for cell in raw]
    empty = [line for line, cell in zip(lines, cells, strict=True) if not cell]
    if empty:
        raise FormatError(f"index {mnemonic!r} has no value", source=source, line=empty[0])
    parsed, bad = parse_times(cells)
    if cells and 0 not in bad:
        if bad:
            raise FormatError(
                f"index {mnemonic!r}: {cells[bad[0]]!r} is not an ISO-8601 date-time",
                source=source,
                line=lines[bad[0]],
            )
        values: np.ndarray[Any, Any] = parsed
        uom, kind = (written_uom or "s"), "date time"
    else:
        values = np.empty(len(cells))
        for position, cell in enumerate(cells):
            try:
                values[position] = float(cell)
            except ValueError:
                raise FormatError(
                    f"index {mnemonic!r}: {cell!r} is neither a number nor a date-time",
                    source=source,
                    line=lines[position],
                ) from None
        if not written_uom:
            raise FormatError(
                f"index {mnemonic!r} has no unit: name it '{mnemonic} (m)' or the like",
                source=source,
                line=1,
            )
        uom = read_unit(written_uom, f"index {mnemonic!r}", EXTENSION_AUTHORITY, findings)
        kind = "elapsed time" if ":" not in uom and quantity_of(uom) == "time" else "measured depth"
    direction = _direction(values, mnemonic, lines, source)
    return Column.of(IndexSpec(mnemonic, uom, index_type or kind, direction), values)


def _direction(values: np.ndarray[Any, Any], mnemonic: str, lines: list[int], source: str) -> str:
    direction, position, wrong = index_direction(values)
    if position is not None:
        raise FormatError(f"index {mnemonic!r} {wrong}", source=source, line=lines[position])
    return direction


def _channel(mnemonic: str, written_uom: str, raw: list[str], findings: list[Finding]) -> Column:
    """A channel typed by its values; strings are kept as written (blank ones are missing)."""
    uom = read_unit(written_uom, f"column {mnemonic!r}", EXTENSION_AUTHORITY, findings)
    cells = [cell.strip() for cell in raw]
    present = [cell for cell in cells if cell]
    missing = np.array([not cell for cell in cells], dtype=np.bool_)
    if all(cell.lower() in _BOOLEANS for cell in present) and present:
        values = [_BOOLEANS.get(cell.lower(), False) for cell in cells]
        return Column.channel(mnemonic, np.array(values, dtype=np.bool_), uom=uom, mask=missing)
    if present and all(_INTEGER.fullmatch(cell) for cell in present):
        numbers = [int(cell) if cell else 0 for cell in cells]
        if all(-(2**63) <= n < 2**63 for n in numbers):
            return Column.channel(
                mnemonic, np.array(numbers, dtype=np.int64), uom=uom, mask=missing
            )
    try:
        floats = np.array([float(cell) if cell else np.nan for cell in cells], dtype=np.float64)
    except ValueError:
        text = np.array([w if c else None for w, c in zip(raw, cells, strict=True)], dtype=object)
        return Column.channel(mnemonic, text, uom=uom, data_type="string")
    if np.isinf(floats).any():
        raise FormatError(f"column {mnemonic!r} has an infinite value, which WITSML cannot hold")
    return Column.channel(mnemonic, floats, uom=uom)
