"""Columns to the WITSML 2.0 bulk-data JSON text: ``[[[index...],[value...]], ...]``.

One row per line, no trailing commas, ``null`` for a missing value, floats in their shortest
round-tripping form (``repr``), date-times as UTC ISO-8601 with ``Z``, a channel with point
metadata as ``[value, meta...]`` (``null`` when the whole point is missing).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from witsml.data import times
from witsml.data.table import Column
from witsml.errors import BulkDataError

if TYPE_CHECKING:
    from witsml.data.table import ChannelTable

_NULL = "null"


def encode(table: ChannelTable) -> str:
    """The bulk-data JSON text of ``table`` (what goes in ``ChannelSet/Data/Data``).

    Raises BulkDataError for a value JSON cannot carry (an infinite float).
    """
    index_tokens = [_tokens(column) for column in table.indexes]
    channel_tokens = [_tokens(column) for column in table.channels]
    index_part = [",".join(row) for row in zip(*index_tokens, strict=True)]
    if channel_tokens:
        channel_part = [",".join(row) for row in zip(*channel_tokens, strict=True)]
    else:
        channel_part = [""] * len(table)
    lines = [f"[[{i}],[{c}]]" for i, c in zip(index_part, channel_part, strict=True)]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def _tokens(column: Column) -> list[str]:
    """The JSON token of each value of ``column`` (with its point metadata, if any)."""
    tokens = _value_tokens(column)
    if not column.point_metadata:
        return tokens
    parts = [tokens] + [_value_tokens(meta) for meta in column.point_metadata]
    everything_missing = column.mask.copy()
    for meta in column.point_metadata:
        everything_missing &= meta.mask
    points = ["[" + ",".join(point) + "]" for point in zip(*parts, strict=True)]
    for position in np.flatnonzero(everything_missing).tolist():
        points[position] = _NULL
    return points


def _value_tokens(column: Column) -> list[str]:
    storage, values = column.storage, column.values
    tokens: list[str]
    if storage == "float":
        infinite = np.isinf(values)
        if infinite.any():
            row = int(np.flatnonzero(infinite)[0]) + 1
            raise BulkDataError(
                f"{column.mnemonic!r} row {row}: an infinite value cannot be written as JSON"
            )
        tokens = list(map(float.__repr__, values.tolist()))
    elif storage == "int":
        tokens = list(map(str, values.tolist()))
    elif storage == "bool":
        tokens = ["true" if value else "false" for value in values.tolist()]
    elif storage == "time":
        tokens = [f'"{text}"' for text in times.format_iso(values)]
    else:
        tokens = [_json(value) for value in values.tolist()]
    for position in np.flatnonzero(column.mask).tolist():
        tokens[position] = _NULL
    return tokens


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise BulkDataError(f"{value!r} cannot be written as JSON: {error}") from None
