"""A table read from another format, made into WITSML objects: Well, Wellbore, Log.

Every reader (LAS, CSV, JSON, Parquet) ends here: it gives the columns (a
:class:`~witsml.data.ChannelTable`) and what its header said (:class:`Header`); :func:`assemble`
builds a Log holding one ChannelSet with the data, referencing a Wellbore of a Well, and the
caller's :class:`Origin` names (or identifies) those two.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from witsml import units
from witsml.data import times
from witsml.data.table import ChannelTable, Column
from witsml.errors import UnitError
from witsml.objects.common import Citation, DataObjectReference, ExtensionNameValue, new_uuid
from witsml.objects.log import (
    ChannelSet,
    DepthIndexValue,
    IndexValue,
    Log,
    TimeIndexValue,
)
from witsml.objects.well import Well
from witsml.objects.wellbore import Wellbore
from witsml.validation.report import Finding, Severity

PROPERTY_KIND_CONTENT_TYPE = "application/x-eml+xml;version=2.1;type=PropertyKind"
_PROPERTY_KINDS = uuid_module.uuid5(uuid_module.NAMESPACE_URL, "witsml-etp/property-kind")
_UOM_LIMIT = 32  # the schemas' UomEnum
UNKNOWN_COMPANY = "unknown"
"""``LoggingCompanyName`` (required on every Channel) when the input does not name one."""


@dataclass(frozen=True)
class Origin:
    """Where an imported log belongs: the names and uuids of its Well and Wellbore.

    A name left None comes from the input's header (LAS ``WELL``), else from ``fallback_name``;
    the Wellbore is named like its Well unless told. A uuid left None is a fresh one.
    """

    well_name: str | None = None
    well_uuid: str | None = None
    wellbore_name: str | None = None
    wellbore_uuid: str | None = None
    log_title: str | None = None


@dataclass
class Header:
    """What an input says besides its columns, in WITSML terms (filled by each reader)."""

    well_name: str | None = None
    log_title: str | None = None
    logging_company: str | None = None
    run_number: str | None = None
    created: datetime | None = None
    description: str | None = None
    """The Log's citation description (LAS ``~Other``)."""
    well_fields: dict[str, str] = field(default_factory=dict)
    """Well model field name -> value (``field``, ``country``, ``operator``, ``num_api``...)."""
    log_extensions: list[ExtensionNameValue] = field(default_factory=list)
    channel_titles: dict[str, str] = field(default_factory=dict)
    """Channel mnemonic -> a description, used as the Channel's citation title."""
    channel_extensions: dict[str, list[ExtensionNameValue]] = field(default_factory=dict)


@dataclass
class Imported:
    """The WITSML objects made from one input, and what the conversion had to report.

    ``log`` references ``wellbore``, which references ``well``; write all three
    (``witsml.to_xml``) for a store that does not know them yet. ``findings`` are warnings:
    units read through an alias, header items kept as extension values, renamed mnemonics.
    """

    log: Log
    wellbore: Wellbore
    well: Well
    findings: list[Finding] = field(default_factory=list)


def note(message: str, *, path: str | None = None, line: int | None = None) -> Finding:
    """A conversion warning."""
    return Finding(Severity.WARNING, message, line=line, path=path, layer="convert")


def read_unit(written: str, what: str, authority: str, findings: list[Finding]) -> str:
    """The Energistics symbol for a unit as an input wrote it, for ``what`` (``"curve 'DT'"``).

    An alias is applied and reported; an unknown unit is kept as the extension
    ``authority:unit`` (which the schemas accept) and reported; a blank one is ``Euc``.
    """
    if not written:
        findings.append(note(f"{what} has no unit: read as 'Euc' (dimensionless)"))
        return "Euc"
    try:
        uom, alias = units.resolve_alias(written)
    except UnitError:
        kept = f"{authority}:{written}"[:_UOM_LIMIT]
        findings.append(note(f"{what}: unit {written!r} is not known; kept as {kept!r}"))
        return kept
    if alias:
        findings.append(note(f"{what}: {alias}"))
    return uom


def property_kind(quantity: str) -> DataObjectReference:
    """A reference to the PropertyKind named like a quantity class (``"length"``).

    The uuid is derived from the name (the same name gives the same uuid): it stands for that
    PropertyKind in this library's output and is not the Energistics dictionary's uuid. Pass
    ``channel_classes`` to the readers to reference your own PropertyKinds.
    """
    return DataObjectReference(
        content_type=PROPERTY_KIND_CONTENT_TYPE,
        title=quantity,
        uuid=str(uuid_module.uuid5(_PROPERTY_KINDS, quantity)),
    )


