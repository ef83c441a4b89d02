"""Bulk-data text to a :class:`~witsml.data.table.ChannelTable`: pick the path, report problems."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from witsml.data import fast, rows
from witsml.data.problems import Problems
from witsml.data.table import ChannelSpec, ChannelTable, Column, IndexSpec, storage_of
from witsml.errors import BulkDataError

if TYPE_CHECKING:
    from witsml.validation.report import Finding


def decode(
    text: str | None,
    indexes: Sequence[IndexSpec],
    channels: Sequence[ChannelSpec],
    *,
    lax: bool = False,
    source: str | None = None,
    line: int | None = None,
    path: str | None = None,
) -> ChannelTable:
    """Decode a ChannelSet's JSON rows into typed columns.

    ``text`` is the content of ``ChannelSet/Data/Data``; None or blank gives a table of zero
    rows. ``source``, ``line`` (the document line where the text starts) and ``path`` locate
    problems. Strict (default): any problem raises :class:`~witsml.errors.BulkDataError` naming
    the row and line. ``lax=True`` tolerates what can be tolerated, listing it in
    ``table.findings``: trailing commas and date-times without offset (warnings), rows of the
    wrong shape (dropped), values of the wrong type and null indexes (kept as missing) (errors).
    Text that is not JSON at all raises in both modes.
    """
    problems = Problems(lax=lax, source=source, line=line, path=path)
    indexes, channels = tuple(indexes), tuple(channels)
    if not indexes:
        raise problems.fatal("the ChannelSet declares no Index, so its rows cannot be read")
    if text is None or not text or text.isspace():
        text = "[]"
    if channels and all(
        storage_of(spec) == "float" and not spec.point_metadata for spec in channels
    ):
        arrays = fast.decode(text, indexes, len(channels))
        if arrays is not None:
            specs = indexes + channels
            columns = [Column.of(spec, array) for spec, array in zip(specs, arrays, strict=True)]
            return ChannelTable(columns[: len(indexes)], columns[len(indexes) :])
    values, read = rows.load(text, problems)
    index_columns, channel_columns = rows.to_columns(
        values, indexes, channels, problems, rows.RowLines(read)
    )
    return ChannelTable(index_columns, channel_columns, problems.findings())


def check(
    text: str | None,
    indexes: Sequence[IndexSpec],
    channels: Sequence[ChannelSpec],
    *,
    source: str | None = None,
    line: int | None = None,
    path: str | None = None,
) -> tuple[ChannelTable | None, list[Finding]]:
    """Decode leniently and report every problem as a finding, never raising on bad data.

    The table is None when the text cannot be read at all (invalid JSON: one ``data-json``
    error finding). Rules: ``data-json``, ``data-trailing-comma`` (warning), ``data-row-shape``,
    ``data-value``, ``data-index-null``, ``data-time-offset`` (warning). The data-level rules
    that need the columns (index order, duplicates, Start/EndIndex) are for the caller.
    """
    from witsml.validation.report import Finding, Severity  # (witsml.validation uses us)

    try:
        table = decode(text, indexes, channels, lax=True, source=source, line=line, path=path)
    except BulkDataError as error:
        finding = Finding(Severity.ERROR, error.reason, error.line, error.path, rule="data-json")
        return None, [finding]
    return table, list(table.findings)