def quantity_name(uom: str) -> str:
    """The quantity class of a unit, ``"unknown"`` for an extension or unknown unit."""
    if ":" in uom:
        return "unknown"
    try:
        return units.unit(uom, aliases=False).quantity
    except UnitError:
        return "unknown"


def assemble(
    table: ChannelTable,
    header: Header,
    origin: Origin,
    *,
    fallback_name: str,
    channel_classes: Mapping[str, DataObjectReference] | None = None,
    findings: list[Finding] | None = None,
) -> Imported:
    """Well, Wellbore and a Log with one ChannelSet holding ``table``.

    ``channel_classes`` maps a mnemonic to its PropertyKind reference; a mnemonic it does not
    name gets :func:`property_kind` of its unit's quantity class.
    """
    well_name = origin.well_name or header.well_name or fallback_name
    well = Well(uuid=origin.well_uuid or new_uuid(), citation=Citation(title=well_name))
    for name, value in header.well_fields.items():
        setattr(well, name, value)
    wellbore = Wellbore(
        uuid=origin.wellbore_uuid or new_uuid(),
        citation=Citation(title=origin.wellbore_name or well_name),
        well=well,
    )
    classes = {
        spec.mnemonic: property_kind(quantity_name(spec.uom)) for spec in table.channel_specs
    }
    classes.update(channel_classes or {})
    title = origin.log_title or header.log_title or fallback_name
    company = header.logging_company or UNKNOWN_COMPANY
    channel_set = ChannelSet.from_table(
        table, title=title, logging_company_name=company, channel_classes=classes
    )
    start, end = index_bounds(table.index)
    for channel in channel_set.channels:
        channel.citation.title = header.channel_titles.get(channel.mnemonic) or channel.mnemonic
        channel.extension_name_values = header.channel_extensions.get(channel.mnemonic, [])
        channel.wellbore = wellbore.reference()
    channel_set.start_index, channel_set.end_index = start, end
    citation = Citation(title=title, description=header.description)
    if header.created is not None:
        citation.creation = header.created
    log = Log(
        citation=citation,
        time_depth=channel_set.time_depth,
        run_number=header.run_number,
        start_index=start,
        end_index=end,
        logging_company_name=header.logging_company,
        wellbore=wellbore,
        channel_sets=[channel_set],
        extension_name_values=header.log_extensions,
    )
    return Imported(log, wellbore, well, list(findings or []))


def parse_times(texts: Sequence[str | None]) -> tuple[np.ndarray[Any, Any], list[int]]:
    """ISO-8601 texts as datetime64[ns] UTC (None and ``""`` give NaT), and the positions of
    texts that are not ISO-8601 date-times."""
    encoded = [(text or "").strip().encode("ascii", "replace") for text in texts]
    nanos, status = times.parse_iso(np.array(encoded, dtype=np.bytes_))
    values = nanos.view("datetime64[ns]").copy()
    blank = np.array([not text for text in encoded], dtype=np.bool_)
    values[blank] = np.datetime64("NaT")
    bad = np.flatnonzero((status == times.INVALID) & ~blank)
    return values, bad.tolist()


def index_direction(values: np.ndarray[Any, Any]) -> tuple[str, int | None, str]:
    """The direction of index values (numbers or datetime64), from their first step; and the
    first position that breaks it (None when none does) with what is wrong there."""
    if len(values) < 2:
        return "increasing", None, ""
    steps = np.diff(values.view(np.int64) if values.dtype.kind == "M" else values)
    direction = "decreasing" if steps[0] < 0 else "increasing"
    wrong = np.flatnonzero(steps >= 0 if direction == "decreasing" else steps <= 0)
    if not len(wrong):
        return direction, None, ""
    position = int(wrong[0]) + 1
    if steps[position - 1] == 0:
        return direction, position, f"repeats the value {values[position]}"
    return (
        direction,
        position,
        (f"is not strictly {direction}: {values[position - 1]} then {values[position]}"),
    )


def index_bounds(index: Column) -> tuple[IndexValue | None, IndexValue | None]:
    """StartIndex and EndIndex for a primary index column: its first and last value (None
    for an empty column, and for index types that have no index value type: elapsed time)."""
    present = np.flatnonzero(~index.mask)
    if not len(present):
        return None, None
    first, last = index.values[present[0]], index.values[present[-1]]
    if index.storage == "time":
        return _time_value(first), _time_value(last)
    kind = getattr(index.spec, "index_type", "")
    if kind in ("measured depth", "true vertical depth"):
        return DepthIndexValue(depth=float(first)), DepthIndexValue(depth=float(last))
    return None, None


def _time_value(value: np.datetime64) -> TimeIndexValue:
    text = str(np.datetime_as_string(value.astype("datetime64[us]"), unit="us"))
    return TimeIndexValue(time=datetime.fromisoformat(text + "+00:00"))
